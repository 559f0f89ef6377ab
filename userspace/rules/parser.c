/*
 * The condition language: a hand-written lexer and recursive-descent parser with Falco's
 * grammar and precedence (`not` binds tighter than `and`, which binds tighter than `or`).
 *
 *   expr    := and ('or' and)*
 *   and     := not ('and' not)*
 *   not     := 'not' not | '(' expr ')' | check | macro
 *   check   := fexpr 'exists' | fexpr binop value | fexpr listop list
 *   fexpr   := field | xf '(' fexpr ')'
 *   value   := quoted | bare | val '(' field ')' | xf '(' ... ')'
 *   list    := '(' [item (',' item)*] ')'
 *
 * Nesting (parentheses and `not`) is bounded by KS_MAX_DEPTH so a hostile condition is an
 * error, never a stack overflow.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "rules_priv.h"

struct parser {
	struct ks_pool *p;
	const struct ks_text *t;
	const char *s;
	size_t len, pos;
	unsigned depth;
	int err;
};

static void perr(struct parser *ps, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr(struct parser *ps, size_t off, const char *fmt, ...)
{
	if (ps->err)
		return; /* the first error is the one that makes sense */
	struct ks_loc loc = ks_text_loc(ps->t, off);
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ks_diag(true, &loc, "%s", msg);
	ps->err = -EINVAL;
}

static void oom(struct parser *ps)
{
	if (!ps->err) {
		ks_diag(true, NULL, "out of memory parsing a condition");
		ps->err = -ENOMEM;
	}
}

static void skip_ws(struct parser *ps)
{
	while (ps->pos < ps->len && isspace((unsigned char)ps->s[ps->pos]))
		ps->pos++;
}

static bool is_word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Length of the identifier-like word at pos ([A-Za-z_][A-Za-z0-9_]*), 0 if none. */
static size_t word_len(const struct parser *ps, size_t pos)
{
	size_t n = 0;
	if (pos >= ps->len || !(isalpha((unsigned char)ps->s[pos]) || ps->s[pos] == '_'))
		return 0;
	while (pos + n < ps->len && is_word_char(ps->s[pos + n]))
		n++;
	return n;
}

/* Is the keyword kw at pos, as a whole word? */
static bool at_keyword(const struct parser *ps, const char *kw)
{
	size_t n = strlen(kw);
	if (ps->len - ps->pos < n || memcmp(ps->s + ps->pos, kw, n) != 0)
		return false;
	char next = ps->pos + n < ps->len ? ps->s[ps->pos + n] : ' ';
	return !is_word_char(next) && next != '.';
}

size_t ks_lex_quoted(const char *s, size_t len, char *out, size_t *outlen)
{
	char q = s[0];
	size_t i = 1, o = 0;
	while (i < len && s[i] != q) {
		char c = s[i];
		if (c == '\\' && i + 1 < len) {
			char e = s[i + 1];
			i += 2;
			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case 'b':
				c = '\b';
				break;
			case 'f':
				c = '\f';
				break;
			case '\\':
			case '"':
			case '\'':
				c = e;
				break;
			default: /* keep unknown escapes: regex and glob patterns use them */
				if (out)
					out[o] = '\\';
				o++;
				c = e;
				break;
			}
		} else {
			i++;
		}
		if (out)
			out[o] = c;
		o++;
	}
	if (i >= len)
		return 0; /* unterminated */
	if (outlen)
		*outlen = o;
	return i + 1;
}

/* A quoted string at pos; returns it unescaped or NULL (error reported). */
static const char *lex_quoted(struct parser *ps)
{
	size_t start = ps->pos, olen;
	size_t n = ks_lex_quoted(ps->s + start, ps->len - start, NULL, &olen);
	if (!n) {
		perr(ps, start, "unterminated string starting with %c", ps->s[start]);
		return NULL;
	}
	char *out = ks_pool_alloc(ps->p, olen + 1);
	if (!out) {
		oom(ps);
		return NULL;
	}
	ks_lex_quoted(ps->s + start, ps->len - start, out, &olen);
	ps->pos += n;
	return out;
}

static bool bare_stop(char c, bool in_list)
{
	return isspace((unsigned char)c) || c == '(' || c == ')' || c == ',' || c == '"' ||
	       c == '\'' || (!in_list && c == '=');
}

/* A bare or quoted value; NULL with ps->err set on error, "" never (missing is an error). */
static const char *lex_value(struct parser *ps, bool in_list, const char *after)
{
	if (ps->pos < ps->len && (ps->s[ps->pos] == '"' || ps->s[ps->pos] == '\''))
		return lex_quoted(ps);
	size_t start = ps->pos;
	while (ps->pos < ps->len && !bare_stop(ps->s[ps->pos], in_list))
		ps->pos++;
	if (ps->pos == start) {
		if (start >= ps->len)
			perr(ps, start, "missing value after '%s'", after);
		else
			perr(ps, start, "expected a value after '%s', found '%c'", after,
			     ps->s[start]);
		return NULL;
	}
	const char *v = ks_pool_strndup(ps->p, ps->s + start, ps->pos - start);
	if (!v)
		oom(ps);
	return v;
}

