/* Evaluation: first vs all matching, event-type indexing, the syscall filter, typed operands. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "fields/fields.h"
#include "output/format.h"
#include "rules/rules_priv.h"
#include "test_rules_util.h"

#define TAIL "  desc: d\n  output: o\n  priority: WARNING\n"

static const char *three = "- rule: one\n  condition: evt.type = openat\n" TAIL
			   "- rule: two\n  condition: evt.num = 7\n" TAIL
			   "- rule: three\n  condition: evt.type = close\n" TAIL;

static void test_first_match(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(tr_load(three, &rs), 0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "one");
	assert_int_equal(ks_ruleset_eval(rs, &t.ev, NULL, NULL), 1);
	ks_ruleset_free(rs);
}

static void test_all_match(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	struct ks_rules_opts o = {.match_all = true, .min_priority = KS_PRI_DEBUG};
	assert_int_equal(tr_load_opts(three, &o, &rs), 0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "one,two");
	assert_int_equal(ks_ruleset_eval(rs, &t.ev, NULL, NULL), 2);
	assert_string_equal(tr_eval(rs, tr_close(&t, 0, 3)), "three");
	ks_ruleset_free(rs);
}

static bool bit(const uint8_t *f, int nr)
{
	return f[nr / 8] >> (nr % 8) & 1;
}

static int nbits(const uint8_t *f)
{
	int n = 0;
	for (int i = 0; i < (int)KS_MAX_SYSCALLS; i++)
		n += bit(f, i);
	return n;
}

static int table_syscalls(void)
{
	int n = 0;
	for (unsigned t = 1; t < KS_E_MAX; t++)
		n += ks_events[t].syscall_nr >= 0;
	return n;
}

static void filter_of(const char *cond, uint8_t f[KS_FILTER_BYTES])
{
	struct ks_ruleset *rs;
	memset(f, 0, KS_FILTER_BYTES);
	assert_int_equal(tr_rule(NULL, cond, &rs), 0);
	ks_ruleset_syscalls(rs, f);
	ks_ruleset_free(rs);
}

static void test_syscall_filter(void **state)
{
	(void)state;
	uint8_t f[KS_FILTER_BYTES];
	filter_of("evt.type in (open, openat) and evt.num > 1", f);
	assert_true(bit(f, 2) && bit(f, 257));
	assert_int_equal(nbits(f), 2);
	filter_of("evt.type = close or evt.type = openat", f);
	assert_true(bit(f, 3) && bit(f, 257));
	assert_int_equal(nbits(f), 2);
	filter_of("evt.type in (open, openat) and evt.type = openat", f);
	assert_int_equal(nbits(f), 1);
	assert_true(bit(f, 257));
	/* no restriction, or a negated one: every syscall of the table */
	filter_of("evt.num > 1", f);
	assert_int_equal(nbits(f), table_syscalls());
	filter_of("evt.type != close", f);
	assert_int_equal(nbits(f), table_syscalls() - 1);
	assert_false(bit(f, 3));
	filter_of("not evt.type in (close, openat)", f);
	assert_int_equal(nbits(f), table_syscalls() - 2);
	/* not (A and B) can be true for A's types: De Morgan, not a complement */
	filter_of("not (evt.type = close and evt.num = 1)", f);
	assert_int_equal(nbits(f), table_syscalls());
	filter_of("not (evt.type = close or evt.type = openat)", f);
	assert_int_equal(nbits(f), table_syscalls() - 2);
	/* a syscall outside the event table is captured as a generic event, by its number */
	filter_of("evt.type = mprotect", f);
	assert_int_equal(nbits(f), 1);
	assert_true(bit(f, 10));
	/* a name that is no syscall can never match */
	filter_of("evt.type = nosuchcall", f);
	assert_int_equal(nbits(f), 0);
	/* the bits are OR-ed into what is there */
	struct ks_ruleset *rs;
	assert_int_equal(tr_rule(NULL, "evt.type = openat", &rs), 0);
	memset(f, 0, sizeof f);
	f[0] = 0x01;
	ks_ruleset_syscalls(rs, f);
	assert_true(bit(f, 0) && bit(f, 257));
	ks_ruleset_free(rs);
}

