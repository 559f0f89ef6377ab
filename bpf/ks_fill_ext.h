/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Parameters of the ABI 2 events: descriptors, ids, working directories and the file,
 * module and namespace syscalls the Falco rules name. One global function, so the
 * verifier checks this switch once, not at every call site of ks_fill.
 *
 * Everything user-supplied is read with a bound (strings at most KS_MAX_PATH, structs
 * by their fixed size); a NULL pointer is "not given", a fault is counted.
 */
#ifndef KS_FILL_EXT_H
#define KS_FILL_EXT_H

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "kestrel_abi.h"
#include "ks_net.h"
#include "ks_record.h"

#define KS_PR_SET_NAME	  15
#define KS_PR_GET_NAME	  16
#define KS_MS_MGC_MSK	  0xffff0000u
#define KS_MS_MGC_VAL	  0xc0ed0000u
#define KS_MEMFD_NAME_MAX 256u
#define KS_FSTYPE_MAX	  256u

/* The open file behind fd in the current task, or NULL. */
static __always_inline struct file *ks_fd_file(__s64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	return f;
}

static __always_inline void ks_put_fdarg(struct ks_scratch *s, __u64 a)
{
	ks_put_u64(s, (__s64)(int)a); /* fds are ints: sign-extend AT_FDCWD */
}

static __always_inline void ks_put_upath(struct ks_scratch *s, __u64 uptr)
{
	ks_put_user_str(s, (const void *)uptr, KS_MAX_PATH);
}

/* pipe/pipe2/socketpair: the two fds the kernel wrote to user memory (on success). */
static __always_inline bool ks_read_fd_pair(struct ks_scratch *s, __u64 uptr, __s64 ret, int fds[2])
{
	if (ret != 0 || !uptr)
		return false;
	if (bpf_probe_read_user(fds, 2 * sizeof(int), (void *)uptr)) {
		s->faults++;
		return false;
	}
	return true;
}

static __always_inline void ks_put_fd_pair(struct ks_scratch *s, bool ok, int fds[2])
{
	if (ok) {
		ks_put_u64(s, (__s64)fds[0]);
		ks_put_u64(s, (__s64)fds[1]);
	} else {
		ks_put_empty(s);
		ks_put_empty(s);
	}
}

/* The sets the calling thread holds now (u64, or u32[2] before 6.3: same bytes). */
static __always_inline void ks_put_caps(struct ks_scratch *s)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(t, cred);
	__u64 caps = 0;

	bpf_core_read(&caps, sizeof(caps), &cred->cap_inheritable);
	ks_put_u64(s, caps);
	bpf_core_read(&caps, sizeof(caps), &cred->cap_permitted);
	ks_put_u64(s, caps);
	bpf_core_read(&caps, sizeof(caps), &cred->cap_effective);
	ks_put_u64(s, caps);
}

/* io_uring_setup: struct io_uring_params starts with sq_entries, cq_entries, flags,
 * sq_thread_cpu, sq_thread_idle, features (u32 each), filled in by the kernel. */
static __always_inline void ks_put_uring_params(struct ks_scratch *s, __u64 uptr, __s64 ret)
{
	__u32 p[6];

	if (ret >= 0 && uptr && !bpf_probe_read_user(p, sizeof(p), (void *)uptr)) {
		ks_put_u32(s, p[0]);
		ks_put_u32(s, p[1]);
		ks_put_u32(s, p[2]);
		ks_put_u32(s, p[3]);
		ks_put_u32(s, p[4]);
		ks_put_u32(s, p[5]);
		return;
	}
	if (ret >= 0 && uptr)
		s->faults++;
	for (int i = 0; i < 6; i++)
		ks_put_empty(s);
}

/* A sigset_t the caller passed (its first 64 signals). */
static __always_inline void ks_put_sigmask(struct ks_scratch *s, __u64 uptr, __u64 size)
{
	__u64 mask;

	if (uptr && size >= sizeof(mask)) {
		if (!bpf_probe_read_user(&mask, sizeof(mask), (void *)uptr)) {
			ks_put_u64(s, mask);
			return;
		}
		s->faults++;
	}
	ks_put_empty(s);
}

/*
 * Fill an ABI 2 event in table order. Returns 1 if `type` is one of them, 0 otherwise
 * (the caller counts that as a bug: a table entry without a filler).
 */
