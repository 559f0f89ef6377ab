/* Syscalls outside the event table: generic records named after their syscall, matched
 * by evt.type, and asked for in the kernel filter only when a rule names them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>

#include "event.h"
#include "fields/fields.h"
#include "recbuild.h"
#include "rules/rules.h"
#include "syscalls.h"

static struct ks_recbuf rb;
static char arena_buf[65536];
static int matches;

static void on_match(void *ctx, const struct ks_rule *r, struct ks_event *ev)
{
	(void)ctx, (void)r, (void)ev;
	matches++;
}

static struct ks_ruleset *load(const char *yaml)
{
	char path[] = "/tmp/ks-generic-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	const char *paths[] = {path};
	struct ks_rules_opts o = {.match_all = true, .min_priority = KS_PRI_DEBUG};
	struct ks_ruleset *rs = NULL;
	assert_int_equal(ks_ruleset_load(paths, 1, &o, &rs), 0);
	unlink(path);
	return rs;
}

static int eval_generic(struct ks_ruleset *rs, uint32_t nr)
{
	struct ks_event ev;
	struct ks_arena arena = {arena_buf, sizeof arena_buf, 0};
	ks_rec_begin(&rb, KS_E_GENERIC, 5, 5, 1);
	ks_rec_s64(&rb, 0);
	ks_rec_u32(&rb, nr);
	const void *r = ks_rec_end(&rb);
	assert_int_equal(ks_event_decode(&ev, r, rb.len, NULL), 0);
	ev.arena = &arena;
	matches = 0;
	ks_ruleset_eval(rs, &ev, on_match, NULL);
	return matches;
}

static void test_names(void **s)
{
	(void)s;
	assert_string_equal(ks_syscall_name(39), "getpid");
	assert_int_equal(ks_syscall_nr("getppid"), 110);
	assert_null(ks_syscall_name(KS_MAX_SYSCALLS + 3));
	assert_int_equal(ks_syscall_nr("nosuchcall"), -1);
}

static void test_evt_type_field(void **s)
{
	(void)s;
	struct ks_event ev;
	struct ks_arena arena = {arena_buf, sizeof arena_buf, 0};
	ks_rec_begin(&rb, KS_E_GENERIC, 5, 5, 1);
	ks_rec_s64(&rb, 0);
	ks_rec_u32(&rb, 39);
	const void *r = ks_rec_end(&rb);
	assert_int_equal(ks_event_decode(&ev, r, rb.len, NULL), 0);
	ev.arena = &arena;
	struct ks_field_ref ref;
	size_t used;
	char err[64];
	struct ks_value v;
	assert_int_equal(ks_field_parse("evt.type", &used, &ref, err, sizeof err), 0);
	assert_int_equal(ks_field_extract(&ev, &ref, &v, 1), 1);
	assert_string_equal(v.s.p, "getpid");
	assert_int_equal(ks_field_parse("evt.dir", &used, &ref, err, sizeof err), 0);
	assert_int_equal(ks_field_extract(&ev, &ref, &v, 1), 1);
	assert_string_equal(v.s.p, "<");
}

static void test_rules_match_and_filter(void **s)
{
	(void)s;
	struct ks_ruleset *rs =
	    load("- rule: g\n  desc: d\n  condition: evt.type in (getpid, openat)\n"
		 "  output: o\n  priority: INFO\n");
	assert_int_equal(eval_generic(rs, 39), 1);  /* getpid */
	assert_int_equal(eval_generic(rs, 110), 0); /* getppid: not named */
	uint8_t filter[KS_FILTER_BYTES] = {0};
	ks_ruleset_syscalls(rs, filter);
	assert_true(filter[39 / 8] & (1u << (39 % 8)));
	assert_true(filter[257 / 8] & (1u << (257 % 8)));
	assert_false(filter[110 / 8] & (1u << (110 % 8)));
	ks_ruleset_free(rs);
	/* a rule without evt.type does not pull every generic syscall into the filter */
	rs = load(
	    "- rule: g\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n");
	memset(filter, 0, sizeof filter);
	ks_ruleset_syscalls(rs, filter);
	assert_false(filter[39 / 8] & (1u << (39 % 8)));
	ks_ruleset_free(rs);
	/* negated: getpid itself never matches */
	rs = load("- rule: g\n  desc: d\n  condition: evt.type != getpid\n  output: o\n  priority: "
		  "INFO\n");
	assert_int_equal(eval_generic(rs, 39), 0);
	ks_ruleset_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_evt_type_field),
	    cmocka_unit_test(test_rules_match_and_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
