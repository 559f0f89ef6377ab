/* Alerts as Falco prints them: the text line, or Falco's JSON alert object. */
#ifndef KS_ALERT_H
#define KS_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "rules/rules.h"

struct ks_alert_opts {
	bool json;		  /* json_output */
	bool json_include_output; /* json_include_output_property (default true) */
	bool json_include_tags;	  /* json_include_tags_property (default true) */
	bool time_iso8601;	  /* time_format_iso_8601 for the text line */
	const char *hostname;
};

/*
 * Write one alert line, newline-terminated, into buf. Returns its length, or 0 if it did
 * not fit (the caller counts that as a dropped alert).
 */
size_t ks_alert_format(const struct ks_alert_opts *o, const struct ks_rule *r, struct ks_event *ev,
		       char *buf, size_t len);

/*
 * An alert raised by Kestrel itself (no rule condition): Falco's internal alerts, such as
 * "syscall event drop". output_fields are the given numeric keys.
 */
size_t ks_alert_format_internal(const struct ks_alert_opts *o, const char *rule, enum ks_priority p,
				const char *msg, const char *const *keys, const uint64_t *vals,
				size_t n, uint64_t ts, char *buf, size_t len);

#endif
