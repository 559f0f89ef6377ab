#include "syscalls.h"

#include <string.h>

#include "kestrel_abi.h"

static const char *const names[KS_MAX_SYSCALLS] = {
#include "ks_syscall_names.h"
};

const char *ks_syscall_name(unsigned nr)
{
	return nr < KS_MAX_SYSCALLS ? names[nr] : NULL;
}

int ks_syscall_nr(const char *name)
{
	for (unsigned i = 0; i < KS_MAX_SYSCALLS; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return (int)i;
	return -1;
}
