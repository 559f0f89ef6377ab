/* proc.* and thread.* fields: the calling thread, its process and its ancestors. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "state/state.h"

#define MAX_ANCESTORS 256 /* bound on parent walks, also against cycles from pid reuse */

static struct ks_thread *parent(struct ks_event *ev, const struct ks_thread *t)
{
	return t ? ks_state_parent(ev->state, t) : NULL;
}

/* Ancestor n (0: the thread itself, 1: its parent, ...). */
static struct ks_thread *ancestor(struct ks_event *ev, int64_t n)
{
	struct ks_thread *t = ks_field_thread(ev);
	for (int64_t i = 0; i < n && t && i < MAX_ANCESTORS; i++)
		t = parent(ev, t);
	return t;
}

/* argv-style NUL-separated bytes joined with spaces, after an optional head. */
static const char *join_args(struct ks_event *ev, const char *head, const char *args, size_t len)
{
	size_t hl = head ? strlen(head) : 0;
	char *b = ks_arena_alloc(ev->arena, hl + 1 + len + 1);
	if (!b)
		return NULL;
	size_t o = 0;
	if (hl) {
		memcpy(b, head, hl);
		o = hl;
		if (len)
			b[o++] = ' ';
	}
	for (size_t i = 0; i < len; i++)
		b[o++] = args[i] ? args[i] : ' ';
	b[o] = '\0';
	return b;
}

static const char *cmdline(struct ks_event *ev, const struct ks_thread *t)
{
	return join_args(ev, t->comm, t->args, t->args_len);
}

static int str_or_na(struct ks_value *o, const char *s)
{
	return s ? ks_value_str(o, s) : 0;
}

/* What an ancestor field reads from a thread. */
enum what { W_NAME, W_EXE, W_EXEPATH, W_CMDLINE, W_PID };

static int one(struct ks_event *ev, const struct ks_thread *t, enum what w, struct ks_value *o)
{
	if (!t)
		return 0;
	switch (w) {
	case W_NAME:
		return ks_value_str(o, t->comm);
	case W_EXE:
		return str_or_na(o, t->exe);
	case W_EXEPATH:
		return str_or_na(o, t->exepath);
	case W_CMDLINE:
		return str_or_na(o, cmdline(ev, t));
	case W_PID:
		return ks_value_i64(o, t->pid);
	}
	return 0;
}

/* proc.aname[N]: ancestor N; without an index, every ancestor (filters match any). */
static int ancestors(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		     size_t m, enum what w)
{
	if (r->has_arg)
		return r->argnum < 0 ? 0 : one(ev, ancestor(ev, r->argnum), w, o);
	size_t n = 0;
	struct ks_thread *t = parent(ev, ks_field_thread(ev));
	for (int i = 0; t && n < m && i < MAX_ANCESTORS; i++, t = parent(ev, t))
		n += (size_t)one(ev, t, w, &o[n]);
	return (int)n;
}

KS_EXTRACT(f_name)
{
	(void)r, (void)m;
	return one(ev, ks_field_thread(ev), W_NAME, o);
}

KS_EXTRACT(f_exe)
{
	(void)r, (void)m;
	return one(ev, ks_field_thread(ev), W_EXE, o);
}

KS_EXTRACT(f_exepath)
{
	(void)r, (void)m;
	return one(ev, ks_field_thread(ev), W_EXEPATH, o);
}

KS_EXTRACT(f_cmdline)
{
	(void)r, (void)m;
	return one(ev, ks_field_thread(ev), W_CMDLINE, o);
}

KS_EXTRACT(f_exeline)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? str_or_na(o, join_args(ev, t->exe ? t->exe : "", t->args, t->args_len)) : 0;
}

KS_EXTRACT(f_args)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? str_or_na(o, join_args(ev, NULL, t->args, t->args_len)) : 0;
}

KS_EXTRACT(f_pname)
{
	(void)r, (void)m;
	return one(ev, parent(ev, ks_field_thread(ev)), W_NAME, o);
}

KS_EXTRACT(f_pexe)
{
	(void)r, (void)m;
	return one(ev, parent(ev, ks_field_thread(ev)), W_EXE, o);
}

KS_EXTRACT(f_pexepath)
{
	(void)r, (void)m;
	return one(ev, parent(ev, ks_field_thread(ev)), W_EXEPATH, o);
}