static void test_disabled_rules_do_not_count(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	uint8_t f[KS_FILTER_BYTES] = {0};
	assert_int_equal(tr_load("- rule: off\n  condition: evt.type = close\n" TAIL
				 "  enabled: false\n"
				 "- rule: on\n  condition: evt.type = openat\n" TAIL,
				 &rs),
			 0);
	assert_int_equal(ks_ruleset_count(rs), 1);
	ks_ruleset_syscalls(rs, f);
	assert_false(bit(f, 3));
	assert_string_equal(tr_eval(rs, tr_close(&t, 0, 3)), "");
	ks_ruleset_free(rs);
}

static void test_index_skips_other_types(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	/* matches any event, but is indexed under close only */
	assert_int_equal(tr_load("- rule: c\n  condition: evt.type = close or evt.type = openat and"
				 " evt.num = 0\n" TAIL,
				 &rs),
			 0);
	assert_int_equal(rs->nby_type[KS_E_OPENAT], 1);
	assert_int_equal(rs->nby_type[KS_E_CLOSE], 1);
	assert_int_equal(rs->nby_type[KS_E_OPEN], 0);
	assert_string_equal(tr_eval(rs, tr_openat(&t, 3, "/x", 0)), "");
	assert_string_equal(tr_eval(rs, tr_close(&t, 0, 3)), "c");
	ks_ruleset_free(rs);
}

static void test_rule_fields(void **state)
{
	(void)state;
	struct ks_ruleset *rs;
	struct tr_event t;
	assert_int_equal(tr_load("- rule: R1\n  desc: the desc\n  condition: evt.type = openat\n"
				 "  output: \"file=%evt.arg.name n=%evt.num\"\n  priority: notice\n"
				 "  tags: [a, b]\n",
				 &rs),
			 0);
	const struct ks_rule *r = ks_ruleset_rule(rs, 0);
	assert_non_null(r);
	assert_null(ks_ruleset_rule(rs, 1));
	assert_string_equal(r->name, "R1");
	assert_string_equal(r->desc, "the desc");
	assert_string_equal(r->source, "syscall");
	assert_int_equal(r->priority, KS_PRI_NOTICE);
	assert_int_equal(r->ntags, 2);
	assert_string_equal(r->tags[1], "b");
	assert_non_null(r->output);
	char buf[256];
	ks_format_render(r->output, tr_openat(&t, 3, "/x", 0), buf, sizeof buf);
	assert_non_null(strstr(buf, "file=/x"));
	ks_ruleset_free(rs);
}

/* ---- typed operands, directly ---- */

static struct ks_operand op(struct ks_pool *p, const char *s, enum ks_op o, enum ks_ftype ft)
{
	struct ks_operand r;
	char err[128];
	assert_int_equal(ks_operand_init(p, &r, s, o, ft, err, sizeof err), 0);
	return r;
}

static struct ks_value ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct ks_value v = {.type = KS_FT_IPADDR};
	v.ip.family = KS_AF_INET;
	v.ip.addr[0] = a, v.ip.addr[1] = b, v.ip.addr[2] = c, v.ip.addr[3] = d;
	return v;
}

