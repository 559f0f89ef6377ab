/* A record from a driver, validated and decoded, plus the state it is evaluated in. */
#ifndef KS_EVENT_H
#define KS_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kestrel_abi.h"

struct ks_param_info {
	const char *name;
	enum ks_param_type type;
};

struct ks_event_info {
	const char *name; /* evt.type */
	int syscall_nr;	  /* x86_64 number, -1 if not a syscall */
	unsigned flags;	  /* KS_EF_* */
	const struct ks_param_info *params;
	unsigned nparams;
};

/* Indexed by enum ks_event_type; generated from KS_EVENT_TABLE. */
extern const struct ks_event_info ks_events[KS_E_MAX];

/* Event type by name ("openat"), or KS_E_UNKNOWN. */
enum ks_event_type ks_event_type_by_name(const char *name);
/* Index of a parameter by name for an event type, or -1. */
int ks_event_param_index(enum ks_event_type type, const char *name);

struct ks_state;
struct ks_thread;
struct ks_fd;

/* Bump allocator for values computed while evaluating one event; reset per event. */
struct ks_arena {
	char *buf;
	size_t cap;
	size_t used;
};
void *ks_arena_alloc(struct ks_arena *a, size_t n); /* NULL when full */
char *ks_arena_strdup(struct ks_arena *a, const char *s, size_t n);

struct ks_event {
	const struct ks_hdr *hdr;
	const struct ks_event_info *info;
	enum ks_event_type type;
	uint16_t nparams;
	const uint8_t *param[KS_MAX_PARAMS];
	uint16_t plen[KS_MAX_PARAMS];
	uint64_t num; /* evt.num: 1-based sequence in this run */
	uint64_t ts;  /* ns since the epoch */
	int64_t tid, pid;
	/* Filled by the state tracker (ks_state_before). */
	struct ks_state *state;
	struct ks_thread *thread; /* the calling thread; never NULL once state ran */
	struct ks_fd *fd;	  /* the descriptor this event is about, or NULL */
	int64_t fdnum;		  /* its number, or -1 */
	struct ks_arena *arena;	  /* scratch for computed field values */
	void *cache;		  /* owned by the evaluator: per-event field cache */
};

/*
 * Validate a record and fill ev. Every length is checked against `avail` and the event
 * table: known type, parameter count as in the table, fixed-size parameters of their
 * size (or 0), strings NUL-terminated, total length consistent. Returns 0 or -EINVAL;
 * on error *why (if given) says what was wrong.
 */
int ks_event_decode(struct ks_event *ev, const void *rec, size_t avail, const char **why);

/*
 * Build a record as a driver would (for events made in userspace: container, procinfo).
 * params[i]/lens[i] in table order (len 0 = absent). Returns the record length, or 0 if it
 * does not fit in cap or n differs from the table.
 */
size_t ks_record_build(void *buf, size_t cap, enum ks_event_type type, uint32_t tid, uint32_t pid,
		       uint64_t ts, const void *const *params, const uint16_t *lens, unsigned n);

/* Parameter accessors; `def` (or NULL) when the parameter is absent (length 0). */
int64_t ks_event_s64(const struct ks_event *ev, unsigned idx, int64_t def);
uint64_t ks_event_u64(const struct ks_event *ev, unsigned idx, uint64_t def);
const char *ks_event_str(const struct ks_event *ev, unsigned idx); /* strings only */
bool ks_event_has(const struct ks_event *ev, unsigned idx);
/* Same, by parameter name. */
int64_t ks_event_s64_by_name(const struct ks_event *ev, const char *name, int64_t def);
const char *ks_event_str_by_name(const struct ks_event *ev, const char *name);

#endif
