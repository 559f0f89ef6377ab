/*
 * The thread table: a chained hash map tid -> entry, an LRU list that bounds it, and the
 * process links (leader -> other threads, parent process -> children) used at exit.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "state_int.h"

#define DEFAULT_THREADS 262144u
#define DEFAULT_FDS	4096u
#define MIN_BUCKETS	1024u
#define PARENT_SLACK_NS 20000000ull

static size_t hash_tid(int64_t tid, size_t nbuckets)
{
	uint64_t h = (uint64_t)tid * 0x9e3779b97f4a7c15ull;
	return (size_t)(h >> 32) & (nbuckets - 1);
}

static char *dup_or_default(const char *s, const char *def)
{
	return strdup(s && *s ? s : def);
}

/* The offset from CLOCK_BOOTTIME to the epoch, to date /proc start times. */
static uint64_t boot_epoch_ns(void)
{
	struct timespec rt, bt;
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_BOOTTIME, &bt);
	int64_t d = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000ll + (rt.tv_nsec - bt.tv_nsec);
	return d > 0 ? (uint64_t)d : 0;
}

struct ks_state *ks_state_new(const struct ks_state_opts *o)
{
	struct ks_state *st = calloc(1, sizeof(*st));
	if (!st) {
		ks_log_error("state: out of memory for the state object");
		return NULL;
	}
	st->proc_root = dup_or_default(o ? o->proc_root : NULL, "/proc");
	st->passwd_file = dup_or_default(o ? o->passwd_file : NULL, "/etc/passwd");
	st->group_file = dup_or_default(o ? o->group_file : NULL, "/etc/group");
	st->max_threads = o && o->thread_table_size ? o->thread_table_size : DEFAULT_THREADS;
	st->max_fds = o && o->max_fds_per_process ? o->max_fds_per_process : DEFAULT_FDS;
	st->no_proc = o && o->no_proc;
	st->nbuckets = MIN_BUCKETS;
	st->buckets = calloc(st->nbuckets, sizeof(*st->buckets));
	st->known_ctrs = calloc(KS_KNOWN_CTRS, sizeof(*st->known_ctrs));
	if (!st->proc_root || !st->passwd_file || !st->group_file || !st->buckets ||
	    !st->known_ctrs) {
		ks_log_error("state: out of memory setting up the thread table");
		ks_state_free(st);
		return NULL;
	}
	ks_list_init(&st->lru);
	st->boot_epoch_ns = boot_epoch_ns();
	st->clk_tck = sysconf(_SC_CLK_TCK);
	if (st->clk_tck <= 0)
		st->clk_tck = 100;
	st->users = ks_users_new(st->passwd_file, st->group_file);
	ks_ext_bind(st);
	st->scratch_thread.tid = st->scratch_thread.pid = -1;
	st->scratch_thread.ptid = -1;
	strcpy(st->scratch_thread.container_id, "host");
	return st;
}

void ks_state_free(struct ks_state *st)
{
	if (!st)
		return;
	if (st->buckets) {
		/* free everything without reparenting: drop all links first */
		while (!ks_list_empty(&st->lru)) {
			struct ks_thr *th = ks_container_of(st->lru.next, struct ks_thr, lru);
			ks_thr_remove(st, th, 0);
		}
	}
	free(st->buckets);
	free(st->known_ctrs);
	ks_fd_clear(&st->scratch_fd);
	ks_users_free(st->users);
	free(st->proc_root);
	free(st->passwd_file);
	free(st->group_file);
	free(st);
}

struct ks_thr *ks_thr_alloc(struct ks_state *st, int64_t tid, int64_t pid)
{
	struct ks_thr *th = calloc(1, sizeof(*th));
	if (!th) {
		st->ctr.alloc_failures++;
		return NULL;
	}
	th->t.tid = tid;
	th->t.pid = pid;
	th->t.ptid = -1;
	th->t.vtid = th->t.vpid = -1;
	th->t.pgid = th->t.sid = -1;
	th->t.loginuid = UINT32_MAX;
	th->t.priv = th;
	strcpy(th->t.container_id, "host");
	ks_list_init(&th->lru);
	ks_list_init(&th->members);
	ks_list_init(&th->member_node);
	ks_list_init(&th->children);
	ks_list_init(&th->child_node);
	return th;
}

