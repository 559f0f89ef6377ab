/* evt.* fields: what is in the record itself. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fields.h"
#include "syscalls.h"
#include "fields/flagnames.h"

static int f_num(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	return ks_value_u64(o, KS_FT_UINT64, ev->num);
}

/* A syscall record (written at exit, first parameter the return value)? */
static bool is_syscall(const struct ks_event *ev)
{
	return ev->info->syscall_nr >= 0 || ev->type == KS_E_GENERIC;
}

static int f_type(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	/* Falco names a generic event after its syscall */
	if (ev->type == KS_E_GENERIC) {
		const char *name = ks_syscall_name((unsigned)ks_event_u64(ev, 1, KS_MAX_SYSCALLS));
		return ks_value_str(o, name ? name : "syscall");
	}
	return ks_value_str(o, ev->info->name);
}

static int f_dir(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	/* syscall records are written at exit; procexit and user events are Falco "enter" events */
	return ks_value_str(o, is_syscall(ev) ? "<" : ">");
}

static int f_rawtime(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		     size_t m)
{
	(void)r, (void)m;
	return ks_value_u64(o, KS_FT_ABSTIME, ev->ts);
}

static int f_rawtime_s(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		       size_t m)
{
	(void)r, (void)m;
	return ks_value_u64(o, KS_FT_UINT64, ev->ts / 1000000000u);
}

static int f_rawtime_ns(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
			size_t m)
{
	(void)r, (void)m;
	return ks_value_u64(o, KS_FT_UINT64, ev->ts % 1000000000u);
}

