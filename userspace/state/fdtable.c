/*
 * Per-process fd tables: open addressing (linear probing, backward-shift deletion) from fd
 * number to a heap-allocated struct ks_fd, so pointers handed to rules stay put while the
 * table grows. Shared by the threads of a process (and by CLONE_FILES processes) through a
 * reference count; bounded by max_fds_per_process.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

#define FDT_MIN_SLOTS 16u

struct ks_fdtable {
	struct ks_state *st;
	unsigned refs;
	size_t count;
	size_t nslots; /* power of two */
	struct ks_fd **slots;
};

static size_t slot_of(int64_t num, size_t nslots)
{
	return (size_t)((uint64_t)num * 0x9e3779b97f4a7c15ull >> 40) & (nslots - 1);
}

struct ks_fdtable *ks_fdt_new(struct ks_state *st)
{
	struct ks_fdtable *ft = calloc(1, sizeof(*ft));
	if (!ft)
		goto fail;
	ft->slots = calloc(FDT_MIN_SLOTS, sizeof(*ft->slots));
	if (!ft->slots) {
		free(ft);
		goto fail;
	}
	ft->st = st;
	ft->refs = 1;
	ft->nslots = FDT_MIN_SLOTS;
	return ft;
fail:
	st->ctr.alloc_failures++;
	return NULL;
}

struct ks_fdtable *ks_fdt_get(struct ks_fdtable *ft)
{
	if (ft)
		ft->refs++;
	return ft;
}

unsigned ks_fdt_refs(const struct ks_fdtable *ft)
{
	return ft ? ft->refs : 0;
}

size_t ks_fdt_count(const struct ks_fdtable *ft)
{
	return ft ? ft->count : 0;
}

void ks_fd_clear(struct ks_fd *fd)
{
	free(fd->name);
	free(fd->nameraw);
	fd->name = fd->nameraw = NULL;
}

int ks_fd_copy(struct ks_fd *dst, const struct ks_fd *src)
{
	*dst = *src;
	dst->name = src->name ? strdup(src->name) : NULL;
	dst->nameraw = src->nameraw ? strdup(src->nameraw) : NULL;
	if ((src->name && !dst->name) || (src->nameraw && !dst->nameraw)) {
		ks_fd_clear(dst);
		return -ENOMEM;
	}
	return 0;
}

static void free_fd(struct ks_fdtable *ft, struct ks_fd *fd)
{
	ks_fd_clear(fd);
	free(fd);
	ft->count--;
	ft->st->nfds--;
}

void ks_fdt_put(struct ks_fdtable *ft)
{
	if (!ft || --ft->refs)
		return;
	for (size_t i = 0; i < ft->nslots; i++)
		if (ft->slots[i])
			free_fd(ft, ft->slots[i]);
	free(ft->slots);
	free(ft);
}

static struct ks_fd **lookup_slot(struct ks_fdtable *ft, int64_t num)
{
	for (size_t i = slot_of(num, ft->nslots);; i = (i + 1) & (ft->nslots - 1)) {
		struct ks_fd **s = &ft->slots[i];
		if (!*s || (*s)->num == num)
			return s;
	}
}

struct ks_fd *ks_fdt_find(struct ks_fdtable *ft, int64_t num)
{
	return ft ? *lookup_slot(ft, num) : NULL;
}

static int grow(struct ks_fdtable *ft)
{
	size_t n = ft->nslots * 2;
	struct ks_fd **ns = calloc(n, sizeof(*ns));
	if (!ns)
		return -ENOMEM;
	struct ks_fd **old = ft->slots;
	size_t on = ft->nslots;
	ft->slots = ns;
	ft->nslots = n;
	for (size_t i = 0; i < on; i++)
		if (old[i])
			*lookup_slot(ft, old[i]->num) = old[i];
	free(old);
	return 0;
}

