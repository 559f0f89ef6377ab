/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the probe reads about the current task: paths rebuilt from dentries and kernfs
 * nodes, ids, the controlling tty, the reaper of an exiting task.
 *
 * Paths are rebuilt in two passes because a walk sees the leaf first: ks_walk_*() keeps
 * the name pointers in s->walk, ks_put_walk() writes them root first. Both are global
 * functions, so the verifier checks each once rather than at every call site.
 */
#ifndef KS_TASK_H
#define KS_TASK_H

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_helpers.h>

#include "ks_record.h"

/* Before 6.15 kernfs_node->__parent was called parent. */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline struct kernfs_node *ks_kn_parent(struct kernfs_node *kn)
{
	if (bpf_core_field_exists(struct kernfs_node, __parent))
		return BPF_CORE_READ(kn, __parent);
	return BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
}

/*
 * Walk from (dentry, vfsmount) up to the top of the mount tree, crossing mount points
 * through struct mount (bpf_d_path is not allowed from tp_btf). Step i keeps a name
 * pointer in s->walk[i], or 0 for a mount crossing; indexing by the loop counter only
 * keeps the verifier's work linear. Returns the number of steps, or -1 if the path needs
 * more than KS_WALK_STEPS.
 */
__noinline int ks_walk_path(struct ks_scratch *s, __u64 dentry, __u64 vfsmnt)
{
	struct dentry *d = (struct dentry *)dentry, *parent, *mnt_root;
	struct vfsmount *vm = (struct vfsmount *)vfsmnt;
	struct mount *m, *mp;

	if (!s || !d || !vm)
		return -1;
	m = (struct mount *)((void *)vm - bpf_core_field_offset(struct mount, mnt));
	mnt_root = BPF_CORE_READ(vm, mnt_root);
	for (int i = 0; i < KS_WALK_STEPS; i++) {
		s->walk[i] = 0;
		if (d == mnt_root) {
			mp = BPF_CORE_READ(m, mnt_parent);
			if (!mp || mp == m)
				return i; /* the top of the mount tree */
			d = BPF_CORE_READ(m, mnt_mountpoint);
			m = mp;
			mnt_root = BPF_CORE_READ(m, mnt.mnt_root);
			continue;
		}
		parent = BPF_CORE_READ(d, d_parent);
		if (parent == d && i == 0 && d != mnt_root) {
			/* a pseudo file, its own parent (memfd, anon inode): its name alone, as
			 * d_path gives it ("/memfd:name") */
			s->walk[0] = (__u64)BPF_CORE_READ(d, d_name.name);
			return 1;
		}
		if (!parent || parent == d)
			return i; /* root of a file system mounted nowhere (or a read failed) */
		s->walk[i] = (__u64)BPF_CORE_READ(d, d_name.name);
		d = parent;
	}
	return -1;
}

/* Walk a kernfs node (a cgroup) up to its root; the root's own name is not kept. */
__noinline int ks_walk_kernfs(struct ks_scratch *s, __u64 node)
{
	struct kernfs_node *kn = (struct kernfs_node *)node, *parent;

	if (!s || !kn)
		return -1;
	for (int i = 0; i < KS_WALK_STEPS; i++) {
		parent = ks_kn_parent(kn);
		if (!parent)
			return i;
		s->walk[i] = (__u64)BPF_CORE_READ(kn, name);
		kn = parent;
	}
	return -1;
}

/*
 * Write the names of the last walk (`steps` steps) as one "/a/b/c" parameter of at most
 * max bytes, NUL included; "/" when there are none. Empty when the walk failed or the
 * path is too long: a path cut at the top would name another file.
 * The running offset lives in s->off, reloaded every step, not in a local: the verifier
 * does not track map memory, so the steps look alike to it and its work stays linear.
 */
