/*
 * Live check of the modern eBPF driver (root only): capture a known workload run by a
 * child and compare every parameter we can predict with the values the workload saw.
 * Every record captured (the whole machine's) must pass ks_event_decode.
 *
 *   capture_check [-v]      -v prints the workload's records
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "event.h"

static int failures, verbose;
/* The exec'd program: in a tmpfs mounted inside the temp dir when mounting works, so that
 * exepath must cross a mount point; and in a cgroup of its own when cgroup2 is mounted. */
static char kcat_rel[64] = "./kcat", cgroup_dir[4096], cgroup_want[1024];

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	failures++;
}

/* ---- the workload, run by a child of the engine (the engine's own tgid is ignored) ---- */

struct wl {
	int dfd, fd_openat, fd_newfile, fd_open, fd_openat2, fd_creat;
	int lfd, cfd, afd, cfd2, afd2, sport, cport, cport2;
	int pid_exec, pid_fail, pid_fork, pid_clone3, exec_status;
};

static int tcp_client(int port, int *lport)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (void *)&a, sizeof(a)) || getsockname(fd, (void *)&a, &l))
		_exit(20);
	*lport = ntohs(a.sin_port);
	return fd;
}

static void workload(const char *dir, int out)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_NO_SYMLINKS};
	struct clone_args ca = {.flags = CLONE_CLEAR_SIGHAND, .exit_signal = SIGCHLD};
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t l = sizeof(a);
	struct wl w = {0};
	int st;

	if (chdir(dir))
		_exit(10);
	w.dfd = open(dir, O_RDONLY | O_DIRECTORY);
	w.fd_openat = openat(w.dfd, "data.txt", O_RDONLY);
	w.fd_newfile = openat(w.dfd, "new.txt", O_WRONLY | O_CREAT | O_EXCL, 0600);
	w.fd_open = syscall(SYS_open, "data.txt", O_RDONLY | O_CLOEXEC);
	w.fd_openat2 = syscall(SYS_openat2, AT_FDCWD, "data.txt", &how, sizeof(how));
	w.fd_creat = syscall(SYS_creat, "created.txt", 0640);
	close(w.fd_openat);
	close(-1);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	w.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (bind(w.lfd, (void *)&a, sizeof(a)) || listen(w.lfd, 4) ||
	    getsockname(w.lfd, (void *)&a, &l))
		_exit(11);
	w.sport = ntohs(a.sin_port);
	w.cfd = tcp_client(w.sport, &w.cport);
	w.afd = syscall(SYS_accept, w.lfd, NULL, NULL);
	w.cfd2 = tcp_client(w.sport, &w.cport2);
	w.afd2 = syscall(SYS_accept4, w.lfd, NULL, NULL, SOCK_CLOEXEC);

	w.pid_exec = fork(); /* glibc: clone(2) */
	if (w.pid_exec == 0) {
		char *argv[] = {kcat_rel, "data.txt", "data.txt", NULL}, procs[4200];
		int fd;

		if (cgroup_dir[0]) { /* "0" moves the writer */
			snprintf(procs, sizeof(procs), "%s/cgroup.procs", cgroup_dir);
			fd = open(procs, O_WRONLY);
			if (fd < 0 || write(fd, "0\n", 2) != 2)
				_exit(126);
			close(fd);
		}
		dup2(open("/dev/null", O_WRONLY), 1);
		execve(kcat_rel, argv, environ);
		_exit(127);
	}
	waitpid(w.pid_exec, &w.exec_status, 0);
	w.pid_fail = fork();
	if (w.pid_fail == 0) {
		char *argv[] = {"nope", NULL};

		execve("./does-not-exist", argv, environ);
		_exit(0);
	}
	waitpid(w.pid_fail, &st, 0);
	w.pid_fork = syscall(SYS_fork);
	if (w.pid_fork == 0)
		_exit(0);
	waitpid(w.pid_fork, &st, 0);
	w.pid_clone3 = syscall(SYS_clone3, &ca, sizeof(ca));
	if (w.pid_clone3 == 0)
		_exit(0);
	waitpid(w.pid_clone3, &st, 0);
	if (write(out, &w, sizeof(w)) != sizeof(w))
		_exit(12);
	_exit(7);
}

