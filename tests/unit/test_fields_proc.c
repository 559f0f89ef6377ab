/* proc.*, thread.*, container.* fields over a small process tree, and the field registry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sched.h>
#include <signal.h>

#include "test_state_helpers.h"

/* sshd(10) -> bash(20, session leader) -> sh(30) -> python(40) */
static void spawn(struct tctx *c, uint32_t parent, uint32_t pid, const char *comm, const char *exe,
		  const char *args, size_t args_len, const char *exepath)
{
	rec_clone(c, KS_E_CLONE, parent, parent, pid, SIGCHLD, 1, "x", "/x", 0);
	run(c);
	struct exec_args ea = {.exe = exe,
			       .args = args,
			       .args_len = args_len,
			       .ptid = parent,
			       .cwd = "/home/u",
			       .comm = comm,
			       .exepath = exepath,
			       .uid = 1000,
			       .loginuid = 1000,
			       .tty = 34817};
	rec_exec(c, pid, pid, 0, &ea);
	run(c);
}

static struct tctx *tree(void)
{
	struct tctx *c = tctx_new(NULL);
	struct exec_args ea = {.exe = "/usr/sbin/sshd",
			       .args = "-D\0",
			       .args_len = 3,
			       .ptid = 1,
			       .cwd = "/",
			       .comm = "sshd",
			       .exepath = "/usr/sbin/sshd"};
	rec_exec(c, 10, 10, 0, &ea);
	run(c);
	spawn(c, 10, 20, "bash", "-bash", NULL, 0, "/usr/bin/bash");
	spawn(c, 20, 30, "sh", "sh", "-c\0python3 x.py\0", 16, "/usr/bin/dash");
	spawn(c, 30, 40, "python3", "python3", "x.py\0", 5, "/usr/bin/python3.11");
	return c;
}

