/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kestrel module internals: per-CPU state, the ring, the record builder.
 *
 * A probe builds one record in its CPU's scratch buffer (preemption off from start to
 * end, so the scratch and the ring have exactly one writer), checks the parameter count
 * against the event table, and copies the record into the ring.
 */
#ifndef KS_INTERNAL_H
#define KS_INTERNAL_H

#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/types.h>

#include "kestrel_abi.h"
#include "kestrel_kmod.h"

#ifndef CONFIG_X86_64
#error "the event table holds x86_64 syscall numbers"
#endif

/* Largest record a probe writes (an exec with every parameter at its bound is ~22 KiB). */
#define KS_REC_LIMIT 32768u

struct ks_ring {
	struct ks_kmod_ring *hdr; /* page 0 of the vmalloc_user area, shared with the reader */
	u8 *data;                 /* the data pages, mapped once in the kernel */
	u64 size;                 /* data bytes, a power of two */
	u64 head;                 /* the module's own copy; the shared one is only published */
};

struct ks_cpu {
	unsigned int cpu;
	struct ks_ring __rcu *ring; /* NULL until the reader maps the device */
	struct ks_cpu_stats stats;  /* written only on this CPU with preemption off */
	u8 *scratch;                /* KS_REC_LIMIT + KS_MAX_PATH bytes */
	struct mutex lock;          /* open/mmap/release of this device */
	bool open;
	char name[24];
	struct miscdevice misc;
};

/* The record being built. */
struct ks_rec {
	u8 *buf;    /* scratch: header, length table, parameters */
	u8 *tmp;    /* KS_MAX_PATH bytes for d_path and friends */
	u32 off;    /* end of the bytes written so far */
	u32 n;      /* parameters written so far */
	u32 faults; /* parameters lost to a faulting user read */
};

extern struct ks_cpu **ks_cpus;  /* indexed by CPU id, for every possible CPU */
extern u8 ks_filter[KS_FILTER_BYTES];
extern int ks_capture;
extern pid_t ks_ignore_tgid;

/* ks_ring.c */
struct ks_ring *ks_ring_alloc(unsigned int cpu, u64 size);
void ks_ring_free(struct ks_ring *r);
int ks_ring_mmap(struct ks_ring *r, struct vm_area_struct *vma);
void ks_ring_write(struct ks_cpu *c, struct ks_ring *r, const void *rec, u32 len);
void ks_ring_sync_stats(struct ks_cpu *c, struct ks_ring *r);

/* ks_probe.c */
int ks_probes_register(void);
void ks_probes_unregister(void);
void ks_probe_init_table(void);

/* ks_fill.c: each appends exactly one parameter (possibly empty) */
void ks_put_raw(struct ks_rec *r, const void *p, u32 len);
/* Close a parameter whose len bytes were written in place at r->buf + r->off. */
void ks_put_len(struct ks_rec *r, u32 len);
void ks_put_empty(struct ks_rec *r);
void ks_put_u64(struct ks_rec *r, u64 v);
void ks_put_u32(struct ks_rec *r, u32 v);
void ks_put_user_area(struct ks_rec *r, unsigned long start, unsigned long end);
void ks_put_user_str(struct ks_rec *r, unsigned long uptr, u32 max);
void ks_put_kernel_str(struct ks_rec *r, const char *s, u32 max);
void ks_fill_exec(struct ks_rec *r, s64 ret, unsigned long filename);
void ks_fill_clone(struct ks_rec *r, s64 ret, u64 flags, bool have_flags);
s64 ks_reaper(struct task_struct *p);
void ks_put_cur_caps(struct ks_rec *r);
bool ks_room(struct ks_rec *r, u32 n);
/* Copy up to max bytes of a NUL-terminated user string to dst without faulting.
 * Returns its length with the NUL, 0 for NULL, or -EFAULT. */
long ks_user_str(char *dst, unsigned long uptr, u32 max);

/* ks_fill_ext.c: the ABI 2 events; false for a type it does not know */
bool ks_fill_ext(struct ks_rec *r, u32 type, s64 ret, const unsigned long *a);

/* ks_net.c */
void ks_put_sockaddr(struct ks_rec *r, unsigned long uaddr, long ulen);
void ks_put_tuple(struct ks_rec *r, s64 fd);
/* The kernel's struct sock behind fd, as an id (0 if fd is not a socket). */
u64 ks_sock_id(s64 fd);

#endif
