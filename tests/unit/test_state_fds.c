/* fd tables: path resolution, close, sockets and their tuples, close-on-exec. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include "test_state_helpers.h"

/* A process 100 ("app", cwd /srv/app) to open things in. */
static struct tctx *with_app(void)
{
	struct tctx *c = tctx_new(NULL);
	struct exec_args ea = {
	    .exe = "app", .ptid = 1, .cwd = "/srv/app", .comm = "app", .exepath = "/usr/bin/app"};
	rec_exec(c, 100, 100, 0, &ea);
	run(c);
	return c;
}

static void test_open_paths(void **unused)
{
	(void)unused;
	struct tctx *c = with_app();
	rec_open(c, 100, 100, 3, "conf/../data/./x.txt", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "fd.num"), "3");
	assert_string_equal(field(c, "fd.name"), "/srv/app/data/x.txt");
	assert_string_equal(field(c, "fd.nameraw"), "conf/../data/./x.txt");
	assert_string_equal(field(c, "fd.directory"), "/srv/app/data");
	assert_string_equal(field(c, "fd.filename"), "x.txt");
	assert_string_equal(field(c, "fd.type"), "file");
	assert_string_equal(field(c, "fd.typechar"), "f");
	assert_string_equal(field(c, "fd.l4proto"), "<NA>");
	assert_string_equal(field(c, "fd.sockfamily"), "<NA>");
	assert_string_equal(field(c, "fd.containername"), "host:/srv/app/data/x.txt");
	after(c);

	/* a directory fd, then a path relative to it */
	rec_openat(c, 100, 100, 4, AT_FDCWD, "//var//lib/", O_RDONLY | O_DIRECTORY);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/var/lib");
	assert_string_equal(field(c, "fd.type"), "directory");
	assert_string_equal(field(c, "fd.typechar"), "d");
	assert_string_equal(field(c, "fd.directory"), "/var/lib");
	after(c);
	rec_openat(c, 100, 100, 5, 4, "../log/../../etc/passwd", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/etc/passwd");
	assert_string_equal(field(c, "fd.directory"), "/etc");
	after(c);
	/* ".." never climbs above the root */
	rec_openat(c, 100, 100, 6, AT_FDCWD, "/../../x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/x");
	assert_string_equal(field(c, "fd.directory"), "/");
	after(c);
	/* O_TMPFILE carries the O_DIRECTORY bit but is a file */
	rec_openat(c, 100, 100, 7, AT_FDCWD, "/tmp", O_TMPFILE | O_RDWR);
	before(c);
	assert_string_equal(field(c, "fd.type"), "file");
	after(c);
	/* creat: relative to the cwd */
	begin(c, KS_E_CREAT, 100, 100);
	ks_rec_s64(&c->rb, 8);
	ks_rec_str(&c->rb, "new.txt");
	ks_rec_u32(&c->rb, 0600);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/srv/app/new.txt");
	after(c);

	/* a failed open: rules still see the path, but no fd number and nothing stored */
	size_t nfds = ks_state_nfds(c->st);
	rec_openat(c, 100, 100, -ENOENT, AT_FDCWD, "missing", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/srv/app/missing");
	assert_string_equal(field(c, "fd.num"), "<NA>");
	after(c);
	assert_int_equal(ks_state_nfds(c->st), nfds);

	/* close: the rules of the close still see the fd, then it is gone */
	rec_close(c, 100, 100, 0, 5);
	before(c);
	assert_string_equal(field(c, "fd.name"), "/etc/passwd");
	assert_string_equal(field(c, "fd.num"), "5");
	after(c);
	assert_null(ks_state_fd(c->st, ks_state_thread(c->st, 100), 5));
	assert_int_equal(ks_state_nfds(c->st), nfds - 1);
	/* a failed close keeps it */
	rec_close(c, 100, 100, -EBADF, 3);
	run(c);
	assert_non_null(ks_state_fd(c->st, ks_state_thread(c->st, 100), 3));
	tctx_free(c);
}

static void test_cloexec(void **unused)
{
	(void)unused;
	struct tctx *c = with_app();
	rec_openat(c, 100, 100, 3, AT_FDCWD, "/keep", O_RDONLY);
	run(c);
	rec_openat(c, 100, 100, 4, AT_FDCWD, "/drop", O_RDONLY | O_CLOEXEC);
	run(c);
	rec_socket(c, 100, 100, 5, AF_INET, SOCK_STREAM | SOCK_CLOEXEC);
	run(c);
	/* a CLONE_FILES child shares the table; its exec must not close the parent's fds */
	rec_clone(c, KS_E_CLONE, 100, 100, 101, CLONE_FILES, 1, "app", "/usr/bin/app", 0);
	run(c);
	struct exec_args ea = {
	    .exe = "sh", .ptid = 100, .cwd = "/", .comm = "sh", .exepath = "/bin/sh"};
	rec_exec(c, 101, 101, 0, &ea);
	run(c);
	struct ks_thread *child = ks_state_thread(c->st, 101), *app = ks_state_thread(c->st, 100);
	assert_non_null(ks_state_fd(c->st, child, 3));
	assert_null(ks_state_fd(c->st, child, 4));
	assert_null(ks_state_fd(c->st, child, 5));
	assert_non_null(ks_state_fd(c->st, app, 4));
	assert_non_null(ks_state_fd(c->st, app, 5));
	assert_ptr_not_equal(child->fds, app->fds);
	tctx_free(c);
}

static void test_connect_accept(void **unused)
{
	(void)unused;
	struct tctx *c = with_app();
	const uint8_t lo[4] = {127, 0, 0, 1}, ten[4] = {10, 1, 2, 3};
	uint8_t t[64];

	rec_socket(c, 100, 100, 3, AF_INET, SOCK_STREAM);
	before(c);
	assert_string_equal(field(c, "fd.type"), "ipv4");
	assert_string_equal(field(c, "fd.name"), "");
	assert_string_equal(field(c, "fd.l4proto"), "tcp");
	assert_string_equal(field(c, "fd.cip"), "<NA>");
	after(c);
	/* connect: the client is the local end */
	size_t n = tuple4(t, lo, 40000, ten, 443);
	rec_connect(c, 100, 100, 0, 3, t, n);
	before(c);
	assert_string_equal(field(c, "fd.name"), "127.0.0.1:40000->10.1.2.3:443");
	assert_string_equal(field(c, "fd.cip"), "127.0.0.1");
	assert_string_equal(field(c, "fd.cport"), "40000");
	assert_string_equal(field(c, "fd.sip"), "10.1.2.3");
	assert_string_equal(field(c, "fd.sport"), "443");
	assert_string_equal(field(c, "fd.lip"), "127.0.0.1");
	assert_string_equal(field(c, "fd.rip"), "10.1.2.3");
	assert_string_equal(field(c, "fd.lport"), "40000");
	assert_string_equal(field(c, "fd.rport"), "443");
	assert_string_equal(field(c, "fd.ip"), "127.0.0.1,10.1.2.3");
	assert_string_equal(field(c, "fd.port"), "40000,443");
	assert_string_equal(field(c, "fd.typechar"), "4");
	assert_string_equal(field(c, "fd.sockfamily"), "ip");
	assert_string_equal(field(c, "fd.connected"), "true");
	assert_string_equal(field(c, "fd.is_server"), "false");
	assert_string_equal(field(c, "fd.name_changed"), "false");
	assert_string_equal(field(c, "fd.num"), "3");
	after(c);
	/* connecting again elsewhere (udp style) changes the name */
	n = tuple4(t, lo, 40000, lo, 53);
	rec_connect(c, 100, 100, 0, 3, t, n);
	before(c);
	assert_string_equal(field(c, "fd.name_changed"), "true");
	assert_string_equal(field(c, "fd.name"), "127.0.0.1:40000->127.0.0.1:53");
	after(c);

	/* accept: the server is the local end, the client the remote one */
	rec_socket(c, 100, 100, 4, AF_INET, SOCK_STREAM);
	run(c);
	n = tuple4(t, lo, 8080, ten, 51000);
	rec_accept(c, 100, 100, 6, 4, t, n);
	before(c);
	assert_string_equal(field(c, "fd.num"), "6");
	assert_string_equal(field(c, "fd.name"), "10.1.2.3:51000->127.0.0.1:8080");
	assert_string_equal(field(c, "fd.sport"), "8080");
	assert_string_equal(field(c, "fd.cport"), "51000");
	assert_string_equal(field(c, "fd.lip"), "127.0.0.1");
	assert_string_equal(field(c, "fd.rip"), "10.1.2.3");
	assert_string_equal(field(c, "fd.lport"), "8080");
	assert_string_equal(field(c, "fd.rport"), "51000");
	assert_string_equal(field(c, "fd.is_server"), "true");
	assert_string_equal(field(c, "fd.l4proto"), "tcp");
	assert_string_equal(field(c, "fd.types[6]"), "ipv4");
	after(c);

	/* IPv6, and IPv4-mapped IPv6 shown as IPv4 */
	rec_socket(c, 100, 100, 7, AF_INET6, SOCK_DGRAM);
	run(c);
	uint8_t t6[37] = {KS_AF_INET6};
	t6[16] = 1;	 /* ::1 */
	t6[17 + 15] = 1; /* ::1 */
	uint16_t p1 = 5000, p2 = 53;
	memcpy(t6 + 33, &p1, 2);
	memcpy(t6 + 35, &p2, 2);
	rec_connect(c, 100, 100, 0, 7, t6, sizeof(t6));
	before(c);
	assert_string_equal(field(c, "fd.name"), "::1:5000->::1:53");
	assert_string_equal(field(c, "fd.type"), "ipv6");
	assert_string_equal(field(c, "fd.l4proto"), "udp");
	assert_string_equal(field(c, "fd.sip"), "::1");
	after(c);
	memset(t6 + 1, 0, 32);
	t6[11] = t6[12] = 0xff, t6[13] = 192, t6[14] = 168, t6[15] = 0, t6[16] = 1;
	t6[27] = t6[28] = 0xff, t6[29] = 10, t6[30] = 0, t6[31] = 0, t6[32] = 9;
	rec_connect(c, 100, 100, -EINPROGRESS, 7, t6, sizeof(t6));
	before(c);
	assert_string_equal(field(c, "fd.name"), "192.168.0.1:5000->10.0.0.9:53");
	assert_string_equal(field(c, "fd.typechar"), "4");
	after(c);

	/* unix sockets: "source->dest path" */
	rec_socket(c, 100, 100, 8, AF_UNIX, SOCK_STREAM);
	run(c);
	uint8_t tu[64] = {KS_AF_UNIX};
	uint64_t a = 0xffff8881aabbcc00ull, b = 0xffff8881aabbdd00ull;
	memcpy(tu + 1, &a, 8);
	memcpy(tu + 9, &b, 8);
	strcpy((char *)tu + 17, "/run/docker.sock");
	rec_connect(c, 100, 100, 0, 8, tu, 17 + sizeof("/run/docker.sock"));
	before(c);
	assert_string_equal(field(c, "fd.name"),
			    "ffff8881aabbcc00->ffff8881aabbdd00 /run/docker.sock");
	assert_string_equal(field(c, "fd.type"), "unix");
	assert_string_equal(field(c, "fd.typechar"), "u");
	assert_string_equal(field(c, "fd.sockfamily"), "unix");
	assert_string_equal(field(c, "fd.cip"), "<NA>");
	after(c);

	/* a failed connect leaves the socket alone; connect on an fd we never saw creates it */
	n = tuple4(t, lo, 1, lo, 2);
	rec_connect(c, 100, 100, -ECONNREFUSED, 4, t, n);
	before(c);
	assert_string_equal(field(c, "fd.name"), "");
	after(c);
	rec_connect(c, 100, 100, 0, 42, t, n);
	before(c);
	assert_string_equal(field(c, "fd.name"), "127.0.0.1:1->127.0.0.1:2");
	after(c);
	assert_non_null(ks_state_fd(c->st, ks_state_thread(c->st, 100), 42));
	tctx_free(c);
}

static void test_fd_table_ops(void **unused)
{
	(void)unused;
	/* many fds in one table: growth and removal keep every lookup right */
	struct ks_state_opts o = {.proc_root = "/nonexistent",
				  .passwd_file = "/dev/null",
				  .group_file = "/dev/null",
				  .max_fds_per_process = 100000};
	struct tctx *c = tctx_new(&o);
	struct exec_args ea = {
	    .exe = "app", .ptid = 1, .cwd = "/", .comm = "app", .exepath = "/app"};
	rec_exec(c, 100, 100, 0, &ea);
	run(c);
	char name[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "/f%d", i * 7);
		rec_openat(c, 100, 100, i * 7, AT_FDCWD, name, O_RDONLY);
		run(c);
	}
	for (int i = 0; i < 3000; i += 2) {
		rec_close(c, 100, 100, 0, i * 7);
		run(c);
	}
	struct ks_thread *t = ks_state_thread(c->st, 100);
	for (int i = 0; i < 3000; i++) {
		struct ks_fd *fd = ks_state_fd(c->st, t, i * 7);
		if (i % 2 == 0) {
			assert_null(fd);
			continue;
		}
		assert_non_null(fd);
		snprintf(name, sizeof(name), "/f%d", i * 7);
		assert_string_equal(fd->name, name);
	}
	assert_int_equal(ks_state_nfds(c->st), 1500);
	size_t pos = 0, count = 0;
	while (ks_state_fd_next(c->st, t, &pos))
		count++;
	assert_int_equal(count, 1500);
	/* the exit frees the table */
	rec_procexit(c, 100, 100, 1);
	run(c);
	assert_int_equal(ks_state_nfds(c->st), 0);
	assert_int_equal(ks_state_nthreads(c->st), 0);
	tctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_paths),
	    cmocka_unit_test(test_cloexec),
	    cmocka_unit_test(test_connect_accept),
	    cmocka_unit_test(test_fd_table_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
