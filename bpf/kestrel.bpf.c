// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kestrel's CO-RE probe: one record per syscall, written at sys_exit with the arguments
 * (still in the saved registers) and the return value, plus one record per exiting thread.
 * The record format and the list of events come from include/kestrel_events.h.
 */
#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "kestrel_abi.h"
#include "ks_fill_ext.h"
#include "ks_net.h"
#include "ks_record.h"
#include "ks_task.h"

char LICENSE[] SEC("license") = "GPL";

#define KS_TS_COMPAT   0x0002 /* thread_info.status: a 32-bit syscall is running */
#define KS_O_CREAT     0100
#define KS_O_TMPFILE   020000000
#define KS_CLONE_VM    0x100
#define KS_CLONE_VFORK 0x4000
#define KS_SIGCHLD     17

/* Written by the driver through the mmapped .bss. */
__u8 ks_filter[KS_FILTER_BYTES]; /* bit n: capture x86_64 syscall n */
__u32 ks_capture;		 /* 0 until the driver starts capture */
__u32 ks_own_tgid;		 /* the engine: never captured (no feedback loop) */
__u64 ks_wakeup_bytes;		 /* wake the reader once a ring holds this much */

/*
 * Expanded from KS_EVENT_TABLE, so nothing here is kept in sync by hand: syscall number ->
 * event type (events that are not syscalls, nr -1, get a slot each past the syscalls),
 * event type -> parameter count, and KS_NR_<ID> = the syscall number of an event.
 */
_Static_assert(KS_E_MAX < 256, "event types must fit a byte");
#define KS_X_NR(id, name, nr, flags, params)                                                       \
	[(nr) < 0 ? KS_MAX_SYSCALLS + KS_E_##id : (nr)] = KS_E_##id,
static const volatile __u8 ks_nr_event[KS_MAX_SYSCALLS + KS_E_MAX] = {
    KS_EVENT_TABLE(KS_X_NR, KS_P_IGNORE)};
#define KS_X_NP(id, name, nr, flags, params) [KS_E_##id] = KS_NPARAMS_##id,
static const volatile __u8 ks_nparams[KS_E_MAX] = {KS_EVENT_TABLE(KS_X_NP, KS_P_IGNORE)};
#define KS_X_NR_ENUM(id, name, nr, flags, params) KS_NR_##id = nr,
enum { KS_EVENT_TABLE(KS_X_NR_ENUM, KS_P_IGNORE) };

struct ks_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20);
};

/* One ring per CPU (or per group of CPUs: the driver puts a ring in several slots). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1); /* set to the number of possible CPUs by the driver */
	__type(key, __u32);
	__array(values, struct ks_ring);
} ks_rings SEC(".maps");

/* Per-CPU record scratch; an ARRAY indexed by CPU because a per-CPU map value is limited
 * to 32 KiB. Only the sys_exit program uses it, and the kernel skips (and counts) a run of
 * a program that would nest in another run of it on the same CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* set to the number of possible CPUs by the driver */
	__type(key, __u32);
	__type(value, struct ks_scratch);
} ks_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_cpu_stats);
} ks_stats SEC(".maps");

/* clone3 flags by child tid, saved at fork time for the child's own record: a thread's
 * clone_args sit on its parent's stack, which the parent may reuse before the child runs. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} ks_clone3_flags SEC(".maps");

/* Copy a finished record to this CPU's ring. No wakeup per record (it costs 2-3x, see
 * the notes); the reader polls on a timer, and is woken only when the ring fills up. */
static __always_inline void ks_output(struct ks_cpu_stats *st, __u32 cpu, void *rec, __u64 len)
{
	void *ring = bpf_map_lookup_elem(&ks_rings, &cpu);
	__u64 flags = BPF_RB_NO_WAKEUP;

	if (!ring) {
		st->drops_bug++;
		return;
	}
	if (bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >= ks_wakeup_bytes)
		flags = BPF_RB_FORCE_WAKEUP;
	if (bpf_ringbuf_output(ring, rec, len, flags))
		st->drops_full++;
	else
		st->events++;
}