struct ks_thr *ks_thr_find(struct ks_state *st, int64_t tid)
{
	for (struct ks_thr *th = st->buckets[hash_tid(tid, st->nbuckets)]; th; th = th->hnext)
		if (th->t.tid == tid)
			return th;
	return NULL;
}

/* Double the buckets while the table is more than fully loaded; failing is harmless. */
static void maybe_grow(struct ks_state *st)
{
	if (st->nthreads < st->nbuckets)
		return;
	size_t n = st->nbuckets * 2;
	struct ks_thr **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return;
	for (size_t i = 0; i < st->nbuckets; i++)
		for (struct ks_thr *th = st->buckets[i], *next; th; th = next) {
			next = th->hnext;
			size_t h = hash_tid(th->t.tid, n);
			th->hnext = nb[h];
			nb[h] = th;
		}
	free(st->buckets);
	st->buckets = nb;
	st->nbuckets = n;
}

static void unhash(struct ks_state *st, struct ks_thr *th)
{
	struct ks_thr **pp = &st->buckets[hash_tid(th->t.tid, st->nbuckets)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == th) {
			*pp = th->hnext;
			th->hnext = NULL;
			st->nthreads--;
			return;
		}
}

void ks_thr_link(struct ks_state *st, struct ks_thr *th)
{
	ks_list_del(&th->member_node);
	ks_list_del(&th->child_node);
	if (th->t.tid != th->t.pid) {
		struct ks_thr *leader = ks_thr_find(st, th->t.pid);
		if (leader && leader != th)
			ks_list_add_tail(&leader->members, &th->member_node);
	}
	if (th->t.ptid > 0 && th->t.ptid != th->t.pid) {
		struct ks_thr *parent = ks_thr_find(st, th->t.ptid);
		if (parent && parent != th && parent->t.tid == parent->t.pid)
			ks_list_add_tail(&parent->children, &th->child_node);
	}
}

void ks_thr_insert(struct ks_state *st, struct ks_thr *th)
{
	struct ks_thr *old = ks_thr_find(st, th->t.tid);
	if (old)
		ks_thr_remove(st, old, 0); /* a stale entry: the tid was reused */
	while (st->nthreads >= st->max_threads && !ks_list_empty(&st->lru)) {
		struct ks_list *l = st->lru.next;
		if (st->pin && l == &st->pin->lru)
			l = l->next;
		if (l == &st->lru)
			break; /* only the pinned entry is left: go over by one */
		struct ks_thr *victim = ks_container_of(l, struct ks_thr, lru);
		if (!victim->t.exited)
			st->ctr.thread_evictions++;
		ks_thr_remove(st, victim, 0);
	}
	maybe_grow(st);
	size_t h = hash_tid(th->t.tid, st->nbuckets);
	th->hnext = st->buckets[h];
	st->buckets[h] = th;
	st->nthreads++;
	ks_list_add_tail(&st->lru, &th->lru);
	ks_thr_link(st, th);
}

void ks_thr_touch(struct ks_state *st, struct ks_thr *th, uint64_t ts)
{
	th->last_ts = ts;
	if (!th->t.exited) {
		ks_list_del(&th->lru);
		ks_list_add_tail(&st->lru, &th->lru);
	}
}

static void free_image(struct ks_thread *t)
{
	free(t->exe);
	free(t->exepath);
	free(t->args);
	free(t->cwd);
	free(t->env);
	free(t->cgroup);
	t->exe = t->exepath = t->args = t->cwd = t->env = t->cgroup = NULL;
	t->args_len = t->env_len = 0;
}

