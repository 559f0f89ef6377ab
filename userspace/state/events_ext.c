/*
 * State kept from syscalls the event table may not carry yet (dup, pipe, setuid, chdir,
 * memfd_create, ...). Handlers are bound by event *name* when the state is created, so
 * they start working as soon as a record with that name appears in KS_EVENT_TABLE,
 * without touching this file. Parameters are read by name, as Falco names them:
 *   dup: res oldfd | dup2, dup3: res oldfd newfd [flags] | fcntl: res fd cmd
 *   pipe, pipe2: res fd1 fd2 [ino] [flags] | socketpair: res fd1 fd2 domain type
 *   setuid/setgid: res uid|gid | setreuid: res ruid euid | setresuid: res ruid euid suid
 *   (and the gid twins) | chdir: res path | fchdir: res fd | memfd_create: res name flags
 *   eventfd*, signalfd*, timerfd_create, inotify_init*, epoll_create*, userfaultfd,
 *   io_uring_setup: res | listen: res fd | bind: res addr fd | setsid: res |
 *   setpgid: res pid pgid | prctl: res option arg2_str | capset: res cap_inheritable
 *   cap_permitted cap_effective | close_range: res fd max_fd flags (applied after the rules)
 * Events of any type with an "fd" parameter get ev->fd pointed at that descriptor.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "state_int.h"

static const struct {
	const char *name;
	enum ks_ext_kind kind;
} ext_names[] = {
    {"dup", KS_EXT_DUP},
    {"dup2", KS_EXT_DUP},
    {"dup3", KS_EXT_DUP},
    {"fcntl", KS_EXT_FCNTL},
    {"pipe", KS_EXT_PIPE},
    {"pipe2", KS_EXT_PIPE},
    {"socketpair", KS_EXT_SOCKETPAIR},
    {"setuid", KS_EXT_SETUID},
    {"setreuid", KS_EXT_SETUID},
    {"setresuid", KS_EXT_SETUID},
    {"setgid", KS_EXT_SETGID},
    {"setregid", KS_EXT_SETGID},
    {"setresgid", KS_EXT_SETGID},
    {"chdir", KS_EXT_CHDIR},
    {"fchdir", KS_EXT_FCHDIR},
    {"memfd_create", KS_EXT_MEMFD},
    {"eventfd", KS_EXT_EVENTFD},
    {"eventfd2", KS_EXT_EVENTFD},
    {"signalfd", KS_EXT_SIGNALFD},
    {"signalfd4", KS_EXT_SIGNALFD},
    {"timerfd_create", KS_EXT_TIMERFD},
    {"inotify_init", KS_EXT_INOTIFY},
    {"inotify_init1", KS_EXT_INOTIFY},
    {"epoll_create", KS_EXT_EPOLL},
    {"epoll_create1", KS_EXT_EPOLL},
    {"userfaultfd", KS_EXT_USERFAULTFD},
    {"io_uring_setup", KS_EXT_IOURING},
    {"listen", KS_EXT_LISTEN},
    {"bind", KS_EXT_BIND},
    {"setsid", KS_EXT_SETSID},
    {"setpgid", KS_EXT_SETPGID},
    {"prctl", KS_EXT_PRCTL},
    {"capset", KS_EXT_CAPSET},
    {"close_range", KS_EXT_CLOSE_RANGE},
};

#define KS_PR_SET_NAME	       15
#define KS_CLOSE_RANGE_UNSHARE (1u << 1)
#define KS_CLOSE_RANGE_CLOEXEC (1u << 2)

void ks_ext_bind(struct ks_state *st)
{
	for (size_t i = 0; i < sizeof(ext_names) / sizeof(ext_names[0]); i++) {
		enum ks_event_type t = ks_event_type_by_name(ext_names[i].name);
		if (t != KS_E_UNKNOWN)
			st->ext_kind[t] = (uint8_t)ext_names[i].kind;
	}
	for (unsigned t = 1; t < KS_E_MAX; t++) {
		int i = ks_event_param_index((enum ks_event_type)t, "fd");
		st->fd_param[t] =
		    i >= 0 && ks_events[t].params[i].type == KS_PT_FD ? (int8_t)i : -1;
	}
}

static int64_t p_s64(const struct ks_event *ev, const char *name, int64_t def)
{
	return ks_event_s64_by_name(ev, name, def);
}

static bool p_has(const struct ks_event *ev, const char *name)
{
	int i = ks_event_param_index(ev->type, name);
	return i >= 0 && ks_event_has(ev, (unsigned)i);
}

/* Apply fn to every known thread of process pid (ids such as sid and pgid are per
 * process): the leader and the threads listed under it. */