/* A field name with an optional [arg]: proc.aname[2], evt.arg.flags, proc.env["HOME"]. */
static bool lex_field_name(struct parser *ps, struct ks_afield *f)
{
	size_t start = ps->pos, n = word_len(ps, start);
	if (!n) {
		perr(ps, start, "expected a field name");
		return false;
	}
	size_t end = start + n;
	while (end < ps->len && (is_word_char(ps->s[end]) || ps->s[end] == '.'))
		end++;
	char buf[512];
	size_t bl = end - start;
	if (bl >= sizeof buf - 8) {
		perr(ps, start, "field name too long");
		return false;
	}
	memcpy(buf, ps->s + start, bl);
	if (end < ps->len && ps->s[end] == '[') {
		size_t a = end + 1;
		buf[bl++] = '[';
		if (a < ps->len && (ps->s[a] == '"' || ps->s[a] == '\'')) {
			char arg[256];
			size_t alen;
			size_t q = ks_lex_quoted(ps->s + a, ps->len - a, NULL, &alen);
			if (!q || alen >= sizeof arg || bl + alen + 2 >= sizeof buf) {
				perr(ps, a, "bad quoted argument of field '%.*s'",
				     (int)(end - start), ps->s + start);
				return false;
			}
			ks_lex_quoted(ps->s + a, ps->len - a, buf + bl, &alen);
			bl += alen;
			a += q;
		} else {
			while (a < ps->len && ps->s[a] != ']' &&
			       !isspace((unsigned char)ps->s[a]) && bl < sizeof buf - 2)
				buf[bl++] = ps->s[a++];
		}
		if (a >= ps->len || ps->s[a] != ']') {
			perr(ps, a, "missing ']' after the argument of field '%.*s'",
			     (int)(end - start), ps->s + start);
			return false;
		}
		buf[bl++] = ']';
		end = a + 1;
	}
	f->name = ks_pool_strndup(ps->p, buf, bl);
	if (!f->name) {
		oom(ps);
		return false;
	}
	f->off = start;
	ps->pos = end;
	return true;
}

/* fexpr := field | xf '(' fexpr ')'; with rhs, val(field) is the innermost form. */
static bool parse_fexpr(struct parser *ps, struct ks_afield *f, bool rhs)
{
	size_t start = ps->pos, n = word_len(ps, start);
	if (n && start + n < ps->len && ps->s[start + n] == '(') {
		int x = ks_xf_parse(ps->s + start, n);
		bool is_val = rhs && n == 3 && memcmp(ps->s + start, "val", 3) == 0;
		if (x < 0 && !is_val) {
			perr(ps, start, "unknown transformer '%.*s'", (int)n, ps->s + start);
			return false;
		}
		if (++ps->depth > KS_MAX_DEPTH) {
			perr(ps, start, "condition exceeds the maximum nesting depth of %d",
			     KS_MAX_DEPTH);
			return false;
		}
		ps->pos = start + n + 1;
		skip_ws(ps);
		if (!parse_fexpr(ps, f, rhs && !is_val))
			return false;
		skip_ws(ps);
		if (ps->pos >= ps->len || ps->s[ps->pos] != ')') {
			perr(ps, ps->pos, "missing ')' after the argument of '%.*s('", (int)n,
			     ps->s + start);
			return false;
		}
		ps->pos++;
		ps->depth--;
		if (x >= 0) {
			if (f->nxf >= KS_MAX_XF) {
				perr(ps, start, "too many transformers");
				return false;
			}
			f->xf[f->nxf++] = (uint8_t)x;
		}
		return true;
	}
	if (rhs) {
		perr(ps, start, "expected val(field) in a right-hand side transformer");
		return false;
	}
	return lex_field_name(ps, f);
}

static struct ks_ast *new_node(struct parser *ps, enum ks_ast_kind k, size_t off)
{
	struct ks_ast *a = ks_pool_alloc(ps->p, sizeof(*a));
	if (!a) {
		oom(ps);
		return NULL;
	}
	a->kind = k;
	a->src = ps->t;
	a->off = off;
	return a;
}

