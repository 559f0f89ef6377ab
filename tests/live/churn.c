/*
 * Workload for test_churn.sh: short-lived processes and open/close pairs, as fast as the
 * machine allows, so the engine's thread and fd tables see heavy churn.
 *
 *   churn PROCS OPENS [EXEC_EVERY [HOLD]]
 *
 * PROCS children: each opens a file and exits without closing it (its fd table dies with
 * it); every EXEC_EVERY-th one execs /bin/true instead. Children are reaped one by one.
 * Then OPENS open/close pairs of /dev/null in this process, with an O_CLOEXEC open and a
 * dup2 now and then. Finally /etc/hostname is opened once: the marker the test's rule
 * matches; with HOLD, the process then stays alive HOLD seconds, so its own fd table can
 * be measured. Exits non-zero (and says why) if a system call fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int die(const char *what)
{
	fprintf(stderr, "churn: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: churn PROCS OPENS [EXEC_EVERY [HOLD]]\n");
		return 2;
	}
	long procs = atol(argv[1]), opens = atol(argv[2]);
	long exec_every = argc > 3 ? atol(argv[3]) : 0;
	unsigned hold = argc > 4 ? (unsigned)atoi(argv[4]) : 0;
	for (long i = 0; i < procs; i++) {
		pid_t p = fork();
		if (p < 0)
			return die("fork");
		if (p == 0) {
			if (exec_every > 0 && i % exec_every == 0) {
				execl("/bin/true", "true", "churn-exec", (char *)NULL);
				_exit(127);
			}
			(void)open("/dev/null", O_RDONLY);
			_exit(0);
		}
		int st;
		if (waitpid(p, &st, 0) != p)
			return die("waitpid");
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			fprintf(stderr, "churn: child %ld failed (status %d)\n", i, st);
			return 1;
		}
	}
	for (long i = 0; i < opens; i++) {
		int fd = open("/dev/null", (i % 64) ? O_RDONLY : O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return die("open");
		if (i % 1024 == 0) {
			if (dup2(fd, 200) != 200)
				return die("dup2");
			close(200);
		}
		if (close(fd) != 0)
			return die("close");
	}
	int fd = open("/etc/hostname", O_RDONLY);
	if (fd >= 0)
		close(fd);
	while (hold)
		hold = sleep(hold);
	return 0;
}
