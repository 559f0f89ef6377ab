/*
 * ks_ruleset_load: read every file (directories: their .yml and .yaml files, alphabetically) into
 * one set of definitions, parse the macros, compile the rules, and index them by the event
 * types they can match. All or nothing: on any error nothing is returned.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "output/format.h"
#include "rules_priv.h"

size_t ks_ruleset_count(const struct ks_ruleset *rs)
{
	return rs ? rs->n : 0;
}

const struct ks_rule *ks_ruleset_rule(const struct ks_ruleset *rs, size_t i)
{
	return rs && i < rs->n ? &rs->rules[i]->pub : NULL;
}

void ks_ruleset_syscalls(const struct ks_ruleset *rs, uint8_t filter[KS_FILTER_BYTES])
{
	for (unsigned t = 1; rs && t < KS_E_MAX; t++) {
		int nr = ks_events[t].syscall_nr;
		if (rs->nby_type[t] && nr >= 0 && (unsigned)nr < KS_MAX_SYSCALLS)
			filter[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
	for (unsigned i = 0; rs && rs->nby_type[KS_E_GENERIC] && i < KS_FILTER_BYTES; i++)
		filter[i] |= rs->gen_filter[i];
}

void ks_ruleset_free(struct ks_ruleset *rs)
{
	if (!rs)
		return;
	for (unsigned t = 0; t < KS_E_MAX; t++)
		free(rs->by_type[t]);
	ks_pool_free(rs->pool);
	free(rs);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool yaml_name(const char *n)
{
	size_t l = strlen(n);
	return n[0] != '.' && ((l > 4 && strcmp(n + l - 4, ".yml") == 0) ||
			       (l > 5 && strcmp(n + l - 5, ".yaml") == 0));
}

static int load_dir(struct ks_defs *d, const char *path)
{
	DIR *dir = opendir(path);
	if (!dir) {
		int e = errno;
		struct ks_srcfile sf = {.path = path};
		struct ks_loc loc = {&sf, 0, 0};
		ks_diag(true, &loc, "cannot read rules directory: %s", strerror(e));
		return -e;
	}
	struct ks_vec names = {0};
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(dir)) && !rc) {
		if (!yaml_name(de->d_name))
			continue;
		size_t n = strlen(path) + strlen(de->d_name) + 2;
		char *full = ks_pool_alloc(d->pool, n);
		if (!full || ks_vec_push(d->pool, &names, full))
			rc = -ENOMEM;
		else
			snprintf(full, n, "%s/%s", path, de->d_name);
	}
	closedir(dir);
	if (names.n)
		qsort(names.v, names.n, sizeof(char *), cmp_str);
	for (size_t i = 0; i < names.n && !rc; i++) {
		struct stat st;
		if (stat(names.v[i], &st) == 0 && S_ISDIR(st.st_mode))
			continue;
		rc = ks_yaml_load_file(d, names.v[i]);
	}
	return rc;
}

static void free_format(void *f)
{
	ks_format_free(f);
}

static int add_rule(struct ks_ruleset *rs, struct ks_rule_def *r, struct ks_cnode *root,
		    struct ks_format *fmt)
{
	struct ks_rrule *rr = ks_pool_alloc(rs->pool, sizeof(*rr));
	const char **tags = ks_pool_alloc(rs->pool, (r->tags.n + 1) * sizeof(char *));
	if (!rr || !tags)
		return -ENOMEM;
	for (size_t i = 0; i < r->tags.n; i++)
		if (!(tags[i] = ks_pool_strdup(rs->pool, r->tags.v[i])))
			return -ENOMEM;
	rr->pub.name = ks_pool_strdup(rs->pool, r->name);
	rr->pub.desc = ks_pool_strdup(rs->pool, r->desc ? r->desc : "");
	rr->pub.source = "syscall";
	rr->pub.priority = (enum ks_priority)r->priority;
	rr->pub.tags = tags;
	rr->pub.ntags = r->tags.n;
	rr->pub.output = fmt;
	rr->pub.index = rs->n;
	rr->root = root;
	if (!rr->pub.name || !rr->pub.desc)
		return -ENOMEM;
	ks_cnode_types(root, false, &rr->types);
	struct ks_rrule **nr = realloc(rs->rules, (rs->n + 1) * sizeof(*nr));
	if (!nr)
		return -ENOMEM;
	rs->rules = nr;
	rs->rules[rs->n++] = rr;
	return 0;
}

static void free_rules_array(void *p)
{
	free(*(void **)p);
}

static int compile_rule(struct ks_defs *d, struct ks_ruleset *rs, struct ks_rule_def *r,
			const struct ks_rules_opts *o)
{
	if (r->priority > (int)o->min_priority)
		return 0; /* below the configured minimum: not loaded, as in Falco */
	struct ks_compiler c = {.defs = d, .rs = rs, .rule = r, .skip_unknown = r->skip_unknown};
	struct ks_cnode *root = NULL;
	int rc = ks_compile_rule(&c, &root);
	if (rc)
		return rc;
	if (c.skipped) {
		ks_diag(false, &r->loc,
			"rule '%s' skipped: it uses a field Kestrel does not have "
			"(skip-if-unknown-filter)",
			r->name);
		return 0;
	}
	struct ks_format *fmt = NULL;
	char err[256] = "";
	size_t off = 0;
	rc = ks_format_compile(r->output.s, &fmt, err, sizeof err, &off);
	if (rc) {
		struct ks_loc loc = ks_text_loc(&r->output, off);
		ks_diag(true, &loc, "rule '%s': invalid output: %s", r->name, err);
		return rc == -ENOMEM ? rc : -EINVAL;
	}
	if (ks_pool_defer(rs->pool, free_format, fmt)) {
		ks_format_free(fmt);
		return -ENOMEM;
	}
	return r->enabled ? add_rule(rs, r, root, fmt) : 0;
}

