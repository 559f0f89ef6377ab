/* Alert messages and the single-consumer FIFO the sinks keep their backlog in. */
#include "output/msg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct ks_msg *ks_msg_new(enum ks_priority p, const char *line, size_t len, atomic_size_t *account,
			  size_t budget)
{
	size_t size = sizeof(struct ks_msg) + len;
	if (account) {
		/* Reserve first: the producer is single, but frees happen on other threads. */
		size_t before = atomic_fetch_add_explicit(account, size, memory_order_relaxed);
		if (before + size > budget) {
			atomic_fetch_sub_explicit(account, size, memory_order_relaxed);
			return NULL;
		}
	}
	struct ks_msg *m = malloc(size);
	if (!m) {
		if (account)
			atomic_fetch_sub_explicit(account, size, memory_order_relaxed);
		return NULL;
	}
	atomic_init(&m->refs, 1);
	m->prio = p;
	m->len = len;
	m->account = account;
	memcpy(m->data, line, len);
	return m;
}

void ks_msg_put(struct ks_msg *m)
{
	if (!m || atomic_fetch_sub_explicit(&m->refs, 1, memory_order_acq_rel) != 1)
		return;
	if (m->account)
		atomic_fetch_sub_explicit(m->account, sizeof(*m) + m->len, memory_order_relaxed);
	free(m);
}

int ks_fifo_init(struct ks_fifo *f, size_t cap)
{
	f->slot = calloc(cap, sizeof(*f->slot));
	f->cap = cap;
	f->head = f->count = 0;
	if (!f->slot) {
		ks_log_error("outputs: no memory for a backlog of %zu alerts", cap);
		return -ENOMEM;
	}
	return 0;
}

void ks_fifo_release(struct ks_fifo *f)
{
	while (f->count)
		ks_msg_put(ks_fifo_pop(f));
	free(f->slot);
	f->slot = NULL;
}

int ks_fifo_push(struct ks_fifo *f, struct ks_msg *m)
{
	if (f->count == f->cap)
		return -ENOBUFS;
	f->slot[(f->head + f->count) % f->cap] = m;
	f->count++;
	return 0;
}

struct ks_msg *ks_fifo_peek(const struct ks_fifo *f, size_t i)
{
	return i < f->count ? f->slot[(f->head + i) % f->cap] : NULL;
}

struct ks_msg *ks_fifo_pop(struct ks_fifo *f)
{
	if (!f->count)
		return NULL;
	struct ks_msg *m = f->slot[f->head];
	f->head = (f->head + 1) % f->cap;
	f->count--;
	return m;
}
