/*
 * rule, macro and list items, with Falco's redefinition rules: an item defined again
 * replaces the earlier one in its place, `append: true` extends it, `override:` says per
 * key whether to append or replace, and a rule item with only `enabled` toggles a rule.
 */
#include <errno.h>
#include <string.h>

#include "yaml_priv.h"

struct ks_list_def *ks_defs_list(const struct ks_defs *d, const char *name)
{
	for (size_t i = 0; i < d->lists.n; i++)
		if (strcmp(((struct ks_list_def *)d->lists.v[i])->name, name) == 0)
			return d->lists.v[i];
	return NULL;
}

struct ks_macro_def *ks_defs_macro(const struct ks_defs *d, const char *name)
{
	for (size_t i = 0; i < d->macros.n; i++)
		if (strcmp(((struct ks_macro_def *)d->macros.v[i])->name, name) == 0)
			return d->macros.v[i];
	return NULL;
}

struct ks_rule_def *ks_defs_rule(const struct ks_defs *d, const char *name)
{
	for (size_t i = 0; i < d->rules.n; i++)
		if (strcmp(((struct ks_rule_def *)d->rules.v[i])->name, name) == 0)
			return d->rules.v[i];
	return NULL;
}

/* Put def in vec: in the slot of the definition it replaces, or at the end. */
static int place(struct ks_pool *p, struct ks_vec *v, void *old, void *def)
{
	for (size_t i = 0; old && i < v->n; i++)
		if (v->v[i] == old) {
			v->v[i] = def;
			return 0;
		}
	return ks_vec_push(p, v, def);
}

static bool in_set(const char *k, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(k, *set) == 0)
			return true;
	return false;
}

static void warn_unknown_keys(struct ks_yctx *y, yaml_node_t *item, const char *kind,
			      const char *name, const char *const *known)
{
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		const char *k = ks_y_str(kn);
		if (k && !in_set(k, known))
			ks_y_warn(y, kn, "unknown key '%s' in %s '%s', ignored", k, kind, name);
	}
}

enum ov_mode { OV_NONE, OV_APPEND, OV_REPLACE };

/*
 * Validate an `override:` mapping as Falco does: every key it names must be present in the
 * item and allowed for that mode, and every other key of the item must be named in it.
 */
static int check_override(struct ks_yctx *y, yaml_node_t *item, yaml_node_t *ov, const char *kind,
			  const char *namekey, const char *const *app, const char *const *rep)
{
	if (ov->type != YAML_MAPPING_NODE)
		return ks_y_err(y, ov, "'override' must be a mapping of keys to append or replace");
	for (yaml_node_pair_t *p = ov->data.mapping.pairs.start; p < ov->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		yaml_node_t *vn = yaml_document_get_node(y->doc, p->value);
		const char *k = ks_y_str(kn), *m = ks_y_str(vn);
		if (!k || !m || (strcmp(m, "append") && strcmp(m, "replace")))
			return ks_y_err(y, vn, "override values must be 'append' or 'replace'");
		if (!in_set(k, strcmp(m, "append") == 0 ? app : rep))
			return ks_y_err(y, kn, "key '%s' of a %s cannot be overridden with '%s'", k,
					kind, m);
		if (!ks_y_get(y, item, k))
			return ks_y_err(y, kn,
					"an override is defined for '%s' but the %s has no '%s'", k,
					kind, k);
	}
	for (yaml_node_pair_t *p = item->data.mapping.pairs.start; p < item->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *kn = yaml_document_get_node(y->doc, p->key);
		const char *k = ks_y_str(kn);
		if (k && strcmp(k, namekey) && strcmp(k, "override") &&
		    (in_set(k, app) || in_set(k, rep)) && !ks_y_get(y, ov, k))
			return ks_y_err(
			    y, kn, "key '%s' must be listed in 'override' (append or replace)", k);
	}
	return 0;
}