static int build_index(struct ks_ruleset *rs)
{
	for (unsigned t = 1; t < KS_E_MAX; t++) {
		uint32_t n = 0;
		for (size_t i = 0; i < rs->n; i++)
			n += ks_tset_has(&rs->rules[i]->types, t);
		if (!n)
			continue;
		if (!(rs->by_type[t] = malloc(n * sizeof(uint32_t))))
			return -ENOMEM;
		for (size_t i = 0; i < rs->n; i++)
			if (ks_tset_has(&rs->rules[i]->types, t))
				rs->by_type[t][rs->nby_type[t]++] = (uint32_t)i;
	}
	return 0;
}

static int load(struct ks_defs *d, struct ks_ruleset *rs, const char *const *paths, size_t np,
		const struct ks_rules_opts *o)
{
	int rc = 0;
	for (size_t i = 0; i < np && !rc; i++) {
		struct stat st;
		if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode))
			rc = load_dir(d, paths[i]);
		else
			rc = ks_yaml_load_file(d, paths[i]);
	}
	/* Falco parses every macro, used or not: a syntax error anywhere is an error */
	for (size_t i = 0; i < d->macros.n && !rc; i++) {
		struct ks_macro_def *m = d->macros.v[i];
		rc = ks_cond_parse(d->pool, &m->cond, &m->ast);
	}
	const char *warned = NULL;
	for (size_t i = 0; i < d->rules.n && !rc; i++) {
		struct ks_rule_def *r = d->rules.v[i];
		if (strcmp(r->source, "syscall") != 0) {
			/* like Falco for a source it has no plugin for: kept out, not an error */
			if (!warned || strcmp(warned, r->source) != 0)
				ks_diag(false, &r->loc,
					"rules with source '%s' are not evaluated: "
					"Kestrel only has syscall events",
					r->source);
			warned = r->source;
			continue;
		}
		rc = compile_rule(d, rs, r, o);
	}
	return rc ? rc : build_index(rs);
}

int ks_ruleset_load(const char *const *paths, size_t npaths, const struct ks_rules_opts *o,
		    struct ks_ruleset **out)
{
	static const struct ks_rules_opts defaults = {.match_all = false,
						      .min_priority = KS_PRI_DEBUG};
	if (!o)
		o = &defaults;
	struct ks_defs d = {.pool = ks_pool_new()};
	struct ks_ruleset *rs = calloc(1, sizeof(*rs));
	if (!d.pool || !rs || !(rs->pool = ks_pool_new())) {
		ks_pool_free(d.pool);
		free(rs);
		ks_diag(true, NULL, "out of memory loading rules");
		return -ENOMEM;
	}
	rs->match_all = o->match_all;
	int rc = ks_pool_defer(rs->pool, free_rules_array, &rs->rules);
	if (!rc)
		rc = load(&d, rs, paths, npaths, o);
	ks_pool_free(d.pool);
	if (rc) {
		if (rc == -ENOMEM)
			ks_diag(true, NULL, "out of memory loading rules");
		ks_ruleset_free(rs);
		return rc;
	}
	*out = rs;
	return 0;
}
