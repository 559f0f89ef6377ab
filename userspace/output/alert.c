#include "alert.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "fields/fields.h"
#include "json.h"
#include "output/format.h"

#define KS_OUTPUT_MAX 8192

/* "HH:MM:SS.nnnnnnnnn" local, or ISO 8601 with the offset as Falco prints it. */
static void text_time(uint64_t ts, bool iso, char *buf, size_t len)
{
	time_t s = (time_t)(ts / 1000000000u);
	unsigned long ns = (unsigned long)(ts % 1000000000u);
	struct tm tm;
	localtime_r(&s, &tm);
	size_t n = strftime(buf, len, iso ? "%Y-%m-%dT%H:%M:%S" : "%H:%M:%S", &tm);
	if (iso) {
		char off[8];
		strftime(off, sizeof off, "%z", &tm);
		snprintf(buf + n, len - n, ".%09lu%s", ns, off);
	} else
		snprintf(buf + n, len - n, ".%09lu", ns);
}

/* JSON alert time: RFC 3339, UTC, nanoseconds, Z. */
static void json_time(uint64_t ts, char *buf, size_t len)
{
	time_t s = (time_t)(ts / 1000000000u);
	struct tm tm;
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%09luZ", (unsigned long)(ts % 1000000000u));
}

static bool is_number(enum ks_ftype t)
{
	return t == KS_FT_INT64 || t == KS_FT_UINT64 || t == KS_FT_PORT || t == KS_FT_RELTIME ||
	       t == KS_FT_ABSTIME;
}

/* One output field as a JSON value: numbers as numbers, <NA> as null, lists joined. */
static void json_field(struct ks_json *j, struct ks_event *ev, const struct ks_field_ref *ref)
{
	struct ks_value v[16];
	char tmp[4096];
	int nv = ks_field_extract(ev, ref, v, 16);
	if (nv <= 0) {
		ks_json_raw(j, "null", 4);
		return;
	}
	if (nv == 1 && (is_number(v[0].type) || v[0].type == KS_FT_BOOL)) {
		size_t n = ks_value_format(&v[0], tmp, sizeof tmp);
		ks_json_raw(j, tmp, n);
		return;
	}
	size_t o = 0;
	for (int k = 0; k < nv && o + 1 < sizeof tmp; k++) {
		if (k)
			tmp[o++] = ',';
		o += ks_value_format(&v[k], tmp + o, sizeof tmp - o);
	}
	ks_json_str(j, tmp, o);
}

/* The start of Falco's JSON alert, up to the opening brace of output_fields. */
static void json_head(struct ks_json *j, const struct ks_alert_opts *o, const char *line, size_t ln)
{
	ks_json_raw(j, "{", 1);
	ks_json_key(j, true, "hostname");
	ks_json_str(j, o->hostname ? o->hostname : "", o->hostname ? strlen(o->hostname) : 0);
	if (o->json_include_output) {
		ks_json_key(j, false, "output");
		ks_json_str(j, line, ln);
	}
	ks_json_key(j, false, "output_fields");
	ks_json_raw(j, "{", 1);
}

/* The rest, from the closing brace of output_fields: priority, rule, source, tags, time. */
static void json_tail(struct ks_json *j, const struct ks_alert_opts *o, const char *pri,
		      const char *rule, const char *source, const char *const *tags, size_t ntags,
		      uint64_t ts)
{
	char t[64];
	ks_json_raw(j, "}", 1);
	ks_json_key(j, false, "priority");
	ks_json_str(j, pri, strlen(pri));
	ks_json_key(j, false, "rule");
	ks_json_str(j, rule, strlen(rule));
	ks_json_key(j, false, "source");
	ks_json_str(j, source, strlen(source));
	if (o->json_include_tags) {
		ks_json_key(j, false, "tags");
		ks_json_raw(j, "[", 1);
		/* sorted, as Falco prints its tag set */
		const char *prev = NULL;
		for (size_t k = 0; k < ntags; k++) {
			const char *next = NULL;
			for (size_t i = 0; i < ntags; i++)
				if ((!prev || strcmp(tags[i], prev) > 0) &&
				    (!next || strcmp(tags[i], next) < 0))
					next = tags[i];
			if (!next)
				break;
			if (prev)
				ks_json_raw(j, ",", 1);
			ks_json_str(j, next, strlen(next));
			prev = next;
		}
		ks_json_raw(j, "]", 1);
	}
	ks_json_key(j, false, "time");
	json_time(ts, t, sizeof t);
	ks_json_str(j, t, strlen(t));
	ks_json_raw(j, "}\n", 2);
}

