/*
 * Seeding from /proc: every thread under proc_root, with its process's fds. Anything that
 * cannot be read (a thread that exits meanwhile, a kernel thread without exe, a file
 * missing from a test tree) is left empty; only an unreadable proc_root fails the seed.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "state_int.h"

#define ENV_MAX 32768u /* like Falco, keep at most this much of a process's environment */

/* Read a whole small file into buf (NUL-terminated); returns bytes read or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	size_t n = 0;
	while (n + 1 < cap) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			return -e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	return (ssize_t)n;
}

/* dir + "/" + leaf into buf; false if it does not fit (never for real /proc paths). */
static bool join(char *buf, size_t n, const char *dir, const char *leaf)
{
	int r = snprintf(buf, n, "%s/%s", dir, leaf);
	return r > 0 && (size_t)r < n;
}

static char *read_link(const char *path)
{
	char buf[PATH_MAX];
	ssize_t n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/* /proc/<pid>/stat: the fields after "(comm)". */
static void parse_stat(struct ks_state *st, struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[1024];
	if (!join(path, sizeof(path), dir, "stat"))
		return;
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	const char *p = strrchr(buf, ')'); /* comm may contain ')' and spaces */
	if (!p)
		return;
	char state;
	long long ppid, pgrp, session;
	int tty;
	unsigned long long starttime = 0;
	int n = sscanf(p + 1,
		       " %c %lld %lld %lld %d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
		       "%*d %*d %llu",
		       &state, &ppid, &pgrp, &session, &tty, &starttime);
	if (n < 5)
		return;
	t->ptid = ppid;
	t->pgid = pgrp;
	t->sid = session;
	t->tty = (uint32_t)tty;
	if (n >= 6)
		t->clone_ts = st->boot_epoch_ns +
			      starttime * (1000000000ull / (unsigned long long)st->clk_tck);
}

/* Last number of a "Key:\t1\t2\t3" line: the id in the innermost namespace. */
static bool last_num(const char *line, long long *out)
{
	const char *p = line + strlen(line);
	while (p > line && !isdigit((unsigned char)p[-1]))
		p--;
	const char *end = p;
	while (p > line && isdigit((unsigned char)p[-1]))
		p--;
	if (p == end)
		return false;
	*out = strtoll(p, NULL, 10);
	return true;
}

static void parse_status(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[8192];
	if (!join(path, sizeof(path), dir, "status"))
		return;
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long r, e;
		unsigned long long cap;
		long long v;
		if (sscanf(line, "Uid: %lu %lu", &r, &e) == 2)
			t->uid = (uint32_t)e;
		else if (sscanf(line, "Gid: %lu %lu", &r, &e) == 2)
			t->gid = (uint32_t)e;
		else if (sscanf(line, "CapPrm: %llx", &cap) == 1)
			t->cap_permitted = cap;
		else if (sscanf(line, "CapEff: %llx", &cap) == 1)
			t->cap_effective = cap;
		else if (sscanf(line, "CapInh: %llx", &cap) == 1)
			t->cap_inheritable = cap;
		else if (strncmp(line, "NStgid:", 7) == 0 && last_num(line, &v))
			t->vpid = v;
		else if (strncmp(line, "NSpid:", 6) == 0 && last_num(line, &v))
			t->vtid = v;
	}
}

static void read_comm(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[64];
	if (!join(path, sizeof(path), dir, "comm"))
		return;
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	buf[strcspn(buf, "\n")] = '\0';
	buf[sizeof(t->comm) - 1] = '\0'; /* TASK_COMM_LEN */
	memcpy(t->comm, buf, sizeof(t->comm));
}

static void read_cmdline(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[KS_MAX_ARGS + 1];
	if (!join(path, sizeof(path), dir, "cmdline"))
		return;
	ssize_t n = read_file(path, buf, sizeof(buf));
	if (n <= 0) {
		/* kernel threads have no argv; Falco shows their name as the exe */
		ks_set_str(&t->exe, t->comm);
		return;
	}
	size_t a0 = strnlen(buf, (size_t)n);
	ks_set_str(&t->exe, buf);
	if ((size_t)n > a0 + 1) {
		size_t len = (size_t)n - a0 - 1;
		/* keep the arguments NUL separated without the final NUL */
		if (buf[a0 + 1 + len - 1] == '\0')
			len--;
		ks_set_buf(&t->args, &t->args_len, buf + a0 + 1, len);
	}
}

