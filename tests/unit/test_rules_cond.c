/* The condition language: precedence, nesting, every operator and transformer, lists, macros. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_rules_util.h"

/* Does cond match an openat of name (res 3, O_RDONLY, evt.num 7)? -1 if it does not load. */
static int match_open(const char *prelude, const char *cond, const char *name)
{
	struct ks_ruleset *rs;
	struct tr_event t;
	if (tr_rule(prelude, cond, &rs)) {
		print_message("load failed: %s", tr_diag);
		return -1;
	}
	int m = strcmp(tr_eval(rs, tr_openat(&t, 3, name, O_RDONLY)), "r") == 0;
	ks_ruleset_free(rs);
	return m;
}

#define YES(cond) assert_int_equal(match_open(NULL, cond, "/etc/Shadow.conf"), 1)
#define NO(cond)  assert_int_equal(match_open(NULL, cond, "/etc/Shadow.conf"), 0)
#define BAD(cond, needle)                                                                          \
	do {                                                                                       \
		struct ks_ruleset *rs_;                                                            \
		assert_true(tr_rule(NULL, cond, &rs_) < 0);                                        \
		if (!strstr(tr_diag, needle))                                                      \
			print_error("%s lacks %s\n", tr_diag, needle);                             \
		assert_non_null(strstr(tr_diag, needle));                                          \
	} while (0)

static void test_precedence(void **state)
{
	(void)state;
	/* and binds tighter than or */
	YES("evt.type = openat or evt.type = close and evt.num = 8");
	NO("(evt.type = openat or evt.type = close) and evt.num = 8");
	/* not binds tighter than and */
	NO("not evt.type = close and evt.num = 8");
	YES("not (evt.type = close and evt.num = 8)");
	YES("not not evt.type = openat");
	YES("not(evt.type = close)");
	NO("evt.type = close or evt.num = 8 or not evt.type = openat");
	YES("evt.num = 8 or evt.num = 9 or evt.num = 7 and evt.type = openat");
	YES("((((evt.num = 7))))");
	YES("evt.num=7 and(evt.type=openat)");
}

static void test_nesting_bound(void **state)
{
	(void)state;
	static char cond[8192];
	size_t n = 999;
	memset(cond, '(', n);
	strcpy(cond + n, "evt.num = 7");
	memset(cond + n + 11, ')', n);
	cond[2 * n + 11] = '\0';
	YES(cond);
	n = 1001;
	memset(cond, '(', n);
	strcpy(cond + n, "evt.num = 7");
	memset(cond + n + 11, ')', n);
	cond[2 * n + 11] = '\0';
	BAD(cond, "depth");
	char *nots = malloc(5 * 2000 + 32);
	nots[0] = '\0';
	for (int i = 0; i < 2000; i++)
		strcat(nots, "not ");
	strcat(nots, "evt.num = 7");
	BAD(nots, "depth");
	free(nots);
}

static void test_syntax_errors(void **state)
{
	(void)state;
	BAD("evt.num = 7)", "')'");
	BAD("(evt.num = 7", "')'");
	BAD("evt.num equals 7", "equals");
	BAD("evt.num =", "value");
	BAD("evt.num", "operator");
	BAD("evt.num = 7 xor evt.num = 8", "xor");
	BAD("evt.arg.name in (a, b", "')'");
	BAD("evt.arg.name = \"abc", "unterminated");
	BAD("nosuchmacro", "nosuchmacro");
	BAD("evt.nosuch = 1", "evt.nosuch");
	BAD("upper(evt.arg.name) = x", "upper");
	BAD("and evt.num = 7", "and");
}