__noinline int ks_put_walk(struct ks_scratch *s, int steps, __u64 max)
{
	__u64 start, off, used, room, name;
	long len;

	if (!s)
		return 0;
	start = s->off;
	if (steps < 0 || steps > KS_WALK_STEPS || max < 2 || max > KS_MAX_PATH || !ks_room(s, max))
		goto empty;
	for (int i = 0; i < KS_WALK_STEPS; i++) {
		if (i >= steps)
			break;
		name = s->walk[(steps - 1 - i) & (KS_WALK_STEPS - 1)];
		if (!name) /* a mount crossing */
			continue;
		/* volatile: reloaded from the map, not a register clang carries over */
		off = *(volatile __u64 *)&s->off;
		used = off - start;
		if (off < start || used + 2 > max)
			goto empty;
		room = max - used - 1;
		if (room > KS_NAME_MAX)
			room = KS_NAME_MAX;
		s->rec[off & KS_OFF_MASK] = '/';
		len =
		    bpf_probe_read_kernel_str(&s->rec[(off + 1) & KS_OFF_MASK], room, (void *)name);
		if (len <= 0 || (len == room && room < KS_NAME_MAX))
			goto empty;
		s->off = off + len; /* '/' + the name; its NUL is overwritten by the next '/' */
	}
	off = s->off;
	if (off < start || off - start + 1 > max)
		goto empty;
	if (off == start)
		s->rec[off++ & KS_OFF_MASK] = '/';
	s->rec[off & KS_OFF_MASK] = '\0';
	s->off = start;
	ks_put_len(s, off + 1 - start);
	return 0;
empty:
	s->off = start;
	ks_put_empty(s);
	return 0;
}

static __always_inline void ks_put_path(struct ks_scratch *s, const struct path *p)
{
	int n = ks_walk_path(s, (__u64)BPF_CORE_READ(p, dentry), (__u64)BPF_CORE_READ(p, mnt));

	ks_put_walk(s, n, KS_MAX_PATH);
}

/* The cgroup v2 (default hierarchy) path, e.g. /system.slice/docker-<id>.scope. */
static __always_inline void ks_put_cgroup(struct ks_scratch *s, struct task_struct *t)
{
	int n = ks_walk_kernfs(s, (__u64)BPF_CORE_READ(t, cgroups, dfl_cgrp, kn));

	ks_put_walk(s, n, KS_MAX_CGROUP);
}

/* pid number in the init namespace (level 0) or at the pid's own level. */
static __always_inline __s64 ks_pid_nr(struct pid *pid, bool own_level)
{
	__u32 level = own_level ? BPF_CORE_READ(pid, level) : 0;
	struct upid *up;
	int nr = 0;

	if (!pid)
		return 0;
	up = (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	     level * bpf_core_type_size(struct upid);
	bpf_core_read(&nr, sizeof(nr), &up->nr);
	return nr;
}

/* The controlling tty as /proc/PID/stat's tty_nr: new_encode_dev(MKDEV(major, minor)). */
static __always_inline __u32 ks_tty_nr(struct task_struct *t)
{
	struct tty_struct *tty = BPF_CORE_READ(t, signal, tty);
	__u32 major, minor;

	if (!tty)
		return 0;
	major = BPF_CORE_READ(tty, driver, major);
	minor = BPF_CORE_READ(tty, driver, minor_start) + BPF_CORE_READ(tty, index);
	return (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);
}

static __always_inline __u32 ks_loginuid(struct task_struct *t)
{
	if (bpf_core_field_exists(t->loginuid))
		return BPF_CORE_READ(t, loginuid.val);
	return (__u32)-1;
}

/*
 * Who inherits the children of an exiting task: 0 while another thread of its group
 * lives (a sibling thread does), else the nearest child subreaper among its first
 * ancestors, else the init of its pid namespace (0 if that is the task itself).
 */
static __always_inline __s64 ks_reaper(struct task_struct *p)
{
	struct signal_struct *sig = BPF_CORE_READ(p, signal);
	struct task_struct *a, *next, *init;
	struct pid *pid;
	struct upid *up;
	struct pid_namespace *ns = NULL;

	if (BPF_CORE_READ(sig, live.counter) != 0)
		return 0;
	if (BPF_CORE_READ_BITFIELD_PROBED(sig, has_child_subreaper)) {
		a = BPF_CORE_READ(p, real_parent);
		for (int i = 0; i < 8 && a; i++) {
			sig = BPF_CORE_READ(a, signal);
			if (BPF_CORE_READ_BITFIELD_PROBED(sig, is_child_subreaper))
				return BPF_CORE_READ(a, tgid);
			next = BPF_CORE_READ(a, real_parent);
			if (next == a)
				break;
			a = next;
		}
	}
	pid = BPF_CORE_READ(p, thread_pid);
	up = (void *)pid + bpf_core_field_offset(struct pid, numbers) +
	     BPF_CORE_READ(pid, level) * bpf_core_type_size(struct upid);
	bpf_core_read(&ns, sizeof(ns), &up->ns);
	init = BPF_CORE_READ(ns, child_reaper);
	if (!init || BPF_CORE_READ(init, tgid) == BPF_CORE_READ(p, tgid))
		return 0;
	return BPF_CORE_READ(init, tgid);
}

#endif
