/* Kestrel bench load generator.
 *
 *   loadgen --mode storm|mixed|exec [--threads N] [--duration S] [--rate OPS_PER_S]
 *           [--count N] [--exe PATH] [--mix FILE,EXEC,TCP]
 *
 * storm: each thread loops getpid / close(-1) (one op = one syscall).
 * mixed: each thread repeats a round of FILE open/read/close of small files, EXEC
 *        fork+exec+wait of --exe, TCP connect/accept/write/read/close on 127.0.0.1
 *        (default mix 50,1,10: roughly balanced in time between the three).
 * exec:  fork+exec+wait of --exe; with --count N, stops after N processes in total.
 *
 * --duration bounds every mode (default 10 s). --rate caps the total op rate (ops/s over
 * all threads, 0 = as fast as possible): the load offered is then a fraction of the max.
 * On exit it prints one line on stdout:
 *   loadgen mode=M threads=N rate=R duration_s=D ops=N syscalls=N ops_per_s=X syscalls_per_s=Y
 * syscalls counts the system calls this program made itself (not those of the children
 * after exec); syscalls_per_s is the rate the bench compares with and without the sensor.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum mode { STORM, MIXED, EXEC };

static enum mode mode = STORM;
static int nthreads = 2;
static double duration = 10.0;
static double rate; /* total ops/s, 0 = unlimited */
static long count;  /* exec: total processes, 0 = until duration */
static const char *exe = "/bin/true";
static int mix_file = 50, mix_exec = 1, mix_tcp = 10;
static char dir[64];
#define NFILES 16

static pthread_barrier_t barrier;
static uint64_t t_start, t_end;
static atomic_long tickets;
static atomic_int failed;

struct worker {
	pthread_t th;
	int id;
	uint64_t ops, syscalls, end_ns;
	int lfd;	       /* mixed: loopback listener */
	struct sockaddr_in la; /* its address */
	char buf[4096];
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* pace: called after each batch; sleeps until the schedule of the per-thread rate. */
static void pace(uint64_t ops, double per_thread_rate)
{
	if (per_thread_rate <= 0)
		return;
	uint64_t due = t_start + (uint64_t)((double)ops / per_thread_rate * 1e9);
	if (due > t_end)
		due = t_end;
	if (now_ns() < due) {
		struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
				      .tv_nsec = (long)(due % 1000000000u)};
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
	}
}

static int spawn(struct worker *w)
{
	pid_t pid = fork();
	w->syscalls++;
	if (pid < 0) {
		atomic_store(&failed, 1);
		return -1;
	}
	if (pid == 0) {
		char *argv[] = {(char *)exe, NULL}, *envp[] = {NULL};
		execve(exe, argv, envp);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		w->syscalls++;
	w->syscalls++;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		atomic_store(&failed, 1);
		return -1;
	}
	return 0;
}

static void file_op(struct worker *w, unsigned i)
{
	char path[96];
	snprintf(path, sizeof path, "%s/f%u", dir, i % NFILES);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	w->syscalls++;
	if (fd < 0)
		return;
	if (read(fd, w->buf, sizeof w->buf) < 0)
		atomic_store(&failed, 1);
	close(fd);
	w->syscalls += 2;
}

static void tcp_op(struct worker *w)
{
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	w->syscalls++;
	if (c < 0)
		return;
	/* close with RST: no TIME_WAIT, so ephemeral ports never run out */
	struct linger lg = {1, 0};
	setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
	w->syscalls++;
	if (connect(c, (struct sockaddr *)&w->la, sizeof w->la) == 0) {
		w->syscalls++;
		int s = accept4(w->lfd, NULL, NULL, SOCK_CLOEXEC);
		w->syscalls++;
		if (s >= 0) {
			if (write(c, "x", 1) != 1 || read(s, w->buf, 1) != 1)
				atomic_store(&failed, 1);
			w->syscalls += 2;
			close(c);
			c = -1;
			close(s);
			w->syscalls += 2;
		}
	} else {
		w->syscalls++;
		atomic_store(&failed, 1);
	}
	if (c >= 0) {
		close(c);
		w->syscalls++;
	}
}

