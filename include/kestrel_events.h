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
	KS_PT_INT64,	    /* s64 */
	KS_PT_UINT64,	    /* u64 */
	KS_PT_UINT32,	    /* u32 */
	KS_PT_ERRNO,	    /* s64 syscall return: >= 0 success, < 0 -errno */
	KS_PT_FD,	    /* s64 file descriptor (or return value that is one) */
	KS_PT_PID,	    /* s64 process or thread id */
	KS_PT_UID,	    /* u32 */
	KS_PT_GID,	    /* u32 */
	KS_PT_MODE,	    /* u32 file mode bits */
	KS_PT_FLAGS32,	    /* u32 flag set, decoded per event */
	KS_PT_FLAGS64,	    /* u64 flag set, decoded per event */
	KS_PT_CHARBUF,	    /* NUL-terminated string */
	KS_PT_FSPATH,	    /* NUL-terminated file system path as the caller passed it */
	KS_PT_CHARBUFARRAY, /* strings, each NUL-terminated, back to back (argv) */
	KS_PT_BYTEBUF,	    /* raw bytes */
	KS_PT_SOCKADDR,	    /* see kestrel_abi.h */
	KS_PT_SOCKTUPLE,    /* see kestrel_abi.h */
	KS_PT_MAX
};

/* Event flags */
#define KS_EF_FILE	 0x1u  /* opens or closes a file descriptor */
#define KS_EF_NET	 0x2u  /* socket operation */
#define KS_EF_PROC	 0x4u  /* process lifecycle */
#define KS_EF_CREATES_FD 0x8u  /* a non-negative return value is a new fd */
#define KS_EF_USER	 0x10u /* made by userspace, never by a driver */
#define KS_EF_STATE	 0x20u /* the state tracker needs it captured whatever the rules say */

