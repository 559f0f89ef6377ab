/* Rules loader: YAML items, error positions, versions, redefinition, append and override. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_rules_util.h"

#define RULE_TAIL "  desc: d\n  output: o\n  priority: WARNING\n"

static void expect_error(const char *yaml, const char *where, const char *needle)
{
	struct ks_ruleset *rs = (struct ks_ruleset *)0x1; /* must stay untouched on error */
	int rc = tr_load(yaml, &rs);
	if (rc >= 0 || !tr_has(where) || (needle && !strstr(tr_diag, needle)))
		print_error("want %s ... %s, got rc=%d:\n%s", where, needle ? needle : "", rc,
			    tr_diag);
	assert_true(rc < 0);
	assert_true(tr_has(where));
	if (needle)
		assert_non_null(strstr(tr_diag, needle));
}

static void test_error_positions(void **state)
{
	(void)state;
	expect_error("- rule: r\n  condition: proc.nmae = bash\n" RULE_TAIL,
		     "2:14: error: ", "proc.nmae");
	expect_error("- rule: r\n  condition: (proc.name = bash\n" RULE_TAIL, "2:14: error: ", ")");
	expect_error("- rule: r\n  condition: spawned_proces and proc.name = x\n" RULE_TAIL,
		     "2:14: error: ", "spawned_proces");
	expect_error("- rule: r\n  condition: proc.name equals x\n" RULE_TAIL,
		     "2:24: error: ", "equals");
	expect_error(
	    "- rule: r\n  condition: proc.name = x\n  desc: d\n  output: o\n  priority: LOUD\n",
	    "5:13: error: ", "priority");
	expect_error("- rule: r\n  desc: d\n  output: o\n  priority: WARNING\n",
		     "1:3: error: ", "condition");
	expect_error("- rule: r\n  condition: evt.num = 1\n  desc: d\n  priority: WARNING\n",
		     "1:3: error: ", "output");
	expect_error("- list: nolist\n  items: [a]\n  append: true\n", "1:3: error: ", "nolist");
	expect_error("- macro: nomacro\n  condition: x\n  append: true\n",
		     "1:3: error: ", "nomacro");
	expect_error("- rule: norule\n  condition: x\n  append: true\n", "1:3: error: ", "norule");
	expect_error("- rule: r\n  desc: d\n condition: proc.name = x\n  output: o\n",
		     "3:2: error: ", "YAML");
	expect_error("- required_engine_version: 999.0.0\n", "1:28: error: ", "version");
	expect_error("- rule: r\n  condition: proc.name = x\n  output: o %proc.nmae\n  desc: d\n"
		     "  priority: WARNING\n",
		     "3:", "proc.nmae");
	expect_error("- rule: broken\n  desc: x\n  condition: proc.name = \n  output: x\n"
		     "  priority: WARNING\n",
		     "3:25: error: ", "value");
	/* block and quoted scalars: the column points into the condition */
	expect_error(
	    "- rule: r\n  condition: >\n    evt.type = open and\n    proc.nmae = x\n" RULE_TAIL,
	    "4:5: error: ", "proc.nmae");
	expect_error("- rule: r\n  condition: \"evt.type = open and proc.nmae = x\"\n" RULE_TAIL,
		     "2:35: error: ", "proc.nmae");
	/* an error inside a macro points at the macro's text */
	expect_error("- macro: m\n  condition: evt.nope = 1\n- rule: r\n  condition: m\n" RULE_TAIL,
		     "2:14: error: ", "evt.nope");
	expect_error("- macro: m\n  condition: evt.num = = 1\n", "2:", "value");
	expect_error(
	    "- rule: r\n  condition: evt.num = 1\n  desc: d\n  output: o\n  priority: WARNING\n"
	    "  enabled: maybe\n",
	    "6:12: error: ", "enabled");
	expect_error("- foo\n", "1:3: error: ", "mapping");
	expect_error("rule: x\n", "1:1: error: ", "list");
}

