/*
 * The modern eBPF driver: loads bpf/kestrel.bpf.c through its libbpf skeleton, gives it
 * one BPF ring per CPU (or per group of CPUs) and drains them.
 *
 * The probe does not wake the reader per record (that costs 2-3x the probe's own time,
 * see shared/notes/ebpf-on-this-machine.md): next() sleeps at most KS_POLL_CAP_MS, then
 * consumes every ring; the probe forces a wakeup only when a ring is a quarter full.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "bpf_ring.h"
#include "driver.h"
#include "kestrel.skel.h"
#include "log.h"

#define KS_DEFAULT_RING_BYTES (8ull << 20)
#define KS_MAX_RING_BYTES     (1ull << 30)
#define KS_POLL_CAP_MS	      10
/* A record is handed out once every ring has been read past its timestamp; allow this
 * long between a probe taking the timestamp and committing the record. */
#define KS_ORDER_SLACK_NS (2u * 1000u * 1000u)
/* Records per next() call at most, so the engine's loop gets to run its ticks. */
#define KS_BATCH_MAX (1u << 18)

struct ks_ebpf {
	struct kestrel_bpf *skel;
	int *ring_fd;
	struct ks_bpf_ring *rings;
	int epfd;
	uint64_t ring_size;
	unsigned nrings;
	unsigned ncpus; /* possible CPUs: the size of per-CPU map values */
};

/* libbpf's messages (the verifier log among them) through our log. A load failure can
 * come with a long verifier log whose end says why: keep its head and tail. */
static int ks_libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum { HEAD = 10, TAIL = 60 };
	char *msg = NULL, *line, *next;
	int nlines = 0, i = 0;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (vasprintf(&msg, fmt, ap) < 0)
		return 0;
	for (line = msg; *line; line++)
		nlines += *line == '\n';
	for (line = msg; line && *line; line = next, i++) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (i >= HEAD && i < nlines - TAIL) {
			if (i == HEAD)
				ks_log_warn("libbpf: ... %d lines left out ...",
					    nlines - HEAD - TAIL);
			continue;
		}
		if (strncmp(line, "libbpf: ", 8) == 0)
			line += 8;
		if (level == LIBBPF_WARN)
			ks_log_warn("libbpf: %s", line);
		else
			ks_log_debug("libbpf: %s", line);
	}
	free(msg);
	return 0;
}

/* A ring's size must be a power of two and a multiple of the page size. */
static uint64_t ks_ring_size(uint64_t want)
{
	uint64_t size = (uint64_t)sysconf(_SC_PAGESIZE);

	if (!want)
		want = KS_DEFAULT_RING_BYTES;
	if (want > KS_MAX_RING_BYTES)
		want = KS_MAX_RING_BYTES;
	while (size < want)
		size <<= 1;
	if (size != want)
		ks_log_info("eBPF ring size rounded up from %llu to %llu bytes",
			    (unsigned long long)want, (unsigned long long)size);
	return size;
}

static void ebpf_close(struct ks_driver *d)
{
	struct ks_ebpf *e = d->priv;

	if (!e)
		return;
	for (unsigned i = 0; e->rings && i < e->nrings; i++)
		ks_bpf_ring_close(&e->rings[i]);
	free(e->rings);
	if (e->epfd >= 0)
		close(e->epfd);
	kestrel_bpf__destroy(e->skel);
	for (unsigned i = 0; e->ring_fd && i < e->nrings; i++)
		if (e->ring_fd[i] >= 0)
			close(e->ring_fd[i]);
	free(e->ring_fd);
	free(e);
	d->priv = NULL;
}

/* Create the rings and put ring cpu / cpus_per_buffer in the outer map's slot cpu. */
static int ks_make_rings(struct ks_ebpf *e, const struct ks_driver_opts *o)
{
	unsigned per = o->cpus_per_buffer > 1 ? o->cpus_per_buffer : 1;
	uint64_t size = ks_ring_size(o->buf_bytes_per_cpu);

	e->nrings = (e->ncpus + per - 1) / per;
	e->ring_fd = malloc(e->nrings * sizeof(int));
	if (!e->ring_fd)
		return -ENOMEM;
	for (unsigned i = 0; i < e->nrings; i++)
		e->ring_fd[i] = -1;
	for (unsigned i = 0; i < e->nrings; i++) {
		e->ring_fd[i] = bpf_map_create(BPF_MAP_TYPE_RINGBUF, "ks_ring", 0, 0, size, NULL);
		if (e->ring_fd[i] < 0) {
			int err = -errno;

			ks_log_error("cannot create a %llu-byte eBPF ring buffer: %s",
				     (unsigned long long)size, strerror(-err));
			return err;
		}
	}
	e->skel->bss->ks_wakeup_bytes = size / 4;
	e->ring_size = size;
	return 0;
}

