/*
 * Keeping the state from events: ks_state_before runs before the rules (new images, new
 * children and new fds are visible to the event that made them), ks_state_after runs after
 * (a close's or an exit's rules still see what is going away).
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "state_int.h"

#define CLONE_MATCH_WINDOW_NS 5000000000ull /* parent and child clone events of one clone */

static int64_t p_s64(const struct ks_event *ev, const char *name, int64_t def)
{
	return ks_event_s64_by_name(ev, name, def);
}

static bool p_has(const struct ks_event *ev, const char *name)
{
	int i = ks_event_param_index(ev->type, name);
	return i >= 0 && ks_event_has(ev, (unsigned)i);
}

/* A thread the table could not hold still gets a (per-event) identity. */
static struct ks_thread *scratch_thread(struct ks_state *st, const struct ks_event *ev)
{
	struct ks_thread *t = &st->scratch_thread;
	t->tid = ev->tid;
	t->pid = ev->pid;
	t->vtid = t->vpid = -1;
	return t;
}

/* Build an entry for a thread we have never seen: from its process if we know it (threads
 * of one process share the image), otherwise from /proc (it predates the seed), otherwise
 * as bare ids. */
static struct ks_thr *new_unknown_thread(struct ks_state *st, const struct ks_event *ev)
{
	struct ks_thr *leader = ev->tid != ev->pid ? ks_thr_find(st, ev->pid) : NULL;
	struct ks_thr *th = NULL;
	if (leader) {
		th = ks_thr_alloc(st, ev->tid, ev->pid);
		if (!th)
			return NULL;
		ks_thr_copy_image(&th->t, &leader->t);
		th->t.ptid = leader->t.ptid;
		th->t.vpid = leader->t.vpid;
		th->t.clone_ts = leader->t.clone_ts;
		th->t.fds = ks_fdt_get(leader->t.fds);
	} else {
		th = ks_proc_read_thread(st, ev->pid, ev->tid, NULL);
		if (th)
			st->ctr.threads_from_proc++;
		else
			th = ks_thr_alloc(st, ev->tid, ev->pid);
		if (!th)
			return NULL;
	}
	if (!th->t.fds)
		th->t.fds = ks_fdt_new(st);
	ks_thr_insert(st, th);
	ks_container_seen(st, th->t.container_id);
	return th;
}

static struct ks_thr *caller(struct ks_state *st, struct ks_event *ev, bool create)
{
	struct ks_thr *th = ks_thr_find(st, ev->tid);
	/* a tid now in another process: the old entry is stale (its exit was lost) */
	if (th && ev->pid > 0 && th->t.pid != ev->pid && !th->t.exited) {
		ks_thr_remove(st, th, 0);
		th = NULL;
	}
	if (!th && create)
		th = new_unknown_thread(st, ev);
	if (th) {
		ks_thr_touch(st, th, ev->ts);
		ev->thread = &th->t;
	} else
		ev->thread = scratch_thread(st, ev);
	return th;
}

static void set_cwd(struct ks_thread *t, const char *cwd)
{
	if (!cwd || !*cwd)
		return;
	size_t n = strlen(cwd);
	char *c = malloc(n + 2);
	if (!c)
		return;
	memcpy(c, cwd, n + 1);
	if (c[n - 1] != '/')
		strcpy(c + n, "/"); /* Falco's proc.cwd ends with a slash */
	free(t->cwd);
	t->cwd = c;
}

static void set_cgroup(struct ks_state *st, struct ks_thread *t, const char *cg)
{
	if (!cg)
		return;
	if (!t->cgroup || strcmp(t->cgroup, cg) != 0)
		ks_set_str(&t->cgroup, cg);
	ks_container_id_from_cgroup(t->cgroup, t->container_id);
	ks_container_seen(st, t->container_id);
}

