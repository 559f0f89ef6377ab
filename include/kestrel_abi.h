/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Kestrel record ABI, shared by the kernel module, the eBPF probe and userspace.
 *
 * Fixed-width types only and no kernel or libc headers, so the same file builds in all
 * three places. A record is:
 *
 *   struct ks_hdr | u16 len[nparams] | param bytes, back to back, in table order
 *
 * hdr.len covers the whole record, so a reader can validate every record from the
 * lengths alone: 24 + 2 * nparams + sum(len[i]) == hdr.len. A parameter of length 0
 * means "not available" (the probe could not read it). Strings carry their NUL.
 */
#ifndef KESTREL_ABI_H
#define KESTREL_ABI_H

#ifdef __KERNEL__
#include <linux/types.h>
typedef __u8 ks_u8;
typedef __u16 ks_u16;
typedef __u32 ks_u32;
typedef __u64 ks_u64;
typedef __s64 ks_s64;
#elif defined(__bpf__)
/* vmlinux.h provides __u8 .. __s64 */
typedef __u8 ks_u8;
typedef __u16 ks_u16;
typedef __u32 ks_u32;
typedef __u64 ks_u64;
typedef __s64 ks_s64;
#else
#include <stdint.h>
typedef uint8_t ks_u8;
typedef uint16_t ks_u16;
typedef uint32_t ks_u32;
typedef uint64_t ks_u64;
typedef int64_t ks_s64;
#endif

#define KS_ABI_VERSION 5

struct ks_hdr {
	ks_u64 ts;	/* CLOCK_BOOTTIME, ns; userspace adds the boot-to-epoch offset */
	ks_u32 tid;	/* thread id (kernel pid) */
	ks_u32 pid;	/* thread-group id (kernel tgid) */
	ks_u32 len;	/* whole record, header included */
	ks_u16 type;	/* enum ks_event_type */
	ks_u16 nparams; /* must equal the table's count for type */
};

#define KS_HDR_SIZE   24u
#define KS_MAX_PARAMS 24u
#define KS_MAX_RECORD 65535u /* a record's len never exceeds this */

/* Upper bounds of variable-size parameters as written by the producers. */
#define KS_MAX_PATH	4096u /* file paths, cwd, exe path */
#define KS_MAX_ARGS	4096u /* argv, NUL separated */
#define KS_MAX_COMM	16u   /* TASK_COMM_LEN */
#define KS_MAX_SOCKADDR 112u  /* family + sockaddr_un path */
#define KS_MAX_CGROUP	1024u

/* The syscall filter: one bit per x86_64 syscall number; set means "capture". */
#define KS_MAX_SYSCALLS 512u
#define KS_FILTER_BYTES (KS_MAX_SYSCALLS / 8u)

/* Per-CPU counters, the same in both drivers. */
struct ks_cpu_stats {
	ks_u64 events;	    /* records written to the ring */
	ks_u64 drops_full;  /* records lost because the ring was full */
	ks_u64 drops_fault; /* parameters lost because a user read faulted */
	ks_u64 drops_bug;   /* records refused by the producer's own table check */
};

/*
 * Socket address parameter (KS_PT_SOCKADDR): u8 family, then
 *   AF_INET:  u32 addr (network order), u16 port (host order)       -> 7 bytes
 *   AF_INET6: u8 addr[16], u16 port (host order)                    -> 19 bytes
 *   AF_UNIX:  path bytes, NUL terminated                            -> 1 + n
 * Socket tuple parameter (KS_PT_SOCKTUPLE): u8 family, then
 *   AF_INET:  u32 saddr, u32 daddr, u16 sport, u16 dport            -> 13 bytes
 *   AF_INET6: u8 saddr[16], u8 daddr[16], u16 sport, u16 dport      -> 37 bytes
 *   AF_UNIX:  u64 source, u64 dest (kernel socket ids), path NUL    -> 17 + n
 * "s" is the local end, "d" the remote end, as seen by the calling process.
 */
#define KS_AF_UNIX  1
#define KS_AF_INET  2
#define KS_AF_INET6 10

#include "kestrel_events.h"

#endif
