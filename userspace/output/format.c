/* Output format strings: literal text interleaved with %field references. */
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct ks_format_part {
	char *literal; /* text before the field (may be empty) */
	size_t literal_len;
	struct ks_field_ref ref; /* ref.def == NULL for the trailing literal */
	char *label;		 /* "proc.aname[2]": the key in JSON output_fields */
};

struct ks_format {
	struct ks_format_part *parts;
	size_t nparts;
	size_t nfields;
};

void ks_format_free(struct ks_format *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nparts; i++) {
		free(f->parts[i].literal);
		free(f->parts[i].label);
		ks_field_ref_fini(&f->parts[i].ref);
	}
	free(f->parts);
	free(f);
}

static int add_part(struct ks_format *f, const char *lit, size_t litlen)
{
	struct ks_format_part *p = realloc(f->parts, (f->nparts + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	f->parts = p;
	p = &f->parts[f->nparts++];
	memset(p, 0, sizeof(*p));
	p->literal = strndup(lit, litlen);
	p->literal_len = litlen;
	return p->literal ? 0 : -ENOMEM;
}

int ks_format_compile(const char *text, struct ks_format **out, char *err, size_t errlen,
		      size_t *err_off)
{
	struct ks_format *f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	/* Literal runs are collected into buf so "%%" can become a single '%'. */
	size_t cap = strlen(text) + 1, n = 0;
	char *buf = malloc(cap);
	int rc = buf ? 0 : -ENOMEM;
	for (size_t i = 0; rc == 0 && text[i];) {
		if (text[i] == '%' && text[i + 1] == '%') {
			buf[n++] = '%';
			i += 2;
			continue;
		}
		if (text[i] != '%' || !(isalpha((unsigned char)text[i + 1]))) {
			buf[n++] = text[i++];
			continue;
		}
		size_t used = 0;
		struct ks_field_ref ref;
		rc = ks_field_parse(text + i + 1, &used, &ref, err, errlen);
		if (rc) {
			if (err_off)
				*err_off = i + 1;
			break;
		}
		rc = add_part(f, buf, n);
		if (rc) {
			ks_field_ref_fini(&ref);
			break;
		}
		struct ks_format_part *p = &f->parts[f->nparts - 1];
		p->ref = ref;
		p->label = strndup(text + i + 1, used);
		if (!p->label)
			rc = -ENOMEM;
		f->nfields++;
		n = 0;
		i += 1 + used;
	}
	if (rc == 0)
		rc = add_part(f, buf, n);
	free(buf);
	if (rc) {
		ks_format_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

/* Append a value list as Falco prints it: several values joined by commas. */
static size_t put_values(struct ks_event *ev, const struct ks_field_ref *ref, char *buf, size_t len)
{
	struct ks_value v[16];
	int nv = ks_field_extract(ev, ref, v, 16);
	if (nv <= 0)
		return (size_t)snprintf(buf, len, "<NA>") < len ? 4 : len - 1;
	size_t o = 0;
	for (int k = 0; k < nv && o + 1 < len; k++) {
		if (k)
			buf[o++] = ',';
		size_t at = o;
		o += ks_value_format(&v[k], buf + o, len - o);
		/* one alert per line: a newline inside a value (a script's command line) would
		 * split it */
		for (size_t i = at; i < o; i++)
			if (buf[i] == '\n' || buf[i] == '\r')
				buf[i] = ' ';
	}
	buf[o < len ? o : len - 1] = '\0';
	return o < len ? o : len - 1;
}

size_t ks_format_render(const struct ks_format *f, struct ks_event *ev, char *buf, size_t len)
{
	size_t o = 0;
	if (len == 0)
		return 0;
	buf[0] = '\0';
	for (size_t i = 0; i < f->nparts && o + 1 < len; i++) {
		const struct ks_format_part *p = &f->parts[i];
		size_t l = p->literal_len < len - 1 - o ? p->literal_len : len - 1 - o;
		memcpy(buf + o, p->literal, l);
		o += l;
		buf[o] = '\0';
		if (p->ref.def && o + 1 < len)
			o += put_values(ev, &p->ref, buf + o, len - o);
	}
	return o;
}

size_t ks_format_nfields(const struct ks_format *f)
{
	return f->nfields;
}

const struct ks_field_ref *ks_format_field(const struct ks_format *f, size_t i, const char **label)
{
	for (size_t k = 0; k < f->nparts; k++) {
		if (!f->parts[k].ref.def)
			continue;
		if (i-- == 0) {
			if (label)
				*label = f->parts[k].label;
			return &f->parts[k].ref;
		}
	}
	return NULL;
}