static void test_ancestry(void **unused)
{
	(void)unused;
	struct tctx *c = tree();
	rec_openat(c, 40, 40, 3, AT_FDCWD, "x.py", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.name"), "python3");
	assert_string_equal(field(c, "proc.pid"), "40");
	assert_string_equal(field(c, "proc.ppid"), "30");
	assert_string_equal(field(c, "proc.pname"), "sh");
	assert_string_equal(field(c, "proc.pexe"), "sh");
	assert_string_equal(field(c, "proc.pexepath"), "/usr/bin/dash");
	assert_string_equal(field(c, "proc.pcmdline"), "sh -c python3 x.py");
	assert_string_equal(field(c, "proc.cmdline"), "python3 x.py");
	assert_string_equal(field(c, "proc.exeline"), "python3 x.py");
	assert_string_equal(field(c, "proc.aname[0]"), "python3");
	assert_string_equal(field(c, "proc.aname[1]"), "sh");
	assert_string_equal(field(c, "proc.aname[2]"), "bash");
	assert_string_equal(field(c, "proc.aname[3]"), "sshd");
	assert_string_equal(field(c, "proc.aname[4]"), "<NA>"); /* pid 1 is unknown here */
	assert_string_equal(field(c, "proc.aexe[2]"), "-bash");
	assert_string_equal(field(c, "proc.aexepath[2]"), "/usr/bin/bash");
	assert_string_equal(field(c, "proc.apid[3]"), "10");
	assert_string_equal(field(c, "proc.acmdline[3]"), "sshd -D");
	/* without an index: every ancestor, not the process itself */
	assert_string_equal(field(c, "proc.aname"), "sh,bash,sshd");
	assert_string_equal(field(c, "proc.aexepath"),
			    "/usr/bin/dash,/usr/bin/bash,/usr/sbin/sshd");
	/* the eldest shell */
	assert_string_equal(field(c, "proc.loginshellid"), "20");
	assert_string_equal(field(c, "proc.tty"), "34817");
	assert_string_equal(field(c, "proc.cwd"), "/home/u/");
	assert_string_equal(field(c, "thread.tid"), "40");
	assert_string_equal(field(c, "thread.vtid"), "40");
	assert_string_equal(field(c, "thread.ismain"), "true");
	assert_string_equal(field(c, "proc.vpid"), "40");
	assert_string_equal(field(c, "proc.is_exe_from_memfd"), "false");
	assert_string_equal(field(c, "container.id"), "host");
	assert_string_equal(field(c, "container.name"), "host");
	assert_string_equal(field(c, "container.image.repository"), "<NA>");
	assert_string_equal(field(c, "k8s.ns.name"), "<NA>");
	assert_string_equal(field(c, "proc.exe_ino.ctime"), "<NA>");
	after(c);
	tctx_free(c);
}

static void test_session_and_groups(void **unused)
{
	(void)unused;
	struct tctx *c = tree();
	/* every process of the tree says sid 1 (rec_exec); make bash lead session 20 */
	struct ks_thread *t;
	for (int pid = 20; pid <= 40; pid += 10) {
		t = ks_state_thread(c->st, pid);
		t->sid = 20;
		t->pgid = pid == 20 ? 20 : 30;
	}
	rec_openat(c, 40, 40, 3, AT_FDCWD, "/a", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.sid"), "20");
	assert_string_equal(field(c, "proc.sname"), "bash");
	assert_string_equal(field(c, "proc.sid.exepath"), "/usr/bin/bash");
	assert_string_equal(field(c, "proc.is_sid_leader"), "false");
	assert_string_equal(field(c, "proc.vpgid"), "30");
	assert_string_equal(field(c, "proc.vpgid.name"), "sh");
	assert_string_equal(field(c, "proc.is_vpgid_leader"), "false");
	after(c);
	/* the session leader is gone: the eldest ancestor in the session stands in */
	rec_procexit(c, 20, 20, 1);
	run(c);
	rec_openat(c, 40, 40, 4, AT_FDCWD, "/b", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.aname[2]"), "<NA>");
	assert_string_equal(field(c, "proc.sname"), "sh");
	after(c);
	tctx_free(c);
}

static void test_env_caps_time(void **unused)
{
	(void)unused;
	char *root = make_tmpdir();
	struct fake_proc p = {.pid = 77,
			      .ppid = 1,
			      .pgid = 77,
			      .sid = 77,
			      .comm = "curl",
			      .cmdline = "curl\0-x\0http://proxy\0",
			      .cmdline_len = 21,
			      .exe = "/memfd:payload (deleted)",
			      .cwd = "/",
			      .environ = "HTTP_PROXY=http://p:3128\0EMPTY=\0LANG=C\0",
			      .environ_len = 39,
			      .capprm = 0x1ffffffffffull,
			      .capeff = (1ull << 21) | (1ull << 16)};
	fake_proc(root, &p);
	struct ks_state_opts o = {
	    .proc_root = root, .passwd_file = "/dev/null", .group_file = "/dev/null"};
	struct tctx *c = tctx_new(&o);
	assert_int_equal(ks_state_seed(c->st), 1);
	struct ks_thread *t = ks_state_thread(c->st, 77);
	rec_openat(c, 77, 77, 3, AT_FDCWD, "/a", O_RDONLY);
	c->rb.hdr.ts = t->clone_ts + 2500000000ull;
	before(c);
	assert_string_equal(field(c, "proc.env"), "HTTP_PROXY=http://p:3128 EMPTY= LANG=C");
	assert_string_equal(field(c, "proc.env[HTTP_PROXY]"), "http://p:3128");
	assert_string_equal(field(c, "proc.env[EMPTY]"), "");
	assert_string_equal(field(c, "proc.env[HTTP]"), "<NA>");
	assert_string_equal(field(c, "proc.args"), "-x http://proxy");
	assert_string_equal(field(c, "proc.is_exe_from_memfd"), "true");
	assert_string_equal(field(c, "thread.cap_effective"), "CAP_SYS_MODULE CAP_SYS_ADMIN");
	const char *perm = field(c, "thread.cap_permitted");
	assert_non_null(strstr(perm, "CAP_CHOWN CAP_DAC_OVERRIDE"));
	assert_non_null(strstr(perm, "CAP_CHECKPOINT_RESTORE"));
	assert_string_equal(field(c, "thread.vtid"), "177");
	assert_string_equal(field(c, "proc.vpid"), "7");
	assert_string_equal(field(c, "proc.duration"), "2500000000");
	assert_string_equal(field(c, "proc.is_sid_leader"), "true");
	after(c);
	/* a child inherits the environment */
	rec_clone(c, KS_E_CLONE, 77, 77, 78, SIGCHLD, 1, "curl", "/usr/bin/curl", 0);
	run(c);
	rec_openat(c, 78, 78, 3, AT_FDCWD, "/a", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.env[LANG]"), "C");
	assert_string_equal(field(c, "proc.pname"), "curl");
	after(c);
	tctx_free(c);
	rm_rf(root);
	free(root);
}

static void test_container_fields(void **unused)
{
	(void)unused;
	struct tctx *c = tctx_new(NULL);
	static const char *const cgroups[][2] = {
	    {"/system.slice/docker-"
	     "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90.scope",
	     "a1b2c3d4e5f6"},
	    {"/docker/0011223344556677889900112233445566778899001122334455667788990011",
	     "001122334455"},
	    {"/kubepods.slice/kubepods-burstable.slice/"
	     "kubepods-burstable-pod12345678_1234_1234_1234_123456789012.slice/"
	     "cri-containerd-"
	     "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210.scope",
	     "fedcba987654"},
	    {"/machine.slice/libpod-"
	     "9999999999999999999999999999999999999999999999999999999999999999.scope/container",
	     "999999999999"},
	    {"/machine.slice/crio-"
	     "abababababababababababababababababababababababababababababababab.scope",
	     "abababababab"},
	    {"/user.slice/user-1000.slice/session-2.scope", "host"},
	    {"/", "host"},
	    {"/system.slice/docker-notanid.scope", "host"},
	};
	for (size_t i = 0; i < sizeof(cgroups) / sizeof(cgroups[0]); i++) {
		struct exec_args ea = {.exe = "x",
				       .ptid = 1,
				       .cwd = "/",
				       .comm = "x",
				       .exepath = "/x",
				       .cgroup = cgroups[i][0]};
		rec_exec(c, 100, 100, 0, &ea);
		before(c);
		assert_string_equal(field(c, "container.id"), cgroups[i][1]);
		after(c);
	}
	struct exec_args ea = {.exe = "x",
			       .ptid = 1,
			       .cwd = "/",
			       .comm = "x",
			       .exepath = "/x",
			       .cgroup = cgroups[2][0]};
	rec_exec(c, 100, 100, 0, &ea);
	before(c);
	assert_string_equal(field(c, "container.type"), "containerd");
	assert_string_equal(field(c, "container.full_id"),
			    "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
	assert_string_equal(field(c, "k8s.pod.uid"), "12345678-1234-1234-1234-123456789012");
	assert_string_equal(field(c, "container.name"), "<NA>");
	after(c);
	/* each container announced once, in order */
	char id[16];
	const char *want[] = {"a1b2c3d4e5f6", "001122334455", "fedcba987654", "999999999999",
			      "abababababab"};
	for (size_t i = 0; i < 5; i++) {
		assert_true(ks_state_next_new_container(c->st, id));
		assert_string_equal(id, want[i]);
	}
	assert_false(ks_state_next_new_container(c->st, id));
	/* the container event names its container, whoever sent it */
	begin(c, KS_E_CONTAINER, 0, 0);
	ks_rec_str(&c->rb, "a1b2c3d4e5f6");
	before(c);
	assert_string_equal(field(c, "container.id"), "a1b2c3d4e5f6");
	after(c);
	tctx_free(c);
}

/* Every field the upstream Falco rules use is known, described, and parses. */
static void test_rules_fields_known(void **unused)
{
	(void)unused;
	static const char *const used[] = {
	    "container.id",
	    "container.image.repository",
	    "container.privileged",
	    "container.start_ts",
	    "evt.arg.flags",
	    "fd.cip.name",
	    "fd.connected",
	    "fd.directory",
	    "fd.filename",
	    "fd.ip",
	    "fd.l4proto",
	    "fd.lip.name",
	    "fd.lport",
	    "fd.name",
	    "fd.name_changed",
	    "fd.nameraw",
	    "fd.net",
	    "fd.num",
	    "fd.port",
	    "fd.rip.name",
	    "fd.rnet",
	    "fd.rport",
	    "fd.sip",
	    "fd.sip.name",
	    "fd.snet",
	    "fd.sockfamily",
	    "fd.sport",
	    "fd.type",
	    "fd.typechar",
	    "fd.types[0]",
	    "group.gid",
	    "group.name",
	    "k8s.ns.name",
	    "proc.aexe[2]",
	    "proc.aexepath[2]",
	    "proc.aname",
	    "proc.aname[7]",
	    "proc.args",
	    "proc.cmdline",
	    "proc.cwd",
	    "proc.duration",
	    "proc.env",
	    "proc.env[GLIBC_TUNABLES]",
	    "proc.exe",
	    "proc.exe_ino.ctime",
	    "proc.exe_ino.ctime_duration_proc_start",
	    "proc.exe_ino.mtime",
	    "proc.exepath",
	    "proc.is_exe_from_memfd",
	    "proc.is_exe_upper_layer",
	    "proc.is_vpgid_leader",
	    "proc.name",
	    "proc.pcmdline",
	    "proc.pexe",
	    "proc.pexepath",
	    "proc.pname",
	    "proc.ppid.duration",
	    "proc.sname",
	    "proc.tty",
	    "proc.vpgid.exe",
	    "proc.vpgid.name",
	    "proc.vpid",
	    "thread.cap_effective",
	    "thread.cap_permitted",
	    "user.loginname",
	    "user.loginuid",
	    "user.name",
	    "user.uid",
	};
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		struct ks_field_ref ref;
		size_t n;
		char err[256];
		int rc = ks_field_parse(used[i], &n, &ref, err, sizeof(err));
		if (rc)
			fail_msg("%s: %s", used[i], err);
		assert_int_equal(n, strlen(used[i]));
		assert_true(strlen(ref.def->desc) > 10);
		ks_field_ref_fini(&ref);
	}
	/* an index where only keys make sense, and vice versa */
	struct ks_field_ref ref;
	size_t n;
	char err[256];
	assert_int_equal(ks_field_parse("proc.aname[x]", &n, &ref, err, sizeof(err)), -EINVAL);
	/* without state, fields are <NA>, never a crash */
	struct tctx *c = tctx_new(NULL);
	rec_openat(c, 5, 5, 3, AT_FDCWD, "/a", O_RDONLY);
	ks_rec_end(&c->rb);
	struct ks_event ev;
	memset(&ev, 0, sizeof(ev));
	assert_int_equal(ks_event_decode(&ev, c->rb.data, c->rb.len, NULL), 0);
	ev.arena = &c->arena;
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		assert_int_equal(ks_field_parse(used[i], &n, &ref, err, sizeof(err)), 0);
		struct ks_value v[8];
		int got = ks_field_extract(&ev, &ref, v, 8);
		if (strncmp(used[i], "evt.", 4) != 0 && got != 0)
			fail_msg("%s has a value without state", used[i]);
		ks_field_ref_fini(&ref);
	}
	tctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ancestry),	       cmocka_unit_test(test_session_and_groups),
	    cmocka_unit_test(test_env_caps_time),      cmocka_unit_test(test_container_fields),
	    cmocka_unit_test(test_rules_fields_known),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
