#include "sequencer.h"

#include <stdlib.h>
#include <string.h>

#include "kestrel_abi.h"

struct entry {
	uint64_t ts;
	uint64_t seq; /* arrival order: keeps equal timestamps (and each ring) stable */
	size_t off;
	uint32_t len;
};

struct ks_seq {
	uint8_t *buf, *spare;
	size_t cap, used;
	struct entry *e, *espare;
	size_t n, ecap;
	uint64_t next_seq, overflows;
	ks_seq_emit_fn emit;
	void *ctx;
};

struct ks_seq *ks_seq_new(size_t capacity, ks_seq_emit_fn emit, void *ctx)
{
	struct ks_seq *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cap = capacity;
	s->ecap = capacity / KS_HDR_SIZE;
	s->buf = malloc(capacity);
	s->spare = malloc(capacity);
	s->e = malloc(s->ecap * sizeof(struct entry));
	s->espare = malloc(s->ecap * sizeof(struct entry));
	s->emit = emit;
	s->ctx = ctx;
	if (!s->buf || !s->spare || !s->e || !s->espare) {
		ks_seq_free(s);
		return NULL;
	}
	return s;
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

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void ks_seq_release(struct ks_seq *s, uint64_t watermark)
{
	if (s->n == 0)
		return;
	/* Each ring's run is already in order, so this sort is mostly merging runs. */
	qsort(s->e, s->n, sizeof(struct entry), cmp_entry);
	size_t k = 0;
	while (k < s->n && s->e[k].ts <= watermark) {
		s->emit(s->ctx, s->buf + s->e[k].off, s->e[k].len);
		k++;
	}
	/* Keep the rest, compacted into the spare buffer. */
	size_t used = 0;
	for (size_t i = k; i < s->n; i++) {
		struct entry *x = &s->espare[i - k];
		*x = s->e[i];
		memcpy(s->spare + used, s->buf + x->off, x->len);
		x->off = used;
		used += (x->len + 7u) & ~(size_t)7u;
	}
	uint8_t *b = s->buf;
	s->buf = s->spare;
	s->spare = b;
	struct entry *e = s->e;
	s->e = s->espare;
	s->espare = e;
	s->n -= k;
	s->used = used;
}

void ks_seq_push(struct ks_seq *s, const void *rec, size_t len)
{
	size_t need = (len + 7u) & ~(size_t)7u;
	if (need > s->cap)
		return; /* cannot happen: records are at most KS_MAX_RECORD */
	if (s->used + need > s->cap || s->n == s->ecap) {
		s->overflows++;
		ks_seq_release(s, UINT64_MAX);
	}
	struct ks_hdr h;
	memcpy(&h, rec, sizeof h);
	memcpy(s->buf + s->used, rec, len);
	s->e[s->n++] = (struct entry){.ts = h.ts, .seq = s->next_seq++, .off = s->used, .len = (uint32_t)len};
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