static int ks_fill_rings(struct ks_ebpf *e, const struct ks_driver_opts *o)
{
	unsigned per = o->cpus_per_buffer > 1 ? o->cpus_per_buffer : 1;
	int outer = bpf_map__fd(e->skel->maps.ks_rings);

	for (unsigned cpu = 0; cpu < e->ncpus; cpu++) {
		if (bpf_map_update_elem(outer, &cpu, &e->ring_fd[cpu / per], BPF_ANY)) {
			int err = -errno;

			ks_log_error("cannot install the eBPF ring of CPU %u: %s", cpu,
				     strerror(-err));
			return err;
		}
	}
	uint64_t size = e->ring_size;
	e->rings = calloc(e->nrings, sizeof(*e->rings));
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (!e->rings || e->epfd < 0) {
		int err = e->rings ? -errno : -ENOMEM;

		ks_log_error("cannot set up reading the eBPF rings: %s", strerror(-err));
		return err;
	}
	for (unsigned i = 0; i < e->nrings; i++) {
		int err = ks_bpf_ring_open(&e->rings[i], e->ring_fd[i], size);
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};

		if (err)
			return err;
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->ring_fd[i], &ev) < 0) {
			err = -errno;
			ks_log_error("cannot watch eBPF ring %u: %s", i, strerror(-err));
			return err;
		}
	}
	return 0;
}

static int ebpf_open(struct ks_driver *d, const struct ks_driver_opts *o)
{
	struct ks_ebpf *e;
	int err, ncpus;

	/* libbpf 1.x: never fall back to legacy behaviour; and since the kernel charges BPF
	 * memory to the cgroup, libbpf leaves RLIMIT_MEMLOCK alone (raising it would fail:
	 * root here lacks CAP_SYS_RESOURCE) */
	libbpf_set_strict_mode(LIBBPF_STRICT_ALL);
	libbpf_set_print(ks_libbpf_print);
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		ks_log_error("cannot count the possible CPUs: %s", strerror(-ncpus));
		return ncpus < 0 ? ncpus : -EINVAL;
	}
	e = calloc(1, sizeof(*e));
	if (e)
		e->epfd = -1;
	if (!e)
		return -ENOMEM;
	d->priv = e;
	e->ncpus = (unsigned)ncpus;
	e->skel = kestrel_bpf__open();
	if (!e->skel) {
		err = -errno;
		ks_log_error("cannot open the eBPF probe: %s", strerror(-err));
		goto cleanup;
	}
	err = ks_make_rings(e, o);
	if (err)
		goto cleanup;
	err = bpf_map__set_max_entries(e->skel->maps.ks_rings, e->ncpus);
	err = err ?: bpf_map__set_inner_map_fd(e->skel->maps.ks_rings, e->ring_fd[0]);
	err = err ?: bpf_map__set_max_entries(e->skel->maps.ks_scratch, e->ncpus);
	if (err) {
		ks_log_error("cannot size the eBPF maps: %s", strerror(-err));
		goto cleanup;
	}
	err = kestrel_bpf__load(e->skel);
	if (err) {
		ks_log_error("cannot load the eBPF probe: %s (libbpf's messages above say why)",
			     strerror(-err));
		goto cleanup;
	}
	err = ks_fill_rings(e, o);
	if (err)
		goto cleanup;
	e->skel->bss->ks_own_tgid = (__u32)getpid();
	err = kestrel_bpf__attach(e->skel);
	if (err) {
		ks_log_error("cannot attach the eBPF probe: %s", strerror(-err));
		goto cleanup;
	}
	ks_log_debug("modern_ebpf: %u CPUs, %u rings", e->ncpus, e->nrings);
	return 0;
cleanup:
	ebpf_close(d);
	return err < 0 ? err : -EINVAL;
}

static int ebpf_set_filter(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES])
{
	struct ks_ebpf *e = d->priv;

	/* the probe reads the bitmap in place; a half-written update only means a
	 * syscall is captured (or not) a little early */
	memcpy((void *)e->skel->bss->ks_filter, filter, KS_FILTER_BYTES);
	return 0;
}

