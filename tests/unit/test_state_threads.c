/* Thread table: seeding, clone in both orders, exec, exit and reparenting, pid reuse, bound. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <sched.h>
#include <signal.h>

#include "test_state_helpers.h"

static void test_seed_fake_proc(void **unused)
{
	(void)unused;
	char *root = make_tmpdir();
	struct fake_proc init = {.pid = 1,
				 .ppid = 0,
				 .pgid = 1,
				 .sid = 1,
				 .comm = "systemd",
				 .cmdline = "/sbin/init\0splash\0",
				 .cmdline_len = 18,
				 .exe = "/usr/lib/systemd/systemd",
				 .cwd = "/",
				 .loginuid = -1};
	struct fake_proc sh = {
	    .pid = 200,
	    .ppid = 1,
	    .pgid = 200,
	    .sid = 200,
	    .tty = 34816,
	    .uid = 1000,
	    .gid = 100,
	    .loginuid = 1000,
	    .comm = "bash",
	    .cmdline = "-bash\0",
	    .cmdline_len = 6,
	    .exe = "/usr/bin/bash",
	    .cwd = "/home/u",
	    .environ = "HOME=/home/u\0PATH=/bin\0",
	    .environ_len = 23,
	    .capprm = 0x200000,
	    .capeff = 0x1,
	    .cgroup = "/system.slice/docker-"
		      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		      ".scope"};
	fake_proc(root, &init);
	fake_proc(root, &sh);
	fake_thread(root, &sh, 201);
	fake_fd(root, 200, 0, "/dev/pts/0", 02);
	fake_fd(root, 200, 3, "/etc", 0200000);
	fake_fd(root, 200, 4, "socket:[1234]", 02004002);
	fake_fd(root, 200, 5, "pipe:[99]", 02000000);
	fake_fd(root, 200, 6, "socket:[555]", 02);
	fake_fd(root, 200, 7, "socket:[777]", 02);
	fake_fd(root, 200, 8, "socket:[888]", 02); /* another namespace: not listed */
	mkdirf("%s/net", root);
	putf("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
	     "timeout inode\n"
	     "   0: 0100007F:9C40 0302010A:01BB 01 00000000:00000000 00:00000000 00000000     0    "
	     "    0 1234 1 0000000000000000 100 0 0 10 0\n",
	     "%s/net/tcp", root);
	putf("  sl  local_address                         remote_address                        st "
	     "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
	     "   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A "
	     "00000000:00000000 00:00000000 00000000     0        0 555 1 0000000000000000 100 0 "
	     "0 10 0\n",
	     "%s/net/tcp6", root);
	putf("Num       RefCount Protocol Flags    Type St Inode Path\n"
	     "0000000000000000: 00000002 00000000 00010000 0001 01 777 /run/x.sock\n",
	     "%s/net/unix", root);

	struct ks_state_opts o = {
	    .proc_root = root, .passwd_file = "/dev/null", .group_file = "/dev/null"};
	struct tctx *c = tctx_new(&o);
	assert_int_equal(ks_state_seed(c->st), 3);
	assert_int_equal(ks_state_nthreads(c->st), 3);

	struct ks_thread *t = ks_state_thread(c->st, 200);
	assert_non_null(t);
	assert_string_equal(t->comm, "bash");
	assert_string_equal(t->exe, "-bash");
	assert_null(t->args);
	assert_string_equal(t->exepath, "/usr/bin/bash");
	assert_string_equal(t->cwd, "/home/u/");
	assert_int_equal(t->ptid, 1);
	assert_int_equal(t->pgid, 200);
	assert_int_equal(t->sid, 200);
	assert_int_equal(t->tty, 34816);
	assert_int_equal(t->uid, 1000); /* effective, not real (1001) */
	assert_int_equal(t->gid, 100);
	assert_int_equal(t->loginuid, 1000);
	assert_int_equal(t->vpid, 7);
	assert_int_equal(t->cap_permitted, 0x200000);
	assert_int_equal(t->cap_effective, 0x1);
	assert_string_equal(t->container_id, "0123456789ab");
	assert_int_equal(t->env_len, 22);
	assert_true(t->clone_ts > 0);

	struct ks_thread *t2 = ks_state_thread(c->st, 201);
	assert_non_null(t2);
	assert_int_equal(t2->pid, 200);
	assert_ptr_equal(t2->fds, t->fds); /* threads of one process share the fd table */
	assert_int_equal(t2->vtid, 301);

	struct ks_fd *fd = ks_state_fd(c->st, t, 3);
	assert_non_null(fd);
	assert_int_equal(fd->type, KS_FD_DIRECTORY);
	assert_string_equal(fd->name, "/etc");
	fd = ks_state_fd(c->st, t, 4);
	assert_non_null(fd);
	assert_int_equal(fd->type, KS_FD_IPV4_SOCK);
	assert_string_equal(fd->name, "127.0.0.1:40000->10.1.2.3:443");
	assert_int_equal(fd->l4proto, 6);
	assert_false(fd->is_server);
	fd = ks_state_fd(c->st, t, 6);
	assert_int_equal(fd->type, KS_FD_IPV6_SOCK);
	assert_string_equal(fd->name, ":::8080");
	assert_true(fd->is_server);
	fd = ks_state_fd(c->st, t, 7);
	assert_int_equal(fd->type, KS_FD_UNIX_SOCK);
	assert_string_equal(fd->name, "/run/x.sock");
	fd = ks_state_fd(c->st, t, 8);
	assert_int_equal(fd->type, KS_FD_OTHER_SOCK);
	assert_string_equal(fd->name, "");
	fd = ks_state_fd(c->st, t, 5);
	assert_int_equal(fd->type, KS_FD_PIPE);
	assert_string_equal(fd->name, "pipe:[99]");
	assert_int_equal(ks_state_nfds(c->st), 7);

	struct ks_thread *p = ks_state_parent(c->st, t);
	assert_non_null(p);
	assert_string_equal(p->comm, "systemd");
	assert_string_equal(p->exe, "/sbin/init");
	assert_int_equal(p->args_len, 6);
	assert_string_equal(p->container_id, "host");

	/* the container was announced once */
	char id[16];
	assert_true(ks_state_next_new_container(c->st, id));
	assert_string_equal(id, "0123456789ab");
	assert_false(ks_state_next_new_container(c->st, id));

	/* exec drops the close-on-exec fds (4, 5), keeps the others */
	struct exec_args ea = {.exe = "ls",
			       .args = "-l\0",
			       .args_len = 3,
			       .ptid = 1,
			       .cwd = "/home/u",
			       .comm = "ls",
			       .exepath = "/usr/bin/ls",
			       .uid = 1000,
			       .loginuid = 1000,
			       .tty = 34816};
	rec_exec(c, 200, 200, 0, &ea);
	run(c);
	t = ks_state_thread(c->st, 200);
	assert_non_null(ks_state_fd(c->st, t, 0));
	assert_non_null(ks_state_fd(c->st, t, 3));
	assert_null(ks_state_fd(c->st, t, 4));
	assert_null(ks_state_fd(c->st, t, 5));
	tctx_free(c);
	rm_rf(root);
	free(root);
}

