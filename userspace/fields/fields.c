/* The field registry: lookup, reference parsing, listing, value rendering. */
#include "fields.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Every family's table; each is defined in its fields_<family>.c. */
extern const struct ks_field_table ks_fields_evt, ks_fields_proc, ks_fields_user, ks_fields_fd,
    ks_fields_container;

static const struct ks_field_table *const tables[] = {
    &ks_fields_evt, &ks_fields_proc, &ks_fields_user, &ks_fields_fd, &ks_fields_container,
};

const struct ks_field_def *ks_field_find(const char *name, size_t len)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < tables[t]->n; i++) {
			const struct ks_field_def *d = &tables[t]->defs[i];
			if (strlen(d->name) == len && memcmp(d->name, name, len) == 0)
				return d;
		}
	return NULL;
}

static bool is_field_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.';
}

int ks_field_parse(const char *text, size_t *consumed, struct ks_field_ref *ref, char *err,
		   size_t errlen)
{
	memset(ref, 0, sizeof(*ref));
	size_t n = 0;
	while (is_field_char(text[n]))
		n++;
	while (n && text[n - 1] == '.') /* "proc.name." at the end of a sentence */
		n--;
	if (n == 0) {
		snprintf(err, errlen, "expected a field name");
		return -EINVAL;
	}
	const struct ks_field_def *d = ks_field_find(text, n);
	size_t keylen = 0;
	const char *key = NULL;
	if (!d) {
		/* "evt.arg.name": a keyed field followed by .key */
		for (size_t dot = n; dot-- > 0;) {
			if (text[dot] != '.')
				continue;
			const struct ks_field_def *b = ks_field_find(text, dot);
			if (b && (b->flags & (KS_FF_KEY_ALLOWED | KS_FF_KEY_REQUIRED))) {
				d = b;
				key = text + dot + 1;
				keylen = n - dot - 1;
				break;
			}
		}
		if (!d) {
			snprintf(err, errlen, "unknown field '%.*s'", (int)n, text);
			return -ENOENT;
		}
	}
	ref->def = d;
	size_t end = n;
	if (!key && text[n] == '[') {
		const char *close = strchr(text + n + 1, ']');
		if (!close) {
			snprintf(err, errlen, "missing ']' after field '%s['", d->name);
			return -EINVAL;
		}
		key = text + n + 1;
		keylen = (size_t)(close - key);
		end = (size_t)(close - text) + 1;
	}
	if (key) {
		if (!(d->flags & (KS_FF_IDX_ALLOWED | KS_FF_IDX_REQUIRED | KS_FF_KEY_ALLOWED |
				  KS_FF_KEY_REQUIRED))) {
			snprintf(err, errlen, "field '%s' takes no argument", d->name);
			return -EINVAL;
		}
		ref->has_arg = true;
		ref->argstr = strndup(key, keylen);
		if (!ref->argstr)
			return -ENOMEM;
		char *endp;
		long long v = strtoll(ref->argstr, &endp, 10);
		if (keylen && *endp == '\0')
			ref->argnum = v;
		else if (d->flags & (KS_FF_IDX_ALLOWED | KS_FF_IDX_REQUIRED) &&
			 !(d->flags & (KS_FF_KEY_ALLOWED | KS_FF_KEY_REQUIRED))) {
			snprintf(err, errlen, "field '%s' needs a numeric index, got '%s'", d->name,
				 ref->argstr);
			ks_field_ref_fini(ref);
			return -EINVAL;
		} else
			ref->argnum = -1;
	} else if (d->flags & (KS_FF_IDX_REQUIRED | KS_FF_KEY_REQUIRED)) {
		snprintf(err, errlen, "field '%s' needs an argument, as in %s[...]", d->name,
			 d->name);
		return -EINVAL;
	}
	*consumed = end;
	return 0;
}

void ks_field_ref_fini(struct ks_field_ref *ref)
{
	free((char *)ref->argstr);
	ref->argstr = NULL;
}

static const char *type_name(enum ks_ftype t)
{
	static const char *const names[] = {"CHARBUF", "INT64", "UINT64",  "BOOL",    "IPADDR",
					    "IPNET",   "PORT",	"RELTIME", "ABSTIME", "BYTEBUF"};
	return (unsigned)t < sizeof(names) / sizeof(names[0]) ? names[t] : "?";
}

void ks_fields_list(FILE *f)
{
	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++)
		for (size_t i = 0; i < tables[t]->n; i++) {
			const struct ks_field_def *d = &tables[t]->defs[i];
			const char *arg =
			    d->flags & (KS_FF_IDX_REQUIRED | KS_FF_KEY_REQUIRED) ? "[arg]"
			    : d->flags & (KS_FF_IDX_ALLOWED | KS_FF_KEY_ALLOWED) ? "[(arg)]"
										 : "";
			fprintf(f, "%s%-*s %-8s %s%s\n", d->name, (int)(34 - strlen(d->name)), arg,
				type_name(d->type), d->desc,
				d->flags & KS_FF_NA_ALWAYS ? " (not extracted by Kestrel yet: <NA>)"
							   : "");
		}
}

int ks_field_extract(struct ks_event *ev, const struct ks_field_ref *ref, struct ks_value *out,
		     size_t max)
{
	if (!ref->def || !ref->def->extract || max == 0)
		return 0;
	return ref->def->extract(ev, ref, out, max);
}

size_t ks_value_format(const struct ks_value *v, char *buf, size_t len)
{
	int n = 0;
	if (len == 0)
		return 0;
	switch (v->type) {
	case KS_FT_STRING:
	case KS_FT_BYTES:
		n = snprintf(buf, len, "%.*s", (int)v->s.len, v->s.p ? v->s.p : "");
		break;
	case KS_FT_INT64:
		n = snprintf(buf, len, "%" PRId64, v->i);
		break;
	case KS_FT_UINT64:
	case KS_FT_PORT:
	case KS_FT_RELTIME:
	case KS_FT_ABSTIME:
		n = snprintf(buf, len, "%" PRIu64, v->u);
		break;
	case KS_FT_BOOL:
		n = snprintf(buf, len, "%s", v->b ? "true" : "false");
		break;
	case KS_FT_IPADDR:
	case KS_FT_IPNET: {
		char a[INET6_ADDRSTRLEN] = "";
		inet_ntop(v->ip.family == KS_AF_INET6 ? AF_INET6 : AF_INET, v->ip.addr, a,
			  sizeof a);
		n = v->type == KS_FT_IPNET ? snprintf(buf, len, "%s/%u", a, v->ip.prefix)
					   : snprintf(buf, len, "%s", a);
		break;
	}
	}
	if (n < 0)
		n = 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

int ks_value_str(struct ks_value *out, const char *s)
{
	if (!s)
		return 0;
	out->type = KS_FT_STRING;
	out->s.p = s;
	out->s.len = (uint32_t)strlen(s);
	return 1;
}

int ks_value_i64(struct ks_value *out, int64_t v)
{
	out->type = KS_FT_INT64;
	out->i = v;
	return 1;
}

int ks_value_u64(struct ks_value *out, enum ks_ftype t, uint64_t v)
{
	out->type = t;
	out->u = v;
	return 1;
}

int ks_value_bool(struct ks_value *out, bool v)
{
	out->type = KS_FT_BOOL;
	out->b = v;
	return 1;
}