/* The fields clone and exec records both carry about the task they describe. */
static void apply_common(struct ks_state *st, struct ks_thr *th, const struct ks_event *ev)
{
	struct ks_thread *t = &th->t;
	const char *s = ks_event_str_by_name(ev, "comm");
	if (s)
		snprintf(t->comm, sizeof(t->comm), "%s", s);
	if ((s = ks_event_str_by_name(ev, "exepath")))
		ks_set_str(&t->exepath, s);
	if (p_has(ev, "uid"))
		t->uid = (uint32_t)p_s64(ev, "uid", 0);
	if (p_has(ev, "gid"))
		t->gid = (uint32_t)p_s64(ev, "gid", 0);
	if (p_has(ev, "loginuid"))
		t->loginuid = (uint32_t)p_s64(ev, "loginuid", 0);
	t->pgid = p_s64(ev, "pgid", t->pgid);
	t->sid = p_s64(ev, "sid", t->sid);
	t->vpid = p_s64(ev, "vpid", t->vpid);
	if (t->vpid == t->pid)
		t->vtid = t->tid; /* not in a pid namespace: virtual ids are the real ones */
	else if (t->tid == t->pid)
		t->vtid = t->vpid;
	int64_t ptid = p_s64(ev, "ptid", 0);
	if (ptid > 0 && ptid != t->ptid) {
		t->ptid = ptid;
		ks_thr_link(st, th);
	}
	set_cgroup(st, t, ks_event_str_by_name(ev, "cgroup"));
}

static void on_exec(struct ks_state *st, struct ks_event *ev)
{
	struct ks_thr *th = caller(st, ev, true);
	if (!th || p_s64(ev, "res", -1) != 0)
		return;
	struct ks_thread *t = &th->t;
	/*
	 * A successful exec leaves one thread, with the leader's tid (the kernel moves an
	 * exec'ing thread there): the other entries of the process are dead, and a leader
	 * kept after its own exit record lives on.
	 */
	while (!ks_list_empty(&th->members))
		ks_thr_remove(st, ks_container_of(th->members.next, struct ks_thr, member_node), 0);
	if (t->exited) {
		t->exited = false;
		ks_thr_touch(st, th, ev->ts);
	}
	th->exec_ts = ev->ts;
	set_cwd(t, ks_event_str_by_name(ev, "cwd"));
	apply_common(st, th, ev);
	const char *s;
	if ((s = ks_event_str_by_name(ev, "exe")))
		ks_set_str(&t->exe, s);
	int ai = ks_event_param_index(ev->type, "args");
	if (ai >= 0) {
		size_t n = ev->plen[ai];
		if (n && ev->param[ai][n - 1] == '\0')
			n--; /* stored without the last NUL, as seeded args are */
		ks_set_buf(&t->args, &t->args_len, ev->param[ai], n);
	}
	/* the new image's environment replaces the old one (env -i leaves none at all) */
	int ei = ks_event_param_index(ev->type, "env");
	if (ei >= 0) {
		size_t n = ev->plen[ei];
		if (n && ev->param[ei][n - 1] == '\0')
			n--;
		ks_set_buf(&t->env, &t->env_len, n ? ev->param[ei] : (const uint8_t *)"", n);
	}
	if (!ks_event_str_by_name(ev, "exepath") && (s = ks_event_str_by_name(ev, "filename"))) {
		char *p = ks_path_resolve(t->cwd, s);
		if (p) {
			free(t->exepath);
			t->exepath = p;
		}
	}
	if (p_has(ev, "tty"))
		t->tty = (uint32_t)p_s64(ev, "tty", 0);
	if (p_has(ev, "cap_permitted"))
		t->cap_permitted = (uint64_t)p_s64(ev, "cap_permitted", 0);
	if (p_has(ev, "cap_effective"))
		t->cap_effective = (uint64_t)p_s64(ev, "cap_effective", 0);
	/* exec unshares the fd table, then closes what was opened close-on-exec */
	if (t->fds && ks_fdt_refs(t->fds) > 1) {
		struct ks_fdtable *own = ks_fdt_copy(t->fds);
		if (own) {
			ks_fdt_put(t->fds);
			t->fds = own;
		}
	}
	ks_fdt_drop_cloexec(t->fds);
}

static bool near(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) < CLONE_MATCH_WINDOW_NS;
}