KS_EXTRACT(f_pcmdline)
{
	(void)r, (void)m;
	return one(ev, parent(ev, ks_field_thread(ev)), W_CMDLINE, o);
}

KS_EXTRACT(f_aname)
{
	return ancestors(ev, r, o, m, W_NAME);
}

KS_EXTRACT(f_aexe)
{
	return ancestors(ev, r, o, m, W_EXE);
}

KS_EXTRACT(f_aexepath)
{
	return ancestors(ev, r, o, m, W_EXEPATH);
}

KS_EXTRACT(f_acmdline)
{
	return ancestors(ev, r, o, m, W_CMDLINE);
}

KS_EXTRACT(f_apid)
{
	return ancestors(ev, r, o, m, W_PID);
}

KS_EXTRACT(f_pid)
{
	(void)r, (void)m;
	return one(ev, ks_field_thread(ev), W_PID, o);
}

KS_EXTRACT(f_ppid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->ptid > 0 ? ks_value_i64(o, t->ptid) : 0;
}

KS_EXTRACT(f_vpid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->vpid >= 0 ? ks_value_i64(o, t->vpid) : 0;
}

KS_EXTRACT(f_pvpid)
{
	(void)r, (void)m;
	struct ks_thread *p = parent(ev, ks_field_thread(ev));
	return p && p->vpid >= 0 ? ks_value_i64(o, p->vpid) : 0;
}

KS_EXTRACT(f_sid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->sid >= 0 ? ks_value_i64(o, t->sid) : 0;
}

/*
 * The session leader: the process whose pid is the session id, or else the eldest ancestor
 * in the same session (the leader itself may be gone or unknown).
 */
static struct ks_thread *session_leader(struct ks_event *ev)
{
	struct ks_thread *t = ks_field_thread(ev), *best = NULL;
	if (!t || t->sid < 0)
		return NULL;
	for (int i = 0; t && i < MAX_ANCESTORS; i++, t = parent(ev, t)) {
		if (t->sid != ks_field_thread(ev)->sid)
			break;
		best = t;
		if (t->pid == t->sid)
			break;
	}
	return best;
}

KS_EXTRACT(f_sname)
{
	(void)r, (void)m;
	return one(ev, session_leader(ev), W_NAME, o);
}

KS_EXTRACT(f_sid_exe)
{
	(void)r, (void)m;
	return one(ev, session_leader(ev), W_EXE, o);
}

KS_EXTRACT(f_sid_exepath)
{
	(void)r, (void)m;
	return one(ev, session_leader(ev), W_EXEPATH, o);
}

KS_EXTRACT(f_is_sid_leader)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->sid >= 0 ? ks_value_bool(o, t->sid == t->pid) : 0;
}

/* The process group leader, for the vpgid fields. */
static struct ks_thread *pgid_leader(struct ks_event *ev)
{
	struct ks_thread *t = ks_field_thread(ev);
	if (!t || t->pgid < 0)
		return NULL;
	if (t->pgid == t->pid)
		return t;
	for (int i = 0; t && i < MAX_ANCESTORS; i++, t = parent(ev, t))
		if (t->pid == ks_field_thread(ev)->pgid)
			return t;
	return ks_state_thread(ev->state, ks_field_thread(ev)->pgid);
}

KS_EXTRACT(f_vpgid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t || t->pgid < 0)
		return 0;
	if (t->vpid == t->pid) /* not in a pid namespace */
		return ks_value_i64(o, t->pgid);
	struct ks_thread *l = pgid_leader(ev);
	return l && l->vpid >= 0 ? ks_value_i64(o, l->vpid) : 0;
}

KS_EXTRACT(f_vpgid_name)
{
	(void)r, (void)m;
	return one(ev, pgid_leader(ev), W_NAME, o);
}

KS_EXTRACT(f_vpgid_exe)
{
	(void)r, (void)m;
	return one(ev, pgid_leader(ev), W_EXE, o);
}

KS_EXTRACT(f_vpgid_exepath)
{
	(void)r, (void)m;
	return one(ev, pgid_leader(ev), W_EXEPATH, o);
}

KS_EXTRACT(f_is_vpgid_leader)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->pgid >= 0 ? ks_value_bool(o, t->pgid == t->pid) : 0;
}

