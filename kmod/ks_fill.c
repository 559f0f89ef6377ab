// SPDX-License-Identifier: GPL-2.0-only
/*
 * Parameter writers. Everything here runs in a probe with preemption off: user memory is
 * read with copy_from_user_nofault (a probe must not take a page fault), kernel objects
 * are read under RCU without taking references whose release could sleep (dput, mntput).
 * Each ks_put_*() appends exactly one parameter, possibly empty, so the count stays right.
 */
#include <linux/audit.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/dcache.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/kdev_t.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/tty.h>
#include <linux/uaccess.h>
#include <linux/version.h>

#include "ks_internal.h"

bool ks_room(struct ks_rec *r, u32 n)
{
	return r->off <= KS_REC_LIMIT && n <= KS_REC_LIMIT - r->off;
}

void ks_put_len(struct ks_rec *r, u32 len)
{
	u16 l = len;

	if (r->n < KS_MAX_PARAMS)
		memcpy(r->buf + KS_HDR_SIZE + 2 * r->n, &l, sizeof(l));
	r->n++;
	r->off += len;
}

void ks_put_empty(struct ks_rec *r)
{
	ks_put_len(r, 0);
}

void ks_put_raw(struct ks_rec *r, const void *p, u32 len)
{
	if (!ks_room(r, len)) {
		ks_put_empty(r);
		return;
	}
	memcpy(r->buf + r->off, p, len);
	ks_put_len(r, len);
}

void ks_put_u64(struct ks_rec *r, u64 v)
{
	ks_put_raw(r, &v, sizeof(v));
}

void ks_put_u32(struct ks_rec *r, u32 v)
{
	ks_put_raw(r, &v, sizeof(v));
}

long ks_user_str(char *dst, unsigned long uptr, u32 max)
{
	u32 done = 0, chunk;
	char *nul;

	if (!uptr || !max)
		return 0;
	/* page by page: a string may end just before an unmapped page */
	while (done < max) {
		chunk = min_t(u32, max - done, PAGE_SIZE - ((uptr + done) & ~PAGE_MASK));
		if (copy_from_user_nofault(dst + done, (const void __user *)(uptr + done), chunk))
			return -EFAULT;
		nul = memchr(dst + done, 0, chunk);
		if (nul)
			return nul - dst + 1;
		done += chunk;
	}
	dst[max - 1] = '\0'; /* cut, as bpf_probe_read_user_str does */
	return max;
}

void ks_put_user_str(struct ks_rec *r, unsigned long uptr, u32 max)
{
	long n = 0;

	if (uptr && ks_room(r, max)) {
		n = ks_user_str(r->buf + r->off, uptr, max);
		if (n < 0)
			r->faults++;
	}
	ks_put_len(r, n > 0 ? n : 0);
}

void ks_put_kernel_str(struct ks_rec *r, const char *s, u32 max)
{
	u32 n;

	if (!s || !max || !ks_room(r, max)) {
		ks_put_empty(r);
		return;
	}
	n = strnlen(s, max - 1);
	memcpy(r->buf + r->off, s, n);
	r->buf[r->off + n] = '\0';
	ks_put_len(r, n + 1);
}

/* A path rebuilt by d_path (which takes no sleeping lock). The caller holds the RCU read
 * lock that keeps the dentry and mount alive. Too long: empty, since a cut path names
 * another file. */
static void ks_put_path(struct ks_rec *r, const struct path *p, u32 max)
{
	char *s;
	size_t n;

	if (!p || !p->dentry || !p->mnt) {
		ks_put_empty(r);
		return;
	}
	s = d_path(p, r->tmp, KS_MAX_PATH);
	if (IS_ERR(s)) {
		ks_put_empty(r);
		return;
	}
	n = strlen(s) + 1;
	if (n > max) {
		ks_put_empty(r);
		return;
	}
	ks_put_raw(r, s, n);
}

