/*
 * State kept from the ABI 2 events, on synthetic captures: dup'd and closed descriptors,
 * close-on-exec, pipes, close_range, ids, sessions, working directories, names and caps,
 * bound sockets, exec of a script through its shebang, and the PROCINFO/FDINFO snapshot.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>

#include "test_state_helpers.h"

#define PID 100

static struct tctx *with_app(const struct ks_state_opts *o)
{
	struct tctx *c = tctx_new(o);
	struct exec_args ea = {.exe = "app",
			       .ptid = 1,
			       .cwd = "/srv",
			       .comm = "app",
			       .exepath = "/usr/bin/app",
			       .loginuid = 1000,
			       .uid = 0};
	rec_exec(c, PID, PID, 0, &ea);
	run(c);
	rec_openat(c, PID, PID, 3, AT_FDCWD, "data.txt", O_RDONLY);
	run(c);
	return c;
}

static void rec_dup2(struct tctx *c, enum ks_event_type t, int64_t res, int64_t oldfd,
		     int64_t newfd, uint32_t flags)
{
	begin(c, t, PID, PID);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, oldfd);
	if (t == KS_E_DUP)
		return;
	ks_rec_s64(&c->rb, newfd);
	if (t == KS_E_DUP3)
		ks_rec_u32(&c->rb, flags);
}

static void rec_fcntl(struct tctx *c, int64_t res, int64_t fd, uint32_t cmd, uint64_t arg)
{
	begin(c, KS_E_FCNTL, PID, PID);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, fd);
	ks_rec_u32(&c->rb, cmd);
	ks_rec_u64(&c->rb, arg);
}

static void rec_fchmod(struct tctx *c, int64_t fd)
{
	begin(c, KS_E_FCHMOD, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, fd);
	ks_rec_u32(&c->rb, 0644);
}

static const char *fd_name(struct tctx *c, int64_t num)
{
	struct ks_fd *fd = ks_state_fd(c->st, ks_state_thread(c->st, PID), num);
	return fd ? fd->name : NULL;
}

static void test_dup_family(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	rec_openat(c, PID, PID, 4, AT_FDCWD, "/var/log/app.log", O_WRONLY | O_CLOEXEC);
	run(c);
	/* dup: a copy without close-on-exec; rules see the new fd */
	rec_dup2(c, KS_E_DUP, 7, 3, 0, 0);
	before(c);
	assert_string_equal(field(c, "fd.num"), "7");
	assert_string_equal(field(c, "fd.name"), "/srv/data.txt");
	after(c);
	/* dup2 onto an open fd: the old file behind 4 is gone, 4 now names data.txt */
	rec_dup2(c, KS_E_DUP2, 4, 3, 4, 0);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/srv/data.txt");
	assert_string_equal(field(c, "evt.arg.newfd"), "4");
	after(c);
	assert_int_equal(ks_state_fd(c->st, ks_state_thread(c->st, PID), 4)->open_flags & O_CLOEXEC,
			 0);
	/* dup3 with O_CLOEXEC, fcntl(F_DUPFD_CLOEXEC): close-on-exec copies */
	rec_dup2(c, KS_E_DUP3, 8, 3, 8, O_CLOEXEC);
	run(c);
	rec_fcntl(c, 10, 3, F_DUPFD_CLOEXEC, 10);
	run(c);
	/* fcntl(F_SETFD): 7 becomes close-on-exec, 3 stops being one */
	rec_fcntl(c, 0, 7, F_SETFD, FD_CLOEXEC);
	run(c);
	rec_fcntl(c, 0, 3, F_GETFL, 0);
	run(c);
	/* a failed dup2 changes nothing */
	rec_dup2(c, KS_E_DUP2, -EBADF, 42, 5, 0);
	run(c);
	assert_null(fd_name(c, 5));
	/* closing the original leaves the copies */
	rec_close(c, PID, PID, 0, 3);
	run(c);
	assert_null(fd_name(c, 3));
	assert_string_equal(fd_name(c, 4), "/srv/data.txt");
	/* fchmod on a dup'd fd names the file (fd from its "fd" parameter) */
	rec_fchmod(c, 8);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/srv/data.txt");
	assert_string_equal(field(c, "fd.num"), "8");
	after(c);
	/* dup2 of an fd we never saw over a known one: the stale name must go */
	rec_dup2(c, KS_E_DUP2, 4, 55, 4, 0);
	run(c);
	assert_null(fd_name(c, 4));
	/* exec drops the close-on-exec ones: 7 (F_SETFD), 8 (dup3), 10 (F_DUPFD_CLOEXEC) */
	struct exec_args ea = {
	    .exe = "sh", .ptid = 1, .cwd = "/srv", .comm = "sh", .exepath = "/bin/sh"};
	rec_exec(c, PID, PID, 0, &ea);
	run(c);
	assert_null(fd_name(c, 7));
	assert_null(fd_name(c, 8));
	assert_null(fd_name(c, 10));
	tctx_free(c);
}

