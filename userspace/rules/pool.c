/* A bump allocator: a load or a ruleset is many small objects freed together. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rules_priv.h"

#define CHUNK 65536u

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *);
	void *arg;
};

struct ks_pool {
	struct chunk *chunks;
	struct cleanup *cleanups;
};

struct ks_pool *ks_pool_new(void)
{
	return calloc(1, sizeof(struct ks_pool));
}

void ks_pool_free(struct ks_pool *p)
{
	if (!p)
		return;
	for (struct cleanup *c = p->cleanups; c; c = c->next)
		c->fn(c->arg);
	struct chunk *c = p->chunks;
	while (c) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	free(p);
}

void *ks_pool_alloc(struct ks_pool *p, size_t n)
{
	n = (n + 15u) & ~(size_t)15u;
	struct chunk *c = p->chunks;
	if (!c || c->cap - c->used < n) {
		/* big requests get a chunk of their own, placed second so the current one stays */
		size_t cap = n > CHUNK / 4 ? n : CHUNK;
		struct chunk *nc = malloc(sizeof(*nc) + cap);
		if (!nc)
			return NULL;
		nc->used = 0;
		nc->cap = cap;
		if (c && n > CHUNK / 4) {
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			p->chunks = nc;
		}
		c = nc;
	}
	void *r = (char *)c->data + c->used;
	c->used += n;
	memset(r, 0, n);
	return r;
}

char *ks_pool_strndup(struct ks_pool *p, const char *s, size_t n)
{
	char *r = ks_pool_alloc(p, n + 1);
	if (r)
		memcpy(r, s, n);
	return r;
}

char *ks_pool_strdup(struct ks_pool *p, const char *s)
{
	return ks_pool_strndup(p, s, strlen(s));
}

int ks_pool_defer(struct ks_pool *p, void (*fn)(void *), void *arg)
{
	struct cleanup *c = ks_pool_alloc(p, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->fn = fn;
	c->arg = arg;
	c->next = p->cleanups;
	p->cleanups = c;
	return 0;
}

int ks_vec_push(struct ks_pool *p, struct ks_vec *v, void *x)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		void **nv = ks_pool_alloc(p, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		if (v->n)
			memcpy(nv, v->v, v->n * sizeof(*nv));
		v->v = nv;
		v->cap = cap;
	}
	v->v[v->n++] = x;
	return 0;
}