static void ks_put_cwd(struct ks_rec *r, struct task_struct *t)
{
	struct path pwd = {};

	/* no path_get: its path_put may sleep; RCU keeps both alive while we read */
	rcu_read_lock();
	if (t->fs) {
		spin_lock(&t->fs->lock);
		pwd = t->fs->pwd;
		spin_unlock(&t->fs->lock);
	}
	ks_put_path(r, &pwd, KS_MAX_PATH);
	rcu_read_unlock();
}

static void ks_put_exepath(struct ks_rec *r, struct mm_struct *mm)
{
	struct file *f;

	rcu_read_lock();
	f = mm ? rcu_dereference(mm->exe_file) : NULL;
	ks_put_path(r, f ? &f->f_path : NULL, KS_MAX_PATH);
	rcu_read_unlock();
}

/* The cgroup v2 (default hierarchy) path, e.g. /system.slice/docker-<id>.scope. */
static void ks_put_cgroup(struct ks_rec *r, struct task_struct *t)
{
	int n;

	rcu_read_lock();
	n = cgroup_path(task_dfl_cgroup(t), r->tmp, KS_MAX_CGROUP);
	rcu_read_unlock();
	if (n <= 0 || n >= KS_MAX_CGROUP) {
		ks_put_empty(r);
		return;
	}
	ks_put_raw(r, r->tmp, n + 1);
}

/* The controlling tty as /proc/PID/stat's tty_nr. */
static u32 ks_tty_nr(struct task_struct *t)
{
	unsigned long flags;
	u32 nr = 0;

	spin_lock_irqsave(&t->sighand->siglock, flags);
	if (t->signal->tty)
		nr = new_encode_dev(tty_devnum(t->signal->tty));
	spin_unlock_irqrestore(&t->sighand->siglock, flags);
	return nr;
}

/* pid number in the init namespace, or at the pid's own level. */
static s64 ks_pid_nr(struct pid *pid, bool own_level)
{
	if (!pid)
		return 0;
	return pid->numbers[own_level ? pid->level : 0].nr;
}

static u64 ks_caps(const kernel_cap_t *c)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return c->val;
#else
	return (u64)c->cap[1] << 32 | c->cap[0];
#endif
}

/* capset: the inheritable, permitted and effective sets the caller holds now. */
void ks_put_cur_caps(struct ks_rec *r)
{
	const struct cred *cred = current_cred();

	ks_put_u64(r, ks_caps(&cred->cap_inheritable));
	ks_put_u64(r, ks_caps(&cred->cap_permitted));
	ks_put_u64(r, ks_caps(&cred->cap_effective));
}

/* Ids shared by exec and clone records: uid, gid, loginuid. */
static void ks_put_ids(struct ks_rec *r, const struct cred *cred)
{
	ks_put_u32(r, __kuid_val(cred->euid));
	ks_put_u32(r, __kgid_val(cred->egid));
	ks_put_u32(r, __kuid_val(audit_get_loginuid(current)));
}

static void ks_put_pgid_sid_vpid(struct ks_rec *r, struct task_struct *t)
{
	rcu_read_lock();
	ks_put_u64(r, ks_pid_nr(task_pgrp(t), false));
	ks_put_u64(r, ks_pid_nr(task_session(t), false));
	ks_put_u64(r, ks_pid_nr(task_tgid(t), true));
	rcu_read_unlock();
}

static s64 ks_ptid(struct task_struct *t)
{
	s64 v;

	rcu_read_lock();
	v = rcu_dereference(t->real_parent)->tgid;
	rcu_read_unlock();
	return v;
}

