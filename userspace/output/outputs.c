/*
 * Alert outputs: configuration, the queue the capture thread pushes into, and the life of
 * the output thread (uring_writer.c) and of the sinks.
 */
#include "output/outputs.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "output/outputs_int.h"

/* Falco's outputs_queue.capacity 0 means unbounded; Kestrel always bounds the queue. */
#define KS_QUEUE_DEFAULT 4096
#define KS_QUEUE_MAX	 (1u << 20)
#define KS_BYTE_BUDGET	 (64u << 20) /* every live alert together, whatever the capacity */
#define KS_RING_ENTRIES	 256

static size_t queue_capacity(const struct ks_config *cfg)
{
	bool ok = true;
	int64_t cap = ks_config_int(cfg, "outputs_queue.capacity", 0, &ok);
	if (!ok || cap < 0) {
		ks_log_warn("outputs_queue.capacity '%s' is not a count; using %u",
			    ks_config_str(cfg, "outputs_queue.capacity", ""), KS_QUEUE_DEFAULT);
		return KS_QUEUE_DEFAULT;
	}
	if (cap == 0)
		return KS_QUEUE_DEFAULT;
	if (cap > KS_QUEUE_MAX) {
		ks_log_warn("outputs_queue.capacity %" PRId64 " capped at %u", cap, KS_QUEUE_MAX);
		return KS_QUEUE_MAX;
	}
	return (size_t)cap;
}

static int build_sinks(struct ks_outputs *o, const struct ks_config *cfg,
		       const struct ks_outputs_opts *opts, size_t cap)
{
	const char *syslog_path = opts && opts->syslog_path ? opts->syslog_path : "/dev/log";
	for (int kind = 0; kind < 5; kind++) {
		struct ks_sink *s = NULL;
		int rc = 0;
		switch (kind) {
		case 0:
			if (ks_config_bool(cfg, "stdout_output.enabled", true))
				rc = ks_sink_stdout_new(&s, cap);
			break;
		case 1:
			if (ks_config_bool(cfg, "file_output.enabled", false))
				rc = ks_sink_file_new(cfg, cap, &s);
			break;
		case 2: /* on by default, as in Falco */
			if (ks_config_bool(cfg, "syslog_output.enabled", true))
				rc = ks_sink_syslog_new(syslog_path, cap, &s);
			break;
		case 3:
			if (ks_config_bool(cfg, "program_output.enabled", false))
				rc = ks_sink_program_new(cfg, cap, &s);
			break;
		case 4:
			if (ks_config_bool(cfg, "http_output.enabled", false))
				rc = ks_sink_http_new(cfg, cap, &s);
			break;
		}
		if (rc)
			return rc;
		if (s)
			o->sink[o->nsinks++] = s;
	}
	return 0;
}

int ks_outputs_new_opts(const struct ks_config *cfg, const struct ks_outputs_opts *opts,
			struct ks_outputs **out)
{
	*out = NULL;
	struct ks_outputs *o = calloc(1, sizeof(*o));
	if (!o) {
		ks_log_error("outputs: no memory");
		return -ENOMEM;
	}
	o->efd = -1;
	o->byte_budget = opts && opts->byte_budget ? opts->byte_budget : KS_BYTE_BUDGET;
	atomic_init(&o->bytes, 0);
	atomic_init(&o->pushed, 0);
	atomic_init(&o->queue_drops, 0);
	size_t cap = queue_capacity(cfg);
	/* buffered_outputs is accepted for Falco compatibility: alerts are never held back in
	 * a userspace buffer here, whatever its value (what is queued is written in batches). */
	(void)ks_config_bool(cfg, "buffered_outputs", false);
	int rc = ks_queue_init(&o->q, cap);
	if (!rc)
		rc = build_sinks(o, cfg, opts, cap);
	if (!rc) {
		o->efd = eventfd(0, EFD_CLOEXEC);
		if (o->efd < 0) {
			rc = -errno;
			ks_log_error("outputs: eventfd: %s", strerror(errno));
		}
	}
	if (!rc) {
		rc = io_uring_queue_init(KS_RING_ENTRIES, &o->ring, 0);
		if (rc)
			ks_log_error("outputs: io_uring_queue_init: %s (is io_uring disabled by "
				     "kernel.io_uring_disabled or a seccomp profile?)",
				     strerror(-rc));
		o->ring_ok = rc == 0;
	}
	if (rc) {
		ks_outputs_free(o);
		return rc;
	}
	*out = o;
	return 0;
}

