/*
 * Private to userspace/state/: the state object, the thread wrapper and the helpers the
 * state's files share. Nothing outside state/ includes this.
 */
#ifndef KS_STATE_INT_H
#define KS_STATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "state/state.h"

/* Intrusive doubly linked list; an unlinked node points at itself. */
struct ks_list {
	struct ks_list *prev, *next;
};

static inline void ks_list_init(struct ks_list *l)
{
	l->prev = l->next = l;
}

static inline bool ks_list_empty(const struct ks_list *l)
{
	return l->next == l;
}

static inline void ks_list_del(struct ks_list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	ks_list_init(n);
}

static inline void ks_list_add_tail(struct ks_list *head, struct ks_list *n)
{
	n->prev = head->prev;
	n->next = head;
	head->prev->next = n;
	head->prev = n;
}

static inline void ks_list_add_head(struct ks_list *head, struct ks_list *n)
{
	n->next = head->next;
	n->prev = head;
	head->next->prev = n;
	head->next = n;
}

#define ks_container_of(p, type, member) ((type *)((char *)(p)-offsetof(type, member)))

/*
 * A thread table entry. The public part comes first so a struct ks_thread * handed out
 * converts back with ks_thr_of(). Leaders (tid == pid) own two lists: the other threads of
 * their process (members) and the threads whose parent process they are (children); both
 * are only hints kept for exit handling, never needed to answer a lookup.
 */
struct ks_thr {
	struct ks_thread t;
	struct ks_thr *hnext;	/* hash chain */
	struct ks_list lru;	/* st->lru: exited and least recently used first */
	struct ks_list members; /* leaders: the other threads of the process */
	struct ks_list member_node;
	struct ks_list children; /* leaders: threads whose ptid is this pid */
	struct ks_list child_node;
	int64_t reaper;		/* exited leaders kept for their threads: reaper at exit */
	uint64_t last_ts;	/* last event seen */
	uint64_t exec_ts;	/* last successful exec */
	bool from_clone_child;	/* created by the child's own clone event */
	bool from_clone_parent; /* created by the parent's clone event */
};

static inline struct ks_thr *ks_thr_of(const struct ks_thread *t)
{
	return (struct ks_thr *)t;
}

#define KS_NEW_CTR_QUEUE 64   /* first-seen container ids waiting for the main loop */
#define KS_KNOWN_CTRS	 4096 /* container ids remembered as "already announced" */

struct ks_users;

/* What events_ext.c does with an event type, bound by name at ks_state_new. */
enum ks_ext_kind {
	KS_EXT_NONE = 0,
	KS_EXT_DUP,
	KS_EXT_FCNTL,
	KS_EXT_PIPE,
	KS_EXT_SOCKETPAIR,
	KS_EXT_SETUID,
	KS_EXT_SETGID,
	KS_EXT_CHDIR,
	KS_EXT_FCHDIR,
	KS_EXT_MEMFD,
	KS_EXT_EVENTFD,
	KS_EXT_SIGNALFD,
	KS_EXT_TIMERFD,
	KS_EXT_INOTIFY,
	KS_EXT_EPOLL,
	KS_EXT_USERFAULTFD,
	KS_EXT_IOURING,
	KS_EXT_LISTEN,
	KS_EXT_BIND,
	KS_EXT_SETSID,
	KS_EXT_SETPGID,
	KS_EXT_PRCTL,
	KS_EXT_CAPSET,
	KS_EXT_CLOSE_RANGE,
};

struct ks_state {
	char *proc_root, *passwd_file, *group_file;
	bool no_proc; /* never read proc_root (replays): unknown threads start bare */
	size_t max_threads, max_fds;

	struct ks_thr **buckets;
	size_t nbuckets; /* power of two */
	size_t nthreads;
	struct ks_list lru;
	struct ks_thr *pin; /* never evicted: the caller while its clone child is inserted */
	size_t nfds;	    /* across every fd table, for ks_state_nfds */

	uint64_t boot_epoch_ns; /* add to CLOCK_BOOTTIME to get the epoch */
	long clk_tck;

	struct ks_users *users;
	struct ks_procnet *seed_net; /* only while seeding */

	/* Containers: ids already announced (open addressing, bounded) and pending ones. */
	char (*known_ctrs)[16];
	size_t nknown_ctrs;
	char new_ctrs[KS_NEW_CTR_QUEUE][16];
	unsigned new_head, new_count;

	/* When memory runs out or a table is full, events still get a thread and an fd. */
	struct ks_thread scratch_thread;
	struct ks_fd scratch_fd;

	/* fd.name_changed: events through ks_state_before, and the one that renamed its fd. */
	uint64_t evseq, name_changed_seq;

	struct ks_state_counters ctr;

	uint8_t ext_kind[KS_E_MAX]; /* enum ks_ext_kind per event type */
	int8_t fd_param[KS_E_MAX];  /* index of an "fd" parameter, or -1 */
};

