/* Configuration: Falco-shaped YAML flattened to dotted keys, -o overrides, clear errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"

static char path[64];

static void write_file(const char *text)
{
	strcpy(path, "/tmp/ks-config-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

/* Run fn with stderr redirected to a file; return what it printed. */
static char errbuf[4096];
static int load_capture(struct ks_config *c)
{
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	dup2(fileno(tmp), 2);
	int rc = ks_config_load(c, path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(errbuf, 1, sizeof errbuf - 1, tmp);
	errbuf[n] = '\0';
	fclose(tmp);
	return rc;
}

static void test_flatten(void **s)
{
	(void)s;
	write_file("engine:\n  kind: modern_ebpf\n  modern_ebpf:\n    buf_size_preset: 4\n"
		   "json_output: true\nrules_files:\n  - /a.yaml\n  - /b\nfile_output:\n"
		   "  enabled: false\n  filename: ./x.txt\n");
	struct ks_config *c = ks_config_new();
	assert_int_equal(load_capture(c), 0);
	assert_string_equal(ks_config_str(c, "engine.kind", NULL), "modern_ebpf");
	assert_int_equal(ks_config_int(c, "engine.modern_ebpf.buf_size_preset", 0, NULL), 4);
	assert_true(ks_config_bool(c, "json_output", false));
	assert_false(ks_config_bool(c, "file_output.enabled", true));
	assert_string_equal(ks_config_str(c, "file_output.filename", NULL), "./x.txt");
	const char *const *items;
	assert_int_equal(ks_config_list(c, "rules_files", &items), 2);
	assert_string_equal(items[0], "/a.yaml");
	assert_string_equal(items[1], "/b");
	assert_null(ks_config_str(c, "nope", NULL));
	assert_true(ks_config_bool(c, "nope", true));
	ks_config_free(c);
	unlink(path);
}

static void test_overrides(void **s)
{
	(void)s;
	struct ks_config *c = ks_config_new();
	assert_int_equal(ks_config_set_arg(c, "json_output=true"), 0);
	assert_int_equal(ks_config_set_arg(c, "engine.kind=kmod"), 0);
	assert_int_equal(ks_config_set_arg(c, "rules_files[]=/x"), 0);
	assert_int_equal(ks_config_set_arg(c, "rules_files[]=/y"), 0);
	assert_int_equal(ks_config_set_arg(c, "metrics.interval=15s"), 0);
	assert_int_equal(ks_config_set_arg(c, "outputs_queue.capacity=2k"), 0);
	assert_true(ks_config_bool(c, "json_output", false));
	assert_string_equal(ks_config_str(c, "engine.kind", ""), "kmod");
	const char *const *items;
	assert_int_equal(ks_config_list(c, "rules_files", &items), 2);
	assert_string_equal(items[1], "/y");
	assert_int_equal(ks_config_int(c, "outputs_queue.capacity", 0, NULL), 2048);
	bool ok;
	ks_config_int(c, "metrics.interval", 0, &ok);
	assert_false(ok);
	assert_int_not_equal(ks_config_set_arg(c, "novalue"), 0);
	assert_int_not_equal(ks_config_set_arg(c, "=x"), 0);
	/* -o replaces a value loaded from the file */
	assert_int_equal(ks_config_set_arg(c, "engine.kind=modern_ebpf"), 0);
	assert_string_equal(ks_config_str(c, "engine.kind", ""), "modern_ebpf");
	ks_config_free(c);
}

static void test_empty_file(void **s)
{
	(void)s;
	write_file("");
	struct ks_config *c = ks_config_new();
	assert_int_equal(load_capture(c), 0);
	assert_false(ks_config_has(c, "json_output"));
	ks_config_free(c);
	unlink(path);
}

static void test_syntax_error(void **s)
{
	(void)s;
	write_file("json_output: true\nengine:\n  kind: [modern_ebpf\n");
	struct ks_config *c = ks_config_new();
	assert_int_not_equal(load_capture(c), 0);
	char want[96];
	snprintf(want, sizeof want, "%s:4:1: error", path);
	assert_non_null(strstr(errbuf, want));
	ks_config_free(c);
	unlink(path);
}

static void test_missing_file(void **s)
{
	(void)s;
	strcpy(path, "/nonexistent/kestrel.yaml");
	struct ks_config *c = ks_config_new();
	assert_int_not_equal(load_capture(c), 0);
	assert_non_null(strstr(errbuf, "/nonexistent/kestrel.yaml"));
	ks_config_free(c);
}

static void test_not_a_mapping(void **s)
{
	(void)s;
	write_file("just a string\n");
	struct ks_config *c = ks_config_new();
	assert_int_not_equal(load_capture(c), 0);
	assert_non_null(strstr(errbuf, ":1:1: error"));
	ks_config_free(c);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flatten),	 cmocka_unit_test(test_overrides),
	    cmocka_unit_test(test_empty_file),	 cmocka_unit_test(test_syntax_error),
	    cmocka_unit_test(test_missing_file), cmocka_unit_test(test_not_a_mapping),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