void ks_thr_remove(struct ks_state *st, struct ks_thr *th, int64_t reaper)
{
	unhash(st, th);
	ks_list_del(&th->lru);
	ks_list_del(&th->member_node);
	ks_list_del(&th->child_node);
	while (!ks_list_empty(&th->members))
		ks_list_del(th->members.next);
	while (!ks_list_empty(&th->children)) {
		struct ks_thr *c = ks_container_of(th->children.next, struct ks_thr, child_node);
		ks_list_del(&c->child_node);
		if (reaper > 0) {
			/* the kernel hands orphans to the subreaper or init */
			c->t.ptid = reaper;
			struct ks_thr *r = ks_thr_find(st, reaper);
			if (r && r != c && r->t.tid == r->t.pid)
				ks_list_add_tail(&r->children, &c->child_node);
		}
	}
	if (th->t.fds)
		ks_fdt_put(th->t.fds);
	free_image(&th->t);
	free(th);
}

int ks_set_str(char **dst, const char *s)
{
	char *n = s ? strdup(s) : NULL;
	if (s && !n)
		return -ENOMEM;
	free(*dst);
	*dst = n;
	return 0;
}

int ks_set_buf(char **dst, size_t *dlen, const void *s, size_t n)
{
	char *b = NULL;
	if (s && n) {
		b = malloc(n + 1);
		if (!b)
			return -ENOMEM;
		memcpy(b, s, n);
		b[n] = '\0';
	}
	free(*dst);
	*dst = b;
	*dlen = b ? n : 0;
	return 0;
}

int ks_thr_copy_image(struct ks_thread *dst, const struct ks_thread *src)
{
	int rc = 0;
	memcpy(dst->comm, src->comm, sizeof(dst->comm));
	rc |= ks_set_str(&dst->exe, src->exe);
	rc |= ks_set_str(&dst->exepath, src->exepath);
	rc |= ks_set_buf(&dst->args, &dst->args_len, src->args, src->args_len);
	rc |= ks_set_str(&dst->cwd, src->cwd);
	rc |= ks_set_buf(&dst->env, &dst->env_len, src->env, src->env_len);
	rc |= ks_set_str(&dst->cgroup, src->cgroup);
	dst->uid = src->uid;
	dst->gid = src->gid;
	dst->loginuid = src->loginuid;
	dst->tty = src->tty;
	dst->cap_permitted = src->cap_permitted;
	dst->cap_effective = src->cap_effective;
	dst->cap_inheritable = src->cap_inheritable;
	dst->pgid = src->pgid;
	dst->sid = src->sid;
	memcpy(dst->container_id, src->container_id, sizeof(dst->container_id));
	return rc ? -ENOMEM : 0;
}

struct ks_thread *ks_state_thread(struct ks_state *st, int64_t tid)
{
	struct ks_thr *th = ks_thr_find(st, tid);
	return th ? &th->t : NULL;
}

struct ks_thread *ks_state_parent(struct ks_state *st, const struct ks_thread *t)
{
	if (!t || t->ptid <= 0 || t->ptid == t->pid)
		return NULL;
	struct ks_thr *p = ks_thr_find(st, t->ptid);
	/* a parent younger than its child is a reused pid, not the parent (with a clock tick
	 * of slack: /proc start times are in ticks) */
	if (!p || (p->t.clone_ts && t->clone_ts && p->t.clone_ts > t->clone_ts + PARENT_SLACK_NS))
		return NULL;
	return &p->t;
}

struct ks_fd *ks_state_fd(struct ks_state *st, const struct ks_thread *t, int64_t fd)
{
	(void)st;
	return t && t->fds ? ks_fdt_find(t->fds, fd) : NULL;
}

size_t ks_state_nthreads(const struct ks_state *st)
{
	return st->nthreads;
}

size_t ks_state_nfds(const struct ks_state *st)
{
	return st->nfds;
}

void ks_state_get_counters(const struct ks_state *st, struct ks_state_counters *out)
{
	*out = st->ctr;
}

void ks_state_required_syscalls(uint8_t filter[KS_FILTER_BYTES])
{
	for (unsigned i = 1; i < KS_E_MAX; i++) {
		int nr = ks_events[i].syscall_nr;
		if (nr >= 0 && (unsigned)nr < KS_MAX_SYSCALLS && (ks_events[i].flags & KS_EF_STATE))
			filter[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
}
