/*
 * ksring: a small reader of the kernel module's rings for guest tests, built on the
 * engine's own kmod driver (userspace/driver/driver_kmod.c) and record decoder.
 *
 *   ksring dump OUT -- CMD...      capture while CMD runs; every record must decode; write
 *                                  one line per record to OUT; check a second open is EBUSY
 *   ksring undrained -- CMD...     smallest rings, never drained, while CMD runs; report
 *                                  the drops the module counted
 *   ksring flood N                 N open/close pairs of /dev/null (a load for "undrained")
 *   ksring abuse                   bad mmaps and ioctls are refused; a corrupt tail only
 *                                  makes records drop
 *
 * Prints "ksring ..." summary lines; exits non-zero when a check fails.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver/driver.h"
#include "event.h"
#include "kestrel_kmod.h"

struct dump {
	FILE *out;
	uint64_t records, invalid;
	uint64_t per_type[KS_E_MAX];
};

static void put_param(FILE *f, const struct ks_event *ev, unsigned i)
{
	enum ks_param_type t = ev->info->params[i].type;
	const uint8_t *p = ev->param[i];
	unsigned len = ev->plen[i];

	fprintf(f, " %s=", ev->info->params[i].name);
	if (!len) {
		fputs("<none>", f);
		return;
	}
	switch (t) {
	case KS_PT_CHARBUF:
	case KS_PT_FSPATH:
	case KS_PT_CHARBUFARRAY:
		for (unsigned k = 0; k + 1 < len; k++)
			fputc(p[k] == '\0' ? '|' : (p[k] < 32 || p[k] == ' ' ? '_' : p[k]), f);
		return;
	case KS_PT_SOCKADDR:
	case KS_PT_SOCKTUPLE:
	case KS_PT_BYTEBUF:
		for (unsigned k = 0; k < len; k++)
			fprintf(f, "%02x", p[k]);
		return;
	default:
		fprintf(f, "%" PRId64, ks_event_s64(ev, i, 0));
	}
}

static int on_record(void *ctx, const void *rec, size_t len)
{
	struct dump *d = ctx;
	struct ks_event ev;
	const char *why = NULL;

	d->records++;
	if (ks_event_decode(&ev, rec, len, &why) != 0) {
		d->invalid++;
		fprintf(stderr, "ksring: invalid record: %s\n", why ? why : "?");
		return 0;
	}
	d->per_type[ev.type]++;
	if (d->out) {
		fprintf(d->out, "R %s tid=%" PRId64 " pid=%" PRId64, ev.info->name, ev.tid, ev.pid);
		for (unsigned i = 0; i < ev.nparams; i++)
			put_param(d->out, &ev, i);
		fputc('\n', d->out);
	}
	return 0;
}

/* Capture every syscall of the table. */
static void all_syscalls(uint8_t f[KS_FILTER_BYTES])
{
	memset(f, 0, KS_FILTER_BYTES);
	for (unsigned t = 1; t < KS_E_MAX; t++) {
		int nr = ks_events[t].syscall_nr;

		if (nr >= 0 && nr < (int)KS_MAX_SYSCALLS)
			f[nr / 8] |= (uint8_t)(1u << (nr % 8));
	}
}

static pid_t run(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		perror("ksring: exec");
		_exit(127);
	}
	return pid;
}

static int finish_child(pid_t pid)
{
	int st = 0;

	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static int open_driver(uint64_t ring, struct ks_driver *d)
{
	struct ks_driver_opts o = {.kind = "kmod", .buf_bytes_per_cpu = ring};
	uint8_t f[KS_FILTER_BYTES];
	int err = ks_driver_kmod.open(d, &o);

	if (err)
		return err;
	d->ops = &ks_driver_kmod;
	all_syscalls(f);
	err = ks_driver_kmod.set_filter(d, f);
	if (!err)
		err = ks_driver_kmod.start(d);
	return err;
}

static void print_stats(const char *mode, struct ks_driver *d)
{
	struct ks_driver_stats st;

	memset(&st, 0, sizeof st);
	if (ks_driver_kmod.stats(d, &st) == 0)
		printf("ksring %s stats events=%" PRIu64 " drops_full=%" PRIu64 " drops_fault=%" PRIu64
		       " drops_bug=%" PRIu64 "\n", mode, st.total.events, st.total.drops_full,
		       st.total.drops_fault, st.total.drops_bug);
}

static int cmd_dump(const char *out, char **argv)
{
	struct ks_driver d = {0};
	struct dump dump = {0};
	int busy_fd, rc, fails = 0;

	dump.out = fopen(out, "w");
	if (!dump.out || open_driver(1u << 20, &d))
		return 2;
	busy_fd = open(KS_KMOD_DEV_PREFIX "0", O_RDWR);
	printf("ksring busy=%s\n", busy_fd < 0 && errno == EBUSY ? "ok" : "FAIL");
	fails += !(busy_fd < 0 && errno == EBUSY);
	if (busy_fd >= 0)
		close(busy_fd);
	pid_t child = run(argv);
	for (;;) {
		int st;

		if (ks_driver_kmod.next(&d, on_record, &dump, 100) < 0)
			break;
		if (child > 0 && waitpid(child, &st, WNOHANG) == child) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
			child = 0;
			printf("ksring workload exit=%d\n", rc);
			/* the last records may still be on their way */
			for (int i = 0; i < 5; i++)
				ks_driver_kmod.next(&d, on_record, &dump, 100);
			break;
		}
	}
	print_stats("dump", &d);
	ks_driver_kmod.close(&d);
	fclose(dump.out);
	printf("ksring dump records=%" PRIu64 " invalid=%" PRIu64, dump.records, dump.invalid);
	for (unsigned t = 1; t < KS_E_MAX; t++)
		if (dump.per_type[t])
			printf(" %s=%" PRIu64, ks_events[t].name, dump.per_type[t]);
	printf("\n");
	fails += dump.invalid != 0 || dump.records == 0;
	return fails ? 1 : 0;
}

