/*
 * Capture drivers: one small interface, one backend per file (driver_<kind>.c).
 * Kinds: "modern_ebpf" (bpf/), "kmod" (kmod/, /dev/kestrel<N>), "replay" (capture file).
 */
#ifndef KS_DRIVER_H
#define KS_DRIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kestrel_abi.h"

#define KS_MAX_CPUS 256

struct ks_driver;

struct ks_driver_opts {
	const char *kind;	    /* "modern_ebpf", "kmod", "replay", "auto" */
	const char *replay_file;    /* for "replay" */
	uint64_t buf_bytes_per_cpu; /* ring size per CPU (or per group); 0 = default (8 MiB) */
	unsigned cpus_per_buffer;   /* Falco's cpus_for_each_buffer; 0 or 1 = one ring per CPU */
};

struct ks_driver_stats {
	unsigned ncpus;
	struct ks_cpu_stats total;
	struct ks_cpu_stats cpu[KS_MAX_CPUS];
};

/*
 * Called once per raw record, in ring order. The record is only valid during the call.
 * Return 0 to go on, non-zero to stop the batch early (ks_driver_next then returns).
 */
typedef int (*ks_record_cb)(void *ctx, const void *rec, size_t len);

/* Backend vtable; each driver_<kind>.c defines one. */
struct ks_driver_ops {
	const char *kind;
	/* next() delivers records in timestamp order across CPUs (else the engine sorts) */
	bool ordered;
	int (*open)(struct ks_driver *d, const struct ks_driver_opts *o);
	int (*set_filter)(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES]);
	int (*start)(struct ks_driver *d);
	int (*next)(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms);
	int (*stats)(struct ks_driver *d, struct ks_driver_stats *st);
	void (*close)(struct ks_driver *d);
};

struct ks_driver {
	const struct ks_driver_ops *ops;
	void *priv; /* backend state */
};

/* Open the driver of o->kind ("auto": kmod if /dev/kestrel0 exists, else modern_ebpf).
 * Returns 0 or a negative errno, and logs why on failure. */
int ks_driver_open(const struct ks_driver_opts *o, struct ks_driver **out);
/* Which syscalls to capture (bit n = x86_64 syscall n). May be called while running. */
int ks_driver_set_filter(struct ks_driver *d, const uint8_t filter[KS_FILTER_BYTES]);
int ks_driver_start(struct ks_driver *d);
/* Deliver the records that are ready, waiting at most timeout_ms for some.
 * Returns the number delivered (0 on timeout), or a negative errno; -ENODATA at the end
 * of a replay. */
int ks_driver_next(struct ks_driver *d, ks_record_cb cb, void *ctx, int timeout_ms);
int ks_driver_stats(struct ks_driver *d, struct ks_driver_stats *st);
void ks_driver_close(struct ks_driver *d);
const char *ks_driver_kind(const struct ks_driver *d);

extern const struct ks_driver_ops ks_driver_modern_ebpf;
extern const struct ks_driver_ops ks_driver_replay;
extern const struct ks_driver_ops ks_driver_kmod;

/* For replay: the boot-to-epoch offset the capture was written with (0 for live kinds). */
uint64_t ks_driver_replay_boot_offset(const struct ks_driver *d);

#endif