/* A new child entry copying src (the process it was cloned from). */
static struct ks_thr *child_from(struct ks_state *st, const struct ks_thread *src, int64_t tid,
				 int64_t pid, uint64_t flags, uint64_t ts)
{
	struct ks_thr *c = ks_thr_alloc(st, tid, pid);
	if (!c)
		return NULL;
	if (src) {
		ks_thr_copy_image(&c->t, src);
		if (src->fds)
			c->t.fds = (flags & (CLONE_THREAD | CLONE_FILES)) ? ks_fdt_get(src->fds)
									  : ks_fdt_copy(src->fds);
	}
	if (!c->t.fds)
		c->t.fds = ks_fdt_new(st);
	c->t.clone_ts = ts;
	return c;
}

static void on_clone(struct ks_state *st, struct ks_event *ev)
{
	int64_t res = p_s64(ev, "res", -1);
	uint64_t flags = (uint64_t)p_s64(ev, "flags", 0);
	if (res < 0) {
		caller(st, ev, true);
		return;
	}
	if (res == 0) {
		/* the child's side: the record describes the child itself */
		struct ks_thr *c = ks_thr_find(st, ev->tid);
		if (c && c->from_clone_parent && c->t.pid == ev->pid &&
		    near(c->t.clone_ts, ev->ts)) {
			c->from_clone_parent = false; /* the parent's side came first */
		} else {
			int64_t ptid = p_s64(ev, "ptid", -1);
			struct ks_thr *src = (flags & CLONE_THREAD) ? ks_thr_find(st, ev->pid)
								    : ks_thr_find(st, ptid);
			if (!src && ptid > 0)
				src = ks_thr_find(st, ptid);
			c = child_from(st, src ? &src->t : NULL, ev->tid, ev->pid, flags, ev->ts);
			if (!c) {
				ev->thread = scratch_thread(st, ev);
				return;
			}
			if (src && (flags & CLONE_THREAD))
				c->t.ptid = src->t.ptid;
			c->from_clone_child = true;
			ks_thr_insert(st, c); /* replaces a stale entry with a reused tid */
		}
		apply_common(st, c, ev);
		ks_thr_touch(st, c, ev->ts);
		ev->thread = &c->t;
		return;
	}
	/* the parent's side: record about the caller; make the child unless it came first */
	struct ks_thr *p = caller(st, ev, true);
	int64_t cpid = (flags & CLONE_THREAD) ? ev->pid : res;
	struct ks_thr *c = ks_thr_find(st, res);
	if (c && c->from_clone_child && c->t.pid == cpid && near(c->t.clone_ts, ev->ts)) {
		c->from_clone_child = false;
		return;
	}
	if (!p)
		return;
	st->pin = p; /* the caller must survive an eviction the child causes */
	c = child_from(st, &p->t, res, cpid, flags, ev->ts);
	if (!c) {
		st->pin = NULL;
		return;
	}
	c->t.ptid = (flags & CLONE_THREAD) ? p->t.ptid : p->t.pid;
	if (flags & CLONE_THREAD)
		c->t.vpid = p->t.vpid;
	else if (flags & CLONE_NEWPID)
		c->t.vpid = 1;
	else if (p->t.vpid == p->t.pid)
		c->t.vpid = cpid;
	else
		c->t.vpid = -1; /* in a pid namespace: the child's record will tell */
	c->t.vtid = c->t.vpid == cpid ? res : (c->t.tid == cpid ? c->t.vpid : -1);
	c->from_clone_parent = true;
	ks_thr_insert(st, c);
	st->pin = NULL;
}

/* The fd table of the caller, created if it had none. */
static struct ks_fdtable *fds_of(struct ks_state *st, struct ks_thr *th)
{
	if (th && !th->t.fds)
		th->t.fds = ks_fdt_new(st);
	return th ? th->t.fds : NULL;
}