static void test_missing_file(void **state)
{
	(void)state;
	const char *paths[] = {"/nonexistent/kestrel-missing.yaml"};
	struct ks_ruleset *rs = NULL;
	tr_diag[0] = '\0';
	ks_rules_set_diag(tr_sink, NULL);
	assert_true(ks_ruleset_load(paths, 1, NULL, &rs) < 0);
	assert_null(rs);
	assert_non_null(strstr(tr_diag, "/nonexistent/kestrel-missing.yaml: error: "));
}

static void test_deep_nesting(void **state)
{
	(void)state;
	size_t n = 100000;
	char *y = malloc(2 * n + 200);
	strcpy(y, "- rule: r\n  condition: ");
	size_t l = strlen(y);
	memset(y + l, '(', n);
	strcpy(y + l + n, "evt.num=1");
	l = strlen(y);
	memset(y + l, ')', n);
	strcpy(y + l + n, "\n" RULE_TAIL);
	expect_error(y, "2:", "depth");
	free(y);
}

static void test_unknown_key_warns(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	assert_int_equal(
	    tr_load("- rule: r\n  condition: evt.num = 1\n  descr: x\n" RULE_TAIL, &rs), 0);
	assert_true(tr_has("3:3: warning: "));
	assert_non_null(strstr(tr_diag, "descr"));
	ks_ruleset_free(rs);
}

static void test_engine_versions(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	const char *ok[] = {"- required_engine_version: 0.26.0\n", "- required_engine_version: 2\n",
			    "- required_engine_version: " KS_FALCO_ENGINE_VERSION "\n"};
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(tr_load(ok[i], &rs), 0);
		ks_ruleset_free(rs);
	}
	expect_error("- required_engine_version: 58\n", "1:28: error: ", "version");
	expect_error("- required_engine_version: 0.58.0\n", "1:28: error: ", "version");
	expect_error("- required_engine_version: 1.0.0\n", "1:28: error: ", "version");
	expect_error("- required_engine_version: x.y\n", "1:28: error: ", "version");
}

static void test_plugin_versions(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	assert_int_equal(
	    tr_load("- required_plugin_versions:\n  - name: container\n    version: 0.4.0\n", &rs),
	    0);
	ks_ruleset_free(rs);
	assert_int_equal(
	    tr_load("- required_plugin_versions:\n  - name: other\n    version: 1.0.0\n"
		    "    alternatives:\n      - name: container\n        version: 0.1.0\n",
		    &rs),
	    0);
	ks_ruleset_free(rs);
	expect_error("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n",
		     "2:5: error: ", "k8saudit");
}

static const char *rule_name(struct ks_ruleset *rs, size_t i)
{
	const struct ks_rule *r = ks_ruleset_rule(rs, i);
	return r ? r->name : "(none)";
}

static void test_redefine_keeps_order(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	assert_int_equal(tr_load("- rule: a\n  condition: evt.num = 1\n" RULE_TAIL
				 "- rule: b\n  condition: evt.num = 2\n" RULE_TAIL
				 "- rule: a\n  condition: evt.num = 3\n  desc: new\n  output: o\n"
				 "  priority: ERROR\n",
				 &rs),
			 0);
	assert_int_equal(ks_ruleset_count(rs), 2);
	assert_string_equal(rule_name(rs, 0), "a");
	assert_string_equal(ks_ruleset_rule(rs, 0)->desc, "new");
	assert_int_equal(ks_ruleset_rule(rs, 0)->priority, KS_PRI_ERROR);
	assert_int_equal(ks_ruleset_rule(rs, 0)->index, 0);
	assert_string_equal(rule_name(rs, 1), "b");
	assert_int_equal(ks_ruleset_rule(rs, 1)->index, 1);
	ks_ruleset_free(rs);
}

