/*
 * From syntax trees to evaluation trees: macros are expanded in place (each rule gets its
 * own copy, so nothing is shared between rules), list names inside (...) operands are
 * replaced by their items, fields are resolved and type-checked, operands parsed once, and
 * exceptions appended as `(cond) and not (exc1 or exc2 ...)`, as Falco builds them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rules_priv.h"
#include "syscalls.h"

#define KS_MAX_COMPILED_DEPTH 2000    /* after macro expansion; the evaluator recurses this deep */
#define KS_MAX_NODES	      1000000 /* per rule, against exponential macro reuse */
#define KS_MAX_LIST_NESTING   32
#define KS_STRSET_MIN	      8 /* below this, a linear scan is as fast as hashing */

static int cerr(struct ks_compiler *c, const struct ks_text *t, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int cerr(struct ks_compiler *c, const struct ks_text *t, size_t off, const char *fmt, ...)
{
	struct ks_loc loc = t ? ks_text_loc(t, off) : c->rule->loc;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ks_diag(true, &loc, "rule '%s': %s", c->rule->name, msg);
	return -EINVAL;
}

static struct ks_cnode *cnode(struct ks_compiler *c, enum ks_cnode_kind k)
{
	if (++c->nodes > KS_MAX_NODES)
		return NULL;
	struct ks_cnode *n = ks_pool_alloc(c->rs->pool, sizeof(*n));
	if (n)
		n->kind = k;
	return n;
}

static void fini_ref(void *ref)
{
	ks_field_ref_fini(ref);
}

static uint32_t slot_of(struct ks_compiler *c, const struct ks_field_ref *r)
{
	for (size_t i = 0; i < c->rs->slots.n; i++) {
		const struct ks_slotkey *k = c->rs->slots.v[i];
		if (k->def == r->def && k->has_arg == r->has_arg && k->argnum == r->argnum &&
		    ((!k->argstr && !r->argstr) ||
		     (k->argstr && r->argstr && strcmp(k->argstr, r->argstr) == 0)))
			return (uint32_t)i;
	}
	struct ks_slotkey *k = ks_pool_alloc(c->rs->pool, sizeof(*k));
	if (!k || ks_vec_push(c->rs->pool, &c->rs->slots, k))
		return UINT32_MAX; /* not cached: still correct, only slower */
	*k = (struct ks_slotkey){r->def, r->has_arg, r->argnum,
				 r->argstr ? ks_pool_strdup(c->rs->pool, r->argstr) : NULL};
	return (uint32_t)(c->rs->slots.n - 1);
}

static const char *type_word(enum ks_ftype t)
{
	switch (t) {
	case KS_FT_STRING:
		return "string";
	case KS_FT_BYTES:
		return "bytes";
	case KS_FT_BOOL:
		return "bool";
	case KS_FT_IPADDR:
		return "IP address";
	case KS_FT_IPNET:
		return "IP network";
	default:
		return "number";
	}
}

/* Resolve a field and its transformers; 1 when the rule is skipped (skip-if-unknown-filter). */
static int compile_fx(struct ks_compiler *c, const struct ks_text *t, const struct ks_afield *af,
		      struct ks_fx *fx)
{
	char err[256];
	size_t used = 0;
	int rc = ks_field_parse(af->name, &used, &fx->ref, err, sizeof err);
	if (rc == -ENOENT && c->skip_unknown) {
		c->skipped = true;
		return 1;
	}
	if (rc)
		return cerr(c, t, af->off, "%s", err);
	if (ks_pool_defer(c->rs->pool, fini_ref, &fx->ref)) {
		ks_field_ref_fini(&fx->ref);
		return -ENOMEM;
	}
	if (used != strlen(af->name))
		return cerr(c, t, af->off + used, "unexpected '%s' after field '%.*s'",
			    af->name + used, (int)used, af->name);
	fx->list = fx->ref.def->flags & KS_FF_LIST;
	enum ks_ftype ty = fx->ref.def->type;
	for (unsigned i = 0; i < af->nxf; i++) {
		int nt = af->xf[i] == KS_XF_LEN && i == 0 && fx->list ? KS_FT_UINT64
								      : ks_xf_type(af->xf[i], ty);
		if (nt < 0)
			return cerr(c, t, af->off,
				    "transformer '%s' cannot be applied to '%s' (%s)",
				    ks_xf_name(af->xf[i]), af->name, type_word(ty));
		ty = (enum ks_ftype)nt;
		fx->xf[i] = af->xf[i];
	}
	fx->nxf = af->nxf;
	fx->type = ty;
	fx->slot = slot_of(c, &fx->ref);
	return 0;
}

static bool op_allowed(enum ks_op op, enum ks_ftype t)
{
	switch (t) {
	case KS_FT_STRING:
	case KS_FT_BYTES:
		return true;
	case KS_FT_BOOL:
	case KS_FT_IPADDR:
	case KS_FT_IPNET:
		return op == KS_OP_EQ || op == KS_OP_NE || op == KS_OP_IN ||
		       op == KS_OP_INTERSECTS || op == KS_OP_EXISTS;
	default:
		return op <= KS_OP_GE || op == KS_OP_IN || op == KS_OP_INTERSECTS ||
		       op == KS_OP_EXISTS;
	}
}

/* '"10.0.0.0/8"' as a list item means the string inside the quotes, as in a condition. */
static const char *unquote(struct ks_compiler *c, const char *s)
{
	size_t n = strlen(s), olen;
	if (n < 2 || (s[0] != '"' && s[0] != '\'') || s[n - 1] != s[0])
		return s;
	if (ks_lex_quoted(s, n, NULL, &olen) != n)
		return s;
	char *o = ks_pool_alloc(c->rs->pool, olen + 1);
	if (!o)
		return s;
	ks_lex_quoted(s, n, o, &olen);
	return o;
}

/* Add v, or the items of the list named v (lists name earlier lists, recursively). */
static int expand(struct ks_compiler *c, const char *v, size_t before, struct ks_vec *out,
		  unsigned depth)
{
	struct ks_list_def *l = ks_defs_list(c->defs, v);
	if (!l || l->index >= before || depth > KS_MAX_LIST_NESTING)
		return ks_vec_push(c->rs->pool, out, (void *)unquote(c, v));
	for (size_t i = 0; i < l->items.n; i++) {
		int rc = expand(c, l->items.v[i], l->index, out, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int compile_evttype(struct ks_compiler *c, const struct ks_ast *a, struct ks_vec *vals,
			   struct ks_cnode **out)
{
	struct ks_cnode *n = cnode(c, KS_C_EVTTYPE);
	if (!n || !(n->types = ks_pool_alloc(c->rs->pool, sizeof(*n->types))))
		return -ENOMEM;
	n->neg = a->op == KS_OP_NE;
	/* a syscall outside the event table arrives as a generic event naming it; other names
	 * can never match: no bit */
	for (size_t i = 0; i < vals->n; i++) {
		enum ks_event_type t = ks_event_type_by_name(vals->v[i]);
		int nr = t == KS_E_UNKNOWN ? ks_syscall_nr(vals->v[i]) : -1;
		if (t != KS_E_UNKNOWN) {
			ks_tset_add(n->types, t);
		} else if (nr >= 0 && (unsigned)nr < KS_MAX_SYSCALLS) {
			if (!n->gen_nrs) {
				n->gen_nrs = ks_pool_alloc(c->rs->pool, KS_FILTER_BYTES);
				if (!n->gen_nrs)
					return -ENOMEM;
				memset(n->gen_nrs, 0, KS_FILTER_BYTES);
			}
			n->gen_nrs[nr / 8] |= (uint8_t)(1u << (nr % 8));
			if (!n->neg)
				c->rs->gen_filter[nr / 8] |= (uint8_t)(1u << (nr % 8));
			ks_tset_add(n->types, KS_E_GENERIC);
		}
	}
	*out = n;
	return 0;
}

static int compile_check(struct ks_compiler *c, const struct ks_ast *a, struct ks_cnode **out)
{
	struct ks_cmp *m = ks_pool_alloc(c->rs->pool, sizeof(*m));
	if (!m)
		return -ENOMEM;
	int rc = compile_fx(c, a->src, &a->lhs, &m->lhs);
	if (rc)
		return rc < 0 ? rc : 0;
	m->op = a->op;
	if (!op_allowed(a->op, m->lhs.type))
		return cerr(c, a->src, a->lhs.off, "operator '%s' cannot be used with '%s' (%s)",
			    ks_op_name(a->op), a->lhs.name, type_word(m->lhs.type));
	struct ks_vec vals = {0};
	if (a->rhs == KS_RHS_LIST) {
		for (size_t i = 0; i < a->nvals; i++)
			if ((rc = expand(c, a->vals[i], SIZE_MAX, &vals, 0)))
				return rc;
	} else if (a->rhs == KS_RHS_VALUE) {
		if ((rc = ks_vec_push(c->rs->pool, &vals, (void *)a->vals[0])))
			return rc;
	}
	if (m->lhs.ref.def && strcmp(m->lhs.ref.def->name, "evt.type") == 0 && !m->lhs.nxf &&
	    a->rhs != KS_RHS_FIELD && (a->op == KS_OP_EQ || a->op == KS_OP_NE || a->op == KS_OP_IN))
		return compile_evttype(c, a, &vals, out);
	if (a->rhs == KS_RHS_FIELD) {
		if (a->op == KS_OP_REGEX || a->op == KS_OP_PMATCH)
			return cerr(c, a->src, a->rfield.off,
				    "operator '%s' does not take a field on its right-hand side",
				    ks_op_name(a->op));
		if (!(m->rhs = ks_pool_alloc(c->rs->pool, sizeof(*m->rhs))))
			return -ENOMEM;
		if ((rc = compile_fx(c, a->src, &a->rfield, m->rhs)))
			return rc < 0 ? rc : 0;
	}
	m->nvals = (uint32_t)vals.n;
	if (vals.n && !(m->vals = ks_pool_alloc(c->rs->pool, vals.n * sizeof(*m->vals))))
		return -ENOMEM;
	for (size_t i = 0; i < vals.n; i++) {
		char err[256];
		rc = ks_operand_init(c->rs->pool, &m->vals[i], vals.v[i], a->op, m->lhs.type, err,
				     sizeof err);
		if (rc == -ENOMEM)
			return rc;
		if (rc) {
			size_t off = a->rhs == KS_RHS_VALUE ? a->voffs[0] : a->off;
			for (size_t k = 0; a->rhs == KS_RHS_LIST && k < a->nvals; k++)
				if (strcmp(a->vals[k], vals.v[i]) == 0)
					off = a->voffs[k];
			return cerr(c, a->src, off, "%s for '%s'", err, a->lhs.name);
		}
	}
	if ((a->op == KS_OP_IN || a->op == KS_OP_INTERSECTS) && vals.n >= KS_STRSET_MIN &&
	    (m->lhs.type == KS_FT_STRING) &&
	    !(m->set = ks_strset_new(c->rs->pool, m->vals, vals.n)))
		return -ENOMEM;
	struct ks_cnode *n = cnode(c, KS_C_CMP);
	if (!n)
		return -ENOMEM;
	n->cmp = m;
	*out = n;
	return 0;
}

static int compile_ast(struct ks_compiler *c, const struct ks_ast *a, struct ks_cnode **out);

static int compile_macro(struct ks_compiler *c, const struct ks_ast *a, struct ks_cnode **out)
{
	struct ks_macro_def *m = ks_defs_macro(c->defs, a->ident);
	if (!m)
		return cerr(c, a->src, a->off, "undefined macro '%s' used in the condition",
			    a->ident);
	if (m->visiting)
		return cerr(c, a->src, a->off, "macro '%s' refers to itself", a->ident);
	if (!m->ast)
		return -EINVAL; /* its syntax error was already reported */
	m->visiting = true;
	int rc = compile_ast(c, m->ast, out);
	m->visiting = false;
	return rc;
}

/* Fold and/or kids of the same kind into their parent: shallower trees, faster evaluation. */
static int compile_bin(struct ks_compiler *c, const struct ks_ast *a, struct ks_cnode **out)
{
	enum ks_cnode_kind k = a->kind == KS_A_AND ? KS_C_AND : KS_C_OR;
	struct ks_vec kids = {0};
	for (size_t i = 0; i < a->nkids; i++) {
		struct ks_cnode *kid = NULL;
		int rc = compile_ast(c, a->kids[i], &kid);
		if (rc)
			return rc;
		if (!kid)
			continue;
		if (kid->kind == k) {
			for (uint32_t j = 0; j < kid->nkids; j++)
				if (ks_vec_push(c->rs->pool, &kids, kid->kids[j]))
					return -ENOMEM;
		} else if (ks_vec_push(c->rs->pool, &kids, kid)) {
			return -ENOMEM;
		}
	}
	if (c->skipped)
		return 0;
	if (kids.n == 1) {
		*out = kids.v[0];
		return 0;
	}
	struct ks_cnode *n = cnode(c, k);
	if (!n)
		return -ENOMEM;
	n->kids = (struct ks_cnode **)kids.v;
	n->nkids = (uint32_t)kids.n;
	*out = n;
	return 0;
}

static int compile_ast(struct ks_compiler *c, const struct ks_ast *a, struct ks_cnode **out)
{
	if (c->nodes > KS_MAX_NODES)
		return cerr(c, a->src, a->off, "condition too large after macro expansion");
	if (++c->depth > KS_MAX_COMPILED_DEPTH) {
		c->depth--;
		return cerr(c, a->src, a->off,
			    "condition nested deeper than %d after macro expansion (depth)",
			    KS_MAX_COMPILED_DEPTH);
	}
	int rc = 0;
	switch (a->kind) {
	case KS_A_AND:
	case KS_A_OR:
		rc = compile_bin(c, a, out);
		break;
	case KS_A_NOT: {
		struct ks_cnode *kid = NULL;
		rc = compile_ast(c, a->kids[0], &kid);
		if (!rc && kid) {
			struct ks_cnode *n = cnode(c, KS_C_NOT);
			if (!n)
				rc = -ENOMEM;
			else {
				n->kids = ks_pool_alloc(c->rs->pool, sizeof(*n->kids));
				if (!n->kids)
					rc = -ENOMEM;
				else {
					n->kids[0] = kid;
					n->nkids = 1;
					*out = n;
				}
			}
		}
		break;
	}
	case KS_A_MACRO:
		rc = compile_macro(c, a, out);
		break;
	case KS_A_CHECK:
		rc = compile_check(c, a, out);
		break;
	}
	c->depth--;
	if (!rc && !*out && !c->skipped)
		rc = cerr(c, a->src, a->off, "condition too large after macro expansion");
	return rc;
}

/* ---- exceptions ---- */

static struct ks_ast *exc_check(struct ks_compiler *c, const struct ks_exc_def *e,
				const char *field, const char *comp, const struct ks_exc_val *v)
{
	struct ks_ast *a = ks_pool_alloc(c->defs->pool, sizeof(*a));
	if (!a)
		return NULL;
	a->kind = KS_A_CHECK;
	a->src = &e->where;
	a->lhs.name = field;
	a->op = (enum ks_op)ks_op_parse(comp, strlen(comp));
	a->rhs = ks_op_is_list(a->op) ? KS_RHS_LIST : KS_RHS_VALUE;
	a->vals = (const char **)v->items.v;
	a->nvals = v->items.n;
	a->voffs = ks_pool_alloc(c->defs->pool, (v->items.n + 1) * sizeof(size_t));
	return a->voffs ? a : NULL;
}

static int exc_ast(struct ks_compiler *c, const struct ks_exc_def *e, struct ks_vec *ors)
{
	for (size_t f = 0; f < e->fields.n; f++) {
		const char *comp = e->comps.n ? e->comps.v[f] : e->fields_list ? "=" : "in";
		int op = ks_op_parse(comp, strlen(comp));
		if (op < 0 || op == KS_OP_EXISTS)
			return cerr(c, &e->where, 0, "exception '%s': unknown comparison '%s'",
				    e->name, comp);
	}
	if (!e->fields_list) {
		const char *comp = e->comps.n ? e->comps.v[0] : "in";
		int op = ks_op_parse(comp, strlen(comp));
		/* one field and a list operator: one check against every value */
		struct ks_exc_val *all = ks_pool_alloc(c->defs->pool, sizeof(*all));
		if (!all)
			return -ENOMEM;
		for (size_t r = 0; r < e->rows.n; r++) {
			struct ks_vec *row = e->rows.v[r];
			for (size_t k = 0; k < row->n; k++) {
				struct ks_exc_val *v = row->v[k];
				for (size_t i = 0; i < v->items.n; i++) {
					if (ks_vec_push(c->defs->pool, &all->items, v->items.v[i]))
						return -ENOMEM;
					if (!ks_op_is_list((enum ks_op)op)) {
						struct ks_exc_val one = {
						    .items = {&v->items.v[i], 1, 1}};
						struct ks_ast *a =
						    exc_check(c, e, e->fields.v[0], comp, &one);
						if (!a || ks_vec_push(c->defs->pool, ors, a))
							return -ENOMEM;
					}
				}
			}
		}
		if (ks_op_is_list((enum ks_op)op) && all->items.n) {
			struct ks_ast *a = exc_check(c, e, e->fields.v[0], comp, all);
			if (!a || ks_vec_push(c->defs->pool, ors, a))
				return -ENOMEM;
		}
		return 0;
	}
	for (size_t r = 0; r < e->rows.n; r++) {
		struct ks_vec *row = e->rows.v[r];
		struct ks_ast *and = ks_pool_alloc(c->defs->pool, sizeof(*and));
		struct ks_vec kids = {0};
		if (!and)
			return -ENOMEM;
		for (size_t k = 0; k < row->n; k++) {
			const char *comp = e->comps.n ? e->comps.v[k] : "=";
			struct ks_exc_val *v = row->v[k];
			if (v->is_list &&
			    !ks_op_is_list((enum ks_op)ks_op_parse(comp, strlen(comp)))) {
				struct ks_loc loc = v->loc;
				ks_diag(true, &loc,
					"rule '%s': exception '%s': a list value needs "
					"'in', 'intersects' or 'pmatch', not '%s'",
					c->rule->name, e->name, comp);
				return -EINVAL;
			}
			struct ks_ast *a = exc_check(c, e, e->fields.v[k], comp, v);
			if (!a || ks_vec_push(c->defs->pool, &kids, a))
				return -ENOMEM;
		}
		and->kind = KS_A_AND;
		and->src = &e->where;
		and->kids = (struct ks_ast **)kids.v;
		and->nkids = kids.n;
		if (ks_vec_push(c->defs->pool, ors, and))
			return -ENOMEM;
	}
	return 0;
}

int ks_compile_rule(struct ks_compiler *c, struct ks_cnode **out)
{
	struct ks_rule_def *r = (struct ks_rule_def *)c->rule;
	struct ks_ast *root;
	int rc = ks_cond_parse(c->defs->pool, &r->cond, &root);
	if (rc)
		return rc;
	struct ks_vec ors = {0};
	for (size_t i = 0; i < r->exceptions.n; i++)
		if ((rc = exc_ast(c, r->exceptions.v[i], &ors)))
			return rc;
	if (ors.n) {
		struct ks_ast * or = ks_pool_alloc(c->defs->pool, sizeof(* or));
		struct ks_ast *not = ks_pool_alloc(c->defs->pool, sizeof(*not ));
		struct ks_ast *and = ks_pool_alloc(c->defs->pool, sizeof(*and));
		struct ks_ast **kids = ks_pool_alloc(c->defs->pool, 3 * sizeof(*kids));
		if (! or || !not || !and || !kids)
			return -ENOMEM;
		* or = (struct ks_ast){.kind = KS_A_OR,
				       .src = root->src,
				       .kids = (struct ks_ast **)ors.v,
				       .nkids = ors.n};
		kids[0] = or ;
		*not =
		    (struct ks_ast){.kind = KS_A_NOT, .src = root->src, .kids = kids, .nkids = 1};
		kids[1] = root;
		kids[2] = not ;
		*and = (struct ks_ast){
		    .kind = KS_A_AND, .src = root->src, .kids = kids + 1, .nkids = 2};
		root = and;
	}
	*out = NULL;
	c->nodes = 0;
	c->depth = 0;
	return compile_ast(c, root, out);
}

/* ---- event types a condition can match (Falco's evttype resolution) ---- */

static void tset_all(struct ks_tset *s)
{
	memset(s, 0, sizeof(*s));
	for (unsigned t = 1; t < KS_E_MAX; t++)
		ks_tset_add(s, t);
}

void ks_cnode_types(const struct ks_cnode *n, bool inverted, struct ks_tset *out)
{
	struct ks_tset all, k;
	tset_all(&all);
	switch (n->kind) {
	case KS_C_AND:
	case KS_C_OR: {
		/* under `not`, and/or swap (De Morgan) */
		bool intersect = (n->kind == KS_C_AND) != inverted;
		if (intersect)
			*out = all;
		else
			memset(out, 0, sizeof(*out));
		for (uint32_t i = 0; i < n->nkids; i++) {
			ks_cnode_types(n->kids[i], inverted, &k);
			for (size_t w = 0; w < sizeof(k.w) / sizeof(k.w[0]); w++)
				out->w[w] = intersect ? out->w[w] & k.w[w] : out->w[w] | k.w[w];
		}
		break;
	}
	case KS_C_NOT:
		ks_cnode_types(n->kids[0], !inverted, out);
		break;
	case KS_C_EVTTYPE:
		*out = *n->types;
		if (n->neg != inverted)
			for (size_t w = 0; w < sizeof(all.w) / sizeof(all.w[0]); w++)
				out->w[w] = all.w[w] & ~out->w[w];
		break;
	case KS_C_CMP:
		*out = all;
		break;
	}
}