/* Store a new fd, or when that is impossible hand out the scratch fd for this event. */
struct ks_fd *ks_new_fd(struct ks_state *st, struct ks_thr *th, int64_t num)
{
	struct ks_fdtable *ft = fds_of(st, th);
	struct ks_fd *fd = ft ? ks_fdt_add(ft, num) : NULL;
	if (!fd) {
		fd = &st->scratch_fd;
		ks_fd_clear(fd);
		memset(fd, 0, sizeof(*fd));
		fd->num = num;
	}
	return fd;
}

static void on_open(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	int64_t res = p_s64(ev, "res", -1);
	const char *name = ks_event_str_by_name(ev, "name");
	uint32_t flags = ev->type == KS_E_CREAT ? (uint32_t)(O_CREAT | O_WRONLY | O_TRUNC)
						: (uint32_t)p_s64(ev, "flags", 0);
	const char *base = ev->thread->cwd;
	if (ev->type == KS_E_OPENAT || ev->type == KS_E_OPENAT2) {
		int64_t dirfd = p_s64(ev, "dirfd", AT_FDCWD);
		if (dirfd != AT_FDCWD) {
			struct ks_fd *d = ks_state_fd(st, ev->thread, dirfd);
			base = d && d->name && d->name[0] == '/' ? d->name : NULL;
		}
	}
	char *path = name ? ks_path_resolve(base, name) : NULL;
	struct ks_fd *fd = ks_new_fd(st, res >= 0 ? th : NULL, res);
	fd->open_flags = flags;
	/* O_TMPFILE contains the O_DIRECTORY bit but makes a file */
	if ((flags & O_DIRECTORY) && (flags & O_TMPFILE) != O_TMPFILE)
		fd->type = KS_FD_DIRECTORY;
	else
		fd->type = KS_FD_FILE;
	fd->name = path ? path : strdup(name ? name : "");
	fd->nameraw = strdup(name ? name : "");
	ev->fd = fd;
	ev->fdnum = res >= 0 ? res : -1;
}

static void on_socket(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	int64_t res = p_s64(ev, "res", -1);
	if (res < 0)
		return;
	uint32_t domain = (uint32_t)p_s64(ev, "domain", 0);
	uint32_t type = (uint32_t)p_s64(ev, "type", 0);
	uint32_t proto = (uint32_t)p_s64(ev, "proto", 0);
	struct ks_fd *fd = ks_new_fd(st, th, res);
	switch (domain) {
	case AF_INET:
		fd->type = KS_FD_IPV4_SOCK;
		fd->family = KS_AF_INET;
		break;
	case AF_INET6:
		fd->type = KS_FD_IPV6_SOCK;
		fd->family = KS_AF_INET6;
		break;
	case AF_UNIX:
		fd->type = KS_FD_UNIX_SOCK;
		fd->family = KS_AF_UNIX;
		break;
	case AF_NETLINK:
		fd->type = KS_FD_NETLINK;
		break;
	default:
		fd->type = KS_FD_OTHER_SOCK;
		break;
	}
	if (domain == AF_INET || domain == AF_INET6) {
		switch (type & 0xf) {
		case SOCK_STREAM:
			fd->l4proto = IPPROTO_TCP;
			break;
		case SOCK_DGRAM:
			fd->l4proto = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6
					  ? (uint8_t)proto
					  : IPPROTO_UDP;
			break;
		case SOCK_RAW:
			fd->l4proto = proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6
					  ? (uint8_t)proto
					  : IPPROTO_RAW;
			break;
		}
	}
	if (type & SOCK_CLOEXEC)
		fd->open_flags |= O_CLOEXEC;
	fd->name = strdup("");
	ev->fd = fd;
	ev->fdnum = res;
}

static void tuple_param(const struct ks_event *ev, const uint8_t **p, uint16_t *len)
{
	int i = ks_event_param_index(ev->type, "tuple");
	*p = i >= 0 && ks_event_has(ev, (unsigned)i) ? ev->param[i] : NULL;
	*len = *p ? ev->plen[i] : 0;
}

