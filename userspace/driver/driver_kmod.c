/*
 * The kernel module driver: kmod/ exposes one ring per CPU as /dev/kestrel<N>
 * (layout in include/kestrel_kmod.h). open() maps the ring of every online CPU, next()
 * drains them. The module never wakes the reader: next() polls every KS_KMOD_POLL_MS.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"
#include "kestrel_kmod.h"
#include "log.h"

#define KS_KMOD_DEFAULT_DATA (8ull << 20)
#define KS_KMOD_POLL_MS	     2
/* Records taken from one ring before moving to the next, so no CPU starves the others. */
#define KS_KMOD_BATCH 4096

struct ks_kmod_cpu {
	int fd;
	unsigned cpu;
	struct ks_kmod_ring *hdr;
	const uint8_t *data;
	uint64_t size;
	uint64_t tail; /* our copy; the shared one is only published */
};

struct ks_kmod {
	unsigned n;
	struct ks_kmod_cpu c[KS_MAX_CPUS];
};

/* Online CPUs from /sys ("0-3,5"); falls back to 0..nprocs-1. Returns the count. */
static unsigned ks_online_cpus(unsigned *out, unsigned max)
{
	char buf[1024];
	unsigned n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/online", "re");

	if (f && fgets(buf, sizeof buf, f)) {
		for (char *p = buf; *p && *p != '\n';) {
			char *end;
			unsigned long a = strtoul(p, &end, 10), b = a;

			if (end == p)
				break;
			if (*end == '-')
				b = strtoul(end + 1, &end, 10);
			for (unsigned long i = a; i <= b && n < max; i++)
				out[n++] = (unsigned)i;
			p = *end == ',' ? end + 1 : end;
		}
	}
	if (f)
		fclose(f);
	if (n == 0) {
		long np = sysconf(_SC_NPROCESSORS_ONLN);

		for (long i = 0; i < np && n < max; i++)
			out[n++] = (unsigned)i;
	}
	return n;
}

static void ks_kmod_unmap(struct ks_kmod *k)
{
	for (unsigned i = 0; i < k->n; i++) {
		struct ks_kmod_cpu *c = &k->c[i];

		if (c->hdr)
			munmap(c->hdr, KS_KMOD_MAP_SIZE(c->size));
		if (c->fd >= 0)
			close(c->fd);
	}
	k->n = 0;
}

static int ks_kmod_open_cpu(struct ks_kmod_cpu *c, unsigned cpu, uint64_t size)
{
	char path[64];
	void *map;
	int abi;

	c->cpu = cpu;
	c->size = size;
	snprintf(path, sizeof path, KS_KMOD_DEV_PREFIX "%u", cpu);
	c->fd = open(path, O_RDWR | O_CLOEXEC);
	if (c->fd < 0) {
		int err = -errno;

		if (err == -ENOENT)
			ks_log_error(
			    "%s not found: the kestrel kernel module is not loaded; install it "
			    "with `make dkms-install` and `modprobe kestrel`, or use "
			    "engine.kind=modern_ebpf",
			    path);
		else if (err == -EBUSY)
			ks_log_error("%s is busy: another consumer (another kestrel?) has it open",
				     path);
		else
			ks_log_error("cannot open %s: %s", path, strerror(-err));
		return err;
	}
	abi = ioctl(c->fd, KS_IOC_ABI_VERSION);
	if (abi != KS_ABI_VERSION) {
		ks_log_error("%s speaks record ABI %d, this engine %u: load the module built from "
			     "this release",
			     path, abi, KS_ABI_VERSION);
		return -EPROTO;
	}
	map = mmap(NULL, KS_KMOD_MAP_SIZE(size), PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (map == MAP_FAILED) {
		int err = -errno;

		ks_log_error("cannot map the ring of %s (%llu bytes): %s", path,
			     (unsigned long long)size, strerror(-err));
		return err;
	}
	c->hdr = map;
	c->data = (const uint8_t *)map + KS_KMOD_PAGE;
	if (c->hdr->data_size != size || c->hdr->cpu != cpu) {
		ks_log_error("%s: ring header says %llu bytes for CPU %u, expected %llu for CPU %u",
			     path, (unsigned long long)c->hdr->data_size, c->hdr->cpu,
			     (unsigned long long)size, cpu);
		return -EPROTO;
	}
	c->tail = __atomic_load_n(&c->hdr->tail, __ATOMIC_ACQUIRE);
	return 0;
}

static int kmod_open(struct ks_driver *d, const struct ks_driver_opts *o)
{
	uint64_t size = o->buf_bytes_per_cpu ? o->buf_bytes_per_cpu : KS_KMOD_DEFAULT_DATA;
	unsigned cpus[KS_MAX_CPUS], n;
	struct ks_kmod *k;
	uint32_t self = (uint32_t)getpid();
	int err;

	if (size < KS_KMOD_MIN_DATA || size > KS_KMOD_MAX_DATA || (size & (size - 1))) {
		ks_log_error(
		    "kmod: ring size %llu per CPU must be a power of two between %u and %u",
		    (unsigned long long)size, KS_KMOD_MIN_DATA, KS_KMOD_MAX_DATA);
		return -EINVAL;
	}
	if (o->cpus_per_buffer > 1)
		ks_log_warn(
		    "kmod: the module keeps one ring per CPU; cpus_for_each_buffer=%u ignored",
		    o->cpus_per_buffer);
	n = ks_online_cpus(cpus, KS_MAX_CPUS);
	k = calloc(1, sizeof(*k));
	if (!k) {
		ks_log_error("kmod: out of memory");
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		k->c[i].fd = -1;
		k->n = i + 1;
		err = ks_kmod_open_cpu(&k->c[i], cpus[i], size);
		if (err)
			goto fail;
	}
	/* the engine's own syscalls would come back as events: never capture them */
	if (ioctl(k->c[0].fd, KS_IOC_SET_IGNORE_TGID, &self) < 0) {
		err = -errno;
		ks_log_error("kmod: cannot exclude the engine's own process: %s", strerror(-err));
		goto fail;
	}
	d->priv = k;
	return 0;
fail:
	ks_kmod_unmap(k);
	free(k);
	return err;
}

static int kmod_ioctl(struct ks_driver *d, unsigned long req, void *arg, const char *what)
{
	struct ks_kmod *k = d->priv;

	if (ioctl(k->c[0].fd, req, arg) < 0) {
		int err = -errno;

		ks_log_error("kmod: %s failed: %s", what, strerror(-err));
		return err;
	}
	return 0;
}

static int kmod_set_filter(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES])
{
	struct ks_kmod_filter f;

	memcpy(f.bits, filter, KS_FILTER_BYTES);
	return kmod_ioctl(d, KS_IOC_SET_FILTER, &f, "setting the syscall filter");
}

