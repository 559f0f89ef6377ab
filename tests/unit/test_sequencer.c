/* The sequencer releases records in timestamp order, only up to the watermark. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "recbuild.h"
#include "sequencer.h"

static uint64_t got[64];
static uint32_t got_tid[64];
static size_t ngot;

static void emit(void *ctx, const void *rec, size_t len)
{
	(void)ctx;
	struct ks_hdr h;
	assert_true(len >= KS_HDR_SIZE);
	memcpy(&h, rec, sizeof h);
	assert_int_equal(h.len, len);
	got_tid[ngot] = h.tid;
	got[ngot++] = h.ts;
}

static struct ks_recbuf rb;

static void push(struct ks_seq *s, uint64_t ts, uint32_t tid)
{
	ks_rec_begin(&rb, KS_E_CLOSE, tid, tid, ts);
	ks_rec_s64(&rb, 0);
	ks_rec_s64(&rb, 3);
	const void *r = ks_rec_end(&rb);
	ks_seq_push(s, r, rb.len);
}

static void push_id(struct ks_seq *s, uint64_t ts, uint32_t id)
{
	push(s, ts, id);
}

static void test_merge_runs(void **st)
{
	(void)st;
	ngot = 0;
	struct ks_seq *s = ks_seq_new(1 << 16, emit, NULL);
	/* ring 0 drained first, then ring 1: two sorted runs */
	push(s, 10, 1);
	push(s, 30, 1);
	push(s, 50, 1);
	push(s, 20, 2);
	push(s, 40, 2);
	push(s, 60, 2);
	ks_seq_release(s, 45);
	assert_int_equal(ngot, 4);
	assert_int_equal(got[0], 10);
	assert_int_equal(got[1], 20);
	assert_int_equal(got[2], 30);
	assert_int_equal(got[3], 40);
	assert_int_equal(ks_seq_held(s), 2);
	/* a later drain brings an older record than one held: still in order */
	push(s, 55, 3);
	ks_seq_release(s, UINT64_MAX);
	assert_int_equal(ngot, 7);
	assert_int_equal(got[4], 50);
	assert_int_equal(got[5], 55);
	assert_int_equal(got[6], 60);
	assert_int_equal(ks_seq_held(s), 0);
	ks_seq_free(s);
}

static void test_equal_ts_stable(void **st)
{
	(void)st;
	ngot = 0;
	struct ks_seq *s = ks_seq_new(1 << 16, emit, NULL);
	push(s, 5, 1);
	push(s, 5, 2);
	push(s, 5, 3);
	ks_seq_release(s, 5);
	assert_int_equal(ngot, 3);
	assert_int_equal(got_tid[0], 1);
	assert_int_equal(got_tid[1], 2);
	assert_int_equal(got_tid[2], 3);
	ks_seq_free(s);
}

static void test_overflow_releases(void **st)
{
	(void)st;
	ngot = 0;
	/* room for only a few records: a full buffer releases everything it holds, in order */
	struct ks_seq *s = ks_seq_new(256, emit, NULL);
	for (uint64_t i = 0; i < 20; i++)
		push(s, 100 - i, (uint32_t)i);
	assert_true(ks_seq_overflows(s) > 0);
	ks_seq_release(s, UINT64_MAX);
	assert_int_equal(ngot, 20);
	/* within each released batch the order holds */
	size_t descents = 0;
	for (size_t i = 1; i < ngot; i++)
		descents += got[i] < got[i - 1];
	assert_true(descents <= ks_seq_overflows(s));
	ks_seq_free(s);
}

/* Random rings drained in random order, released at random watermarks that respect the
 * sequencer's contract (no record arrives with a timestamp at or below an earlier
 * watermark): every record comes out exactly once, and in global timestamp order. */
static uint64_t all[20000];
static uint32_t seen[20000];
static size_t nall;

static void emit_all(void *ctx, const void *rec, size_t len)
{
	(void)ctx, (void)len;
	struct ks_hdr h;
	memcpy(&h, rec, sizeof h);
	assert_true(h.tid < 20000);
	seen[h.tid]++;
	all[nall++] = h.ts;
}

static void test_random_merge(void **st)
{
	(void)st;
	srand(42);
	for (int round = 0; round < 20; round++) {
		memset(seen, 0, sizeof seen);
		nall = 0;
		struct ks_seq *s = ks_seq_new(1 << 22, emit_all, NULL);
		enum { RINGS = 4, PER = 4000 };
		uint64_t next_ts[RINGS] = {0};
		uint32_t id = 0;
		uint64_t watermark = 0;
		/* each "drain" takes a random batch from each ring, in ring order */
		for (int drain = 0; drain < 40 && id < RINGS * PER; drain++) {
			uint64_t now = (uint64_t)(drain + 1) * 1000;
			for (int r = 0; r < RINGS; r++) {
				int k = rand() % 120;
				for (int i = 0; i < k && id < RINGS * PER; i++) {
					uint64_t t = next_ts[r] + 1 + (uint64_t)(rand() % 17);
					if (t >= now)
						break;
					if (t <= watermark)
						t = watermark + 1;
					next_ts[r] = t;
					push_id(s, t, id++);
				}
			}
			watermark = now - 300; /* slack */
			ks_seq_release(s, watermark);
			for (int r = 0; r < RINGS; r++)
				if (next_ts[r] < watermark)
					next_ts[r] = watermark;
		}
		ks_seq_release(s, UINT64_MAX);
		assert_int_equal(ks_seq_overflows(s), 0);
		assert_int_equal(nall, id);
		for (uint32_t i = 0; i < id; i++)
			assert_int_equal(seen[i], 1);
		for (size_t i = 1; i < nall; i++)
			assert_true(all[i - 1] <= all[i]);
		ks_seq_free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merge_runs),
	    cmocka_unit_test(test_equal_ts_stable),
	    cmocka_unit_test(test_overflow_releases),
	    cmocka_unit_test(test_random_merge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
