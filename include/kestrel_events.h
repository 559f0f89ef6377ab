/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * The one table of Kestrel events. The eBPF probe, the kernel module and the userspace
 * decoder are all expanded from KS_EVENT_TABLE, never kept in sync by hand:
 *   - the producers map syscall numbers to event types with it, and refuse (and count) a
 *     record whose parameter count differs from the table's;
 *   - the decoder validates every record's parameter count and fixed-size lengths with it.
 *
 * X(ID, "name", x86_64 syscall nr or -1, flags, P(name, TYPE) P(name, TYPE) ...)
 * Parameters are listed without commas between them so consumers can expand P() into
 * array initialisers (userspace) or into "+1" to count them (producers).
 * Every syscall record is written at syscall exit and its first parameter is the return
 * value. Changing a record's parameters means bumping KS_ABI_VERSION.
 */
#ifndef KESTREL_EVENTS_H
#define KESTREL_EVENTS_H

enum ks_param_type {
	KS_PT_NONE = 0,
	KS_PT_INT64,        /* s64 */
	KS_PT_UINT64,       /* u64 */
	KS_PT_UINT32,       /* u32 */
	KS_PT_ERRNO,        /* s64 syscall return: >= 0 success, < 0 -errno */
	KS_PT_FD,           /* s64 file descriptor (or return value that is one) */
	KS_PT_PID,          /* s64 process or thread id */
	KS_PT_UID,          /* u32 */
	KS_PT_GID,          /* u32 */
	KS_PT_MODE,         /* u32 file mode bits */
	KS_PT_FLAGS32,      /* u32 flag set, decoded per event */
	KS_PT_FLAGS64,      /* u64 flag set, decoded per event */
	KS_PT_CHARBUF,      /* NUL-terminated string */
	KS_PT_FSPATH,       /* NUL-terminated file system path as the caller passed it */
	KS_PT_CHARBUFARRAY, /* strings, each NUL-terminated, back to back (argv) */
	KS_PT_BYTEBUF,      /* raw bytes */
	KS_PT_SOCKADDR,     /* see kestrel_abi.h */
	KS_PT_SOCKTUPLE,    /* see kestrel_abi.h */
	KS_PT_MAX
};

/* Event flags */
#define KS_EF_FILE 0x1u    /* opens or closes a file descriptor */
#define KS_EF_NET 0x2u     /* socket operation */
#define KS_EF_PROC 0x4u    /* process lifecycle */
#define KS_EF_CREATES_FD 0x8u /* a non-negative return value is a new fd */
#define KS_EF_USER 0x10u   /* made by userspace, never by a driver */