/* kind 0: HH:MM:SS.nnnnnnnnn local; 1: seconds only; 2: ISO 8601 UTC; 3: datetime local */
static int time_str(struct ks_event *ev, struct ks_value *o, int kind)
{
	time_t s = (time_t)(ev->ts / 1000000000u);
	unsigned long ns = (unsigned long)(ev->ts % 1000000000u);
	struct tm tm;
	char *buf = ks_arena_alloc(ev->arena, 48);
	if (!buf)
		return 0;
	if (kind == 2)
		gmtime_r(&s, &tm);
	else
		localtime_r(&s, &tm);
	size_t n;
	switch (kind) {
	case 0:
		n = strftime(buf, 48, "%H:%M:%S", &tm);
		snprintf(buf + n, 48 - n, ".%09lu", ns);
		break;
	case 1:
		strftime(buf, 48, "%H:%M:%S", &tm);
		break;
	case 2:
		n = strftime(buf, 48, "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf + n, 48 - n, ".%09luZ", ns);
		break;
	default:
		n = strftime(buf, 48, "%Y-%m-%d %H:%M:%S", &tm);
		snprintf(buf + n, 48 - n, ".%09lu", ns);
		break;
	}
	return ks_value_str(o, buf);
}

static int f_time(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	return time_str(ev, o, 0);
}

static int f_time_s(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	return time_str(ev, o, 1);
}

static int f_time_iso(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		      size_t m)
{
	(void)r, (void)m;
	return time_str(ev, o, 2);
}

static int f_datetime(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		      size_t m)
{
	(void)r, (void)m;
	return time_str(ev, o, 3);
}

/* The return value: first parameter of every syscall record. */
static bool has_res(const struct ks_event *ev)
{
	return is_syscall(ev) && ks_event_has(ev, 0);
}

static int f_rawres(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	return has_res(ev) ? ks_value_i64(o, ks_event_s64(ev, 0, 0)) : 0;
}

static int f_res(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	if (!has_res(ev))
		return 0;
	int64_t res = ks_event_s64(ev, 0, 0);
	if (res >= 0)
		return ks_value_str(o, "SUCCESS");
	const char *name = res >= -4095 ? strerrorname_np((int)-res) : NULL;
	if (name)
		return ks_value_str(o, name);
	char *buf = ks_arena_alloc(ev->arena, 24);
	if (!buf)
		return 0;
	snprintf(buf, 24, "%" PRId64, res);
	return ks_value_str(o, buf);
}

static int f_failed(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	return has_res(ev) ? ks_value_bool(o, ks_event_s64(ev, 0, 0) < 0) : 0;
}

static bool is_open(const struct ks_event *ev)
{
	return ev->type == KS_E_OPEN || ev->type == KS_E_OPENAT || ev->type == KS_E_OPENAT2 ||
	       ev->type == KS_E_CREAT;
}

static uint32_t open_flags(const struct ks_event *ev)
{
	if (ev->type == KS_E_CREAT) /* creat() is open(O_CREAT|O_WRONLY|O_TRUNC) */
		return O_CREAT | O_WRONLY | O_TRUNC;
	return (uint32_t)ks_event_s64_by_name(ev, "flags", 0);
}

enum open_check { OPEN_READ, OPEN_WRITE, OPEN_EXEC, OPEN_CREATE };

static int open_bool(struct ks_event *ev, struct ks_value *o, enum open_check c)
{
	if (!is_open(ev))
		return ks_value_bool(o, false);
	uint32_t fl = open_flags(ev), acc = fl & O_ACCMODE;
	uint32_t mode = (uint32_t)ks_event_s64_by_name(ev, "mode", 0);
	switch (c) {
	case OPEN_READ:
		return ks_value_bool(o, acc == O_RDONLY || acc == O_RDWR);
	case OPEN_WRITE:
		return ks_value_bool(o, acc == O_WRONLY || acc == O_RDWR);
	case OPEN_EXEC:
		return ks_value_bool(o, (fl & O_CREAT) && (mode & (S_IXUSR | S_IXGRP | S_IXOTH)));
	default:
		return ks_value_bool(o, (fl & O_CREAT) != 0);
	}
}

static int f_open_read(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		       size_t m)
{
	(void)r, (void)m;
	return open_bool(ev, o, OPEN_READ);
}

static int f_open_write(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
			size_t m)
{
	(void)r, (void)m;
	return open_bool(ev, o, OPEN_WRITE);
}

static int f_open_exec(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		       size_t m)
{
	(void)r, (void)m;
	return open_bool(ev, o, OPEN_EXEC);
}

static int f_open_create(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
			 size_t m)
{
	(void)r, (void)m;
	return open_bool(ev, o, OPEN_CREATE);
}

/* Render parameter idx as Falco prints event arguments. */
static size_t render_param(const struct ks_event *ev, unsigned idx, char *buf, size_t len)
{
	const uint8_t *p = ev->param[idx];
	uint16_t l = ev->plen[idx];
	int n = 0;
	if (!l)
		return (size_t)snprintf(buf, len, "<NA>");
	switch (ev->info->params[idx].type) {
	case KS_PT_CHARBUF:
	case KS_PT_FSPATH:
		n = snprintf(buf, len, "%s", (const char *)p);
		break;
	case KS_PT_CHARBUFARRAY: {
		size_t o = 0;
		for (uint16_t i = 0; i + 1 < l && o + 1 < len; i++)
			buf[o++] = p[i] ? (char)p[i] : ' ';
		buf[o] = '\0';
		return o;
	}
	case KS_PT_BYTEBUF: {
		size_t o = 0;
		for (uint16_t i = 0; i < l && o + 1 < len; i++)
			buf[o++] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '.';
		buf[o] = '\0';
		return o;
	}
	case KS_PT_SOCKADDR:
	case KS_PT_SOCKTUPLE: {
		char a[INET6_ADDRSTRLEN] = "", b[INET6_ADDRSTRLEN] = "";
		uint16_t sp, dp;
		bool tuple = ev->info->params[idx].type == KS_PT_SOCKTUPLE;
		if (p[0] == KS_AF_INET && l == (tuple ? 13 : 7)) {
			inet_ntop(AF_INET, p + 1, a, sizeof a);
			if (tuple) {
				inet_ntop(AF_INET, p + 5, b, sizeof b);
				memcpy(&sp, p + 9, 2);
				memcpy(&dp, p + 11, 2);
				n = snprintf(buf, len, "%s:%u->%s:%u", a, sp, b, dp);
			} else {
				memcpy(&sp, p + 5, 2);
				n = snprintf(buf, len, "%s:%u", a, sp);
			}
		} else if (p[0] == KS_AF_INET6 && l == (tuple ? 37 : 19)) {
			inet_ntop(AF_INET6, p + 1, a, sizeof a);
			if (tuple) {
				inet_ntop(AF_INET6, p + 17, b, sizeof b);
				memcpy(&sp, p + 33, 2);
				memcpy(&dp, p + 35, 2);
				n = snprintf(buf, len, "%s:%u->%s:%u", a, sp, b, dp);
			} else {
				memcpy(&sp, p + 17, 2);
				n = snprintf(buf, len, "%s:%u", a, sp);
			}
		} else if (p[0] == KS_AF_UNIX) {
			size_t off = tuple ? 17 : 1;
			n = snprintf(buf, len, "%.*s", l > off ? (int)(l - off) : 0,
				     (const char *)p + off);
		} else
			n = snprintf(buf, len, "<unknown family %u>", p[0]);
		break;
	}
	case KS_PT_UINT32:
	case KS_PT_UID:
	case KS_PT_GID:
	case KS_PT_UINT64:
		n = snprintf(buf, len, "%" PRIu64, ks_event_u64(ev, idx, 0));
		break;
	case KS_PT_MODE:
		n = snprintf(buf, len, "0%" PRIo64, ks_event_u64(ev, idx, 0));
		break;
	case KS_PT_FLAGS32:
	case KS_PT_FLAGS64:
		n = snprintf(buf, len, "0x%" PRIx64, ks_event_u64(ev, idx, 0));
		break;
	default:
		n = snprintf(buf, len, "%" PRId64, ks_event_s64(ev, idx, 0));
		break;
	}
	if (n < 0)
		return 0;
	return (size_t)n < len ? (size_t)n : len - 1;
}

static int arg_index(const struct ks_event *ev, const struct ks_field_ref *r)
{
	if (!r->has_arg)
		return -1;
	if (r->argnum >= 0)
		return r->argnum < ev->nparams ? (int)r->argnum : -1;
	return ks_event_param_index(ev->type, r->argstr);
}

static int f_arg(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)m;
	int i = arg_index(ev, r);
	if (i < 0 || !ks_event_has(ev, (unsigned)i))
		return 0;
	enum ks_param_type t = ev->info->params[i].type;
	/* numbers compare as numbers (evt.arg.res < 0, evt.arg.uid = 0) */
	if (t == KS_PT_INT64 || t == KS_PT_ERRNO || t == KS_PT_FD || t == KS_PT_PID)
		return ks_value_i64(o, ks_event_s64(ev, (unsigned)i, 0));
	if (t == KS_PT_UINT32 || t == KS_PT_UINT64 || t == KS_PT_UID || t == KS_PT_GID)
		return ks_value_u64(o, KS_FT_UINT64, ks_event_u64(ev, (unsigned)i, 0));
	char *buf = ks_arena_alloc(ev->arena, 4096);
	if (!buf)
		return 0;
	/* flags and modes by name where Falco names them (evt.arg.flags contains O_TRUNC) */
	if ((t != KS_PT_FLAGS32 && t != KS_PT_FLAGS64 && t != KS_PT_MODE) ||
	    !ks_flags_render(ev->type, ev->info->params[i].name, ks_event_u64(ev, (unsigned)i, 0),
			     buf, 4096))
		render_param(ev, (unsigned)i, buf, 4096);
	return ks_value_str(o, buf);
}

