/*
 * Host state: the thread table (seeded from /proc, then kept by clone/exec/exit events),
 * per-process fd tables, users and groups, container ids. Memory is bounded by
 * ks_state_opts (thread table size; fds per process); dead entries are purged.
 *
 * Event flow: ks_state_before(ev) runs before rules see the event (so an execve's rules
 * see the new image, a clone child's rules see the child); ks_state_after(ev) runs after
 * (so a close's rules still see the fd's name, a procexit's rules still see the thread).
 */
#ifndef KS_STATE_H
#define KS_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct ks_state_opts {
	const char *proc_root;	  /* "/proc" unless testing */
	const char *passwd_file;  /* "/etc/passwd" unless testing */
	const char *group_file;	  /* "/etc/group" unless testing */
	size_t thread_table_size; /* max threads (Falco falco_libs.thread_table_size), 0 = 262144 */
	size_t max_fds_per_process; /* 0 = 4096 */
	/* Never read proc_root, not even for a thread first seen on the event path: set it
	 * when replaying a capture (from this machine or another), whose procinfo/fdinfo
	 * records carry the starting state. ks_state_seed then does nothing. */
	bool no_proc;
};

/* A file descriptor. Sockets carry their tuple. */
enum ks_fd_type {
	KS_FD_UNKNOWN = 0,
	KS_FD_FILE,
	KS_FD_DIRECTORY,
	KS_FD_IPV4_SOCK,
	KS_FD_IPV6_SOCK,
	KS_FD_UNIX_SOCK,
	KS_FD_PIPE,
	KS_FD_EVENT,
	KS_FD_SIGNALFD,
	KS_FD_EVENTPOLL,
	KS_FD_INOTIFY,
	KS_FD_TIMERFD,
	KS_FD_NETLINK,
	KS_FD_MEMFD,
	KS_FD_BPF,
	KS_FD_USERFAULTFD,
	KS_FD_IOURING,
	KS_FD_OTHER_SOCK,
};

struct ks_fd {
	int64_t num;
	enum ks_fd_type type;
	uint32_t open_flags;
	char *name;    /* resolved path or "cip:cport->sip:sport"; never NULL once set */
	char *nameraw; /* the path as the process passed it */
	/* sockets */
	uint8_t family;		  /* KS_AF_* */
	uint8_t l4proto;	  /* IPPROTO_TCP/UDP/... or 0 */
	uint8_t sip[16], cip[16]; /* server / client, v4 in the first 4 bytes */
	uint16_t sport, cport;
	bool is_server; /* fd was bound/listened, or accepted */
	bool connected;
};

struct ks_fdtable; /* opaque, shared by the threads of a process */

struct ks_thread {
	int64_t tid, pid, ptid; /* ptid: parent process (tgid) */
	int64_t vtid, vpid, pgid, sid;
	char comm[KS_MAX_COMM]; /* proc.name */
	char *exe;		/* argv[0] (proc.exe) */
	char *exepath;		/* full executable path (proc.exepath) */
	char *args;		/* argv[1..], NUL separated */
	size_t args_len;
	char *cwd; /* always ends with '/' */
	char *env; /* NUL separated, may be NULL */
	size_t env_len;
	uint32_t uid, gid, loginuid;
	uint32_t tty;
	uint64_t cap_permitted, cap_effective, cap_inheritable;
	uint64_t clone_ts;     /* start time, ns since the epoch */
	char *cgroup;	       /* unified cgroup path, may be NULL */
	char container_id[16]; /* "host" or the 12-char id */
	bool exited;
	struct ks_fdtable *fds; /* shared by all threads of a process */
	void *priv;		/* state-internal bookkeeping */
};

struct ks_state;

struct ks_state *ks_state_new(const struct ks_state_opts *o);
void ks_state_free(struct ks_state *st);
/* Read every thread of proc_root into the table. Returns the count or a negative errno. */
int ks_state_seed(struct ks_state *st);

/*
 * Write the current state as records, for the head of a capture file: one PROCINFO per
 * known thread (header tid/pid, ts 0; parents before children, leaders before their other
 * threads) and one FDINFO per fd of each process (header tid = pid = the process). emit
 * gets each record; a non-zero return stops the walk and is returned. Returns 0, the
 * emitter's value, or -ENOMEM. Fed back through ks_state_before, the records rebuild the
 * threads and fds as the seed had them, without reading /proc.
 */
int ks_state_snapshot(struct ks_state *st, int (*emit)(void *ctx, const void *rec, size_t len),
		      void *ctx);

void ks_state_before(struct ks_state *st, struct ks_event *ev);
void ks_state_after(struct ks_state *st, struct ks_event *ev);

struct ks_thread *ks_state_thread(struct ks_state *st, int64_t tid);
/* The process (thread-group leader) and the parent process of a thread, or NULL. */
struct ks_thread *ks_state_parent(struct ks_state *st, const struct ks_thread *t);
struct ks_fd *ks_state_fd(struct ks_state *st, const struct ks_thread *t, int64_t fd);
/* Walk t's fds in no particular order: start with *pos = 0; NULL at the end. Only valid while
 * the table is not changed (within one event). */
struct ks_fd *ks_state_fd_next(struct ks_state *st, const struct ks_thread *t, size_t *pos);

const char *ks_state_user_name(struct ks_state *st, uint32_t uid); /* NULL if unknown */
const char *ks_state_group_name(struct ks_state *st, uint32_t gid);
const char *ks_state_user_home(struct ks_state *st, uint32_t uid);
const char *ks_state_user_shell(struct ks_state *st, uint32_t uid);

size_t ks_state_nthreads(const struct ks_state *st);
size_t ks_state_nfds(const struct ks_state *st);

/* Syscalls the state tracker needs captured whatever the rules say (bits as the filter). */
void ks_state_required_syscalls(uint8_t filter[KS_FILTER_BYTES]);

/* What the tracker had to give up on, for metrics. */
struct ks_state_counters {
	uint64_t thread_evictions;	/* live threads dropped because the table was full */
	uint64_t threads_from_proc;	/* unknown threads read from /proc on the event path */
	uint64_t fd_table_full;		/* fds not stored: max_fds_per_process reached */
	uint64_t alloc_failures;	/* entries not stored: out of memory */
	uint64_t container_queue_drops; /* first-seen containers not announced: queue full */
};
void ks_state_get_counters(const struct ks_state *st, struct ks_state_counters *out);

/*
 * Containers seen for the first time (by the seed or by an event), oldest first: copies the
 * 12-char id into id and returns true, or returns false when none is pending. The main loop
 * calls this after ks_state_before and emits a `container` event per id.
 */
bool ks_state_next_new_container(struct ks_state *st, char id[16]);

/* From t's cgroup path: the full 64-char container id and the runtime ("docker",
 * "containerd", "cri-o", "podman", or NULL when the layout does not say). false for host
 * processes. */
bool ks_state_container_info(const struct ks_thread *t, char full_id[65], const char **runtime);
/* The Kubernetes pod uid from the kubelet's cgroup layout, or false. */
bool ks_state_k8s_pod_uid(const struct ks_thread *t, char uid[40]);

/* fd.name_changed: did ev (already through ks_state_before) give its fd a new name? */
bool ks_state_fd_name_changed(const struct ks_state *st, const struct ks_event *ev);

#endif