static void test_seed_real_proc(void **unused)
{
	(void)unused;
	struct ks_state_opts o = {.proc_root = "/proc"};
	struct tctx *c = tctx_new(&o);
	int n = ks_state_seed(c->st);
	assert_true(n > 1);
	struct ks_thread *t = ks_state_thread(c->st, getpid());
	assert_non_null(t);
	char comm[32] = "";
	FILE *f = fopen("/proc/self/comm", "r");
	assert_non_null(f);
	assert_non_null(fgets(comm, sizeof(comm), f));
	fclose(f);
	comm[strcspn(comm, "\n")] = '\0';
	assert_string_equal(t->comm, comm);
	assert_int_equal(t->ptid, getppid());
	assert_int_equal(t->uid, geteuid());
	char exe[4096];
	ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(l > 0);
	exe[l] = '\0';
	assert_string_equal(t->exepath, exe);
	/* our own stdio is there */
	assert_non_null(ks_state_fd(c->st, t, 2));
	assert_null(ks_state_seed(c->st) < 0 ? t : NULL);
	tctx_free(c);

	o.proc_root = "/nonexistent-proc-root";
	c = tctx_new(&o);
	assert_int_equal(ks_state_seed(c->st), -ENOENT);
	tctx_free(c);
}

/* A process 100 ("bash", parent 1) to clone from. */
static struct tctx *with_bash(void)
{
	struct tctx *c = tctx_new(NULL);
	struct exec_args ea = {.exe = "bash",
			       .ptid = 1,
			       .cwd = "/root",
			       .comm = "bash",
			       .exepath = "/usr/bin/bash",
			       .loginuid = 0};
	rec_exec(c, 100, 100, 0, &ea);
	run(c);
	rec_openat(c, 100, 100, 5, AT_FDCWD, "/etc/hosts", O_RDONLY);
	run(c);
	return c;
}