/* fds are ints: sign-extend AT_FDCWD and friends */
static __always_inline __s64 ks_fd(__u64 arg)
{
	return (int)arg;
}

/* The mode argument only means something when a file may be created. */
static __always_inline __u32 ks_open_mode(__u64 flags, __u64 mode)
{
	return (flags & (KS_O_CREAT | KS_O_TMPFILE)) ? (mode & 07777) : 0;
}

/*
 * A user memory area of NUL-separated strings (the environment), at most KS_MAX_ARGS - 1
 * bytes, its last byte made a NUL so a cut area still ends a string.
 */
__noinline int ks_put_user_area(struct ks_scratch *s, __u64 start, __u64 end)
{
	__u64 len = end > start ? end - start : 0;

	if (!s)
		return 0;
	if (len > KS_MAX_ARGS - 1)
		len = KS_MAX_ARGS - 1;
	if (!len || !ks_room(s, KS_MAX_ARGS)) {
		ks_put_empty(s);
		return 0;
	}
	__u8 *p = &s->rec[s->off & KS_OFF_MASK];

	/* bound the very register passed to the helper (see ks_fill_exec) */
	barrier_var(len);
	if (bpf_probe_read_user(p, len & (KS_MAX_ARGS - 1), (void *)start)) {
		s->faults++;
		ks_put_empty(s);
		return 0;
	}
	p[(len - 1) & (KS_MAX_ARGS - 1)] = '\0';
	ks_put_len(s, len);
	return 0;
}

/* execve/execveat: at exit, current is the new image (or the unchanged caller on failure). */
__noinline int ks_fill_exec(struct ks_scratch *s, __s64 ret, __u64 filename)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct mm_struct *mm = BPF_CORE_READ(t, mm);
	const struct cred *cred = BPF_CORE_READ(t, cred);
	__u64 start = BPF_CORE_READ(mm, arg_start), end = BPF_CORE_READ(mm, arg_end), caps;
	__u64 total = end > start ? end - start : 0, exe, rest;

	if (!s)
		return 0;
	ks_put_u64(s, ret);
	/* exe = argv[0]; args = argv[1..], NUL-separated, as the arg area holds them */
	if (total > KS_MAX_ARGS)
		total = KS_MAX_ARGS;
	exe = s->off;
	ks_put_user_str(s, total ? (void *)start : NULL, KS_MAX_ARGS);
	exe = s->off - exe;
	rest = total > exe ? total - exe : 0;
	if (exe && rest && rest <= KS_MAX_ARGS && ks_room(s, KS_MAX_ARGS)) {
		__u8 *p = &s->rec[s->off & KS_OFF_MASK];

		/* clang tests one copy of rest and passes another, which 6.1's verifier
		 * then sees as possibly negative: hide rest from clang and bound the
		 * very register that is passed (rest < KS_MAX_ARGS here, so the mask
		 * changes nothing) */
		barrier_var(rest);
		if (bpf_probe_read_user(p, rest & (KS_MAX_ARGS - 1), (void *)(start + exe))) {
			s->faults++;
			ks_put_empty(s);
		} else {
			p[(rest - 1) & (KS_MAX_ARGS - 1)] = '\0'; /* cut at KS_MAX_ARGS */
			ks_put_len(s, rest);
		}
	} else {
		ks_put_empty(s);
	}
	ks_put_u64(s, BPF_CORE_READ(t, real_parent, tgid));
	ks_put_path(s, &t->fs->pwd);
	ks_put_kernel_str(s, t->comm, KS_MAX_COMM);
	ks_put_path(s, &BPF_CORE_READ(mm, exe_file)->f_path);
	ks_put_u32(s, BPF_CORE_READ(cred, euid.val));
	ks_put_u32(s, BPF_CORE_READ(cred, egid.val));
	ks_put_u32(s, ks_loginuid(t));
	ks_put_u32(s, ks_tty_nr(t));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]), false));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]), false));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]), true));
	bpf_core_read(&caps, sizeof(caps), &cred->cap_permitted); /* u64, or u32[2] before 6.3 */
	ks_put_u64(s, caps);
	bpf_core_read(&caps, sizeof(caps), &cred->cap_effective);
	ks_put_u64(s, caps);
	ks_put_cgroup(s, t);
	/* on success the caller's memory is gone with the old image */
	if (ret < 0)
		ks_put_user_str(s, (void *)filename, KS_MAX_PATH);
	else
		ks_put_empty(s);
	/* the new image's environment (proc.env): GLIBC_TUNABLES, proxies, LD_PRELOAD... */
	ks_put_user_area(s, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
	return 0;
}