static void test_string_operators(void **state)
{
	(void)state;
	YES("evt.arg.name = /etc/Shadow.conf");
	YES("evt.arg.name == \"/etc/Shadow.conf\"");
	NO("evt.arg.name = /etc/shadow.conf");
	YES("evt.arg.name != /etc/shadow.conf");
	NO("evt.arg.name != /etc/Shadow.conf");
	YES("evt.arg.name contains Shad");
	NO("evt.arg.name contains shad");
	YES("evt.arg.name icontains SHADOW");
	NO("evt.arg.name icontains passwd");
	YES("evt.arg.name startswith /etc/");
	NO("evt.arg.name startswith /usr/");
	YES("evt.arg.name endswith .conf");
	NO("evt.arg.name endswith .txt");
	YES("evt.arg.name glob '/etc/*.conf'");
	YES("evt.arg.name glob /etc/Sh?dow.*");
	NO("evt.arg.name glob '/etc/*.txt'");
	YES("evt.arg.name iglob '/ETC/*.CONF'");
	NO("evt.arg.name iglob '/usr/*'");
	YES("evt.arg.name regex '/etc/S[a-z]+\\.conf'");
	NO("evt.arg.name regex 'Shadow'"); /* Falco's regex matches the whole value */
	BAD("evt.arg.name regex '(unclosed'", "regex");
	YES("evt.arg.name in (/a, /etc/Shadow.conf, \"/c d\")");
	NO("evt.arg.name in (/a, /b)");
	NO("evt.arg.name in ()");
	YES("evt.arg.name intersects (/etc/Shadow.conf)");
	NO("evt.arg.name intersects (/etc)");
	YES("evt.arg.name pmatch (/usr, /etc)");
	YES("evt.arg.name pmatch (/etc/Shadow.conf)");
	NO("evt.arg.name pmatch (/et, /usr)");
	YES("evt.arg.name pmatch (/)");
	YES("evt.arg.name exists");
	YES("evt.arg.name bcontains 536861646f77"); /* "Shadow" */
	NO("evt.arg.name bcontains 736861646f77");  /* "shadow" */
	YES("evt.arg.name bstartswith 2f657463");   /* "/etc" */
	NO("evt.arg.name bstartswith 657463");
	BAD("evt.arg.name bcontains 5g", "hex");
	YES("evt.arg.name > /etc/A");
	NO("evt.arg.name < /etc/A");
	YES("evt.arg.name <= /etc/Shadow.conf");
	YES("evt.arg.name >= /etc/Shadow.conf");
	/* quoted strings keep spaces and escapes */
	assert_int_equal(match_open(NULL, "evt.arg.name = 'a b'", "a b"), 1);
	assert_int_equal(match_open(NULL, "evt.arg.name = \"a\\\"b\"", "a\"b"), 1);
	assert_int_equal(match_open(NULL, "evt.arg.name = \"a\\\"b\"", "a\\\"b"), 0);
}

static void test_in_hash_set(void **state)
{
	(void)state;
	/* long lists are hashed: same answers as the linear scan */
	YES("evt.arg.name in (a, b, c, d, e, f, g, h, i, j, /etc/Shadow.conf)");
	NO("evt.arg.name in (a, b, c, d, e, f, g, h, i, j, /etc/shadow.conf)");
}

static void test_numeric_and_bool(void **state)
{
	(void)state;
	YES("evt.num = 7");
	NO("evt.num = 8");
	YES("evt.num != 8");
	YES("evt.num < 8");
	NO("evt.num < 7");
	YES("evt.num <= 7");
	YES("evt.num > 6");
	NO("evt.num > 7");
	YES("evt.num >= 7");
	YES("evt.num in (1, 7, 9)");
	NO("evt.num in (1, 9)");
	YES("evt.num = 0x7");
	YES("evt.rawres = 3");
	YES("evt.rawres > -1");
	NO("evt.rawres < 0");
	YES("evt.arg.dirfd = -100");
	YES("evt.arg.dirfd < 0");
	BAD("evt.num = seven", "number");
	BAD("evt.num contains 7", "contains");
	BAD("evt.num = -1", "unsigned");
	YES("evt.is_open_read = true");
	NO("evt.is_open_read = false");
	YES("evt.is_open_read != false");
	YES("evt.failed = false");
	BAD("evt.is_open_read = maybe", "boolean");
	YES("evt.res = SUCCESS");
	YES("evt.dir = <");
	NO("evt.dir = >");
}

static void test_missing_values(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	/* a close event has no 'name' argument: every comparison is false, `not` is true */
	const char *conds[] = {"evt.arg.name = x", "evt.arg.name != x", "evt.arg.name exists",
			       "evt.arg.name in (x)", "evt.arg.name startswith /"};
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(tr_rule(NULL, conds[i], &rs), 0);
		assert_string_equal(tr_eval(rs, tr_close(&t, 0, 3)), "");
		ks_ruleset_free(rs);
	}
	assert_int_equal(tr_rule(NULL, "not evt.arg.name exists and not evt.arg.name = x", &rs), 0);
	assert_string_equal(tr_eval(rs, tr_close(&t, 0, 3)), "r");
	ks_ruleset_free(rs);
}

