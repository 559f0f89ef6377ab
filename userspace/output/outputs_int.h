/* Internals shared by outputs.c (API, config) and uring_writer.c (the output thread). */
#ifndef KS_OUTPUTS_INT_H
#define KS_OUTPUTS_INT_H

#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>

#include "output/outputs.h"
#include "output/queue.h"
#include "output/sink.h"

#define KS_STOP_GRACE_NS (5ull * 1000000000ull) /* ks_outputs_stop gives every sink 5 s */

struct ks_outputs {
	struct ks_queue q;
	atomic_size_t bytes; /* bytes of live messages, bounded by byte_budget */
	size_t byte_budget;
	atomic_uint_fast64_t pushed, queue_drops;
	struct ks_sink *sink[KS_MAX_SINKS];
	size_t nsinks;

	struct io_uring ring;
	bool ring_ok;
	int efd;	     /* eventfd: wakes the output thread */
	uint64_t efd_buf;    /* target of the armed eventfd read */
	atomic_int sleeping; /* the output thread may be waiting: pushes must wake it */
	atomic_int reopen;   /* SIGUSR1 asked for a reopen */
	atomic_int stopping;
	uint64_t deadline; /* set before stopping; CLOCK_MONOTONIC ns */

	pthread_t thread;
	bool started, stopped;
};

void *ks_writer_main(void *outputs);
void ks_outputs_wake(struct ks_outputs *o);

#endif