static void test_ip_operands(void **state)
{
	(void)state;
	struct ks_pool *p = ks_pool_new();
	struct ks_value v = ip4(10, 1, 2, 3);
	struct ks_operand net8 = op(p, "10.0.0.0/8", KS_OP_IN, KS_FT_IPNET);
	struct ks_operand net16 = op(p, "10.2.0.0/16", KS_OP_IN, KS_FT_IPNET);
	struct ks_operand exact = op(p, "10.1.2.3", KS_OP_EQ, KS_FT_IPADDR);
	struct ks_operand other = op(p, "10.1.2.4", KS_OP_EQ, KS_FT_IPADDR);
	struct ks_operand v6 = op(p, "::1", KS_OP_EQ, KS_FT_IPADDR);
	struct ks_operand v6net = op(p, "fe80::/10", KS_OP_IN, KS_FT_IPNET);
	assert_true(ks_value_cmp(KS_OP_IN, &v, &net8));
	assert_false(ks_value_cmp(KS_OP_IN, &v, &net16));
	assert_true(ks_value_cmp(KS_OP_EQ, &v, &exact));
	assert_false(ks_value_cmp(KS_OP_EQ, &v, &other));
	assert_true(ks_value_cmp(KS_OP_NE, &v, &other));
	assert_false(ks_value_cmp(KS_OP_EQ, &v, &v6)); /* families differ */
	struct ks_value w = {.type = KS_FT_IPADDR};
	w.ip.family = KS_AF_INET6;
	w.ip.addr[0] = 0xfe, w.ip.addr[1] = 0x81;
	assert_true(ks_value_cmp(KS_OP_IN, &w, &v6net));
	w.ip.addr[1] = 0xc0;
	assert_false(ks_value_cmp(KS_OP_IN, &w, &v6net));
	char err[128];
	struct ks_operand bad;
	assert_true(
	    ks_operand_init(p, &bad, "10.0.0.0/33", KS_OP_IN, KS_FT_IPNET, err, sizeof err) < 0);
	assert_true(ks_operand_init(p, &bad, "host", KS_OP_EQ, KS_FT_IPADDR, err, sizeof err) < 0);
	ks_pool_free(p);
}

static void test_number_operands(void **state)
{
	(void)state;
	struct ks_pool *p = ks_pool_new();
	struct ks_value port = {.type = KS_FT_PORT, .u = 443};
	struct ks_operand o443 = op(p, "443", KS_OP_EQ, KS_FT_PORT);
	struct ks_operand o80 = op(p, "80", KS_OP_EQ, KS_FT_PORT);
	assert_true(ks_value_cmp(KS_OP_EQ, &port, &o443));
	assert_false(ks_value_cmp(KS_OP_EQ, &port, &o80));
	assert_true(ks_value_cmp(KS_OP_GT, &port, &o80));
	struct ks_value big = {.type = KS_FT_UINT64, .u = UINT64_MAX};
	struct ks_operand neg = op(p, "-1", KS_OP_LT, KS_FT_INT64);
	assert_false(ks_value_cmp(KS_OP_LT, &big, &neg)); /* no wrap-around */
	assert_true(ks_value_cmp(KS_OP_GT, &big, &neg));
	struct ks_value i = {.type = KS_FT_INT64, .i = -5};
	assert_true(ks_value_cmp(KS_OP_LT, &i, &neg));
	/* a number against a text operand compares the texts */
	struct ks_operand txt = op(p, "44", KS_OP_STARTSWITH, KS_FT_STRING);
	assert_true(ks_value_cmp(KS_OP_STARTSWITH, &port, &txt));
	ks_pool_free(p);
}

static void test_strset(void **state)
{
	(void)state;
	struct ks_pool *p = ks_pool_new();
	const char *items[] = {"a", "bb", "ccc", "dddd", "", "f", "g", "h", "iiiiiiiiii"};
	struct ks_operand v[9];
	for (int i = 0; i < 9; i++)
		v[i] = op(p, items[i], KS_OP_IN, KS_FT_STRING);
	struct ks_strset *s = ks_strset_new(p, v, 9);
	assert_non_null(s);
	for (int i = 0; i < 9; i++)
		assert_true(ks_strset_has(s, items[i], strlen(items[i])));
	assert_false(ks_strset_has(s, "ab", 2));
	assert_false(ks_strset_has(s, "cc", 2));
	ks_pool_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_first_match),
	    cmocka_unit_test(test_all_match),
	    cmocka_unit_test(test_syscall_filter),
	    cmocka_unit_test(test_disabled_rules_do_not_count),
	    cmocka_unit_test(test_index_skips_other_types),
	    cmocka_unit_test(test_rule_fields),
	    cmocka_unit_test(test_ip_operands),
	    cmocka_unit_test(test_number_operands),
	    cmocka_unit_test(test_strset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