/* ---- capture ---- */

struct rec {
	void *data;
	size_t len;
};
static struct rec *recs;
static size_t nrecs, caprecs, decode_errors;
static int watch_pid; /* the workload; its procexit ends the drain */
static int seen_exit;

static int on_record(void *ctx, const void *data, size_t len)
{
	struct ks_event ev;
	const char *why = NULL;

	(void)ctx;
	if (ks_event_decode(&ev, data, len, &why)) {
		if (decode_errors++ < 5)
			fail("record of %zu bytes does not decode: %s", len, why);
		return 0;
	}
	if (ev.type == KS_E_PROCEXIT && ev.pid == watch_pid)
		seen_exit = 1;
	if (nrecs == caprecs) {
		caprecs = caprecs ? caprecs * 2 : 4096;
		recs = realloc(recs, caprecs * sizeof(*recs));
		if (!recs)
			abort();
	}
	recs[nrecs].data = malloc(len);
	memcpy(recs[nrecs].data, data, len);
	recs[nrecs++].len = len;
	return 0;
}

static void drain(struct ks_driver *d, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		if (ks_driver_next(d, on_record, NULL, 10) < 0)
			fail("ks_driver_next failed");
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < ms);
}

/* Run `fn` in a child and drain until its procexit has come (or 10 s). */
static int run_child(struct ks_driver *d, void (*fn)(const char *, int), const char *dir, int out)
{
	int st = 0;

	watch_pid = fork();
	if (watch_pid == 0)
		fn(dir, out);
	seen_exit = 0;
	for (int i = 0; i < 500 && !seen_exit; i++)
		drain(d, 20);
	drain(d, 60); /* records of other CPUs' rings written just before */
	waitpid(watch_pid, &st, 0);
	if (!seen_exit)
		fail("no procexit record for the workload (pid %d)", watch_pid);
	return st;
}

/* ---- lookups and comparisons ---- */

static void free_recs(void)
{
	for (size_t i = 0; i < nrecs; i++)
		free(recs[i].data);
	nrecs = 0;
}

static int event_at(size_t i, struct ks_event *ev)
{
	return ks_event_decode(ev, recs[i].data, recs[i].len, NULL);
}

/* The first record of `type` from thread `tid` whose first param is `res` (any if -999). */
static int find(enum ks_event_type type, int tid, int64_t res, struct ks_event *ev)
{
	for (size_t i = 0; i < nrecs; i++)
		if (!event_at(i, ev) && ev->type == type && ev->tid == tid &&
		    (res == -999 || ks_event_s64(ev, 0, -12345) == res))
			return 1;
	fail("no %s record from tid %d with res %lld", ks_events[type].name, tid, (long long)res);
	return 0;
}

static const uint8_t *raw(const struct ks_event *ev, const char *name, size_t *len)
{
	int i = ks_event_param_index(ev->type, name);

	*len = i < 0 ? 0 : ev->plen[i];
	return i < 0 ? NULL : ev->param[i];
}

static void eq_num(const struct ks_event *ev, const char *name, int64_t want)
{
	int64_t got = ks_event_s64_by_name(ev, name, -424242);

	if (got != want)
		fail("%s.%s = %lld, want %lld", ev->info->name, name, (long long)got,
		     (long long)want);
}

static void eq_str(const struct ks_event *ev, const char *name, const char *want)
{
	const char *got = ks_event_str_by_name(ev, name);

	if (!want ? got != NULL : !got || strcmp(got, want))
		fail("%s.%s = '%s', want '%s'", ev->info->name, name, got ? got : "(absent)",
		     want ? want : "(absent)");
}

static void eq_bytes(const struct ks_event *ev, const char *name, const void *want, size_t n)
{
	size_t len;
	const uint8_t *got = raw(ev, name, &len);

	if (len != n || memcmp(got, want, n))
		fail("%s.%s: %zu bytes differ from the %zu expected", ev->info->name, name, len, n);
}

