/*
 * program output: alerts on the standard input of `/bin/sh -c PROGRAM`.
 * keep_alive true: one long-lived child fed through a pipe; if it exits, the alert is
 * retried in a new one. keep_alive false (Falco's default): one child per alert, which gets
 * the alert and EOF; the next child starts once it has exited (as Falco's pclose waits),
 * so alerts stay in order. Children get their own process group (a Ctrl-C on the terminal
 * does not kill them before the last alerts are written), default signals and an empty
 * signal mask; their stdout and stderr are Kestrel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "output/sink.h"

#define CHILD_EXIT_NS (10ull * 1000000000ull) /* a one-shot child gets 10 s to exit */

extern char **environ;

struct program_sink {
	struct ks_sink base;
	char *cmd;
	bool keep_alive;
	pid_t pid; /* the child, or -1 */
	int pidfd; /* becomes readable when it exits */
	int wfd;   /* its stdin */
};

static int spawn(struct program_sink *p)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_adddup2(&fa, fds[0], STDIN_FILENO); /* dup2 clears CLOEXEC */
	sigset_t none, def;
	sigemptyset(&none);
	sigemptyset(&def);
	static const int defaults[] = {SIGPIPE, SIGINT,	 SIGTERM, SIGHUP, SIGQUIT,
				       SIGUSR1, SIGUSR2, SIGCHLD, SIGALRM};
	for (size_t i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		sigaddset(&def, defaults[i]);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &def);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					  POSIX_SPAWN_SETPGROUP);
	char *argv[] = {"/bin/sh", "-c", p->cmd, NULL};
	pid_t pid;
	int rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(fds[0]);
	if (rc) {
		close(fds[1]);
		return -rc;
	}
	p->pid = pid;
	p->wfd = fds[1];
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd < 0)
		ks_log_warn("program output: pidfd_open: %s; children are reaped synchronously",
			    strerror(errno));
	return 0;
}

/* The child has exited, or must now: collect it. */
static void reap(struct program_sink *p, bool kill_it)
{
	if (p->pid > 0) {
		int st;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == 0 && kill_it) {
			ks_log_warn("program output: '%s' (pid %d) did not exit; killed", p->cmd,
				    (int)p->pid);
			/* the whole group: what the shell started must not outlive the sensor */
			if (kill(-p->pid, SIGKILL) != 0)
				kill(p->pid, SIGKILL);
		}
		if (r == 0)
			r = waitpid(p->pid, &st, 0); /* SIGKILLed or known to have exited */
		if (r > 0 && WIFEXITED(st) && WEXITSTATUS(st) != 0)
			ks_log_debug("program output: '%s' exited with %d", p->cmd,
				     WEXITSTATUS(st));
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pid = -1;
	p->pidfd = -1;
}

static int program_acquire(struct ks_sink *s)
{
	struct program_sink *p = (struct program_sink *)s;
	if (p->wfd >= 0)
		return p->wfd;
	int rc = spawn(p);
	return rc ? rc : p->wfd;
}

static int program_done(struct ks_sink *s, int err)
{
	struct program_sink *p = (struct program_sink *)s;
	if (!err && p->keep_alive)
		return -1;
	/* EOF for a one-shot child; for a failed one (it closed its stdin), make sure it ends */
	if (p->wfd >= 0)
		close(p->wfd);
	p->wfd = -1;
	if (p->pid <= 0)
		return -1;
	if (err && kill(-p->pid, SIGTERM) != 0)
		kill(p->pid, SIGTERM);
	if (p->pidfd < 0) {
		reap(p, false);
		return -1;
	}
	return p->pidfd;
}

static void program_waited(struct ks_sink *s)
{
	reap((struct program_sink *)s, true);
}

static void program_stop(struct ks_sink *s, uint64_t deadline)
{
	struct program_sink *p = (struct program_sink *)s;
	if (p->wfd >= 0)
		close(p->wfd); /* EOF: a keep-alive child finishes its work and exits */
	p->wfd = -1;
	if (p->pid <= 0)
		return;
	uint64_t now = ks_now_ns();
	/* at least a moment, so `cat >> file` gets to write what it read */
	uint64_t left = deadline > now + 100000000ull ? deadline - now : 100000000ull;
	if (p->pidfd >= 0) {
		struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
		while (poll(&pfd, 1, (int)(left / 1000000)) < 0 && errno == EINTR)
			;
	}
	reap(p, true);
}

static void program_free(struct ks_sink *s)
{
	struct program_sink *p = (struct program_sink *)s;
	program_stop(s, 0);
	ks_sink_release(s);
	free(p->cmd);
	free(p);
}

static const struct ks_sink_ops program_ops = {
    .acquire = program_acquire,
    .done = program_done,
    .waited = program_waited,
    .stop = program_stop,
    .free = program_free,
};

int ks_sink_program_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out)
{
	*out = NULL;
	const char *cmd = ks_config_str(cfg, "program_output.program", "");
	if (!*cmd) {
		ks_log_error("program_output.enabled is true but program_output.program is empty");
		return -EINVAL;
	}
	struct program_sink *p = calloc(1, sizeof(*p));
	if (!p || !(p->cmd = strdup(cmd))) {
		free(p);
		ks_log_error("program output: no memory");
		return -ENOMEM;
	}
	p->pid = -1;
	p->pidfd = p->wfd = -1;
	p->keep_alive = ks_config_bool(cfg, "program_output.keep_alive", false);
	int rc = ks_sink_init(&p->base, &program_ops, "program", cap);
	if (rc) {
		program_free(&p->base);
		return rc;
	}
	p->base.target = p->cmd;
	p->base.wait_ns = CHILD_EXIT_NS;
	if (!p->keep_alive)
		p->base.batch_max = 1;
	*out = &p->base;
	return 0;
}
