/*
 * Users and groups from passwd/group files, parsed once and again when a file changes
 * (mtime, size or inode differ), checked at most once a second. Lookups are binary
 * searches over arrays sorted by id; the number of entries is bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "log.h"
#include "state_int.h"

#define MAX_ENTRIES 65536u

struct ks_user {
	uint32_t id;
	uint32_t seq; /* line order: the first of duplicate ids wins, as with getpwuid() */
	char *name, *home, *shell; /* name only for groups */
};

struct ks_idfile {
	char *path;
	struct stat sb; /* of the parsed version */
	bool loaded;
	struct ks_user *v;
	size_t n;
};

struct ks_users {
	struct ks_idfile pw, gr;
	uint64_t last_check_ns;
};

static void idfile_clear(struct ks_idfile *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].name);
		free(f->v[i].home);
		free(f->v[i].shell);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

static int cmp_id(const void *a, const void *b)
{
	const struct ks_user *x = a, *y = b;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Split a line at ':' into at most max fields; returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	f[n++] = line;
	for (char *p = line; *p && n < max; p++)
		if (*p == ':') {
			*p = '\0';
			f[n++] = p + 1;
		}
	return n;
}

static void idfile_load(struct ks_idfile *f, bool passwd)
{
	FILE *fp = fopen(f->path, "re");
	if (!fp) {
		if (!f->loaded)
			ks_log_warn("state: cannot read %s, user and group names will be <NA>: %s",
				    f->path, strerror(errno));
		f->loaded = true;
		return;
	}
	struct stat sb;
	if (fstat(fileno(fp), &sb) == 0)
		f->sb = sb;
	idfile_clear(f);
	size_t cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	while (getline(&line, &lcap, fp) > 0 && f->n < MAX_ENTRIES) {
		line[strcspn(line, "\n")] = '\0';
		if (!line[0] || line[0] == '#')
			continue;
		char *fl[7];
		int n = split(line, fl, 7);
		/* passwd: name:pw:uid:gid:gecos:home:shell; group: name:pw:gid:members */
		if (n < 3 || (passwd && n < 7))
			continue;
		char *end;
		unsigned long id = strtoul(fl[2], &end, 10);
		if (*end || end == fl[2])
			continue;
		if (f->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct ks_user *nv = realloc(f->v, nc * sizeof(*nv));
			if (!nv)
				break;
			f->v = nv;
			cap = nc;
		}
		struct ks_user *u = &f->v[f->n];
		u->id = (uint32_t)id;
		u->seq = (uint32_t)f->n;
		u->name = strdup(fl[0]);
		u->home = passwd ? strdup(fl[5]) : NULL;
		u->shell = passwd ? strdup(fl[6]) : NULL;
		if (!u->name || (passwd && (!u->home || !u->shell))) {
			free(u->name), free(u->home), free(u->shell);
			break;
		}
		f->n++;
	}
	free(line);
	fclose(fp);
	if (f->n)
		qsort(f->v, f->n, sizeof(*f->v), cmp_id);
	f->loaded = true;
}

static void idfile_refresh(struct ks_idfile *f, bool passwd)
{
	struct stat sb;
	if (!f->loaded) {
		idfile_load(f, passwd);
		return;
	}
	if (stat(f->path, &sb) != 0)
		return; /* keep what we had: a file being replaced is briefly missing */
	if (sb.st_mtim.tv_sec != f->sb.st_mtim.tv_sec ||
	    sb.st_mtim.tv_nsec != f->sb.st_mtim.tv_nsec || sb.st_size != f->sb.st_size ||
	    sb.st_ino != f->sb.st_ino)
		idfile_load(f, passwd);
}

struct ks_users *ks_users_new(const char *passwd, const char *group)
{
	struct ks_users *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->pw.path = strdup(passwd);
	u->gr.path = strdup(group);
	if (!u->pw.path || !u->gr.path) {
		ks_users_free(u);
		return NULL;
	}
	return u;
}

void ks_users_free(struct ks_users *u)
{
	if (!u)
		return;
	idfile_clear(&u->pw);
	idfile_clear(&u->gr);
	free(u->pw.path);
	free(u->gr.path);
	free(u);
}

/*
 * Called between events only (from ks_state_before): names handed to rules must stay valid
 * until the next event, so a reload never happens in the middle of one.
 */
void ks_users_refresh(struct ks_users *u)
{
	if (!u)
		return;
	/* once per event: the coarse clock is a memory read, where a precise one reads the
	 * clock source (costly in a VM), and ms resolution is plenty for a once-a-second check */
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (u->pw.loaded && u->gr.loaded && now - u->last_check_ns < 1000000000ull)
		return;
	u->last_check_ns = now;
	idfile_refresh(&u->pw, true);
	idfile_refresh(&u->gr, false);
}

static const struct ks_user *lookup(struct ks_users *u, bool passwd, uint32_t id)
{
	if (!u)
		return NULL;
	struct ks_idfile *f = passwd ? &u->pw : &u->gr;
	if (!f->loaded)
		idfile_load(f, passwd);
	size_t lo = 0, hi = f->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (f->v[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < f->n && f->v[lo].id == id ? &f->v[lo] : NULL;
}

const char *ks_state_user_name(struct ks_state *st, uint32_t uid)
{
	const struct ks_user *e = lookup(st->users, true, uid);
	return e ? e->name : NULL;
}

const char *ks_state_user_home(struct ks_state *st, uint32_t uid)
{
	const struct ks_user *e = lookup(st->users, true, uid);
	return e ? e->home : NULL;
}

const char *ks_state_user_shell(struct ks_state *st, uint32_t uid)
{
	const struct ks_user *e = lookup(st->users, true, uid);
	return e ? e->shell : NULL;
}

const char *ks_state_group_name(struct ks_state *st, uint32_t gid)
{
	const struct ks_user *e = lookup(st->users, false, gid);
	return e ? e->name : NULL;
}