static void test_clone_child_first(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	/* the child's event arrives before the parent's */
	rec_clone(c, KS_E_CLONE, 101, 101, 0, SIGCHLD, 100, "bash", "/usr/bin/bash", 0);
	before(c);
	assert_string_equal(field(c, "proc.pid"), "101");
	assert_string_equal(field(c, "proc.ppid"), "100");
	assert_string_equal(field(c, "proc.pname"), "bash");
	assert_string_equal(field(c, "proc.cwd"), "/root/");
	after(c);
	struct ks_thread *child = ks_state_thread(c->st, 101);
	struct ks_fdtable *fds = child->fds;
	assert_non_null(ks_state_fd(c->st, child, 5)); /* copied, not shared */
	assert_ptr_not_equal(fds, ks_state_thread(c->st, 100)->fds);
	rec_clone(c, KS_E_CLONE, 100, 100, 101, SIGCHLD, 1, "bash", "/usr/bin/bash", 0);
	before(c);
	assert_string_equal(field(c, "proc.pid"), "100");
	after(c);
	/* the parent's side kept the child's entry */
	assert_ptr_equal(ks_state_thread(c->st, 101), child);
	assert_ptr_equal(child->fds, fds);
	assert_int_equal(ks_state_nthreads(c->st), 2);
	tctx_free(c);
}

static void test_clone_parent_first(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	rec_clone(c, KS_E_CLONE, 100, 100, 102, CLONE_FILES | SIGCHLD, 1, "bash", "/usr/bin/bash",
		  0);
	run(c);
	struct ks_thread *child = ks_state_thread(c->st, 102);
	assert_non_null(child);
	assert_int_equal(child->ptid, 100);
	assert_string_equal(child->comm, "bash");
	assert_ptr_equal(child->fds, ks_state_thread(c->st, 100)->fds); /* CLONE_FILES */
	rec_clone(c, KS_E_CLONE, 102, 102, 0, CLONE_FILES | SIGCHLD, 100, "bash", "/usr/bin/bash",
		  0);
	run(c);
	assert_ptr_equal(ks_state_thread(c->st, 102), child);
	assert_int_equal(ks_state_nthreads(c->st), 2);

	/* a thread: same process, shared fds, parent is the process's parent */
	rec_clone(c, KS_E_CLONE3, 100, 100, 103, CLONE_THREAD | CLONE_VM | CLONE_FILES, 1, "bash",
		  "/usr/bin/bash", 0);
	run(c);
	struct ks_thread *th = ks_state_thread(c->st, 103);
	assert_non_null(th);
	assert_int_equal(th->pid, 100);
	assert_int_equal(th->ptid, 1);
	assert_ptr_equal(th->fds, ks_state_thread(c->st, 100)->fds);
	/* the thread's exit keeps the process */
	rec_procexit(c, 103, 100, 0);
	run(c);
	assert_null(ks_state_thread(c->st, 103));
	assert_non_null(ks_state_thread(c->st, 100));
	tctx_free(c);
}

