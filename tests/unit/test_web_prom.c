/* Prometheus text helper and metrics.interval durations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "web/prom.h"

static void test_counter_gauge_headers(void **s)
{
	(void)s;
	struct ks_prom p;
	ks_prom_init(&p, 1 << 20);
	ks_prom_counter(&p, "kestrel_alerts_total", "Alerts.",
			(const char *[]){"rule", "A", "priority", "Warning", NULL}, 3);
	ks_prom_counter(&p, "kestrel_alerts_total", "Alerts.",
			(const char *[]){"rule", "B", "priority", "Error", NULL}, 4);
	ks_prom_gauge(&p, "kestrel_threads", "Thread table size.", NULL, 42);
	size_t len;
	char *t = ks_prom_take(&p, &len);
	assert_string_equal(t, "# HELP kestrel_alerts_total Alerts.\n"
			       "# TYPE kestrel_alerts_total counter\n"
			       "kestrel_alerts_total{rule=\"A\",priority=\"Warning\"} 3\n"
			       "kestrel_alerts_total{rule=\"B\",priority=\"Error\"} 4\n"
			       "# HELP kestrel_threads Thread table size.\n"
			       "# TYPE kestrel_threads gauge\n"
			       "kestrel_threads 42\n");
	assert_int_equal(len, strlen(t));
	free(t);
}

static void test_escaping_and_invalid(void **s)
{
	(void)s;
	struct ks_prom p;
	ks_prom_init(&p, 1 << 20);
	ks_prom_counter(&p, "kestrel_x_total", "a\\b\nc \"q\"",
			(const char *[]){"rule", "say \"hi\"\\\n", NULL}, 1);
	ks_prom_counter(&p, "bad-name", "h", NULL, 1); /* left out */
	ks_prom_counter(&p, "kestrel_y_total", "h", (const char *[]){"9x", "v", NULL}, 1); /* too */
	assert_non_null(strstr(p.buf, "# HELP kestrel_x_total a\\\\b\\nc \"q\"\n"));
	assert_non_null(strstr(p.buf, "kestrel_x_total{rule=\"say \\\"hi\\\"\\\\\\n\"} 1\n"));
	assert_null(strstr(p.buf, "bad-name"));
	assert_null(strstr(p.buf, "kestrel_y_total{"));
	ks_prom_release(&p);
}

static void test_bounded(void **s)
{
	(void)s;
	struct ks_prom p;
	ks_prom_init(&p, 300);
	for (int i = 0; i < 100; i++)
		ks_prom_counter(&p, "kestrel_events_total", "Events.",
				(const char *[]){"cpu", "0", NULL}, (uint64_t)i);
	assert_true(p.truncated);
	assert_true(p.len < 300);
	assert_int_equal(p.buf[p.len - 1], '\n'); /* whole lines only */
	ks_prom_release(&p);
}

static void test_durations(void **s)
{
	(void)s;
	static const struct {
		const char *in;
		uint64_t ms;
	} ok[] = {
	    {"1s", 1000},	    {"15m", 900000},	     {"1h", 3600000},	{"500ms", 500},
	    {"1h30m", 5400000},	    {"2d", 172800000},	     {"1w", 604800000}, {"1m30s", 90000},
	    {"1y", 31536000000ull}, {"1h0m5s100ms", 3605100}};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t ms = 0;
		assert_int_equal(ks_prom_parse_duration(ok[i].in, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	static const char *const bad[] = {"",	  "s",	 "10",	 "1x",	"1s1m",
					  "1m1m", "-1s", "1.5s", "1 s", "99999999999999999999y"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t ms;
		assert_int_equal(ks_prom_parse_duration(bad[i], &ms), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_counter_gauge_headers),
	    cmocka_unit_test(test_escaping_and_invalid),
	    cmocka_unit_test(test_bounded),
	    cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