__noinline int ks_fill_ext(struct ks_scratch *s, __u64 type, __s64 ret)
{
	struct file *f;
	int fds[2] = {};
	__u64 *a, v;
	bool ok;

	if (!s)
		return 0;
	a = s->arg;
	ks_put_u64(s, ret); /* every record starts with the return value */
	switch (type) {
	case KS_E_DUP:
		ks_put_fdarg(s, a[0]);
		return 1;
	case KS_E_DUP2:
	case KS_E_DUP3:
		ks_put_fdarg(s, a[0]);
		ks_put_fdarg(s, a[1]);
		if (type == KS_E_DUP3)
			ks_put_u32(s, a[2]);
		return 1;
	case KS_E_FCNTL:
		ks_put_fdarg(s, a[0]);
		ks_put_u32(s, a[1]);
		ks_put_u64(s, a[2]); /* F_SETFD's FD_CLOEXEC, F_DUPFD's lowest fd, ... */
		return 1;
	case KS_E_FCHMOD:
		ks_put_fdarg(s, a[0]);
		ks_put_u32(s, a[1] & 07777);
		return 1;
	case KS_E_FCHMODAT:
		ks_put_fdarg(s, a[0]);
		ks_put_upath(s, a[1]);
		ks_put_u32(s, a[2] & 07777);
		return 1;
	case KS_E_CHMOD:
		ks_put_upath(s, a[0]);
		ks_put_u32(s, a[1] & 07777);
		return 1;
	case KS_E_SETUID:
	case KS_E_SETGID:
		ks_put_u32(s, a[0]);
		return 1;
	case KS_E_SETREUID:
	case KS_E_SETREGID:
		ks_put_u32(s, a[0]);
		ks_put_u32(s, a[1]);
		return 1;
	case KS_E_SETRESUID:
	case KS_E_SETRESGID:
		ks_put_u32(s, a[0]);
		ks_put_u32(s, a[1]);
		ks_put_u32(s, a[2]);
		return 1;
	case KS_E_SETSID:
		return 1;
	case KS_E_SETPGID:
		ks_put_u64(s, (__s64)(int)a[0]);
		ks_put_u64(s, (__s64)(int)a[1]);
		return 1;
	case KS_E_CHDIR:
		ks_put_upath(s, a[0]);
		return 1;
	case KS_E_FCHDIR:
		ks_put_fdarg(s, a[0]);
		return 1;
	case KS_E_PRCTL:
		ks_put_u32(s, a[0]);
		/* the name a thread gave itself (or read back); the raw argument otherwise */
		if ((__u32)a[0] == KS_PR_SET_NAME || (__u32)a[0] == KS_PR_GET_NAME) {
			if (ret == 0)
				ks_put_user_str(s, (const void *)a[1], KS_MAX_COMM);
			else
				ks_put_empty(s);
			ks_put_empty(s);
		} else {
			ks_put_empty(s);
			ks_put_u64(s, a[1]);
		}
		return 1;
	case KS_E_CAPSET:
		ks_put_caps(s);
		return 1;
	case KS_E_PIPE:
	case KS_E_PIPE2:
		ok = ks_read_fd_pair(s, a[0], ret, fds);
		ks_put_fd_pair(s, ok, fds);
		f = ok ? ks_fd_file(fds[0]) : NULL;
		if (f)
			ks_put_u64(s, BPF_CORE_READ(f, f_inode, i_ino));
		else
			ks_put_empty(s);
		if (type == KS_E_PIPE2)
			ks_put_u32(s, a[1]);
		return 1;
	case KS_E_SOCKETPAIR:
		ok = ks_read_fd_pair(s, a[3], ret, fds);
		ks_put_fd_pair(s, ok, fds);
		if (ok) {
			ks_put_u64(s, (__u64)ks_fd_sock(fds[0]));
			ks_put_u64(s, (__u64)ks_fd_sock(fds[1]));
		} else {
			ks_put_empty(s);
			ks_put_empty(s);
		}
		ks_put_u32(s, a[0]);
		ks_put_u32(s, a[1]);
		ks_put_u32(s, a[2]);
		return 1;
	case KS_E_BIND:
		ks_put_sockaddr(s, a[1], (int)a[2]);
		ks_put_fdarg(s, a[0]);
		return 1;
	case KS_E_LISTEN:
		ks_put_fdarg(s, a[0]);
		ks_put_u32(s, a[1]);
		return 1;
	case KS_E_MEMFD_CREATE:
		ks_put_user_str(s, (const void *)a[0], KS_MEMFD_NAME_MAX);
		ks_put_u32(s, a[1]);
		return 1;
	case KS_E_EVENTFD:
	case KS_E_EVENTFD2:
		ks_put_u64(s, (__u32)a[0]);
		ks_put_u32(s, type == KS_E_EVENTFD2 ? a[1] : 0);
		return 1;
	case KS_E_SIGNALFD:
	case KS_E_SIGNALFD4:
		ks_put_fdarg(s, a[0]);
		ks_put_sigmask(s, a[1], a[2]);
		ks_put_u32(s, type == KS_E_SIGNALFD4 ? a[3] : 0);
		return 1;
	case KS_E_TIMERFD_CREATE:
		ks_put_u32(s, a[0]);
		ks_put_u32(s, a[1]);
		return 1;
	case KS_E_INOTIFY_INIT:
	case KS_E_INOTIFY_INIT1:
		ks_put_u32(s, type == KS_E_INOTIFY_INIT1 ? a[0] : 0);
		return 1;
	case KS_E_EPOLL_CREATE:
		ks_put_u64(s, (__s64)(int)a[0]);
		return 1;
	case KS_E_EPOLL_CREATE1:
	case KS_E_USERFAULTFD:
		ks_put_u32(s, a[0]);
		return 1;
	case KS_E_IO_URING_SETUP:
		ks_put_u32(s, a[0]);
		ks_put_uring_params(s, a[1], ret);
		return 1;
	case KS_E_CLOSE_RANGE:
		/* unsigned ints: ~0U means "to the last fd" and stays positive */
		ks_put_u64(s, (__u32)a[0]);
		ks_put_u64(s, (__u32)a[1]);
		ks_put_u32(s, a[2]);
		return 1;
	case KS_E_PTRACE:
		ks_put_u32(s, a[0]);
		ks_put_u64(s, (__s64)(int)a[1]);
		ks_put_u64(s, a[2]);
		ks_put_u64(s, a[3]);
		return 1;
	case KS_E_UNSHARE:
		ks_put_u32(s, a[0]);
		return 1;
	case KS_E_SETNS:
		ks_put_fdarg(s, a[0]);
		ks_put_u32(s, a[1]);
		return 1;
	case KS_E_LINK:
	case KS_E_RENAME:
		ks_put_upath(s, a[0]);
		ks_put_upath(s, a[1]);
		return 1;
	case KS_E_LINKAT:
	case KS_E_RENAMEAT:
	case KS_E_RENAMEAT2:
		ks_put_fdarg(s, a[0]);
		ks_put_upath(s, a[1]);
		ks_put_fdarg(s, a[2]);
		ks_put_upath(s, a[3]);
		if (type != KS_E_RENAMEAT)
			ks_put_u32(s, a[4]);
		return 1;
	case KS_E_SYMLINK:
		ks_put_upath(s, a[0]);
		ks_put_upath(s, a[1]);
		return 1;
	case KS_E_SYMLINKAT:
		ks_put_upath(s, a[0]);
		ks_put_fdarg(s, a[1]);
		ks_put_upath(s, a[2]);
		return 1;
	case KS_E_INIT_MODULE:
		ks_put_u64(s, a[1]);
		ks_put_user_str(s, (const void *)a[2], KS_MAX_PATH);
		return 1;
	case KS_E_FINIT_MODULE:
		ks_put_fdarg(s, a[0]);
		ks_put_user_str(s, (const void *)a[1], KS_MAX_PATH);
		ks_put_u32(s, a[2]);
		return 1;
	case KS_E_BPF:
		ks_put_u64(s, (__s64)(int)a[0]);
		return 1;
	case KS_E_MKDIR:
		ks_put_upath(s, a[0]);
		ks_put_u32(s, a[1] & 07777);
		return 1;
	case KS_E_MKDIRAT:
		ks_put_fdarg(s, a[0]);
		ks_put_upath(s, a[1]);
		ks_put_u32(s, a[2] & 07777);
		return 1;
	case KS_E_RMDIR:
	case KS_E_UNLINK:
		ks_put_upath(s, a[0]);
		return 1;
	case KS_E_UNLINKAT:
		ks_put_fdarg(s, a[0]);
		ks_put_upath(s, a[1]);
		ks_put_u32(s, a[2]);
		return 1;
	case KS_E_MOUNT:
		ks_put_upath(s, a[0]);
		ks_put_upath(s, a[1]);
		ks_put_user_str(s, (const void *)a[2], KS_FSTYPE_MAX);
		/* the old magic in the top 16 bits means nothing */
		v = a[3];
		if ((v & KS_MS_MGC_MSK) == KS_MS_MGC_VAL)
			v &= ~(__u64)KS_MS_MGC_MSK;
		ks_put_u32(s, v);
		return 1;
	case KS_E_UMOUNT2:
		ks_put_upath(s, a[0]);
		ks_put_u32(s, a[1]);
		return 1;
	}
	return 0;
}

#endif