static void test_exec_replaces_image(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	rec_clone(c, KS_E_FORK, 104, 104, 0, 0, 100, "bash", "/usr/bin/bash", 0);
	run(c);
	struct exec_args ea = {
	    .exe = "curl",
	    .args = "-s\0http://x\0",
	    .args_len = 12,
	    .ptid = 100,
	    .cwd = "/tmp",
	    .comm = "curl",
	    .exepath = "/usr/bin/curl",
	    .uid = 33,
	    .loginuid = 1000,
	    .tty = 5,
	    .caps = 0x200001,
	    .cgroup = "/kubepods/besteffort/pod0c5ee5a4-3b8b-4b0d-9d0e-1f2e3d4c5b6a/"
		      "abcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcdefabcd"};
	rec_exec(c, 104, 104, 0, &ea);
	before(c);
	assert_string_equal(field(c, "proc.name"), "curl");
	assert_string_equal(field(c, "proc.exe"), "curl");
	assert_string_equal(field(c, "proc.args"), "-s http://x");
	assert_string_equal(field(c, "proc.cmdline"), "curl -s http://x");
	assert_string_equal(field(c, "proc.exepath"), "/usr/bin/curl");
	assert_string_equal(field(c, "proc.cwd"), "/tmp/");
	assert_string_equal(field(c, "proc.pname"), "bash");
	assert_string_equal(field(c, "user.uid"), "33");
	assert_string_equal(field(c, "proc.tty"), "5");
	assert_string_equal(field(c, "thread.cap_effective"), "CAP_CHOWN CAP_SYS_ADMIN");
	assert_string_equal(field(c, "container.id"), "abcdefabcdef");
	assert_string_equal(field(c, "k8s.pod.uid"), "0c5ee5a4-3b8b-4b0d-9d0e-1f2e3d4c5b6a");
	after(c);
	char id[16];
	assert_true(ks_state_next_new_container(c->st, id));
	assert_string_equal(id, "abcdefabcdef");

	/* a failed exec changes nothing */
	struct exec_args bad = {
	    .exe = "nope", .ptid = 100, .cwd = "/", .comm = "nope", .exepath = "/nope"};
	rec_exec(c, 104, 104, -ENOENT, &bad);
	before(c);
	assert_string_equal(field(c, "proc.name"), "curl");
	after(c);
	tctx_free(c);
}

