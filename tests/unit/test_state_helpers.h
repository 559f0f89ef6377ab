/*
 * Helpers for the state and state-backed field tests: build records, run them through the
 * tracker, extract fields as text, and make fake /proc trees.
 */
#ifndef KS_TEST_STATE_HELPERS_H
#define KS_TEST_STATE_HELPERS_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "event.h"
#include "fields/fields.h"
#include "recbuild.h"
#include "state/state.h"

struct tctx {
	struct ks_state *st;
	struct ks_recbuf rb;
	struct ks_event ev;
	struct ks_arena arena;
	char abuf[1 << 16];
	uint64_t ts, num;
	char out[8192];
};

static inline struct tctx *tctx_new(const struct ks_state_opts *o)
{
	struct tctx *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	struct ks_state_opts def = {.proc_root = "/nonexistent-proc",
				    .passwd_file = "/dev/null",
				    .group_file = "/dev/null"};
	c->st = ks_state_new(o ? o : &def);
	if (!c->st)
		abort();
	c->arena.buf = c->abuf;
	c->arena.cap = sizeof(c->abuf);
	/* event times on the same clock as /proc start times, as the drivers make them */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	c->ts = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	return c;
}

static inline void tctx_free(struct tctx *c)
{
	ks_state_free(c->st);
	free(c);
}

/* Decode the record in c->rb and run ks_state_before on it; c->ev is the event. */
static inline struct ks_event *before(struct tctx *c)
{
	const void *rec = ks_rec_end(&c->rb);
	const char *why = NULL;
	memset(&c->ev, 0, sizeof(c->ev));
	if (ks_event_decode(&c->ev, rec, c->rb.len, &why) != 0) {
		fprintf(stderr, "test record does not decode: %s\n", why);
		abort();
	}
	c->ev.ts = c->rb.hdr.ts;
	c->ev.num = ++c->num;
	c->ev.arena = &c->arena;
	c->arena.used = 0;
	ks_state_before(c->st, &c->ev);
	return &c->ev;
}

static inline void after(struct tctx *c)
{
	ks_state_after(c->st, &c->ev);
}

static inline void run(struct tctx *c)
{
	before(c);
	after(c);
}

/* A field of the current event as text; "<NA>" when it has no value, values of list fields
 * joined with ",". */
static inline const char *field(struct tctx *c, const char *name)
{
	struct ks_field_ref ref;
	size_t used;
	char err[256];
	if (ks_field_parse(name, &used, &ref, err, sizeof(err)) != 0) {
		fprintf(stderr, "field %s: %s\n", name, err);
		abort();
	}
	struct ks_value v[16];
	int n = ks_field_extract(&c->ev, &ref, v, 16);
	ks_field_ref_fini(&ref);
	if (n <= 0)
		return "<NA>";
	size_t o = 0;
	for (int i = 0; i < n && o + 2 < sizeof(c->out); i++) {
		if (i)
			c->out[o++] = ',';
		o += ks_value_format(&v[i], c->out + o, sizeof(c->out) - o);
	}
	c->out[o] = '\0';
	return c->out;
}

static inline void begin(struct tctx *c, enum ks_event_type t, uint32_t tid, uint32_t pid)
{
	c->ts += 1000;
	ks_rec_begin(&c->rb, (uint16_t)t, tid, pid, c->ts);
}

