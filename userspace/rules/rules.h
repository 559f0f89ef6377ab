/*
 * Falco-syntax rules: YAML loading (libyaml), macros, lists, exceptions, append/override,
 * the condition language, compilation, and evaluation indexed by event type.
 *
 * Loading is all-or-nothing: ks_ruleset_load builds a complete ruleset from every file or
 * returns an error and nothing. Errors and warnings are printed on stderr as
 *   FILE:LINE:COL: error: message
 * with 1-based line and column of the offending YAML node or condition character.
 */
#ifndef KS_RULES_H
#define KS_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

enum ks_priority {
	KS_PRI_EMERGENCY = 0,
	KS_PRI_ALERT,
	KS_PRI_CRITICAL,
	KS_PRI_ERROR,
	KS_PRI_WARNING,
	KS_PRI_NOTICE,
	KS_PRI_INFORMATIONAL,
	KS_PRI_DEBUG,
};
/* "Warning" etc. (Falco's output words). */
const char *ks_priority_name(enum ks_priority p);
/* Case-insensitive; accepts Falco's spellings (INFO, informational, WARNING, ...). -1 if none. */
int ks_priority_parse(const char *s);

struct ks_format; /* output/format.h */

struct ks_rule {
	const char *name;
	const char *desc;
	const char *source; /* "syscall" */
	enum ks_priority priority;
	const char *const *tags; /* ntags strings */
	size_t ntags;
	const struct ks_format *output;
	size_t index; /* load order, 0-based */
};

struct ks_ruleset;

struct ks_rules_opts {
	bool match_all; /* rule_matching: all (default first) */
	enum ks_priority
	    min_priority; /* rules below are not loaded (config `priority`); default DEBUG */
};

/* Load a set of files (or directories: their .yml and .yaml files, alphabetical) as one ruleset. */
int ks_ruleset_load(const char *const *paths, size_t npaths, const struct ks_rules_opts *o,
		    struct ks_ruleset **out);
void ks_ruleset_free(struct ks_ruleset *rs);

/* Enabled rules, in load order. */
size_t ks_ruleset_count(const struct ks_ruleset *rs);
const struct ks_rule *ks_ruleset_rule(const struct ks_ruleset *rs, size_t i);

/* The syscalls any enabled rule can match, as filter bits (OR-ed into filter). */
void ks_ruleset_syscalls(const struct ks_ruleset *rs, uint8_t filter[KS_FILTER_BYTES]);

/* Evaluate ev; cb is called for each match (the first in load order only, unless match_all).
 * Returns the number of matches. */
typedef void (*ks_match_cb)(void *ctx, const struct ks_rule *rule, struct ks_event *ev);
int ks_ruleset_eval(const struct ks_ruleset *rs, struct ks_event *ev, ks_match_cb cb, void *ctx);

/*
 * Where load errors and warnings go: stderr (one line each, "FILE:LINE:COL: error: msg")
 * unless a sink is set; the line passed to fn has no trailing newline. NULL restores stderr.
 * Process-wide: set it before loading, not while another thread loads.
 */
typedef void (*ks_rules_diag_fn)(void *ctx, const char *line);
void ks_rules_set_diag(ks_rules_diag_fn fn, void *ctx);

/* The Falco engine version whose rule language Kestrel implements. */
#define KS_FALCO_ENGINE_VERSION                                                                    \
	"0.57.0"		       /* what Falco 0.44 declares; the upstream rules require it */
#define KS_FALCO_ENGINE_VERSION_NUM 57 /* the old integer form of required_engine_version */

#endif