static void read_environ(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX];
	char *buf = malloc(ENV_MAX + 1);
	if (!buf)
		return;
	if (!join(path, sizeof(path), dir, "environ"))
		return;
	ssize_t n = read_file(path, buf, ENV_MAX + 1);
	if (n > 0) {
		size_t len = (size_t)n;
		if (buf[len - 1] == '\0')
			len--;
		ks_set_buf(&t->env, &t->env_len, buf, len);
	}
	free(buf);
}

static void read_cgroup(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[8192];
	if (!join(path, sizeof(path), dir, "cgroup"))
		return;
	if (read_file(path, buf, sizeof(buf)) <= 0)
		return;
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "0::", 3) == 0) {
			ks_set_str(&t->cgroup, line + 3);
			break;
		}
	ks_container_id_from_cgroup(t->cgroup, t->container_id);
}

static void read_links(struct ks_thread *t, const char *dir)
{
	char path[PATH_MAX], buf[32];
	if (!join(path, sizeof(path), dir, "exe"))
		return;
	char *exe = read_link(path);
	if (exe) {
		free(t->exepath);
		t->exepath = exe;
	}
	char *cwd = join(path, sizeof(path), dir, "cwd") ? read_link(path) : NULL;
	if (cwd) {
		size_t n = strlen(cwd);
		char *c = realloc(cwd, n + 2);
		if (c) {
			if (n == 0 || c[n - 1] != '/')
				strcpy(c + n, "/");
			free(t->cwd);
			t->cwd = c;
		} else
			free(cwd);
	}
	if (join(path, sizeof(path), dir, "loginuid") && read_file(path, buf, sizeof(buf)) > 0)
		t->loginuid = (uint32_t)strtoul(buf, NULL, 10);
}

/* What an fd's /proc link target says about it. */
static enum ks_fd_type fd_type_of(const char *target, const char *linkpath)
{
	if (target[0] == '/') {
		if (strncmp(target, "/memfd:", 7) == 0)
			return KS_FD_MEMFD;
		struct stat sb;
		if (stat(linkpath, &sb) == 0 && S_ISDIR(sb.st_mode))
			return KS_FD_DIRECTORY;
		return KS_FD_FILE;
	}
	if (strncmp(target, "socket:", 7) == 0)
		return KS_FD_OTHER_SOCK; /* the family needs /proc/net; unknown until used */
	if (strncmp(target, "pipe:", 5) == 0)
		return KS_FD_PIPE;
	static const struct {
		const char *name;
		enum ks_fd_type type;
	} anon[] = {
	    {"anon_inode:[eventfd]", KS_FD_EVENT},
	    {"anon_inode:[eventpoll]", KS_FD_EVENTPOLL},
	    {"anon_inode:inotify", KS_FD_INOTIFY},
	    {"anon_inode:[timerfd]", KS_FD_TIMERFD},
	    {"anon_inode:[signalfd]", KS_FD_SIGNALFD},
	    {"anon_inode:bpf", KS_FD_BPF},
	    {"anon_inode:[userfaultfd]", KS_FD_USERFAULTFD},
	    {"anon_inode:[io_uring]", KS_FD_IOURING},
	};
	for (size_t i = 0; i < sizeof(anon) / sizeof(anon[0]); i++)
		if (strncmp(target, anon[i].name, strlen(anon[i].name)) == 0)
			return anon[i].type;
	return KS_FD_UNKNOWN;
}

