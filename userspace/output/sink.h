/*
 * The sink interface: one backend per file (sink_file.c, sink_syslog.c, sink_program.c,
 * sink_http.c), each filling in the operations it needs.
 *
 * Two kinds. io_uring sinks (stdout, file, syslog, program) are driven by the output thread
 * (uring_writer.c): it keeps each sink's backlog, asks the sink for an fd, writes batches
 * with IORING_OP_WRITEV, retries with backoff, and tells the sink how each batch went.
 * Threaded sinks (http) own a worker thread and a backlog; the output thread only hands
 * them a reference to each message, so a slow receiver never delays the io_uring sinks.
 */
#ifndef KS_OUTPUT_SINK_H
#define KS_OUTPUT_SINK_H

#include <linux/time_types.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "config.h"
#include "output/msg.h"

#define KS_SINK_IOV	  64			  /* messages per write at most */
#define KS_SINK_LOG_NS	  (10ull * 1000000000ull) /* one failure line per sink per 10 s */
#define KS_BACKOFF_MIN_NS (100ull * 1000000ull)
#define KS_BACKOFF_MAX_NS (10ull * 1000000000ull)

struct ks_sink;

struct ks_sink_ops {
	/* io_uring sinks. The fd to write the next batch to, opening, connecting or spawning as
	 * needed (and keeping it until done() says otherwise); or a negative errno. */
	int (*acquire)(struct ks_sink *s);
	/* Datagram sinks only: the bytes of one message as sent (e.g. with a syslog header). */
	size_t (*frame)(struct ks_sink *s, const struct ks_msg *m, const char **out);
	/* A batch was fully written (err 0) or failed (negative errno). Returns an fd that must
	 * become readable before the sink writes again (a one-shot child exiting), or -1. */
	int (*done)(struct ks_sink *s, int err);
	/* The fd returned by done() became readable (or the wait was cancelled). */
	void (*waited)(struct ks_sink *s);
	void (*reopen)(struct ks_sink *s); /* SIGUSR1: reopen files on the next write */

	/* Threaded sinks. start the worker; enqueue takes its own reference (-ENOBUFS when
	 * its backlog is full: the caller counts the drop). */
	int (*start)(struct ks_sink *s);
	int (*enqueue)(struct ks_sink *s, struct ks_msg *m);

	/* Both kinds: deliver what is left until deadline (CLOCK_MONOTONIC ns), then let go of
	 * every resource that outlives a write (children, fds, threads). */
	void (*stop)(struct ks_sink *s, uint64_t deadline_ns);
	void (*free)(struct ks_sink *s);
};

struct ks_sink {
	const struct ks_sink_ops *ops;
	const char *name;
	const char *target; /* path, program or URL, for log lines */
	atomic_uint_fast64_t written, failures, dropped;

	/* Driven by the output thread (io_uring sinks only). */
	struct ks_fifo backlog;
	unsigned batch_max;    /* messages per write: 1 for datagrams and one-shot children */
	unsigned max_attempts; /* per message; 0 = retry until stop's deadline */
	unsigned attempts;     /* failed attempts on the head message */
	size_t head_off;       /* bytes of the head message already written */
	bool busy;	       /* a write or a wait is in flight */
	struct iovec iov[KS_SINK_IOV];
	unsigned niov, nmsgs; /* of the write in flight */
	uint64_t wait_ns;     /* bound on a done() wait (then waited() runs anyway); 0 = none */
	struct __kernel_timespec wait_ts;

	/* Retry state, used by whichever thread writes for the sink. */
	unsigned consecutive; /* failures in a row, for the backoff */
	uint64_t retry_at;    /* CLOCK_MONOTONIC ns; the sink waits until then */
	uint64_t last_log;
	uint64_t unlogged; /* failures since the last line */

	void *priv;
};

uint64_t ks_now_ns(void); /* CLOCK_MONOTONIC */

/* Common setup: name, counters, backlog of cap messages (0 for threaded sinks). */
int ks_sink_init(struct ks_sink *s, const struct ks_sink_ops *ops, const char *name, size_t cap);
void ks_sink_release(struct ks_sink *s);

/* A failed attempt: count it, log it at a bounded rate, schedule the retry with backoff.
 * err is a negative errno, or 0 when `what` says it all. */
void ks_sink_failed(struct ks_sink *s, int err, const char *what);
/* A success: reset the backoff. */
void ks_sink_ok(struct ks_sink *s);
/* An alert given up on for this sink: count it and say why (rate-limited with failures). */
void ks_sink_drop(struct ks_sink *s, uint64_t n, const char *why);

/* Constructors (NULL-free on error, logged): see each backend. */
int ks_sink_stdout_new(struct ks_sink **out, size_t cap);
int ks_sink_file_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out);
int ks_sink_syslog_new(const char *path, size_t cap, struct ks_sink **out);
int ks_sink_program_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out);
int ks_sink_http_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out);

#endif