/* clone/clone3/fork/vfork, in the parent (ret = child id) and in the child (ret = 0). */
__noinline int ks_fill_clone(struct ks_scratch *s, __s64 ret, __u64 flags, int have_flags)
{
	struct task_struct *t = bpf_get_current_task_btf();
	const struct cred *cred = BPF_CORE_READ(t, cred);

	if (!s)
		return 0;
	ks_put_u64(s, ret);
	if (have_flags)
		ks_put_u64(s, flags);
	else
		ks_put_empty(s);
	ks_put_u64(s, BPF_CORE_READ(t, real_parent, tgid));
	ks_put_kernel_str(s, t->comm, KS_MAX_COMM);
	/* the child inherits both; walking them once, in the child, is enough */
	if (ret == 0)
		ks_put_path(s, &BPF_CORE_READ(t, mm, exe_file)->f_path);
	else
		ks_put_empty(s);
	ks_put_u32(s, BPF_CORE_READ(cred, euid.val));
	ks_put_u32(s, BPF_CORE_READ(cred, egid.val));
	ks_put_u32(s, ks_loginuid(t));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_PGID]), false));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_SID]), false));
	ks_put_u64(s, ks_pid_nr(BPF_CORE_READ(t, signal, pids[PIDTYPE_TGID]), true));
	if (ret == 0)
		ks_put_cgroup(s, t);
	else
		ks_put_empty(s);
	return 0;
}

/* openat2's struct open_how {u64 flags, mode, resolve}: flags, mode, resolve params. */
static __always_inline void ks_put_open_how(struct ks_scratch *s, __u64 uhow, __u64 size)
{
	__u64 how[3];

	if (uhow && size >= sizeof(how)) {
		if (!bpf_probe_read_user(how, sizeof(how), (void *)uhow)) {
			ks_put_u32(s, how[0]);
			ks_put_u32(s, how[1]);
			ks_put_u32(s, how[2]);
			return;
		}
		s->faults++;
	}
	ks_put_empty(s);
	ks_put_empty(s);
	ks_put_empty(s);
}

/* Fill the parameters of `type`, in table order. Returns false for an event this probe
 * does not know how to fill (a table entry without a case here: counted as a bug). */