/* AF_INET tuple 127.0.0.1:sport -> 127.0.0.1:dport */
static void eq_tuple(const struct ks_event *ev, int sport, int dport)
{
	uint8_t t[13] = {KS_AF_INET};
	uint32_t lo = htonl(INADDR_LOOPBACK);
	uint16_t sp = sport, dp = dport;

	memcpy(t + 1, &lo, 4);
	memcpy(t + 5, &lo, 4);
	memcpy(t + 9, &sp, 2);
	memcpy(t + 11, &dp, 2);
	eq_bytes(ev, "tuple", t, sizeof(t));
}

/* ---- what the workload should have produced ---- */

static char *read_line(const char *path, const char *prefix)
{
	static char buf[4096];
	FILE *f = fopen(path, "r");
	char *r = NULL;

	while (f && fgets(buf, sizeof(buf), f))
		if (!strncmp(buf, prefix, strlen(prefix))) {
			buf[strcspn(buf, "\n")] = '\0';
			r = buf + strlen(prefix);
			break;
		}
	if (f)
		fclose(f);
	return r;
}

static unsigned long long stat_field(int field)
{
	char *p = read_line("/proc/self/stat", "");
	unsigned long long v = 0;

	p = p ? strrchr(p, ')') : NULL;
	for (int i = 2; p && i < field; i++)
		p = strchr(p + 1, ' ');
	if (p)
		v = strtoull(p + 1, NULL, 10);
	return v;
}

