/* x86_64 syscall names by number (generated from the kernel headers at build time). */
#ifndef KS_SYSCALLS_H
#define KS_SYSCALLS_H

/* The name of syscall nr, or NULL if there is none. */
const char *ks_syscall_name(unsigned nr);
/* The number of a syscall by name, or -1. */
int ks_syscall_nr(const char *name);

#endif
