/*
 * Reading a rules file with libyaml's document API, so every node keeps its position: the
 * top-level sequence of items, required_engine_version, required_plugin_versions, and the
 * dispatch of rule/macro/list items to items.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "yaml_priv.h"

#define KS_MAX_RULES_FILE (64u << 20)

struct ks_loc ks_y_loc(const struct ks_yctx *y, const yaml_node_t *n)
{
	return (struct ks_loc){y->f, (unsigned)n->start_mark.line + 1,
			       (unsigned)n->start_mark.column + 1};
}

const char *ks_y_str(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

yaml_node_t *ks_y_get(const struct ks_yctx *y, const yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	yaml_node_t *found = NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		const char *k = ks_y_str(yaml_document_get_node(y->doc, p->key));
		if (k && strcmp(k, key) == 0)
			found = yaml_document_get_node(y->doc, p->value); /* the last one wins */
	}
	return found;
}

int ks_y_err(const struct ks_yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
	struct ks_loc loc = n ? ks_y_loc(y, n) : (struct ks_loc){y->f, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	ks_vdiag(true, &loc, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

void ks_y_warn(const struct ks_yctx *y, const yaml_node_t *n, const char *fmt, ...)
{
	struct ks_loc loc = n ? ks_y_loc(y, n) : (struct ks_loc){y->f, 0, 0};
	va_list ap;
	va_start(ap, fmt);
	ks_vdiag(false, &loc, fmt, ap);
	va_end(ap);
}

int ks_y_text(const struct ks_yctx *y, const yaml_node_t *n, const char *what, struct ks_text *t)
{
	const char *s = ks_y_str(n);
	if (!s)
		return ks_y_err(y, n, "'%s' must be a string", what);
	size_t line = n->start_mark.line, src = 0;
	if (line < y->f->nlines)
		src = y->f->line_start[line] + n->start_mark.column;
	if (src > y->f->len)
		src = y->f->len;
	if (ks_text_single(y->d->pool, t, s, n->data.scalar.length, ks_y_loc(y, n), src))
		return -ENOMEM;
	return 0;
}

int ks_y_bool(const struct ks_yctx *y, const yaml_node_t *n, const char *what, bool *out)
{
	const char *s = ks_y_str(n);
	static const char *const yes[] = {"true", "yes", "on", "y"}, *const no[] = {"false", "no",
										    "off", "n"};
	for (unsigned i = 0; s && i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return ks_y_err(y, n, "'%s' must be true or false", what);
}

int ks_y_strings(const struct ks_yctx *y, const yaml_node_t *n, const char *what,
		 struct ks_vec *out, bool *was_list)
{
	if (was_list)
		*was_list = n->type == YAML_SEQUENCE_NODE;
	if (n->type == YAML_SCALAR_NODE) {
		/* an empty plain scalar ("items:") is an empty list, as in Falco */
		if (!n->data.scalar.length && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
			return 0;
		char *c = ks_pool_strdup(y->d->pool, ks_y_str(n));
		return !c || ks_vec_push(y->d->pool, out, c) ? -ENOMEM : 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return ks_y_err(y, n, "'%s' must be a string or a list of strings", what);
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		yaml_node_t *c = yaml_document_get_node(y->doc, *i);
		if (!ks_y_str(c))
			return ks_y_err(y, c, "'%s' items must be strings", what);
		char *dup = ks_pool_strdup(y->d->pool, ks_y_str(c));
		if (!dup || ks_vec_push(y->d->pool, out, dup))
			return -ENOMEM;
	}
	return 0;
}

/* "0.57.0" or the old integer form 57 (meaning 0.57.0) against what Kestrel implements. */
static int engine_version(struct ks_yctx *y, yaml_node_t *n)
{
	const char *s = ks_y_str(n);
	unsigned long have[3] = {0}, want[3] = {0};
	if (!s || !*s)
		return ks_y_err(y, n, "required_engine_version must be a version such as 0.26.0");
	sscanf(KS_FALCO_ENGINE_VERSION, "%lu.%lu.%lu", &have[0], &have[1], &have[2]);
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	int used = 0;
	if (!*end && end != s)
		want[1] = v; /* the old integer form */
	else if (sscanf(s, "%lu.%lu.%lu%n", &want[0], &want[1], &want[2], &used) != 3 ||
		 s[used] != '\0')
		return ks_y_err(y, n, "invalid required_engine_version '%s'", s);
	for (int k = 0; k < 3; k++) {
		if (want[k] < have[k])
			return 0;
		if (want[k] > have[k])
			return ks_y_err(y, n,
					"rules require engine version %s, but Kestrel implements "
					"Falco engine version %s",
					s, KS_FALCO_ENGINE_VERSION);
	}
	return 0;
}

/* Plugins: only `container`, whose fields are built in. */
static int plugin_versions(struct ks_yctx *y, yaml_node_t *n)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return ks_y_err(y, n, "required_plugin_versions must be a list");
	for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top;
	     i++) {
		yaml_node_t *p = yaml_document_get_node(y->doc, *i);
		const char *name = ks_y_str(ks_y_get(y, p, "name"));
		if (!name)
			return ks_y_err(y, p, "required_plugin_versions entries need a 'name'");
		bool ok = strcmp(name, "container") == 0;
		yaml_node_t *alts = ks_y_get(y, p, "alternatives");
		if (alts && alts->type == YAML_SEQUENCE_NODE)
			for (yaml_node_item_t *a = alts->data.sequence.items.start;
			     a < alts->data.sequence.items.top; a++) {
				const char *an = ks_y_str(
				    ks_y_get(y, yaml_document_get_node(y->doc, *a), "name"));
				ok = ok || (an && strcmp(an, "container") == 0);
			}
		if (!ok)
			return ks_y_err(y, p,
					"rules require plugin '%s', which Kestrel does not have "
					"(only the container fields are built in)",
					name);
	}
	return 0;
}

static int load_item(struct ks_yctx *y, yaml_node_t *item)
{
	if (item->type != YAML_MAPPING_NODE)
		return ks_y_err(y, item, "each item must be a mapping (rule, macro, list, ...)");
	yaml_node_t *v;
	if (ks_y_get(y, item, "rule"))
		return ks_item_rule(y, item);
	if (ks_y_get(y, item, "macro"))
		return ks_item_macro(y, item);
	if (ks_y_get(y, item, "list"))
		return ks_item_list(y, item);
	if ((v = ks_y_get(y, item, "required_engine_version")))
		return engine_version(y, v);
	if ((v = ks_y_get(y, item, "required_plugin_versions")))
		return plugin_versions(y, v);
	const char *k =
	    item->data.mapping.pairs.start < item->data.mapping.pairs.top
		? ks_y_str(yaml_document_get_node(y->doc, item->data.mapping.pairs.start->key))
		: NULL;
	ks_y_warn(y, item, "unknown item '%s', ignored", k ? k : "?");
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	while (buf) {
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (n + 1 < cap) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		if (cap >= KS_MAX_RULES_FILE) {
			free(buf);
			buf = NULL;
			errno = EFBIG;
			break;
		}
		char *nb = realloc(buf, cap * 2);
		if (!nb) {
			free(buf);
			buf = NULL;
			break;
		}
		buf = nb;
		cap *= 2;
	}
	int e = errno;
	fclose(f);
	errno = e;
	if (buf) {
		buf[n] = '\0';
		*len = n;
	}
	return buf;
}

int ks_yaml_load_file(struct ks_defs *d, const char *path)
{
	size_t len = 0;
	char *raw = read_file(path, &len);
	if (!raw) {
		int e = errno ? errno : EIO;
		struct ks_srcfile sf = {.path = path};
		struct ks_loc loc = {&sf, 0, 0};
		ks_diag(true, &loc, "cannot read rules file: %s", strerror(e));
		return -e;
	}
	char *buf = ks_pool_strndup(d->pool, raw, len);
	free(raw);
	struct ks_srcfile *f = buf ? ks_srcfile_new(d->pool, path, buf, len) : NULL;
	if (!f)
		return -ENOMEM;
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	int rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			struct ks_loc loc = {f, (unsigned)parser.problem_mark.line + 1,
					     (unsigned)parser.problem_mark.column + 1};
			ks_diag(true, &loc, "YAML syntax error: %s%s%s",
				parser.problem ? parser.problem : "invalid YAML",
				parser.context ? " " : "", parser.context ? parser.context : "");
			rc = -EINVAL;
			break;
		}
		yaml_node_t *root = yaml_document_get_root_node(&doc);
		if (!root) { /* end of the stream */
			yaml_document_delete(&doc);
			break;
		}
		struct ks_yctx y = {d, f, &doc};
		if (root->type == YAML_SEQUENCE_NODE) {
			for (yaml_node_item_t *i = root->data.sequence.items.start;
			     i < root->data.sequence.items.top && !rc; i++)
				rc = load_item(&y, yaml_document_get_node(&doc, *i));
		} else if (!(root->type == YAML_SCALAR_NODE && !root->data.scalar.length)) {
			rc = ks_y_err(&y, root,
				      "a rules file must be a list of items (- rule: ...)");
		}
		yaml_document_delete(&doc);
		if (rc)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}