KS_EXTRACT(f_tty)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_u64(o, KS_FT_UINT64, t->tty) : 0;
}

KS_EXTRACT(f_cwd)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? str_or_na(o, t->cwd) : 0;
}

static bool is_shell(const char *comm)
{
	static const char *const shells[] = {"sh",  "bash", "csh",  "tcsh", "zsh",
					     "ksh", "fish", "dash", "ash"};
	for (size_t i = 0; i < sizeof(shells) / sizeof(shells[0]); i++)
		if (strcmp(comm, shells[i]) == 0)
			return true;
	return false;
}

/* The eldest shell among the process and its ancestors: one id per login session. */
KS_EXTRACT(f_loginshellid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	int64_t id = -1;
	for (int i = 0; t && i < MAX_ANCESTORS; i++, t = parent(ev, t))
		if (is_shell(t->comm))
			id = t->pid;
	return id >= 0 ? ks_value_i64(o, id) : 0;
}

static int duration(struct ks_event *ev, const struct ks_thread *t, struct ks_value *o)
{
	if (!t || !t->clone_ts || ev->ts < t->clone_ts)
		return 0;
	return ks_value_u64(o, KS_FT_RELTIME, ev->ts - t->clone_ts);
}

KS_EXTRACT(f_duration)
{
	(void)r, (void)m;
	return duration(ev, ks_field_thread(ev), o);
}

KS_EXTRACT(f_ppid_duration)
{
	(void)r, (void)m;
	return duration(ev, parent(ev, ks_field_thread(ev)), o);
}

KS_EXTRACT(f_pid_ts)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->clone_ts ? ks_value_u64(o, KS_FT_ABSTIME, t->clone_ts) : 0;
}

KS_EXTRACT(f_ppid_ts)
{
	(void)r, (void)m;
	struct ks_thread *t = parent(ev, ks_field_thread(ev));
	return t && t->clone_ts ? ks_value_u64(o, KS_FT_ABSTIME, t->clone_ts) : 0;
}

/* proc.env: all of it joined with spaces, or proc.env[NAME]: one value. */
KS_EXTRACT(f_env)
{
	(void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t || !t->env)
		return 0;
	if (!r->has_arg)
		return str_or_na(o, join_args(ev, NULL, t->env, t->env_len));
	size_t kl = strlen(r->argstr);
	for (size_t i = 0; i < t->env_len;) {
		const char *e = t->env + i;
		size_t el = strnlen(e, t->env_len - i);
		if (el > kl && memcmp(e, r->argstr, kl) == 0 && e[kl] == '=')
			return str_or_na(o, ks_arena_strdup(ev->arena, e + kl + 1, el - kl - 1));
		i += el + 1;
	}
	return 0;
}

KS_EXTRACT(f_is_exe_from_memfd)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	if (!t || !t->exepath)
		return 0;
	/* the kernel names memfd files "memfd:<name>"; d_path shows them under / */
	const char *p = t->exepath[0] == '/' ? t->exepath + 1 : t->exepath;
	return ks_value_bool(o, strncmp(p, "memfd:", 6) == 0);
}

KS_EXTRACT(f_tid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_i64(o, t->tid) : 0;
}

KS_EXTRACT(f_vtid)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t && t->vtid >= 0 ? ks_value_i64(o, t->vtid) : 0;
}

KS_EXTRACT(f_ismain)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? ks_value_bool(o, t->tid == t->pid) : 0;
}

/* Capability names by bit, as capability(7) and Falco print them. */
static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static int caps(struct ks_event *ev, uint64_t set, struct ks_value *o)
{
	const size_t cap = 1024;
	char *b = ks_arena_alloc(ev->arena, cap);
	if (!b)
		return 0;
	size_t n = 0;
	b[0] = '\0';
	for (unsigned i = 0; i < 64; i++) {
		if (!(set & (1ull << i)))
			continue;
		int w = i < sizeof(cap_names) / sizeof(cap_names[0])
			    ? snprintf(b + n, cap - n, "%s%s", n ? " " : "", cap_names[i])
			    : snprintf(b + n, cap - n, "%sCAP_%u", n ? " " : "", i);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
	}
	return ks_value_str(o, b);
}

KS_EXTRACT(f_cap_permitted)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? caps(ev, t->cap_permitted, o) : 0;
}

