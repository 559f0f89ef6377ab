/*
 * Sockets that predate the seed: /proc/<pid>/fd only says "socket:[inode]", so the seed
 * reads proc_root/net/{tcp,tcp6,udp,udp6,unix} once into an inode map and gives those fds
 * their family, protocol and addresses. Only the seeding process's network namespace is
 * read; sockets of other namespaces stay of unknown type until an event tells more.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

#define MAX_SOCKS 262144u /* bound on the map; later sockets stay unknown */

struct sockinfo {
	uint64_t ino; /* 0: empty slot */
	uint8_t family, l4proto;
	bool listening;
	uint8_t laddr[16], raddr[16];
	uint16_t lport, rport;
	char *path; /* unix */
};

struct ks_procnet {
	struct sockinfo *v;
	size_t cap, n; /* cap: power of two */
};

static struct sockinfo *slot(struct ks_procnet *pn, uint64_t ino)
{
	size_t i = (size_t)(ino * 0x9e3779b97f4a7c15ull >> 20) & (pn->cap - 1);
	while (pn->v[i].ino && pn->v[i].ino != ino)
		i = (i + 1) & (pn->cap - 1);
	return &pn->v[i];
}

static bool grow(struct ks_procnet *pn)
{
	size_t ncap = pn->cap ? pn->cap * 2 : 1024;
	struct sockinfo *old = pn->v;
	size_t ocap = pn->cap;
	pn->v = calloc(ncap, sizeof(*pn->v));
	if (!pn->v) {
		pn->v = old;
		return false;
	}
	pn->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].ino)
			*slot(pn, old[i].ino) = old[i];
	free(old);
	return true;
}

static struct sockinfo *add(struct ks_procnet *pn, uint64_t ino)
{
	if (!ino || pn->n >= MAX_SOCKS)
		return NULL;
	if ((pn->n + 1) * 2 > pn->cap && !grow(pn))
		return NULL;
	struct sockinfo *s = slot(pn, ino);
	if (s->ino)
		return NULL; /* listed twice: keep the first */
	s->ino = ino;
	pn->n++;
	return s;
}

/* "0100007F:1F90": the address words as the kernel prints them (host order u32s). */
static bool parse_addr(const char *s, uint8_t *addr, size_t words, uint16_t *port)
{
	for (size_t w = 0; w < words; w++) {
		char hex[9];
		memcpy(hex, s + w * 8, 8);
		hex[8] = '\0';
		char *end;
		uint32_t v = (uint32_t)strtoul(hex, &end, 16);
		if (*end)
			return false;
		memcpy(addr + w * 4, &v, 4);
	}
	if (s[words * 8] != ':')
		return false;
	*port = (uint16_t)strtoul(s + words * 8 + 1, NULL, 16);
	return true;
}

static void read_inet(struct ks_procnet *pn, const char *root, const char *file, uint8_t family,
		      uint8_t l4proto)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/net/%s", root, file);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[512], la[64], ra[64];
	size_t words = family == KS_AF_INET6 ? 4 : 1;
	unsigned st;
	unsigned long long ino;
	if (!fgets(line, sizeof(line), f)) /* header */
		goto out;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " %*s %63s %63s %x %*s %*s %*s %*s %*s %llu", la, ra, &st, &ino) !=
		    4)
			continue;
		struct sockinfo tmp = {0};
		if (!parse_addr(la, tmp.laddr, words, &tmp.lport) ||
		    !parse_addr(ra, tmp.raddr, words, &tmp.rport))
			continue;
		struct sockinfo *s = add(pn, ino);
		if (!s)
			continue;
		memcpy(s->laddr, tmp.laddr, 16);
		memcpy(s->raddr, tmp.raddr, 16);
		s->lport = tmp.lport;
		s->rport = tmp.rport;
		s->family = family;
		s->l4proto = l4proto;
		s->listening = l4proto == 6 ? st == 0x0a : tmp.rport == 0; /* TCP_LISTEN */
	}
out:
	fclose(f);
}

static void read_unix(struct ks_procnet *pn, const char *root)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/net/unix", root);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char line[4400], p[4200];
	unsigned long long ino;
	if (!fgets(line, sizeof(line), f))
		goto out;
	while (fgets(line, sizeof(line), f)) {
		p[0] = '\0';
		int n = sscanf(line, " %*s %*s %*s %*s %*s %*s %llu %4199s", &ino, p);
		if (n < 1)
			continue;
		struct sockinfo *s = add(pn, ino);
		if (!s)
			continue;
		s->family = KS_AF_UNIX;
		s->path = n == 2 ? strdup(p) : NULL;
	}
out:
	fclose(f);
}

struct ks_procnet *ks_procnet_read(const char *proc_root)
{
	struct ks_procnet *pn = calloc(1, sizeof(*pn));
	if (!pn)
		return NULL;
	read_inet(pn, proc_root, "tcp", KS_AF_INET, 6);
	read_inet(pn, proc_root, "tcp6", KS_AF_INET6, 6);
	read_inet(pn, proc_root, "udp", KS_AF_INET, 17);
	read_inet(pn, proc_root, "udp6", KS_AF_INET6, 17);
	read_unix(pn, proc_root);
	return pn;
}

void ks_procnet_free(struct ks_procnet *pn)
{
	if (!pn)
		return;
	for (size_t i = 0; i < pn->cap; i++)
		free(pn->v[i].path);
	free(pn->v);
	free(pn);
}

static bool v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

void ks_procnet_fill(struct ks_procnet *pn, struct ks_fd *fd, uint64_t ino)
{
	if (!pn || !pn->cap || !ino)
		return;
	struct sockinfo *s = slot(pn, ino);
	if (!s->ino)
		return;
	free(fd->name);
	fd->name = NULL;
	if (s->family == KS_AF_UNIX) {
		fd->type = KS_FD_UNIX_SOCK;
		fd->family = KS_AF_UNIX;
		fd->name = strdup(s->path ? s->path : "");
		return;
	}
	const uint8_t *l = s->laddr, *r = s->raddr;
	size_t alen = 16;
	fd->family = s->family;
	if (s->family == KS_AF_INET6 && v4mapped(l) && v4mapped(r)) {
		l += 12, r += 12, alen = 4;
		fd->family = KS_AF_INET;
	} else if (s->family == KS_AF_INET)
		alen = 4;
	fd->type = fd->family == KS_AF_INET ? KS_FD_IPV4_SOCK : KS_FD_IPV6_SOCK;
	fd->l4proto = s->l4proto;
	fd->is_server = s->listening;
	/* who connected to whom is not in /proc: like Falco's scan, the local end is the client
	 * of a connected socket; a listening socket is the server end */
	if (s->listening) {
		memcpy(fd->sip, l, alen);
		fd->sport = s->lport;
	} else {
		memcpy(fd->cip, l, alen);
		fd->cport = s->lport;
		memcpy(fd->sip, r, alen);
		fd->sport = s->rport;
		fd->connected = s->rport != 0;
	}
	if (!s->listening) {
		fd->name = ks_fd_tuple_name(fd);
		return;
	}
	char a[64] = "";
	inet_ntop(fd->family == KS_AF_INET6 ? AF_INET6 : AF_INET, fd->sip, a, sizeof(a));
	if (asprintf(&fd->name, "%s:%u", a, fd->sport) < 0)
		fd->name = NULL;
}