struct ks_fd *ks_fdt_add(struct ks_fdtable *ft, int64_t num)
{
	struct ks_fd **s = lookup_slot(ft, num);
	if (*s) {
		/* the number was reused without us seeing the close */
		ks_fd_clear(*s);
		memset(*s, 0, sizeof(**s));
		(*s)->num = num;
		return *s;
	}
	if (ft->count >= ft->st->max_fds) {
		ft->st->ctr.fd_table_full++;
		return NULL;
	}
	/* keep the load under 1/2 so probes stay short */
	if ((ft->count + 1) * 2 > ft->nslots) {
		if (grow(ft)) {
			ft->st->ctr.alloc_failures++;
			return NULL;
		}
		s = lookup_slot(ft, num);
	}
	struct ks_fd *fd = calloc(1, sizeof(*fd));
	if (!fd) {
		ft->st->ctr.alloc_failures++;
		return NULL;
	}
	fd->num = num;
	*s = fd;
	ft->count++;
	ft->st->nfds++;
	return fd;
}

void ks_fdt_remove(struct ks_fdtable *ft, int64_t num)
{
	if (!ft)
		return;
	struct ks_fd **s = lookup_slot(ft, num);
	if (!*s)
		return;
	free_fd(ft, *s);
	*s = NULL;
	/* backward shift: move later entries of the probe run into the hole */
	size_t mask = ft->nslots - 1, hole = (size_t)(s - ft->slots);
	for (size_t i = (hole + 1) & mask; ft->slots[i]; i = (i + 1) & mask) {
		size_t home = slot_of(ft->slots[i]->num, ft->nslots);
		/* entry i may fill the hole if its home is not within (hole, i] cyclically */
		bool stays = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
		if (!stays) {
			ft->slots[hole] = ft->slots[i];
			ft->slots[i] = NULL;
			hole = i;
		}
	}
}

struct ks_fdtable *ks_fdt_copy(struct ks_fdtable *ft)
{
	struct ks_fdtable *n = ks_fdt_new(ft->st);
	if (!n)
		return NULL;
	for (size_t i = 0; i < ft->nslots; i++) {
		struct ks_fd *src = ft->slots[i];
		if (!src)
			continue;
		struct ks_fd *d = ks_fdt_add(n, src->num);
		if (!d)
			break; /* full or out of memory: a partial copy beats none */
		if (ks_fd_copy(d, src))
			ks_fdt_remove(n, src->num);
	}
	return n;
}

void ks_fdt_drop_cloexec(struct ks_fdtable *ft)
{
	if (!ft)
		return;
	/* collect first: removal shifts entries around */
	for (size_t i = 0; i < ft->nslots;) {
		struct ks_fd *fd = ft->slots[i];
		if (fd && (fd->open_flags & O_CLOEXEC))
			ks_fdt_remove(ft,
				      fd->num); /* slot i may now hold a shifted entry: recheck */
		else
			i++;
	}
}

struct ks_fd *ks_state_fd_next(struct ks_state *st, const struct ks_thread *t, size_t *pos)
{
	(void)st;
	struct ks_fdtable *ft = t ? t->fds : NULL;
	while (ft && *pos < ft->nslots) {
		struct ks_fd *fd = ft->slots[(*pos)++];
		if (fd)
			return fd;
	}
	return NULL;
}

void ks_fdt_close_range(struct ks_fdtable *ft, int64_t lo, int64_t hi, bool cloexec_only)
{
	if (!ft || lo > hi)
		return;
	/* walk the table, not the range: hi is often ~0U */
	for (size_t i = 0; i < ft->nslots;) {
		struct ks_fd *fd = ft->slots[i];
		if (!fd || fd->num < lo || fd->num > hi) {
			i++;
			continue;
		}
		if (cloexec_only) {
			fd->open_flags |= O_CLOEXEC;
			i++;
		} else
			ks_fdt_remove(ft, fd->num); /* slot i may now hold a shifted entry */
	}
}
