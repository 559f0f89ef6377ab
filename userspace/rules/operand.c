/*
 * Operators: their names, right-hand operands parsed once at load into every typed form
 * they have, and the comparison of one extracted value with one operand.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rules_priv.h"

static const char *const op_names[] = {
    [KS_OP_EQ] = "=",
    [KS_OP_NE] = "!=",
    [KS_OP_LT] = "<",
    [KS_OP_LE] = "<=",
    [KS_OP_GT] = ">",
    [KS_OP_GE] = ">=",
    [KS_OP_CONTAINS] = "contains",
    [KS_OP_ICONTAINS] = "icontains",
    [KS_OP_BCONTAINS] = "bcontains",
    [KS_OP_STARTSWITH] = "startswith",
    [KS_OP_BSTARTSWITH] = "bstartswith",
    [KS_OP_ENDSWITH] = "endswith",
    [KS_OP_GLOB] = "glob",
    [KS_OP_IGLOB] = "iglob",
    [KS_OP_REGEX] = "regex",
    [KS_OP_IN] = "in",
    [KS_OP_INTERSECTS] = "intersects",
    [KS_OP_PMATCH] = "pmatch",
    [KS_OP_EXISTS] = "exists",
};

const char *ks_op_name(enum ks_op op)
{
	return (unsigned)op < sizeof(op_names) / sizeof(op_names[0]) ? op_names[op] : "?";
}

int ks_op_parse(const char *s, size_t len)
{
	if (len == 2 && memcmp(s, "==", 2) == 0)
		return KS_OP_EQ;
	for (unsigned i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
		if (strlen(op_names[i]) == len && memcmp(op_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

bool ks_op_is_list(enum ks_op op)
{
	return op == KS_OP_IN || op == KS_OP_INTERSECTS || op == KS_OP_PMATCH;
}

static const char *const xf_names[] = {
    [KS_XF_TOLOWER] = "tolower",   [KS_XF_TOUPPER] = "toupper", [KS_XF_B64] = "b64",
    [KS_XF_BASENAME] = "basename", [KS_XF_LEN] = "len",
};

int ks_xf_parse(const char *s, size_t len)
{
	for (unsigned i = 0; i < sizeof(xf_names) / sizeof(xf_names[0]); i++)
		if (strlen(xf_names[i]) == len && memcmp(xf_names[i], s, len) == 0)
			return (int)i;
	return -1;
}

const char *ks_xf_name(enum ks_xf x)
{
	return (unsigned)x < sizeof(xf_names) / sizeof(xf_names[0]) ? xf_names[x] : "?";
}

/* Decimal (or 0x hex) integer, optionally negative; the whole string must be the number. */
static bool parse_int(const char *s, struct ks_operand *o)
{
	const char *p = s;
	bool neg = false;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (!isdigit((unsigned char)*p))
		return false;
	int base = p[0] == '0' && (p[1] == 'x' || p[1] == 'X') ? 16 : 10;
	char *end;
	errno = 0;
	unsigned long long u = strtoull(p, &end, base);
	if (*end || errno == ERANGE)
		return false;
	if (neg) {
		if (u > (unsigned long long)INT64_MAX + 1)
			return false;
		o->neg = u != 0;
		o->i = u == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		o->u = 0;
	} else {
		o->u = u;
		o->i = u > INT64_MAX ? INT64_MAX : (int64_t)u;
	}
	return true;
}

static bool parse_ip(const char *s, struct ks_ip *ip)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	if (n >= sizeof buf)
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	memset(ip, 0, sizeof(*ip));
	unsigned max;
	if (inet_pton(AF_INET, buf, ip->addr) == 1) {
		ip->family = KS_AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, ip->addr) == 1) {
		ip->family = KS_AF_INET6;
		max = 128;
	} else {
		return false;
	}
	ip->prefix = (uint8_t)max;
	if (slash) {
		char *end;
		unsigned long p = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || p > max)
			return false;
		ip->prefix = (uint8_t)p;
	}
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void free_regex(void *re)
{
	regfree(re);
}