/* threads.c */
struct ks_thr *ks_thr_alloc(struct ks_state *st, int64_t tid, int64_t pid);
struct ks_thr *ks_thr_find(struct ks_state *st, int64_t tid);
/* Insert (replacing an entry with the same tid, evicting when full). */
void ks_thr_insert(struct ks_state *st, struct ks_thr *th);
/* Unlink and free. reaper > 0: reparent children to it (a real exit); 0: leave them. */
void ks_thr_remove(struct ks_state *st, struct ks_thr *th, int64_t reaper);
/* (Re)link th into its leader's member list and its parent's children list. */
void ks_thr_link(struct ks_state *st, struct ks_thr *th);
void ks_thr_touch(struct ks_state *st, struct ks_thr *th, uint64_t ts);
/* Copy the image of src into dst (strings duplicated; fd table not touched). */
int ks_thr_copy_image(struct ks_thread *dst, const struct ks_thread *src);
int ks_set_str(char **dst, const char *s);
int ks_set_buf(char **dst, size_t *dlen, const void *s, size_t n);

/* fdtable.c */
struct ks_fdtable *ks_fdt_new(struct ks_state *st);
struct ks_fdtable *ks_fdt_get(struct ks_fdtable *ft);
void ks_fdt_put(struct ks_fdtable *ft);
unsigned ks_fdt_refs(const struct ks_fdtable *ft);
struct ks_fdtable *ks_fdt_copy(struct ks_fdtable *ft);
struct ks_fd *ks_fdt_find(struct ks_fdtable *ft, int64_t num);
/* A fresh, zeroed fd at num (an older one there is dropped), or NULL when the table is full
 * or memory ran out. */
struct ks_fd *ks_fdt_add(struct ks_fdtable *ft, int64_t num);
void ks_fdt_remove(struct ks_fdtable *ft, int64_t num);
void ks_fdt_drop_cloexec(struct ks_fdtable *ft);
/* close_range: drop the fds in [lo, hi], or with cloexec_only mark them close-on-exec. */
void ks_fdt_close_range(struct ks_fdtable *ft, int64_t lo, int64_t hi, bool cloexec_only);
size_t ks_fdt_count(const struct ks_fdtable *ft);
void ks_fd_clear(struct ks_fd *fd); /* free its strings */
int ks_fd_copy(struct ks_fd *dst, const struct ks_fd *src);

/* events.c: store a new fd, or hand out the scratch fd when the table cannot hold it. */
struct ks_fd *ks_new_fd(struct ks_state *st, struct ks_thr *th, int64_t num);

/* events_ext.c */
void ks_ext_bind(struct ks_state *st);
void ks_ext_before(struct ks_state *st, struct ks_event *ev, struct ks_thr *th);
void ks_ext_after(struct ks_state *st, struct ks_event *ev);

/* snapshot.c: PROCINFO and FDINFO records, replayed as the seed would have read them */
void ks_snap_procinfo(struct ks_state *st, struct ks_event *ev);
void ks_snap_fdinfo(struct ks_state *st, struct ks_event *ev);

/* paths.c */
/* Join rel to base (a directory) and normalise ".", ".." and "//"; malloc'd. base may be NULL
 * or relative, then rel is only normalised. */
char *ks_path_resolve(const char *base, const char *rel);
/* Set fd's socket fields from a KS_PT_SOCKTUPLE parameter; client_is_local: connect. */
int ks_fd_set_tuple(struct ks_fd *fd, const uint8_t *p, uint16_t len, bool client_is_local);
/* Render fd's tuple as fd.name ("cip:cport->sip:sport"); malloc'd. */
char *ks_fd_tuple_name(const struct ks_fd *fd);

/* procfs.c */
/* Read /proc/<pid>/task/<tid> into a new entry (not inserted). fds are read if share is NULL,
 * otherwise the entry shares that fd table. NULL if the thread is gone. */
struct ks_thr *ks_proc_read_thread(struct ks_state *st, int64_t pid, int64_t tid,
				   struct ks_fdtable *share);

/* procnet.c: sockets listed in proc_root/net, by inode, for the seed */
struct ks_procnet;
struct ks_procnet *ks_procnet_read(const char *proc_root);
void ks_procnet_free(struct ks_procnet *pn);
void ks_procnet_fill(struct ks_procnet *pn, struct ks_fd *fd, uint64_t ino);

/* container.c */
void ks_container_id_from_cgroup(const char *cgroup, char out[16]);
void ks_container_seen(struct ks_state *st, const char id[16]);

/* users.c */
struct ks_users *ks_users_new(const char *passwd, const char *group);
void ks_users_free(struct ks_users *u);
void ks_users_refresh(struct ks_users *u); /* between events, at most once a second */

#endif
