/*
 * Prometheus text exposition (format 0.0.4) into a bounded buffer, for /metrics.
 *
 *   ks_prom_counter(p, "kestrel_alerts_total", "Alerts by rule and priority.",
 *                   (const char *[]){"rule", r->name, "priority", "Warning", NULL}, n);
 *
 * The HELP and TYPE lines are written when a metric name differs from the previous one, so
 * emit all samples of one metric together. Label values are escaped. Once the buffer would
 * exceed its bound, further samples are left out and `truncated` is set (never a half line).
 * Invalid metric or label names are left out too (and logged at debug level).
 */
#ifndef KS_PROM_H
#define KS_PROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_prom {
	char *buf;
	size_t len, cap, max;
	bool truncated, failed;
	char family[128]; /* the metric whose header was written last */
};

/* The buffer grows as needed up to max bytes. */
void ks_prom_init(struct ks_prom *p, size_t max);
void ks_prom_release(struct ks_prom *p);
/* Hand the text over (malloc'd, NUL-terminated; free() it); the ks_prom is then empty. */
char *ks_prom_take(struct ks_prom *p, size_t *len);

/* labels: NULL, or "name", "value", ..., NULL. */
void ks_prom_counter(struct ks_prom *p, const char *name, const char *help,
		     const char *const *labels, uint64_t value);
void ks_prom_gauge(struct ks_prom *p, const char *name, const char *help, const char *const *labels,
		   double value);

/*
 * A Prometheus/Falco duration, as in metrics.interval: "1s", "15m", "1h30m", "500ms", "2d"
 * (units ms s m h d w y, largest first, each at most once). Returns 0 and *ms, or -EINVAL.
 */
int ks_prom_parse_duration(const char *s, uint64_t *ms);

#endif
