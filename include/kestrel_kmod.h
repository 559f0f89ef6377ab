/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The kernel module's interface to userspace: one misc device per possible CPU,
 * /dev/kestrel<N>, each holding that CPU's ring of records (see kestrel_abi.h).
 *
 * mmap(fd, offset 0, length KS_KMOD_MAP_SIZE(data)) maps
 *
 *   [ struct ks_kmod_ring, one page ][ data, `data` bytes ][ the same data again ]
 *
 * `data` is chosen by the reader (a power of two in [KS_KMOD_MIN_DATA, KS_KMOD_MAX_DATA]),
 * and the ring is allocated by the first mmap of the device. Because the data is mapped
 * twice back to back a record never wraps: the record at position p starts at
 * data + (p & (data - 1)) and is contiguous for its whole length.
 *
 * head and tail are free-running byte positions. The module writes records at head and
 * publishes head with release semantics; the reader consumes from tail and publishes tail
 * with release semantics. Every record starts 8-byte aligned: after a record of length
 * len the next one is KS_KMOD_ALIGN(len) further. A full ring drops the record and counts
 * it in stats.drops_full; the module never waits for the reader.
 *
 * The stats in the header page are a copy for cheap reading; KS_IOC_GET_STATS returns
 * the module's own counters (the reader can scribble on its mapping).
 */
#ifndef KESTREL_KMOD_H
#define KESTREL_KMOD_H

#ifdef __KERNEL__
#include <linux/ioctl.h>
#else
#include <sys/ioctl.h>
#endif

#include "kestrel_abi.h"

#define KS_KMOD_NAME	   "kestrel"
#define KS_KMOD_DEV_PREFIX "/dev/kestrel"

#define KS_KMOD_PAGE	       4096u
#define KS_KMOD_MIN_DATA       (128u << 10) /* holds two records of KS_MAX_RECORD */
#define KS_KMOD_MAX_DATA       (256u << 20)
#define KS_KMOD_ALIGN(len)     (((len) + 7u) & ~7u)
#define KS_KMOD_MAP_SIZE(data) (KS_KMOD_PAGE + 2u * (ks_u64)(data))

struct ks_kmod_ring {
	ks_u64 head; /* written by the module */
	ks_u8 pad0[56];
	ks_u64 tail; /* written by the reader */
	ks_u8 pad1[56];
	ks_u32 abi_version; /* KS_ABI_VERSION */
	ks_u32 cpu;
	ks_u64 data_size;
	ks_u8 pad2[48];
	struct ks_cpu_stats stats;
};

struct ks_kmod_filter {
	ks_u8 bits[KS_FILTER_BYTES]; /* bit n: capture x86_64 syscall n */
};

#define KS_IOC_MAGIC 0xb5
/* Which syscalls to capture; applies to all CPUs. Initially none. */
#define KS_IOC_SET_FILTER _IOW(KS_IOC_MAGIC, 1, struct ks_kmod_filter)
/* Start and stop writing records (all CPUs). Closing the last device also stops. */
#define KS_IOC_START _IO(KS_IOC_MAGIC, 2)
#define KS_IOC_STOP  _IO(KS_IOC_MAGIC, 3)
/* This device's CPU counters since the first device was opened. */
#define KS_IOC_GET_STATS _IOR(KS_IOC_MAGIC, 4, struct ks_cpu_stats)
/* Never capture this process (a pid as the caller sees it; 0: capture everything).
 * Defaults to the process that opened the first device. */
#define KS_IOC_SET_IGNORE_TGID _IOW(KS_IOC_MAGIC, 5, ks_u32)
/* KS_ABI_VERSION of the module, as the return value. */
#define KS_IOC_ABI_VERSION _IO(KS_IOC_MAGIC, 6)

#endif