static void check_workload(const struct wl *w, const char *dir, int child)
{
	char exepath[4200], self[4096], comm[32] = "";
	struct ks_event ev;
	int n;

	snprintf(exepath, sizeof(exepath), "%s/%s", dir, kcat_rel + 2);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	if (read_line("/proc/self/comm", ""))
		snprintf(comm, sizeof(comm), "%s", read_line("/proc/self/comm", ""));

	if (find(KS_E_EXECVE, w->pid_exec, 0, &ev)) {
		eq_str(&ev, "exe", kcat_rel);
		eq_bytes(&ev, "args", "data.txt\0data.txt", 18);
		eq_num(&ev, "ptid", child);
		eq_str(&ev, "cwd", dir);
		eq_str(&ev, "comm", "kcat");
		eq_str(&ev, "exepath", exepath);
		eq_num(&ev, "uid", geteuid());
		eq_num(&ev, "gid", getegid());
		eq_num(&ev, "loginuid", strtoul(read_line("/proc/self/loginuid", ""), NULL, 10));
		eq_num(&ev, "tty", stat_field(7));
		eq_num(&ev, "pgid", getpgrp());
		eq_num(&ev, "sid", getsid(0));
		eq_num(&ev, "vpid", w->pid_exec);
		eq_num(&ev, "cap_permitted",
		       strtoull(read_line("/proc/self/status", "CapPrm:\t"), NULL, 16));
		eq_num(&ev, "cap_effective",
		       strtoull(read_line("/proc/self/status", "CapEff:\t"), NULL, 16));
		eq_str(&ev, "cgroup",
		       cgroup_dir[0] ? cgroup_want : read_line("/proc/self/cgroup", "0::"));
		eq_str(&ev, "filename", NULL);
	}
	if (find(KS_E_EXECVE, w->pid_fail, -ENOENT, &ev))
		eq_str(&ev, "filename", "./does-not-exist");
	if (find(KS_E_OPENAT, child, w->fd_openat, &ev)) {
		eq_num(&ev, "dirfd", w->dfd);
		eq_str(&ev, "name", "data.txt");
		eq_num(&ev, "flags", O_RDONLY);
		eq_num(&ev, "mode", 0);
	}
	if (find(KS_E_OPENAT, child, w->fd_newfile, &ev)) {
		eq_str(&ev, "name", "new.txt");
		eq_num(&ev, "flags", O_WRONLY | O_CREAT | O_EXCL);
		eq_num(&ev, "mode", 0600);
	}
	if (find(KS_E_OPEN, child, w->fd_open, &ev)) {
		eq_str(&ev, "name", "data.txt");
		eq_num(&ev, "flags", O_RDONLY | O_CLOEXEC);
	}
	if (find(KS_E_OPENAT2, child, w->fd_openat2, &ev)) {
		eq_num(&ev, "dirfd", AT_FDCWD);
		eq_str(&ev, "name", "data.txt");
		eq_num(&ev, "flags", O_RDONLY | O_CLOEXEC);
		eq_num(&ev, "resolve", RESOLVE_NO_SYMLINKS);
	}
	if (find(KS_E_CREAT, child, w->fd_creat, &ev)) {
		eq_str(&ev, "name", "created.txt");
		eq_num(&ev, "mode", 0640);
	}
	if (find(KS_E_CLOSE, child, 0, &ev))
		eq_num(&ev, "fd", w->fd_openat);
	if (find(KS_E_CLOSE, child, -EBADF, &ev))
		eq_num(&ev, "fd", -1);
	if (find(KS_E_SOCKET, child, w->lfd, &ev)) {
		eq_num(&ev, "domain", AF_INET);
		eq_num(&ev, "type", SOCK_STREAM);
		eq_num(&ev, "proto", 0);
	}
	if (find(KS_E_CONNECT, child, 0, &ev)) {
		uint8_t sa[7] = {KS_AF_INET};
		uint32_t lo = htonl(INADDR_LOOPBACK);
		uint16_t port = w->sport;

		memcpy(sa + 1, &lo, 4);
		memcpy(sa + 5, &port, 2);
		eq_num(&ev, "fd", w->cfd);
		eq_bytes(&ev, "addr", sa, sizeof(sa));
		eq_tuple(&ev, w->cport, w->sport);
	}
	if (find(KS_E_ACCEPT, child, w->afd, &ev)) {
		eq_num(&ev, "fd", w->lfd);
		eq_tuple(&ev, w->sport, w->cport);
	}
	if (find(KS_E_ACCEPT4, child, w->afd2, &ev)) {
		eq_num(&ev, "fd", w->lfd);
		eq_num(&ev, "flags", SOCK_CLOEXEC);
		eq_tuple(&ev, w->sport, w->cport2);
	}
	/* clone records, in the parent and in the child (sys_exit fires on its return) */
	if (find(KS_E_CLONE, child, w->pid_exec, &ev))
		eq_num(&ev, "flags", ks_event_s64_by_name(&ev, "flags", 0) | SIGCHLD);
	if (find(KS_E_CLONE, w->pid_exec, 0, &ev)) {
		eq_num(&ev, "ptid", child);
		eq_str(&ev, "comm", comm);
		eq_str(&ev, "exepath", self);
		eq_str(&ev, "cgroup", read_line("/proc/self/cgroup", "0::"));
		eq_num(&ev, "vpid", w->pid_exec);
		eq_num(&ev, "uid", geteuid());
	}
	if (find(KS_E_CLONE, child, 0, &ev))
		eq_num(&ev, "ptid", getpid());
	find(KS_E_FORK, child, w->pid_fork, &ev);
	if (find(KS_E_FORK, w->pid_fork, 0, &ev))
		eq_num(&ev, "flags", SIGCHLD);
	if (find(KS_E_CLONE3, child, w->pid_clone3, &ev))
		eq_num(&ev, "flags", (int64_t)CLONE_CLEAR_SIGHAND);
	if (find(KS_E_CLONE3, w->pid_clone3, 0, &ev))
		eq_num(&ev, "ptid", child);
	if (find(KS_E_PROCEXIT, child, -999, &ev))
		eq_num(&ev, "status", 7 << 8);
	if (find(KS_E_PROCEXIT, w->pid_exec, -999, &ev))
		eq_num(&ev, "status", w->exec_status);
}