static bool parse_list(struct parser *ps, struct ks_ast *a, const char *opname)
{
	struct ks_vec vals = {0}, offs = {0};
	skip_ws(ps);
	if (ps->pos < ps->len && ps->s[ps->pos] != '(') {
		/* a bare list name: proc.name in my_list */
		size_t n = word_len(ps, ps->pos);
		if (!n) {
			perr(ps, ps->pos, "expected '(' after '%s'", opname);
			return false;
		}
		a->vals = ks_pool_alloc(ps->p, sizeof(char *));
		a->voffs = ks_pool_alloc(ps->p, sizeof(size_t));
		if (!a->vals || !a->voffs ||
		    !(a->vals[0] = ks_pool_strndup(ps->p, ps->s + ps->pos, n))) {
			oom(ps);
			return false;
		}
		a->voffs[0] = ps->pos;
		a->nvals = 1;
		ps->pos += n;
		return true;
	}
	if (ps->pos >= ps->len) {
		perr(ps, ps->pos, "missing list after '%s'", opname);
		return false;
	}
	size_t open = ps->pos++;
	skip_ws(ps);
	if (ps->pos < ps->len && ps->s[ps->pos] == ')') {
		ps->pos++;
		return true; /* an empty list matches nothing */
	}
	for (;;) {
		skip_ws(ps);
		size_t at = ps->pos;
		const char *v = lex_value(ps, true, vals.n ? "," : "(");
		if (!v)
			return false;
		if (ks_vec_push(ps->p, &vals, (void *)v) || ks_vec_push(ps->p, &offs, (void *)at)) {
			oom(ps);
			return false;
		}
		skip_ws(ps);
		if (ps->pos < ps->len && ps->s[ps->pos] == ',') {
			ps->pos++;
			continue;
		}
		if (ps->pos < ps->len && ps->s[ps->pos] == ')') {
			ps->pos++;
			break;
		}
		perr(ps, ps->pos < ps->len ? ps->pos : open,
		     "expected ',' or ')' in the list opened here (unbalanced parenthesis)");
		return false;
	}
	a->nvals = vals.n;
	a->vals = (const char **)vals.v;
	a->voffs = ks_pool_alloc(ps->p, vals.n * sizeof(size_t));
	if (!a->voffs) {
		oom(ps);
		return false;
	}
	for (size_t i = 0; i < vals.n; i++)
		a->voffs[i] = (size_t)offs.v[i];
	return true;
}

static struct ks_ast *parse_check(struct parser *ps)
{
	size_t start = ps->pos, n = word_len(ps, start);
	if (!n) {
		if (start >= ps->len)
			perr(ps, start,
			     "unexpected end of condition: expected a field, a macro or '('");
		else
			perr(ps, start, "unexpected '%c': expected a field, a macro or '('",
			     ps->s[start]);
		return NULL;
	}
	char next = start + n < ps->len ? ps->s[start + n] : ' ';
	if (next != '.' && next != '(' && next != '[') {
		struct ks_ast *a = new_node(ps, KS_A_MACRO, start);
		if (a && !(a->ident = ks_pool_strndup(ps->p, ps->s + start, n)))
			oom(ps);
		ps->pos = start + n;
		return ps->err ? NULL : a;
	}
	struct ks_ast *a = new_node(ps, KS_A_CHECK, start);
	if (!a || !parse_fexpr(ps, &a->lhs, false))
		return NULL;
	skip_ws(ps);
	size_t opos = ps->pos;
	const char *sym[] = {"==", "!=", "<=", ">=", "=", "<", ">"};
	int op = -1;
	size_t oplen = 0;
	for (unsigned i = 0; i < sizeof(sym) / sizeof(sym[0]) && op < 0; i++) {
		size_t l = strlen(sym[i]);
		if (ps->len - opos >= l && memcmp(ps->s + opos, sym[i], l) == 0) {
			op = ks_op_parse(sym[i], l);
			oplen = l;
		}
	}
	if (op < 0) {
		oplen = word_len(ps, opos);
		if (!oplen) {
			if (opos >= ps->len)
				perr(ps, opos, "missing operator after '%s'", a->lhs.name);
			else
				perr(ps, opos, "expected an operator after '%s', found '%c'",
				     a->lhs.name, ps->s[opos]);
			return NULL;
		}
		op = ks_op_parse(ps->s + opos, oplen);
		if (op < 0) {
			perr(ps, opos, "unknown operator '%.*s' after '%s'", (int)oplen,
			     ps->s + opos, a->lhs.name);
			return NULL;
		}
	}
	a->op = (enum ks_op)op;
	ps->pos = opos + oplen;
	if (a->op == KS_OP_EXISTS) {
		a->rhs = KS_RHS_NONE;
		return a;
	}
	if (ks_op_is_list(a->op)) {
		a->rhs = KS_RHS_LIST;
		return parse_list(ps, a, ks_op_name(a->op)) ? a : NULL;
	}
	skip_ws(ps);
	size_t vpos = ps->pos, wl = word_len(ps, vpos);
	if (wl && vpos + wl < ps->len && ps->s[vpos + wl] == '(' &&
	    ((wl == 3 && memcmp(ps->s + vpos, "val", 3) == 0) ||
	     ks_xf_parse(ps->s + vpos, wl) >= 0)) {
		a->rhs = KS_RHS_FIELD;
		return parse_fexpr(ps, &a->rfield, true) ? a : NULL;
	}
	a->rhs = KS_RHS_VALUE;
	a->vals = ks_pool_alloc(ps->p, sizeof(char *));
	a->voffs = ks_pool_alloc(ps->p, sizeof(size_t));
	if (!a->vals || !a->voffs) {
		oom(ps);
		return NULL;
	}
	char opname[16];
	snprintf(opname, sizeof opname, "%.*s", (int)oplen, ps->s + opos);
	a->vals[0] = lex_value(ps, false, opname);
	a->voffs[0] = vpos;
	a->nvals = 1;
	return a->vals[0] ? a : NULL;
}

