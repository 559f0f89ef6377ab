#include "sequencer.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "kestrel_abi.h"

/*
 * Records arrive as a few sorted runs (each ring drains in order), so release is a k-way
 * merge of runs, not a sort. A new run starts wherever a timestamp goes backwards. After a
 * release, each run keeps a sorted suffix, which is compacted into the spare buffer.
 */
#define KS_SEQ_MAX_RUNS 64

struct entry {
	uint64_t ts;
	uint32_t off;
	uint32_t len;
};

struct run {
	size_t begin, end; /* entry indices [begin, end) */
};

struct ks_seq {
	uint8_t *buf, *spare;
	size_t cap, used;
	struct entry *e, *espare;
	size_t n, ecap;
	struct run runs[KS_SEQ_MAX_RUNS];
	size_t nruns;
	uint64_t overflows;
	ks_seq_emit_fn emit;
	void *ctx;
};

struct ks_seq *ks_seq_new(size_t capacity, ks_seq_emit_fn emit, void *ctx)
{
	struct ks_seq *s = calloc(1, sizeof(*s));
	if (!s || capacity > UINT32_MAX)
		goto fail;
	s->cap = capacity;
	s->ecap = capacity / KS_HDR_SIZE;
	s->buf = malloc(capacity);
	s->spare = malloc(capacity);
	s->e = malloc(s->ecap * sizeof(struct entry));
	s->espare = malloc(s->ecap * sizeof(struct entry));
	s->emit = emit;
	s->ctx = ctx;
	if (!s->buf || !s->spare || !s->e || !s->espare)
		goto fail;
	return s;
fail:
	ks_seq_free(s);
	return NULL;
}

void ks_seq_free(struct ks_seq *s)
{
	if (!s)
		return;
	free(s->buf);
	free(s->spare);
	free(s->e);
	free(s->espare);
	free(s);
}

/* Index of the run whose head is the oldest record, or -1 when every run is empty or its
 * head is past the watermark. Ties go to the earlier run (arrival order). */
static int oldest_run(struct ks_seq *s, uint64_t watermark)
{
	int best = -1;
	uint64_t best_ts = 0;
	for (size_t r = 0; r < s->nruns; r++) {
		struct run *x = &s->runs[r];
		if (x->begin == x->end)
			continue;
		uint64_t ts = s->e[x->begin].ts;
		if (ts <= watermark && (best < 0 || ts < best_ts)) {
			best = (int)r;
			best_ts = ts;
		}
	}
	return best;
}

void ks_seq_release(struct ks_seq *s, uint64_t watermark)
{
	if (s->n == 0)
		return;
	if (s->nruns == 1) {
		/* the common case of one ordered stream: emit the prefix in place */
		struct run *x = &s->runs[0];
		while (x->begin < x->end && s->e[x->begin].ts <= watermark) {
			struct entry *en = &s->e[x->begin++];
			s->emit(s->ctx, s->buf + en->off, en->len);
		}
	} else {
		int r;
		while ((r = oldest_run(s, watermark)) >= 0) {
			struct run *x = &s->runs[r];
			/* emit this run while it stays the oldest */
			uint64_t limit = watermark;
			for (size_t o = 0; o < s->nruns; o++)
				if ((int)o != r && s->runs[o].begin < s->runs[o].end &&
				    s->e[s->runs[o].begin].ts < limit)
					limit = s->e[s->runs[o].begin].ts;
			do {
				struct entry *en = &s->e[x->begin++];
				s->emit(s->ctx, s->buf + en->off, en->len);
			} while (x->begin < x->end && s->e[x->begin].ts <= limit &&
				 (s->e[x->begin].ts < limit || limit == watermark));
		}
	}
	/* Keep what is left of each run, compacted into the spare buffers, runs in order. */
	size_t n = 0, used = 0, nruns = 0;
	for (size_t r = 0; r < s->nruns; r++) {
		struct run *x = &s->runs[r];
		if (x->begin == x->end)
			continue;
		size_t begin = n;
		for (size_t i = x->begin; i < x->end; i++) {
			struct entry en = s->e[i];
			memcpy(s->spare + used, s->buf + en.off, en.len);
			en.off = (uint32_t)used;
			used += (en.len + 7u) & ~(size_t)7u;
			s->espare[n++] = en;
		}
		s->runs[nruns++] = (struct run){begin, n};
	}
	uint8_t *b = s->buf;
	s->buf = s->spare;
	s->spare = b;
	struct entry *e = s->e;
	s->e = s->espare;
	s->espare = e;
	s->n = n;
	s->used = used;
	s->nruns = nruns;
}

void ks_seq_push(struct ks_seq *s, const void *rec, size_t len)
{
	size_t need = (len + 7u) & ~(size_t)7u;
	if (need > s->cap)
		return; /* cannot happen: records are at most KS_MAX_RECORD */
	struct ks_hdr h;
	memcpy(&h, rec, sizeof h);
	bool new_run = s->nruns == 0 || s->runs[s->nruns - 1].end == s->runs[s->nruns - 1].begin ||
		       h.ts < s->e[s->n - 1].ts;
	if (s->used + need > s->cap || s->n == s->ecap ||
	    (new_run && s->nruns == KS_SEQ_MAX_RUNS)) {
		/* full, or too disordered to merge: let everything go, in order */
		s->overflows++;
		ks_seq_release(s, UINT64_MAX);
		new_run = true;
	}
	if (new_run && (s->nruns == 0 || s->runs[s->nruns - 1].end != s->runs[s->nruns - 1].begin))
		s->runs[s->nruns++] = (struct run){s->n, s->n};
	memcpy(s->buf + s->used, rec, len);
	s->e[s->n++] = (struct entry){.ts = h.ts, .off = (uint32_t)s->used, .len = (uint32_t)len};
	s->runs[s->nruns - 1].end = s->n;
	s->used += need;
}

size_t ks_seq_held(const struct ks_seq *s)
{
	return s->n;
}

uint64_t ks_seq_overflows(const struct ks_seq *s)
{
	return s->overflows;
}
