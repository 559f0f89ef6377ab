/* fd.* fields: the file descriptor the event is about (ev->fd, set by the state tracker). */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "fields.h"
#include "state/state.h"

static bool is_ip(const struct ks_fd *fd)
{
	return fd && (fd->type == KS_FD_IPV4_SOCK || fd->type == KS_FD_IPV6_SOCK);
}

static bool is_sock(const struct ks_fd *fd)
{
	return is_ip(fd) || fd->type == KS_FD_UNIX_SOCK || fd->type == KS_FD_NETLINK ||
	       fd->type == KS_FD_OTHER_SOCK;
}

/* fd.type and fd.typechar as Falco spells them. */
static const struct {
	const char *name;
	const char *chr;
} types[] = {
    [KS_FD_UNKNOWN] = {"unknown", "o"},
    [KS_FD_FILE] = {"file", "f"},
    [KS_FD_DIRECTORY] = {"directory", "d"},
    [KS_FD_IPV4_SOCK] = {"ipv4", "4"},
    [KS_FD_IPV6_SOCK] = {"ipv6", "6"},
    [KS_FD_UNIX_SOCK] = {"unix", "u"},
    [KS_FD_PIPE] = {"pipe", "p"},
    [KS_FD_EVENT] = {"event", "e"},
    [KS_FD_SIGNALFD] = {"signalfd", "s"},
    [KS_FD_EVENTPOLL] = {"eventpoll", "l"},
    [KS_FD_INOTIFY] = {"inotify", "i"},
    [KS_FD_TIMERFD] = {"timerfd", "t"},
    [KS_FD_NETLINK] = {"netlink", "n"},
    [KS_FD_MEMFD] = {"memfd", "m"},
    [KS_FD_BPF] = {"bpf", "b"},
    [KS_FD_USERFAULTFD] = {"userfaultfd", "u"},
    [KS_FD_IOURING] = {"io_uring", "r"},
    [KS_FD_OTHER_SOCK] = {"unknown", "o"},
};

static const char *type_name(const struct ks_fd *fd)
{
	return (unsigned)fd->type < sizeof(types) / sizeof(types[0]) && types[fd->type].name
		   ? types[fd->type].name
		   : "unknown";
}

KS_EXTRACT(f_num)
{
	(void)r, (void)m;
	return ev->state && ev->fdnum >= 0 ? ks_value_i64(o, ev->fdnum) : 0;
}

KS_EXTRACT(f_type)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	return fd ? ks_value_str(o, type_name(fd)) : 0;
}

KS_EXTRACT(f_typechar)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	if (!fd)
		return 0;
	unsigned t = (unsigned)fd->type;
	return ks_value_str(o, t < sizeof(types) / sizeof(types[0]) && types[t].chr ? types[t].chr
										    : "o");
}

KS_EXTRACT(f_name)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	return fd && fd->name ? ks_value_str(o, fd->name) : 0;
}

KS_EXTRACT(f_nameraw)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	if (!fd)
		return 0;
	return ks_value_str(o, fd->nameraw ? fd->nameraw : fd->name);
}

/* The directory of a file fd, or a directory fd's own path. */
static const char *directory(struct ks_event *ev, const struct ks_fd *fd)
{
	if (!fd || !fd->name || (fd->type != KS_FD_FILE && fd->type != KS_FD_DIRECTORY))
		return NULL;
	size_t n = strlen(fd->name);
	if (fd->type == KS_FD_FILE) {
		const char *slash = strrchr(fd->name, '/');
		if (!slash)
			return NULL;
		n = slash == fd->name ? 1 : (size_t)(slash - fd->name);
	}
	while (n > 1 && fd->name[n - 1] == '/')
		n--;
	return ks_arena_strdup(ev->arena, fd->name, n);
}

KS_EXTRACT(f_directory)
{
	(void)r, (void)m;
	const char *d = directory(ev, ks_field_fd(ev));
	return d ? ks_value_str(o, d) : 0;
}

KS_EXTRACT(f_filename)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	if (!fd || !fd->name || fd->type != KS_FD_FILE)
		return 0;
	const char *slash = strrchr(fd->name, '/');
	return ks_value_str(o, slash ? slash + 1 : fd->name);
}