int ks_operand_init(struct ks_pool *p, struct ks_operand *o, const char *s, enum ks_op op,
		    enum ks_ftype ft, char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->len = (uint32_t)strlen(s);
	if (!(o->s = ks_pool_strndup(p, s, o->len))) /* the text outlives the load */
		return -ENOMEM;
	o->has_int = parse_int(s, o);
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "false") == 0) {
		o->has_bool = true;
		o->b = strcasecmp(s, "true") == 0;
	}
	o->has_ip = parse_ip(s, &o->ip);
	switch (ft) {
	case KS_FT_INT64:
	case KS_FT_UINT64:
	case KS_FT_PORT:
	case KS_FT_RELTIME:
	case KS_FT_ABSTIME:
		if (!o->has_int) {
			snprintf(err, errlen, "'%s' is not a valid number", s);
			return -EINVAL;
		}
		if (o->neg && ft != KS_FT_INT64) {
			snprintf(err, errlen, "'%s' is negative, the field is unsigned", s);
			return -EINVAL;
		}
		break;
	case KS_FT_BOOL:
		if (!o->has_bool) {
			snprintf(err, errlen, "'%s' is not a valid boolean (true or false)", s);
			return -EINVAL;
		}
		break;
	case KS_FT_IPADDR:
	case KS_FT_IPNET:
		if (!o->has_ip) {
			snprintf(err, errlen, "'%s' is not a valid IP address or network", s);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	if (op == KS_OP_BCONTAINS || op == KS_OP_BSTARTSWITH) {
		/* Falco's byte operators take the bytes as hex: bcontains 2f6574632f */
		if (o->len % 2) {
			snprintf(err, errlen, "'%s' is not a hex byte string (odd length)", s);
			return -EINVAL;
		}
		char *b = ks_pool_alloc(p, o->len / 2 + 1);
		if (!b)
			return -ENOMEM;
		for (uint32_t i = 0; i < o->len; i += 2) {
			int hi = hexval(s[i]), lo = hexval(s[i + 1]);
			if (hi < 0 || lo < 0) {
				snprintf(err, errlen, "'%s' is not a hex byte string", s);
				return -EINVAL;
			}
			b[i / 2] = (char)(hi << 4 | lo);
		}
		o->s = b;
		o->len /= 2;
	}
	if (op == KS_OP_REGEX) {
		/* Falco matches the whole value (RE2 anchored at both ends) */
		size_t n = o->len + 8;
		char *pat = ks_pool_alloc(p, n);
		o->re = ks_pool_alloc(p, sizeof(regex_t));
		if (!pat || !o->re)
			return -ENOMEM;
		snprintf(pat, n, "^(%s)$", s);
		int rc = regcomp(o->re, pat, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char m[128];
			regerror(rc, o->re, m, sizeof m);
			snprintf(err, errlen, "invalid regex '%s': %s", s, m);
			o->re = NULL;
			return -EINVAL;
		}
		if (ks_pool_defer(p, free_regex, o->re)) {
			regfree(o->re);
			return -ENOMEM;
		}
	}
	return 0;
}

static bool ci_contains(const char *h, size_t hl, const char *n, size_t nl)
{
	if (nl == 0)
		return true;
	for (size_t i = 0; i + nl <= hl; i++)
		if (strncasecmp(h + i, n, nl) == 0)
			return true;
	return false;
}

/* Path prefix on component boundaries: /etc matches /etc and /etc/passwd, not /etcd. */
static bool path_prefix(const char *v, size_t vl, const char *p, size_t pl)
{
	while (pl > 1 && p[pl - 1] == '/')
		pl--;
	if (pl == 1 && p[0] == '/')
		return vl > 0 && v[0] == '/';
	if (vl < pl || memcmp(v, p, pl) != 0)
		return false;
	return vl == pl || v[pl] == '/';
}

static bool str_cmp(enum ks_op op, const char *v, size_t vl, const struct ks_operand *o)
{
	char tmp[4096];
	int c;
	switch (op) {
	case KS_OP_EQ:
	case KS_OP_IN:
	case KS_OP_INTERSECTS:
		return vl == o->len && memcmp(v, o->s, vl) == 0;
	case KS_OP_NE:
		return !(vl == o->len && memcmp(v, o->s, vl) == 0);
	case KS_OP_LT:
	case KS_OP_LE:
	case KS_OP_GT:
	case KS_OP_GE:
		c = memcmp(v, o->s, vl < o->len ? vl : o->len);
		if (c == 0)
			c = vl < o->len ? -1 : vl > o->len;
		return op == KS_OP_LT	? c < 0
		       : op == KS_OP_LE ? c <= 0
		       : op == KS_OP_GT ? c > 0
					: c >= 0;
	case KS_OP_CONTAINS:
	case KS_OP_BCONTAINS:
		return o->len == 0 || memmem(v, vl, o->s, o->len) != NULL;
	case KS_OP_ICONTAINS:
		return ci_contains(v, vl, o->s, o->len);
	case KS_OP_STARTSWITH:
	case KS_OP_BSTARTSWITH:
		return vl >= o->len && memcmp(v, o->s, o->len) == 0;
	case KS_OP_ENDSWITH:
		return vl >= o->len && memcmp(v + vl - o->len, o->s, o->len) == 0;
	case KS_OP_PMATCH:
		return path_prefix(v, vl, o->s, o->len);
	case KS_OP_GLOB:
	case KS_OP_IGLOB:
	case KS_OP_REGEX:
		/* these need a NUL-terminated subject; values longer than tmp cannot match */
		if (vl >= sizeof tmp)
			return false;
		memcpy(tmp, v, vl);
		tmp[vl] = '\0';
		if (op == KS_OP_REGEX)
			return o->re && regexec(o->re, tmp, 0, NULL, 0) == 0;
		return fnmatch(o->s, tmp, FNM_NOESCAPE | (op == KS_OP_IGLOB ? FNM_CASEFOLD : 0)) ==
		       0;
	case KS_OP_EXISTS:
		return true;
	}
	return false;
}

static bool num_cmp(enum ks_op op, __int128 a, __int128 b)
{
	switch (op) {
	case KS_OP_EQ:
	case KS_OP_IN:
	case KS_OP_INTERSECTS:
		return a == b;
	case KS_OP_NE:
		return a != b;
	case KS_OP_LT:
		return a < b;
	case KS_OP_LE:
		return a <= b;
	case KS_OP_GT:
		return a > b;
	case KS_OP_GE:
		return a >= b;
	default:
		return false;
	}
}

static bool ip_match(const struct ks_ip *v, const struct ks_ip *net)
{
	if (v->family != net->family)
		return false;
	unsigned bits = net->prefix, full = bits / 8, rest = bits % 8;
	if (memcmp(v->addr, net->addr, full) != 0)
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		return (v->addr[full] & mask) == (net->addr[full] & mask);
	}
	return true;
}

