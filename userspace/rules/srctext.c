/* Source positions of texts read from YAML, and the diagnostics that print them. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rules_priv.h"

static ks_rules_diag_fn diag_fn;
static void *diag_ctx;

void ks_rules_set_diag(ks_rules_diag_fn fn, void *ctx)
{
	diag_fn = fn;
	diag_ctx = ctx;
}

void ks_vdiag(bool error, const struct ks_loc *loc, const char *fmt, va_list ap)
{
	char line[1024];
	int n;
	const char *kind = error ? "error" : "warning";
	if (loc && loc->file && loc->line)
		n = snprintf(line, sizeof line, "%s:%u:%u: %s: ", loc->file->path, loc->line,
			     loc->col ? loc->col : 1, kind);
	else if (loc && loc->file)
		n = snprintf(line, sizeof line, "%s: %s: ", loc->file->path, kind);
	else
		n = snprintf(line, sizeof line, "kestrel: %s: ", kind);
	if (n < 0 || (size_t)n >= sizeof line)
		n = 0;
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	if (diag_fn)
		diag_fn(diag_ctx, line);
	else
		fprintf(stderr, "%s\n", line);
}

void ks_diag(bool error, const struct ks_loc *loc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ks_vdiag(error, loc, fmt, ap);
	va_end(ap);
}

struct ks_srcfile *ks_srcfile_new(struct ks_pool *p, const char *path, const char *buf, size_t len)
{
	struct ks_srcfile *f = ks_pool_alloc(p, sizeof(*f));
	if (!f)
		return NULL;
	f->path = ks_pool_strdup(p, path);
	f->buf = buf;
	f->len = len;
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\n';
	f->line_start = ks_pool_alloc(p, n * sizeof(size_t));
	if (!f->path || !f->line_start)
		return NULL;
	f->nlines = 0;
	f->line_start[f->nlines++] = 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] == '\n')
			f->line_start[f->nlines++] = i + 1;
	return f;
}

struct ks_loc ks_loc_at(const struct ks_srcfile *f, size_t byte)
{
	size_t lo = 0, hi = f->nlines;
	while (hi - lo > 1) { /* last line starting at or before byte */
		size_t mid = (lo + hi) / 2;
		if (f->line_start[mid] <= byte)
			lo = mid;
		else
			hi = mid;
	}
	return (struct ks_loc){f, (unsigned)lo + 1, (unsigned)(byte - f->line_start[lo]) + 1};
}

/*
 * The scalar's value differs from its source by quotes, escapes, indentation and line
 * folding, but keeps its other characters in order: walk both, skipping source characters
 * that have no counterpart in the value. Escapes may make this drift a little; the line is
 * what matters most and folding keeps it right.
 */
static size_t align(const struct ks_text *t, const struct ks_seg *sg, size_t k)
{
	const char *src = sg->at.file->buf;
	size_t n = sg->at.file->len, si = sg->src, pos = si;
	for (size_t vi = 0; vi <= k && vi < sg->len && si < n; vi++) {
		char c = t->s[sg->off + vi];
		size_t probe = si;
		/* skip a bounded run of non-matching text, to stay near the truth */
		while (probe < n && src[probe] != c && probe - si < 256)
			probe++;
		if (probe < n && src[probe] == c) {
			pos = probe;
			si = probe + 1;
		} else {
			pos = si++;
		}
	}
	return k >= sg->len ? si : pos; /* past the end: just after the last character */
}

struct ks_loc ks_text_loc(const struct ks_text *t, size_t off)
{
	if (!t || !t->nsegs)
		return (struct ks_loc){0};
	const struct ks_seg *sg = &t->segs[t->nsegs - 1];
	for (size_t i = 0; i < t->nsegs; i++)
		if (off < t->segs[i].off + t->segs[i].len || i + 1 == t->nsegs ||
		    off < t->segs[i + 1].off) {
			sg = &t->segs[i];
			break;
		}
	if (!sg->at.file || !sg->at.file->buf)
		return sg->at;
	size_t k = off > sg->off ? off - sg->off : 0;
	return ks_loc_at(sg->at.file, align(t, sg, k));
}

int ks_text_single(struct ks_pool *p, struct ks_text *t, const char *s, size_t len,
		   struct ks_loc at, size_t src)
{
	t->s = ks_pool_strndup(p, s, len);
	t->segs = ks_pool_alloc(p, sizeof(struct ks_seg));
	if (!t->s || !t->segs)
		return -ENOMEM;
	t->len = len;
	t->nsegs = 1;
	t->segs[0] = (struct ks_seg){0, len, src, at};
	return 0;
}

int ks_text_append(struct ks_pool *p, struct ks_text *t, const struct ks_text *add, const char *sep)
{
	size_t sl = strlen(sep);
	char *s = ks_pool_alloc(p, t->len + sl + add->len + 1);
	struct ks_seg *segs = ks_pool_alloc(p, (t->nsegs + add->nsegs) * sizeof(*segs));
	if (!s || !segs)
		return -ENOMEM;
	memcpy(s, t->s, t->len);
	memcpy(s + t->len, sep, sl);
	memcpy(s + t->len + sl, add->s, add->len);
	memcpy(segs, t->segs, t->nsegs * sizeof(*segs));
	for (size_t i = 0; i < add->nsegs; i++) {
		segs[t->nsegs + i] = add->segs[i];
		segs[t->nsegs + i].off += t->len + sl;
	}
	t->s = s;
	t->segs = segs;
	t->nsegs += add->nsegs;
	t->len += sl + add->len;
	return 0;
}
