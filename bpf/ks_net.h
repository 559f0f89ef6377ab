/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Socket parameters: the address a caller passed (user memory) and the tuple of a socket
 * (read from the kernel's struct sock, found through fd -> file -> socket -> sk).
 * Encodings are the ABI's, see kestrel_abi.h. Unknown families are written empty.
 */
#ifndef KS_NET_H
#define KS_NET_H

#include "vmlinux.h"

#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "ks_record.h"

#define KS_S_IFMT   0170000
#define KS_S_IFSOCK 0140000
#define KS_SUN_PATH 108u

/* The socket behind fd in the current task, or NULL if fd is not a socket. */
static __always_inline struct sock *ks_fd_sock(__s64 fd)
{
	struct task_struct *t = bpf_get_current_task_btf();
	struct fdtable *fdt = BPF_CORE_READ(t, files, fdt);
	struct file **fds, *f = NULL;
	struct socket *sock;

	if (fd < 0 || !fdt || fd >= BPF_CORE_READ(fdt, max_fds))
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	bpf_core_read(&f, sizeof(f), &fds[fd]);
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & KS_S_IFMT) != KS_S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(f, private_data);
	return BPF_CORE_READ(sock, sk);
}

/*
 * sun_path as a string at dst (room for KS_SUN_PATH + 1 bytes): "path\0", "@name\0" for
 * an abstract name (which has no NUL of its own: it is bounded by the address length, so
 * `n` is the number of sun_path bytes the address holds), "\0" for an unnamed socket.
 * `user` says where src lives. Returns the bytes written.
 */
static __always_inline __u64 ks_sun_path(__u8 *dst, const char *src, __u64 n, bool user)
{
	long len = 0;
	char c = 0;

	if (n > KS_SUN_PATH)
		n = KS_SUN_PATH;
	if (n == 0 || (user ? bpf_probe_read_user(&c, 1, src) : bpf_probe_read_kernel(&c, 1, src)))
		goto unnamed;
	if (c != '\0') {
		len = user ? bpf_probe_read_user_str(dst, n + 1, src)
			   : bpf_probe_read_kernel_str(dst, n + 1, src);
		return len > 0 ? len : (dst[0] = '\0', 1);
	}
	n = (n - 1) & (KS_SUN_PATH - 1);
	if (n == 0 || (user ? bpf_probe_read_user(dst + 1, n, src + 1)
			    : bpf_probe_read_kernel(dst + 1, n, src + 1)))
		goto unnamed;
	dst[0] = '@';
	dst[n + 1] = '\0';
	return n + 2;
unnamed:
	dst[0] = '\0';
	return 1;
}

/* connect's address argument, from user memory (uaddr, ulen). */
__noinline int ks_put_sockaddr(struct ks_scratch *s, __u64 uaddr, __s64 ulen)
{
	struct sockaddr_in6 sa = {};
	__u8 *p;

	if (!s)
		return 0;
	if (!uaddr || ulen < 2 || !ks_room(s, 1 + KS_SUN_PATH + 1))
		goto empty;
	if (bpf_probe_read_user(&sa.sin6_family, 2, (void *)uaddr))
		goto fault;
	p = &s->rec[s->off & KS_OFF_MASK];
	switch (sa.sin6_family) {
	case KS_AF_INET: {
		struct sockaddr_in *in = (void *)&sa;

		if (ulen < 8)
			goto empty;
		if (bpf_probe_read_user(in, 8, (void *)uaddr))
			goto fault;
		p[0] = KS_AF_INET;
		*(__u32 *)(p + 1) = in->sin_addr.s_addr;
		*(__u16 *)(p + 5) = bpf_ntohs(in->sin_port);
		ks_put_len(s, 7);
		return 0;
	}
	case KS_AF_INET6:
		if (ulen < 24)
			goto empty;
		if (bpf_probe_read_user(&sa, 24, (void *)uaddr))
			goto fault;
		p[0] = KS_AF_INET6;
		__builtin_memcpy(p + 1, &sa.sin6_addr, 16);
		*(__u16 *)(p + 17) = bpf_ntohs(sa.sin6_port);
		ks_put_len(s, 19);
		return 0;
	case KS_AF_UNIX:
		p[0] = KS_AF_UNIX;
		ks_put_len(s, 1 + ks_sun_path(p + 1, (const char *)uaddr + 2, ulen - 2, true));
		return 0;
	}
empty:
	ks_put_empty(s);
	return 0;
fault:
	s->faults++;
	ks_put_empty(s);
	return 0;
}

/* The tuple of the socket behind fd: local end first ("s"), remote end ("d") second. */
__noinline int ks_put_tuple(struct ks_scratch *s, __s64 fd)
{
	struct sock_common *c;
	struct unix_sock *us, *peer;
	struct unix_address *ua;
	struct sock *sk;
	int len;
	__u8 *p;

	if (!s)
		return 0;
	sk = ks_fd_sock(fd);
	if (!sk || !ks_room(s, 17 + KS_SUN_PATH + 1))
		goto empty;
	c = &sk->__sk_common;
	p = &s->rec[s->off & KS_OFF_MASK];
	switch (BPF_CORE_READ(c, skc_family)) {
	case KS_AF_INET:
		p[0] = KS_AF_INET;
		*(__u32 *)(p + 1) = BPF_CORE_READ(c, skc_rcv_saddr);
		*(__u32 *)(p + 5) = BPF_CORE_READ(c, skc_daddr);
		*(__u16 *)(p + 9) = BPF_CORE_READ(c, skc_num);
		*(__u16 *)(p + 11) = bpf_ntohs(BPF_CORE_READ(c, skc_dport));
		ks_put_len(s, 13);
		return 0;
	case KS_AF_INET6:
		p[0] = KS_AF_INET6;
		bpf_core_read(p + 1, 16, &c->skc_v6_rcv_saddr);
		bpf_core_read(p + 17, 16, &c->skc_v6_daddr);
		*(__u16 *)(p + 33) = BPF_CORE_READ(c, skc_num);
		*(__u16 *)(p + 35) = bpf_ntohs(BPF_CORE_READ(c, skc_dport));
		ks_put_len(s, 37);
		return 0;
	case KS_AF_UNIX:
		/* ids are the kernel's sock addresses; the path is the local end's name if it
		 * has one (an accepted socket), else the peer's (a connecting client) */
		us = (struct unix_sock *)sk;
		peer = (struct unix_sock *)BPF_CORE_READ(us, peer);
		p[0] = KS_AF_UNIX;
		*(__u64 *)(p + 1) = (__u64)sk;
		*(__u64 *)(p + 9) = (__u64)peer;
		ua = BPF_CORE_READ(us, addr);
		if (!ua && peer)
			ua = BPF_CORE_READ(peer, addr);
		len = ua ? BPF_CORE_READ(ua, len) : 0;
		ks_put_len(s, 17 + ks_sun_path(p + 17, ua ? ua->name[0].sun_path : NULL,
					       len > 2 ? len - 2 : 0, false));
		return 0;
	}
empty:
	ks_put_empty(s);
	return 0;
}

#endif