static void test_lists(void **state)
{
	(void)state;
	const char *lists = "- list: etc\n  items: [/etc/Shadow.conf]\n"
			    "- list: quoted\n  items: ['\"/etc/Shadow.conf\"']\n"
			    "- list: outer\n  items: [/a, etc]\n"
			    "- list: empty\n  items: []\n";
	assert_int_equal(match_open(lists, "evt.arg.name in (etc)", "/etc/Shadow.conf"), 1);
	assert_int_equal(match_open(lists, "evt.arg.name in (quoted)", "/etc/Shadow.conf"), 1);
	assert_int_equal(match_open(lists, "evt.arg.name in (outer)", "/etc/Shadow.conf"), 1);
	assert_int_equal(match_open(lists, "evt.arg.name in (outer)", "/a"), 1);
	/* whole items only: etc_x and the text etc inside a value are not the list */
	assert_int_equal(match_open(lists, "evt.arg.name in (etc_x)", "/etc/Shadow.conf"), 0);
	assert_int_equal(match_open(lists, "evt.arg.name in (etc_x)", "etc_x"), 1);
	assert_int_equal(match_open(lists, "evt.arg.name = etc", "etc"), 1);
	assert_int_equal(match_open(lists, "evt.arg.name in (empty)", "/a"), 0);
	assert_int_equal(match_open(lists, "evt.arg.name pmatch (etc)", "/etc/Shadow.conf"), 1);
	/* lists of event types feed evt.type */
	assert_int_equal(
	    match_open("- list: opens\n  items: [open, openat]\n", "evt.type in (opens)", "/x"), 1);
}

static void test_macros(void **state)
{
	(void)state;
	/* a macro may use a macro defined after it */
	const char *m = "- macro: outer\n  condition: inner and evt.num = 7\n"
			"- macro: inner\n  condition: evt.type = openat\n"
			"- macro: never\n  condition: evt.num = 0\n";
	assert_int_equal(match_open(m, "outer", "/x"), 1);
	assert_int_equal(match_open(m, "not never and outer", "/x"), 1);
	assert_int_equal(match_open(m, "never or not outer", "/x"), 0);
	struct ks_ruleset *rs;
	assert_true(tr_rule("- macro: a\n  condition: b\n- macro: b\n  condition: a\n", "a", &rs) <
		    0);
	assert_non_null(strstr(tr_diag, "itself"));
	assert_true(tr_rule("- macro: a\n  condition: evt.num = (\n", "evt.num = 7", &rs) < 0);
}

static void test_transformers(void **state)
{
	(void)state;
	YES("tolower(evt.arg.name) = /etc/shadow.conf");
	NO("tolower(evt.arg.name) = /etc/Shadow.conf");
	YES("toupper(evt.arg.name) = /ETC/SHADOW.CONF");
	YES("basename(evt.arg.name) = Shadow.conf");
	NO("basename(evt.arg.name) = /etc/Shadow.conf");
	YES("len(evt.arg.name) = 16");
	NO("len(evt.arg.name) = 15");
	YES("len(evt.arg.name) > 10");
	YES("toupper(basename(evt.arg.name)) = SHADOW.CONF");
	YES("tolower(evt.arg.name) in (/a, /etc/shadow.conf)");
	assert_int_equal(match_open(NULL, "b64(evt.arg.name) = /etc", "L2V0Yw=="), 1);
	assert_int_equal(match_open(NULL, "b64(evt.arg.name) = /etc", "L2V0Yg=="), 0);
	BAD("tolower(evt.num) = 7", "tolower");
	BAD("len(evt.arg.name) = abc", "number");
}

static void test_field_rhs(void **state)
{
	(void)state;
	YES("evt.arg.name = val(evt.arg.name)");
	NO("evt.arg.name != val(evt.arg.name)");
	NO("evt.rawres = val(evt.arg.dirfd)");
	YES("evt.rawres > val(evt.arg.dirfd)");
	YES("toupper(evt.arg.name) = toupper(val(evt.arg.name))");
	YES("evt.arg.name startswith val(evt.arg.name)");
	BAD("evt.arg.name regex val(evt.arg.name)", "regex");
}

static void test_field_arguments(void **state)
{
	(void)state;
	YES("evt.arg[2] = /etc/Shadow.conf");
	YES("evt.arg.name = /etc/Shadow.conf and evt.arg[name] = /etc/Shadow.conf");
	NO("evt.arg[1] = /etc/Shadow.conf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_precedence),	   cmocka_unit_test(test_nesting_bound),
	    cmocka_unit_test(test_syntax_errors),  cmocka_unit_test(test_string_operators),
	    cmocka_unit_test(test_in_hash_set),	   cmocka_unit_test(test_numeric_and_bool),
	    cmocka_unit_test(test_missing_values), cmocka_unit_test(test_lists),
	    cmocka_unit_test(test_macros),	   cmocka_unit_test(test_transformers),
	    cmocka_unit_test(test_field_rhs),	   cmocka_unit_test(test_field_arguments),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
