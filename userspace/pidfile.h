/* -P/--pidfile: the process id in a file, written atomically, removed at exit if still ours. */
#ifndef KS_PIDFILE_H
#define KS_PIDFILE_H

/* Write getpid() + "\n" to path (via a temporary file and rename). 0 or a negative errno
 * (logged). */
int ks_pidfile_write(const char *path);
/* Remove path if it still holds our pid (a newer instance may have replaced it). */
void ks_pidfile_remove(const char *path);

#endif
