/* Output formats and Falco-shaped alerts (text line and JSON). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "event.h"
#include "output/alert.h"
#include "output/format.h"
#include "recbuild.h"

static struct ks_recbuf rb;
static char arena_buf[65536];
static struct ks_arena arena = {arena_buf, sizeof arena_buf, 0};

/* 2026-12-03T14:02:11.000000042Z */
#define TS 1796306531000000042ull

static struct ks_event open_event(const char *path, int64_t res)
{
	struct ks_event ev;
	ks_rec_begin(&rb, KS_E_OPENAT, 42, 42, 0);
	ks_rec_s64(&rb, res);
	ks_rec_s64(&rb, AT_FDCWD);
	ks_rec_str(&rb, path);
	ks_rec_u32(&rb, O_RDONLY);
	ks_rec_u32(&rb, 0);
	const void *r = ks_rec_end(&rb);
	assert_int_equal(ks_event_decode(&ev, r, rb.len, NULL), 0);
	ev.ts = TS;
	ev.num = 7;
	ev.arena = &arena;
	arena.used = 0;
	return ev;
}

static void test_render(void **s)
{
	(void)s;
	struct ks_format *f;
	char err[128], out[256];
	size_t off = 0;
	assert_int_equal(
	    ks_format_compile("t=%evt.type res=%evt.res %% n=%evt.num name=%evt.arg.name 100%", &f,
			      err, sizeof err, &off),
	    0);
	struct ks_event ev = open_event("/etc/shadow", -2);
	ks_format_render(f, &ev, out, sizeof out);
	assert_string_equal(out, "t=openat res=ENOENT % n=7 name=/etc/shadow 100%");
	assert_int_equal(ks_format_nfields(f), 4);
	const char *label;
	ks_format_field(f, 3, &label);
	assert_string_equal(label, "evt.arg.name");
	/* truncation keeps the buffer terminated */
	char small[8];
	assert_int_equal(ks_format_render(f, &ev, small, sizeof small), 7);
	assert_string_equal(small, "t=opena");
	ks_format_free(f);
}

static void test_newline_in_value(void **s)
{
	(void)s;
	struct ks_format *f;
	char err[128], out[128];
	size_t off;
	assert_int_equal(ks_format_compile("name=%evt.arg.name end", &f, err, sizeof err, &off), 0);
	struct ks_event ev = open_event("/tmp/a\nb\rc", 3);
	ks_format_render(f, &ev, out, sizeof out);
	/* one alert per line: a value never breaks the line */
	assert_string_equal(out, "name=/tmp/a b c end");
	ks_format_free(f);
}

static void test_missing_value(void **s)
{
	(void)s;
	struct ks_format *f;
	char err[128], out[128];
	size_t off;
	assert_int_equal(ks_format_compile("fd=%evt.arg.fd", &f, err, sizeof err, &off), 0);
	struct ks_event ev = open_event("/x", 3); /* openat has no "fd" parameter */
	ks_format_render(f, &ev, out, sizeof out);
	assert_string_equal(out, "fd=<NA>");
	ks_format_free(f);
}

static void test_unknown_field(void **s)
{
	(void)s;
	struct ks_format *f = NULL;
	char err[128];
	size_t off = 0;
	assert_int_equal(ks_format_compile("a b %proc.nmae c", &f, err, sizeof err, &off), -ENOENT);
	assert_int_equal(off, 5);
	assert_non_null(strstr(err, "proc.nmae"));
	assert_null(f);
}

static struct ks_rule rule(struct ks_format *f)
{
	static const char *const tags[] = {"filesystem", "T1555"};
	struct ks_rule r = {.name = "Read \"shadow\"",
			    .desc = "d",
			    .source = "syscall",
			    .priority = KS_PRI_WARNING,
			    .tags = tags,
			    .ntags = 2,
			    .output = f};
	return r;
}

static void test_text_alert(void **s)
{
	(void)s;
	struct ks_format *f;
	char err[128], out[512];
	size_t off;
	/* a folded YAML output ends with a newline: trimmed as Falco does */
	assert_int_equal(ks_format_compile("read %evt.arg.name\n", &f, err, sizeof err, &off), 0);
	struct ks_rule r = rule(f);
	struct ks_event ev = open_event("/etc/shadow", 3);
	struct ks_alert_opts o = {.json = false, .hostname = "h"};
	setenv("TZ", "UTC", 1);
	size_t n = ks_alert_format(&o, &r, &ev, out, sizeof out);
	assert_string_equal(out, "14:02:11.000000042: Warning read /etc/shadow\n");
	assert_int_equal(n, strlen(out));
	ks_format_free(f);
}

static void test_json_alert(void **s)
{
	(void)s;
	struct ks_format *f;
	char err[128], out[2048];
	size_t off;
	assert_int_equal(
	    ks_format_compile("read %evt.arg.name res=%evt.rawres t=%evt.type x=%evt.arg.fd", &f,
			      err, sizeof err, &off),
	    0);
	struct ks_rule r = rule(f);
	struct ks_event ev = open_event("/etc/\"sh\tadow\xff", 3);
	struct ks_alert_opts o = {.json = true,
				  .json_include_output = true,
				  .json_include_tags = true,
				  .hostname = "box"};
	setenv("TZ", "UTC", 1);
	ks_alert_format(&o, &r, &ev, out, sizeof out);
	assert_string_equal(
	    out,
	    "{\"hostname\":\"box\",\"output\":\"14:02:11.000000042: Warning read "
	    "/etc/\\\"sh\\tadow\\ufffd res=3 t=openat x=<NA>\",\"output_fields\":{\"evt.time\":"
	    "1796306531000000042,\"evt.arg.name\":\"/etc/\\\"sh\\tadow\\ufffd\",\"evt.rawres\":3,"
	    "\"evt.type\":\"openat\",\"evt.arg.fd\":null},\"priority\":\"Warning\",\"rule\":"
	    "\"Read \\\"shadow\\\"\",\"source\":\"syscall\",\"tags\":[\"T1555\",\"filesystem\"],"
	    "\"time\":\"2026-12-03T14:02:11.000000042Z\"}\n");
	/* without output and tags */
	o.json_include_output = o.json_include_tags = false;
	ks_alert_format(&o, &r, &ev, out, sizeof out);
	assert_null(strstr(out, "\"output\":"));
	assert_null(strstr(out, "\"tags\":"));
	/* too small a buffer: refused, not truncated JSON */
	assert_int_equal(ks_alert_format(&o, &r, &ev, out, 64), 0);
	ks_format_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render),	     cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_newline_in_value), cmocka_unit_test(test_unknown_field),
	    cmocka_unit_test(test_text_alert),	     cmocka_unit_test(test_json_alert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
