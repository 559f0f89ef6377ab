/*
 * Filter fields: the names rules and outputs use (proc.name, fd.name, ...), their types,
 * descriptions, and how each is extracted from an event and the host state.
 *
 * Each family lives in its own file (fields_evt.c, fields_proc.c, fields_fd.c,
 * fields_user.c, fields_container.c, ...) and exports a table; fields.c merges them.
 */
#ifndef KS_FIELDS_H
#define KS_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event.h"

enum ks_ftype {
	KS_FT_STRING,  /* s.p/s.len */
	KS_FT_INT64,   /* i */
	KS_FT_UINT64,  /* u */
	KS_FT_BOOL,    /* b */
	KS_FT_IPADDR,  /* ip */
	KS_FT_IPNET,   /* ip with prefix (operands only) */
	KS_FT_PORT,    /* u */
	KS_FT_RELTIME, /* u, ns */
	KS_FT_ABSTIME, /* u, ns since the epoch */
	KS_FT_BYTES,   /* s.p/s.len, not NUL-terminated */
};

struct ks_ip {
	uint8_t family; /* KS_AF_INET or KS_AF_INET6 */
	uint8_t prefix; /* for IPNET */
	uint8_t addr[16];
};

struct ks_value {
	enum ks_ftype type;
	union {
		int64_t i;
		uint64_t u;
		bool b;
		struct {
			const char *p; /* NUL-terminated for STRING */
			uint32_t len;
		} s;
		struct ks_ip ip;
	};
};

/* Field flags */
#define KS_FF_IDX_ALLOWED  0x1u /* takes an optional [N] argument (proc.aname[2]) */
#define KS_FF_IDX_REQUIRED 0x2u /* needs [N] */
#define KS_FF_KEY_ALLOWED  0x4u /* takes [key] or .key (evt.arg.name, evt.arg[0]) */
#define KS_FF_KEY_REQUIRED 0x8u
#define KS_FF_LIST	   0x10u /* may yield several values (any-match semantics) */
#define KS_FF_NA_ALWAYS	   0x20u /* known for compatibility, not extracted yet: always <NA> */

struct ks_field_def;

struct ks_field_ref {
	const struct ks_field_def *def;
	bool has_arg;
	int64_t argnum;	    /* [N] */
	const char *argstr; /* [key] or .key, owned by whoever parsed it */
};

/*
 * Extract a field's values into out[0..max). Returns the number of values (0 means the
 * value is not available, printed as <NA>), or more than 1 for list fields. Strings may
 * point into the event, the state, or ev->arena; they stay valid until the next event.
 */
typedef int (*ks_extract_fn)(struct ks_event *ev, const struct ks_field_ref *ref,
			     struct ks_value *out, size_t max);

struct ks_field_def {
	const char *name;
	enum ks_ftype type;
	unsigned flags;
	const char *desc;
	ks_extract_fn extract;
};

struct ks_field_table {
	const struct ks_field_def *defs;
	size_t n;
};

/* Look a field up by its base name (without an argument). */
const struct ks_field_def *ks_field_find(const char *name, size_t len);

/*
 * Parse a field reference at text: a field name, optionally followed by [arg] or, for
 * KS_FF_KEY_ALLOWED fields, .key ("evt.arg.name"). On success fills ref and *consumed and
 * returns 0; argstr is malloc'd (free with ks_field_ref_fini). Returns -ENOENT for an
 * unknown field, -EINVAL for a bad argument, with a message in err.
 */
int ks_field_parse(const char *text, size_t *consumed, struct ks_field_ref *ref, char *err,
		   size_t errlen);
void ks_field_ref_fini(struct ks_field_ref *ref);

/* Print every field, one per line: "name  type  description". */
void ks_fields_list(FILE *f);

/* Extract; returns count as the extract function does (0 when ref->def is NULL). */
int ks_field_extract(struct ks_event *ev, const struct ks_field_ref *ref, struct ks_value *out,
		     size_t max);

/* Render a value as text (Falco's output form); returns the length written. */
size_t ks_value_format(const struct ks_value *v, char *buf, size_t len);

/* Defines an extract function in a fields_<family>.c file. */
#define KS_EXTRACT(fn)                                                                             \
	static int fn(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,       \
		      size_t m)

/* The thread and descriptor an event is about; NULL when no state tracker ran on it. */
static inline struct ks_thread *ks_field_thread(const struct ks_event *ev)
{
	return ev->state ? ev->thread : NULL;
}

static inline struct ks_fd *ks_field_fd(const struct ks_event *ev)
{
	return ev->state ? ev->fd : NULL;
}

/* Helpers for extract functions. */
int ks_value_str(struct ks_value *out, const char *s);
int ks_value_i64(struct ks_value *out, int64_t v);
int ks_value_u64(struct ks_value *out, enum ks_ftype t, uint64_t v);
int ks_value_bool(struct ks_value *out, bool v);

#endif