int ks_outputs_new(const struct ks_config *cfg, struct ks_outputs **out)
{
	return ks_outputs_new_opts(cfg, NULL, out);
}

int ks_outputs_start(struct ks_outputs *o)
{
	if (o->started)
		return 0;
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		int rc = s->ops->start ? s->ops->start(s) : 0;
		if (rc) {
			/* the ones already started stop in ks_outputs_free */
			for (size_t j = 0; j < i; j++)
				if (o->sink[j]->ops->start)
					o->sink[j]->ops->stop(o->sink[j], ks_now_ns());
			return rc;
		}
	}
	/* The thread must not take the process's signals (SIGTERM, SIGHUP, SIGUSR1 belong to
	 * the main thread); it inherits the mask it is created with. SIGPIPE from a dead
	 * program's pipe lands on it blocked, and the write just fails with EPIPE. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&o->thread, NULL, ks_writer_main, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		ks_log_error("outputs: cannot start the output thread: %s", strerror(rc));
		return -rc;
	}
	o->started = true;
	return 0;
}

void ks_outputs_wake(struct ks_outputs *o)
{
	uint64_t one = 1;
	/* a full eventfd counter (EAGAIN) already means "wake up" */
	if (write(o->efd, &one, sizeof one) < 0 && errno != EAGAIN)
		return;
}

int ks_outputs_push(struct ks_outputs *o, enum ks_priority p, const char *line, size_t len)
{
	struct ks_msg *m = ks_msg_new(p, line, len, &o->bytes, o->byte_budget);
	if (!m || ks_queue_push(&o->q, m) != 0) {
		ks_msg_put(m);
		atomic_fetch_add_explicit(&o->queue_drops, 1, memory_order_relaxed);
		return -ENOBUFS;
	}
	atomic_fetch_add_explicit(&o->pushed, 1, memory_order_relaxed);
	/* Pairs with the output thread setting sleeping then re-checking the queue. */
	if (atomic_exchange(&o->sleeping, 0))
		ks_outputs_wake(o);
	return 0;
}

/* Async-signal-safe: an atomic store and a write(2). */
void ks_outputs_reopen(struct ks_outputs *o)
{
	if (!o)
		return;
	atomic_store(&o->reopen, 1);
	ks_outputs_wake(o);
}

void ks_outputs_stop(struct ks_outputs *o)
{
	if (!o || o->stopped)
		return;
	o->stopped = true;
	o->deadline = ks_now_ns() + KS_STOP_GRACE_NS;
	if (!o->started)
		return;
	atomic_store(&o->stopping, 1);
	ks_outputs_wake(o);
	/* The output thread hands every queued alert to the sinks, finishes the io_uring sinks,
	 * then the threaded ones (HTTP) get the rest of the same deadline. */
	pthread_join(o->thread, NULL);
	for (size_t i = 0; i < o->nsinks; i++)
		if (o->sink[i]->ops->enqueue)
			o->sink[i]->ops->stop(o->sink[i], o->deadline);
	uint64_t drops = 0;
	for (size_t i = 0; i < o->nsinks; i++)
		drops += atomic_load(&o->sink[i]->dropped);
	drops += atomic_load(&o->queue_drops);
	if (drops)
		ks_log_warn("outputs: %" PRIu64 " alert deliveries were dropped in total", drops);
}

void ks_outputs_free(struct ks_outputs *o)
{
	if (!o)
		return;
	ks_outputs_stop(o);
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		if (!o->started) /* never ran: let go of what new() and start() acquired */
			s->ops->stop(s, ks_now_ns());
		s->ops->free(s);
	}
	if (o->ring_ok)
		io_uring_queue_exit(&o->ring);
	if (o->efd >= 0)
		close(o->efd);
	if (o->q.slot)
		ks_queue_release(&o->q);
	free(o);
}

void ks_outputs_stats(struct ks_outputs *o, struct ks_outputs_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!o)
		return;
	st->pushed = atomic_load_explicit(&o->pushed, memory_order_relaxed);
	st->queue_drops = atomic_load_explicit(&o->queue_drops, memory_order_relaxed);
	st->queue_depth = ks_queue_depth(&o->q);
	st->queue_capacity = o->q.cap;
	st->nsinks = o->nsinks;
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		st->sink[i].name = s->name;
		st->sink[i].written = atomic_load_explicit(&s->written, memory_order_relaxed);
		st->sink[i].failures = atomic_load_explicit(&s->failures, memory_order_relaxed);
		st->sink[i].dropped = atomic_load_explicit(&s->dropped, memory_order_relaxed);
	}
}