static void rec_pipe(struct tctx *c, int64_t fd1, int64_t fd2, uint64_t ino, uint32_t flags)
{
	begin(c, KS_E_PIPE2, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, fd1);
	ks_rec_s64(&c->rb, fd2);
	ks_rec_u64(&c->rb, ino);
	ks_rec_u32(&c->rb, flags);
}

static void rec_close_range(struct tctx *c, uint64_t lo, uint64_t hi, uint32_t flags)
{
	begin(c, KS_E_CLOSE_RANGE, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, (int64_t)lo);
	ks_rec_s64(&c->rb, (int64_t)hi);
	ks_rec_u32(&c->rb, flags);
}

static void test_pipe_socketpair_close_range(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	size_t base = ks_state_nfds(c->st);
	rec_pipe(c, 5, 6, 4242, O_CLOEXEC);
	before(c);
	assert_string_equal(field(c, "fd.type"), "pipe");
	assert_string_equal(field(c, "fd.name"), "pipe:[4242]");
	after(c);
	assert_string_equal(fd_name(c, 6), "pipe:[4242]");
	begin(c, KS_E_SOCKETPAIR, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 7);
	ks_rec_s64(&c->rb, 8);
	ks_rec_u64(&c->rb, 0xaaaa);
	ks_rec_u64(&c->rb, 0xbbbb);
	ks_rec_u32(&c->rb, AF_UNIX);
	ks_rec_u32(&c->rb, SOCK_STREAM);
	ks_rec_u32(&c->rb, 0);
	before(c);
	assert_string_equal(field(c, "fd.typechar"), "u");
	after(c);
	assert_int_equal(ks_state_nfds(c->st), base + 4);
	/* close_range(6, ~0U, CLOSE_RANGE_CLOEXEC) marks, close_range(5, ~0U) closes */
	rec_close_range(c, 6, 0xffffffffu, 1u << 2);
	before(c);
	assert_string_equal(field(c, "fd.num"), "6"); /* rules see the first fd */
	after(c);
	assert_int_equal(ks_state_nfds(c->st), base + 4);
	rec_close_range(c, 5, 0xffffffffu, 0);
	run(c);
	assert_int_equal(ks_state_nfds(c->st), base);
	assert_string_equal(fd_name(c, 3), "/srv/data.txt");
	/* a failed close_range closes nothing */
	begin(c, KS_E_CLOSE_RANGE, PID, PID);
	ks_rec_s64(&c->rb, -EINVAL);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 100);
	ks_rec_u32(&c->rb, 0);
	run(c);
	assert_int_equal(ks_state_nfds(c->st), base);
	tctx_free(c);
}

