/* Single-producer single-consumer ring of alert messages. */
#include "output/queue.h"

#include <errno.h>
#include <stdlib.h>

#include "log.h"
#include "output/msg.h"

int ks_queue_init(struct ks_queue *q, size_t cap)
{
	q->slot = calloc(cap, sizeof(*q->slot));
	q->cap = cap;
	atomic_init(&q->head, 0);
	atomic_init(&q->tail, 0);
	if (!q->slot) {
		ks_log_error("outputs: no memory for a queue of %zu alerts", cap);
		return -ENOMEM;
	}
	return 0;
}

void ks_queue_release(struct ks_queue *q)
{
	struct ks_msg *m;
	while ((m = ks_queue_pop(q)))
		ks_msg_put(m);
	free(q->slot);
	q->slot = NULL;
}

int ks_queue_push(struct ks_queue *q, struct ks_msg *m)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	if (tail - head >= q->cap)
		return -ENOBUFS;
	q->slot[tail % q->cap] = m;
	/* release: the consumer that sees the new tail also sees the slot */
	atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
	return 0;
}

struct ks_msg *ks_queue_pop(struct ks_queue *q)
{
	uint64_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	if (head == tail)
		return NULL;
	struct ks_msg *m = q->slot[head % q->cap];
	atomic_store_explicit(&q->head, head + 1, memory_order_release);
	return m;
}

size_t ks_queue_depth(struct ks_queue *q)
{
	uint64_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
	uint64_t head = atomic_load_explicit(&q->head, memory_order_acquire);
	return tail >= head ? (size_t)(tail - head) : 0;
}