static void test_exit_reparents(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	/* 100 -> 110 -> 111; 110 exits and 111 goes to the subreaper 50 */
	rec_clone(c, KS_E_CLONE, 100, 100, 110, SIGCHLD, 1, "bash", "/usr/bin/bash", 0);
	run(c);
	rec_clone(c, KS_E_CLONE, 110, 110, 111, SIGCHLD, 100, "bash", "/usr/bin/bash", 0);
	run(c);
	struct exec_args ea = {
	    .exe = "sleep", .ptid = 110, .cwd = "/", .comm = "sleep", .exepath = "/usr/bin/sleep"};
	rec_exec(c, 111, 111, 0, &ea);
	run(c);
	rec_openat(c, 111, 111, 3, AT_FDCWD, "/x", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.aname[2]"), "bash");
	assert_string_equal(field(c, "proc.aname"), "bash,bash");
	after(c);
	rec_procexit(c, 110, 110, 50);
	before(c);
	assert_string_equal(field(c, "proc.name"), "bash"); /* rules still see the exiting one */
	after(c);
	assert_null(ks_state_thread(c->st, 110));
	assert_int_equal(ks_state_thread(c->st, 111)->ptid, 50);
	/* no reaper given: init */
	rec_clone(c, KS_E_CLONE, 111, 111, 112, SIGCHLD, 50, "sleep", "/usr/bin/sleep", 0);
	run(c);
	rec_procexit(c, 111, 111, 0);
	run(c);
	assert_int_equal(ks_state_thread(c->st, 112)->ptid, 1);

	/* the leader exits before its other thread: kept until the thread exits too */
	rec_clone(c, KS_E_CLONE, 100, 100, 120, CLONE_THREAD | CLONE_FILES, 1, "bash",
		  "/usr/bin/bash", 0);
	run(c);
	size_t n = ks_state_nthreads(c->st);
	rec_procexit(c, 100, 100, 1);
	run(c);
	assert_non_null(ks_state_thread(c->st, 100));
	assert_true(ks_state_thread(c->st, 100)->exited);
	rec_procexit(c, 120, 100, 1);
	run(c);
	assert_null(ks_state_thread(c->st, 120));
	assert_null(ks_state_thread(c->st, 100));
	assert_int_equal(ks_state_nthreads(c->st), n - 2);
	tctx_free(c);
}

static void test_exec_from_thread(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	rec_clone(c, KS_E_CLONE, 100, 100, 150, CLONE_THREAD | CLONE_FILES | CLONE_VM, 1, "bash",
		  "/usr/bin/bash", 0);
	run(c);
	rec_clone(c, KS_E_CLONE, 100, 100, 151, CLONE_THREAD | CLONE_FILES | CLONE_VM, 1, "bash",
		  "/usr/bin/bash", 0);
	run(c);
	size_t n = ks_state_nthreads(c->st);
	/* thread 150 execs: the kernel ends the leader, then 150 carries on as tid 100 */
	rec_procexit(c, 100, 100, 1);
	run(c);
	assert_true(ks_state_thread(c->st, 100)->exited);
	struct exec_args ea = {
	    .exe = "ls", .ptid = 1, .cwd = "/", .comm = "ls", .exepath = "/usr/bin/ls"};
	rec_exec(c, 100, 100, 0, &ea);
	before(c);
	assert_string_equal(field(c, "proc.name"), "ls");
	assert_string_equal(field(c, "thread.tid"), "100");
	after(c);
	struct ks_thread *t = ks_state_thread(c->st, 100);
	assert_false(t->exited);
	assert_null(ks_state_thread(c->st, 150));
	assert_null(ks_state_thread(c->st, 151));
	assert_int_equal(ks_state_nthreads(c->st), n - 2);
	/* the old leader's exit delivered late (from another CPU) is not the new image's */
	rec_procexit(c, 100, 100, 1);
	c->rb.hdr.ts -= 5000;
	run(c);
	assert_non_null(ks_state_thread(c->st, 100));
	/* its later exit removes it for good */
	rec_procexit(c, 100, 100, 1);
	run(c);
	assert_null(ks_state_thread(c->st, 100));
	tctx_free(c);
}

static void test_pid_reuse(void **unused)
{
	(void)unused;
	struct tctx *c = with_bash();
	rec_clone(c, KS_E_CLONE, 100, 100, 130, SIGCHLD, 1, "bash", "/usr/bin/bash", 0);
	run(c);
	struct exec_args ea = {
	    .exe = "old", .ptid = 100, .cwd = "/", .comm = "old", .exepath = "/old"};
	rec_exec(c, 130, 130, 0, &ea);
	run(c);
	/* 130's exit was lost; much later a new clone reuses the tid */
	c->ts += 60ull * 1000000000ull;
	rec_clone(c, KS_E_CLONE, 100, 100, 130, SIGCHLD, 1, "bash", "/usr/bin/bash", 0);
	run(c);
	struct ks_thread *t = ks_state_thread(c->st, 130);
	assert_non_null(t);
	assert_string_equal(t->comm, "bash");
	assert_string_equal(t->exe, "bash");
	/* and from the child's side */
	c->ts += 60ull * 1000000000ull;
	rec_clone(c, KS_E_CLONE, 130, 130, 0, SIGCHLD, 100, "bash2", "/usr/bin/bash", 0);
	run(c);
	assert_string_equal(ks_state_thread(c->st, 130)->comm, "bash2");
	assert_int_equal(ks_state_nthreads(c->st), 2);
	tctx_free(c);
}

static void test_table_bound(void **unused)
{
	(void)unused;
	struct ks_state_opts o = {.proc_root = "/nonexistent",
				  .passwd_file = "/dev/null",
				  .group_file = "/dev/null",
				  .thread_table_size = 64,
				  .max_fds_per_process = 8};
	struct tctx *c = tctx_new(&o);
	struct exec_args ea = {
	    .exe = "srv", .ptid = 1, .cwd = "/", .comm = "srv", .exepath = "/srv"};
	rec_exec(c, 100, 100, 0, &ea);
	run(c);
	for (uint32_t i = 0; i < 1000; i++) {
		rec_clone(c, KS_E_CLONE, 100, 100, 1000 + i, SIGCHLD, 1, "srv", "/srv", 0);
		run(c);
		assert_true(ks_state_nthreads(c->st) <= 64);
		/* the caller is never the one evicted */
		assert_non_null(ks_state_thread(c->st, 100));
	}
	assert_int_equal(ks_state_nthreads(c->st), 64);
	assert_non_null(ks_state_thread(c->st, 1999));
	assert_null(ks_state_thread(c->st, 1000));
	struct ks_state_counters ctr;
	ks_state_get_counters(c->st, &ctr);
	assert_true(ctr.thread_evictions >= 1000 - 63);

	/* fds per process are bounded too, yet the event still sees its fd */
	for (int i = 0; i < 20; i++) {
		rec_openat(c, 100, 100, 10 + i, AT_FDCWD, "/f", O_RDONLY);
		before(c);
		assert_string_equal(field(c, "fd.name"), "/f");
		after(c);
	}
	ks_state_get_counters(c->st, &ctr);
	assert_int_equal(ctr.fd_table_full, 12);
	/* a table with the bound of one thread still works */
	tctx_free(c);
	o.thread_table_size = 1;
	c = tctx_new(&o);
	rec_exec(c, 100, 100, 0, &ea);
	run(c);
	rec_clone(c, KS_E_CLONE, 100, 100, 101, SIGCHLD, 1, "srv", "/srv", 0);
	before(c);
	assert_string_equal(field(c, "proc.name"), "srv");
	after(c);
	assert_true(ks_state_nthreads(c->st) <= 2);
	tctx_free(c);
}

static void test_unknown_thread_lazy(void **unused)
{
	(void)unused;
	/* a thread unknown to the table: read from /proc (here, our own) */
	struct ks_state_opts o = {
	    .proc_root = "/proc", .passwd_file = "/dev/null", .group_file = "/dev/null"};
	struct tctx *c = tctx_new(&o);
	rec_openat(c, (uint32_t)getpid(), (uint32_t)getpid(), 77, AT_FDCWD, "rel", O_RDONLY);
	before(c);
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	char want[4200];
	snprintf(want, sizeof(want), "%s/rel", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(field(c, "fd.name"), want);
	assert_string_equal(field(c, "proc.ppid"), (snprintf(want, 32, "%d", getppid()), want));
	after(c);
	struct ks_state_counters ctr;
	ks_state_get_counters(c->st, &ctr);
	assert_int_equal(ctr.threads_from_proc, 1);
	/* a thread gone from /proc still gets ids */
	rec_openat(c, 999999, 999999, 3, AT_FDCWD, "/a", O_RDONLY);
	before(c);
	assert_string_equal(field(c, "proc.pid"), "999999");
	assert_string_equal(field(c, "proc.name"), "");
	after(c);
	tctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_fake_proc),	cmocka_unit_test(test_seed_real_proc),
	    cmocka_unit_test(test_clone_child_first),	cmocka_unit_test(test_clone_parent_first),
	    cmocka_unit_test(test_exec_replaces_image), cmocka_unit_test(test_exit_reparents),
	    cmocka_unit_test(test_exec_from_thread),	cmocka_unit_test(test_pid_reuse),
	    cmocka_unit_test(test_table_bound),		cmocka_unit_test(test_unknown_thread_lazy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