static void test_ids_session_cwd_name_caps(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	rec_clone(c, KS_E_CLONE, PID, PID, 101, CLONE_THREAD | CLONE_FILES | CLONE_FS, 1, "app",
		  "/usr/bin/app", 0);
	run(c);
	/* setresuid(-1, 33, -1), then setgid(33) */
	begin(c, KS_E_SETRESUID, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u32(&c->rb, UINT32_MAX);
	ks_rec_u32(&c->rb, 33);
	ks_rec_u32(&c->rb, UINT32_MAX);
	run(c);
	begin(c, KS_E_SETGID, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u32(&c->rb, 33);
	run(c);
	rec_openat(c, PID, PID, 9, AT_FDCWD, "/x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "user.uid"), "33");
	assert_string_equal(field(c, "group.gid"), "33");
	after(c);
	/* a refused setuid changes nothing */
	begin(c, KS_E_SETUID, PID, PID);
	ks_rec_s64(&c->rb, -EPERM);
	ks_rec_u32(&c->rb, 0);
	run(c);
	assert_int_equal(ks_state_thread(c->st, PID)->uid, 33);
	/* setsid: new session and group for every thread of the process */
	begin(c, KS_E_SETSID, 101, PID);
	ks_rec_s64(&c->rb, PID);
	run(c);
	assert_int_equal(ks_state_thread(c->st, PID)->sid, PID);
	assert_int_equal(ks_state_thread(c->st, 101)->pgid, PID);
	rec_openat(c, PID, PID, 9, AT_FDCWD, "/x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.is_sid_leader"), "true");
	after(c);
	/* setpgid(0, 77) */
	begin(c, KS_E_SETPGID, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 77);
	run(c);
	assert_int_equal(ks_state_thread(c->st, PID)->pgid, 77);
	assert_int_equal(ks_state_thread(c->st, 101)->pgid, 77);
	/* chdir (relative), then fchdir to an fd of a directory */
	begin(c, KS_E_CHDIR, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_str(&c->rb, "sub/../www");
	run(c);
	assert_string_equal(ks_state_thread(c->st, PID)->cwd, "/srv/www/");
	rec_openat(c, PID, PID, 11, AT_FDCWD, "/tmp", O_RDONLY | O_DIRECTORY);
	run(c);
	begin(c, KS_E_FCHDIR, 101, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 11);
	run(c);
	assert_string_equal(ks_state_thread(c->st, PID)->cwd, "/tmp/");
	/* prctl(PR_SET_NAME) names the calling thread only */
	begin(c, KS_E_PRCTL, 101, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u32(&c->rb, 15);
	ks_rec_str(&c->rb, "worker");
	ks_rec_none(&c->rb);
	before(c);
	assert_string_equal(field(c, "proc.name"), "worker");
	after(c);
	assert_string_equal(ks_state_thread(c->st, PID)->comm, "app");
	/* capset: the sets the thread has after the call */
	begin(c, KS_E_CAPSET, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u64(&c->rb, 0);
	ks_rec_u64(&c->rb, 1ull << 21);
	ks_rec_u64(&c->rb, 1ull << 21);
	run(c);
	assert_int_equal(ks_state_thread(c->st, PID)->cap_effective, 1ull << 21);
	tctx_free(c);
}

static void test_bind_listen_memfd(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	rec_socket(c, PID, PID, 4, AF_INET, SOCK_STREAM);
	run(c);
	uint8_t sa[7] = {KS_AF_INET, 0, 0, 0, 0};
	uint16_t port = 8080;
	memcpy(sa + 5, &port, 2);
	begin(c, KS_E_BIND, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_raw(&c->rb, sa, sizeof(sa));
	ks_rec_s64(&c->rb, 4);
	before(c);
	assert_string_equal(field(c, "fd.name"), "0.0.0.0:8080");
	assert_string_equal(field(c, "fd.sport"), "8080");
	assert_string_equal(field(c, "fd.is_server"), "true");
	after(c);
	begin(c, KS_E_LISTEN, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, 4);
	ks_rec_u32(&c->rb, 128);
	before(c);
	assert_string_equal(field(c, "fd.num"), "4");
	assert_string_equal(field(c, "fd.lport"), "8080");
	after(c);
	begin(c, KS_E_MEMFD_CREATE, PID, PID);
	ks_rec_s64(&c->rb, 5);
	ks_rec_str(&c->rb, "payload");
	ks_rec_u32(&c->rb, 1);
	before(c);
	assert_string_equal(field(c, "fd.name"), "memfd:payload");
	assert_string_equal(field(c, "fd.type"), "memfd");
	after(c);
	tctx_free(c);
}

/* evt.arg.<flags> by name, as Falco gives them to conditions and outputs. */
static void test_flag_names(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	rec_openat(c, PID, PID, 4, AT_FDCWD, "/var/log/x",
		   O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC);
	before(c);
	assert_string_equal(field(c, "evt.arg.flags"), "O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC");
	after(c);
	begin(c, KS_E_FCHMODAT, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, AT_FDCWD);
	ks_rec_str(&c->rb, "/bin/x");
	ks_rec_u32(&c->rb, 04755);
	before(c);
	assert_string_equal(field(c, "evt.arg.mode"),
			    "S_ISUID|S_IRUSR|S_IWUSR|S_IXUSR|S_IRGRP|S_IXGRP|S_IROTH|S_IXOTH");
	assert_string_equal(field(c, "evt.arg.filename"), "/bin/x");
	after(c);
	begin(c, KS_E_PTRACE, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u32(&c->rb, 16);
	ks_rec_s64(&c->rb, 1);
	ks_rec_u64(&c->rb, 0);
	ks_rec_u64(&c->rb, 0);
	before(c);
	assert_string_equal(field(c, "evt.arg.request"), "PTRACE_ATTACH");
	after(c);
	begin(c, KS_E_UNSHARE, PID, PID);
	ks_rec_s64(&c->rb, 0);
	ks_rec_u32(&c->rb, CLONE_NEWNS | CLONE_NEWUSER);
	before(c);
	assert_string_equal(field(c, "evt.arg.flags"), "CLONE_NEWNS|CLONE_NEWUSER");
	after(c);
	tctx_free(c);
}

/* Exec of a script through its shebang: the kernel runs the interpreter with the script
 * as its first argument; comm is the script's name, exe the shebang's interpreter. */
static void test_shebang_exec(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	static const char args[] = "/srv/run.sh\0--fast";
	struct exec_args ea = {.exe = "/bin/sh",
			       .args = args,
			       .args_len = sizeof(args),
			       .ptid = 1,
			       .cwd = "/srv",
			       .comm = "run.sh",
			       .exepath = "/usr/bin/dash"};
	rec_exec(c, PID, PID, 0, &ea);
	before(c);
	assert_string_equal(field(c, "proc.name"), "run.sh");
	assert_string_equal(field(c, "proc.exe"), "/bin/sh");
	assert_string_equal(field(c, "proc.exepath"), "/usr/bin/dash");
	assert_string_equal(field(c, "proc.args"), "/srv/run.sh --fast");
	assert_string_equal(field(c, "proc.cmdline"), "run.sh /srv/run.sh --fast");
	after(c);
	tctx_free(c);
}

/* The environment comes from each exec record: the new image's own, never the parent's. */
static void test_exec_env(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	static const char env[] = "GLIBC_TUNABLES=glibc.malloc.mxfast=0\0HTTP_PROXY=http://x";
	struct exec_args ea = {.exe = "/bin/true",
			       .ptid = 1,
			       .cwd = "/srv",
			       .comm = "true",
			       .exepath = "/usr/bin/true",
			       .env = env,
			       .env_len = sizeof(env)};
	rec_exec(c, PID, PID, 0, &ea);
	before(c);
	assert_string_equal(field(c, "proc.env[GLIBC_TUNABLES]"), "glibc.malloc.mxfast=0");
	assert_string_equal(field(c, "proc.env[HTTP_PROXY]"), "http://x");
	assert_string_equal(field(c, "proc.env"),
			    "GLIBC_TUNABLES=glibc.malloc.mxfast=0 HTTP_PROXY=http://x");
	after(c);
	/* env -i: an exec with no environment leaves none, not the previous one */
	ea.env = NULL;
	ea.env_len = 0;
	rec_exec(c, PID, PID, 0, &ea);
	before(c);
	assert_string_equal(field(c, "proc.env[GLIBC_TUNABLES]"), "<NA>");
	after(c);
	tctx_free(c);
}

/* Reparenting when a parent exits, to init and to a subreaper, seen through fields. */
static void test_reparent_fields(void **unused)
{
	(void)unused;
	struct tctx *c = with_app(NULL);
	rec_clone(c, KS_E_CLONE, PID, PID, 200, SIGCHLD, 1, "app", "/usr/bin/app", 0);
	run(c);
	rec_clone(c, KS_E_CLONE, 200, 200, 201, SIGCHLD, PID, "app", "/usr/bin/app", 0);
	run(c);
	rec_clone(c, KS_E_CLONE, 201, 201, 202, SIGCHLD, 200, "app", "/usr/bin/app", 0);
	run(c);
	/* 201 exits: its child goes to the subreaper 100 */
	rec_procexit(c, 201, 201, PID);
	run(c);
	rec_openat(c, 202, 202, 4, AT_FDCWD, "/x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.ppid"), "100");
	assert_string_equal(field(c, "proc.pname"), "app");
	after(c);
	/* 100 exits without a subreaper above it: 200 and 202 go to init */
	rec_procexit(c, PID, PID, 1);
	run(c);
	assert_int_equal(ks_state_thread(c->st, 200)->ptid, 1);
	assert_int_equal(ks_state_thread(c->st, 202)->ptid, 1);
	tctx_free(c);
}

/* Snapshot round trip: records from one state rebuild the same fields in another. */
static int collect(void *ctx, const void *rec, size_t len)
{
	struct {
		uint8_t *buf;
		size_t len, n;
	} *out = ctx;
	uint8_t *nb = realloc(out->buf, out->len + len);
	if (!nb)
		return -ENOMEM;
	memcpy(nb + out->len, rec, len);
	out->buf = nb;
	out->len += len;
	out->n++;
	return 0;
}

static void replay(struct tctx *c, const uint8_t *buf, size_t len)
{
	static uint64_t rec[KS_MAX_RECORD / 8 + 1]; /* records are 8-byte aligned in rings */
	for (size_t off = 0; off < len;) {
		struct ks_hdr h;
		memcpy(&h, buf + off, sizeof(h));
		assert_true(h.len <= len - off);
		memcpy(rec, buf + off, h.len);
		memset(&c->ev, 0, sizeof(c->ev));
		const char *why = NULL;
		if (ks_event_decode(&c->ev, rec, h.len, &why) != 0)
			fail_msg("snapshot record does not decode: %s", why);
		c->ev.arena = &c->arena;
		c->arena.used = 0;
		ks_state_before(c->st, &c->ev);
		assert_non_null(c->ev.thread);
		ks_state_after(c->st, &c->ev);
		off += h.len;
	}
}

static const char *const snap_fields[] = {
    "proc.name",
    "proc.exe",
    "proc.exepath",
    "proc.cmdline",
    "proc.cwd",
    "proc.ppid",
    "proc.pname",
    "proc.aname[2]",
    "proc.sid",
    "proc.vpgid",
    "proc.tty",
    "user.uid",
    "user.loginuid",
    "thread.cap_effective",
    "thread.cap_inheritable",
    "container.id",
    "proc.pid.ts",
    "proc.env",
    "fd.name",
    "fd.type",
    "fd.nameraw",
    "fd.sip",
    "fd.sport",
    "fd.cip",
    "fd.cport",
    "fd.is_server",
    "fd.l4proto",
    "fd.connected",
};

static void fields_of(struct tctx *c, uint32_t tid, uint32_t pid, int64_t fd, char out[][256])
{
	/* a close of the fd (not applied: only before) puts the thread and fd on an event */
	rec_close(c, tid, pid, 0, fd);
	before(c);
	for (size_t i = 0; i < sizeof(snap_fields) / sizeof(snap_fields[0]); i++)
		snprintf(out[i], 256, "%s", field(c, snap_fields[i]));
	c->ev.fd = NULL;
}

static void test_snapshot_round_trip(void **unused)
{
	(void)unused;
	struct ks_state_opts nop = {.no_proc = true,
				    .proc_root = "/proc",
				    .passwd_file = "/dev/null",
				    .group_file = "/dev/null"};
	struct tctx *a = with_app(&nop);
	static const char args[] = "-x\0y";
	struct exec_args ea = {
	    .exe = "child",
	    .args = args,
	    .args_len = sizeof(args),
	    .ptid = PID,
	    .cwd = "/w",
	    .comm = "child",
	    .exepath = "/opt/child",
	    .cgroup =
		"/system.slice/"
		"docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	    .uid = 7,
	    .loginuid = 1000,
	    .tty = 34816,
	    .caps = 0x3f};
	rec_clone(a, KS_E_CLONE, PID, PID, 300, SIGCHLD, 1, "app", "/usr/bin/app", 0);
	run(a);
	rec_exec(a, 300, 300, 0, &ea);
	run(a);
	rec_clone(a, KS_E_CLONE, 300, 300, 301, CLONE_THREAD | CLONE_FILES | CLONE_VM, PID, "child",
		  "/opt/child", 7);
	run(a);
	rec_socket(a, 300, 300, 4, AF_INET, SOCK_STREAM);
	run(a);
	uint8_t t[13];
	tuple4(t, (const uint8_t[]){10, 0, 0, 1}, 40000, (const uint8_t[]){10, 0, 0, 2}, 443);
	rec_connect(a, 301, 300, 0, 4, t, sizeof(t));
	run(a);
	rec_openat(a, 300, 300, 5, AT_FDCWD, "rel/file", O_WRONLY | O_CLOEXEC);
	run(a);
	rec_pipe(a, 6, 7, 99, 0);
	run(a);
	struct {
		uint8_t *buf;
		size_t len, n;
	} snap = {0};
	assert_int_equal(ks_state_snapshot(a->st, collect, &snap), 0);
	assert_int_equal(snap.n, ks_state_nthreads(a->st) + ks_state_nfds(a->st));

	struct tctx *b = tctx_new(&nop);
	replay(b, snap.buf, snap.len);
	assert_int_equal(ks_state_nthreads(b->st), ks_state_nthreads(a->st));
	assert_int_equal(ks_state_nfds(b->st), ks_state_nfds(a->st));
	static const struct {
		uint32_t tid, pid;
		int64_t fd;
	} probes[] = {{301, 300, 4}, {300, 300, 5}, {PID, PID, 3}, {300, 300, 77}};
	char fa[sizeof(snap_fields) / sizeof(snap_fields[0])][256];
	char fb[sizeof(snap_fields) / sizeof(snap_fields[0])][256];
	for (size_t p = 0; p < sizeof(probes) / sizeof(probes[0]); p++) {
		fields_of(a, probes[p].tid, probes[p].pid, probes[p].fd, fa);
		fields_of(b, probes[p].tid, probes[p].pid, probes[p].fd, fb);
		for (size_t i = 0; i < sizeof(snap_fields) / sizeof(snap_fields[0]); i++)
			if (strcmp(fa[i], fb[i]) != 0)
				fail_msg("tid %u fd %lld %s: live %s, replayed %s", probes[p].tid,
					 (long long)probes[p].fd, snap_fields[i], fa[i], fb[i]);
	}
	fields_of(b, 301, 300, 4, fb);
	assert_string_equal(fb[0], "child");
	assert_string_equal(fb[3], "child -x y");
	assert_string_equal(fb[6], "app");
	assert_string_equal(fb[15], "0123456789ab");
	assert_string_equal(fb[18], "10.0.0.1:40000->10.0.0.2:443");
	assert_string_equal(fb[26], "tcp");
	fields_of(b, 300, 300, 5, fb);
	assert_string_equal(fb[18], "/w/rel/file");
	assert_string_equal(fb[20], "rel/file");
	/* the threads share one table again, and close-on-exec survived */
	assert_ptr_equal(ks_state_thread(b->st, 301)->fds, ks_state_thread(b->st, 300)->fds);
	assert_true(ks_state_fd(b->st, ks_state_thread(b->st, 300), 5)->open_flags & O_CLOEXEC);
	/* no /proc read on a replay, even for a thread never seen (our own pid is in /proc) */
	rec_openat(b, (uint32_t)getpid(), (uint32_t)getpid(), 3, AT_FDCWD, "/a", O_RDONLY);
	before(b);
	assert_string_equal(field(b, "proc.name"), "");
	after(b);
	struct ks_state_counters ctr;
	ks_state_get_counters(b->st, &ctr);
	assert_int_equal(ctr.threads_from_proc, 0);
	assert_int_equal(ks_state_seed(b->st), 0);
	free(snap.buf);
	tctx_free(a);
	tctx_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dup_family),
	    cmocka_unit_test(test_pipe_socketpair_close_range),
	    cmocka_unit_test(test_ids_session_cwd_name_caps),
	    cmocka_unit_test(test_bind_listen_memfd),
	    cmocka_unit_test(test_shebang_exec),
	    cmocka_unit_test(test_flag_names),
	    cmocka_unit_test(test_exec_env),
	    cmocka_unit_test(test_reparent_fields),
	    cmocka_unit_test(test_snapshot_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