KS_EXTRACT(f_cap_effective)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? caps(ev, t->cap_effective, o) : 0;
}

KS_EXTRACT(f_cap_inheritable)
{
	(void)r, (void)m;
	struct ks_thread *t = ks_field_thread(ev);
	return t ? caps(ev, t->cap_inheritable, o) : 0;
}

#define IDX (KS_FF_IDX_ALLOWED | KS_FF_LIST)
#define NA  KS_FF_NA_ALWAYS

/* clang-format off */
static const struct ks_field_def defs[] = {
	{"proc.pid", KS_FT_INT64, 0, "id of the process generating the event", f_pid},
	{"proc.exe", KS_FT_STRING, 0, "first command line argument (argv[0]), usually the executable name or a custom one", f_exe},
	{"proc.name", KS_FT_STRING, 0, "name of the executable generating the event (the kernel's comm, at most 15 characters)", f_name},
	{"proc.args", KS_FT_STRING, 0, "command line arguments after argv[0], joined with spaces", f_args},
	{"proc.env", KS_FT_STRING, KS_FF_KEY_ALLOWED, "environment of the process as NAME=value joined with spaces; proc.env[NAME] gives one value (from the exec record: the new image's own, at most 4 KiB)", f_env},
	{"proc.cmdline", KS_FT_STRING, 0, "full command line: proc.name followed by the arguments, joined with spaces", f_cmdline},
	{"proc.exeline", KS_FT_STRING, 0, "full command line with argv[0] (proc.exe) as the first word", f_exeline},
	{"proc.exepath", KS_FT_STRING, 0, "full path of the executable file of the process", f_exepath},
	{"proc.cwd", KS_FT_STRING, 0, "current working directory of the process, ending with '/'", f_cwd},
	{"proc.ppid", KS_FT_INT64, 0, "pid of the parent process", f_ppid},
	{"proc.pname", KS_FT_STRING, 0, "proc.name of the parent process", f_pname},
	{"proc.pcmdline", KS_FT_STRING, 0, "proc.cmdline of the parent process", f_pcmdline},
	{"proc.pexe", KS_FT_STRING, 0, "proc.exe (argv[0]) of the parent process", f_pexe},
	{"proc.pexepath", KS_FT_STRING, 0, "proc.exepath of the parent process", f_pexepath},
	{"proc.apid", KS_FT_INT64, IDX, "pid of an ancestor: proc.apid[1] is the parent, [2] the grandparent, [0] the process itself; without an index (filters only) matches any ancestor", f_apid},
	{"proc.aname", KS_FT_STRING, IDX, "proc.name of an ancestor: proc.aname[1] is the parent, [2] the grandparent, [0] the process itself; without an index (filters only) matches any ancestor", f_aname},
	{"proc.aexe", KS_FT_STRING, IDX, "proc.exe of an ancestor: proc.aexe[1] is the parent, [0] the process itself; without an index (filters only) matches any ancestor", f_aexe},
	{"proc.aexepath", KS_FT_STRING, IDX, "proc.exepath of an ancestor: proc.aexepath[1] is the parent, [0] the process itself; without an index (filters only) matches any ancestor", f_aexepath},
	{"proc.acmdline", KS_FT_STRING, IDX, "proc.cmdline of an ancestor: proc.acmdline[1] is the parent, [0] the process itself; without an index (filters only) matches any ancestor", f_acmdline},
	{"proc.loginshellid", KS_FT_INT64, 0, "pid of the eldest shell among the process and its ancestors; tells login sessions apart", f_loginshellid},
	{"proc.duration", KS_FT_RELTIME, 0, "nanoseconds since the process started", f_duration},
	{"proc.pid.ts", KS_FT_ABSTIME, 0, "start time of the process, ns since the epoch", f_pid_ts},
	{"proc.ppid.ts", KS_FT_ABSTIME, 0, "start time of the parent process, ns since the epoch", f_ppid_ts},
	{"proc.ppid.duration", KS_FT_RELTIME, 0, "nanoseconds since the parent process started", f_ppid_duration},
	{"proc.sid", KS_FT_INT64, 0, "session id of the process", f_sid},
	{"proc.sname", KS_FT_STRING, 0, "proc.name of the session leader: the process with pid proc.sid, or the eldest ancestor in the same session", f_sname},
	{"proc.sid.exe", KS_FT_STRING, 0, "proc.exe of the session leader", f_sid_exe},
	{"proc.sid.exepath", KS_FT_STRING, 0, "proc.exepath of the session leader", f_sid_exepath},
	{"proc.is_sid_leader", KS_FT_BOOL, 0, "true if the process is the leader of its session", f_is_sid_leader},
	{"proc.tty", KS_FT_UINT64, 0, "controlling terminal of the process (device number), 0 if none", f_tty},
	{"proc.vpid", KS_FT_INT64, 0, "id of the process as seen from its own pid namespace", f_vpid},
	{"proc.pvpid", KS_FT_INT64, 0, "id of the parent process as seen from its own pid namespace", f_pvpid},
	{"proc.vpgid", KS_FT_INT64, 0, "process group id as seen from the process's pid namespace", f_vpgid},
	{"proc.vpgid.name", KS_FT_STRING, 0, "proc.name of the process group leader", f_vpgid_name},
	{"proc.vpgid.exe", KS_FT_STRING, 0, "proc.exe of the process group leader", f_vpgid_exe},
	{"proc.vpgid.exepath", KS_FT_STRING, 0, "proc.exepath of the process group leader", f_vpgid_exepath},
	{"proc.is_vpgid_leader", KS_FT_BOOL, 0, "true if the process leads its process group", f_is_vpgid_leader},
	{"proc.is_exe_from_memfd", KS_FT_BOOL, 0, "true if the executable was loaded from a memfd (fileless execution)", f_is_exe_from_memfd},
	{"proc.is_exe_upper_layer", KS_FT_BOOL, NA, "true if the executable lives in the upper layer of an overlayfs (needs the inode's layer from the kernel; not recorded)", NULL},
	{"proc.is_exe_writable", KS_FT_BOOL, NA, "true if the executable file is writable by the process's user (not recorded)", NULL},
	{"proc.exe_ino", KS_FT_INT64, NA, "inode number of the executable file (not recorded by the drivers yet)", NULL},
	{"proc.exe_ino.ctime", KS_FT_ABSTIME, NA, "last status change time of the executable's inode (not recorded by the drivers yet)", NULL},
	{"proc.exe_ino.mtime", KS_FT_ABSTIME, NA, "last modification time of the executable's inode (not recorded by the drivers yet)", NULL},
	{"proc.exe_ino.ctime_duration_proc_start", KS_FT_RELTIME, NA, "ns between the executable inode's last change and the process start (not recorded by the drivers yet)", NULL},
	{"proc.exe_ino.ctime_duration_pidns_start", KS_FT_RELTIME, NA, "ns between the executable inode's last change and the pid namespace's start (not recorded)", NULL},
	{"proc.pidns_init_start_ts", KS_FT_ABSTIME, NA, "start time of the init process of the pid namespace (not recorded)", NULL},
	{"proc.is_container_healthcheck", KS_FT_BOOL, NA, "true if the process is a container healthcheck (needs a container runtime)", NULL},
	{"proc.is_container_liveness_probe", KS_FT_BOOL, NA, "true if the process is a Kubernetes liveness probe (needs a container runtime)", NULL},
	{"proc.is_container_readiness_probe", KS_FT_BOOL, NA, "true if the process is a Kubernetes readiness probe (needs a container runtime)", NULL},
	{"thread.tid", KS_FT_INT64, 0, "id of the thread generating the event", f_tid},
	{"thread.vtid", KS_FT_INT64, 0, "id of the thread as seen from its own pid namespace", f_vtid},
	{"thread.ismain", KS_FT_BOOL, 0, "true if the thread is the main thread of its process", f_ismain},
	{"thread.cap_permitted", KS_FT_STRING, 0, "permitted capabilities of the thread, as names (CAP_CHOWN CAP_KILL ...)", f_cap_permitted},
	{"thread.cap_effective", KS_FT_STRING, 0, "effective capabilities of the thread, as names (CAP_CHOWN CAP_KILL ...)", f_cap_effective},
	{"thread.cap_inheritable", KS_FT_STRING, 0, "inheritable capabilities of the thread, as names", f_cap_inheritable},
};
/* clang-format on */

const struct ks_field_table ks_fields_proc = {defs, sizeof(defs) / sizeof(defs[0])};
