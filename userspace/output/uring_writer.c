/*
 * The output thread. It moves alerts from the queue into each sink's backlog (or hands
 * them to a threaded sink), and writes every io_uring sink's backlog with IORING_OP_WRITEV:
 * one write in flight per sink, so a sink's alerts stay in order, and the thread itself
 * never blocks on a sink (a full pipe or a slow disk only keeps that sink's write pending).
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <string.h>

#include "log.h"
#include "output/outputs_int.h"

enum { TAG_WRITE = 0, TAG_WAIT = 1, TAG_EVENT = 2, TAG_CANCEL = 3, TAG_MASK = 3 };
#define TICK_NS		(200ull * 1000000ull) /* upper bound of any sleep */
#define STOP_ATTEMPTS	3		      /* failures in a row that end a drain */
#define CANCEL_GRACE_NS (1000ull * 1000000ull)

static uint64_t ud(void *p, unsigned tag)
{
	return (uint64_t)(uintptr_t)p | tag;
}

static struct io_uring_sqe *sqe_get(struct ks_outputs *o)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&o->ring);
	if (!sqe) { /* full: push what is there and retry; the ring is far larger than needed */
		io_uring_submit(&o->ring);
		sqe = io_uring_get_sqe(&o->ring);
	}
	return sqe;
}

static void arm_event(struct ks_outputs *o)
{
	struct io_uring_sqe *sqe = sqe_get(o);
	if (!sqe)
		return; /* the tick still wakes us */
	io_uring_prep_read(sqe, o->efd, &o->efd_buf, sizeof o->efd_buf, 0);
	io_uring_sqe_set_data64(sqe, ud(NULL, TAG_EVENT));
}

static void arm_wait(struct ks_outputs *o, struct ks_sink *s, int fd)
{
	struct io_uring_sqe *sqe = sqe_get(o);
	if (!sqe) {
		s->ops->waited(s);
		return;
	}
	io_uring_prep_poll_add(sqe, fd, POLLIN);
	io_uring_sqe_set_data64(sqe, ud(s, TAG_WAIT));
	s->busy = true;
	struct io_uring_sqe *t;
	if (s->wait_ns && (t = io_uring_get_sqe(&o->ring))) {
		/* a child that never exits must not hold the sink forever */
		sqe->flags |= IOSQE_IO_LINK;
		s->wait_ts.tv_sec = (long long)(s->wait_ns / 1000000000ull);
		s->wait_ts.tv_nsec = (long long)(s->wait_ns % 1000000000ull);
		io_uring_prep_link_timeout(t, &s->wait_ts, 0);
		io_uring_sqe_set_data64(t, ud(NULL, TAG_CANCEL));
	}
}

static bool is_uring(const struct ks_sink *s)
{
	return s->ops->enqueue == NULL;
}

static void drop_backlog(struct ks_sink *s, const char *why)
{
	uint64_t n = ks_fifo_count(&s->backlog);
	if (!n)
		return;
	while (ks_fifo_count(&s->backlog))
		ks_msg_put(ks_fifo_pop(&s->backlog));
	s->head_off = 0;
	s->attempts = 0;
	ks_sink_drop(s, n, why);
}

/* Queue -> sink backlogs. A sink whose backlog is full loses the alert, the others don't. */
static void fan_out(struct ks_outputs *o)
{
	struct ks_msg *m;
	while ((m = ks_queue_pop(&o->q))) {
		for (size_t i = 0; i < o->nsinks; i++) {
			struct ks_sink *s = o->sink[i];
			if (!is_uring(s)) {
				if (s->ops->enqueue(s, m))
					ks_sink_drop(s, 1,
						     "its backlog is full (receiver slow or down)");
				continue;
			}
			ks_msg_get(m);
			if (ks_fifo_push(&s->backlog, m)) {
				ks_msg_put(m);
				ks_sink_drop(s, 1, "its backlog is full (sink slow or down)");
			}
		}
		ks_msg_put(m);
	}
}

static void after_batch(struct ks_outputs *o, struct ks_sink *s, int err)
{
	int fd = s->ops->done ? s->ops->done(s, err) : -1;
	if (fd >= 0)
		arm_wait(o, s, fd);
}