static void for_process(struct ks_state *st, int64_t pid,
			void (*fn)(struct ks_thread *, int64_t, int64_t), int64_t a, int64_t b)
{
	struct ks_thr *leader = ks_thr_find(st, pid);
	if (!leader || leader->t.pid != pid)
		return;
	fn(&leader->t, a, b);
	for (struct ks_list *l = leader->members.next; l != &leader->members; l = l->next)
		fn(&ks_container_of(l, struct ks_thr, member_node)->t, a, b);
}

static void set_sid_pgid(struct ks_thread *t, int64_t sid, int64_t pgid)
{
	if (sid > 0)
		t->sid = sid;
	if (pgid > 0)
		t->pgid = pgid;
}

/* bind: the local end of a socket (the server side, as Falco sees a bound socket). */
static void on_bind(struct ks_state *st, struct ks_event *ev)
{
	int64_t num = p_s64(ev, "fd", -1);
	struct ks_fd *fd = ks_state_fd(st, ev->thread, num);
	ev->fd = fd;
	ev->fdnum = num;
	int ai = ks_event_param_index(ev->type, "addr");
	if (!fd || p_s64(ev, "res", -1) != 0 || ai < 0 || !ks_event_has(ev, (unsigned)ai))
		return;
	const uint8_t *p = ev->param[ai];
	uint16_t len = ev->plen[ai], port;
	char ip[INET6_ADDRSTRLEN] = "", *name = NULL;
	fd->is_server = true;
	if (p[0] == KS_AF_INET && len == 7) {
		fd->family = KS_AF_INET;
		memset(fd->sip, 0, sizeof(fd->sip));
		memcpy(fd->sip, p + 1, 4);
		memcpy(&port, p + 5, 2);
		fd->sport = port;
		inet_ntop(AF_INET, fd->sip, ip, sizeof(ip));
	} else if (p[0] == KS_AF_INET6 && len == 19) {
		fd->family = KS_AF_INET6;
		memcpy(fd->sip, p + 1, 16);
		memcpy(&port, p + 17, 2);
		fd->sport = port;
		inet_ntop(AF_INET6, fd->sip, ip, sizeof(ip));
	} else if (p[0] == KS_AF_UNIX && len >= 2) {
		fd->family = KS_AF_UNIX;
		fd->type = KS_FD_UNIX_SOCK;
		name = strndup((const char *)p + 1, len - 1u);
	} else
		return;
	if (!name && asprintf(&name, "%s:%u", ip, fd->sport) < 0)
		name = NULL;
	if (name) {
		free(fd->name);
		fd->name = name;
	}
}

static void on_setpgid(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	if (!th || p_s64(ev, "res", -1) != 0)
		return;
	int64_t pid = p_s64(ev, "pid", 0), pgid = p_s64(ev, "pgid", 0);
	if (pid <= 0)
		pid = th->t.pid;
	else if (th->t.vpid > 0 && th->t.vpid != th->t.pid)
		return; /* a pid of the caller's namespace: we cannot map it to ours */
	if (pgid <= 0)
		pgid = pid;
	for_process(st, pid, set_sid_pgid, 0, pgid);
}

