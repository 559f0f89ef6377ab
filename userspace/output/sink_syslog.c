/*
 * syslog output: one datagram per alert to /dev/log, as syslog(3) sends it when Falco calls
 * syslog() without openlog(): facility USER, severity from the rule priority (Falco's
 * priorities are the syslog severities), tag "kestrel[pid]". Like syslog(3), nothing is
 * kept while no syslog daemon listens: those alerts are counted as dropped for this sink.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "output/sink.h"

#define SYSLOG_MAX (64 * 1024 + 256) /* an alert is at most 64 KiB, plus the header */

struct syslog_sink {
	struct ks_sink base;
	struct sockaddr_un addr;
	int fd;
	char buf[SYSLOG_MAX];
};

static int syslog_acquire(struct ks_sink *s)
{
	struct syslog_sink *y = (struct syslog_sink *)s;
	if (y->fd >= 0)
		return y->fd;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&y->addr, sizeof y->addr) < 0) {
		int err = errno;
		close(fd);
		return -err;
	}
	y->fd = fd;
	return fd;
}

static size_t syslog_frame(struct ks_sink *s, const struct ks_msg *m, const char **out)
{
	struct syslog_sink *y = (struct syslog_sink *)s;
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%b %e %T", &tm);
	size_t len = m->len;
	while (len && (m->data[len - 1] == '\n' || m->data[len - 1] == '\r'))
		len--; /* syslog messages carry no newline */
	int sev = (int)m->prio >= LOG_EMERG && (int)m->prio <= LOG_DEBUG ? (int)m->prio : LOG_INFO;
	int n = snprintf(y->buf, sizeof y->buf, "<%d>%s kestrel[%d]: %.*s", LOG_USER | sev, stamp,
			 (int)getpid(), (int)len, m->data);
	*out = y->buf;
	return n < 0 ? 0 : (size_t)n < sizeof y->buf ? (size_t)n : sizeof y->buf - 1;
}

static void syslog_close(struct syslog_sink *y)
{
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
}

static int syslog_done(struct ks_sink *s, int err)
{
	/* the daemon restarted (ECONNREFUSED) or went away: connect again next time */
	if (err)
		syslog_close((struct syslog_sink *)s);
	return -1;
}

static void syslog_stop(struct ks_sink *s, uint64_t deadline)
{
	(void)deadline;
	syslog_close((struct syslog_sink *)s);
}

static void syslog_free(struct ks_sink *s)
{
	ks_sink_release(s);
	free(s);
}

static const struct ks_sink_ops syslog_ops = {
    .acquire = syslog_acquire,
    .frame = syslog_frame,
    .done = syslog_done,
    .stop = syslog_stop,
    .free = syslog_free,
};

int ks_sink_syslog_new(const char *path, size_t cap, struct ks_sink **out)
{
	*out = NULL;
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		ks_log_error("syslog output: socket path too long: %s", path);
		return -ENAMETOOLONG;
	}
	struct syslog_sink *y = calloc(1, sizeof(*y));
	if (!y) {
		ks_log_error("syslog output: no memory");
		return -ENOMEM;
	}
	y->fd = -1;
	y->addr.sun_family = AF_UNIX;
	strcpy(y->addr.sun_path, path);
	int rc = ks_sink_init(&y->base, &syslog_ops, "syslog", cap);
	if (rc) {
		syslog_free(&y->base);
		return rc;
	}
	y->base.target = y->addr.sun_path;
	y->base.batch_max = 1;
	y->base.max_attempts = 1;
	*out = &y->base;
	return 0;
}
