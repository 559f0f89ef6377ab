/* Service helpers: sd_notify to $NOTIFY_SOCKET (path and abstract), the pid file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "config.h"
#include "output/outputs.h"
#include "pidfile.h"
#include "sdnotify.h"
#include "web/prom.h"
#include "web/web.h"

static int listener(const char *name, bool abstract)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	memcpy(a.sun_path + (abstract ? 1 : 0), name, len);
	socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, alen), 0);
	return fd;
}

static void expect_msg(int fd, const char *want)
{
	char buf[256];
	ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

static void test_notify_path(void **s)
{
	(void)s;
	char path[64];
	snprintf(path, sizeof path, "/tmp/ks-notify-%d.sock", (int)getpid());
	unlink(path);
	int fd = listener(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(ks_sd_notify("READY=1"), 1);
	assert_int_equal(ks_sd_notifyf("STATUS=%d rules", 7), 1);
	assert_int_equal(ks_sd_notify("STOPPING=1"), 1);
	expect_msg(fd, "READY=1");
	expect_msg(fd, "STATUS=7 rules");
	expect_msg(fd, "STOPPING=1");
	close(fd);
	unlink(path);
}

static void test_notify_abstract(void **s)
{
	(void)s;
	char name[64], env[70];
	snprintf(name, sizeof name, "ks-notify-test-%d", (int)getpid());
	int fd = listener(name, true);
	snprintf(env, sizeof env, "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	assert_int_equal(ks_sd_notify("READY=1"), 1);
	expect_msg(fd, "READY=1");
	close(fd);
}

static void test_notify_absent(void **s)
{
	(void)s;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(ks_sd_notify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "relative", 1);
	assert_true(ks_sd_notify("READY=1") < 0);
	setenv("NOTIFY_SOCKET", "/tmp/ks-nobody-listens-here.sock", 1);
	assert_true(ks_sd_notify("READY=1") < 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_pidfile(void **s)
{
	(void)s;
	char path[64], buf[32] = {0};
	snprintf(path, sizeof path, "/tmp/ks-pid-%d", (int)getpid());
	assert_int_equal(ks_pidfile_write(path), 0);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof buf, f));
	fclose(f);
	assert_int_equal(atoi(buf), (int)getpid());
	assert_non_null(strchr(buf, '\n'));
	ks_pidfile_remove(path);
	assert_int_equal(access(path, F_OK), -1);
	/* somebody else's pid file stays */
	f = fopen(path, "w");
	fprintf(f, "1\n");
	fclose(f);
	ks_pidfile_remove(path);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	assert_true(ks_pidfile_write("/nonexistent-dir/x.pid") < 0);
}

/* The shipped configuration names every output, web and metrics key, and they all load. */
static void test_packaged_config(void **s)
{
	(void)s;
	static const char *const keys[] = {
	    "rules_files",
	    "json_output",
	    "json_include_output_property",
	    "json_include_tags_property",
	    "buffered_outputs",
	    "outputs_queue.capacity",
	    "stdout_output.enabled",
	    "file_output.enabled",
	    "file_output.keep_alive",
	    "file_output.filename",
	    "syslog_output.enabled",
	    "program_output.enabled",
	    "program_output.keep_alive",
	    "program_output.program",
	    "http_output.enabled",
	    "http_output.url",
	    "http_output.user_agent",
	    "http_output.insecure",
	    "http_output.ca_cert",
	    "http_output.ca_bundle",
	    "http_output.ca_path",
	    "http_output.mtls",
	    "http_output.client_cert",
	    "http_output.client_key",
	    "http_output.keep_alive",
	    "http_output.compress_uploads",
	    "webserver.enabled",
	    "webserver.listen_address",
	    "webserver.listen_port",
	    "webserver.k8s_healthz_endpoint",
	    "webserver.prometheus_metrics_enabled",
	    "metrics.enabled",
	    "metrics.interval",
	};
	const char *root = getenv("KS_TEST_ROOT");
	char path[4096];
	snprintf(path, sizeof path, "%s/packaging/kestrel.yaml", root ? root : ".");
	struct ks_config *c = ks_config_new();
	assert_int_equal(ks_config_load(c, path), 0);
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (!ks_config_has(c, keys[i]))
			fail_msg("packaging/kestrel.yaml lacks %s", keys[i]);
	uint64_t ms;
	assert_int_equal(ks_prom_parse_duration(ks_config_str(c, "metrics.interval", ""), &ms), 0);
	assert_int_equal(ks_config_int(c, "webserver.listen_port", 0, NULL), 8765);
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	ks_outputs_free(o);
	ks_config_set(c, "webserver.listen_port", "0"); /* 8765 may be taken on this machine */
	ks_config_set(c, "webserver.listen_address", "127.0.0.1");
	struct ks_web *w;
	assert_int_equal(ks_web_new(c, NULL, &w), 0);
	assert_non_null(w);
	ks_web_free(w);
	ks_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_notify_path),	    cmocka_unit_test(test_notify_abstract),
	    cmocka_unit_test(test_notify_absent),   cmocka_unit_test(test_pidfile),
	    cmocka_unit_test(test_packaged_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
