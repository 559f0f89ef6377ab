/*
 * Snapshots: the thread and fd tables written as PROCINFO and FDINFO records at the head
 * of a capture, and read back from them, so a replay starts from the state the live run
 * had without reading this machine's /proc (which describes other processes, or another
 * machine altogether).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "state_int.h"

#define SNAP_MAX_DEPTH 256 /* ancestry longer than this (or a ptid loop) sorts last */

#define FDI_SERVER    1u
#define FDI_CONNECTED 2u

/* A record under construction: parameters in table order, by index. */
struct snap_rec {
	const void *p[KS_MAX_PARAMS];
	uint16_t len[KS_MAX_PARAMS];
	uint64_t num[KS_MAX_PARAMS]; /* backing store of fixed-size values */
};

static void put_num(struct snap_rec *r, enum ks_event_type type, const char *name, uint64_t v)
{
	int i = ks_event_param_index(type, name);
	if (i < 0)
		return;
	r->num[i] = v;
	r->p[i] = &r->num[i];
	/* 4-byte types take the low half, which is where a little-endian u64 keeps it */
	r->len[i] = ks_events[type].params[i].type == KS_PT_UINT32 ||
			    ks_events[type].params[i].type == KS_PT_UID ||
			    ks_events[type].params[i].type == KS_PT_GID ||
			    ks_events[type].params[i].type == KS_PT_FLAGS32
			? 4
			: 8;
}

/* A string with its NUL, or a NUL-separated list stored without its last NUL (n bytes). */
static void put_buf(struct snap_rec *r, enum ks_event_type type, const char *name, const char *s,
		    size_t n)
{
	int i = ks_event_param_index(type, name);
	if (i < 0 || !s || n + 1 > UINT16_MAX)
		return;
	r->p[i] = s;
	r->len[i] = (uint16_t)(n + 1);
}

static void put_str(struct snap_rec *r, enum ks_event_type type, const char *name, const char *s)
{
	if (s)
		put_buf(r, type, name, s, strlen(s));
}

/* Depth of t in the ptid chain, for writing parents before their children. */
static unsigned depth_of(struct ks_state *st, const struct ks_thread *t)
{
	unsigned d = 0;
	int64_t p = t->ptid;
	while (p > 0 && d < SNAP_MAX_DEPTH) {
		struct ks_thr *pt = ks_thr_find(st, p);
		if (!pt || pt->t.ptid == p)
			break;
		p = pt->t.ptid;
		d++;
	}
	return d;
}

struct snap_ent {
	struct ks_thr *th;
	unsigned depth;
};

static int cmp_ent(const void *a, const void *b)
{
	const struct snap_ent *x = a, *y = b;
	if (x->depth != y->depth)
		return x->depth < y->depth ? -1 : 1;
	/* leaders first: their threads share the fd table they create */
	bool xl = x->th->t.tid == x->th->t.pid, yl = y->th->t.tid == y->th->t.pid;
	if (xl != yl)
		return xl ? -1 : 1;
	return x->th->t.tid < y->th->t.tid ? -1 : x->th->t.tid > y->th->t.tid;
}

static size_t build_procinfo(uint8_t *buf, size_t cap, const struct ks_thread *t, bool with_env)
{
	const enum ks_event_type T = KS_E_PROCINFO;
	struct snap_rec r;
	memset(&r, 0, sizeof(r));
	put_num(&r, T, "ptid", (uint64_t)t->ptid);
	put_str(&r, T, "comm", t->comm);
	put_str(&r, T, "exe", t->exe);
	if (t->args)
		put_buf(&r, T, "args", t->args, t->args_len);
	put_str(&r, T, "exepath", t->exepath);
	put_str(&r, T, "cwd", t->cwd);
	put_num(&r, T, "uid", t->uid);
	put_num(&r, T, "gid", t->gid);
	put_num(&r, T, "loginuid", t->loginuid);
	put_num(&r, T, "tty", t->tty);
	put_num(&r, T, "pgid", (uint64_t)t->pgid);
	put_num(&r, T, "sid", (uint64_t)t->sid);
	put_num(&r, T, "vpid", (uint64_t)t->vpid);
	put_num(&r, T, "vtid", (uint64_t)t->vtid);
	put_num(&r, T, "cap_permitted", t->cap_permitted);
	put_num(&r, T, "cap_effective", t->cap_effective);
	put_num(&r, T, "cap_inheritable", t->cap_inheritable);
	put_str(&r, T, "cgroup", t->cgroup);
	put_num(&r, T, "clone_ts", t->clone_ts);
	if (with_env && t->env)
		put_buf(&r, T, "env", t->env, t->env_len);
	return ks_record_build(buf, cap, T, (uint32_t)t->tid, (uint32_t)t->pid, 0, r.p, r.len,
			       ks_events[T].nparams);
}