static void test_enabled_toggle(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	assert_int_equal(tr_load("- rule: a\n  condition: evt.num = 1\n" RULE_TAIL
				 "  enabled: false\n- rule: b\n  condition: evt.num = 2\n" RULE_TAIL
				 "- rule: b\n  enabled: false\n- rule: a\n  enabled: true\n",
				 &rs),
			 0);
	assert_int_equal(ks_ruleset_count(rs), 1);
	assert_string_equal(rule_name(rs, 0), "a");
	ks_ruleset_free(rs);
	expect_error("- rule: ghost\n  enabled: false\n", "1:3: error: ", "ghost");
}

static void test_append_rule_and_tags(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(
	    tr_load("- rule: a\n  condition: evt.type = openat\n  desc: d\n  output: o\n"
		    "  priority: INFO\n  tags: [x]\n"
		    "- rule: a\n  condition: and evt.num = 8\n  append: true\n",
		    &rs),
	    0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), ""); /* num is 7 */
	t.ev.num = 8;
	assert_string_equal(tr_eval(rs, &t.ev), "a");
	ks_ruleset_free(rs);

	assert_int_equal(
	    tr_load("- rule: a\n  condition: evt.type = openat\n  desc: d\n  output: o\n"
		    "  priority: INFO\n  tags: [x]\n"
		    "- rule: a\n  tags: [y]\n  condition: and evt.num = 7\n"
		    "  override:\n    tags: append\n    condition: append\n",
		    &rs),
	    0);
	const struct ks_rule *r = ks_ruleset_rule(rs, 0);
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[0], "x");
	assert_string_equal(r->tags[1], "y");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "a");
	ks_ruleset_free(rs);
}

static void test_override(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(tr_load("- rule: a\n  condition: evt.num = 1\n  desc: d\n  output: o\n"
				 "  priority: INFO\n"
				 "- rule: a\n  condition: evt.num = 7\n  priority: CRITICAL\n"
				 "  enabled: true\n  override:\n    condition: replace\n"
				 "    priority: replace\n    enabled: replace\n",
				 &rs),
			 0);
	assert_int_equal(ks_ruleset_rule(rs, 0)->priority, KS_PRI_CRITICAL);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "a");
	ks_ruleset_free(rs);
	const char *base = "- rule: a\n  condition: evt.num = 1\n  desc: d\n  output: o\n"
			   "  priority: INFO\n";
	char y[1024];
	snprintf(y, sizeof y, "%s- rule: a\n  condition: x\n  override:\n    output: replace\n",
		 base);
	expect_error(y, "9:5: error: ", "output");
	snprintf(y, sizeof y,
		 "%s- rule: a\n  condition: x\n  output: y\n  override:\n"
		 "    output: replace\n",
		 base);
	expect_error(y, "7:3: error: ", "condition");
	snprintf(y, sizeof y, "%s- rule: a\n  priority: INFO\n  override:\n    priority: append\n",
		 base);
	expect_error(y, "9:5: error: ", "priority");
	snprintf(y, sizeof y,
		 "%s- rule: a\n  condition: x\n  append: true\n  override:\n"
		 "    condition: append\n",
		 base);
	expect_error(y, "6:3: error: ", "override");
	expect_error("- rule: nope\n  condition: x\n  override:\n    condition: append\n",
		     "1:3: error: ", "nope");
}

static void test_macro_and_list_redefinition(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(
	    tr_load("- list: l\n  items: [a]\n- list: l\n  items: [/x]\n"
		    "- list: l\n  items: [/y]\n  append: true\n"
		    "- macro: m\n  condition: evt.num = 1\n- macro: m\n  condition: evt.num = 7\n"
		    "- macro: m\n  condition: and evt.type = openat\n  append: true\n"
		    "- macro: m2\n  condition: evt.num = 1\n"
		    "- macro: m2\n  condition: or evt.num = 7\n  override:\n    condition: append\n"
		    "- rule: r\n  condition: m and m2 and evt.arg.name in (l)\n" RULE_TAIL,
		    &rs),
	    0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "r");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/y", 0)), "r");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "a", 0)), ""); /* replaced, not merged */
	ks_ruleset_free(rs);
}

