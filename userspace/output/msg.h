/*
 * One queued alert, shared by every sink that still has to write it. The capture thread
 * allocates it; whichever sink finishes last frees it. Bytes in flight are accounted
 * globally so the whole output path has a hard memory bound.
 */
#ifndef KS_OUTPUT_MSG_H
#define KS_OUTPUT_MSG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "rules/rules.h"

struct ks_msg {
	atomic_uint refs;
	enum ks_priority prio;
	size_t len;		/* bytes of data, newline included */
	atomic_size_t *account; /* where the allocation is counted; may be NULL */
	char data[];
};

/* NULL if the line does not fit in the byte budget (*account + size > budget) or no memory. */
struct ks_msg *ks_msg_new(enum ks_priority p, const char *line, size_t len, atomic_size_t *account,
			  size_t budget);

static inline void ks_msg_get(struct ks_msg *m)
{
	atomic_fetch_add_explicit(&m->refs, 1, memory_order_relaxed);
}

void ks_msg_put(struct ks_msg *m);

/* A fixed-capacity FIFO of messages, for one consumer (no locking). */
struct ks_fifo {
	struct ks_msg **slot;
	size_t cap, head, count;
};

int ks_fifo_init(struct ks_fifo *f, size_t cap);
void ks_fifo_release(struct ks_fifo *f); /* drops the references it still holds */
static inline size_t ks_fifo_count(const struct ks_fifo *f)
{
	return f->count;
}
/* -ENOBUFS if full (the caller keeps its reference). */
int ks_fifo_push(struct ks_fifo *f, struct ks_msg *m);
struct ks_msg *ks_fifo_peek(const struct ks_fifo *f, size_t i); /* i-th from the head */
struct ks_msg *ks_fifo_pop(struct ks_fifo *f);

#endif