/* clang-format off */
#define KS_EVENT_TABLE(X, P)                                                                    \
	X(OPEN, "open", 2, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                         \
	  P(res, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE))                           \
	X(OPENAT, "openat", 257, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                   \
	  P(res, FD) P(dirfd, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE))              \
	X(OPENAT2, "openat2", 437, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                 \
	  P(res, FD) P(dirfd, FD) P(name, FSPATH) P(flags, FLAGS32) P(mode, MODE)               \
	  P(resolve, FLAGS32))                                                                  \
	X(CREAT, "creat", 85, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                      \
	  P(res, FD) P(name, FSPATH) P(mode, MODE))                                             \
	X(CLOSE, "close", 3, KS_EF_FILE | KS_EF_STATE, P(res, ERRNO) P(fd, FD))                 \
	X(SOCKET, "socket", 41, KS_EF_NET | KS_EF_CREATES_FD | KS_EF_STATE,                     \
	  P(res, FD) P(domain, UINT32) P(type, UINT32) P(proto, UINT32))                        \
	X(CONNECT, "connect", 42, KS_EF_NET | KS_EF_STATE,                                      \
	  P(res, ERRNO) P(fd, FD) P(addr, SOCKADDR) P(tuple, SOCKTUPLE))                        \
	X(ACCEPT, "accept", 43, KS_EF_NET | KS_EF_CREATES_FD | KS_EF_STATE,                     \
	  P(res, FD) P(fd, FD) P(tuple, SOCKTUPLE))                                             \
	X(ACCEPT4, "accept4", 288, KS_EF_NET | KS_EF_CREATES_FD | KS_EF_STATE,                  \
	  P(res, FD) P(fd, FD) P(tuple, SOCKTUPLE) P(flags, FLAGS32))                           \
	X(EXECVE, "execve", 59, KS_EF_PROC | KS_EF_STATE,                                       \
	  P(res, ERRNO) P(exe, CHARBUF) P(args, CHARBUFARRAY) P(ptid, PID) P(cwd, FSPATH)       \
	  P(comm, CHARBUF) P(exepath, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)          \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(cap_permitted, UINT64)         \
	  P(cap_effective, UINT64) P(cgroup, CHARBUF) P(filename, FSPATH) P(env, CHARBUFARRAY))                      \
	X(EXECVEAT, "execveat", 322, KS_EF_PROC | KS_EF_STATE,                                  \
	  P(res, ERRNO) P(exe, CHARBUF) P(args, CHARBUFARRAY) P(ptid, PID) P(cwd, FSPATH)       \
	  P(comm, CHARBUF) P(exepath, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)          \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(cap_permitted, UINT64)         \
	  P(cap_effective, UINT64) P(cgroup, CHARBUF) P(filename, FSPATH) P(env, CHARBUFARRAY))                      \
	X(CLONE, "clone", 56, KS_EF_PROC | KS_EF_STATE,                                         \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)        \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)        \
	  P(cgroup, CHARBUF))                                                                   \
	X(CLONE3, "clone3", 435, KS_EF_PROC | KS_EF_STATE,                                      \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)        \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)        \
	  P(cgroup, CHARBUF))                                                                   \
	X(FORK, "fork", 57, KS_EF_PROC | KS_EF_STATE,                                           \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)        \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)        \
	  P(cgroup, CHARBUF))                                                                   \
	X(VFORK, "vfork", 58, KS_EF_PROC | KS_EF_STATE,                                         \
	  P(res, PID) P(flags, FLAGS64) P(ptid, PID) P(comm, CHARBUF) P(exepath, FSPATH)        \
	  P(uid, UID) P(gid, GID) P(loginuid, UID) P(pgid, PID) P(sid, PID) P(vpid, PID)        \
	  P(cgroup, CHARBUF))                                                                   \
	X(PROCEXIT, "procexit", -1, KS_EF_PROC, P(status, INT64) P(reaper, PID))                \
	/* Any other syscall the filter asks for (base_syscalls.all): Falco's generic event; \
	 * evt.type reads as the syscall's own name. */                                      \
	X(GENERIC, "syscall", -1, 0, P(res, ERRNO) P(id, UINT32))                               \
	/* Datagrams: addr is the destination the caller named (NULL for a connected socket),  \
	 * tuple the socket's own ends; size the bytes asked (sendto) or sent (sendmsg). */     \
	X(SENDTO, "sendto", 44, KS_EF_NET,                                                      \
	  P(res, ERRNO) P(fd, FD) P(size, UINT32) P(addr, SOCKADDR) P(tuple, SOCKTUPLE))        \
	X(SENDMSG, "sendmsg", 46, KS_EF_NET,                                                    \
	  P(res, ERRNO) P(fd, FD) P(size, UINT32) P(addr, SOCKADDR) P(tuple, SOCKTUPLE))        \
	X(DROP, "drop", -1, KS_EF_USER, P(drops, UINT64) P(cpu, UINT32))                        \
	X(CONTAINER, "container", -1, KS_EF_USER, P(id, CHARBUF))                               \
	/* A thread as the /proc seed found it; written first into capture files so a replay    \
	 * starts from the same state as the live run. */                                       \
	X(PROCINFO, "procinfo", -1, KS_EF_USER,                                                 \
	  P(ptid, PID) P(comm, CHARBUF) P(exe, CHARBUF) P(args, CHARBUFARRAY)                   \
	  P(exepath, FSPATH) P(cwd, FSPATH) P(uid, UID) P(gid, GID) P(loginuid, UID)            \
	  P(tty, UINT32) P(pgid, PID) P(sid, PID) P(vpid, PID) P(vtid, PID)                     \
	  P(cap_permitted, UINT64) P(cap_effective, UINT64) P(cgroup, CHARBUF)                  \
	  P(clone_ts, UINT64) P(env, CHARBUFARRAY) P(cap_inheritable, UINT64))                  \
	/* An open descriptor of a seeded process (header tid/pid: the process). type: enum     \
	 * ks_fd_type; sockstate: 1 server side, 2 connected. */                                \
	X(FDINFO, "fdinfo", -1, KS_EF_USER,                                                     \
	  P(fd, FD) P(type, UINT32) P(name, FSPATH) P(flags, FLAGS32) P(tuple, SOCKTUPLE)       \
	  P(nameraw, FSPATH) P(l4proto, UINT32) P(sockstate, FLAGS32))                          \
	/* ABI 2: descriptors, ids and working directories the state keeps, and the             \
	 * syscalls the upstream Falco rules name. Parameter names are Falco's. */              \
	X(DUP, "dup", 32, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                          \
	  P(res, FD) P(oldfd, FD))                                                              \
	X(DUP2, "dup2", 33, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                        \
	  P(res, FD) P(oldfd, FD) P(newfd, FD))                                                 \
	X(DUP3, "dup3", 292, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                       \
	  P(res, FD) P(oldfd, FD) P(newfd, FD) P(flags, FLAGS32))                               \
	X(FCNTL, "fcntl", 72, KS_EF_FILE | KS_EF_STATE, P(res, FD) P(fd, FD) P(cmd, FLAGS32) P(arg, UINT64)) \
	X(FCHMOD, "fchmod", 91, KS_EF_FILE, P(res, ERRNO) P(fd, FD) P(mode, MODE))              \
	X(FCHMODAT, "fchmodat", 268, KS_EF_FILE,                                                \
	  P(res, ERRNO) P(dirfd, FD) P(filename, FSPATH) P(mode, MODE))                         \
	X(CHMOD, "chmod", 90, KS_EF_FILE, P(res, ERRNO) P(filename, FSPATH) P(mode, MODE))      \
	X(SETUID, "setuid", 105, KS_EF_PROC | KS_EF_STATE, P(res, ERRNO) P(uid, UID))           \
	X(SETGID, "setgid", 106, KS_EF_PROC | KS_EF_STATE, P(res, ERRNO) P(gid, GID))           \
	X(SETREUID, "setreuid", 113, KS_EF_PROC | KS_EF_STATE,                                  \
	  P(res, ERRNO) P(ruid, UID) P(euid, UID))                                              \
	X(SETREGID, "setregid", 114, KS_EF_PROC | KS_EF_STATE,                                  \
	  P(res, ERRNO) P(rgid, GID) P(egid, GID))                                              \
	X(SETRESUID, "setresuid", 117, KS_EF_PROC | KS_EF_STATE,                                \
	  P(res, ERRNO) P(ruid, UID) P(euid, UID) P(suid, UID))                                 \
	X(SETRESGID, "setresgid", 119, KS_EF_PROC | KS_EF_STATE,                                \
	  P(res, ERRNO) P(rgid, GID) P(egid, GID) P(sgid, GID))                                 \
	X(SETSID, "setsid", 112, KS_EF_PROC | KS_EF_STATE, P(res, PID))                         \
	X(SETPGID, "setpgid", 109, KS_EF_PROC | KS_EF_STATE,                                    \
	  P(res, ERRNO) P(pid, PID) P(pgid, PID))                                               \
	X(CHDIR, "chdir", 80, KS_EF_FILE | KS_EF_STATE, P(res, ERRNO) P(path, FSPATH))          \
	X(FCHDIR, "fchdir", 81, KS_EF_FILE | KS_EF_STATE, P(res, ERRNO) P(fd, FD))              \
	/* arg2_str: the new name of PR_SET_NAME (else empty); arg2_int: arg2 otherwise */      \
	X(PRCTL, "prctl", 157, KS_EF_PROC | KS_EF_STATE,                                        \
	  P(res, ERRNO) P(option, FLAGS32) P(arg2_str, CHARBUF) P(arg2_int, INT64))             \
	/* the sets the calling thread has after the call */                                    \
	X(CAPSET, "capset", 126, KS_EF_PROC | KS_EF_STATE,                                      \
	  P(res, ERRNO) P(cap_inheritable, UINT64) P(cap_permitted, UINT64)                     \
	  P(cap_effective, UINT64))                                                             \
	X(PIPE, "pipe", 22, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                        \
	  P(res, ERRNO) P(fd1, FD) P(fd2, FD) P(ino, UINT64))                                   \
	X(PIPE2, "pipe2", 293, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                     \
	  P(res, ERRNO) P(fd1, FD) P(fd2, FD) P(ino, UINT64) P(flags, FLAGS32))                 \
	X(SOCKETPAIR, "socketpair", 53, KS_EF_NET | KS_EF_CREATES_FD | KS_EF_STATE,             \
	  P(res, ERRNO) P(fd1, FD) P(fd2, FD) P(source, UINT64) P(peer, UINT64)                 \
	  P(domain, UINT32) P(type, UINT32) P(proto, UINT32))                                   \
	X(BIND, "bind", 49, KS_EF_NET | KS_EF_STATE, P(res, ERRNO) P(addr, SOCKADDR) P(fd, FD)) \
	X(LISTEN, "listen", 50, KS_EF_NET | KS_EF_STATE,                                        \
	  P(res, ERRNO) P(fd, FD) P(backlog, UINT32))                                           \
	X(MEMFD_CREATE, "memfd_create", 319, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,       \
	  P(res, FD) P(name, CHARBUF) P(flags, FLAGS32))                                        \
	X(EVENTFD, "eventfd", 284, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,                 \
	  P(res, FD) P(initval, UINT64) P(flags, FLAGS32))                                      \
	X(EVENTFD2, "eventfd2", 290, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,               \
	  P(res, FD) P(initval, UINT64) P(flags, FLAGS32))                                      \
	X(SIGNALFD, "signalfd", 282, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,               \
	  P(res, FD) P(fd, FD) P(mask, UINT64) P(flags, FLAGS32))                               \
	X(SIGNALFD4, "signalfd4", 289, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,             \
	  P(res, FD) P(fd, FD) P(mask, UINT64) P(flags, FLAGS32))                               \
	X(TIMERFD_CREATE, "timerfd_create", 283, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,   \
	  P(res, FD) P(clockid, UINT32) P(flags, FLAGS32))                                      \
	X(INOTIFY_INIT, "inotify_init", 253, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,       \
	  P(res, FD) P(flags, FLAGS32))                                                         \
	X(INOTIFY_INIT1, "inotify_init1", 294, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,     \
	  P(res, FD) P(flags, FLAGS32))                                                         \
	X(EPOLL_CREATE, "epoll_create", 213, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,       \
	  P(res, FD) P(size, INT64))                                                            \
	X(EPOLL_CREATE1, "epoll_create1", 291, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,     \
	  P(res, FD) P(flags, FLAGS32))                                                         \
	X(USERFAULTFD, "userfaultfd", 323, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,         \
	  P(res, FD) P(flags, FLAGS32))                                                         \
	/* entries and flags as passed; the rest as the kernel wrote them back */               \
	X(IO_URING_SETUP, "io_uring_setup", 425, KS_EF_FILE | KS_EF_CREATES_FD | KS_EF_STATE,   \
	  P(res, FD) P(entries, UINT32) P(sq_entries, UINT32) P(cq_entries, UINT32)             \
	  P(flags, FLAGS32) P(sq_thread_cpu, UINT32) P(sq_thread_idle, UINT32)                  \
	  P(features, FLAGS32))                                                                 \
	/* fd..max_fd closed (or made close-on-exec with CLOSE_RANGE_CLOEXEC) */                \
	X(CLOSE_RANGE, "close_range", 436, KS_EF_FILE | KS_EF_STATE,                            \
	  P(res, ERRNO) P(fd, FD) P(max_fd, FD) P(flags, FLAGS32))                              \
	X(PTRACE, "ptrace", 101, KS_EF_PROC,                                                    \
	  P(res, ERRNO) P(request, FLAGS32) P(pid, PID) P(addr, UINT64) P(data, UINT64))        \
	X(UNSHARE, "unshare", 272, KS_EF_PROC, P(res, ERRNO) P(flags, FLAGS32))                 \
	X(SETNS, "setns", 308, KS_EF_PROC, P(res, ERRNO) P(fd, FD) P(nstype, FLAGS32))          \
	X(LINK, "link", 86, KS_EF_FILE, P(res, ERRNO) P(oldpath, FSPATH) P(newpath, FSPATH))    \
	X(LINKAT, "linkat", 265, KS_EF_FILE,                                                    \
	  P(res, ERRNO) P(olddir, FD) P(oldpath, FSPATH) P(newdir, FD) P(newpath, FSPATH)       \
	  P(flags, FLAGS32))                                                                    \
	X(SYMLINK, "symlink", 88, KS_EF_FILE,                                                   \
	  P(res, ERRNO) P(target, CHARBUF) P(linkpath, FSPATH))                                 \
	X(SYMLINKAT, "symlinkat", 266, KS_EF_FILE,                                              \
	  P(res, ERRNO) P(target, CHARBUF) P(linkdirfd, FD) P(linkpath, FSPATH))                \
	/* the image itself is not copied: only its length */                                   \
	X(INIT_MODULE, "init_module", 175, KS_EF_PROC,                                          \
	  P(res, ERRNO) P(length, UINT64) P(uargs, CHARBUF))                                    \
	X(FINIT_MODULE, "finit_module", 313, KS_EF_PROC,                                        \
	  P(res, ERRNO) P(fd, FD) P(uargs, CHARBUF) P(flags, FLAGS32))                          \
	X(BPF, "bpf", 321, KS_EF_PROC, P(res, FD) P(cmd, INT64))                                \
	X(MKDIR, "mkdir", 83, KS_EF_FILE, P(res, ERRNO) P(path, FSPATH) P(mode, MODE))          \
	X(MKDIRAT, "mkdirat", 258, KS_EF_FILE,                                                  \
	  P(res, ERRNO) P(dirfd, FD) P(path, FSPATH) P(mode, MODE))                             \
	X(RMDIR, "rmdir", 84, KS_EF_FILE, P(res, ERRNO) P(path, FSPATH))                        \
	X(UNLINK, "unlink", 87, KS_EF_FILE, P(res, ERRNO) P(path, FSPATH))                      \
	X(UNLINKAT, "unlinkat", 263, KS_EF_FILE,                                                \
	  P(res, ERRNO) P(dirfd, FD) P(name, FSPATH) P(flags, FLAGS32))                         \
	X(RENAME, "rename", 82, KS_EF_FILE,                                                     \
	  P(res, ERRNO) P(oldpath, FSPATH) P(newpath, FSPATH))                                  \
	X(RENAMEAT, "renameat", 264, KS_EF_FILE,                                                \
	  P(res, ERRNO) P(olddirfd, FD) P(oldpath, FSPATH) P(newdirfd, FD) P(newpath, FSPATH))  \
	X(RENAMEAT2, "renameat2", 316, KS_EF_FILE,                                              \
	  P(res, ERRNO) P(olddirfd, FD) P(oldpath, FSPATH) P(newdirfd, FD) P(newpath, FSPATH)   \
	  P(flags, FLAGS32))                                                                    \
	X(MOUNT, "mount", 165, KS_EF_FILE,                                                      \
	  P(res, ERRNO) P(dev, CHARBUF) P(dir, FSPATH) P(type, CHARBUF) P(flags, FLAGS32))      \
	X(UMOUNT2, "umount2", 166, KS_EF_FILE, P(res, ERRNO) P(name, FSPATH) P(flags, FLAGS32))
/* clang-format on */

#define KS_X_ENUM(id, name, nr, flags, params) KS_E_##id,
#define KS_P_IGNORE(n, t)
enum ks_event_type { KS_E_UNKNOWN = 0, KS_EVENT_TABLE(KS_X_ENUM, KS_P_IGNORE) KS_E_MAX };

/* Parameter counts, for the producers' self-check: KS_NPARAMS_<ID>. */
#define KS_P_COUNT(n, t)			  +1
#define KS_X_NPARAMS(id, name, nr, flags, params) KS_NPARAMS_##id = 0 params,
enum ks_event_nparams { KS_EVENT_TABLE(KS_X_NPARAMS, KS_P_COUNT) KS_NPARAMS_END_ };

#endif
