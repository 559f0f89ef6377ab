#include "capture.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kestrel_abi.h"
#include "log.h"

struct ks_capture {
	FILE *f;
	char *path;
	struct ks_capture_hdr hdr;
	int err;
};

static int write_header(struct ks_capture *c)
{
	if (fseek(c->f, 0, SEEK_SET) != 0 || fwrite(&c->hdr, sizeof c->hdr, 1, c->f) != 1)
		return -errno ? -errno : -EIO;
	return 0;
}

int ks_capture_open(const char *path, uint64_t boot_to_epoch_ns, struct ks_capture **out)
{
	_Static_assert(sizeof(struct ks_capture_hdr) == KS_CAPTURE_HDR, "capture header size");
	struct ks_capture *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->f = fopen(path, "wb");
	if (!c->f) {
		int err = -errno;
		ks_log_error("cannot create capture file %s: %s", path, strerror(errno));
		free(c);
		return err;
	}
	setvbuf(c->f, NULL, _IOFBF, 1 << 20);
	c->path = strdup(path);
	memcpy(c->hdr.magic, KS_CAPTURE_MAGIC, 8);
	c->hdr.abi_version = KS_ABI_VERSION;
	c->hdr.header_size = KS_CAPTURE_HDR;
	c->hdr.boot_to_epoch_ns = boot_to_epoch_ns;
	int rc = write_header(c);
	if (rc) {
		ks_log_error("cannot write capture file %s: %s", path, strerror(-rc));
		fclose(c->f);
		free(c->path);
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int ks_capture_write(struct ks_capture *c, const void *rec, size_t len)
{
	static const uint8_t pad[8];
	size_t padded = (len + 7u) & ~(size_t)7u;
	if (c->err)
		return c->err;
	if (fwrite(rec, 1, len, c->f) != len ||
	    fwrite(pad, 1, padded - len, c->f) != padded - len) {
		c->err = errno ? -errno : -EIO;
		ks_log_error("writing capture file %s failed: %s; capture stopped", c->path,
			     strerror(-c->err));
		return c->err;
	}
	c->hdr.record_bytes += padded;
	return 0;
}

int ks_capture_close(struct ks_capture *c)
{
	if (!c)
		return 0;
	int rc = c->err;
	if (!rc)
		rc = write_header(c);
	if (fclose(c->f) != 0 && !rc)
		rc = -errno;
	if (rc)
		ks_log_error("capture file %s is incomplete: %s", c->path, strerror(-rc));
	free(c->path);
	free(c);
	return rc;
}

int ks_capture_read_header(int fd, const char *path, struct ks_capture_hdr *h)
{
	ssize_t n = pread(fd, h, sizeof *h, 0);
	if (n != (ssize_t)sizeof *h || memcmp(h->magic, KS_CAPTURE_MAGIC, 8) != 0) {
		ks_log_error("%s is not a Kestrel capture file (bad header)", path);
		return -EINVAL;
	}
	if (h->abi_version != KS_ABI_VERSION || h->header_size != KS_CAPTURE_HDR) {
		ks_log_error("%s was written with record ABI %u; this Kestrel reads ABI %u", path,
			     h->abi_version, KS_ABI_VERSION);
		return -EINVAL;
	}
	return 0;
}
