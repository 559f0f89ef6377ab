/* Helpers shared by yaml_load.c and items.c to walk a libyaml document with positions. */
#ifndef KS_RULES_YAML_PRIV_H
#define KS_RULES_YAML_PRIV_H

#include <yaml.h>

#include "rules_priv.h"

struct ks_yctx {
	struct ks_defs *d;
	const struct ks_srcfile *f;
	yaml_document_t *doc;
};

struct ks_loc ks_y_loc(const struct ks_yctx *y, const yaml_node_t *n);
/* The scalar's text, or NULL when n is not a scalar. */
const char *ks_y_str(const yaml_node_t *n);
yaml_node_t *ks_y_get(const struct ks_yctx *y, const yaml_node_t *map, const char *key);
/* Error at n: "FILE:LINE:COL: error: ..."; returns -EINVAL. */
int ks_y_err(const struct ks_yctx *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ks_y_warn(const struct ks_yctx *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A scalar as text with its source mapping. */
int ks_y_text(const struct ks_yctx *y, const yaml_node_t *n, const char *what, struct ks_text *t);
/* YAML booleans: true/false/yes/no/on/off. */
int ks_y_bool(const struct ks_yctx *y, const yaml_node_t *n, const char *what, bool *out);
/* A scalar, or a sequence of scalars, as a vector of strings. */
int ks_y_strings(const struct ks_yctx *y, const yaml_node_t *n, const char *what,
		 struct ks_vec *out, bool *was_list);

int ks_item_rule(struct ks_yctx *y, yaml_node_t *item);
int ks_item_macro(struct ks_yctx *y, yaml_node_t *item);
int ks_item_list(struct ks_yctx *y, yaml_node_t *item);

#endif
