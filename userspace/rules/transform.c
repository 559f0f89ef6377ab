/* Transformers: tolower(), toupper(), b64(), basename(), len(), applied to extracted values. */
#include <ctype.h>
#include <string.h>

#include "rules_priv.h"

int ks_xf_type(enum ks_xf x, enum ks_ftype in)
{
	bool str = in == KS_FT_STRING || in == KS_FT_BYTES;
	switch (x) {
	case KS_XF_TOLOWER:
	case KS_XF_TOUPPER:
	case KS_XF_BASENAME:
		return in == KS_FT_STRING ? KS_FT_STRING : -1;
	case KS_XF_B64:
		return str ? KS_FT_STRING : -1;
	case KS_XF_LEN:
		return str ? KS_FT_UINT64 : -1;
	}
	return -1;
}

static int b64v(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decode base64 into the arena; false when the input is not base64 (then: no value). */
static bool b64_decode(struct ks_event *ev, struct ks_value *v)
{
	const unsigned char *s = (const unsigned char *)v->s.p;
	size_t n = v->s.len;
	while (n && s[n - 1] == '=')
		n--;
	char *out = ks_arena_alloc(ev->arena, n * 3 / 4 + 1);
	if (!out)
		return false;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int d = b64v(s[i]);
		if (d < 0)
			return false;
		acc = acc << 6 | (uint32_t)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)(acc >> bits);
		}
	}
	out[o] = '\0';
	v->type = KS_FT_STRING;
	v->s.p = out;
	v->s.len = (uint32_t)o;
	return true;
}

static bool apply1(enum ks_xf x, struct ks_event *ev, struct ks_value *v)
{
	if (v->type != KS_FT_STRING && v->type != KS_FT_BYTES)
		return false;
	const char *s = v->s.p ? v->s.p : "";
	uint32_t n = v->s.p ? v->s.len : 0;
	switch (x) {
	case KS_XF_TOLOWER:
	case KS_XF_TOUPPER: {
		if (!ev->arena)
			return false;
		char *o = ks_arena_alloc(ev->arena, n + 1);
		if (!o)
			return false;
		for (uint32_t i = 0; i < n; i++)
			o[i] = (char)(x == KS_XF_TOLOWER ? tolower((unsigned char)s[i])
							 : toupper((unsigned char)s[i]));
		o[n] = '\0';
		v->s.p = o;
		return true;
	}
	case KS_XF_BASENAME: {
		/* Falco: the part after the last '/'; "" for a path ending in '/' */
		const char *slash = memrchr(s, '/', n);
		if (slash) {
			v->s.len = (uint32_t)(n - (size_t)(slash + 1 - s));
			v->s.p = slash + 1;
		}
		return true;
	}
	case KS_XF_B64:
		return ev->arena && b64_decode(ev, v);
	case KS_XF_LEN:
		v->type = KS_FT_UINT64;
		v->u = n;
		return true;
	}
	return false;
}

int ks_xf_apply(const struct ks_fx *fx, struct ks_event *ev, struct ks_value *vals, int n)
{
	for (unsigned k = 0; k < fx->nxf; k++) {
		if (fx->xf[k] == KS_XF_LEN && k == 0 && fx->list) {
			/* len() of a list field is its number of values */
			vals[0].type = KS_FT_UINT64;
			vals[0].u = (uint64_t)n;
			n = 1;
			continue;
		}
		int out = 0;
		for (int i = 0; i < n; i++)
			if (apply1((enum ks_xf)fx->xf[k], ev, &vals[i]))
				vals[out++] = vals[i];
		n = out;
	}
	return n;
}