static struct ks_fd *add_fd(struct ks_state *st, struct ks_thr *th, int64_t num,
			    enum ks_fd_type type, const char *name)
{
	struct ks_fd *fd = ks_new_fd(st, th, num);
	fd->type = type;
	fd->name = strdup(name ? name : "");
	return fd;
}

static void on_dup(struct ks_state *st, struct ks_event *ev, struct ks_thr *th, bool fcntl_cmd)
{
	int64_t res = p_s64(ev, "res", -1);
	int64_t oldnum = p_s64(ev, fcntl_cmd ? "fd" : "oldfd", -1);
	bool cloexec = false;
	if (fcntl_cmd) {
		int64_t cmd = p_s64(ev, "cmd", -1);
		if (cmd == F_SETFD && res == 0) {
			/* close-on-exec set or cleared after the open: what exec drops */
			struct ks_fd *fd = ks_state_fd(st, ev->thread, oldnum);
			if (fd && p_has(ev, "arg"))
				fd->open_flags = (p_s64(ev, "arg", 0) & FD_CLOEXEC)
						     ? fd->open_flags | O_CLOEXEC
						     : fd->open_flags & ~(uint32_t)O_CLOEXEC;
		}
		if (cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC)
			return;
		cloexec = cmd == F_DUPFD_CLOEXEC;
	} else
		cloexec = (uint32_t)p_s64(ev, "flags", 0) & O_CLOEXEC;
	struct ks_fd *old = ks_state_fd(st, ev->thread, oldnum);
	if (res >= 0 && res != oldnum && !old && ev->thread->fds)
		/* a copy of something we never saw: whatever the number named before (dup2
		 * closed it) is gone, and a stale name would be worse than none */
		ks_fdt_remove(ev->thread->fds, res);
	if (res < 0 || res == oldnum || !old) {
		ev->fd = old;
		ev->fdnum = oldnum;
		return;
	}
	struct ks_fd copy;
	if (ks_fd_copy(&copy, old))
		return;
	/* the new descriptor is another name for the same open file; FD_CLOEXEC is per fd */
	struct ks_fd *fd = ks_new_fd(st, th, res);
	copy.num = res;
	copy.open_flags = (copy.open_flags & ~(uint32_t)O_CLOEXEC) | (cloexec ? O_CLOEXEC : 0);
	ks_fd_clear(fd);
	*fd = copy;
	ev->fd = fd;
	ev->fdnum = res;
}

static void on_pipe(struct ks_state *st, struct ks_event *ev, struct ks_thr *th, bool unix_pair)
{
	if (p_s64(ev, "res", -1) < 0)
		return;
	int64_t a = p_s64(ev, "fd1", -1), b = p_s64(ev, "fd2", -1);
	uint32_t flags = (uint32_t)p_s64(ev, "flags", 0);
	char name[48] = "";
	int64_t ino = p_s64(ev, "ino", 0);
	if (!unix_pair && ino > 0)
		snprintf(name, sizeof(name), "pipe:[%lld]", (long long)ino);
	enum ks_fd_type type = unix_pair ? KS_FD_UNIX_SOCK : KS_FD_PIPE;
	if (unix_pair)
		flags = ((uint32_t)p_s64(ev, "type", 0) & SOCK_CLOEXEC) ? O_CLOEXEC : 0;
	struct ks_fd *fa = a >= 0 ? add_fd(st, th, a, type, name) : NULL;
	if (fa)
		fa->open_flags = flags & O_CLOEXEC;
	struct ks_fd *fb = b >= 0 ? add_fd(st, th, b, type, name) : NULL;
	if (fb)
		fb->open_flags = flags & O_CLOEXEC;
	if (unix_pair) {
		if (fa)
			fa->family = KS_AF_UNIX;
		if (fb)
			fb->family = KS_AF_UNIX;
	}
	ev->fd = fa;
	ev->fdnum = a;
}

