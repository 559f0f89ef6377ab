/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Building one Kestrel record in the per-CPU scratch area.
 *
 * A record is laid out in place: header | u16 len[np] | parameter bytes. The data starts
 * right after the length table (np comes from the event table), and every writer appends
 * one parameter and stores its length, so the record is ready to copy out as soon as the
 * last parameter is written. Offsets are masked with KS_OFF_MASK before use so that the
 * verifier can prove every access stays inside rec[], whatever the data made them.
 */
#ifndef KS_RECORD_H
#define KS_RECORD_H

#include "vmlinux.h"

#include <bpf/bpf_helpers.h>

#include "kestrel_abi.h"

/* The probe never writes records longer than this (the ABI allows up to 64 KiB, but
 * the largest record, an exec, stays under 22 KiB with every parameter at its bound). */
#define KS_REC_LIMIT 32767u
#define KS_OFF_MASK  32767u
/* Room after KS_OFF_MASK for the largest single write (an argv or a path). */
#define KS_SCRATCH_BYTES (KS_OFF_MASK + 1 + KS_MAX_ARGS + 512)
/* Steps of a path walk (components + mount crossings); deeper paths are unavailable. */
#define KS_WALK_STEPS 64
#define KS_NAME_MAX   256u /* NAME_MAX + NUL */

struct ks_scratch {
	__u8 rec[KS_SCRATCH_BYTES];
	__u64 walk[KS_WALK_STEPS]; /* a path walk's name pointers, leaf first */
	__u64 arg[6];		   /* syscall arguments, as the caller passed them */
	/* u64, not u32: clang (BPF v1, no 32-bit subregisters) would test a zero-extended
	 * copy of a u32 and index with the original, which the verifier cannot follow */
	__u64 off;    /* end of the bytes written so far */
	__u64 n;      /* parameters written so far */
	__u64 faults; /* parameters lost to a faulting user read */
};

static __always_inline void ks_rec_begin(struct ks_scratch *s, __u64 np)
{
	s->n = 0;
	s->faults = 0;
	s->off = KS_HDR_SIZE + 2 * (np & 31);
}

/* Close the parameter that ends `len` bytes after s->off. */
static __always_inline void ks_put_len(struct ks_scratch *s, __u64 len)
{
	__u64 i = s->n;

	if (i < KS_MAX_PARAMS)
		*(__u16 *)&s->rec[KS_HDR_SIZE + 2 * i] = len;
	s->n = i + 1;
	s->off += len;
}

static __always_inline void ks_put_empty(struct ks_scratch *s)
{
	ks_put_len(s, 0);
}

/* Does a write of `n` more bytes fit? */
static __always_inline bool ks_room(struct ks_scratch *s, __u64 n)
{
	return s->off <= KS_REC_LIMIT - n;
}

static __always_inline void ks_put_u64(struct ks_scratch *s, __u64 v)
{
	if (ks_room(s, 8)) {
		*(__u64 *)&s->rec[s->off & KS_OFF_MASK] = v;
		ks_put_len(s, 8);
	} else {
		ks_put_empty(s);
	}
}

static __always_inline void ks_put_u32(struct ks_scratch *s, __u32 v)
{
	if (ks_room(s, 4)) {
		*(__u32 *)&s->rec[s->off & KS_OFF_MASK] = v;
		ks_put_len(s, 4);
	} else {
		ks_put_empty(s);
	}
}

/* A NUL-terminated string from user memory, at most `max` bytes with its NUL.
 * A NULL pointer is "not given" (empty, no fault); a faulting read counts a fault. */
static __always_inline void ks_put_user_str(struct ks_scratch *s, const void *uptr, __u64 max)
{
	long n = 0;

	if (uptr && ks_room(s, max)) {
		n = bpf_probe_read_user_str(&s->rec[s->off & KS_OFF_MASK], max, uptr);
		if (n < 0)
			s->faults++;
	}
	ks_put_len(s, n > 0 ? n : 0);
}

static __always_inline void ks_put_kernel_str(struct ks_scratch *s, const void *kptr, __u64 max)
{
	long n = 0;

	if (kptr && ks_room(s, max))
		n = bpf_probe_read_kernel_str(&s->rec[s->off & KS_OFF_MASK], max, kptr);
	ks_put_len(s, n > 0 ? n : 0);
}

#endif