static struct ks_ast *parse_or(struct parser *ps);

static struct ks_ast *parse_not(struct parser *ps)
{
	skip_ws(ps);
	size_t start = ps->pos;
	if (at_keyword(ps, "not") || (ps->pos < ps->len && ps->s[ps->pos] == '(')) {
		if (++ps->depth > KS_MAX_DEPTH) {
			perr(ps, start, "condition exceeds the maximum nesting depth of %d",
			     KS_MAX_DEPTH);
			return NULL;
		}
		struct ks_ast *r;
		if (ps->s[ps->pos] == '(') {
			ps->pos++;
			r = parse_or(ps);
			if (!r)
				return NULL;
			skip_ws(ps);
			if (ps->pos >= ps->len || ps->s[ps->pos] != ')') {
				perr(ps, ps->pos < ps->len ? ps->pos : start,
				     "missing ')': the parenthesis opened here is not closed");
				return NULL;
			}
			ps->pos++;
		} else {
			ps->pos += 3;
			struct ks_ast *kid = parse_not(ps);
			if (!kid || !(r = new_node(ps, KS_A_NOT, start)))
				return NULL;
			r->kids = ks_pool_alloc(ps->p, sizeof(*r->kids));
			if (!r->kids) {
				oom(ps);
				return NULL;
			}
			r->kids[0] = kid;
			r->nkids = 1;
		}
		ps->depth--;
		return r;
	}
	return parse_check(ps);
}

/* and := not ('and' not)*, or := and ('or' and)*: n-ary nodes, flat. */
static struct ks_ast *parse_bin(struct parser *ps, bool is_or)
{
	size_t start = ps->pos;
	struct ks_ast *first = is_or ? parse_bin(ps, false) : parse_not(ps);
	if (!first)
		return NULL;
	struct ks_vec kids = {0};
	for (;;) {
		skip_ws(ps);
		if (!at_keyword(ps, is_or ? "or" : "and"))
			break;
		ps->pos += is_or ? 2 : 3;
		if (!kids.n && ks_vec_push(ps->p, &kids, first)) {
			oom(ps);
			return NULL;
		}
		struct ks_ast *k = is_or ? parse_bin(ps, false) : parse_not(ps);
		if (!k)
			return NULL;
		if (ks_vec_push(ps->p, &kids, k)) {
			oom(ps);
			return NULL;
		}
	}
	if (!kids.n)
		return first;
	struct ks_ast *r = new_node(ps, is_or ? KS_A_OR : KS_A_AND, start);
	if (!r)
		return NULL;
	r->kids = (struct ks_ast **)kids.v;
	r->nkids = kids.n;
	return r;
}

static struct ks_ast *parse_or(struct parser *ps)
{
	return parse_bin(ps, true);
}

int ks_cond_parse(struct ks_pool *p, const struct ks_text *t, struct ks_ast **out)
{
	struct parser ps = {.p = p, .t = t, .s = t->s, .len = t->len};
	skip_ws(&ps);
	if (ps.pos == ps.len) {
		perr(&ps, 0, "empty condition");
		return ps.err;
	}
	struct ks_ast *a = parse_or(&ps);
	if (a) {
		skip_ws(&ps);
		if (ps.pos < ps.len) {
			if (ps.s[ps.pos] == ')')
				perr(&ps, ps.pos, "unbalanced ')': no parenthesis to close");
			else
				perr(&ps, ps.pos,
				     "unexpected '%.*s': expected 'and', 'or' or the end",
				     (int)(word_len(&ps, ps.pos) ? word_len(&ps, ps.pos) : 1),
				     ps.s + ps.pos);
		}
	}
	if (ps.err)
		return ps.err;
	*out = a;
	return 0;
}