static void on_connect(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	int64_t res = p_s64(ev, "res", -1), num = p_s64(ev, "fd", -1);
	struct ks_fd *fd = ks_state_fd(st, ev->thread, num);
	ev->fdnum = num;
	ev->fd = fd;
	const uint8_t *tp;
	uint16_t tl;
	tuple_param(ev, &tp, &tl);
	if ((res != 0 && res != -EINPROGRESS) || !tp || num < 0)
		return;
	if (!fd) {
		fd = ks_new_fd(st, th, num); /* a socket from before we started */
		ev->fd = fd;
	}
	char *old = fd->name && fd->name[0] ? strdup(fd->name) : NULL;
	if (ks_fd_set_tuple(fd, tp, tl, true) == 0) {
		fd->connected = true;
		fd->is_server = false;
		if (old && strcmp(old, fd->name) != 0)
			st->name_changed_seq = st->evseq;
	}
	free(old);
}

/*
 * sendto/sendmsg: on an unconnected (datagram) socket the destination the caller named is
 * the remote end, the socket's own address the local one; the fd takes that name, and
 * fd.name_changed says when it differs from the last one (Falco's outbound macro).
 */
static void on_send(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	int64_t res = p_s64(ev, "res", -1), num = p_s64(ev, "fd", -1);
	struct ks_fd *fd = ks_state_fd(st, ev->thread, num);
	ev->fdnum = num;
	ev->fd = fd;
	const uint8_t *tp, *ap;
	uint16_t tl;
	tuple_param(ev, &tp, &tl);
	int ai = ks_event_param_index(ev->type, "addr");
	ap = ai >= 0 && ks_event_has(ev, (unsigned)ai) ? ev->param[ai] : NULL;
	uint16_t al = ap ? ev->plen[ai] : 0;
	if (res < 0 || num < 0 || !tp || !ap || (fd && fd->connected))
		return;
	uint8_t t[37];
	uint16_t n;
	if (tp[0] == KS_AF_INET && tl == 13 && ap[0] == KS_AF_INET && al == 7) {
		memcpy(t, tp, 13);
		memcpy(t + 5, ap + 1, 4);  /* remote address */
		memcpy(t + 11, ap + 5, 2); /* remote port */
		n = 13;
	} else if (tp[0] == KS_AF_INET6 && tl == 37 && ap[0] == KS_AF_INET6 && al == 19) {
		memcpy(t, tp, 37);
		memcpy(t + 17, ap + 1, 16);
		memcpy(t + 35, ap + 17, 2);
		n = 37;
	} else {
		return; /* unix datagrams keep their socket's name */
	}
	if (!fd) {
		fd = ks_new_fd(st, th, num); /* a socket from before we started */
		ev->fd = fd;
		if (!fd)
			return;
	}
	char *old = fd->name ? strdup(fd->name) : NULL;
	if (ks_fd_set_tuple(fd, t, n, true) == 0 && (!old || strcmp(old, fd->name) != 0))
		st->name_changed_seq = st->evseq;
	free(old);
}

static void on_accept(struct ks_state *st, struct ks_event *ev, struct ks_thr *th)
{
	int64_t res = p_s64(ev, "res", -1), lnum = p_s64(ev, "fd", -1);
	struct ks_fd *lfd = ks_state_fd(st, ev->thread, lnum);
	if (lfd)
		lfd->is_server = true;
	if (res < 0) {
		ev->fd = lfd;
		ev->fdnum = lnum;
		return;
	}
	uint8_t l4 = lfd ? lfd->l4proto : 0;
	struct ks_fd *fd = ks_new_fd(st, th, res);
	const uint8_t *tp;
	uint16_t tl;
	tuple_param(ev, &tp, &tl);
	if (ks_fd_set_tuple(fd, tp, tl, false) != 0) {
		fd->type = lfd ? lfd->type : KS_FD_OTHER_SOCK;
		fd->family = lfd ? lfd->family : 0;
		fd->name = strdup("");
	}
	/* only stream sockets accept: TCP unless it is a unix socket */
	fd->l4proto =
	    l4 ? l4
	       : (fd->type == KS_FD_IPV4_SOCK || fd->type == KS_FD_IPV6_SOCK ? IPPROTO_TCP : 0);
	fd->is_server = true;
	fd->connected = true;
	if (ev->type == KS_E_ACCEPT4 && ((uint32_t)p_s64(ev, "flags", 0) & SOCK_CLOEXEC))
		fd->open_flags |= O_CLOEXEC;
	ev->fd = fd;
	ev->fdnum = res;
}

