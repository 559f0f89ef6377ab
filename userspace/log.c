#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

enum ks_log_level ks_log_threshold = KS_LOG_INFO;

void ks_log(enum ks_log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = {"error", "warning", "info", "debug"};
	if (lvl > ks_log_threshold)
		return;
	char line[2048];
	int n = snprintf(line, sizeof line, "kestrel: %s: ", names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	/* one fputs per line so lines from several threads do not interleave */
	fprintf(stderr, "%s\n", line);
}