static void *run(void *arg)
{
	struct worker *w = arg;
	double r = rate > 0 ? rate / nthreads : 0;
	pthread_barrier_wait(&barrier);
	uint64_t end = t_end;
	switch (mode) {
	case STORM: {
		/* check the clock (vDSO, no syscall) and the pace every batch */
		uint64_t batch = 512;
		if (r > 0 && r / 1000 < batch)
			batch = r / 1000 > 2 ? (uint64_t)(r / 1000) & ~1ull : 2;
		while (now_ns() < end) {
			for (uint64_t i = 0; i < batch; i += 2) {
				syscall(SYS_getpid);
				syscall(SYS_close, -1);
			}
			w->ops += batch;
			pace(w->ops, r);
		}
		w->syscalls = w->ops;
		break;
	}
	case MIXED: {
		unsigned fi = (unsigned)w->id * 7;
		int total = mix_file + mix_exec + mix_tcp;
		while (now_ns() < end && !atomic_load(&failed)) {
			/* interleave the three kinds through the round */
			for (int k = 0; k < total && now_ns() < end; k++) {
				int f = k * mix_file / total != (k + 1) * mix_file / total;
				int x = k * mix_exec / total != (k + 1) * mix_exec / total;
				if (f)
					file_op(w, fi++);
				else if (x)
					spawn(w);
				else
					tcp_op(w);
				w->ops++;
				pace(w->ops, r);
			}
		}
		break;
	}
	case EXEC:
		while (now_ns() < end && !atomic_load(&failed)) {
			if (count > 0 && atomic_fetch_add(&tickets, 1) >= count)
				break;
			if (spawn(w) == 0)
				w->ops++;
			pace(w->ops, r);
		}
		break;
	}
	w->end_ns = now_ns();
	return NULL;
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen --mode storm|mixed|exec [--threads N] [--duration S] "
			"[--rate OPS_PER_S] [--count N] [--exe PATH] [--mix FILE,EXEC,TCP]\n");
	exit(2);
}

static void cleanup_dir(void)
{
	if (!dir[0])
		return;
	char path[96];
	for (int i = 0; i < NFILES; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		unlink(path);
	}
	rmdir(dir);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			usage();
		if (!strcmp(a, "--mode")) {
			if (!strcmp(v, "storm"))
				mode = STORM;
			else if (!strcmp(v, "mixed"))
				mode = MIXED;
			else if (!strcmp(v, "exec"))
				mode = EXEC;
			else
				usage();
		} else if (!strcmp(a, "--threads"))
			nthreads = atoi(v);
		else if (!strcmp(a, "--duration"))
			duration = atof(v);
		else if (!strcmp(a, "--rate"))
			rate = atof(v);
		else if (!strcmp(a, "--count"))
			count = atol(v);
		else if (!strcmp(a, "--exe"))
			exe = v;
		else if (!strcmp(a, "--mix")) {
			if (sscanf(v, "%d,%d,%d", &mix_file, &mix_exec, &mix_tcp) != 3 ||
			    mix_file < 0 || mix_exec < 0 || mix_tcp < 0 ||
			    mix_file + mix_exec + mix_tcp == 0)
				usage();
		} else
			usage();
		i++;
	}
	if (nthreads < 1 || nthreads > 256 || duration <= 0 || duration > 3600 || rate < 0)
		usage();
	if (access(exe, X_OK) != 0 && (mode != STORM))
		die(exe);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);

	struct worker *ws = calloc((size_t)nthreads, sizeof *ws);
	if (!ws)
		die("calloc");
	if (mode == MIXED) {
		snprintf(dir, sizeof dir, "/tmp/kbench-load.XXXXXX");
		if (!mkdtemp(dir))
			die("mkdtemp");
		atexit(cleanup_dir);
		memset(ws[0].buf, 'k', sizeof ws[0].buf);
		for (int i = 0; i < NFILES; i++) {
			char path[96];
			snprintf(path, sizeof path, "%s/f%d", dir, i);
			int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, ws[0].buf, sizeof ws[0].buf) < 0)
				die(path);
			close(fd);
		}
		for (int i = 0; i < nthreads; i++) {
			struct worker *w = &ws[i];
			w->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			w->la = (struct sockaddr_in){.sin_family = AF_INET,
						     .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
			socklen_t len = sizeof w->la;
			if (w->lfd < 0 || bind(w->lfd, (struct sockaddr *)&w->la, sizeof w->la) ||
			    listen(w->lfd, 64) ||
			    getsockname(w->lfd, (struct sockaddr *)&w->la, &len))
				die("loopback listener");
		}
	}
	pthread_barrier_init(&barrier, NULL, (unsigned)nthreads + 1);
	for (int i = 0; i < nthreads; i++) {
		ws[i].id = i;
		if (pthread_create(&ws[i].th, NULL, run, &ws[i]))
			die("pthread_create");
	}
	t_start = now_ns();
	t_end = t_start + (uint64_t)(duration * 1e9);
	pthread_barrier_wait(&barrier);
	uint64_t ops = 0, sc = 0, last = t_start;
	for (int i = 0; i < nthreads; i++) {
		pthread_join(ws[i].th, NULL);
		ops += ws[i].ops;
		sc += ws[i].syscalls;
		if (ws[i].end_ns > last)
			last = ws[i].end_ns;
	}
	double secs = (double)(last - t_start) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	printf("loadgen mode=%s threads=%d rate=%.0f duration_s=%.3f ops=%llu syscalls=%llu "
	       "ops_per_s=%.0f syscalls_per_s=%.0f\n",
	       mode == STORM   ? "storm"
	       : mode == MIXED ? "mixed"
			       : "exec",
	       nthreads, rate, secs, (unsigned long long)ops, (unsigned long long)sc,
	       (double)ops / secs, (double)sc / secs);
	fflush(stdout);
	if (atomic_load(&failed)) {
		fprintf(stderr, "loadgen: some operations failed (fork, exec or loopback I/O)\n");
		return 1;
	}
	return 0;
}
