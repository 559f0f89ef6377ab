/* Prometheus text format writer and the duration parser used by metrics.interval. */
#include "web/prom.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void ks_prom_init(struct ks_prom *p, size_t max)
{
	memset(p, 0, sizeof(*p));
	p->max = max;
}

void ks_prom_release(struct ks_prom *p)
{
	free(p->buf);
	ks_prom_init(p, p->max);
}

char *ks_prom_take(struct ks_prom *p, size_t *len)
{
	char *b = p->buf ? p->buf : strdup("");
	*len = p->len;
	p->buf = NULL;
	ks_prom_release(p);
	return b;
}

/* Room for n more bytes (plus the NUL), growing up to max. */
static bool reserve(struct ks_prom *p, size_t n)
{
	if (p->failed)
		return false;
	size_t need = p->len + n + 1;
	if (need > p->max) {
		p->truncated = true;
		return false;
	}
	if (need <= p->cap)
		return true;
	size_t cap = p->cap ? p->cap : 4096;
	while (cap < need)
		cap *= 2;
	if (cap > p->max)
		cap = p->max;
	char *b = realloc(p->buf, cap);
	if (!b) {
		p->failed = p->truncated = true;
		return false;
	}
	p->buf = b;
	p->cap = cap;
	return true;
}

/* One whole line or nothing: format into a scratch line first. */
struct line {
	char s[4096];
	size_t n;
	bool over;
};

static void add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct line *l, const char *fmt, ...)
{
	if (l->over)
		return;
	va_list ap;
	va_start(ap, fmt);
	int k = vsnprintf(l->s + l->n, sizeof l->s - l->n, fmt, ap);
	va_end(ap);
	if (k < 0 || (size_t)k >= sizeof l->s - l->n)
		l->over = true;
	else
		l->n += (size_t)k;
}

static void add_escaped(struct line *l, const char *v, bool help)
{
	for (; *v && !l->over; v++) {
		if (*v == '\\')
			add(l, "\\\\");
		else if (*v == '\n')
			add(l, "\\n");
		else if (*v == '"' && !help)
			add(l, "\\\"");
		else
			add(l, "%c", *v);
	}
}

static bool valid_name(const char *s, bool metric)
{
	if (!s || !(isalpha((unsigned char)*s) || *s == '_' || (metric && *s == ':')))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || (metric && *s == ':')))
			return false;
	return true;
}

static void emit(struct ks_prom *p, const char *name, const char *help, const char *type,
		 const char *const *labels, const char *value)
{
	if (!valid_name(name, true)) {
		ks_log_debug("metrics: invalid metric name '%s' left out", name ? name : "");
		return;
	}
	struct line l = {.n = 0};
	bool header = strcmp(p->family, name) != 0;
	if (header) {
		add(&l, "# HELP %s ", name);
		add_escaped(&l, help ? help : "", true);
		add(&l, "\n# TYPE %s %s\n", name, type);
	}
	add(&l, "%s", name);
	for (size_t i = 0; labels && labels[i]; i += 2) {
		if (!valid_name(labels[i], false) || !labels[i + 1]) {
			ks_log_debug("metrics: %s: invalid label '%s' left out", name, labels[i]);
			return;
		}
		add(&l, "%c%s=\"", i ? ',' : '{', labels[i]);
		add_escaped(&l, labels[i + 1], false);
		add(&l, "\"");
		if (!labels[i + 2])
			add(&l, "}");
	}
	add(&l, " %s\n", value);
	if (l.over) {
		p->truncated = true;
		return;
	}
	if (!reserve(p, l.n))
		return;
	memcpy(p->buf + p->len, l.s, l.n);
	p->len += l.n;
	p->buf[p->len] = '\0';
	if (header)
		snprintf(p->family, sizeof p->family, "%s", name);
}

void ks_prom_counter(struct ks_prom *p, const char *name, const char *help,
		     const char *const *labels, uint64_t value)
{
	char v[32];
	snprintf(v, sizeof v, "%" PRIu64, value);
	emit(p, name, help, "counter", labels, v);
}

void ks_prom_gauge(struct ks_prom *p, const char *name, const char *help, const char *const *labels,
		   double value)
{
	char v[48];
	if (isnan(value))
		strcpy(v, "NaN");
	else if (isinf(value))
		strcpy(v, value > 0 ? "+Inf" : "-Inf");
	else
		snprintf(v, sizeof v, "%.17g", value);
	emit(p, name, help, "gauge", labels, v);
}

int ks_prom_parse_duration(const char *s, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
	    {"y", 365ull * 86400000},
	    {"w", 7ull * 86400000},
	    {"d", 86400000},
	    {"h", 3600000},
	    {"m", 60000},
	    {"s", 1000},
	    {"ms", 1},
	};
	const size_t nunits = sizeof units / sizeof units[0];
	uint64_t total = 0;
	size_t next = 0; /* units must come largest first, each once */
	if (!s || !*s)
		return -EINVAL;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		char *end;
		errno = 0;
		unsigned long long n = strtoull(s, &end, 10);
		if (errno)
			return -EINVAL;
		size_t len = strspn(end, "ywdhms");
		size_t u;
		for (u = next; u < nunits; u++)
			if (strlen(units[u].unit) == len && strncmp(end, units[u].unit, len) == 0)
				break;
		/* "1m" vs "1ms": strspn takes the whole unit, so only an exact match counts */
		if (u == nunits || n > UINT64_MAX / units[u].ms ||
		    total > UINT64_MAX - n * units[u].ms)
			return -EINVAL;
		total += n * units[u].ms;
		next = u + 1;
		s = end + len;
	}
	*ms = total;
	return 0;
}