static int cmd_undrained(char **argv)
{
	struct ks_driver d = {0};
	struct ks_driver_stats st;
	int rc;

	if (open_driver(KS_KMOD_MIN_DATA, &d))
		return 2;
	rc = finish_child(run(argv));
	memset(&st, 0, sizeof st);
	ks_driver_kmod.stats(&d, &st);
	ks_driver_kmod.close(&d);
	printf("ksring undrained exit=%d events=%" PRIu64 " undrained_drops=%" PRIu64 "\n", rc,
	       st.total.events, st.total.drops_full);
	return st.total.drops_full > 0 ? 0 : 1;
}

static int cmd_flood(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY);

		if (fd >= 0)
			close(fd);
	}
	return 0;
}

#define EXPECT(cond, what)                                          \
	do {                                                        \
		if (!(cond)) {                                      \
			printf("ksring abuse: %s: FAIL (errno %d)\n", what, errno); \
			bad++;                                      \
		}                                                   \
	} while (0)

static int cmd_abuse(void)
{
	size_t good = KS_KMOD_MAP_SIZE(KS_KMOD_MIN_DATA);
	struct ks_kmod_filter f;
	struct ks_kmod_ring *hdr;
	uint32_t pid = 999999;
	int fd = open(KS_KMOD_DEV_PREFIX "0", O_RDWR), bad = 0;
	void *m;

	if (fd < 0) {
		perror("ksring: open");
		return 2;
	}
	m = mmap(NULL, good + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "odd-sized mapping refused");
	m = mmap(NULL, KS_KMOD_MAP_SIZE(KS_KMOD_MIN_DATA * 3), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "data size not a power of two refused");
	m = mmap(NULL, KS_KMOD_MAP_SIZE(KS_KMOD_MIN_DATA / 2), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "too small a ring refused");
	m = mmap(NULL, good, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "mapping at an offset refused");
	m = mmap(NULL, good, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	EXPECT(m == MAP_FAILED && errno == EINVAL, "private mapping refused");
	EXPECT(ioctl(fd, _IO(KS_IOC_MAGIC, 99)) < 0 && errno == ENOTTY, "unknown ioctl refused");
	EXPECT(ioctl(fd, KS_IOC_SET_IGNORE_TGID, &pid) < 0 && errno == ESRCH, "unknown pid refused");
	EXPECT(ioctl(fd, KS_IOC_SET_FILTER, (void *)8) < 0 && errno == EFAULT, "bad pointer refused");
	m = mmap(NULL, good, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	EXPECT(m != MAP_FAILED, "a good mapping works");
	if (m != MAP_FAILED) {
		/* a reader that scribbles on its tail: the module must only drop */
		hdr = m;
		hdr->tail = hdr->head + 12345;
		all_syscalls(f.bits);
		EXPECT(ioctl(fd, KS_IOC_SET_FILTER, &f) == 0, "filter set");
		EXPECT(ioctl(fd, KS_IOC_START) == 0, "capture started");
		if (fork() == 0) {
			/* on CPU 0, where the bad ring is */
			cpu_set_t one;

			CPU_ZERO(&one);
			CPU_SET(0, &one);
			sched_setaffinity(0, sizeof one, &one);
			_exit(cmd_flood(2000));
		}
		wait(NULL);
		hdr->tail = ~0ull;
		if (fork() == 0)
			_exit(cmd_flood(2000));
		wait(NULL);
		printf("ksring abuse: drops_full=%llu after corrupt tails\n",
		       (unsigned long long)hdr->stats.drops_full);
		munmap(m, good);
	}
	close(fd);
	printf("ksring abuse=%s\n", bad ? "FAIL" : "ok");
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "dump") && !strcmp(argv[3], "--"))
		return cmd_dump(argv[2], argv + 4);
	if (argc >= 4 && !strcmp(argv[1], "undrained") && !strcmp(argv[2], "--"))
		return cmd_undrained(argv + 3);
	if (argc == 2 && !strcmp(argv[1], "abuse"))
		return cmd_abuse();
	if (argc == 3 && !strcmp(argv[1], "flood"))
		return cmd_flood(atol(argv[2]));
	fprintf(stderr, "usage: ksring dump OUT -- CMD... | undrained -- CMD... | flood N | abuse\n");
	return 2;
}
