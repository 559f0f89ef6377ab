// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parameters of the ABI 2 events (descriptors, ids, working directories, and the file,
 * module and namespace syscalls the Falco rules name), with the same semantics as the
 * eBPF probe's bpf/ks_fill_ext.h. Runs with preemption off: user memory is read with
 * copy_from_user_nofault, strings with a bound, files looked up with fget/fput (a last
 * fput is deferred to task work, it never sleeps here).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/uaccess.h>

#include "ks_internal.h"

#define KS_PR_SET_NAME 15
#define KS_PR_GET_NAME 16
#define KS_MS_MGC_MSK 0xffff0000u
#define KS_MS_MGC_VAL 0xc0ed0000u
#define KS_MEMFD_NAME_MAX 256u
#define KS_FSTYPE_MAX 256u

static void ks_put_fdarg(struct ks_rec *r, unsigned long a)
{
	ks_put_u64(r, (s64)(int)a); /* fds are ints: sign-extend AT_FDCWD */
}

static void ks_put_upath(struct ks_rec *r, unsigned long uptr)
{
	ks_put_user_str(r, uptr, KS_MAX_PATH);
}

/* pipe/pipe2/socketpair: the two fds the kernel wrote to user memory (on success). */
static bool ks_read_fd_pair(struct ks_rec *r, unsigned long uptr, s64 ret, int fds[2])
{
	if (ret != 0 || !uptr)
		return false;
	if (copy_from_user_nofault(fds, (const void __user *)uptr, 2 * sizeof(int))) {
		r->faults++;
		return false;
	}
	return true;
}

static void ks_put_fd_pair(struct ks_rec *r, bool ok, const int fds[2])
{
	if (ok) {
		ks_put_u64(r, (s64)fds[0]);
		ks_put_u64(r, (s64)fds[1]);
	} else {
		ks_put_empty(r);
		ks_put_empty(r);
	}
}

/* The inode number of the file behind fd (a pipe's "pipe:[ino]"). */
static void ks_put_fd_ino(struct ks_rec *r, bool ok, int fd)
{
	struct file *f = ok && fd >= 0 ? fget(fd) : NULL;

	if (!f) {
		ks_put_empty(r);
		return;
	}
	ks_put_u64(r, file_inode(f)->i_ino);
	fput(f);
}

/* io_uring_setup: struct io_uring_params starts with sq_entries, cq_entries, flags,
 * sq_thread_cpu, sq_thread_idle, features (u32 each), filled in by the kernel. */
static void ks_put_uring_params(struct ks_rec *r, unsigned long uptr, s64 ret)
{
	u32 p[6];
	int i;

	if (ret >= 0 && uptr && !copy_from_user_nofault(p, (const void __user *)uptr, sizeof(p))) {
		for (i = 0; i < 6; i++)
			ks_put_u32(r, p[i]);
		return;
	}
	if (ret >= 0 && uptr)
		r->faults++;
	for (i = 0; i < 6; i++)
		ks_put_empty(r);
}

/* A sigset_t the caller passed (its first 64 signals). */
static void ks_put_sigmask(struct ks_rec *r, unsigned long uptr, unsigned long size)
{
	u64 mask;

	if (uptr && size >= sizeof(mask)) {
		if (!copy_from_user_nofault(&mask, (const void __user *)uptr, sizeof(mask))) {
			ks_put_u64(r, mask);
			return;
		}
		r->faults++;
	}
	ks_put_empty(r);
}