static void dump(const struct wl *w, int child)
{
	struct ks_event ev;

	for (size_t i = 0; i < nrecs; i++) {
		if (event_at(i, &ev) ||
		    (ev.pid != child && ev.pid != w->pid_exec && ev.pid != w->pid_fail &&
		     ev.pid != w->pid_fork && ev.pid != w->pid_clone3))
			continue;
		printf("%-9s tid=%-7lld", ev.info->name, (long long)ev.tid);
		for (unsigned p = 0; p < ev.nparams; p++) {
			enum ks_param_type t = ev.info->params[p].type;

			if (!ev.plen[p])
				printf(" %s=-", ev.info->params[p].name);
			else if (t == KS_PT_CHARBUF || t == KS_PT_FSPATH)
				printf(" %s='%s'", ev.info->params[p].name, (char *)ev.param[p]);
			else if (ev.plen[p] == 8 || ev.plen[p] == 4)
				printf(" %s=%lld", ev.info->params[p].name,
				       (long long)ks_event_s64(&ev, p, 0));
			else
				printf(" %s=[%u]", ev.info->params[p].name, ev.plen[p]);
		}
		printf("\n");
	}
}

static void filter_child(const char *dir, int out)
{
	(void)out;
	close(openat(AT_FDCWD, dir, O_RDONLY));
	close(socket(AF_INET, SOCK_STREAM, 0));
	_exit(0);
}

static int rm_entry(const char *p, const struct stat *s, int flag, struct FTW *f)
{
	(void)s, (void)flag, (void)f;
	return remove(p);
}

static void cleanup(const char *dir)
{
	char path[4200];

	if (cgroup_dir[0]) {
		rmdir(cgroup_dir);
		*strrchr(cgroup_dir, '/') = '\0';
		rmdir(cgroup_dir);
	}
	snprintf(path, sizeof(path), "%s/mnt", dir);
	umount2(path, MNT_DETACH);
	nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	ssize_t n;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n)
			return -1;
	close(in);
	close(out);
	return in < 0 || out < 0 ? -1 : 0;
}

/* A two-level cgroup v2 for the exec'd child, e.g. /kestrel-live.slice/run-123.scope. */
static void setup_cgroup(void)
{
	char base[2048], own[960], *p;

	p = read_line("/proc/self/cgroup", "0::");
	snprintf(own, sizeof(own), "%s", p && strcmp(p, "/") ? p : "");
	p = read_line("/proc/self/mounts", "cgroup2 ");
	if (!p || !strchr(p, ' ')) {
		printf("note: no cgroup2 mount: cgroup checked at the test's own cgroup\n");
		return;
	}
	*strchr(p, ' ') = '\0';
	snprintf(base, sizeof(base), "%s", p);
	snprintf(cgroup_want, sizeof(cgroup_want), "%s/kestrel-live.slice/run-%d.scope", own,
		 getpid());
	snprintf(cgroup_dir, sizeof(cgroup_dir), "%s%s", base, cgroup_want);
	*strrchr(cgroup_dir, '/') = '\0';
	mkdir(cgroup_dir, 0755);
	snprintf(cgroup_dir, sizeof(cgroup_dir), "%s%s", base, cgroup_want);
	if (mkdir(cgroup_dir, 0755)) {
		printf("note: cannot make cgroup %s (%s)\n", cgroup_dir, strerror(errno));
		cgroup_dir[0] = '\0';
	}
}

