// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tracepoint probes: raw_syscalls:sys_exit (one record per syscall, with the arguments
 * still in the saved registers and the return value) and sched:sched_process_exit (one
 * record per exiting thread). The tracepoint structs are not exported, so they are found
 * by name. Syscall numbers map to events through KS_EVENT_TABLE, never a list by hand.
 */
#include <linux/compat.h>
#include <linux/preempt.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/tracepoint.h>
#include <linux/uaccess.h>
#include <asm/syscall.h>

#include "ks_internal.h"

#define KS_O_CREAT 0100
#define KS_O_TMPFILE 020000000
#define KS_CLONE_VM 0x100
#define KS_CLONE_VFORK 0x4000
#define KS_SIGCHLD 17

struct ks_tdef {
	s16 nr;
	u8 type;
	u8 np;
};

#define KS_X_DEF(id, name, nr, flags, params) { nr, KS_E_##id, KS_NPARAMS_##id },
static const struct ks_tdef ks_table[] = { KS_EVENT_TABLE(KS_X_DEF, KS_P_IGNORE) };

static u8 ks_nr_event[KS_MAX_SYSCALLS]; /* syscall nr -> event type, 0: none */
static u8 ks_nparams[KS_E_MAX];

void ks_probe_init_table(void)
{
	size_t i;

	BUILD_BUG_ON(KS_E_MAX > 255);
	for (i = 0; i < ARRAY_SIZE(ks_table); i++) {
		ks_nparams[ks_table[i].type] = ks_table[i].np;
		if (ks_table[i].nr >= 0 && ks_table[i].nr < KS_MAX_SYSCALLS)
			ks_nr_event[ks_table[i].nr] = ks_table[i].type;
	}
}

/* The mode argument only means something when a file may be created. */
static u32 ks_open_mode(u64 flags, u64 mode)
{
	return (flags & (KS_O_CREAT | KS_O_TMPFILE)) ? (mode & 07777) : 0;
}

static s64 ks_arg_fd(unsigned long a)
{
	return (int)a; /* fds are ints: sign-extend AT_FDCWD and friends */
}

/* openat2's struct open_how {u64 flags, mode, resolve}: flags, mode, resolve params. */
static void ks_put_open_how(struct ks_rec *r, unsigned long uhow, unsigned long size)
{
	u64 how[3];

	if (uhow && size >= sizeof(how) &&
	    !copy_from_user_nofault(how, (const void __user *)uhow, sizeof(how))) {
		ks_put_u32(r, how[0]);
		ks_put_u32(r, how[1]);
		ks_put_u32(r, how[2]);
		return;
	}
	if (uhow)
		r->faults++;
	ks_put_empty(r);
	ks_put_empty(r);
	ks_put_empty(r);
}