static int container_prefixed(struct ks_event *ev, const char *s, struct ks_value *o)
{
	if (!s || !ev->thread)
		return 0;
	size_t n = strlen(ev->thread->container_id) + 1 + strlen(s) + 1;
	char *b = ks_arena_alloc(ev->arena, n);
	if (!b)
		return 0;
	snprintf(b, n, "%s:%s", ev->thread->container_id, s);
	return ks_value_str(o, b);
}

KS_EXTRACT(f_containername)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	return fd ? container_prefixed(ev, fd->name, o) : 0;
}

KS_EXTRACT(f_containerdirectory)
{
	(void)r, (void)m;
	return container_prefixed(ev, directory(ev, ks_field_fd(ev)), o);
}

static int ip(struct ks_value *o, const struct ks_fd *fd, const uint8_t *a)
{
	o->type = KS_FT_IPADDR;
	o->ip.family = fd->family == KS_AF_INET6 ? KS_AF_INET6 : KS_AF_INET;
	o->ip.prefix = fd->family == KS_AF_INET6 ? 128 : 32;
	memset(o->ip.addr, 0, sizeof(o->ip.addr));
	memcpy(o->ip.addr, a, fd->family == KS_AF_INET6 ? 16 : 4);
	return 1;
}

/* Which end of the connection an address or port field reads. */
enum end { E_BOTH, E_CLIENT, E_SERVER, E_LOCAL, E_REMOTE };

static bool client_end(const struct ks_fd *fd, enum end e)
{
	return e == E_CLIENT || (e == E_LOCAL && !fd->is_server) ||
	       (e == E_REMOTE && fd->is_server);
}

/* A connected ip socket has a tuple; a fresh one has none to show. */
static bool has_tuple(const struct ks_fd *fd)
{
	return is_ip(fd) && fd->name && fd->name[0];
}

static int addr(struct ks_event *ev, struct ks_value *o, size_t m, enum end e)
{
	struct ks_fd *fd = ks_field_fd(ev);
	if (!has_tuple(fd))
		return 0;
	if (e == E_BOTH) {
		int n = ip(&o[0], fd, fd->cip);
		if (m > 1)
			n += ip(&o[1], fd, fd->sip);
		return n;
	}
	return ip(o, fd, client_end(fd, e) ? fd->cip : fd->sip);
}

static int port(struct ks_event *ev, struct ks_value *o, size_t m, enum end e)
{
	struct ks_fd *fd = ks_field_fd(ev);
	if (!has_tuple(fd))
		return 0;
	if (e == E_BOTH) {
		int n = ks_value_u64(&o[0], KS_FT_PORT, fd->cport);
		if (m > 1)
			n += ks_value_u64(&o[1], KS_FT_PORT, fd->sport);
		return n;
	}
	return ks_value_u64(o, KS_FT_PORT, client_end(fd, e) ? fd->cport : fd->sport);
}

#define ADDR_FIELDS(sfx, e)                                                                        \
	KS_EXTRACT(f_ip_##sfx)                                                                     \
	{                                                                                          \
		(void)r;                                                                           \
		return addr(ev, o, m, e);                                                          \
	}                                                                                          \
	KS_EXTRACT(f_port_##sfx)                                                                   \
	{                                                                                          \
		(void)r;                                                                           \
		return port(ev, o, m, e);                                                          \
	}

ADDR_FIELDS(any, E_BOTH)
ADDR_FIELDS(c, E_CLIENT)
ADDR_FIELDS(s, E_SERVER)
ADDR_FIELDS(l, E_LOCAL)
ADDR_FIELDS(r, E_REMOTE)

KS_EXTRACT(f_l4proto)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	if (!fd)
		return 0;
	/* Falco prints "<NA>" as the value for fds without a layer 4 protocol */
	const char *s = "<NA>";
	if (is_ip(fd) || fd->type == KS_FD_OTHER_SOCK)
		switch (fd->l4proto) {
		case IPPROTO_TCP:
			s = "tcp";
			break;
		case IPPROTO_UDP:
			s = "udp";
			break;
		case IPPROTO_ICMP:
		case IPPROTO_ICMPV6:
			s = "icmp";
			break;
		case IPPROTO_RAW:
			s = "raw";
			break;
		}
	return ks_value_str(o, s);
}

KS_EXTRACT(f_sockfamily)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	if (is_ip(fd))
		return ks_value_str(o, "ip");
	if (fd && fd->type == KS_FD_UNIX_SOCK)
		return ks_value_str(o, "unix");
	return 0;
}