static void failed(struct ks_outputs *o, struct ks_sink *s, int err, const char *what)
{
	ks_sink_failed(s, err, what);
	/* A retry starts the message again: a fresh child or file must not get half a line. */
	s->head_off = 0;
	if (s->max_attempts == 1) {
		/* syslog(3) semantics: no listener, nothing kept */
		drop_backlog(s, "nothing is listening");
	} else if (s->max_attempts && ++s->attempts >= s->max_attempts) {
		ks_msg_put(ks_fifo_pop(&s->backlog));
		s->attempts = 0;
		ks_sink_drop(s, 1, "gave up after repeated failures");
	}
	after_batch(o, s, err);
}

static void complete_head(struct ks_sink *s)
{
	ks_msg_put(ks_fifo_pop(&s->backlog));
	s->head_off = 0;
	s->attempts = 0;
	atomic_fetch_add_explicit(&s->written, 1, memory_order_relaxed);
}

static void kick(struct ks_outputs *o, struct ks_sink *s, uint64_t now)
{
	size_t n = ks_fifo_count(&s->backlog);
	if (s->busy || !n || now < s->retry_at)
		return;
	int fd = s->ops->acquire(s);
	if (fd < 0) {
		failed(o, s, fd, "cannot open");
		return;
	}
	if (s->ops->frame) {
		const char *p;
		s->iov[0].iov_len = s->ops->frame(s, ks_fifo_peek(&s->backlog, 0), &p);
		s->iov[0].iov_base = (void *)p;
		s->niov = s->nmsgs = 1;
	} else {
		unsigned max = s->batch_max < KS_SINK_IOV ? s->batch_max : KS_SINK_IOV;
		s->niov = 0;
		for (size_t i = 0; i < n && s->niov < max; i++) {
			struct ks_msg *m = ks_fifo_peek(&s->backlog, i);
			size_t off = i == 0 ? s->head_off : 0;
			s->iov[s->niov].iov_base = m->data + off;
			s->iov[s->niov].iov_len = m->len - off;
			s->niov++;
		}
		s->nmsgs = s->niov;
	}
	struct io_uring_sqe *sqe = sqe_get(o);
	if (!sqe)
		return; /* next round */
	/* offset -1: the file's own position (stdout redirected to a file, O_APPEND files) */
	io_uring_prep_writev(sqe, fd, s->iov, s->niov, (uint64_t)-1);
	io_uring_sqe_set_data64(sqe, ud(s, TAG_WRITE));
	s->busy = true;
}

static void on_write(struct ks_outputs *o, struct ks_sink *s, int res)
{
	s->busy = false;
	if (res <= 0) {
		failed(o, s, res < 0 ? res : -EIO, "write failed");
		return;
	}
	if (s->ops->frame) {
		complete_head(s);
	} else {
		size_t left = (size_t)res;
		while (left && ks_fifo_count(&s->backlog)) {
			struct ks_msg *m = ks_fifo_peek(&s->backlog, 0);
			size_t rest = m->len - s->head_off;
			if (left < rest) { /* short write: the rest goes in the next one */
				s->head_off += left;
				break;
			}
			left -= rest;
			complete_head(s);
		}
	}
	ks_sink_ok(s);
	if (s->head_off == 0)
		after_batch(o, s, 0);
}

static void reap(struct ks_outputs *o, struct io_uring_cqe *cqe)
{
	uint64_t data = io_uring_cqe_get_data64(cqe);
	struct ks_sink *s = (struct ks_sink *)(uintptr_t)(data & ~(uint64_t)TAG_MASK);
	switch (data & TAG_MASK) {
	case TAG_WRITE:
		on_write(o, s, cqe->res);
		break;
	case TAG_WAIT:
		s->busy = false;
		s->ops->waited(s);
		break;
	case TAG_EVENT:
		if (cqe->res < 0 && cqe->res != -ECANCELED)
			ks_log_warn("outputs: eventfd read: %s", strerror(-cqe->res));
		arm_event(o);
		break;
	default:
		break;
	}
}

static void cancel_busy(struct ks_outputs *o)
{
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		struct io_uring_sqe *sqe;
		if (!is_uring(s) || !s->busy || !(sqe = sqe_get(o)))
			continue;
		io_uring_prep_cancel64(sqe, ud(s, TAG_WRITE), 0);
		io_uring_sqe_set_data64(sqe, ud(NULL, TAG_CANCEL));
		if (!(sqe = sqe_get(o)))
			continue;
		io_uring_prep_cancel64(sqe, ud(s, TAG_WAIT), 0);
		io_uring_sqe_set_data64(sqe, ud(NULL, TAG_CANCEL));
	}
}

