#include "driver.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const struct ks_driver_ops *const backends[] = {
    &ks_driver_modern_ebpf,
    &ks_driver_replay,
    &ks_driver_kmod,
};

static const struct ks_driver_ops *find_backend(const char *kind)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->kind, kind) == 0)
			return backends[i];
	return NULL;
}

int ks_driver_open(const struct ks_driver_opts *o, struct ks_driver **out)
{
	const char *kind = o->kind && *o->kind ? o->kind : "auto";
	if (strcmp(kind, "auto") == 0)
		kind = access("/dev/kestrel0", F_OK) == 0 && find_backend("kmod") ? "kmod"
										  : "modern_ebpf";
	const struct ks_driver_ops *ops = find_backend(kind);
	if (!ops) {
		ks_log_error("engine.kind '%s' is not available (kinds: modern_ebpf, kmod, auto; "
			     "replay with -e FILE)",
			     kind);
		return -ENOENT;
	}
	struct ks_driver *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->ops = ops;
	struct ks_driver_opts copy = *o;
	copy.kind = kind;
	int err = ops->open(d, &copy);
	if (err) {
		free(d);
		return err;
	}
	*out = d;
	return 0;
}

int ks_driver_set_filter(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES])
{
	return d->ops->set_filter(d, filter);
}

int ks_driver_start(struct ks_driver *d)
{
	return d->ops->start(d);
}

int ks_driver_next(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms)
{
	return d->ops->next(d, cb, ctx, timeout_ms);
}

int ks_driver_stats(struct ks_driver *d, struct ks_driver_stats *st)
{
	memset(st, 0, sizeof(*st));
	return d->ops->stats(d, st);
}

void ks_driver_close(struct ks_driver *d)
{
	if (!d)
		return;
	d->ops->close(d);
	free(d);
}

const char *ks_driver_kind(const struct ks_driver *d)
{
	return d->ops->kind;
}