KS_EXTRACT(f_is_server)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	return fd && is_sock(fd) ? ks_value_bool(o, fd->is_server) : 0;
}

KS_EXTRACT(f_connected)
{
	(void)r, (void)m;
	struct ks_fd *fd = ks_field_fd(ev);
	return fd ? ks_value_bool(o, fd->connected) : 0;
}

KS_EXTRACT(f_name_changed)
{
	(void)r, (void)m;
	return ev->state && ev->fd ? ks_value_bool(o, ks_state_fd_name_changed(ev->state, ev)) : 0;
}

/* fd.types[N]: the type of fd N of the process; fd.types: every type it has open. */
KS_EXTRACT(f_types)
{
	if (!ev->state || !ev->thread)
		return 0;
	if (r->has_arg) {
		struct ks_fd *fd = ks_state_fd(ev->state, ev->thread, r->argnum);
		return fd ? ks_value_str(o, type_name(fd)) : 0;
	}
	size_t n = 0, pos = 0;
	struct ks_fd *fd;
	while (n < m && (fd = ks_state_fd_next(ev->state, ev->thread, &pos))) {
		const char *t = type_name(fd);
		bool dup = false;
		for (size_t i = 0; i < n && !dup; i++)
			dup = strcmp(o[i].s.p, t) == 0;
		if (!dup)
			n += (size_t)ks_value_str(&o[n], t);
	}
	return (int)n;
}

#define NA KS_FF_NA_ALWAYS
#define L  KS_FF_LIST