static __always_inline bool ks_fill(struct ks_scratch *s, __u64 type, __s64 ret)
{
	__u64 *a = s->arg, flags;

	switch (type) {
	case KS_E_OPEN:
		ks_put_u64(s, ret);
		ks_put_user_str(s, (void *)a[0], KS_MAX_PATH);
		ks_put_u32(s, a[1]);
		ks_put_u32(s, ks_open_mode(a[1], a[2]));
		return true;
	case KS_E_OPENAT:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_user_str(s, (void *)a[1], KS_MAX_PATH);
		ks_put_u32(s, a[2]);
		ks_put_u32(s, ks_open_mode(a[2], a[3]));
		return true;
	case KS_E_OPENAT2:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_user_str(s, (void *)a[1], KS_MAX_PATH);
		ks_put_open_how(s, a[2], a[3]);
		return true;
	case KS_E_CREAT:
		ks_put_u64(s, ret);
		ks_put_user_str(s, (void *)a[0], KS_MAX_PATH);
		ks_put_u32(s, a[1] & 07777);
		return true;
	case KS_E_CLOSE:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		return true;
	case KS_E_SOCKET:
		ks_put_u64(s, ret);
		ks_put_u32(s, a[0]);
		ks_put_u32(s, a[1]);
		ks_put_u32(s, a[2]);
		return true;
	case KS_E_CONNECT:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_sockaddr(s, a[1], (int)a[2]);
		ks_put_tuple(s, ks_fd(a[0]));
		return true;
	case KS_E_SENDTO:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_u32(s, a[2]);
		if (a[4])
			ks_put_sockaddr(s, a[4], (int)a[5]);
		else
			ks_put_empty(s);
		ks_put_tuple(s, ks_fd(a[0]));
		return true;
	case KS_E_SENDMSG: {
		/* struct user_msghdr starts with msg_name, then msg_namelen */
		__u64 hdr[2] = {0, 0};

		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_u32(s, ret > 0 ? (__u32)ret : 0);
		if (a[1] && bpf_probe_read_user(hdr, sizeof(hdr), (void *)a[1]) == 0 && hdr[0])
			ks_put_sockaddr(s, hdr[0], (int)(__u32)hdr[1]);
		else
			ks_put_empty(s);
		ks_put_tuple(s, ks_fd(a[0]));
		return true;
	}
	case KS_E_ACCEPT:
	case KS_E_ACCEPT4:
		ks_put_u64(s, ret);
		ks_put_u64(s, ks_fd(a[0]));
		ks_put_tuple(s, ret); /* the new socket */
		if (type == KS_E_ACCEPT4)
			ks_put_u32(s, a[3]);
		return true;
	case KS_E_EXECVE:
		ks_fill_exec(s, ret, a[0]);
		return true;
	case KS_E_EXECVEAT:
		ks_fill_exec(s, ret, a[1]);
		return true;
	case KS_E_CLONE:
		ks_fill_clone(s, ret, a[0], 1);
		return true;
	case KS_E_CLONE3:
		if (ret == 0) { /* the child: flags saved by ks_fork */
			__u32 tid = (__u32)bpf_get_current_pid_tgid();
			__u64 *saved = bpf_map_lookup_elem(&ks_clone3_flags, &tid);

			flags = saved ? *saved : 0;
			bpf_map_delete_elem(&ks_clone3_flags, &tid);
			ks_fill_clone(s, ret, flags, saved != NULL);
		} else if (a[0] && !bpf_probe_read_user(&flags, sizeof(flags), (void *)a[0])) {
			ks_fill_clone(s, ret, flags, 1); /* struct clone_args starts with flags */
		} else {
			s->faults += a[0] ? 1 : 0;
			ks_fill_clone(s, ret, 0, 0);
		}
		return true;
	case KS_E_FORK: /* flags as the equivalent clone's */
		ks_fill_clone(s, ret, KS_SIGCHLD, 1);
		return true;
	case KS_E_VFORK:
		ks_fill_clone(s, ret, KS_CLONE_VFORK | KS_CLONE_VM | KS_SIGCHLD, 1);
		return true;
	}
	return ks_fill_ext(s, type, ret) != 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(ks_sys_exit, struct pt_regs *regs, long ret)
{
	struct task_struct *t;
	struct ks_cpu_stats *st;
	struct ks_scratch *s;
	struct ks_hdr *h;
	__u32 cpu, zero = 0;
	__u64 nr, type, np, id, ts;

	/* the common case, a syscall nobody asked for, costs these few loads */
	if (!ks_capture)
		return 0;
	nr = regs->orig_ax;
	if (nr >= KS_MAX_SYSCALLS || !(ks_filter[nr / 8] & (1u << (nr % 8))))
		return 0;
	id = bpf_get_current_pid_tgid();
	if ((__u32)(id >> 32) == ks_own_tgid)
		return 0;
	t = bpf_get_current_task_btf();
	if (t->thread_info.status & KS_TS_COMPAT) /* ia32 numbers mean other syscalls */
		return 0;
	type = ks_nr_event[nr];
	if (type == KS_E_UNKNOWN) /* asked for, but not in the table: the generic record */
		type = KS_E_GENERIC;
	if (type >= KS_E_MAX)
		return 0;

	ts = bpf_ktime_get_boot_ns();
	cpu = bpf_get_smp_processor_id();
	st = bpf_map_lookup_elem(&ks_stats, &zero);
	s = bpf_map_lookup_elem(&ks_scratch, &cpu);
	if (!st || !s)
		return 0;
	np = ks_nparams[type];
	ks_rec_begin(s, np);
	s->arg[0] = regs->di;
	s->arg[1] = regs->si;
	s->arg[2] = regs->dx;
	s->arg[3] = regs->r10;
	s->arg[4] = regs->r8;
	s->arg[5] = regs->r9;
	if (type == KS_E_GENERIC) {
		ks_put_u64(s, ret);
		ks_put_u32(s, (__u32)nr);
	} else if (!ks_fill(s, type, ret)) {
		st->drops_bug++;
		return 0;
	}
	st->drops_fault += s->faults;
	/* the self-check: a record whose count differs from the table is never emitted */
	if (s->n != np || s->off > KS_REC_LIMIT) {
		st->drops_bug++;
		return 0;
	}
	h = (struct ks_hdr *)s->rec;
	h->ts = ts;
	h->tid = (__u32)id;
	h->pid = id >> 32;
	h->len = s->off;
	h->type = type;
	h->nparams = np;
	ks_output(st, cpu, s->rec, s->off & KS_OFF_MASK);
	return 0;
}

/* Runs in the parent before the child can run: save the flags of a clone3 for the child's
 * record while the parent's clone_args are still intact. */
SEC("tp_btf/sched_process_fork")
int BPF_PROG(ks_fork, struct task_struct *parent, struct task_struct *child)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct pt_regs *regs;
	__u64 flags;
	__u32 tid;

	if (!ks_capture || !(ks_filter[KS_NR_CLONE3 / 8] & (1u << (KS_NR_CLONE3 % 8))))
		return 0;
	regs = (struct pt_regs *)bpf_task_pt_regs(t);
	if (regs->orig_ax != KS_NR_CLONE3 || (t->thread_info.status & KS_TS_COMPAT))
		return 0;
	if (bpf_probe_read_user(&flags, sizeof(flags), (void *)regs->di))
		return 0;
	tid = child->pid;
	bpf_map_update_elem(&ks_clone3_flags, &tid, &flags, BPF_ANY);
	return 0;
}

