/*
 * Symbolic names of flag and enum parameters, as Falco's evt.arg.<name> gives them
 * ("O_RDONLY|O_CLOEXEC", "S_ISUID|S_IRUSR", "PTRACE_ATTACH"), so conditions such as
 * `evt.arg.flags contains O_TRUNC` mean what they mean in Falco. Only the parameters the
 * upstream rules look at have a table; the others keep their numeric rendering.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "fields/flagnames.h"

struct flag_name {
	uint64_t bit;
	const char *name;
};

static const struct flag_name open_flags[] = {
    {O_CREAT, "O_CREAT"},	  {O_EXCL, "O_EXCL"},
    {O_NOCTTY, "O_NOCTTY"},	  {O_TRUNC, "O_TRUNC"},
    {O_APPEND, "O_APPEND"},	  {O_NONBLOCK, "O_NONBLOCK"},
    {O_DSYNC, "O_DSYNC"},	  {O_DIRECT, "O_DIRECT"},
    {O_LARGEFILE, "O_LARGEFILE"}, {O_NOFOLLOW, "O_NOFOLLOW"},
    {O_NOATIME, "O_NOATIME"},	  {O_CLOEXEC, "O_CLOEXEC"},
    {O_PATH, "O_PATH"},		  {0, NULL},
};

static const struct flag_name mode_bits[] = {
    {04000, "S_ISUID"}, {02000, "S_ISGID"}, {01000, "S_ISVTX"}, {0400, "S_IRUSR"},
    {0200, "S_IWUSR"},	{0100, "S_IXUSR"},  {040, "S_IRGRP"},	{020, "S_IWGRP"},
    {010, "S_IXGRP"},	{04, "S_IROTH"},    {02, "S_IWOTH"},	{01, "S_IXOTH"},
    {0, NULL},
};

static const struct flag_name ns_flags[] = {
    {0x00000200, "CLONE_FS"},	   {0x00000400, "CLONE_FILES"},	  {0x00020000, "CLONE_NEWNS"},
    {0x00040000, "CLONE_SYSVSEM"}, {0x00000080, "CLONE_NEWTIME"}, {0x02000000, "CLONE_NEWCGROUP"},
    {0x04000000, "CLONE_NEWUTS"},  {0x08000000, "CLONE_NEWIPC"},  {0x10000000, "CLONE_NEWUSER"},
    {0x20000000, "CLONE_NEWPID"},  {0x40000000, "CLONE_NEWNET"},  {0, NULL},
};

/* enum values, not bits */
static const struct flag_name ptrace_requests[] = {
    {0, "PTRACE_TRACEME"},
    {1, "PTRACE_PEEKTEXT"},
    {2, "PTRACE_PEEKDATA"},
    {3, "PTRACE_PEEKUSR"},
    {4, "PTRACE_POKETEXT"},
    {5, "PTRACE_POKEDATA"},
    {6, "PTRACE_POKEUSR"},
    {7, "PTRACE_CONT"},
    {8, "PTRACE_KILL"},
    {9, "PTRACE_SINGLESTEP"},
    {12, "PTRACE_GETREGS"},
    {13, "PTRACE_SETREGS"},
    {14, "PTRACE_GETFPREGS"},
    {15, "PTRACE_SETFPREGS"},
    {16, "PTRACE_ATTACH"},
    {17, "PTRACE_DETACH"},
    {18, "PTRACE_GETFPXREGS"},
    {19, "PTRACE_SETFPXREGS"},
    {24, "PTRACE_SYSCALL"},
    {31, "PTRACE_SYSEMU"},
    {32, "PTRACE_SYSEMU_SINGLESTEP"},
    {33, "PTRACE_SINGLEBLOCK"},
    {0x4200, "PTRACE_SETOPTIONS"},
    {0x4201, "PTRACE_GETEVENTMSG"},
    {0x4202, "PTRACE_GETSIGINFO"},
    {0x4203, "PTRACE_SETSIGINFO"},
    {0x4204, "PTRACE_GETREGSET"},
    {0x4205, "PTRACE_SETREGSET"},
    {0x4206, "PTRACE_SEIZE"},
    {0x4207, "PTRACE_INTERRUPT"},
    {0x4208, "PTRACE_LISTEN"},
    {0x4209, "PTRACE_PEEKSIGINFO"},
    {0, NULL},
};

static size_t join_bits(const struct flag_name *t, uint64_t v, char *buf, size_t len, size_t o)
{
	for (; t->name; t++) {
		if (!(v & t->bit))
			continue;
		int n = snprintf(buf + o, len - o, "%s%s", o ? "|" : "", t->name);
		if (n < 0 || (size_t)n >= len - o)
			break;
		o += (size_t)n;
	}
	return o;
}

static size_t enum_name(const struct flag_name *t, uint64_t v, char *buf, size_t len)
{
	for (; t->name; t++)
		if (t->bit == v)
			return (size_t)snprintf(buf, len, "%s", t->name);
	return 0;
}

static bool is(enum ks_event_type type, const char *name)
{
	return strcmp(ks_events[type].name, name) == 0;
}

size_t ks_flags_render(enum ks_event_type type, const char *param, uint64_t v, char *buf,
		       size_t len)
{
	if (!len)
		return 0;
	buf[0] = '\0';
	if (strcmp(param, "flags") == 0 &&
	    (is(type, "open") || is(type, "openat") || is(type, "openat2"))) {
		/* the access mode is a 2-bit number, not a flag: name it first */
		static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR", NULL};
		size_t o = 0;
		if (acc[v & O_ACCMODE])
			o = (size_t)snprintf(buf, len, "%s", acc[v & O_ACCMODE]);
		if (o >= len)
			o = len - 1;
		/* O_TMPFILE contains O_DIRECTORY: name the one that is there */
		if ((v & O_TMPFILE) == O_TMPFILE)
			o = join_bits(
			    (const struct flag_name[]){{O_TMPFILE, "O_TMPFILE"}, {0, NULL}},
			    O_TMPFILE, buf, len, o);
		else if (v & O_DIRECTORY)
			o = join_bits(
			    (const struct flag_name[]){{O_DIRECTORY, "O_DIRECTORY"}, {0, NULL}},
			    O_DIRECTORY, buf, len, o);
		/* O_SYNC is __O_SYNC | O_DSYNC */
		if ((v & O_SYNC) == O_SYNC)
			o = join_bits((const struct flag_name[]){{O_SYNC, "O_SYNC"}, {0, NULL}},
				      O_SYNC, buf, len, o);
		return join_bits(open_flags, (v & O_SYNC) == O_SYNC ? v & ~(uint64_t)O_DSYNC : v,
				 buf, len, o);
	}
	if (strcmp(param, "mode") == 0 &&
	    (is(type, "chmod") || is(type, "fchmod") || is(type, "fchmodat")))
		return join_bits(mode_bits, v, buf, len, 0);
	if ((strcmp(param, "flags") == 0 && is(type, "unshare")) ||
	    (strcmp(param, "nstype") == 0 && is(type, "setns")))
		return join_bits(ns_flags, v, buf, len, 0);
	if (strcmp(param, "request") == 0 && is(type, "ptrace"))
		return enum_name(ptrace_requests, v, buf, len);
	return 0;
}