/* clang-format off */
static const struct ks_field_def defs[] = {
	{"fd.num", KS_FT_INT64, 0, "number of the file descriptor the event is about", f_num},
	{"fd.type", KS_FT_STRING, 0, "type of the fd: file, directory, ipv4, ipv6, unix, pipe, event, signalfd, eventpoll, inotify, timerfd, netlink, memfd, bpf, userfaultfd, io_uring, unknown", f_type},
	{"fd.typechar", KS_FT_STRING, 0, "type of the fd as one character: f file, d directory, 4 ipv4, 6 ipv6, u unix, p pipe, e event, s signalfd, l eventpoll, i inotify, t timerfd, n netlink, m memfd, b bpf, r io_uring, o other", f_typechar},
	{"fd.name", KS_FT_STRING, 0, "full name of the fd: the resolved path of files, cip:cport->sip:sport of ip sockets, the path of unix sockets", f_name},
	{"fd.nameraw", KS_FT_STRING, 0, "name of the fd as the process passed it (paths before resolution)", f_nameraw},
	{"fd.directory", KS_FT_STRING, 0, "directory containing a file fd, or the path of a directory fd", f_directory},
	{"fd.filename", KS_FT_STRING, 0, "file name of a file fd, without its directory", f_filename},
	{"fd.containername", KS_FT_STRING, 0, "container.id and fd.name joined with ':'", f_containername},
	{"fd.containerdirectory", KS_FT_STRING, 0, "container.id and fd.directory joined with ':'", f_containerdirectory},
	{"fd.ip", KS_FT_IPADDR, L, "matches the client or the server address of an ip socket (filters only)", f_ip_any},
	{"fd.cip", KS_FT_IPADDR, 0, "client address of an ip socket", f_ip_c},
	{"fd.sip", KS_FT_IPADDR, 0, "server address of an ip socket", f_ip_s},
	{"fd.lip", KS_FT_IPADDR, 0, "local address of an ip socket", f_ip_l},
	{"fd.rip", KS_FT_IPADDR, 0, "remote address of an ip socket", f_ip_r},
	{"fd.port", KS_FT_PORT, L, "matches the client or the server port of an ip socket (filters only)", f_port_any},
	{"fd.cport", KS_FT_PORT, 0, "client port of an ip socket", f_port_c},
	{"fd.sport", KS_FT_PORT, 0, "server port of an ip socket", f_port_s},
	{"fd.lport", KS_FT_PORT, 0, "local port of an ip socket", f_port_l},
	{"fd.rport", KS_FT_PORT, 0, "remote port of an ip socket", f_port_r},
	{"fd.net", KS_FT_IPNET, L, "matches the client or the server address of an ip socket against networks, as in fd.net in (10.0.0.0/8) (filters only)", f_ip_any},
	{"fd.cnet", KS_FT_IPNET, 0, "client address of an ip socket, compared against networks (10.0.0.0/8)", f_ip_c},
	{"fd.snet", KS_FT_IPNET, 0, "server address of an ip socket, compared against networks", f_ip_s},
	{"fd.lnet", KS_FT_IPNET, 0, "local address of an ip socket, compared against networks", f_ip_l},
	{"fd.rnet", KS_FT_IPNET, 0, "remote address of an ip socket, compared against networks", f_ip_r},
	{"fd.l4proto", KS_FT_STRING, 0, "layer 4 protocol of a socket: tcp, udp, icmp, raw; <NA> for other fds", f_l4proto},
	{"fd.sockfamily", KS_FT_STRING, 0, "socket family: ip for ipv4 and ipv6 sockets, unix for unix sockets", f_sockfamily},
	{"fd.is_server", KS_FT_BOOL, 0, "true if the process is the server end of the socket (it accepted it)", f_is_server},
	{"fd.connected", KS_FT_BOOL, 0, "true if the socket is connected", f_connected},
	{"fd.name_changed", KS_FT_BOOL, 0, "true if this event changed the fd's name (a socket connected again to another address)", f_name_changed},
	{"fd.types", KS_FT_STRING, KS_FF_IDX_ALLOWED | L, "types of the fds the process has open; fd.types[N] is the type of fd N", f_types},
	{"fd.cip.name", KS_FT_STRING, NA, "domain name of the client address (needs DNS tracking, not done)", NULL},
	{"fd.sip.name", KS_FT_STRING, NA, "domain name of the server address (needs DNS tracking, not done)", NULL},
	{"fd.lip.name", KS_FT_STRING, NA, "domain name of the local address (needs DNS tracking, not done)", NULL},
	{"fd.rip.name", KS_FT_STRING, NA, "domain name of the remote address (needs DNS tracking, not done)", NULL},
	{"fd.proto", KS_FT_STRING, NA, "protocol name of the client or server port (not resolved)", NULL},
	{"fd.cproto", KS_FT_STRING, NA, "protocol name of the client port (not resolved)", NULL},
	{"fd.sproto", KS_FT_STRING, NA, "protocol name of the server port (not resolved)", NULL},
	{"fd.lproto", KS_FT_STRING, NA, "protocol name of the local port (not resolved)", NULL},
	{"fd.rproto", KS_FT_STRING, NA, "protocol name of the remote port (not resolved)", NULL},
	{"fd.dev", KS_FT_UINT64, NA, "device number of the file (not recorded by the drivers yet)", NULL},
	{"fd.dev.major", KS_FT_UINT64, NA, "major device number of the file (not recorded by the drivers yet)", NULL},
	{"fd.dev.minor", KS_FT_UINT64, NA, "minor device number of the file (not recorded by the drivers yet)", NULL},
	{"fd.ino", KS_FT_INT64, NA, "inode number of the file (not recorded by the drivers yet)", NULL},
	{"fd.is_upper_layer", KS_FT_BOOL, NA, "true if the file is in the upper layer of an overlayfs (not recorded)", NULL},
	{"fd.is_lower_layer", KS_FT_BOOL, NA, "true if the file is in a lower layer of an overlayfs (not recorded)", NULL},
};
/* clang-format on */

const struct ks_field_table ks_fields_fd = {defs, sizeof(defs) / sizeof(defs[0])};
