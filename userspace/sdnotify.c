/* sd_notify(3) protocol: a single datagram on a unix socket named by $NOTIFY_SOCKET. */
#include "sdnotify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

int ks_sd_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	if (!path || !*path)
		return 0;
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len > sizeof a.sun_path) {
		ks_log_debug("sd_notify: NOTIFY_SOCKET '%s' is not a socket path", path);
		return -EINVAL;
	}
	memcpy(a.sun_path, path, len);
	if (path[0] == '@')
		a.sun_path[0] = '\0'; /* abstract namespace: the name is not NUL-terminated */
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	if (path[0] == '/' && len < sizeof a.sun_path)
		alen++; /* a path counts its NUL */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ks_log_debug("sd_notify: socket: %s", strerror(errno));
		return -errno;
	}
	ssize_t n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&a, alen);
	int err = n < 0 ? errno : 0;
	close(fd);
	if (err) {
		ks_log_debug("sd_notify: %s: %s", path, strerror(err));
		return -err;
	}
	return 1;
}

int ks_sd_notifyf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf)
		return -EMSGSIZE;
	return ks_sd_notify(buf);
}