static int kmod_start(struct ks_driver *d)
{
	return kmod_ioctl(d, KS_IOC_START, NULL, "starting capture");
}

/* Deliver up to KS_KMOD_BATCH records of one ring. Returns the count, or -ECANCELED
 * (after publishing the tail) when the callback asked to stop. */
static int ks_kmod_drain(struct ks_kmod_cpu *c, ks_record_cb cb, void *ctx, int *count)
{
	uint64_t head = __atomic_load_n(&c->hdr->head, __ATOMIC_ACQUIRE);
	int n = 0, stop = 0;

	if (head - c->tail > c->size) {
		ks_log_error("kmod: CPU %u ring positions are inconsistent (head %llu, tail %llu): "
			     "skipping its content",
			     c->cpu, (unsigned long long)head, (unsigned long long)c->tail);
		c->tail = head;
	}
	while (c->tail != head && n < KS_KMOD_BATCH && !stop) {
		const uint8_t *rec = c->data + (c->tail & (c->size - 1));
		uint64_t avail = head - c->tail;
		struct ks_hdr h;

		if (avail >= KS_HDR_SIZE)
			memcpy(&h, rec, sizeof h);
		if (avail < KS_HDR_SIZE || h.len < KS_HDR_SIZE || h.len > avail ||
		    h.len > KS_MAX_RECORD) {
			ks_log_error(
			    "kmod: CPU %u: bad record (length %u, %llu bytes left): skipping "
			    "the rest of the ring",
			    c->cpu, avail < KS_HDR_SIZE ? 0 : h.len, (unsigned long long)avail);
			c->tail = head;
			break;
		}
		stop = cb(ctx, rec, h.len);
		c->tail += KS_KMOD_ALIGN((uint64_t)h.len);
		n++;
	}
	/* release: we are done reading everything before tail */
	__atomic_store_n(&c->hdr->tail, c->tail, __ATOMIC_RELEASE);
	*count += n;
	return stop ? -ECANCELED : 0;
}

static int kmod_next(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms)
{
	struct ks_kmod *k = d->priv;
	int waited = 0;

	for (;;) {
		int count = 0;

		for (unsigned i = 0; i < k->n; i++)
			if (ks_kmod_drain(&k->c[i], cb, ctx, &count) == -ECANCELED)
				return count;
		if (count > 0)
			return count;
		if (timeout_ms >= 0 && waited >= timeout_ms)
			return 0;
		struct timespec ts = {0, KS_KMOD_POLL_MS * 1000000L};

		nanosleep(&ts, NULL);
		waited += KS_KMOD_POLL_MS;
	}
}

static int kmod_stats(struct ks_driver *d, struct ks_driver_stats *st)
{
	struct ks_kmod *k = d->priv;

	for (unsigned i = 0; i < k->n; i++) {
		struct ks_kmod_cpu *c = &k->c[i];
		struct ks_cpu_stats s;

		if (ioctl(c->fd, KS_IOC_GET_STATS, &s) < 0) {
			int err = -errno;

			ks_log_error("kmod: reading the counters of CPU %u failed: %s", c->cpu,
				     strerror(-err));
			return err;
		}
		if (c->cpu < KS_MAX_CPUS) {
			st->cpu[c->cpu] = s;
			if (c->cpu + 1 > st->ncpus)
				st->ncpus = c->cpu + 1;
		}
		st->total.events += s.events;
		st->total.drops_full += s.drops_full;
		st->total.drops_fault += s.drops_fault;
		st->total.drops_bug += s.drops_bug;
	}
	return 0;
}

static void kmod_close(struct ks_driver *d)
{
	struct ks_kmod *k = d->priv;

	if (!k)
		return;
	if (k->n && k->c[0].fd >= 0)
		ioctl(k->c[0].fd, KS_IOC_STOP);
	ks_kmod_unmap(k);
	free(k);
	d->priv = NULL;
}

const struct ks_driver_ops ks_driver_kmod = {
    .kind = "kmod",
    .open = kmod_open,
    .set_filter = kmod_set_filter,
    .start = kmod_start,
    .next = kmod_next,
    .stats = kmod_stats,
    .close = kmod_close,
};
