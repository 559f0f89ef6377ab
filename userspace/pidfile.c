/* The pid file of -P. */
#include "pidfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

int ks_pidfile_write(const char *path)
{
	char tmp[4096], text[32];
	int n = snprintf(tmp, sizeof tmp, "%s.tmp.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp) {
		ks_log_error("pidfile %s: path too long", path);
		return -ENAMETOOLONG;
	}
	int len = snprintf(text, sizeof text, "%d\n", (int)getpid());
	/* Readers (systemd PIDFile=, scripts) never see a partial file: write, then rename. */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int err = errno;
		ks_log_error("pidfile %s: %s", tmp, strerror(err));
		return -err;
	}
	int err = 0;
	if (write(fd, text, (size_t)len) != len)
		err = errno ? errno : EIO;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		ks_log_error("pidfile %s: %s", path, strerror(err));
		return -err;
	}
	return 0;
}

void ks_pidfile_remove(const char *path)
{
	char buf[32] = {0};
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	bool ours = fgets(buf, sizeof buf, f) && atoi(buf) == (int)getpid();
	fclose(f);
	if (ours && unlink(path) < 0)
		ks_log_warn("pidfile %s: %s", path, strerror(errno));
}