void ks_state_before(struct ks_state *st, struct ks_event *ev)
{
	st->evseq++;
	ks_users_refresh(st->users);
	ev->state = st;
	ev->fd = NULL;
	ev->fdnum = -1;
	ev->thread = NULL;
	struct ks_thr *th;
	switch (ev->type) {
	case KS_E_CLONE:
	case KS_E_CLONE3:
	case KS_E_FORK:
	case KS_E_VFORK:
		on_clone(st, ev);
		return;
	case KS_E_EXECVE:
	case KS_E_EXECVEAT:
		on_exec(st, ev);
		return;
	case KS_E_PROCEXIT:
	case KS_E_DROP:
	case KS_E_CONTAINER:
		caller(st, ev, false); /* an exiting or synthetic task is not worth a /proc read */
		return;
	case KS_E_PROCINFO:
		ks_snap_procinfo(st, ev);
		return;
	case KS_E_FDINFO:
		ks_snap_fdinfo(st, ev);
		return;
	default:
		break;
	}
	th = caller(st, ev, true);
	switch (ev->type) {
	case KS_E_OPEN:
	case KS_E_OPENAT:
	case KS_E_OPENAT2:
	case KS_E_CREAT:
		on_open(st, ev, th);
		break;
	case KS_E_SOCKET:
		on_socket(st, ev, th);
		break;
	case KS_E_CONNECT:
		on_connect(st, ev, th);
		break;
	case KS_E_SENDTO:
	case KS_E_SENDMSG:
		on_send(st, ev, th);
		break;
	case KS_E_ACCEPT:
	case KS_E_ACCEPT4:
		on_accept(st, ev, th);
		break;
	case KS_E_CLOSE:
		ev->fdnum = p_s64(ev, "fd", -1);
		ev->fd = ks_state_fd(st, ev->thread, ev->fdnum);
		break;
	default:
		ks_ext_before(st, ev, th);
		break;
	}
}

static void on_procexit(struct ks_state *st, struct ks_event *ev)
{
	struct ks_thr *th = ks_thr_find(st, ev->tid);
	if (!th)
		return;
	/* the old leader's exit, delivered after the exec that replaced it (another CPU) */
	if (th->exec_ts && ev->ts < th->exec_ts)
		return;
	int64_t reaper = p_s64(ev, "reaper", 0);
	if (reaper <= 0)
		reaper = 1;
	if (th->t.tid == th->t.pid && !ks_list_empty(&th->members)) {
		/* the leader goes first: keep it (exited, evicted first) for its threads */
		th->t.exited = true;
		th->reaper = reaper;
		ks_list_del(&th->lru);
		ks_list_add_head(&st->lru, &th->lru);
		return;
	}
	int64_t pid = th->t.pid;
	bool leader = th->t.tid == pid;
	ks_thr_remove(st, th, leader ? reaper : 0);
	if (!leader) {
		struct ks_thr *l = ks_thr_find(st, pid);
		if (l && l->t.exited && ks_list_empty(&l->members))
			ks_thr_remove(st, l, l->reaper);
	}
}

void ks_state_after(struct ks_state *st, struct ks_event *ev)
{
	switch (ev->type) {
	case KS_E_CLOSE:
		if (p_s64(ev, "res", -1) == 0 && ev->thread && ev->thread->fds)
			ks_fdt_remove(ev->thread->fds, ev->fdnum);
		break;
	case KS_E_PROCEXIT:
		on_procexit(st, ev);
		ev->thread = NULL; /* freed */
		break;
	default:
		ks_ext_after(st, ev);
		break;
	}
	ev->fd = NULL; /* may have been freed */
}

bool ks_state_fd_name_changed(const struct ks_state *st, const struct ks_event *ev)
{
	return ev->fd && st->name_changed_seq && st->name_changed_seq == st->evseq;
}