/* clone/fork record as the drivers write it; pass the fields describing the current task. */
static inline void rec_clone(struct tctx *c, enum ks_event_type t, uint32_t tid, uint32_t pid,
			     int64_t res, uint64_t flags, int64_t ptid, const char *comm,
			     const char *exepath, uint32_t uid)
{
	begin(c, t, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_u64(&c->rb, flags);
	ks_rec_s64(&c->rb, ptid);
	ks_rec_str(&c->rb, comm);
	ks_rec_str(&c->rb, exepath);
	ks_rec_u32(&c->rb, uid);
	ks_rec_u32(&c->rb, uid);
	ks_rec_u32(&c->rb, 1000);
	ks_rec_s64(&c->rb, pid); /* pgid */
	ks_rec_s64(&c->rb, 1);	 /* sid */
	ks_rec_s64(&c->rb, pid); /* vpid */
	ks_rec_str(&c->rb, "/user.slice/user-1000.slice/session-1.scope");
}

struct exec_args {
	const char *exe, *args; /* args: "a\0b" */
	size_t args_len;	/* with the final NUL */
	const char *env;	/* "A=1\0B=2\0" or NULL for none */
	size_t env_len;		/* with the final NUL */
	int64_t ptid;
	const char *cwd, *comm, *exepath, *cgroup;
	uint32_t uid, loginuid, tty;
	uint64_t caps;
};

static inline void rec_exec(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res,
			    const struct exec_args *a)
{
	begin(c, KS_E_EXECVE, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_str(&c->rb, a->exe);
	if (a->args_len)
		ks_rec_strs(&c->rb, a->args, a->args_len);
	else
		ks_rec_none(&c->rb);
	ks_rec_s64(&c->rb, a->ptid);
	ks_rec_str(&c->rb, a->cwd);
	ks_rec_str(&c->rb, a->comm);
	ks_rec_str(&c->rb, a->exepath);
	ks_rec_u32(&c->rb, a->uid);
	ks_rec_u32(&c->rb, a->uid);
	ks_rec_u32(&c->rb, a->loginuid);
	ks_rec_u32(&c->rb, a->tty);
	ks_rec_s64(&c->rb, pid);
	ks_rec_s64(&c->rb, 1);
	ks_rec_s64(&c->rb, pid);
	ks_rec_u64(&c->rb, a->caps);
	ks_rec_u64(&c->rb, a->caps);
	ks_rec_str(&c->rb, a->cgroup ? a->cgroup : "/user.slice");
	ks_rec_str(&c->rb, a->exepath);
	if (a->env) /* the new image's environment, NUL-separated */
		ks_rec_strs(&c->rb, a->env, a->env_len);
	else
		ks_rec_none(&c->rb);
}

static inline void rec_openat(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res,
			      int64_t dirfd, const char *name, uint32_t flags)
{
	begin(c, KS_E_OPENAT, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, dirfd);
	ks_rec_str(&c->rb, name);
	ks_rec_u32(&c->rb, flags);
	ks_rec_u32(&c->rb, 0644);
}

static inline void rec_open(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res,
			    const char *name, uint32_t flags)
{
	begin(c, KS_E_OPEN, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_str(&c->rb, name);
	ks_rec_u32(&c->rb, flags);
	ks_rec_u32(&c->rb, 0644);
}

static inline void rec_close(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res, int64_t fd)
{
	begin(c, KS_E_CLOSE, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, fd);
}

static inline void rec_socket(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res,
			      uint32_t domain, uint32_t type)
{
	begin(c, KS_E_SOCKET, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_u32(&c->rb, domain);
	ks_rec_u32(&c->rb, type);
	ks_rec_u32(&c->rb, 0);
}

/* An IPv4 tuple: local a:ap, remote b:bp (addresses as dotted quads in host order bytes). */
static inline size_t tuple4(uint8_t *t, const uint8_t la[4], uint16_t lp, const uint8_t ra[4],
			    uint16_t rp)
{
	t[0] = KS_AF_INET;
	memcpy(t + 1, la, 4);
	memcpy(t + 5, ra, 4);
	memcpy(t + 9, &lp, 2);
	memcpy(t + 11, &rp, 2);
	return 13;
}

static inline void rec_connect(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res, int64_t fd,
			       const uint8_t *tuple, size_t tlen)
{
	begin(c, KS_E_CONNECT, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, fd);
	ks_rec_none(&c->rb);
	ks_rec_raw(&c->rb, tuple, tlen);
}

static inline void rec_accept(struct tctx *c, uint32_t tid, uint32_t pid, int64_t res, int64_t fd,
			      const uint8_t *tuple, size_t tlen)
{
	begin(c, KS_E_ACCEPT4, tid, pid);
	ks_rec_s64(&c->rb, res);
	ks_rec_s64(&c->rb, fd);
	ks_rec_raw(&c->rb, tuple, tlen);
	ks_rec_u32(&c->rb, 0);
}

static inline void rec_procexit(struct tctx *c, uint32_t tid, uint32_t pid, int64_t reaper)
{
	begin(c, KS_E_PROCEXIT, tid, pid);
	ks_rec_s64(&c->rb, 0);
	ks_rec_s64(&c->rb, reaper);
}

/* Fake /proc trees ------------------------------------------------------------------- */

static inline void put_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		abort();
	}
	fwrite(data, 1, len, f);
	fclose(f);
}

static inline void putf(const char *content, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void putf(const char *content, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	put_file(path, content, strlen(content));
}

static inline void mkdirf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void mkdirf(const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (mkdir(path, 0755) != 0 && errno != EEXIST) {
		perror(path);
		abort();
	}
}

static inline void linkf(const char *target, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void linkf(const char *target, const char *fmt, ...)
{
	char path[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	if (symlink(target, path) != 0) {
		perror(path);
		abort();
	}
}

/* One fake process (single thread unless extra tids are added with fake_thread). */
struct fake_proc {
	int pid, ppid, pgid, sid, tty, uid, gid, loginuid;
	const char *comm, *cmdline; /* cmdline: "a\0b\0" */
	size_t cmdline_len;
	const char *exe, *cwd, *cgroup, *environ;
	size_t environ_len;
	unsigned long long capprm, capeff;
};

static inline void fake_thread(const char *root, const struct fake_proc *p, int tid)
{
	mkdirf("%s/%d/task", root, p->pid);
	mkdirf("%s/%d/task/%d", root, p->pid, tid);
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "%d (%s) S %d %d %d %d -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100 "
		 "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n",
		 tid, p->comm, p->ppid, p->pgid, p->sid, p->tty);
	putf(buf, "%s/%d/task/%d/stat", root, p->pid, tid);
	snprintf(buf, sizeof(buf),
		 "Name:\t%s\nTgid:\t%d\nPid:\t%d\nPPid:\t%d\nUid:\t%d\t%d\t%d\t%d\n"
		 "Gid:\t%d\t%d\t%d\t%d\nNStgid:\t%d\t7\nNSpid:\t%d\t%d\nCapInh:\t0000000000000000\n"
		 "CapPrm:\t%016llx\nCapEff:\t%016llx\n",
		 p->comm, p->pid, tid, p->ppid, p->uid + 1, p->uid, p->uid, p->uid, p->gid + 1,
		 p->gid, p->gid, p->gid, p->pid, tid, tid + 100, p->capprm, p->capeff);
	putf(buf, "%s/%d/task/%d/status", root, p->pid, tid);
	snprintf(buf, sizeof(buf), "%s\n", p->comm);
	putf(buf, "%s/%d/task/%d/comm", root, p->pid, tid);
	snprintf(buf, sizeof(buf), "0::%s\n", p->cgroup ? p->cgroup : "/");
	putf(buf, "%s/%d/task/%d/cgroup", root, p->pid, tid);
}

static inline void fake_proc(const char *root, const struct fake_proc *p)
{
	mkdirf("%s/%d", root, p->pid);
	fake_thread(root, p, p->pid);
	char path[4096], buf[64];
	snprintf(path, sizeof(path), "%s/%d/cmdline", root, p->pid);
	put_file(path, p->cmdline ? p->cmdline : "", p->cmdline_len);
	snprintf(path, sizeof(path), "%s/%d/environ", root, p->pid);
	put_file(path, p->environ ? p->environ : "", p->environ_len);
	snprintf(buf, sizeof(buf), "%d", p->loginuid);
	putf(buf, "%s/%d/loginuid", root, p->pid);
	if (p->exe)
		linkf(p->exe, "%s/%d/exe", root, p->pid);
	if (p->cwd)
		linkf(p->cwd, "%s/%d/cwd", root, p->pid);
	mkdirf("%s/%d/fd", root, p->pid);
	mkdirf("%s/%d/fdinfo", root, p->pid);
}

/* An fd of a fake process; flags as fdinfo prints them (octal). */
static inline void fake_fd(const char *root, int pid, int fd, const char *target, unsigned flags)
{
	linkf(target, "%s/%d/fd/%d", root, pid, fd);
	char buf[128];
	snprintf(buf, sizeof(buf), "pos:\t0\nflags:\t0%o\nmnt_id:\t1\n", flags);
	putf(buf, "%s/%d/fdinfo/%d", root, pid, fd);
}

static inline char *make_tmpdir(void)
{
	char tmpl[] = "/tmp/ks-state-test-XXXXXX";
	char *d = mkdtemp(tmpl);
	if (!d)
		abort();
	return strdup(d);
}

static inline void rm_rf(const char *dir)
{
	char cmd[4200];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

#endif