/* Fill the parameters of `type` in table order; false for a type without a case here. */
static bool ks_fill(struct ks_rec *r, u32 type, s64 ret, const unsigned long *a)
{
	u64 flags;

	switch (type) {
	case KS_E_OPEN:
		ks_put_u64(r, ret);
		ks_put_user_str(r, a[0], KS_MAX_PATH);
		ks_put_u32(r, a[1]);
		ks_put_u32(r, ks_open_mode(a[1], a[2]));
		return true;
	case KS_E_OPENAT:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_user_str(r, a[1], KS_MAX_PATH);
		ks_put_u32(r, a[2]);
		ks_put_u32(r, ks_open_mode(a[2], a[3]));
		return true;
	case KS_E_OPENAT2:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_user_str(r, a[1], KS_MAX_PATH);
		ks_put_open_how(r, a[2], a[3]);
		return true;
	case KS_E_CREAT:
		ks_put_u64(r, ret);
		ks_put_user_str(r, a[0], KS_MAX_PATH);
		ks_put_u32(r, a[1] & 07777);
		return true;
	case KS_E_CLOSE:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		return true;
	case KS_E_SOCKET:
		ks_put_u64(r, ret);
		ks_put_u32(r, a[0]);
		ks_put_u32(r, a[1]);
		ks_put_u32(r, a[2]);
		return true;
	case KS_E_CONNECT:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_sockaddr(r, a[1], (int)a[2]);
		ks_put_tuple(r, ks_arg_fd(a[0]));
		return true;
	case KS_E_SENDTO:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_u32(r, a[2]);
		if (a[4])
			ks_put_sockaddr(r, a[4], (int)a[5]);
		else
			ks_put_empty(r);
		ks_put_tuple(r, ks_arg_fd(a[0]));
		return true;
	case KS_E_SENDMSG: {
		/* struct user_msghdr starts with msg_name, then msg_namelen */
		u64 hdr[2] = {0, 0};

		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_u32(r, ret > 0 ? (u32)ret : 0);
		if (a[1] && !copy_from_user_nofault(hdr, (const void __user *)a[1], sizeof(hdr)) &&
		    hdr[0])
			ks_put_sockaddr(r, hdr[0], (int)(u32)hdr[1]);
		else
			ks_put_empty(r);
		ks_put_tuple(r, ks_arg_fd(a[0]));
		return true;
	}
	case KS_E_ACCEPT:
	case KS_E_ACCEPT4:
		ks_put_u64(r, ret);
		ks_put_u64(r, ks_arg_fd(a[0]));
		ks_put_tuple(r, ret); /* the new socket */
		if (type == KS_E_ACCEPT4)
			ks_put_u32(r, a[3]);
		return true;
	case KS_E_EXECVE:
		ks_fill_exec(r, ret, a[0]);
		return true;
	case KS_E_EXECVEAT:
		ks_fill_exec(r, ret, a[1]);
		return true;
	case KS_E_CLONE:
		ks_fill_clone(r, ret, a[0], true);
		return true;
	case KS_E_CLONE3:
		/* struct clone_args starts with u64 flags; in the child the copy (or the
		 * shared memory) still holds it */
		if (a[0] && !copy_from_user_nofault(&flags, (const void __user *)a[0],
						    sizeof(flags))) {
			ks_fill_clone(r, ret, flags, true);
		} else {
			r->faults += a[0] ? 1 : 0;
			ks_fill_clone(r, ret, 0, false);
		}
		return true;
	case KS_E_FORK: /* flags as the equivalent clone's */
		ks_fill_clone(r, ret, KS_SIGCHLD, true);
		return true;
	case KS_E_VFORK:
		ks_fill_clone(r, ret, KS_CLONE_VFORK | KS_CLONE_VM | KS_SIGCHLD, true);
		return true;
	}
	return ks_fill_ext(r, type, ret, a);
}

/* This CPU's ring, or NULL (counted) when no reader mapped it. Preemption is off. */
static struct ks_ring *ks_this_ring(struct ks_cpu *c)
{
	struct ks_ring *ring = rcu_dereference_sched(c->ring);

	if (!ring)
		c->stats.drops_full++; /* nobody to take it: as lost as on a full ring */
	return ring;
}

static void ks_finish(struct ks_cpu *c, struct ks_ring *ring, struct ks_rec *r, u32 type,
		      u64 ts, struct task_struct *t)
{
	struct ks_hdr h;

	c->stats.drops_fault += r->faults;
	/* the self-check: a record whose count differs from the table is never written */
	if (r->n != ks_nparams[type] || r->off > KS_REC_LIMIT) {
		c->stats.drops_bug++;
		return;
	}
	h.ts = ts;
	h.tid = t->pid;
	h.pid = t->tgid;
	h.len = r->off;
	h.type = type;
	h.nparams = r->n;
	memcpy(r->buf, &h, sizeof(h));
	ks_ring_write(c, ring, r->buf, r->off);
}

