/* What every sink shares: counters, backoff and failure logging at a bounded rate. */
#include "output/sink.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "log.h"

uint64_t ks_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int ks_sink_init(struct ks_sink *s, const struct ks_sink_ops *ops, const char *name, size_t cap)
{
	memset(s, 0, sizeof(*s));
	s->ops = ops;
	s->name = name;
	s->batch_max = KS_SINK_IOV;
	atomic_init(&s->written, 0);
	atomic_init(&s->failures, 0);
	atomic_init(&s->dropped, 0);
	return cap ? ks_fifo_init(&s->backlog, cap) : 0;
}

void ks_sink_release(struct ks_sink *s)
{
	/* A write the kernel never finished (a stuck file system, given up on at shutdown) may
	 * still read these messages: leaking them is the safe choice. */
	if (s->busy)
		return;
	if (s->backlog.slot)
		ks_fifo_release(&s->backlog);
}

/* Log now, or count the line for the next report: a dead sink must not flood the log. */
static bool may_log(struct ks_sink *s, uint64_t now)
{
	if (s->last_log && now - s->last_log < KS_SINK_LOG_NS) {
		s->unlogged++;
		return false;
	}
	s->last_log = now;
	return true;
}

void ks_sink_failed(struct ks_sink *s, int err, const char *what)
{
	uint64_t now = ks_now_ns();
	atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
	unsigned shift = s->consecutive < 10 ? s->consecutive : 10;
	uint64_t delay = KS_BACKOFF_MIN_NS << shift;
	s->retry_at = now + (delay < KS_BACKOFF_MAX_NS ? delay : KS_BACKOFF_MAX_NS);
	s->consecutive++;
	if (!may_log(s, now))
		return;
	ks_log_warn("%s output %s: %s%s%s (%" PRIu64 " more problems since the last report; "
		    "retrying in %" PRIu64 " ms)",
		    s->name, s->target ? s->target : "", what, err ? ": " : "",
		    err ? strerror(err < 0 ? -err : err) : "", s->unlogged,
		    (s->retry_at - now) / 1000000);
	s->unlogged = 0;
}

void ks_sink_ok(struct ks_sink *s)
{
	s->consecutive = 0;
	s->retry_at = 0;
}

void ks_sink_drop(struct ks_sink *s, uint64_t n, const char *why)
{
	atomic_fetch_add_explicit(&s->dropped, n, memory_order_relaxed);
	if (!may_log(s, ks_now_ns()))
		return;
	ks_log_warn("%s output %s: %" PRIu64 " alert(s) dropped: %s (%" PRIu64
		    " more problems since the last report)",
		    s->name, s->target ? s->target : "", n, why, s->unlogged);
	s->unlogged = 0;
}
