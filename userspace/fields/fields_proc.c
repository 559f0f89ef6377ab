/* proc.* fields. Owned by the host-state work; filled in as state lands. */
#include "fields.h"

static const struct ks_field_def defs[] = {
	{"proc.placeholder_", KS_FT_STRING, KS_FF_NA_ALWAYS, "placeholder until state lands", NULL},
};

const struct ks_field_table ks_fields_proc = {defs, sizeof(defs) / sizeof(defs[0])};