static void test_exceptions(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(
	    tr_load("- list: skip\n  items: [/s1, /s2]\n"
		    "- rule: r\n  condition: evt.type = openat\n" RULE_TAIL "  exceptions:\n"
		    "    - name: pair\n      fields: [evt.arg.name, evt.num]\n"
		    "      comps: [=, =]\n      values:\n        - [/a, 7]\n"
		    "    - name: single\n      fields: evt.arg.name\n      values: [/b, skip]\n"
		    "    - name: defaults\n      fields: [evt.arg.name, evt.rawres]\n"
		    "      values:\n        - [/c, 3]\n"
		    "    - name: lists\n      fields: [evt.arg.name]\n      comps: [in]\n"
		    "      values:\n        - [[/d, /e]]\n"
		    "    - name: none\n      fields: [evt.arg.name]\n",
		    &rs),
	    0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/z", 0)), "r");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/a", 0)), "");
	t.ev.num = 8; /* the pair needs both */
	assert_string_equal(tr_eval(rs, &t.ev), "r");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/b", 0)), "");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/s2", 0)), ""); /* list expanded */
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/c", 0)), "");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 4, "/c", 0)), "r");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/e", 0)), "");
	ks_ruleset_free(rs);

	/* exceptions appended later add values to an exception of the same name */
	assert_int_equal(tr_load("- rule: r\n  condition: evt.type = openat\n" RULE_TAIL
				 "  exceptions:\n    - name: e\n      fields: [evt.arg.name]\n"
				 "      values: [[/a]]\n"
				 "- rule: r\n  exceptions:\n    - name: e\n      values: [[/b]]\n"
				 "  append: true\n",
				 &rs),
			 0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/a", 0)), "");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/b", 0)), "");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/c", 0)), "r");
	ks_ruleset_free(rs);

	expect_error(
	    "- rule: r\n  condition: evt.num = 1\n" RULE_TAIL
	    "  exceptions:\n    - name: e\n      fields: [evt.nope]\n      values: [[a]]\n",
	    "7:13: error: ", "evt.nope");
	expect_error("- rule: r\n  condition: evt.num = 1\n" RULE_TAIL
		     "  exceptions:\n    - name: e\n      fields: [evt.arg.name, evt.num]\n"
		     "      values: [[a]]\n",
		     "9:16: error: ", "values");
	expect_error("- rule: r\n  condition: evt.num = 1\n" RULE_TAIL
		     "  exceptions:\n    - name: e\n      fields: [evt.arg.name, evt.num]\n"
		     "      values: [a]\n",
		     "9:16: error: ", "list of 2");
}

static void test_min_priority_and_source(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct ks_rules_opts o = {.min_priority = KS_PRI_WARNING};
	assert_int_equal(
	    tr_load_opts("- rule: low\n  condition: evt.num = 1\n  desc: d\n  output: o\n"
			 "  priority: info\n"
			 "- rule: high\n  condition: evt.num = 1\n  desc: d\n  output: o\n"
			 "  priority: Error\n"
			 "- rule: audit\n  condition: ka.verb = create\n  desc: d\n"
			 "  output: o\n  priority: ERROR\n  source: k8s_audit\n",
			 &o, &rs),
	    0);
	assert_int_equal(ks_ruleset_count(rs), 1);
	assert_string_equal(rule_name(rs, 0), "high");
	assert_non_null(strstr(tr_diag, "k8s_audit"));
	ks_ruleset_free(rs);
}

static void test_skip_if_unknown_filter(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	assert_int_equal(tr_load("- rule: a\n  condition: evt.nope = 1\n" RULE_TAIL
				 "  skip-if-unknown-filter: true\n"
				 "- rule: b\n  condition: evt.num = 1\n" RULE_TAIL,
				 &rs),
			 0);
	assert_int_equal(ks_ruleset_count(rs), 1);
	assert_string_equal(rule_name(rs, 0), "b");
	assert_true(tr_has("1:3: warning: "));
	ks_ruleset_free(rs);
}

