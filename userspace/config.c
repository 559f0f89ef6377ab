#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "log.h"

#define KS_CONFIG_MAX_DEPTH 16

struct entry {
	char *key;
	char **items;
	size_t n;
	bool is_list;
};

struct ks_config {
	struct entry *e;
	size_t n;
};

struct ks_config *ks_config_new(void)
{
	return calloc(1, sizeof(struct ks_config));
}

static void entry_clear(struct entry *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->items[i]);
	free(e->items);
	e->items = NULL;
	e->n = 0;
}

void ks_config_free(struct ks_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		entry_clear(&c->e[i]);
		free(c->e[i].key);
	}
	free(c->e);
	free(c);
}

static struct entry *find(const struct ks_config *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

static struct entry *get(struct ks_config *c, const char *key)
{
	struct entry *e = find(c, key);
	if (e)
		return e;
	e = realloc(c->e, (c->n + 1) * sizeof(*e));
	if (!e)
		return NULL;
	c->e = e;
	e = &c->e[c->n];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	c->n++;
	return e;
}

static int entry_add(struct entry *e, const char *v)
{
	char **items = realloc(e->items, (e->n + 1) * sizeof(char *));
	if (!items)
		return -ENOMEM;
	e->items = items;
	e->items[e->n] = strdup(v);
	if (!e->items[e->n])
		return -ENOMEM;
	e->n++;
	return 0;
}

int ks_config_set(struct ks_config *c, const char *key, const char *value)
{
	struct entry *e = get(c, key);
	if (!e)
		return -ENOMEM;
	entry_clear(e);
	e->is_list = false;
	return entry_add(e, value);
}

int ks_config_set_arg(struct ks_config *c, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		ks_log_error("-o '%s': expected key=value", arg);
		return -EINVAL;
	}
	char key[256];
	size_t kl = (size_t)(eq - arg);
	if (kl >= sizeof key) {
		ks_log_error("-o '%s': key too long", arg);
		return -EINVAL;
	}
	memcpy(key, arg, kl);
	key[kl] = '\0';
	if (kl > 2 && strcmp(key + kl - 2, "[]") == 0) {
		key[kl - 2] = '\0';
		struct entry *e = get(c, key);
		if (!e)
			return -ENOMEM;
		e->is_list = true;
		return entry_add(e, eq + 1);
	}
	return ks_config_set(c, key, eq + 1);
}

static void yaml_err(const char *path, const yaml_mark_t *m, const char *what)
{
	fprintf(stderr, "%s:%zu:%zu: error: %s\n", path, m->line + 1, m->column + 1, what);
}

/* Flatten a node under prefix. Mappings extend the key; sequences of scalars become lists;
 * sequences of mappings (e.g. plugins) are kept as lists of their first scalar. */
static int flatten(struct ks_config *c, yaml_document_t *doc, yaml_node_t *node, const char *prefix,
		   const char *path, int depth)
{
	if (depth > KS_CONFIG_MAX_DEPTH) {
		yaml_err(path, &node->start_mark, "configuration nested too deeply");
		return -EINVAL;
	}
	switch (node->type) {
	case YAML_SCALAR_NODE:
		if (!*prefix) {
			yaml_err(path, &node->start_mark,
				 "expected a mapping of configuration keys");
			return -EINVAL;
		}
		return ks_config_set(c, prefix, (const char *)node->data.scalar.value);
	case YAML_MAPPING_NODE:
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			yaml_node_t *v = yaml_document_get_node(doc, p->value);
			if (!k || k->type != YAML_SCALAR_NODE) {
				yaml_err(path, k ? &k->start_mark : &node->start_mark,
					 "expected a scalar configuration key");
				return -EINVAL;
			}
			char key[512];
			int n = snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "",
					 (const char *)k->data.scalar.value);
			if (n < 0 || (size_t)n >= sizeof key) {
				yaml_err(path, &k->start_mark, "configuration key too long");
				return -EINVAL;
			}
			int rc = flatten(c, doc, v, key, path, depth + 1);
			if (rc)
				return rc;
		}
		return 0;
	case YAML_SEQUENCE_NODE: {
		struct entry *e = get(c, prefix);
		if (!e)
			return -ENOMEM;
		entry_clear(e);
		e->is_list = true;
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			yaml_node_t *v = yaml_document_get_node(doc, *it);
			if (v && v->type == YAML_SCALAR_NODE) {
				int rc = entry_add(e, (const char *)v->data.scalar.value);
				if (rc)
					return rc;
			} else if (v && v->type == YAML_MAPPING_NODE) {
				/* list of objects: flatten as key.N.sub */
				char key[512];
				snprintf(key, sizeof key, "%s.%zu", prefix,
					 (size_t)(it - node->data.sequence.items.start));
				int rc = flatten(c, doc, v, key, path, depth + 1);
				if (rc)
					return rc;
				e = find(c, prefix);
			}
		}
		return 0;
	}
	default:
		return 0;
	}
}

int ks_config_load(struct ks_config *c, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		ks_log_error("cannot open configuration file %s: %s", path, strerror(errno));
		return -errno;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		fprintf(stderr, "%s:%zu:%zu: error: %s%s%s\n", path, parser.problem_mark.line + 1,
			parser.problem_mark.column + 1,
			parser.problem ? parser.problem : "YAML error", parser.context ? " " : "",
			parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		return -EINVAL;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root) /* an empty file means the built-in defaults */
		rc = flatten(c, &doc, root, "", path, 0);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

const char *ks_config_str(const struct ks_config *c, const char *key, const char *def)
{
	const struct entry *e = find(c, key);
	return e && e->n ? e->items[0] : def;
}

bool ks_config_has(const struct ks_config *c, const char *key)
{
	return find(c, key) != NULL;
}

bool ks_config_bool(const struct ks_config *c, const char *key, bool def)
{
	const char *v = ks_config_str(c, key, NULL);
	if (!v)
		return def;
	if (!strcasecmp(v, "true") || !strcasecmp(v, "yes") || !strcasecmp(v, "on") ||
	    !strcmp(v, "1"))
		return true;
	if (!strcasecmp(v, "false") || !strcasecmp(v, "no") || !strcasecmp(v, "off") ||
	    !strcmp(v, "0"))
		return false;
	ks_log_warn("configuration key %s: '%s' is not a boolean, using %s", key, v,
		    def ? "true" : "false");
	return def;
}

int64_t ks_config_int(const struct ks_config *c, const char *key, int64_t def, bool *ok)
{
	const char *v = ks_config_str(c, key, NULL);
	if (ok)
		*ok = true;
	if (!v)
		return def;
	char *end;
	errno = 0;
	long long n = strtoll(v, &end, 0);
	int64_t mul = 1;
	if (*end == 'k' || *end == 'K')
		mul = 1024, end++;
	else if (*end == 'm' || *end == 'M')
		mul = 1024 * 1024, end++;
	else if (*end == 'g' || *end == 'G')
		mul = 1024 * 1024 * 1024, end++;
	if (errno || end == v || *end) {
		if (ok)
			*ok = false;
		return def;
	}
	return (int64_t)n * mul;
}

size_t ks_config_list(const struct ks_config *c, const char *key, const char *const **items)
{
	const struct entry *e = find(c, key);
	if (!e) {
		*items = NULL;
		return 0;
	}
	*items = (const char *const *)e->items;
	return e->n;
}