int main(int argc, char **argv)
{
	struct ks_driver_opts o = {.kind = "modern_ebpf"};
	uint8_t filter[KS_FILTER_BYTES] = {0};
	char tmpl[] = "/tmp/kestrel-live.XXXXXX", dir[4096], path[4200];
	struct ks_driver_stats st;
	struct ks_driver *d;
	struct ks_event ev;
	struct wl w = {0};
	int p[2], child, err, closes = 0, openats = 0, others = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	verbose = argc > 1 && !strcmp(argv[1], "-v");
	if (!mkdtemp(tmpl) || !realpath(tmpl, dir))
		return perror("mkdtemp"), 1;
	snprintf(path, sizeof(path), "%s/data.txt", dir);
	if (copy_file("/etc/hostname", path))
		return perror(path), 1;
	snprintf(path, sizeof(path), "%s/mnt", dir);
	if (mkdir(path, 0755) == 0 && mount("kestrel-live", path, "tmpfs", 0, NULL) == 0)
		snprintf(kcat_rel, sizeof(kcat_rel), "./mnt/kcat");
	else
		printf(
		    "note: cannot mount a tmpfs (%s): exepath checked without a mount crossing\n",
		    strerror(errno));
	snprintf(path, sizeof(path), "%s/%s", dir, kcat_rel + 2);
	if (copy_file("/bin/cat", path) || pipe(p))
		return perror(path), 1;
	setup_cgroup();

	err = ks_driver_open(&o, &d);
	if (err) {
		printf("FAIL: cannot open the modern_ebpf driver: %s\n", strerror(-err));
		cleanup(dir);
		return 1;
	}
	for (int i = 1; i < KS_E_MAX; i++)
		if (ks_events[i].syscall_nr >= 0)
			filter[ks_events[i].syscall_nr / 8] |= 1u << (ks_events[i].syscall_nr % 8);
	ks_driver_set_filter(d, filter);
	ks_driver_start(d);

	run_child(d, workload, dir, p[1]);
	child = watch_pid;
	if (read(p[0], &w, sizeof(w)) != sizeof(w))
		fail("the workload did not report (it failed early)");
	else
		check_workload(&w, dir, child);
	if (verbose)
		dump(&w, child);
	printf("phase 1: %zu records decoded\n", nrecs);
	free_recs();

	/* only openat: no close record may appear once the old ones are drained */
	memset(filter, 0, sizeof(filter));
	filter[257 / 8] |= 1u << (257 % 8);
	ks_driver_set_filter(d, filter);
	drain(d, 100);
	free_recs();
	run_child(d, filter_child, dir, -1);
	for (size_t i = 0; i < nrecs; i++) {
		if (event_at(i, &ev))
			continue;
		closes += ev.type == KS_E_CLOSE;
		openats += ev.type == KS_E_OPENAT && ev.pid == watch_pid;
		others += ev.pid == watch_pid && ev.type != KS_E_OPENAT && ev.type != KS_E_PROCEXIT;
	}
	if (closes || others || !openats)
		fail("filter openat only: %d close records, %d other records of the child, "
		     "%d openat records of the child (want 0, 0, >0)",
		     closes, others, openats);
	printf("phase 2: %zu records, filter respected\n", nrecs);
	free_recs();

	if (ks_driver_stats(d, &st))
		fail("ks_driver_stats failed");
	printf("stats: events=%llu drops_full=%llu drops_fault=%llu drops_bug=%llu\n",
	       (unsigned long long)st.total.events, (unsigned long long)st.total.drops_full,
	       (unsigned long long)st.total.drops_fault, (unsigned long long)st.total.drops_bug);
	if (!st.total.events || st.total.drops_full || st.total.drops_bug)
		fail("want events > 0 and no drops_full/drops_bug");
	if (decode_errors)
		fail("%zu records did not decode", decode_errors);
	ks_driver_close(d);

	/* one ring shared by two CPUs, a size that must be rounded up to a power of two */
	o.cpus_per_buffer = 2;
	o.buf_bytes_per_cpu = 3u << 20;
	err = ks_driver_open(&o, &d);
	if (err) {
		fail("cannot open the driver with cpus_per_buffer 2: %s", strerror(-err));
	} else {
		ks_driver_set_filter(d, filter);
		ks_driver_start(d);
		run_child(d, filter_child, dir, -1);
		openats = 0;
		for (size_t i = 0; i < nrecs; i++)
			openats +=
			    !event_at(i, &ev) && ev.type == KS_E_OPENAT && ev.pid == watch_pid;
		if (!openats)
			fail("cpus_per_buffer 2: no openat record of the child");
		printf("phase 3: shared ring, %zu records\n", nrecs);
		free_recs();
		ks_driver_close(d);
	}
	cleanup(dir);
	free(recs);
	if (failures) {
		printf("capture_check: %d failure(s)\n", failures);
		return 1;
	}
	printf("capture_check: PASS\n");
	return 0;
}