/* clang-format off */
#define KS_EVENT_TABLE(X, P)                                                                  \
	X(OPEN, "open", 2, KS_EF_FILE | KS_EF_CREATES_FD,                                     \
	  P(res, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE))                         \
	X(OPENAT, "openat", 257, KS_EF_FILE | KS_EF_CREATES_FD,                               \
	  P(res, FD) P(dirfd, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE))            \
	X(OPENAT2, "openat2", 437, KS_EF_FILE | KS_EF_CREATES_FD,                             \
	  P(res, FD) P(dirfd, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE)             \
	  P(resolve, FLAGS32))                                                                \
	X(CREAT, "creat", 85, KS_EF_FILE | KS_EF_CREATES_FD,                                  \
	  P(res, FD) P(name, FSPATH) P(mode, MODE))                                           \
	X(CLOSE, "close", 3, KS_EF_FILE, P(res, ERRNO) P(fd, FD))                             \
	X(SOCKET, "socket", 41, KS_EF_NET | KS_EF_CREATES_FD,                                 \
	  P(res, FD) P(domain, UINT32) P(type, UINT32) P(proto, UINT32))                      \
	X(CONNECT, "connect", 42, KS_EF_NET,                                                  \
	  P(res, ERRNO) P(fd, FD) P(addr, SOCKADDR) P(tuple, SOCKTUPLE))                      \
	X(ACCEPT, "accept", 43, KS_EF_NET | KS_EF_CREATES_FD,                                 \
	  P(res, FD) P(fd, FD) P(tuple, SOCKTUPLE))                                           \
	X(ACCEPT4, "accept4", 288, KS_EF_NET | KS_EF_CREATES_FD,                              \
	  P(res, FD) P(fd, FD) P(tuple, SOCKTUPLE) P(flags, FLAGS32))                         \
	X(EXECVE, "execve", 59, KS_EF_PROC,                                                   \
	  P(res, ERRNO) P(exe, CHARBUF) P(args, CHARBUFARRAY) P(ptid, PID) P(cwd, FSPATH)     \
	  P(comm, CHARBUF) P(exepath, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)        \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(cap_permitted, UINT64)       \
	  P(cap_effective, UINT64) P(cgroup, CHARBUF) P(filename, FSPATH))                    \
	X(EXECVEAT, "execveat", 322, KS_EF_PROC,                                              \
	  P(res, ERRNO) P(exe, CHARBUF) P(args, CHARBUFARRAY) P(ptid, PID) P(cwd, FSPATH)     \
	  P(comm, CHARBUF) P(exepath, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)        \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(cap_permitted, UINT64)       \
	  P(cap_effective, UINT64) P(cgroup, CHARBUF) P(filename, FSPATH))                    \
	X(CLONE, "clone", 56, KS_EF_PROC,                                                     \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)      \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)      \
	  P(cgroup, CHARBUF))                                                                 \
	X(CLONE3, "clone3", 435, KS_EF_PROC,                                                  \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)      \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)      \
	  P(cgroup, CHARBUF))                                                                 \
	X(FORK, "fork", 57, KS_EF_PROC,                                                       \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)      \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)      \
	  P(cgroup, CHARBUF))                                                                 \
	X(VFORK, "vfork", 58, KS_EF_PROC,                                                     \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)      \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)      \
	  P(cgroup, CHARBUF))                                                                 \
	X(PROCEXIT, "procexit", -1, KS_EF_PROC, P(status, INT64) P(reaper, PID))              \
	X(DROP, "drop", -1, KS_EF_USER, P(drops, UINT64) P(cpu, UINT32))                      \
	X(CONTAINER, "container", -1, KS_EF_USER, P(id, CHARBUF))                             \
	/* A thread as the /proc seed found it; written first into capture files so a replay \
	 * starts from the same state as the live run. */                                   \
	X(PROCINFO, "procinfo", -1, KS_EF_USER,                                              \
	  P(ptid, PID) P(comm, CHARBUF) P(exe, CHARBUF) P(args, CHARBUFARRAY)                \
	  P(exepath, FSPATH) P(cwd, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)         \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(vtid, PID)                  \
	  P(cap_permitted, UINT64) P(cap_effective, UINT64) P(cgroup, CHARBUF)               \
	  P(clone_ts, UINT64) P(env, CHARBUFARRAY))                                          \
	/* An open descriptor of a seeded process (header tid/pid: the process). */          \
	X(FDINFO, "fdinfo", -1, KS_EF_USER,                                                  \
	  P(fd, FD) P(type, UINT32) P(name, FSPATH) P(flags, FLAGS32) P(tuple, SOCKTUPLE))
/* clang-format on */

#define KS_X_ENUM(id, name, nr, flags, params) KS_E_##id,
#define KS_P_IGNORE(n, t)
enum ks_event_type {
	KS_E_UNKNOWN = 0,
	KS_EVENT_TABLE(KS_X_ENUM, KS_P_IGNORE) KS_E_MAX
};

/* Parameter counts, for the producers' self-check: KS_NPARAMS_<ID>. */
#define KS_P_COUNT(n, t) +1
#define KS_X_NPARAMS(id, name, nr, flags, params) KS_NPARAMS_##id = 0 params,
enum ks_event_nparams { KS_EVENT_TABLE(KS_X_NPARAMS, KS_P_COUNT) KS_NPARAMS_END_ };

#endif
