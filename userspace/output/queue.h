/*
 * The alert queue between the capture thread (the only producer) and the output thread
 * (the only consumer): a lock-free ring of message pointers. Push never blocks; a full ring
 * refuses and the caller counts the drop.
 */
#ifndef KS_OUTPUT_QUEUE_H
#define KS_OUTPUT_QUEUE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct ks_msg;

struct ks_queue {
	struct ks_msg **slot;
	size_t cap;
	/* Free-running counters; head is written by the consumer only, tail by the producer. */
	_Alignas(64) atomic_uint_fast64_t head;
	_Alignas(64) atomic_uint_fast64_t tail;
};

int ks_queue_init(struct ks_queue *q, size_t cap);
void ks_queue_release(struct ks_queue *q);		 /* drops the messages still queued */
int ks_queue_push(struct ks_queue *q, struct ks_msg *m); /* producer; -ENOBUFS if full */
struct ks_msg *ks_queue_pop(struct ks_queue *q);	 /* consumer; NULL if empty */
size_t ks_queue_depth(struct ks_queue *q);		 /* any thread; a snapshot */

#endif