bool ks_fill_ext(struct ks_rec *r, u32 type, s64 ret, const unsigned long *a)
{
	int fds[2] = { -1, -1 };
	bool ok;
	u32 v;

	ks_put_u64(r, ret); /* every record starts with the return value */
	switch (type) {
	case KS_E_DUP:
		ks_put_fdarg(r, a[0]);
		return true;
	case KS_E_DUP2:
	case KS_E_DUP3:
		ks_put_fdarg(r, a[0]);
		ks_put_fdarg(r, a[1]);
		if (type == KS_E_DUP3)
			ks_put_u32(r, a[2]);
		return true;
	case KS_E_FCNTL:
		ks_put_fdarg(r, a[0]);
		ks_put_u32(r, a[1]);
		ks_put_u64(r, a[2]); /* F_SETFD's FD_CLOEXEC, F_DUPFD's lowest fd, ... */
		return true;
	case KS_E_FCHMOD:
		ks_put_fdarg(r, a[0]);
		ks_put_u32(r, a[1] & 07777);
		return true;
	case KS_E_FCHMODAT:
		ks_put_fdarg(r, a[0]);
		ks_put_upath(r, a[1]);
		ks_put_u32(r, a[2] & 07777);
		return true;
	case KS_E_CHMOD:
		ks_put_upath(r, a[0]);
		ks_put_u32(r, a[1] & 07777);
		return true;
	case KS_E_SETUID:
	case KS_E_SETGID:
		ks_put_u32(r, a[0]);
		return true;
	case KS_E_SETREUID:
	case KS_E_SETREGID:
		ks_put_u32(r, a[0]);
		ks_put_u32(r, a[1]);
		return true;
	case KS_E_SETRESUID:
	case KS_E_SETRESGID:
		ks_put_u32(r, a[0]);
		ks_put_u32(r, a[1]);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_SETSID:
		return true;
	case KS_E_SETPGID:
		ks_put_u64(r, (s64)(int)a[0]);
		ks_put_u64(r, (s64)(int)a[1]);
		return true;
	case KS_E_CHDIR:
		ks_put_upath(r, a[0]);
		return true;
	case KS_E_FCHDIR:
		ks_put_fdarg(r, a[0]);
		return true;
	case KS_E_PRCTL:
		ks_put_u32(r, a[0]);
		/* the name a thread gave itself (or read back); the raw argument otherwise */
		if ((u32)a[0] == KS_PR_SET_NAME || (u32)a[0] == KS_PR_GET_NAME) {
			if (ret == 0)
				ks_put_user_str(r, a[1], KS_MAX_COMM);
			else
				ks_put_empty(r);
			ks_put_empty(r);
		} else {
			ks_put_empty(r);
			ks_put_u64(r, a[1]);
		}
		return true;
	case KS_E_CAPSET:
		ks_put_cur_caps(r);
		return true;
	case KS_E_PIPE:
	case KS_E_PIPE2:
		ok = ks_read_fd_pair(r, a[0], ret, fds);
		ks_put_fd_pair(r, ok, fds);
		ks_put_fd_ino(r, ok, fds[0]);
		if (type == KS_E_PIPE2)
			ks_put_u32(r, a[1]);
		return true;
	case KS_E_SOCKETPAIR:
		ok = ks_read_fd_pair(r, a[3], ret, fds);
		ks_put_fd_pair(r, ok, fds);
		if (ok) {
			ks_put_u64(r, ks_sock_id(fds[0]));
			ks_put_u64(r, ks_sock_id(fds[1]));
		} else {
			ks_put_empty(r);
			ks_put_empty(r);
		}
		ks_put_u32(r, a[0]);
		ks_put_u32(r, a[1]);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_BIND:
		ks_put_sockaddr(r, a[1], (int)a[2]);
		ks_put_fdarg(r, a[0]);
		return true;
	case KS_E_LISTEN:
		ks_put_fdarg(r, a[0]);
		ks_put_u32(r, a[1]);
		return true;
	case KS_E_MEMFD_CREATE:
		ks_put_user_str(r, a[0], KS_MEMFD_NAME_MAX);
		ks_put_u32(r, a[1]);
		return true;
	case KS_E_EVENTFD:
	case KS_E_EVENTFD2:
		ks_put_u64(r, (u32)a[0]);
		ks_put_u32(r, type == KS_E_EVENTFD2 ? a[1] : 0);
		return true;
	case KS_E_SIGNALFD:
	case KS_E_SIGNALFD4:
		ks_put_fdarg(r, a[0]);
		ks_put_sigmask(r, a[1], a[2]);
		ks_put_u32(r, type == KS_E_SIGNALFD4 ? a[3] : 0);
		return true;
	case KS_E_TIMERFD_CREATE:
		ks_put_u32(r, a[0]);
		ks_put_u32(r, a[1]);
		return true;
	case KS_E_INOTIFY_INIT:
	case KS_E_INOTIFY_INIT1:
		ks_put_u32(r, type == KS_E_INOTIFY_INIT1 ? a[0] : 0);
		return true;
	case KS_E_EPOLL_CREATE:
		ks_put_u64(r, (s64)(int)a[0]);
		return true;
	case KS_E_EPOLL_CREATE1:
	case KS_E_USERFAULTFD:
		ks_put_u32(r, a[0]);
		return true;
	case KS_E_IO_URING_SETUP:
		ks_put_u32(r, a[0]);
		ks_put_uring_params(r, a[1], ret);
		return true;
	case KS_E_CLOSE_RANGE:
		/* unsigned ints: ~0U means "to the last fd" and stays positive */
		ks_put_u64(r, (u32)a[0]);
		ks_put_u64(r, (u32)a[1]);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_PTRACE:
		ks_put_u32(r, a[0]);
		ks_put_u64(r, (s64)(int)a[1]);
		ks_put_u64(r, a[2]);
		ks_put_u64(r, a[3]);
		return true;
	case KS_E_UNSHARE:
		ks_put_u32(r, a[0]);
		return true;
	case KS_E_SETNS:
		ks_put_fdarg(r, a[0]);
		ks_put_u32(r, a[1]);
		return true;
	case KS_E_LINK:
	case KS_E_RENAME:
	case KS_E_SYMLINK:
		ks_put_upath(r, a[0]);
		ks_put_upath(r, a[1]);
		return true;
	case KS_E_LINKAT:
	case KS_E_RENAMEAT:
	case KS_E_RENAMEAT2:
		ks_put_fdarg(r, a[0]);
		ks_put_upath(r, a[1]);
		ks_put_fdarg(r, a[2]);
		ks_put_upath(r, a[3]);
		if (type != KS_E_RENAMEAT)
			ks_put_u32(r, a[4]);
		return true;
	case KS_E_SYMLINKAT:
		ks_put_upath(r, a[0]);
		ks_put_fdarg(r, a[1]);
		ks_put_upath(r, a[2]);
		return true;
	case KS_E_INIT_MODULE:
		ks_put_u64(r, a[1]);
		ks_put_user_str(r, a[2], KS_MAX_PATH);
		return true;
	case KS_E_FINIT_MODULE:
		ks_put_fdarg(r, a[0]);
		ks_put_user_str(r, a[1], KS_MAX_PATH);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_BPF:
		ks_put_u64(r, (s64)(int)a[0]);
		return true;
	case KS_E_MKDIR:
		ks_put_upath(r, a[0]);
		ks_put_u32(r, a[1] & 07777);
		return true;
	case KS_E_MKDIRAT:
		ks_put_fdarg(r, a[0]);
		ks_put_upath(r, a[1]);
		ks_put_u32(r, a[2] & 07777);
		return true;
	case KS_E_RMDIR:
	case KS_E_UNLINK:
		ks_put_upath(r, a[0]);
		return true;
	case KS_E_UNLINKAT:
		ks_put_fdarg(r, a[0]);
		ks_put_upath(r, a[1]);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_MOUNT:
		ks_put_upath(r, a[0]);
		ks_put_upath(r, a[1]);
		ks_put_user_str(r, a[2], KS_FSTYPE_MAX);
		/* the old magic in the top 16 bits means nothing */
		v = a[3];
		if ((v & KS_MS_MGC_MSK) == KS_MS_MGC_VAL)
			v &= ~KS_MS_MGC_MSK;
		ks_put_u32(r, v);
		return true;
	case KS_E_UMOUNT2:
		ks_put_upath(r, a[0]);
		ks_put_u32(r, a[1]);
		return true;
	}
	return false;
}