_Static_assert(KS_NPARAMS_PROCEXIT == 2, "procexit record is built by hand below");

struct ks_procexit_rec {
	struct ks_hdr h;
	__u16 len[2];
	__s64 status;
	__s64 reaper;
} __attribute__((packed));

/* One record per exiting thread; current is the exiting task. Built on the stack: it is
 * small, and it keeps this program off the scratch area of sys_exit. */
SEC("tp_btf/sched_process_exit")
int BPF_PROG(ks_proc_exit, struct task_struct *p)
{
	struct ks_procexit_rec r;
	struct ks_cpu_stats *st;
	__u32 cpu, zero = 0;
	__u64 id;

	if (!ks_capture)
		return 0;
	id = bpf_get_current_pid_tgid();
	if ((__u32)(id >> 32) == ks_own_tgid)
		return 0;
	st = bpf_map_lookup_elem(&ks_stats, &zero);
	if (!st)
		return 0;
	r.h.ts = bpf_ktime_get_boot_ns();
	r.h.tid = (__u32)id;
	r.h.pid = id >> 32;
	r.h.len = sizeof(r);
	r.h.type = KS_E_PROCEXIT;
	r.h.nparams = KS_NPARAMS_PROCEXIT;
	r.len[0] = sizeof(r.status);
	r.len[1] = sizeof(r.reaper);
	r.status = p->exit_code;
	r.reaper = ks_reaper(p);
	cpu = bpf_get_smp_processor_id();
	ks_output(st, cpu, &r, sizeof(r));
	return 0;
}