/* While stopping: give up where retrying is pointless. Returns true when all is written. */
static bool drain_step(struct ks_outputs *o, uint64_t now, bool *cancelled)
{
	bool late = now >= o->deadline, idle = true;
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		if (!is_uring(s))
			continue;
		if (!s->busy && (late || s->consecutive >= STOP_ATTEMPTS))
			drop_backlog(s, late ? "still undelivered at the shutdown deadline"
					     : "the sink kept failing during shutdown");
		if (s->busy || ks_fifo_count(&s->backlog))
			idle = false;
	}
	if (late && !idle && !*cancelled) {
		cancel_busy(o);
		*cancelled = true;
	}
	return idle;
}

static void set_ts(struct __kernel_timespec *ts, uint64_t ns)
{
	ts->tv_sec = (long long)(ns / 1000000000ull);
	ts->tv_nsec = (long long)(ns % 1000000000ull);
}

static uint64_t next_timeout(struct ks_outputs *o, uint64_t now, bool draining)
{
	uint64_t t = TICK_NS;
	for (size_t i = 0; i < o->nsinks; i++) {
		struct ks_sink *s = o->sink[i];
		if (is_uring(s) && !s->busy && ks_fifo_count(&s->backlog) && s->retry_at > now &&
		    s->retry_at - now < t)
			t = s->retry_at - now;
	}
	if (draining && o->deadline > now && o->deadline - now < t)
		t = o->deadline - now;
	return t;
}

static void start_drain(struct ks_outputs *o)
{
	/* Each sink gets fresh chances: a sink in a long backoff would otherwise sit out the
	 * whole deadline. */
	for (size_t i = 0; i < o->nsinks; i++) {
		if (!is_uring(o->sink[i]))
			continue; /* threaded sinks own their retry state */
		o->sink[i]->retry_at = 0;
		o->sink[i]->consecutive = 0;
	}
}

void *ks_writer_main(void *arg)
{
	struct ks_outputs *o = arg;
	bool draining = false, cancelled = false;
	uint64_t give_up_at = 0;
	arm_event(o);
	for (;;) {
		if (atomic_exchange(&o->reopen, 0))
			for (size_t i = 0; i < o->nsinks; i++)
				if (o->sink[i]->ops->reopen)
					o->sink[i]->ops->reopen(o->sink[i]);
		if (!draining && atomic_load(&o->stopping)) {
			draining = true;
			start_drain(o);
		}
		fan_out(o);
		uint64_t now = ks_now_ns();
		if (draining) {
			if (drain_step(o, now, &cancelled))
				break;
			if (cancelled && !give_up_at)
				give_up_at = now + CANCEL_GRACE_NS;
			if (give_up_at && now >= give_up_at) {
				ks_log_error(
				    "outputs: a sink write is stuck in the kernel; leaving it");
				break;
			}
		}
		for (size_t i = 0; i < o->nsinks; i++)
			if (is_uring(o->sink[i]))
				kick(o, o->sink[i], now);

		struct __kernel_timespec ts;
		set_ts(&ts, next_timeout(o, now, draining));
		atomic_store(&o->sleeping, 1);
		atomic_thread_fence(memory_order_seq_cst);
		if (ks_queue_depth(&o->q) || atomic_load(&o->reopen) ||
		    (!draining && atomic_load(&o->stopping)))
			set_ts(&ts, 0);
		struct io_uring_cqe *cqe;
		io_uring_submit(&o->ring);
		int rc = io_uring_wait_cqe_timeout(&o->ring, &cqe, &ts);
		atomic_store(&o->sleeping, 0);
		if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN)
			ks_log_warn("outputs: io_uring wait: %s", strerror(-rc));
		unsigned head, seen = 0;
		io_uring_for_each_cqe(&o->ring, head, cqe)
		{
			reap(o, cqe);
			seen++;
		}
		io_uring_cq_advance(&o->ring, seen);
	}
	for (size_t i = 0; i < o->nsinks; i++)
		if (is_uring(o->sink[i]))
			o->sink[i]->ops->stop(o->sink[i], o->deadline);
	return NULL;
}