/* The effective id a set*id call leaves, or -1 if unchanged. */
static int64_t new_effective(const struct ks_event *ev, const char *single, const char *eff)
{
	if (p_s64(ev, "res", -1) != 0)
		return -1;
	int64_t v = p_s64(ev, single, -1);
	if (v < 0 || v == UINT32_MAX)
		v = p_s64(ev, eff, -1);
	return v == UINT32_MAX ? -1 : v;
}

static void set_cwd_all(struct ks_state *st, struct ks_thr *th, const char *path)
{
	/* threads share the working directory (CLONE_FS): update the caller and its leader */
	size_t n = strlen(path);
	char *c = malloc(n + 2);
	if (!c)
		return;
	memcpy(c, path, n + 1);
	if (!n || c[n - 1] != '/')
		strcpy(c + n, "/");
	struct ks_thr *leader = th->t.tid != th->t.pid ? ks_thr_find(st, th->t.pid) : NULL;
	if (leader)
		ks_set_str(&leader->t.cwd, c);
	free(th->t.cwd);
	th->t.cwd = c;
}

static void on_chdir(struct ks_state *st, struct ks_event *ev, struct ks_thr *th, bool by_fd)
{
	if (!th || p_s64(ev, "res", -1) != 0)
		return;
	if (by_fd) {
		struct ks_fd *d = ks_state_fd(st, ev->thread, p_s64(ev, "fd", -1));
		if (d && d->name && d->name[0] == '/')
			set_cwd_all(st, th, d->name);
		return;
	}
	const char *p = ks_event_str_by_name(ev, "path");
	char *abs = p ? ks_path_resolve(th->t.cwd, p) : NULL;
	if (abs && abs[0] == '/')
		set_cwd_all(st, th, abs);
	free(abs);
}

