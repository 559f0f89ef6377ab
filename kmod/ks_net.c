// SPDX-License-Identifier: GPL-2.0-only
/*
 * Socket parameters: the address a caller passed (user memory) and the tuple of a socket
 * (from the kernel's struct sock). Encodings are the ABI's (kestrel_abi.h) and match the
 * eBPF probe's; unknown families are written empty.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "ks_internal.h"

#define KS_SUN_PATH 108u

/* "path\0", or "@name\0" for an abstract name, of a user sun_path at dst (room for
 * KS_SUN_PATH + 1). Returns the bytes written. */
static u32 ks_user_sun_path(u8 *dst, unsigned long src)
{
	long n;
	char c = 0;

	if (copy_from_user_nofault(&c, (const void __user *)src, 1))
		c = 1; /* let the string read below report the fault as an empty path */
	if (c == '\0') {
		dst[0] = '@';
		n = ks_user_str(dst + 1, src + 1, KS_SUN_PATH - 1);
		if (n <= 1) { /* unnamed */
			dst[0] = '\0';
			return 1;
		}
		return n + 1;
	}
	n = ks_user_str(dst, src, KS_SUN_PATH);
	if (n <= 0) {
		dst[0] = '\0';
		return 1;
	}
	return n;
}

/* Same for a kernel unix_address, whose abstract names are length-delimited. */
static u32 ks_kernel_sun_path(u8 *dst, const struct unix_address *ua)
{
	const char *p = ua->name->sun_path;
	u32 n = ua->len - offsetof(struct sockaddr_un, sun_path), l;

	if (n > KS_SUN_PATH)
		n = KS_SUN_PATH;
	if (p[0] == '\0') {
		l = strnlen(p + 1, min_t(u32, n - 1, KS_SUN_PATH - 2));
		if (!l) {
			dst[0] = '\0';
			return 1;
		}
		dst[0] = '@';
		memcpy(dst + 1, p + 1, l);
		dst[l + 1] = '\0';
		return l + 2;
	}
	l = strnlen(p, min_t(u32, n, KS_SUN_PATH - 1));
	memcpy(dst, p, l);
	dst[l] = '\0';
	return l + 1;
}

/* connect's address argument, from user memory (uaddr, ulen). */
void ks_put_sockaddr(struct ks_rec *r, unsigned long uaddr, long ulen)
{
	union {
		sa_family_t family;
		struct sockaddr_in in;
		struct sockaddr_in6 in6;
	} sa;
	u8 *p = r->buf + r->off;
	u16 port;

	if (!uaddr || ulen < 2 || !ks_room(r, 1 + KS_SUN_PATH + 1))
		goto empty;
	if (copy_from_user_nofault(&sa.family, (const void __user *)uaddr, 2))
		goto fault;
	switch (sa.family) {
	case AF_INET:
		if (ulen < 8)
			goto empty;
		if (copy_from_user_nofault(&sa.in, (const void __user *)uaddr, 8))
			goto fault;
		p[0] = KS_AF_INET;
		memcpy(p + 1, &sa.in.sin_addr.s_addr, 4);
		port = ntohs(sa.in.sin_port);
		memcpy(p + 5, &port, 2);
		ks_put_len(r, 7);
		return;
	case AF_INET6:
		if (ulen < 24)
			goto empty;
		if (copy_from_user_nofault(&sa.in6, (const void __user *)uaddr, 24))
			goto fault;
		p[0] = KS_AF_INET6;
		memcpy(p + 1, &sa.in6.sin6_addr, 16);
		port = ntohs(sa.in6.sin6_port);
		memcpy(p + 17, &port, 2);
		ks_put_len(r, 19);
		return;
	case AF_UNIX:
		p[0] = KS_AF_UNIX;
		if (ulen == 2) { /* unnamed */
			p[1] = '\0';
			ks_put_len(r, 2);
			return;
		}
		ks_put_len(r, 1 + ks_user_sun_path(p + 1, uaddr + 2));
		return;
	}
empty:
	ks_put_empty(r);
	return;
fault:
	r->faults++;
	ks_put_empty(r);
}

static u32 ks_unix_tuple(u8 *p, struct sock *sk)
{
	struct sock *peer = unix_peer_get(sk);
	const struct unix_address *ua;
	u64 id;
	u32 n;

	/* ids are the kernel's sock addresses, as the eBPF probe writes them */
	p[0] = KS_AF_UNIX;
	id = (u64)(unsigned long)sk;
	memcpy(p + 1, &id, 8);
	id = (u64)(unsigned long)peer;
	memcpy(p + 9, &id, 8);
	/* the local end's name if it has one (an accepted socket), else the peer's */
	ua = smp_load_acquire(&unix_sk(sk)->addr);
	if (!ua && peer)
		ua = smp_load_acquire(&unix_sk(peer)->addr);
	if (!ua || ua->len <= (int)offsetof(struct sockaddr_un, sun_path)) {
		p[17] = '\0';
		n = 18;
	} else {
		n = 17 + ks_kernel_sun_path(p + 17, ua);
	}
	if (peer)
		sock_put(peer);
	return n;
}

/* The tuple of the socket behind fd: local end first ("s"), remote end ("d") second. */
void ks_put_tuple(struct ks_rec *r, s64 fd)
{
	struct socket *sock;
	struct sock *sk;
	u8 *p = r->buf + r->off;
	u16 port;
	u32 n = 0;
	int err;

	if (fd < 0 || fd > INT_MAX || !ks_room(r, 17 + KS_SUN_PATH + 1)) {
		ks_put_empty(r);
		return;
	}
	/* fget/fput never sleep: a last fput is deferred to task work */
	sock = sockfd_lookup(fd, &err);
	if (!sock) {
		ks_put_empty(r);
		return;
	}
	sk = sock->sk;
	switch (sk ? sk->sk_family : 0) {
	case AF_INET:
		p[0] = KS_AF_INET;
		memcpy(p + 1, &sk->sk_rcv_saddr, 4);
		memcpy(p + 5, &sk->sk_daddr, 4);
		port = sk->sk_num;
		memcpy(p + 9, &port, 2);
		port = ntohs(sk->sk_dport);
		memcpy(p + 11, &port, 2);
		n = 13;
		break;
#if IS_ENABLED(CONFIG_IPV6)
	case AF_INET6:
		p[0] = KS_AF_INET6;
		memcpy(p + 1, &sk->sk_v6_rcv_saddr, 16);
		memcpy(p + 17, &sk->sk_v6_daddr, 16);
		port = sk->sk_num;
		memcpy(p + 33, &port, 2);
		port = ntohs(sk->sk_dport);
		memcpy(p + 35, &port, 2);
		n = 37;
		break;
#endif
	case AF_UNIX:
		n = ks_unix_tuple(p, sk);
		break;
	}
	sockfd_put(sock);
	if (n)
		ks_put_len(r, n);
	else
		ks_put_empty(r);
}

u64 ks_sock_id(s64 fd)
{
	struct socket *sock;
	u64 id;
	int err;

	if (fd < 0 || fd > INT_MAX)
		return 0;
	sock = sockfd_lookup(fd, &err);
	if (!sock)
		return 0;
	id = (u64)(unsigned long)sock->sk;
	sockfd_put(sock);
	return id;
}
