/* The web server answers /healthz, /versions and /metrics (checked with libcurl). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "output/outputs.h"
#include "web/web.h"

static atomic_bool live = true;

static bool healthy(void *ctx)
{
	(void)ctx;
	return atomic_load(&live);
}

static void engine_metrics(void *ctx, struct ks_prom *p)
{
	(void)ctx;
	ks_prom_counter(p, "kestrel_events_total", "Events processed.", NULL, 1234);
	ks_prom_counter(p, "kestrel_event_drops_total", "Events lost.",
			(const char *[]){"cause", "ring_full", NULL}, 0);
}

struct body {
	char s[65536];
	size_t n;
};

static size_t on_data(char *d, size_t sz, size_t n, void *arg)
{
	struct body *b = arg;
	size_t len = sz * n, room = sizeof b->s - 1 - b->n;
	size_t k = len < room ? len : room;
	memcpy(b->s + b->n, d, k);
	b->n += k;
	b->s[b->n] = '\0';
	return len;
}

static long get(int port, const char *path, struct body *b, char *ctype, size_t ctlen)
{
	char url[128];
	snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, path);
	CURL *c = curl_easy_init();
	assert_non_null(c);
	b->n = 0;
	b->s[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	long code = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	char *ct = NULL;
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	if (ctype)
		snprintf(ctype, ctlen, "%s", ct ? ct : "");
	curl_easy_cleanup(c);
	return code;
}

static struct ks_config *web_config(bool metrics)
{
	struct ks_config *c = ks_config_new();
	ks_config_set(c, "webserver.enabled", "true");
	ks_config_set(c, "webserver.listen_address", "127.0.0.1");
	ks_config_set(c, "webserver.listen_port", "0");
	ks_config_set(c, "webserver.prometheus_metrics_enabled", metrics ? "true" : "false");
	ks_config_set(c, "metrics.enabled", "true");
	ks_config_set(c, "stdout_output.enabled", "false");
	ks_config_set(c, "syslog_output.enabled", "false");
	return c;
}

static void test_endpoints(void **s)
{
	(void)s;
	struct ks_config *c = web_config(true);
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	ks_outputs_push(o, KS_PRI_ERROR, "a\n", 2);
	struct ks_web_hooks h = {.healthy = healthy, .metrics = engine_metrics, .outputs = o};
	struct ks_web *w;
	assert_int_equal(ks_web_new(c, &h, &w), 0);
	assert_non_null(w);
	int port = ks_web_port(w);
	assert_true(port > 0);
	struct body *b = malloc(sizeof(*b));
	char ct[128];

	atomic_store(&live, true);
	assert_int_equal(get(port, "/healthz", b, ct, sizeof ct), 200);
	assert_string_equal(b->s, "{\"status\": \"ok\"}");
	assert_string_equal(ct, "application/json");
	atomic_store(&live, false);
	assert_int_equal(get(port, "/healthz", b, NULL, 0), 503);

	assert_int_equal(get(port, "/versions", b, NULL, 0), 200);
	assert_non_null(strstr(b->s, "\"kestrel_version\""));
	assert_non_null(strstr(b->s, "\"engine_version\": \"0."));

	assert_int_equal(get(port, "/metrics", b, ct, sizeof ct), 200);
	assert_non_null(strstr(ct, "text/plain; version=0.0.4"));
	assert_non_null(strstr(b->s, "# TYPE kestrel_events_total counter\n"
				     "kestrel_events_total 1234\n"));
	assert_non_null(strstr(b->s, "kestrel_event_drops_total{cause=\"ring_full\"} 0\n"));
	assert_non_null(strstr(b->s, "kestrel_outputs_queue_depth 1\n"));
	assert_non_null(strstr(b->s, "kestrel_outputs_queue_capacity 4096\n"));
	assert_non_null(strstr(b->s, "# TYPE kestrel_outputs_queue_drops_total counter\n"));
	assert_non_null(strstr(b->s, "# HELP kestrel_process_resident_memory_bytes "));
	assert_null(strstr(b->s, "kestrel_process_resident_memory_bytes 0\n"));
	/* every sample line is kestrel_* and has a TYPE above it */
	for (char *line = strtok(b->s, "\n"); line; line = strtok(NULL, "\n"))
		assert_true(line[0] == '#' || strncmp(line, "kestrel_", 8) == 0);

	assert_int_equal(get(port, "/nope", b, NULL, 0), 404);
	free(b);
	ks_web_free(w);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_metrics_need_both_keys(void **s)
{
	(void)s;
	struct ks_config *c = web_config(false);
	struct ks_web *w;
	assert_int_equal(ks_web_new(c, NULL, &w), 0);
	struct body *b = malloc(sizeof(*b));
	assert_int_equal(get(ks_web_port(w), "/metrics", b, NULL, 0), 404);
	assert_int_equal(get(ks_web_port(w), "/healthz", b, NULL, 0), 200); /* no hook: healthy */
	free(b);
	ks_web_free(w);
	ks_config_free(c);
}

static void test_disabled_and_invalid(void **s)
{
	(void)s;
	struct ks_config *c = web_config(true);
	struct ks_web *w = (struct ks_web *)1;
	ks_config_set(c, "webserver.enabled", "false");
	assert_int_equal(ks_web_new(c, NULL, &w), 0);
	assert_null(w);
	ks_config_set(c, "webserver.enabled", "true");
	ks_config_set(c, "webserver.listen_address", "localhost:80");
	assert_true(ks_web_new(c, NULL, &w) < 0);
	ks_config_set(c, "webserver.listen_address", "127.0.0.1");
	ks_config_set(c, "webserver.listen_port", "70000");
	assert_true(ks_web_new(c, NULL, &w) < 0);
	ks_config_set(c, "webserver.listen_port", "0");
	ks_config_set(c, "webserver.ssl_enabled", "true");
	assert_true(ks_web_new(c, NULL, &w) < 0);
	ks_config_free(c);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_endpoints),
	    cmocka_unit_test(test_metrics_need_both_keys),
	    cmocka_unit_test(test_disabled_and_invalid),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