static void ks_probe_sys_exit(void *data, struct pt_regs *regs, long ret)
{
	unsigned long args[6];
	struct ks_ring *ring;
	struct ks_rec r;
	struct ks_cpu *c;
	long nr;
	u32 type;
	u64 ts;

	/* the common case, a syscall nobody asked for, costs these few loads */
	if (!READ_ONCE(ks_capture))
		return;
	nr = syscall_get_nr(current, regs);
	if (nr < 0 || nr >= KS_MAX_SYSCALLS || !(READ_ONCE(ks_filter[nr / 8]) & (1u << (nr % 8))))
		return;
	if (current->tgid == READ_ONCE(ks_ignore_tgid))
		return;
	if (in_compat_syscall()) /* ia32 numbers mean other syscalls */
		return;
	type = ks_nr_event[nr];
	if (type == KS_E_UNKNOWN) /* asked for, but not in the table: the generic record */
		type = KS_E_GENERIC;

	ts = ktime_get_boottime_ns();
	/* one writer per CPU for the scratch and the ring, whatever the kernel's probe
	 * context (newer kernels may run syscall probes preemptible) */
	preempt_disable();
	c = ks_cpus[smp_processor_id()];
	ring = ks_this_ring(c);
	if (ring) {
		syscall_get_arguments(current, regs, args);
		r.buf = c->scratch;
		r.tmp = c->scratch + KS_REC_LIMIT;
		r.off = KS_HDR_SIZE + 2 * ks_nparams[type];
		r.n = 0;
		r.faults = 0;
		if (type == KS_E_GENERIC) {
			ks_put_u64(&r, ret);
			ks_put_u32(&r, (u32)nr);
			ks_finish(c, ring, &r, type, ts, current);
		} else if (ks_fill(&r, type, ret, args))
			ks_finish(c, ring, &r, type, ts, current);
		else
			c->stats.drops_bug++;
		ks_ring_sync_stats(c, ring);
	}
	preempt_enable();
}

struct ks_procexit_rec {
	struct ks_hdr h;
	u16 len[2];
	s64 status;
	s64 reaper;
} __packed;

/* One record per exiting thread (p is current). Small, so built on the stack. */
static void ks_probe_process_exit(void *data, struct task_struct *p)
{
	struct ks_procexit_rec rec;
	struct ks_ring *ring;
	struct ks_cpu *c;

	BUILD_BUG_ON(KS_NPARAMS_PROCEXIT != 2);
	if (!READ_ONCE(ks_capture) || p->tgid == READ_ONCE(ks_ignore_tgid))
		return;
	rec.h.ts = ktime_get_boottime_ns();
	rec.h.tid = p->pid;
	rec.h.pid = p->tgid;
	rec.h.len = sizeof(rec);
	rec.h.type = KS_E_PROCEXIT;
	rec.h.nparams = KS_NPARAMS_PROCEXIT;
	rec.len[0] = sizeof(rec.status);
	rec.len[1] = sizeof(rec.reaper);
	rec.status = p->exit_code;
	rec.reaper = ks_reaper(p);
	preempt_disable();
	c = ks_cpus[smp_processor_id()];
	ring = ks_this_ring(c);
	if (ring) {
		ks_ring_write(c, ring, &rec, sizeof(rec));
		ks_ring_sync_stats(c, ring);
	}
	preempt_enable();
}

static struct {
	const char *name;
	void *probe;
	struct tracepoint *tp;
	bool registered;
} ks_tps[] = {
	{ "sys_exit", ks_probe_sys_exit },
	{ "sched_process_exit", ks_probe_process_exit },
};

static void ks_find_tp(struct tracepoint *tp, void *priv)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ks_tps); i++)
		if (!strcmp(tp->name, ks_tps[i].name))
			ks_tps[i].tp = tp;
}

int ks_probes_register(void)
{
	size_t i;
	int err;

	for_each_kernel_tracepoint(ks_find_tp, NULL);
	for (i = 0; i < ARRAY_SIZE(ks_tps); i++) {
		if (!ks_tps[i].tp) {
			pr_err("kestrel: tracepoint %s not found\n", ks_tps[i].name);
			err = -ENOENT;
			goto fail;
		}
		err = tracepoint_probe_register(ks_tps[i].tp, ks_tps[i].probe, NULL);
		if (err) {
			pr_err("kestrel: cannot attach to %s: %d\n", ks_tps[i].name, err);
			goto fail;
		}
		ks_tps[i].registered = true;
	}
	return 0;
fail:
	ks_probes_unregister();
	return err;
}

/* After this returns no probe runs any more: rings and scratch may be freed. */
void ks_probes_unregister(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ks_tps); i++) {
		if (ks_tps[i].registered)
			tracepoint_probe_unregister(ks_tps[i].tp, ks_tps[i].probe, NULL);
		ks_tps[i].registered = false;
	}
	tracepoint_synchronize_unregister();
}
