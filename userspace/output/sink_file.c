/*
 * stdout and file outputs: plain fds written by the output thread.
 * file_output.keep_alive false (Falco's default) opens the file for every batch of alerts
 * (Falco: for every alert), so a rotated file is picked up at once; keep_alive true keeps it
 * open until SIGUSR1 (ks_outputs_reopen) or a write error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "output/sink.h"

struct file_sink {
	struct ks_sink base;
	char *path;
	bool keep_alive;
	int fd;
};

static int stdout_acquire(struct ks_sink *s)
{
	(void)s;
	return STDOUT_FILENO;
}

static void stdout_stop(struct ks_sink *s, uint64_t deadline)
{
	(void)s;
	(void)deadline;
}

static void file_free(struct ks_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;
	ks_sink_release(s);
	free(f->path);
	free(f);
}

static const struct ks_sink_ops stdout_ops = {
    .acquire = stdout_acquire,
    .stop = stdout_stop,
    .free = file_free,
};

int ks_sink_stdout_new(struct ks_sink **out, size_t cap)
{
	*out = NULL;
	struct file_sink *f = calloc(1, sizeof(*f));
	if (!f) {
		ks_log_error("stdout output: no memory");
		return -ENOMEM;
	}
	f->fd = -1;
	int rc = ks_sink_init(&f->base, &stdout_ops, "stdout", cap);
	if (rc) {
		file_free(&f->base);
		return rc;
	}
	*out = &f->base;
	return 0;
}

static int file_acquire(struct ks_sink *s)
{
	struct file_sink *f = (struct file_sink *)s;
	if (f->fd >= 0)
		return f->fd;
	/* Alerts carry command lines: not world-readable. */
	f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	return f->fd >= 0 ? f->fd : -errno;
}

static void file_close(struct file_sink *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static int file_done(struct ks_sink *s, int err)
{
	struct file_sink *f = (struct file_sink *)s;
	/* After an error the file may be gone or replaced: reopen on the retry. */
	if (err || !f->keep_alive)
		file_close(f);
	return -1;
}

static void file_reopen(struct ks_sink *s)
{
	/* A write in flight keeps its own reference to the old file and finishes there; the
	 * next batch opens the path again (logrotate's create or copytruncate both work). */
	file_close((struct file_sink *)s);
}

static void file_stop(struct ks_sink *s, uint64_t deadline)
{
	(void)deadline;
	file_close((struct file_sink *)s);
}

static const struct ks_sink_ops file_ops = {
    .acquire = file_acquire,
    .done = file_done,
    .reopen = file_reopen,
    .stop = file_stop,
    .free = file_free,
};

int ks_sink_file_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out)
{
	*out = NULL;
	const char *path = ks_config_str(cfg, "file_output.filename", "./events.txt");
	if (!*path) {
		ks_log_error("file_output.enabled is true but file_output.filename is empty");
		return -EINVAL;
	}
	struct file_sink *f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		ks_log_error("file output: no memory");
		return -ENOMEM;
	}
	f->fd = -1;
	f->keep_alive = ks_config_bool(cfg, "file_output.keep_alive", false);
	int rc = ks_sink_init(&f->base, &file_ops, "file", cap);
	if (rc) {
		file_free(&f->base);
		return rc;
	}
	f->base.target = f->path;
	*out = &f->base;
	return 0;
}
