/* Output format strings: "text %proc.name %proc.aname[2] more", compiled once at load. */
#ifndef KS_FORMAT_H
#define KS_FORMAT_H

#include <stddef.h>

#include "event.h"
#include "fields/fields.h"

struct ks_format;

/*
 * Compile a format. On error returns a negative errno, writes a message to err and the
 * byte offset in text of the offending field to *err_off.
 */
int ks_format_compile(const char *text, struct ks_format **out, char *err, size_t errlen,
		      size_t *err_off);
void ks_format_free(struct ks_format *f);

/* Render with every %field replaced by its value (<NA> if missing). Always NUL-terminates;
 * returns the length (truncated to len-1). */
size_t ks_format_render(const struct ks_format *f, struct ks_event *ev, char *buf, size_t len);

/* The fields a format references, for JSON output_fields; label is "proc.aname[2]". */
size_t ks_format_nfields(const struct ks_format *f);
const struct ks_field_ref *ks_format_field(const struct ks_format *f, size_t i, const char **label);

#endif