static int ebpf_start(struct ks_driver *d)
{
	struct ks_ebpf *e = d->priv;

	__atomic_store_n(&e->skel->bss->ks_capture, 1, __ATOMIC_RELEASE);
	return 0;
}

static int64_t ks_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t ks_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * Hand out every committed record older than the watermark, oldest first across the
 * rings, in place. Rings drain in timestamp order, so this is a k-way merge of their
 * heads. Returns the count; *held says whether younger records were left for later.
 */
static int ks_drain_ordered(struct ks_ebpf *e, ks_record_cb cb, void *ctx, bool *held)
{
	uint64_t watermark = ks_boot_ns() - KS_ORDER_SLACK_NS;
	int n = 0;

	for (unsigned i = 0; i < e->nrings; i++)
		ks_bpf_ring_refresh(&e->rings[i]);
	*held = false;
	while (n < (int)KS_BATCH_MAX) {
		const void *best = NULL;
		uint32_t best_len = 0;
		uint64_t best_ts = 0;
		unsigned best_ring = 0;

		for (unsigned i = 0; i < e->nrings; i++) {
			uint32_t len;
			const void *rec = ks_bpf_ring_peek(&e->rings[i], &len);
			uint64_t ts = 0;

			if (!rec)
				continue;
			/* a record too short for a header goes out first: the engine refuses it */
			if (len >= sizeof(struct ks_hdr))
				memcpy(&ts, rec, sizeof ts);
			if (ts > watermark) {
				*held = true;
				continue;
			}
			if (!best || ts < best_ts) {
				best = rec;
				best_len = len;
				best_ts = ts;
				best_ring = i;
			}
		}
		if (!best)
			break;
		n++;
		int stop = cb(ctx, best, best_len);

		ks_bpf_ring_advance(&e->rings[best_ring], best_len);
		if (stop)
			break;
	}
	for (unsigned i = 0; i < e->nrings; i++)
		ks_bpf_ring_publish(&e->rings[i]);
	return n;
}

/* timeout_ms < 0 waits until a record comes. */
static int ebpf_next(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms)
{
	struct ks_ebpf *e = d->priv;
	int64_t deadline = ks_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct epoll_event ev[8];

	for (;;) {
		bool held;
		int n = ks_drain_ordered(e, cb, ctx, &held), wait;

		if (n)
			return n;
		wait = KS_POLL_CAP_MS;
		if (timeout_ms >= 0) {
			int64_t left = deadline - ks_now_ms();

			if (left <= 0)
				return 0;
			if (left < wait)
				wait = (int)left;
		}
		if (held) {
			/* records younger than the slack: they are due in a moment */
			struct timespec ts = {0, KS_ORDER_SLACK_NS / 2};

			nanosleep(&ts, NULL);
			continue;
		}
		/* woken early only by a ring filling up; a signal ends the wait too */
		if (epoll_wait(e->epfd, ev, 8, wait) < 0) {
			if (errno == EINTR)
				return 0;
			int err = -errno;

			ks_log_error("waiting for the eBPF rings failed: %s", strerror(-err));
			return err;
		}
	}
}

static int ebpf_stats(struct ks_driver *d, struct ks_driver_stats *st)
{
	struct ks_ebpf *e = d->priv;
	struct ks_cpu_stats *v = calloc(e->ncpus, sizeof(*v));
	__u32 zero = 0;
	int err = 0;

	if (!v)
		return -ENOMEM;
	if (bpf_map_lookup_elem(bpf_map__fd(e->skel->maps.ks_stats), &zero, v)) {
		err = -errno;
		ks_log_error("cannot read the eBPF counters: %s", strerror(-err));
		goto out;
	}
	st->ncpus = e->ncpus < KS_MAX_CPUS ? e->ncpus : KS_MAX_CPUS;
	for (unsigned i = 0; i < e->ncpus; i++) {
		st->total.events += v[i].events;
		st->total.drops_full += v[i].drops_full;
		st->total.drops_fault += v[i].drops_fault;
		st->total.drops_bug += v[i].drops_bug;
		if (i < KS_MAX_CPUS)
			st->cpu[i] = v[i];
	}
out:
	free(v);
	return err;
}

const struct ks_driver_ops ks_driver_modern_ebpf = {
    .ordered = true,
    .kind = "modern_ebpf",
    .open = ebpf_open,
    .set_filter = ebpf_set_filter,
    .start = ebpf_start,
    .next = ebpf_next,
    .stats = ebpf_stats,
    .close = ebpf_close,
};