/* The tuple of a socket fd, local end first, in the ABI's encoding; 0 when it has none. */
static uint16_t encode_tuple(const struct ks_fd *fd, uint8_t out[40])
{
	const uint8_t *l = fd->is_server ? fd->sip : fd->cip,
		      *r = fd->is_server ? fd->cip : fd->sip;
	uint16_t lp = fd->is_server ? fd->sport : fd->cport,
		 rp = fd->is_server ? fd->cport : fd->sport;
	switch (fd->family) {
	case KS_AF_INET:
		out[0] = KS_AF_INET;
		memcpy(out + 1, l, 4);
		memcpy(out + 5, r, 4);
		memcpy(out + 9, &lp, 2);
		memcpy(out + 11, &rp, 2);
		return 13;
	case KS_AF_INET6:
		out[0] = KS_AF_INET6;
		memcpy(out + 1, l, 16);
		memcpy(out + 17, r, 16);
		memcpy(out + 33, &lp, 2);
		memcpy(out + 35, &rp, 2);
		return 37;
	case KS_AF_UNIX:
		/* socket ids as ks_fd_set_tuple keeps them; the name travels in its own param */
		out[0] = KS_AF_UNIX;
		memcpy(out + 1, fd->cip, 8);
		memcpy(out + 9, fd->sip, 8);
		out[17] = '\0';
		return 18;
	}
	return 0;
}

static size_t build_fdinfo(uint8_t *buf, size_t cap, const struct ks_thread *t,
			   const struct ks_fd *fd)
{
	const enum ks_event_type T = KS_E_FDINFO;
	struct snap_rec r;
	uint8_t tuple[40];
	memset(&r, 0, sizeof(r));
	put_num(&r, T, "fd", (uint64_t)fd->num);
	put_num(&r, T, "type", (uint32_t)fd->type);
	put_str(&r, T, "name", fd->name);
	put_num(&r, T, "flags", fd->open_flags);
	uint16_t tl = encode_tuple(fd, tuple);
	int ti = ks_event_param_index(T, "tuple");
	if (tl && ti >= 0) {
		r.p[ti] = tuple;
		r.len[ti] = tl;
	}
	put_str(&r, T, "nameraw", fd->nameraw);
	put_num(&r, T, "l4proto", fd->l4proto);
	put_num(&r, T, "sockstate",
		(fd->is_server ? FDI_SERVER : 0) | (fd->connected ? FDI_CONNECTED : 0));
	return ks_record_build(buf, cap, T, (uint32_t)t->pid, (uint32_t)t->pid, 0, r.p, r.len,
			       ks_events[T].nparams);
}

int ks_state_snapshot(struct ks_state *st, int (*emit)(void *ctx, const void *rec, size_t len),
		      void *ctx)
{
	size_t n = 0, i;
	struct snap_ent *ents = calloc(st->nthreads ? st->nthreads : 1, sizeof(*ents));
	uint8_t *buf = malloc(KS_MAX_RECORD);
	int rc = 0;
	if (!ents || !buf) {
		ks_log_error("state: out of memory writing the state snapshot");
		rc = -ENOMEM;
		goto out;
	}
	for (struct ks_list *l = st->lru.next; l != &st->lru && n < st->nthreads; l = l->next) {
		struct ks_thr *th = ks_container_of(l, struct ks_thr, lru);
		ents[n].th = th;
		ents[n++].depth = depth_of(st, &th->t);
	}
	qsort(ents, n, sizeof(*ents), cmp_ent);
	for (i = 0; i < n && !rc; i++) {
		const struct ks_thread *t = &ents[i].th->t;
		size_t len = build_procinfo(buf, KS_MAX_RECORD, t, true);
		if (!len) /* a huge environment: the thread matters more than its env */
			len = build_procinfo(buf, KS_MAX_RECORD, t, false);
		if (!len) {
			ks_log_warn("state: snapshot: thread %lld does not fit a record; left out",
				    (long long)t->tid);
			continue;
		}
		rc = emit(ctx, buf, len);
	}
	/* fds once per process, after every thread exists; a table shared by several
	 * processes (CLONE_FILES) is written for each of them */
	for (i = 0; i < n && !rc; i++) {
		const struct ks_thread *t = &ents[i].th->t;
		if (t->tid != t->pid || !t->fds)
			continue;
		size_t pos = 0;
		struct ks_fd *fd;
		while (!rc && (fd = ks_state_fd_next(st, t, &pos))) {
			size_t len = build_fdinfo(buf, KS_MAX_RECORD, t, fd);
			if (len)
				rc = emit(ctx, buf, len);
		}
	}
out:
	free(ents);
	free(buf);
	return rc;
}

