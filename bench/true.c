/* The bench's short-lived process: exits 0 at once, static, no libc, a handful of
 * syscalls (execve, exit_group) so the exec scenario measures process churn. */
void _start(void)
{
	__asm__ volatile("mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall" ::
			     : "rax", "rdi", "memory");
	__builtin_unreachable();
}