void ks_ext_before(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	enum ks_ext_kind k = (enum ks_ext_kind)st->ext_kind[ev->type];
	int64_t res = p_s64(ev, "res", -1);
	int64_t v;
	switch (k) {
	case KS_EXT_NONE:
		break;
	case KS_EXT_DUP:
		on_dup(st, ev, th, false);
		break;
	case KS_EXT_FCNTL:
		on_dup(st, ev, th, true);
		break;
	case KS_EXT_PIPE:
		on_pipe(st, ev, th, false);
		break;
	case KS_EXT_SOCKETPAIR:
		on_pipe(st, ev, th, true);
		break;
	case KS_EXT_SETUID:
		if (th && (v = new_effective(ev, "uid", "euid")) >= 0)
			th->t.uid = (uint32_t)v;
		break;
	case KS_EXT_SETGID:
		if (th && (v = new_effective(ev, "gid", "egid")) >= 0)
			th->t.gid = (uint32_t)v;
		break;
	case KS_EXT_CHDIR:
		on_chdir(st, ev, th, false);
		break;
	case KS_EXT_FCHDIR:
		on_chdir(st, ev, th, true);
		break;
	case KS_EXT_MEMFD:
		if (res >= 0) {
			const char *n = ks_event_str_by_name(ev, "name");
			char name[300];
			snprintf(name, sizeof(name), "memfd:%s", n ? n : "");
			ev->fd = add_fd(st, th, res, KS_FD_MEMFD, name);
			if ((uint32_t)p_s64(ev, "flags", 0) & 1u /* MFD_CLOEXEC */)
				ev->fd->open_flags |= O_CLOEXEC;
			ev->fdnum = res;
		}
		break;
	case KS_EXT_EVENTFD:
	case KS_EXT_SIGNALFD:
	case KS_EXT_TIMERFD:
	case KS_EXT_INOTIFY:
	case KS_EXT_EPOLL:
	case KS_EXT_USERFAULTFD:
	case KS_EXT_IOURING:
		if (res >= 0) {
			static const enum ks_fd_type types[] = {
			    [KS_EXT_EVENTFD] = KS_FD_EVENT,
			    [KS_EXT_SIGNALFD] = KS_FD_SIGNALFD,
			    [KS_EXT_TIMERFD] = KS_FD_TIMERFD,
			    [KS_EXT_INOTIFY] = KS_FD_INOTIFY,
			    [KS_EXT_EPOLL] = KS_FD_EVENTPOLL,
			    [KS_EXT_USERFAULTFD] = KS_FD_USERFAULTFD,
			    [KS_EXT_IOURING] = KS_FD_IOURING,
			};
			ev->fd = add_fd(st, th, res, types[k], "");
			ev->fdnum = res;
		}
		break;
	case KS_EXT_LISTEN:
		if (res == 0) {
			struct ks_fd *fd = ks_state_fd(st, ev->thread, p_s64(ev, "fd", -1));
			if (fd)
				fd->is_server = true;
		}
		break;
	case KS_EXT_BIND:
		on_bind(st, ev);
		break;
	case KS_EXT_SETSID:
		/* the caller's process leads a new session and a new group, both its pid */
		if (th && res > 0)
			for_process(st, th->t.pid, set_sid_pgid, res, res);
		break;
	case KS_EXT_SETPGID:
		on_setpgid(st, ev, th);
		break;
	case KS_EXT_PRCTL:
		/* PR_SET_NAME names the calling thread only */
		if (th && res == 0 && p_s64(ev, "option", -1) == KS_PR_SET_NAME) {
			const char *n = ks_event_str_by_name(ev, "arg2_str");
			if (n)
				snprintf(th->t.comm, sizeof(th->t.comm), "%s", n);
		}
		break;
	case KS_EXT_CAPSET:
		/* capset changes the calling thread's sets; the record has them as they are now */
		if (th && res == 0) {
			if (p_has(ev, "cap_inheritable"))
				th->t.cap_inheritable = (uint64_t)p_s64(ev, "cap_inheritable", 0);
			if (p_has(ev, "cap_permitted"))
				th->t.cap_permitted = (uint64_t)p_s64(ev, "cap_permitted", 0);
			if (p_has(ev, "cap_effective"))
				th->t.cap_effective = (uint64_t)p_s64(ev, "cap_effective", 0);
		}
		break;
	case KS_EXT_CLOSE_RANGE:
		break; /* after the rules: they may still want the first fd's name */
	}
	/* anything else about an fd (read, write, fchmod, sendto, ...): point at it */
	int fi = st->fd_param[ev->type];
	if (!ev->fd && ev->fdnum < 0 && fi >= 0 && ks_event_has(ev, (unsigned)fi)) {
		ev->fdnum = ks_event_s64(ev, (unsigned)fi, -1);
		ev->fd = ks_state_fd(st, ev->thread, ev->fdnum);
	}
}

void ks_ext_after(struct ks_state *st, struct ks_event *ev)
{
	if (st->ext_kind[ev->type] != KS_EXT_CLOSE_RANGE || p_s64(ev, "res", -1) != 0 ||
	    !ev->thread || !ev->thread->fds)
		return;
	uint32_t flags = (uint32_t)p_s64(ev, "flags", 0);
	struct ks_thread *t = ev->thread;
	if ((flags & KS_CLOSE_RANGE_UNSHARE) && ks_fdt_refs(t->fds) > 1) {
		/* the caller got its own copy of the table first (CLONE_FILES siblings keep
		 * theirs); other threads of the process keep pointing at the shared one, which
		 * is as close as a per-process table gets */
		struct ks_fdtable *own = ks_fdt_copy(t->fds);
		if (own) {
			ks_fdt_put(t->fds);
			t->fds = own;
		}
	}
	ks_fdt_close_range(t->fds, p_s64(ev, "fd", 0), p_s64(ev, "max_fd", INT64_MAX),
			   flags & KS_CLOSE_RANGE_CLOEXEC);
}
