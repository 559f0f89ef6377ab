/* Users and groups: parsing, lookups, reload on change, and the user.* / group.* fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <time.h>

#include "test_state_helpers.h"

static void test_users_lookup(void **unused)
{
	(void)unused;
	char *dir = make_tmpdir();
	char pw[4200], gr[4200];
	snprintf(pw, sizeof(pw), "%s/passwd", dir);
	snprintf(gr, sizeof(gr), "%s/group", dir);
	putf("root:x:0:0:root:/root:/bin/bash\n"
	     "# a comment\n"
	     "\n"
	     "broken line without fields\n"
	     "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
	     "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
	     "alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\n"
	     "alias:x:1000:1000::/home/alias:/bin/sh\n",
	     "%s", pw);
	putf("root:x:0:\nstaff:x:50:alice,bob\nnogroup:x:65534:\n", "%s", gr);
	struct ks_state_opts o = {.proc_root = "/nonexistent", .passwd_file = pw, .group_file = gr};
	struct tctx *c = tctx_new(&o);
	assert_string_equal(ks_state_user_name(c->st, 0), "root");
	assert_string_equal(ks_state_user_name(c->st, 65534), "nobody");
	assert_string_equal(ks_state_user_name(c->st, 1000), "alice"); /* first one wins */
	assert_string_equal(ks_state_user_home(c->st, 1000), "/home/alice");
	assert_string_equal(ks_state_user_shell(c->st, 1), "/usr/sbin/nologin");
	assert_null(ks_state_user_name(c->st, 4242));
	assert_string_equal(ks_state_group_name(c->st, 50), "staff");
	assert_null(ks_state_group_name(c->st, 51));

	/* the fields, on an event of a process running as alice with loginuid unset */
	struct exec_args ea = {.exe = "id",
			       .ptid = 1,
			       .cwd = "/",
			       .comm = "id",
			       .exepath = "/usr/bin/id",
			       .uid = 1000,
			       .loginuid = UINT32_MAX};
	rec_exec(c, 100, 100, 0, &ea);
	before(c);
	assert_string_equal(field(c, "user.uid"), "1000");
	assert_string_equal(field(c, "user.name"), "alice");
	assert_string_equal(field(c, "user.homedir"), "/home/alice");
	assert_string_equal(field(c, "user.shell"), "/bin/zsh");
	assert_string_equal(field(c, "user.loginuid"), "-1");
	assert_string_equal(field(c, "user.loginname"), "<NA>");
	assert_string_equal(field(c, "group.gid"), "1000"); /* rec_exec: gid = uid */
	assert_string_equal(field(c, "group.name"), "<NA>");
	after(c);

	/* a changed passwd file is picked up (checked at most once a second) */
	struct timespec nap = {1, 100000000};
	putf("root:x:0:0:root:/root:/bin/bash\ncarol:x:1000:1000::/home/carol:/bin/sh\n", "%s", pw);
	nanosleep(&nap, NULL);
	rec_openat(c, 100, 100, 3, AT_FDCWD, "/x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "user.name"), "carol");
	after(c);
	/* a passwd file that disappears keeps the last names */
	unlink(pw);
	nanosleep(&nap, NULL);
	rec_openat(c, 100, 100, 4, AT_FDCWD, "/y", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "user.name"), "carol");
	after(c);
	tctx_free(c);

	/* missing files: names are <NA>, nothing fails */
	o.passwd_file = "/nonexistent/passwd";
	o.group_file = "/nonexistent/group";
	c = tctx_new(&o);
	assert_null(ks_state_user_name(c->st, 0));
	assert_null(ks_state_group_name(c->st, 0));
	tctx_free(c);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_users_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