static int f_args(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)r, (void)m;
	const size_t cap = 8192;
	char *buf = ks_arena_alloc(ev->arena, cap);
	if (!buf)
		return 0;
	size_t n = 0;
	buf[0] = '\0';
	/* Falco's evt.args leaves out the return value of exit events */
	unsigned first = is_syscall(ev) ? 1 : 0;
	for (unsigned i = first; i < ev->nparams && n + 2 < cap; i++) {
		int w = snprintf(buf + n, cap - n, "%s%s=", n ? " " : "", ev->info->params[i].name);
		if (w < 0 || (size_t)w >= cap - n)
			break;
		n += (size_t)w;
		n += render_param(ev, i, buf + n, cap - n);
	}
	return ks_value_str(o, buf);
}

static int f_source(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o, size_t m)
{
	(void)ev, (void)r, (void)m;
	return ks_value_str(o, "syscall");
}

static int f_hostname(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		      size_t m)
{
	(void)ev, (void)r, (void)m;
	static char host[256];
	if (!host[0] && gethostname(host, sizeof host - 1) != 0)
		return 0;
	return ks_value_str(o, host);
}

static int f_category(struct ks_event *ev, const struct ks_field_ref *r, struct ks_value *o,
		      size_t m)
{
	(void)r, (void)m;
	unsigned fl = ev->info->flags;
	return ks_value_str(o, fl & KS_EF_FILE	 ? "file"
			       : fl & KS_EF_NET	 ? "net"
			       : fl & KS_EF_PROC ? "process"
						 : "internal");
}