static enum ov_mode ov_mode(struct ks_yctx *y, yaml_node_t *ov, const char *key)
{
	const char *m = ks_y_str(ks_y_get(y, ov, key));
	return !m ? OV_NONE : strcmp(m, "append") == 0 ? OV_APPEND : OV_REPLACE;
}

/* The item's name, and its append flag and override mapping. */
static int item_head(struct ks_yctx *y, yaml_node_t *item, const char *kind, const char **name,
		     bool *append, yaml_node_t **ov)
{
	yaml_node_t *n = ks_y_get(y, item, kind);
	const char *s = ks_y_str(n);
	if (!s || !*s)
		return ks_y_err(y, n ? n : item, "a %s needs a non-empty name", kind);
	if (!(*name = ks_pool_strdup(y->d->pool, s)))
		return -ENOMEM;
	*append = false;
	yaml_node_t *a = ks_y_get(y, item, "append");
	if (a && ks_y_bool(y, a, "append", append))
		return -EINVAL;
	*ov = ks_y_get(y, item, "override");
	if (*ov && *append)
		return ks_y_err(y, item, "%s '%s': 'append' and 'override' cannot be used together",
				kind, *name);
	return 0;
}

/* ---- lists ---- */

int ks_item_list(struct ks_yctx *y, yaml_node_t *item)
{
	static const char *const known[] = {"list", "items", "append", "override", NULL};
	static const char *const app[] = {"items", NULL}, *const rep[] = {"items", NULL};
	const char *name;
	bool append;
	yaml_node_t *ov, *items = ks_y_get(y, item, "items");
	int rc = item_head(y, item, "list", &name, &append, &ov);
	if (rc)
		return rc;
	warn_unknown_keys(y, item, "list", name, known);
	if (ov && (rc = check_override(y, item, ov, "list", "list", app, rep)))
		return rc;
	if (!items)
		return ks_y_err(y, item, "list '%s' has no 'items'", name);
	struct ks_list_def *prev = ks_defs_list(y->d, name);
	if (ov && !prev)
		return ks_y_err(
		    y, item, "list '%s' has 'override' but no list by that name is defined", name);
	if (append || (ov && ov_mode(y, ov, "items") == OV_APPEND)) {
		if (!prev)
			return ks_y_err(
			    y, item, "list '%s' has 'append' but no list by that name is defined",
			    name);
		return ks_y_strings(y, items, "items", &prev->items, NULL);
	}
	struct ks_list_def *l = ks_pool_alloc(y->d->pool, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->name = name;
	l->loc = ks_y_loc(y, item);
	l->index = prev ? prev->index : y->d->nlist_defs++;
	if ((rc = ks_y_strings(y, items, "items", &l->items, NULL)))
		return rc;
	return place(y->d->pool, &y->d->lists, prev, l);
}

/* ---- macros ---- */

int ks_item_macro(struct ks_yctx *y, yaml_node_t *item)
{
	static const char *const known[] = {"macro",	"condition", "append",
					    "override", "source",    NULL};
	static const char *const app[] = {"condition", NULL}, *const rep[] = {"condition", NULL};
	const char *name;
	bool append;
	yaml_node_t *ov, *cn = ks_y_get(y, item, "condition");
	int rc = item_head(y, item, "macro", &name, &append, &ov);
	if (rc)
		return rc;
	warn_unknown_keys(y, item, "macro", name, known);
	if (ov && (rc = check_override(y, item, ov, "macro", "macro", app, rep)))
		return rc;
	if (!cn)
		return ks_y_err(y, item, "macro '%s' has no 'condition'", name);
	struct ks_text t;
	if ((rc = ks_y_text(y, cn, "condition", &t)))
		return rc;
	struct ks_macro_def *prev = ks_defs_macro(y->d, name);
	if (ov && !prev)
		return ks_y_err(y, item,
				"macro '%s' has 'override' but no macro by that name is defined",
				name);
	if (append || (ov && ov_mode(y, ov, "condition") == OV_APPEND)) {
		if (!prev)
			return ks_y_err(
			    y, item, "macro '%s' has 'append' but no macro by that name is defined",
			    name);
		return ks_text_append(y->d->pool, &prev->cond, &t, " ");
	}
	struct ks_macro_def *m = ks_pool_alloc(y->d->pool, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->name = name;
	m->loc = ks_y_loc(y, item);
	m->cond = t;
	return place(y->d->pool, &y->d->macros, prev, m);
}

/* ---- exceptions ---- */

static int exc_row_value(struct ks_yctx *y, yaml_node_t *n, struct ks_exc_val **out)
{
	struct ks_exc_val *v = ks_pool_alloc(y->d->pool, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->loc = ks_y_loc(y, n);
	*out = v;
	return ks_y_strings(y, n, "values", &v->items, &v->is_list);
}

static int exc_values(struct ks_yctx *y, struct ks_exc_def *e, yaml_node_t *vals)
{
	if (vals->type != YAML_SEQUENCE_NODE)
		return ks_y_err(y, vals, "exception '%s': 'values' must be a list", e->name);
	for (yaml_node_item_t *i = vals->data.sequence.items.start;
	     i < vals->data.sequence.items.top; i++) {
		yaml_node_t *rn = yaml_document_get_node(y->doc, *i);
		struct ks_vec *row = ks_pool_alloc(y->d->pool, sizeof(*row));
		if (!row || ks_vec_push(y->d->pool, &e->rows, row))
			return -ENOMEM;
		if (e->fields_list && rn->type != YAML_SEQUENCE_NODE)
			return ks_y_err(y, rn,
					"exception '%s': each value must be a list of %zu values",
					e->name, e->fields.n);
		if (!e->fields_list) {
			/* one field: each value is a row of one */
			struct ks_exc_val *v;
			int rc = exc_row_value(y, rn, &v);
			if (rc || (rc = ks_vec_push(y->d->pool, row, v)))
				return rc;
			continue;
		}
		for (yaml_node_item_t *c = rn->data.sequence.items.start;
		     c < rn->data.sequence.items.top; c++) {
			struct ks_exc_val *v;
			int rc = exc_row_value(y, yaml_document_get_node(y->doc, *c), &v);
			if (rc || (rc = ks_vec_push(y->d->pool, row, v)))
				return rc;
		}
		if (row->n != e->fields.n)
			return ks_y_err(y, rn, "exception '%s': a row of %zu values for %zu fields",
					e->name, row->n, e->fields.n);
	}
	return 0;
}

static int exceptions(struct ks_yctx *y, yaml_node_t *n, struct ks_vec *out, const char *rule)
{
	static const char *const known[] = {"name", "fields", "comps", "values", NULL};
	if (n->type != YAML_SEQUENCE_NODE)
		return ks_y_err(y, n, "rule '%s': 'exceptions' must be a list", rule);
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		yaml_node_t *en = yaml_document_get_node(y->doc, *i);
		yaml_node_t *nn = ks_y_get(y, en, "name");
		const char *name = ks_y_str(nn);
		if (!name || !*name)
			return ks_y_err(y, en, "rule '%s': an exception needs a 'name'", rule);
		warn_unknown_keys(y, en, "exception", name, known);
		struct ks_exc_def *e = NULL;
		for (size_t k = 0; k < out->n; k++)
			if (strcmp(((struct ks_exc_def *)out->v[k])->name, name) == 0)
				e = out->v[k];
		yaml_node_t *fields = ks_y_get(y, en, "fields"), *comps = ks_y_get(y, en, "comps");
		yaml_node_t *vals = ks_y_get(y, en, "values");
		int rc;
		if (!e) {
			if (!fields)
				return ks_y_err(y, en, "exception '%s' has no 'fields'", name);
			if (!(e = ks_pool_alloc(y->d->pool, sizeof(*e))) ||
			    !(e->name = ks_pool_strdup(y->d->pool, name)) ||
			    ks_vec_push(y->d->pool, out, e))
				return -ENOMEM;
			e->loc = ks_y_loc(y, en);
			if ((rc = ks_y_text(y, nn, "name", &e->where)) ||
			    (rc = ks_y_strings(y, fields, "fields", &e->fields, &e->fields_list)))
				return rc;
			if (!e->fields.n)
				return ks_y_err(y, fields, "exception '%s' has no fields", name);
			if (comps) {
				bool clist;
				if ((rc = ks_y_strings(y, comps, "comps", &e->comps, &clist)))
					return rc;
				if (clist != e->fields_list || e->comps.n != e->fields.n)
					return ks_y_err(
					    y, comps,
					    "exception '%s': 'comps' must match 'fields' "
					    "(%zu fields)",
					    name, e->fields.n);
			}
		}
		if (vals && (rc = exc_values(y, e, vals)))
			return rc;
	}
	return 0;
}

/* ---- rules ---- */

static int rule_str(struct ks_yctx *y, yaml_node_t *item, const char *key, const char **out)
{
	yaml_node_t *n = ks_y_get(y, item, key);
	if (!n)
		return 0;
	const char *s = ks_y_str(n);
	if (!s)
		return ks_y_err(y, n, "'%s' must be a string", key);
	return (*out = ks_pool_strdup(y->d->pool, s)) ? 0 : -ENOMEM;
}

static int rule_priority(struct ks_yctx *y, yaml_node_t *n, struct ks_rule_def *r)
{
	int p = ks_priority_parse(ks_y_str(n));
	if (p < 0)
		return ks_y_err(
		    y, n,
		    "invalid priority '%s': expected one of EMERGENCY, ALERT, CRITICAL, "
		    "ERROR, WARNING, NOTICE, INFORMATIONAL (INFO), DEBUG",
		    ks_y_str(n) ? ks_y_str(n) : "");
	r->priority = p;
	r->pri_loc = ks_y_loc(y, n);
	return 0;
}

/* Apply key k of the item to r, appending or replacing. */
static int rule_key(struct ks_yctx *y, yaml_node_t *item, struct ks_rule_def *r, const char *k,
		    enum ov_mode m)
{
	yaml_node_t *n = ks_y_get(y, item, k);
	struct ks_text t;
	int rc;
	if (!n)
		return 0;
	if (!strcmp(k, "condition") || !strcmp(k, "output")) {
		struct ks_text *dst = !strcmp(k, "condition") ? &r->cond : &r->output;
		if ((rc = ks_y_text(y, n, k, &t)))
			return rc;
		if (m == OV_APPEND && dst->s)
			return ks_text_append(y->d->pool, dst, &t, " ");
		*dst = t;
	} else if (!strcmp(k, "desc")) {
		const char *s = NULL;
		if ((rc = rule_str(y, item, k, &s)))
			return rc;
		if (m == OV_APPEND && r->desc) {
			size_t a = strlen(r->desc), b = strlen(s);
			char *d = ks_pool_alloc(y->d->pool, a + b + 2);
			if (!d)
				return -ENOMEM;
			memcpy(d, r->desc, a);
			d[a] = ' ';
			memcpy(d + a + 1, s, b);
			s = d;
		}
		r->desc = s;
	} else if (!strcmp(k, "priority")) {
		return rule_priority(y, n, r);
	} else if (!strcmp(k, "tags")) {
		if (m != OV_APPEND)
			r->tags = (struct ks_vec){0};
		return ks_y_strings(y, n, "tags", &r->tags, NULL);
	} else if (!strcmp(k, "exceptions")) {
		if (m != OV_APPEND)
			r->exceptions = (struct ks_vec){0};
		return exceptions(y, n, &r->exceptions, r->name);
	} else if (!strcmp(k, "enabled")) {
		return ks_y_bool(y, n, k, &r->enabled);
	} else if (!strcmp(k, "source")) {
		return rule_str(y, item, k, &r->source);
	} else if (!strcmp(k, "skip-if-unknown-filter")) {
		return ks_y_bool(y, n, k, &r->skip_unknown);
	}
	return 0;
}

static const char *const rule_known[] = {"rule",
					 "desc",
					 "condition",
					 "output",
					 "priority",
					 "tags",
					 "enabled",
					 "source",
					 "exceptions",
					 "append",
					 "override",
					 "warn_evttypes",
					 "skip-if-unknown-filter",
					 "capture",
					 "capture_duration",
					 "required_plugin_versions",
					 "required_engine_version",
					 NULL};
static const char *const rule_app[] = {"condition", "output", "desc", "tags", "exceptions", NULL};
static const char *const rule_rep[] = {"condition",
				       "output",
				       "desc",
				       "priority",
				       "tags",
				       "exceptions",
				       "enabled",
				       "warn_evttypes",
				       "skip-if-unknown-filter",
				       "capture",
				       "capture_duration",
				       NULL};

static int rule_define(struct ks_yctx *y, yaml_node_t *item, const char *name,
		       struct ks_rule_def *prev)
{
	static const char *const need[] = {"condition", "output", "desc", "priority"};
	for (unsigned i = 0; i < 4; i++)
		if (!ks_y_get(y, item, need[i]))
			return ks_y_err(y, item, "rule '%s' has no '%s'", name, need[i]);
	struct ks_rule_def *r = ks_pool_alloc(y->d->pool, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->name = name;
	r->loc = ks_y_loc(y, item);
	r->enabled = true;
	r->source = "syscall";
	for (const char *const *k = rule_rep; *k; k++) {
		int rc = rule_key(y, item, r, *k, OV_REPLACE);
		if (rc)
			return rc;
	}
	int rc = rule_key(y, item, r, "source", OV_REPLACE);
	return rc ? rc : place(y->d->pool, &y->d->rules, prev, r);
}

int ks_item_rule(struct ks_yctx *y, yaml_node_t *item)
{
	const char *name;
	bool append;
	yaml_node_t *ov;
	int rc = item_head(y, item, "rule", &name, &append, &ov);
	if (rc)
		return rc;
	warn_unknown_keys(y, item, "rule", name, rule_known);
	struct ks_rule_def *prev = ks_defs_rule(y->d, name);
	if (ov) {
		if ((rc = check_override(y, item, ov, "rule", "rule", rule_app, rule_rep)))
			return rc;
		if (!prev)
			return ks_y_err(
			    y, item, "rule '%s' has 'override' but no rule by that name is defined",
			    name);
		for (const char *const *k = rule_rep; *k; k++)
			if ((rc = rule_key(y, item, prev, *k, ov_mode(y, ov, *k))))
				return rc;
		return 0;
	}
	if (append) {
		if (!prev)
			return ks_y_err(
			    y, item, "rule '%s' has 'append' but no rule by that name is defined",
			    name);
		for (const char *const *k = rule_app; *k; k++)
			if ((rc = rule_key(y, item, prev, *k, OV_APPEND)))
				return rc;
		return rule_key(y, item, prev, "enabled", OV_REPLACE);
	}
	bool defines = ks_y_get(y, item, "condition") || ks_y_get(y, item, "output") ||
		       ks_y_get(y, item, "desc") || ks_y_get(y, item, "priority");
	if (!defines && ks_y_get(y, item, "enabled")) {
		/* `- rule: X\n  enabled: false` only switches an existing rule */
		if (!prev)
			return ks_y_err(
			    y, item,
			    "rule '%s' has only 'enabled' but no rule by that name is defined",
			    name);
		return rule_key(y, item, prev, "enabled", OV_REPLACE);
	}
	return rule_define(y, item, name, prev);
}
