/* Path resolution and socket tuple names, as Falco prints them in fd.name. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state_int.h"

char *ks_path_resolve(const char *base, const char *rel)
{
	if (!rel)
		return NULL;
	size_t bl = base && rel[0] != '/' ? strlen(base) : 0, rl = strlen(rel);
	char *in = malloc(bl + rl + 2);
	char *out = malloc(bl + rl + 2);
	if (!in || !out) {
		free(in);
		free(out);
		return NULL;
	}
	if (bl)
		memcpy(in, base, bl);
	in[bl] = '/';
	memcpy(in + bl + 1, rel, rl + 1);
	const char *p = bl ? in : in + bl + 1;
	bool absolute = p[0] == '/';
	size_t o = 0;
	if (absolute)
		out[o++] = '/';
	/* walk components; ".." pops the last one but never above the root */
	while (*p) {
		while (*p == '/')
			p++;
		const char *c = p;
		while (*p && *p != '/')
			p++;
		size_t n = (size_t)(p - c);
		if (n == 0 || (n == 1 && c[0] == '.'))
			continue;
		if (n == 2 && c[0] == '.' && c[1] == '.') {
			size_t floor = absolute ? 1 : 0;
			if (o > floor) {
				while (o > floor && out[o - 1] != '/')
					o--;
				if (o > floor)
					o--; /* the slash before the popped component */
				continue;
			}
			if (absolute)
				continue;
			/* a relative path with nothing to pop keeps its ".." */
		}
		if (o > (absolute ? 1u : 0u))
			out[o++] = '/';
		memcpy(out + o, c, n);
		o += n;
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = '\0';
	free(in);
	return out;
}

/* IPv4-mapped IPv6 (::ffff:a.b.c.d): Falco shows these as IPv4. */
static bool v4mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	return memcmp(a, pfx, 12) == 0;
}

int ks_fd_set_tuple(struct ks_fd *fd, const uint8_t *p, uint16_t len, bool client_is_local)
{
	const uint8_t *la, *ra;
	uint16_t lp, rp;
	size_t alen;
	if (!p || !len)
		return -ENODATA;
	if (p[0] == KS_AF_INET && len == 13) {
		la = p + 1, ra = p + 5, alen = 4;
		memcpy(&lp, p + 9, 2);
		memcpy(&rp, p + 11, 2);
	} else if (p[0] == KS_AF_INET6 && len == 37) {
		la = p + 1, ra = p + 17, alen = 16;
		memcpy(&lp, p + 33, 2);
		memcpy(&rp, p + 35, 2);
		if (v4mapped(la) && v4mapped(ra))
			la += 12, ra += 12, alen = 4;
	} else if (p[0] == KS_AF_UNIX && len >= 17) {
		uint64_t src, dst;
		memcpy(&src, p + 1, 8);
		memcpy(&dst, p + 9, 8);
		fd->family = KS_AF_UNIX;
		fd->type = KS_FD_UNIX_SOCK;
		memset(fd->sip, 0, sizeof(fd->sip));
		memset(fd->cip, 0, sizeof(fd->cip));
		memcpy(fd->cip, &src, 8); /* kept for fd.name: local and peer socket ids */
		memcpy(fd->sip, &dst, 8);
		char *name = NULL;
		const char *path = len > 17 ? (const char *)p + 17 : "";
		if (asprintf(&name, "%" PRIx64 "->%" PRIx64 " %.*s", src, dst,
			     (int)strnlen(path, len - 17u), path) < 0)
			return -ENOMEM;
		free(fd->name);
		fd->name = name;
		return 0;
	} else
		return -EINVAL;
	fd->family = alen == 4 ? KS_AF_INET : KS_AF_INET6;
	fd->type = alen == 4 ? KS_FD_IPV4_SOCK : KS_FD_IPV6_SOCK;
	memset(fd->sip, 0, sizeof(fd->sip));
	memset(fd->cip, 0, sizeof(fd->cip));
	if (client_is_local) {
		memcpy(fd->cip, la, alen), fd->cport = lp;
		memcpy(fd->sip, ra, alen), fd->sport = rp;
	} else {
		memcpy(fd->cip, ra, alen), fd->cport = rp;
		memcpy(fd->sip, la, alen), fd->sport = lp;
	}
	char *name = ks_fd_tuple_name(fd);
	if (!name)
		return -ENOMEM;
	free(fd->name);
	fd->name = name;
	return 0;
}

char *ks_fd_tuple_name(const struct ks_fd *fd)
{
	char c[INET6_ADDRSTRLEN] = "", s[INET6_ADDRSTRLEN] = "";
	int af = fd->family == KS_AF_INET6 ? AF_INET6 : AF_INET;
	inet_ntop(af, fd->cip, c, sizeof(c));
	inet_ntop(af, fd->sip, s, sizeof(s));
	char *name = NULL;
	if (asprintf(&name, "%s:%u->%s:%u", c, fd->cport, s, fd->sport) < 0)
		return NULL;
	return name;
}