static void test_directory_order(void **state)
{
	(void)state;
	const char *root = getenv("KS_TEST_ROOT");
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/data/rules/dir", root ? root : ".");
	const char *paths[] = {dir};
	struct ks_ruleset *rs = NULL;
	struct tr_event t;
	tr_diag[0] = '\0';
	ks_rules_set_diag(tr_sink, NULL);
	int rc = ks_ruleset_load(paths, 1, NULL, &rs);
	if (rc)
		print_error("%s", tr_diag);
	assert_int_equal(rc, 0);
	/* 20-local.yaml appends to 10-base.yaml's list: works only in alphabetical order */
	assert_int_equal(ks_ruleset_count(rs), 1);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/local", 0)), "dir rule");
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/base", 0)), "dir rule");
	ks_ruleset_free(rs);
}

static void test_upstream_rules(void **state)
{
	(void)state;
	const char *root = getenv("KS_TEST_ROOT");
	char a[512], b[512];
	snprintf(a, sizeof a, "%s/../shared/corpus/falco-rules/falco_rules.yaml",
		 root ? root : ".");
	snprintf(b, sizeof b, "%s/../shared/corpus/falco-rules/falco-incubating_rules.yaml",
		 root ? root : ".");
	struct stat st;
	if (stat(a, &st) != 0) {
		skip();
		return;
	}
	const char *paths[] = {a, b};
	struct ks_ruleset *rs = NULL;
	tr_diag[0] = '\0';
	ks_rules_set_diag(tr_sink, NULL);
	int rc = ks_ruleset_load(paths, 2, NULL, &rs);
	if (rc)
		print_error("%s", tr_diag);
	assert_int_equal(rc, 0);
	assert_true(ks_ruleset_count(rs) > 0);
	ks_ruleset_free(rs);
}

static void test_priorities(void **state)
{
	(void)state;
	assert_int_equal(ks_priority_parse("emergency"), KS_PRI_EMERGENCY);
	assert_int_equal(ks_priority_parse("ALERT"), KS_PRI_ALERT);
	assert_int_equal(ks_priority_parse("Critical"), KS_PRI_CRITICAL);
	assert_int_equal(ks_priority_parse("error"), KS_PRI_ERROR);
	assert_int_equal(ks_priority_parse("WARNING"), KS_PRI_WARNING);
	assert_int_equal(ks_priority_parse("notice"), KS_PRI_NOTICE);
	assert_int_equal(ks_priority_parse("INFO"), KS_PRI_INFORMATIONAL);
	assert_int_equal(ks_priority_parse("informational"), KS_PRI_INFORMATIONAL);
	assert_int_equal(ks_priority_parse("debug"), KS_PRI_DEBUG);
	assert_int_equal(ks_priority_parse("LOUD"), -1);
	assert_int_equal(ks_priority_parse("warn"), -1);
	assert_string_equal(ks_priority_name(KS_PRI_WARNING), "Warning");
	assert_string_equal(ks_priority_name(KS_PRI_INFORMATIONAL), "Informational");
	assert_string_equal(ks_priority_name(KS_PRI_EMERGENCY), "Emergency");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_positions),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_unknown_key_warns),
	    cmocka_unit_test(test_engine_versions),
	    cmocka_unit_test(test_plugin_versions),
	    cmocka_unit_test(test_redefine_keeps_order),
	    cmocka_unit_test(test_enabled_toggle),
	    cmocka_unit_test(test_append_rule_and_tags),
	    cmocka_unit_test(test_override),
	    cmocka_unit_test(test_macro_and_list_redefinition),
	    cmocka_unit_test(test_exceptions),
	    cmocka_unit_test(test_min_priority_and_source),
	    cmocka_unit_test(test_skip_if_unknown_filter),
	    cmocka_unit_test(test_directory_order),
	    cmocka_unit_test(test_upstream_rules),
	    cmocka_unit_test(test_priorities),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
