/* The decoder accepts exactly what the ABI allows and refuses everything else. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "event.h"
#include "recbuild.h"

static struct ks_recbuf rb;

static const void *openat_rec(void)
{
	ks_rec_begin(&rb, KS_E_OPENAT, 10, 9, 1234);
	ks_rec_s64(&rb, 3);
	ks_rec_s64(&rb, AT_FDCWD);
	ks_rec_str(&rb, "/etc/shadow");
	ks_rec_u32(&rb, O_RDONLY);
	ks_rec_u32(&rb, 0);
	return ks_rec_end(&rb);
}

static void test_valid(void **s)
{
	(void)s;
	struct ks_event ev;
	const void *r = openat_rec();
	assert_int_equal(ks_event_decode(&ev, r, rb.len, NULL), 0);
	assert_int_equal(ev.type, KS_E_OPENAT);
	assert_int_equal(ev.tid, 10);
	assert_int_equal(ev.pid, 9);
	assert_int_equal(ks_event_s64(&ev, 0, -1), 3);
	assert_int_equal(ks_event_s64(&ev, 1, 0), AT_FDCWD);
	assert_string_equal(ks_event_str(&ev, 2), "/etc/shadow");
	assert_string_equal(ks_event_str_by_name(&ev, "name"), "/etc/shadow");
	assert_int_equal(ks_event_s64_by_name(&ev, "flags", -1), O_RDONLY);
	assert_null(ks_event_str(&ev, 0)); /* not a string parameter */
	assert_string_equal(ev.info->name, "openat");
}

static void test_absent_param(void **s)
{
	(void)s;
	struct ks_event ev;
	ks_rec_begin(&rb, KS_E_CLOSE, 1, 1, 0);
	ks_rec_s64(&rb, 0);
	ks_rec_none(&rb);
	const void *r = ks_rec_end(&rb);
	assert_int_equal(ks_event_decode(&ev, r, rb.len, NULL), 0);
	assert_false(ks_event_has(&ev, 1));
	assert_int_equal(ks_event_s64(&ev, 1, -7), -7);
}

static void expect_bad(const void *r, size_t len, const char *needle)
{
	struct ks_event ev;
	const char *why = NULL;
	assert_int_equal(ks_event_decode(&ev, r, len, &why), -EINVAL);
	assert_non_null(why);
	assert_non_null(strstr(why, needle));
}

static void test_truncated(void **s)
{
	(void)s;
	const void *r = openat_rec();
	expect_bad(r, 10, "header");
	expect_bad(r, rb.len - 1, "length");
}

static void test_wrong_count(void **s)
{
	(void)s;
	ks_rec_begin(&rb, KS_E_OPENAT, 1, 1, 0);
	ks_rec_s64(&rb, 3);
	const void *r = ks_rec_end(&rb);
	expect_bad(r, rb.len, "count");
}

static void test_unknown_type(void **s)
{
	(void)s;
	openat_rec();
	rb.hdr.type = KS_E_MAX;
	const void *r = ks_rec_end(&rb);
	expect_bad(r, rb.len, "unknown");
}

static void test_unterminated_string(void **s)
{
	(void)s;
	ks_rec_begin(&rb, KS_E_OPENAT, 1, 1, 0);
	ks_rec_s64(&rb, 3);
	ks_rec_s64(&rb, AT_FDCWD);
	ks_rec_raw(&rb, "/etc", 4);
	ks_rec_u32(&rb, 0);
	ks_rec_u32(&rb, 0);
	const void *r = ks_rec_end(&rb);
	expect_bad(r, rb.len, "NUL");
}

static void test_bad_fixed_size(void **s)
{
	(void)s;
	ks_rec_begin(&rb, KS_E_CLOSE, 1, 1, 0);
	ks_rec_u32(&rb, 0); /* res must be 8 bytes */
	ks_rec_s64(&rb, 3);
	const void *r = ks_rec_end(&rb);
	expect_bad(r, rb.len, "wrong length");
}

static void test_param_overrun(void **s)
{
	(void)s;
	openat_rec();
	rb.lens[2] = 60000; /* claims more bytes than the record has */
	const void *r = ks_rec_end(&rb);
	uint8_t *d = (uint8_t *)r;
	uint32_t len = (uint32_t)(KS_HDR_SIZE + 2 * rb.np + rb.plen);
	memcpy(d + offsetof(struct ks_hdr, len), &len, 4);
	expect_bad(r, len, "overruns");
}

static void test_len_mismatch(void **s)
{
	(void)s;
	openat_rec();
	uint8_t buf[512];
	memcpy(buf, rb.data, rb.len);
	uint32_t len = (uint32_t)rb.len + 8; /* trailing garbage inside the declared length */
	memcpy(buf + offsetof(struct ks_hdr, len), &len, 4);
	expect_bad(buf, len, "differs");
}

static void test_table(void **s)
{
	(void)s;
	/* the generated table and the enum agree */
	assert_int_equal(ks_events[KS_E_EXECVE].nparams, KS_NPARAMS_EXECVE);
	assert_int_equal(ks_events[KS_E_OPENAT].syscall_nr, 257);
	assert_int_equal(ks_event_type_by_name("execve"), KS_E_EXECVE);
	assert_int_equal(ks_event_type_by_name("nosuch"), KS_E_UNKNOWN);
	assert_int_equal(ks_event_param_index(KS_E_EXECVE, "exepath"), 6);
	for (unsigned t = 1; t < KS_E_MAX; t++) {
		assert_true(ks_events[t].nparams <= KS_MAX_PARAMS);
		if (ks_events[t].syscall_nr >= 0) {
			assert_true(ks_events[t].syscall_nr < (int)KS_MAX_SYSCALLS);
			assert_string_equal(ks_events[t].params[0].name, "res");
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),	   cmocka_unit_test(test_absent_param),
	    cmocka_unit_test(test_truncated),	   cmocka_unit_test(test_wrong_count),
	    cmocka_unit_test(test_unknown_type),   cmocka_unit_test(test_unterminated_string),
	    cmocka_unit_test(test_bad_fixed_size), cmocka_unit_test(test_param_overrun),
	    cmocka_unit_test(test_len_mismatch),   cmocka_unit_test(test_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
