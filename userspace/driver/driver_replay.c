/*
 * The replay driver: records from a capture file (-e FILE), delivered in batches exactly
 * as a kernel driver delivers them. Lengths are checked before a record is handed out; the
 * engine then validates each record as it does live ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "driver.h"
#include "log.h"

#define BATCH 4096

struct replay {
	uint8_t *map;
	size_t size, off, end;
	uint64_t boot_to_epoch_ns;
	uint64_t records, bad;
	char *path;
};

static int replay_open(struct ks_driver *d, const struct ks_driver_opts *o)
{
	if (!o->replay_file) {
		ks_log_error("engine.kind=replay needs a capture file (-e FILE)");
		return -EINVAL;
	}
	int fd = open(o->replay_file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;
		ks_log_error("cannot open capture file %s: %s", o->replay_file, strerror(errno));
		return err;
	}
	struct ks_capture_hdr h;
	struct stat st;
	int rc = ks_capture_read_header(fd, o->replay_file, &h);
	if (!rc && fstat(fd, &st) != 0)
		rc = -errno;
	struct replay *r = rc ? NULL : calloc(1, sizeof(*r));
	if (!rc && !r)
		rc = -ENOMEM;
	if (!rc) {
		r->size = (size_t)st.st_size;
		r->map = mmap(NULL, r->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (r->map == MAP_FAILED) {
			rc = -errno;
			ks_log_error("cannot map capture file %s: %s", o->replay_file,
				     strerror(errno));
			free(r);
		}
	}
	close(fd);
	if (rc)
		return rc;
	r->off = KS_CAPTURE_HDR;
	if (h.record_bytes && KS_CAPTURE_HDR + h.record_bytes > r->size)
		ks_log_warn(
		    "capture file %s is truncated: %zu of %llu record bytes; replaying what "
		    "is there",
		    o->replay_file, r->size - KS_CAPTURE_HDR, (unsigned long long)h.record_bytes);
	else if (!h.record_bytes && r->size > KS_CAPTURE_HDR)
		ks_log_warn("capture file %s was not closed by its writer; replaying what is there",
			    o->replay_file);
	/* A file whose writer died keeps record_bytes 0: replay what is there. */
	r->end = h.record_bytes && KS_CAPTURE_HDR + h.record_bytes <= r->size
		     ? KS_CAPTURE_HDR + h.record_bytes
		     : r->size;
	r->boot_to_epoch_ns = h.boot_to_epoch_ns;
	r->path = strdup(o->replay_file);
	d->priv = r;
	return 0;
}

static int replay_set_filter(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES])
{
	(void)d, (void)filter; /* a capture holds what it holds */
	return 0;
}

static int replay_start(struct ks_driver *d)
{
	(void)d;
	return 0;
}

static int replay_next(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms)
{
	(void)timeout_ms;
	struct replay *r = d->priv;
	int n = 0;
	while (n < BATCH && r->off + KS_HDR_SIZE <= r->end) {
		const struct ks_hdr *h = (const struct ks_hdr *)(r->map + r->off);
		size_t padded = ((size_t)h->len + 7u) & ~(size_t)7u;
		if (h->len < KS_HDR_SIZE || padded > r->end - r->off) {
			ks_log_error("capture file %s: record at offset %zu has a bad length %u; "
				     "stopping the replay there",
				     r->path, r->off, h->len);
			r->bad++;
			r->off = r->end;
			break;
		}
		r->off += padded;
		r->records++;
		n++;
		if (cb(ctx, h, h->len))
			break;
	}
	if (n == 0 && r->off + KS_HDR_SIZE > r->end)
		return -ENODATA;
	return n;
}

static int replay_stats(struct ks_driver *d, struct ks_driver_stats *st)
{
	struct replay *r = d->priv;
	st->ncpus = 1;
	st->total.events = r->records;
	st->total.drops_bug = r->bad;
	st->cpu[0] = st->total;
	return 0;
}

static void replay_close(struct ks_driver *d)
{
	struct replay *r = d->priv;
	if (!r)
		return;
	munmap(r->map, r->size);
	free(r->path);
	free(r);
}

uint64_t ks_driver_replay_boot_offset(const struct ks_driver *d)
{
	return strcmp(d->ops->kind, "replay") == 0 ? ((struct replay *)d->priv)->boot_to_epoch_ns
						   : 0;
}

const struct ks_driver_ops ks_driver_replay = {
    .kind = "replay",
    .ordered = true, /* captures are written in order */
    .open = replay_open,
    .set_filter = replay_set_filter,
    .start = replay_start,
    .next = replay_next,
    .stats = replay_stats,
    .close = replay_close,
};
