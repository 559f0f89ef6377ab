/*
 * Evaluation: walk a rule's tree for one event. Field values are extracted only when a
 * node needs them and kept for the rest of the event in a small cache on the stack, so
 * rules sharing fields (proc.name, fd.name, ...) extract them once per event.
 */
#include <string.h>

#include "rules_priv.h"

#define CACHE_SLOTS  256 /* distinct field references cached; others are re-extracted */
#define CACHE_VALUES 256 /* values kept per event */
#define MAX_VALUES   64	 /* values taken from one field (list fields) */

struct ectx {
	struct ks_event *ev;
	uint64_t valid[CACHE_SLOTS / 64];
	struct {
		uint16_t off, n;
	} slot[CACHE_SLOTS];
	uint32_t used;
	struct ks_value pool[CACHE_VALUES];
};

static int values(struct ectx *c, const struct ks_fx *fx, struct ks_value *buf,
		  const struct ks_value **out)
{
	const struct ks_value *src = buf;
	int n;
	uint32_t s = fx->slot;
	if (s < CACHE_SLOTS && (c->valid[s / 64] >> (s % 64) & 1)) {
		src = &c->pool[c->slot[s].off];
		n = c->slot[s].n;
	} else {
		n = ks_field_extract(c->ev, &fx->ref, buf, MAX_VALUES);
		if (n < 0)
			n = 0;
		if (n > MAX_VALUES)
			n = MAX_VALUES;
		if (s < CACHE_SLOTS && c->used + (uint32_t)n <= CACHE_VALUES) {
			memcpy(&c->pool[c->used], buf, (size_t)n * sizeof(*buf));
			c->slot[s].off = (uint16_t)c->used;
			c->slot[s].n = (uint16_t)n;
			c->used += (uint32_t)n;
			c->valid[s / 64] |= (uint64_t)1 << (s % 64);
		}
	}
	if (!fx->nxf) {
		*out = src;
		return n;
	}
	if (src != buf)
		memcpy(buf, src, (size_t)n * sizeof(*buf));
	*out = buf;
	return ks_xf_apply(fx, c->ev, buf, n);
}

static bool eval_one(const struct ks_cmp *m, const struct ks_value *v)
{
	switch (m->op) {
	case KS_OP_IN:
	case KS_OP_INTERSECTS:
		if (m->set && v->type == KS_FT_STRING)
			return ks_strset_has(m->set, v->s.p ? v->s.p : "", v->s.p ? v->s.len : 0);
		/* fall through */
	case KS_OP_PMATCH:
		for (uint32_t j = 0; j < m->nvals; j++)
			if (ks_value_cmp(m->op, v, &m->vals[j]))
				return true;
		return false;
	default:
		return m->nvals && ks_value_cmp(m->op, v, &m->vals[0]);
	}
}

/* Falco: a field without a value makes every comparison false; several values: any. */
static bool eval_cmp(struct ectx *c, const struct ks_cmp *m)
{
	struct ks_value lbuf[MAX_VALUES];
	const struct ks_value *lv;
	int n = values(c, &m->lhs, lbuf, &lv);
	if (m->op == KS_OP_EXISTS || n <= 0)
		return n > 0 && m->op == KS_OP_EXISTS;
	if (m->rhs) {
		struct ks_value rbuf[MAX_VALUES];
		const struct ks_value *rv;
		int rn = values(c, m->rhs, rbuf, &rv);
		bool any = m->op == KS_OP_IN || m->op == KS_OP_INTERSECTS;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < (any ? rn : (rn > 0)); j++)
				if (ks_values_cmp2(any ? KS_OP_EQ : m->op, &lv[i], &rv[j]))
					return true;
		return false;
	}
	for (int i = 0; i < n; i++)
		if (eval_one(m, &lv[i]))
			return true;
	return false;
}

static bool eval(struct ectx *c, const struct ks_cnode *n)
{
	switch (n->kind) {
	case KS_C_AND:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (!eval(c, n->kids[i]))
				return false;
		return true;
	case KS_C_OR:
		for (uint32_t i = 0; i < n->nkids; i++)
			if (eval(c, n->kids[i]))
				return true;
		return false;
	case KS_C_NOT:
		return !eval(c, n->kids[0]);
	case KS_C_EVTTYPE:
		if (c->ev->type == KS_E_GENERIC) {
			uint64_t nr = ks_event_u64(c->ev, 1, KS_MAX_SYSCALLS);
			bool named = n->gen_nrs && nr < KS_MAX_SYSCALLS &&
				     (n->gen_nrs[nr / 8] & (1u << (nr % 8)));
			return named != n->neg;
		}
		return ks_tset_has(n->types, c->ev->type) != n->neg;
	case KS_C_CMP:
		return eval_cmp(c, n->cmp);
	}
	return false;
}

int ks_ruleset_eval(const struct ks_ruleset *rs, struct ks_event *ev, ks_match_cb cb, void *ctx)
{
	if (!rs || !ev || !ev->info || (unsigned)ev->type >= KS_E_MAX)
		return 0;
	uint32_t nr = rs->nby_type[ev->type];
	if (!nr)
		return 0;
	struct ectx c;
	c.ev = ev;
	c.used = 0;
	memset(c.valid, 0, sizeof c.valid);
	int matches = 0;
	for (uint32_t i = 0; i < nr; i++) {
		const struct ks_rrule *r = rs->rules[rs->by_type[ev->type][i]];
		if (!eval(&c, r->root))
			continue;
		matches++;
		if (cb)
			cb(ctx, &r->pub, ev);
		if (!rs->match_all)
			break;
	}
	return matches;
}