static const struct ks_field_def defs[] = {
    {"evt.num", KS_FT_UINT64, 0, "event number, in the order the engine saw events", f_num},
    {"evt.time", KS_FT_STRING, 0, "event timestamp as HH:MM:SS.nnnnnnnnn, local time", f_time},
    {"evt.time.s", KS_FT_STRING, 0, "event timestamp as HH:MM:SS, local time", f_time_s},
    {"evt.time.iso8601", KS_FT_STRING, 0, "event timestamp in ISO 8601, UTC, nanoseconds",
     f_time_iso},
    {"evt.datetime", KS_FT_STRING, 0, "event timestamp as YYYY-MM-DD HH:MM:SS.nnnnnnnnn",
     f_datetime},
    {"evt.rawtime", KS_FT_ABSTIME, 0, "event timestamp in nanoseconds since the epoch", f_rawtime},
    {"evt.rawtime.s", KS_FT_UINT64, 0, "integer part of the event timestamp in seconds",
     f_rawtime_s},
    {"evt.rawtime.ns", KS_FT_UINT64, 0, "fractional part of the event timestamp in ns",
     f_rawtime_ns},
    {"evt.type", KS_FT_STRING, 0, "event type, the system call name (open, execve, ...)", f_type},
    {"evt.dir", KS_FT_STRING, 0,
     "event direction: '>' enter, '<' exit (Kestrel writes syscalls at exit)", f_dir},
    {"evt.category", KS_FT_STRING, 0, "event category: file, net, process, internal", f_category},
    {"evt.args", KS_FT_STRING, 0, "all event arguments as name=value pairs", f_args},
    {"evt.arg", KS_FT_STRING, KS_FF_KEY_REQUIRED | KS_FF_IDX_ALLOWED,
     "one event argument, by name (evt.arg.name, evt.arg[name]) or index (evt.arg[0])", f_arg},
    {"evt.rawarg", KS_FT_STRING, KS_FF_KEY_REQUIRED, "one event argument by name, unformatted",
     f_arg},
    {"evt.res", KS_FT_STRING, 0, "return value as a string: SUCCESS or the errno name (ENOENT)",
     f_res},
    {"evt.rawres", KS_FT_INT64, 0, "return value as a number", f_rawres},
    {"evt.failed", KS_FT_BOOL, 0, "true if the system call returned an error", f_failed},
    {"evt.is_open_read", KS_FT_BOOL, 0, "true for open events that open the file for reading",
     f_open_read},
    {"evt.is_open_write", KS_FT_BOOL, 0, "true for open events that open the file for writing",
     f_open_write},
    {"evt.is_open_exec", KS_FT_BOOL, 0,
     "true for open events that create a file with execute permissions", f_open_exec},
    {"evt.is_open_create", KS_FT_BOOL, 0, "true for open events that create the file (O_CREAT)",
     f_open_create},
    {"evt.source", KS_FT_STRING, 0, "event source: syscall", f_source},
    {"evt.hostname", KS_FT_STRING, 0, "name of the host the event happened on", f_hostname},
};

const struct ks_field_table ks_fields_evt = {defs, sizeof(defs) / sizeof(defs[0])};