/* PROCINFO: a thread exactly as the seed would have read it (replacing any entry). */
void ks_snap_procinfo(struct ks_state *st, struct ks_event *ev)
{
	struct ks_thr *leader = ev->tid != ev->pid ? ks_thr_find(st, ev->pid) : NULL;
	struct ks_thr *th = ks_thr_alloc(st, ev->tid, ev->pid);
	if (!th) {
		ev->thread = &st->scratch_thread;
		return;
	}
	struct ks_thread *t = &th->t;
	const char *s;
	t->ptid = ks_event_s64_by_name(ev, "ptid", -1);
	if ((s = ks_event_str_by_name(ev, "comm")))
		snprintf(t->comm, sizeof(t->comm), "%s", s);
	ks_set_str(&t->exe, ks_event_str_by_name(ev, "exe"));
	ks_set_str(&t->exepath, ks_event_str_by_name(ev, "exepath"));
	ks_set_str(&t->cwd, ks_event_str_by_name(ev, "cwd"));
	ks_set_str(&t->cgroup, ks_event_str_by_name(ev, "cgroup"));
	int ai = ks_event_param_index(ev->type, "args");
	if (ai >= 0 && ev->plen[ai])
		ks_set_buf(&t->args, &t->args_len, ev->param[ai], ev->plen[ai] - 1u);
	int ei = ks_event_param_index(ev->type, "env");
	if (ei >= 0 && ev->plen[ei])
		ks_set_buf(&t->env, &t->env_len, ev->param[ei], ev->plen[ei] - 1u);
	t->uid = (uint32_t)ks_event_s64_by_name(ev, "uid", 0);
	t->gid = (uint32_t)ks_event_s64_by_name(ev, "gid", 0);
	t->loginuid = (uint32_t)ks_event_s64_by_name(ev, "loginuid", UINT32_MAX);
	t->tty = (uint32_t)ks_event_s64_by_name(ev, "tty", 0);
	t->pgid = ks_event_s64_by_name(ev, "pgid", -1);
	t->sid = ks_event_s64_by_name(ev, "sid", -1);
	t->vpid = ks_event_s64_by_name(ev, "vpid", ev->pid);
	t->vtid = ks_event_s64_by_name(ev, "vtid", ev->tid);
	t->cap_permitted = (uint64_t)ks_event_s64_by_name(ev, "cap_permitted", 0);
	t->cap_effective = (uint64_t)ks_event_s64_by_name(ev, "cap_effective", 0);
	t->cap_inheritable = (uint64_t)ks_event_s64_by_name(ev, "cap_inheritable", 0);
	t->clone_ts = (uint64_t)ks_event_s64_by_name(ev, "clone_ts", 0);
	ks_container_id_from_cgroup(t->cgroup, t->container_id);
	/* threads share their leader's table, as the seed shares what the leader read */
	t->fds = leader && leader->t.fds ? ks_fdt_get(leader->t.fds) : ks_fdt_new(st);
	ks_thr_insert(st, th);
	/* links to the leader and the parent are made here, so a snapshot writes leaders
	 * before their threads and parents before their children (ks_state_snapshot does) */
	ks_container_seen(st, t->container_id);
	ev->thread = t;
}

/* FDINFO: one open descriptor of a process (header tid/pid: the process). */
void ks_snap_fdinfo(struct ks_state *st, struct ks_event *ev)
{
	struct ks_thr *th = ks_thr_find(st, ev->pid);
	if (!th)
		th = ks_thr_find(st, ev->tid);
	ev->thread = th ? &th->t : &st->scratch_thread;
	if (!th)
		return; /* its procinfo was left out: nothing to attach the fd to */
	if (!th->t.fds)
		th->t.fds = ks_fdt_new(st);
	int64_t num = ks_event_s64_by_name(ev, "fd", -1);
	struct ks_fd *fd = th->t.fds && num >= 0 ? ks_fdt_add(th->t.fds, num) : NULL;
	if (!fd)
		return;
	uint32_t type = (uint32_t)ks_event_s64_by_name(ev, "type", 0);
	fd->type = type <= KS_FD_OTHER_SOCK ? (enum ks_fd_type)type : KS_FD_UNKNOWN;
	fd->open_flags = (uint32_t)ks_event_s64_by_name(ev, "flags", 0);
	fd->l4proto = (uint8_t)ks_event_s64_by_name(ev, "l4proto", 0);
	uint32_t ss = (uint32_t)ks_event_s64_by_name(ev, "sockstate", 0);
	fd->is_server = ss & FDI_SERVER;
	int ti = ks_event_param_index(ev->type, "tuple");
	if (ti >= 0 && ks_event_has(ev, (unsigned)ti)) {
		enum ks_fd_type keep = fd->type;
		ks_fd_set_tuple(fd, ev->param[ti], ev->plen[ti], !fd->is_server);
		fd->type = keep;
	}
	fd->connected = ss & FDI_CONNECTED;
	const char *s = ks_event_str_by_name(ev, "name");
	ks_set_str(&fd->name, s ? s : "");
	if ((s = ks_event_str_by_name(ev, "nameraw")))
		ks_set_str(&fd->nameraw, s);
	ev->fd = fd;
	ev->fdnum = num;
}