/* execve/execveat at exit: current is the new image (or the unchanged caller on failure). */
void ks_fill_exec(struct ks_rec *r, s64 ret, unsigned long filename)
{
	struct task_struct *t = current;
	struct mm_struct *mm = t->mm;
	const struct cred *cred = current_cred();
	unsigned long start = mm ? mm->arg_start : 0, end = mm ? mm->arg_end : 0;
	u32 total = end > start ? min_t(unsigned long, end - start, KS_MAX_ARGS) : 0;
	u32 exe, rest;

	ks_put_u64(r, ret);
	/* exe = argv[0]; args = argv[1..], NUL-separated, as the arg area holds them */
	exe = r->off;
	ks_put_user_str(r, total ? start : 0, KS_MAX_ARGS);
	exe = r->off - exe;
	rest = total > exe ? total - exe : 0;
	if (exe && rest && ks_room(r, KS_MAX_ARGS)) {
		if (copy_from_user_nofault(r->buf + r->off, (const void __user *)(start + exe),
					   rest)) {
			r->faults++;
			ks_put_empty(r);
		} else {
			r->buf[r->off + rest - 1] = '\0'; /* cut at KS_MAX_ARGS */
			ks_put_len(r, rest);
		}
	} else {
		ks_put_empty(r);
	}
	ks_put_u64(r, ks_ptid(t));
	ks_put_cwd(r, t);
	ks_put_kernel_str(r, t->comm, KS_MAX_COMM);
	ks_put_exepath(r, mm);
	ks_put_ids(r, cred);
	ks_put_u32(r, ks_tty_nr(t));
	ks_put_pgid_sid_vpid(r, t);
	ks_put_u64(r, ks_caps(&cred->cap_permitted));
	ks_put_u64(r, ks_caps(&cred->cap_effective));
	ks_put_cgroup(r, t);
	/* on success the caller's memory went away with the old image */
	if (ret < 0)
		ks_put_user_str(r, filename, KS_MAX_PATH);
	else
		ks_put_empty(r);
	ks_put_user_area(r, mm ? mm->env_start : 0, mm ? mm->env_end : 0);
}

/* A user memory area of NUL-separated strings (the environment), at most KS_MAX_ARGS - 1
 * bytes, its last byte made a NUL so a cut area still ends a string. */
void ks_put_user_area(struct ks_rec *r, unsigned long start, unsigned long end)
{
	u32 len = end > start ? min_t(unsigned long, end - start, KS_MAX_ARGS - 1) : 0;

	if (!len || !ks_room(r, KS_MAX_ARGS)) {
		ks_put_empty(r);
		return;
	}
	if (copy_from_user_nofault(r->buf + r->off, (const void __user *)start, len)) {
		r->faults++;
		ks_put_empty(r);
		return;
	}
	r->buf[r->off + len - 1] = '\0';
	ks_put_len(r, len);
}

/* clone/clone3/fork/vfork, in the parent (ret = child id) and in the child (ret = 0). */
void ks_fill_clone(struct ks_rec *r, s64 ret, u64 flags, bool have_flags)
{
	struct task_struct *t = current;

	ks_put_u64(r, ret);
	if (have_flags)
		ks_put_u64(r, flags);
	else
		ks_put_empty(r);
	ks_put_u64(r, ks_ptid(t));
	ks_put_kernel_str(r, t->comm, KS_MAX_COMM);
	/* the child inherits both; reading them once, in the child, is enough */
	if (ret == 0)
		ks_put_exepath(r, t->mm);
	else
		ks_put_empty(r);
	ks_put_ids(r, current_cred());
	ks_put_pgid_sid_vpid(r, t);
	if (ret == 0)
		ks_put_cgroup(r, t);
	else
		ks_put_empty(r);
}

/*
 * Who inherits the children of an exiting task: 0 while another thread of its group
 * lives, else the nearest child subreaper among its first ancestors, else the init of its
 * pid namespace (0 if that is the task itself). The same answer as the eBPF probe's.
 */
s64 ks_reaper(struct task_struct *p)
{
	struct task_struct *a, *next, *init;
	struct pid_namespace *ns;
	s64 reaper = 0;
	int i;

	if (atomic_read(&p->signal->live))
		return 0;
	rcu_read_lock();
	if (p->signal->has_child_subreaper) {
		a = rcu_dereference(p->real_parent);
		for (i = 0; i < 8 && a; i++) {
			if (a->signal->is_child_subreaper) {
				reaper = a->tgid;
				goto out;
			}
			next = rcu_dereference(a->real_parent);
			if (next == a)
				break;
			a = next;
		}
	}
	ns = ns_of_pid(task_pid(p));
	init = ns ? ns->child_reaper : NULL;
	if (init && init->tgid != p->tgid)
		reaper = init->tgid;
out:
	rcu_read_unlock();
	return reaper;
}
