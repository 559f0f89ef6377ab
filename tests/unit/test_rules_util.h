/* Shared helpers of the rules unit tests: load YAML text, capture diagnostics, build events. */
#ifndef KS_TEST_RULES_UTIL_H
#define KS_TEST_RULES_UTIL_H

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "event.h"
#include "recbuild.h"
#include "rules/rules.h"

/* Every diagnostic line of the last load, newline separated. */
static char tr_diag[65536];
static char tr_path[256]; /* the file the last tr_load wrote */

static void tr_sink(void *ctx, const char *line)
{
	(void)ctx;
	size_t n = strlen(tr_diag);
	snprintf(tr_diag + n, sizeof tr_diag - n, "%s\n", line);
}

static __attribute__((unused)) int tr_load_opts(const char *yaml, const struct ks_rules_opts *o,
						struct ks_ruleset **rs)
{
	tr_diag[0] = '\0';
	ks_rules_set_diag(tr_sink, NULL);
	snprintf(tr_path, sizeof tr_path, "/tmp/ks_rules_test_XXXXXX.yaml");
	int fd = mkstemps(tr_path, 5);
	if (fd < 0)
		return -1;
	size_t len = strlen(yaml);
	if (write(fd, yaml, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	close(fd);
	const char *paths[] = {tr_path};
	*rs = NULL;
	int rc = ks_ruleset_load(paths, 1, o, rs);
	unlink(tr_path);
	return rc;
}

static __attribute__((unused)) int tr_load(const char *yaml, struct ks_ruleset **rs)
{
	return tr_load_opts(yaml, NULL, rs);
}

/* Does the diagnostic output contain "<file>:<where>"? where is e.g. "2:14: error: ". */
static __attribute__((unused)) int tr_has(const char *where)
{
	char want[512];
	snprintf(want, sizeof want, "%s:%s", tr_path, where);
	return strstr(tr_diag, want) != NULL;
}

/* ---- events ---- */
struct tr_event {
	struct ks_recbuf rb;
	struct ks_event ev;
	struct ks_arena arena;
	char mem[1 << 16];
};

/* An openat exit event: res, dirfd, name, flags, mode. */
static __attribute__((unused)) struct ks_event *tr_openat(struct tr_event *t, int64_t res,
							  const char *name, uint32_t flags)
{
	ks_rec_begin(&t->rb, KS_E_OPENAT, 100, 100, 1000);
	ks_rec_s64(&t->rb, res);
	ks_rec_s64(&t->rb, -100);
	ks_rec_str(&t->rb, name);
	ks_rec_u32(&t->rb, flags);
	ks_rec_u32(&t->rb, 0644);
	const void *rec = ks_rec_end(&t->rb);
	memset(&t->ev, 0, sizeof t->ev);
	if (ks_event_decode(&t->ev, rec, t->rb.len, NULL))
		return NULL;
	t->arena = (struct ks_arena){t->mem, sizeof t->mem, 0};
	t->ev.arena = &t->arena;
	t->ev.num = 7;
	return &t->ev;
}

/* A close exit event. */
static __attribute__((unused)) struct ks_event *tr_close(struct tr_event *t, int64_t res,
							 int64_t fd)
{
	ks_rec_begin(&t->rb, KS_E_CLOSE, 100, 100, 1000);
	ks_rec_s64(&t->rb, res);
	ks_rec_s64(&t->rb, fd);
	const void *rec = ks_rec_end(&t->rb);
	memset(&t->ev, 0, sizeof t->ev);
	if (ks_event_decode(&t->ev, rec, t->rb.len, NULL))
		return NULL;
	t->arena = (struct ks_arena){t->mem, sizeof t->mem, 0};
	t->ev.arena = &t->arena;
	return &t->ev;
}

/* Names of the rules that matched, comma separated. */
static char tr_matched[4096];

static void tr_cb(void *ctx, const struct ks_rule *r, struct ks_event *ev)
{
	(void)ctx, (void)ev;
	size_t n = strlen(tr_matched);
	snprintf(tr_matched + n, sizeof tr_matched - n, "%s%s", n ? "," : "", r->name);
}

static __attribute__((unused)) const char *tr_eval(struct ks_ruleset *rs, struct ks_event *ev)
{
	tr_matched[0] = '\0';
	ks_ruleset_eval(rs, ev, tr_cb, NULL);
	return tr_matched;
}

/* A one-rule file with condition cond (quoted for YAML with double quotes if needed). */
static __attribute__((unused)) int tr_rule(const char *prelude, const char *cond,
					   struct ks_ruleset **rs)
{
	static char buf[65536];
	snprintf(buf, sizeof buf,
		 "%s\n- rule: r\n  desc: d\n  condition: %s\n  output: o\n  priority: WARNING\n",
		 prelude ? prelude : "", cond);
	return tr_load(buf, rs);
}

#endif
