#include "event.h"

#include <errno.h>
#include <string.h>

#define KS_P_INFO(n, t) {#n, KS_PT_##t},
#define KS_X_PARAMS(id, name, nr, flags, params)                                                   \
	static const struct ks_param_info ks_params_##id[] = {params};
KS_EVENT_TABLE(KS_X_PARAMS, KS_P_INFO)

#define KS_X_INFO(id, name, nr, flags, params)                                                     \
	[KS_E_##id] = {name, nr, flags, ks_params_##id,                                            \
		       sizeof(ks_params_##id) / sizeof(ks_params_##id[0])},
const struct ks_event_info ks_events[KS_E_MAX] = {[KS_E_UNKNOWN] = {"unknown", -1, 0, NULL, 0},
						  KS_EVENT_TABLE(KS_X_INFO, KS_P_IGNORE)};

enum ks_event_type ks_event_type_by_name(const char *name)
{
	for (unsigned i = 1; i < KS_E_MAX; i++)
		if (strcmp(ks_events[i].name, name) == 0)
			return (enum ks_event_type)i;
	return KS_E_UNKNOWN;
}

static int param_index_slow(enum ks_event_type type, const char *name)
{
	for (unsigned i = 0; i < ks_events[type].nparams; i++)
		if (strcmp(ks_events[type].params[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Callers look parameters up by name with string literals, once or more per event: a
 * direct-mapped cache keyed by the name's address makes that a load and a compare. Each
 * slot is one 64-bit word (address << 16 | type << 8 | index + 1), read and written
 * atomically, so threads may share it.
 */
#define PIDX_SLOTS 512
static uint64_t pidx_cache[PIDX_SLOTS];

int ks_event_param_index(enum ks_event_type type, const char *name)
{
	if (type <= KS_E_UNKNOWN || type >= KS_E_MAX)
		return -1;
	uintptr_t a = (uintptr_t)name;
	size_t slot = ((a >> 3) ^ (a >> 12) ^ ((uintptr_t)type * 0x9e37u)) % PIDX_SLOTS;
	uint64_t key = ((uint64_t)a << 16) | ((uint64_t)type << 8);
	uint64_t v = __atomic_load_n(&pidx_cache[slot], __ATOMIC_RELAXED);
	/* the key is the name's address: a freed name's address may come back holding
	 * another name (a field reference parsed, freed and parsed again), so check it */
	if ((v & ~(uint64_t)0xff) == key && (v & 0xff) &&
	    strcmp(ks_events[type].params[(v & 0xff) - 1].name, name) == 0)
		return (int)(v & 0xff) - 1;
	int i = param_index_slow(type, name);
	if (a < ((uint64_t)1 << 48) && type < 256 && i < 255)
		__atomic_store_n(&pidx_cache[slot], key | (uint64_t)(i + 1), __ATOMIC_RELAXED);
	return i;
}

void *ks_arena_alloc(struct ks_arena *a, size_t n)
{
	size_t at = (a->used + 7u) & ~(size_t)7u;
	if (!a->buf || at > a->cap || n > a->cap - at)
		return NULL;
	a->used = at + n;
	return a->buf + at;
}

char *ks_arena_strdup(struct ks_arena *a, const char *s, size_t n)
{
	char *p = ks_arena_alloc(a, n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Size a fixed-size parameter type must have; 0 for variable-size types. */
static unsigned fixed_size(enum ks_param_type t)
{
	switch (t) {
	case KS_PT_INT64:
	case KS_PT_UINT64:
	case KS_PT_ERRNO:
	case KS_PT_FD:
	case KS_PT_PID:
	case KS_PT_FLAGS64:
		return 8;
	case KS_PT_UINT32:
	case KS_PT_UID:
	case KS_PT_GID:
	case KS_PT_MODE:
	case KS_PT_FLAGS32:
		return 4;
	default:
		return 0;
	}
}

static bool is_string(enum ks_param_type t)
{
	return t == KS_PT_CHARBUF || t == KS_PT_FSPATH || t == KS_PT_CHARBUFARRAY;
}

#define BAD(msg)                                                                                   \
	do {                                                                                       \
		if (why)                                                                           \
			*why = (msg);                                                              \
		return -EINVAL;                                                                    \
	} while (0)

int ks_event_decode(struct ks_event *ev, const void *rec, size_t avail, const char **why)
{
	const struct ks_hdr *h = rec;
	if (avail < KS_HDR_SIZE)
		BAD("record shorter than its header");
	if (h->len < KS_HDR_SIZE || h->len > avail)
		BAD("record length out of bounds");
	if (h->type == KS_E_UNKNOWN || h->type >= KS_E_MAX)
		BAD("unknown event type");
	const struct ks_event_info *info = &ks_events[h->type];
	if (h->nparams != info->nparams || h->nparams > KS_MAX_PARAMS)
		BAD("parameter count differs from the event table");
	size_t off = KS_HDR_SIZE + 2u * h->nparams;
	if (off > h->len)
		BAD("parameter length table overruns the record");
	const uint8_t *base = rec;
	const uint16_t *lens = (const uint16_t *)(base + KS_HDR_SIZE);
	for (unsigned i = 0; i < h->nparams; i++) {
		uint16_t l;
		memcpy(&l, &lens[i], sizeof l);
		if (l > h->len - off)
			BAD("parameter overruns the record");
		enum ks_param_type t = info->params[i].type;
		unsigned fs = fixed_size(t);
		if (l && fs && l != fs)
			BAD("fixed-size parameter has the wrong length");
		if (l && is_string(t) && base[off + l - 1] != '\0')
			BAD("string parameter not NUL-terminated");
		ev->param[i] = l ? base + off : NULL;
		ev->plen[i] = l;
		off += l;
	}
	if (off != h->len)
		BAD("record length differs from the sum of its parameters");
	ev->hdr = h;
	ev->info = info;
	ev->type = (enum ks_event_type)h->type;
	ev->nparams = h->nparams;
	ev->tid = h->tid;
	ev->pid = h->pid;
	ev->thread = NULL;
	ev->fd = NULL;
	ev->fdnum = -1;
	return 0;
}

bool ks_event_has(const struct ks_event *ev, unsigned idx)
{
	return idx < ev->nparams && ev->plen[idx] != 0;
}

int64_t ks_event_s64(const struct ks_event *ev, unsigned idx, int64_t def)
{
	if (!ks_event_has(ev, idx))
		return def;
	if (ev->plen[idx] == 8) {
		int64_t v;
		memcpy(&v, ev->param[idx], 8);
		return v;
	}
	if (ev->plen[idx] == 4) {
		uint32_t v;
		memcpy(&v, ev->param[idx], 4);
		return v;
	}
	return def;
}

uint64_t ks_event_u64(const struct ks_event *ev, unsigned idx, uint64_t def)
{
	return (uint64_t)ks_event_s64(ev, idx, (int64_t)def);
}

const char *ks_event_str(const struct ks_event *ev, unsigned idx)
{
	if (!ks_event_has(ev, idx) || !is_string(ev->info->params[idx].type))
		return NULL;
	return (const char *)ev->param[idx];
}

int64_t ks_event_s64_by_name(const struct ks_event *ev, const char *name, int64_t def)
{
	int i = ks_event_param_index(ev->type, name);
	return i < 0 ? def : ks_event_s64(ev, (unsigned)i, def);
}

const char *ks_event_str_by_name(const struct ks_event *ev, const char *name)
{
	int i = ks_event_param_index(ev->type, name);
	return i < 0 ? NULL : ks_event_str(ev, (unsigned)i);
}

size_t ks_record_build(void *buf, size_t cap, enum ks_event_type type, uint32_t tid, uint32_t pid,
		       uint64_t ts, const void *const *params, const uint16_t *lens, unsigned n)
{
	if (type <= KS_E_UNKNOWN || type >= KS_E_MAX || n != ks_events[type].nparams)
		return 0;
	size_t len = KS_HDR_SIZE + 2u * n;
	for (unsigned i = 0; i < n; i++)
		len += lens[i];
	if (len > cap || len > KS_MAX_RECORD)
		return 0;
	struct ks_hdr h = {.ts = ts,
			   .tid = tid,
			   .pid = pid,
			   .len = (uint32_t)len,
			   .type = (uint16_t)type,
			   .nparams = (uint16_t)n};
	uint8_t *p = buf;
	memcpy(p, &h, KS_HDR_SIZE);
	memcpy(p + KS_HDR_SIZE, lens, 2u * n);
	size_t off = KS_HDR_SIZE + 2u * n;
	for (unsigned i = 0; i < n; i++) {
		if (lens[i])
			memcpy(p + off, params[i], lens[i]);
		off += lens[i];
	}
	return len;
}