size_t ks_alert_format(const struct ks_alert_opts *o, const struct ks_rule *r, struct ks_event *ev,
		       char *buf, size_t len)
{
	char out[KS_OUTPUT_MAX], t[64];
	const char *pri = ks_priority_name(r->priority);
	size_t on = r->output ? ks_format_render(r->output, ev, out, sizeof out) : 0;
	/* folded YAML scalars (output: >) end with a newline; Falco trims it */
	while (on && (out[on - 1] == '\n' || out[on - 1] == ' ' || out[on - 1] == '\t'))
		on--;
	out[on] = '\0';
	text_time(ev->ts, o->time_iso8601, t, sizeof t);
	if (!o->json) {
		int n = snprintf(buf, len, "%s: %s %s\n", t, pri, out);
		return n > 0 && (size_t)n < len ? (size_t)n : 0;
	}
	/* Falco's JSON output shape; "output" carries the text line. */
	char line[KS_OUTPUT_MAX + 128];
	int ln = snprintf(line, sizeof line, "%s: %s %s", t, pri, out);
	if (ln < 0 || (size_t)ln >= sizeof line)
		ln = (int)strlen(line);
	struct ks_json j;
	ks_json_init(&j, buf, len);
	json_head(&j, o, line, (size_t)ln);
	char num[32];
	ks_json_key(&j, true, "evt.time");
	snprintf(num, sizeof num, "%" PRIu64, ev->ts);
	ks_json_raw(&j, num, strlen(num));
	size_t nf = r->output ? ks_format_nfields(r->output) : 0;
	for (size_t i = 0; i < nf; i++) {
		const char *label;
		const struct ks_field_ref *ref = ks_format_field(r->output, i, &label);
		bool dup = strcmp(label, "evt.time") == 0;
		for (size_t k = 0; k < i && !dup; k++) {
			const char *prev;
			ks_format_field(r->output, k, &prev);
			dup = strcmp(prev, label) == 0;
		}
		if (dup)
			continue;
		ks_json_key(&j, false, label);
		json_field(&j, ev, ref);
	}
	json_tail(&j, o, pri, r->name, r->source ? r->source : "syscall", r->tags, r->ntags,
		  ev->ts);
	return j.overflow ? 0 : j.len;
}

size_t ks_alert_format_internal(const struct ks_alert_opts *o, const char *rule, enum ks_priority p,
				const char *msg, const char *const *keys, const uint64_t *vals,
				size_t n, uint64_t ts, char *buf, size_t len)
{
	char t[64], line[512];
	const char *pri = ks_priority_name(p);
	text_time(ts, o->time_iso8601, t, sizeof t);
	int ln = snprintf(line, sizeof line, "%s: %s %s", t, pri, msg);
	if (ln < 0 || (size_t)ln >= sizeof line)
		return 0;
	if (!o->json) {
		int w = snprintf(buf, len, "%s\n", line);
		return w > 0 && (size_t)w < len ? (size_t)w : 0;
	}
	struct ks_json j;
	char num[32];
	ks_json_init(&j, buf, len);
	json_head(&j, o, line, (size_t)ln);
	for (size_t i = 0; i < n; i++) {
		ks_json_key(&j, i == 0, keys[i]);
		snprintf(num, sizeof num, "%" PRIu64, vals[i]);
		ks_json_raw(&j, num, strlen(num));
	}
	json_tail(&j, o, pri, rule, "syscall", NULL, 0, ts);
	return j.overflow ? 0 : j.len;
}