/* fdinfo "flags:" is octal and includes O_CLOEXEC, which decides what an exec drops. */
static uint32_t fd_flags(const char *piddir, const char *num)
{
	char path[PATH_MAX], buf[512];
	int r = snprintf(path, sizeof(path), "%s/fdinfo/%s", piddir, num);
	if (r < 0 || (size_t)r >= sizeof(path) || read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	const char *f = strstr(buf, "flags:");
	return f ? (uint32_t)strtoul(f + 6, NULL, 8) : 0;
}

static void read_fds(struct ks_state *st, struct ks_fdtable *ft, const char *piddir)
{
	char path[PATH_MAX];
	if (!join(path, sizeof(path), piddir, "fd"))
		return;
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char link[PATH_MAX];
		char *target = join(link, sizeof(link), path, de->d_name) ? read_link(link) : NULL;
		if (!target)
			continue;
		struct ks_fd *fd = ks_fdt_add(ft, strtoll(de->d_name, NULL, 10));
		if (!fd) {
			free(target);
			if (ks_fdt_count(ft) >= st->max_fds)
				break;
			continue;
		}
		fd->type = fd_type_of(target, link);
		fd->open_flags = fd_flags(piddir, de->d_name);
		if (fd->type == KS_FD_OTHER_SOCK) {
			/* Falco names sockets by their tuple: ask the seed's /proc/net map */
			ks_procnet_fill(st->seed_net, fd, strtoull(target + 8, NULL, 10));
			if (!fd->name)
				fd->name = strdup("");
		}
		if (!fd->name)
			fd->name = target;
		else
			free(target);
		if (fd->type == KS_FD_FILE || fd->type == KS_FD_DIRECTORY)
			fd->nameraw = strdup(fd->name);
	}
	closedir(d);
}

struct ks_thr *ks_proc_read_thread(struct ks_state *st, int64_t pid, int64_t tid,
				   struct ks_fdtable *share)
{
	char piddir[PATH_MAX], dir[PATH_MAX];
	snprintf(piddir, sizeof(piddir), "%s/%" PRId64, st->proc_root, pid);
	int r = snprintf(dir, sizeof(dir), "%s/task/%" PRId64, piddir, tid);
	if (r < 0 || (size_t)r >= sizeof(dir))
		return NULL;
	struct stat sb;
	if (st->no_proc || stat(dir, &sb) != 0)
		return NULL;
	struct ks_thr *th = ks_thr_alloc(st, tid, pid);
	if (!th)
		return NULL;
	struct ks_thread *t = &th->t;
	read_comm(t, dir);
	parse_stat(st, t, dir);
	parse_status(t, dir);
	if (t->vtid < 0)
		t->vtid = tid;
	if (t->vpid < 0)
		t->vpid = pid;
	read_cmdline(t, piddir);
	read_links(t, piddir);
	read_environ(t, piddir);
	read_cgroup(t, dir);
	if (share)
		t->fds = ks_fdt_get(share);
	else {
		t->fds = ks_fdt_new(st);
		if (t->fds)
			read_fds(st, t->fds, piddir);
	}
	return th;
}

static bool is_number(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int ks_state_seed(struct ks_state *st)
{
	if (st->no_proc)
		return 0; /* a replay: the capture's procinfo records are the seed */
	DIR *d = opendir(st->proc_root);
	if (!d) {
		int e = errno;
		ks_log_error("state: cannot read %s to seed the thread table: %s", st->proc_root,
			     strerror(e));
		return -e;
	}
	int count = 0;
	struct dirent *de;
	st->seed_net = ks_procnet_read(st->proc_root);
	while ((de = readdir(d)) && st->nthreads < st->max_threads) {
		if (!is_number(de->d_name))
			continue;
		int64_t pid = strtoll(de->d_name, NULL, 10);
		char taskdir[PATH_MAX];
		snprintf(taskdir, sizeof(taskdir), "%s/%s/task", st->proc_root, de->d_name);
		DIR *td = opendir(taskdir);
		if (!td)
			continue;
		/* the leader first, so the other threads share the fd table it read */
		struct ks_thr *leader = ks_proc_read_thread(st, pid, pid, NULL);
		struct ks_fdtable *ft = leader ? leader->t.fds : NULL;
		if (leader) {
			ks_thr_insert(st, leader);
			ks_container_seen(st, leader->t.container_id);
			count++;
		}
		struct dirent *te;
		while ((te = readdir(td)) && st->nthreads < st->max_threads) {
			if (!is_number(te->d_name))
				continue;
			int64_t tid = strtoll(te->d_name, NULL, 10);
			if (tid == pid)
				continue;
			struct ks_thr *th = ks_proc_read_thread(st, pid, tid, ft);
			if (!th)
				continue;
			if (!ft)
				ft = th->t.fds;
			ks_thr_insert(st, th);
			count++;
		}
		closedir(td);
	}
	closedir(d);
	ks_procnet_free(st->seed_net);
	st->seed_net = NULL;
	/* parents may have been read after their children: link everyone now */
	for (struct ks_list *l = st->lru.next; l != &st->lru; l = l->next)
		ks_thr_link(st, ks_container_of(l, struct ks_thr, lru));
	return count;
}