static bool is_eq_op(enum ks_op op)
{
	return op == KS_OP_EQ || op == KS_OP_NE || op == KS_OP_IN || op == KS_OP_INTERSECTS;
}

bool ks_value_cmp(enum ks_op op, const struct ks_value *v, const struct ks_operand *o)
{
	char buf[128];
	size_t n;
	switch (v->type) {
	case KS_FT_STRING:
	case KS_FT_BYTES:
		return str_cmp(op, v->s.p ? v->s.p : "", v->s.p ? v->s.len : 0, o);
	case KS_FT_INT64:
		if (o->has_int && (op <= KS_OP_GE || is_eq_op(op)))
			return num_cmp(op, v->i, o->neg ? (__int128)o->i : (__int128)o->u);
		break;
	case KS_FT_UINT64:
	case KS_FT_PORT:
	case KS_FT_RELTIME:
	case KS_FT_ABSTIME:
		if (o->has_int && (op <= KS_OP_GE || is_eq_op(op)))
			return num_cmp(op, v->u, o->neg ? (__int128)o->i : (__int128)o->u);
		break;
	case KS_FT_BOOL:
		if (o->has_bool && is_eq_op(op))
			return (v->b == o->b) == (op != KS_OP_NE);
		if (o->has_int && is_eq_op(op))
			return ((uint64_t)v->b == o->u) == (op != KS_OP_NE);
		break;
	case KS_FT_IPADDR:
	case KS_FT_IPNET:
		if (o->has_ip && is_eq_op(op))
			return ip_match(&v->ip, &o->ip) == (op != KS_OP_NE);
		break;
	}
	/* a value compared with an operand of another kind: compare their texts */
	n = ks_value_format(v, buf, sizeof buf);
	return str_cmp(op, buf, n, o);
}

bool ks_values_cmp2(enum ks_op op, const struct ks_value *a, const struct ks_value *b)
{
	struct ks_operand o = {0};
	char buf[128];
	if (b->type == KS_FT_STRING || b->type == KS_FT_BYTES) {
		o.s = b->s.p ? b->s.p : "";
		o.len = b->s.p ? b->s.len : 0;
		if (b->type == KS_FT_STRING)
			o.has_int = parse_int(o.s, &o);
		return ks_value_cmp(op, a, &o);
	}
	ks_value_format(b, buf, sizeof buf);
	o.s = buf;
	o.len = (uint32_t)strlen(buf);
	switch (b->type) {
	case KS_FT_INT64:
		o.has_int = true;
		o.neg = b->i < 0;
		o.i = b->i;
		o.u = b->i < 0 ? 0 : (uint64_t)b->i;
		break;
	case KS_FT_BOOL:
		o.has_bool = true;
		o.b = b->b;
		break;
	case KS_FT_IPADDR:
	case KS_FT_IPNET:
		o.has_ip = true;
		o.ip = b->ip;
		if (b->type == KS_FT_IPADDR)
			o.ip.prefix = b->ip.family == KS_AF_INET6 ? 128 : 32;
		break;
	default:
		o.has_int = true;
		o.u = b->u;
		o.i = b->u > INT64_MAX ? INT64_MAX : (int64_t)b->u;
		break;
	}
	return ks_value_cmp(op, a, &o);
}

/* ---- a hash set of operand strings, for `in` over long lists ---- */
struct ks_strset {
	uint32_t mask;
	const struct ks_operand **slot;
};

static uint32_t hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

struct ks_strset *ks_strset_new(struct ks_pool *p, const struct ks_operand *vals, size_t n)
{
	struct ks_strset *s = ks_pool_alloc(p, sizeof(*s));
	uint32_t cap = 16;
	while (cap < 2 * n)
		cap *= 2;
	if (!s || !(s->slot = ks_pool_alloc(p, cap * sizeof(*s->slot))))
		return NULL;
	s->mask = cap - 1;
	for (size_t i = 0; i < n; i++) {
		uint32_t h = hash(vals[i].s, vals[i].len) & s->mask;
		while (s->slot[h])
			h = (h + 1) & s->mask;
		s->slot[h] = &vals[i];
	}
	return s;
}

bool ks_strset_has(const struct ks_strset *s, const char *str, size_t len)
{
	for (uint32_t h = hash(str, len) & s->mask; s->slot[h]; h = (h + 1) & s->mask)
		if (s->slot[h]->len == len && memcmp(s->slot[h]->s, str, len) == 0)
			return true;
	return false;
}
