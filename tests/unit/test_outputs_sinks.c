/* Alert outputs: every sink gets every alert, in order; a full queue drops and counts;
 * a dead or silent HTTP receiver stalls neither the file sink nor shutdown; logrotate. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "output/outputs.h"

static char dir[64];

static int setup(void **s)
{
	(void)s;
	strcpy(dir, "/tmp/ks-outputs-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
	(void)s;
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A config with every sink off but the ones the test enables. */
static struct ks_config *base_config(void)
{
	struct ks_config *c = ks_config_new();
	assert_non_null(c);
	assert_int_equal(ks_config_set(c, "stdout_output.enabled", "false"), 0);
	assert_int_equal(ks_config_set(c, "syslog_output.enabled", "false"), 0);
	return c;
}

static void push_n(struct ks_outputs *o, int from, int n)
{
	for (int i = from; i < from + n; i++) {
		char line[128];
		int len = snprintf(line, sizeof line, "{\"rule\":\"r\",\"seq\":%d}\n", i);
		assert_int_equal(ks_outputs_push(o, KS_PRI_WARNING, line, (size_t)len), 0);
	}
}

/* Lines of a file, each checked to be "...seq":N}" in order from `first`; returns count. */
static int count_lines(const char *path, int first)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	char line[256];
	int n = 0;
	while (fgets(line, sizeof line, f)) {
		int seq = -1;
		const char *p = strstr(line, "\"seq\":");
		if (p)
			seq = atoi(p + 6);
		assert_int_equal(seq, first + n);
		n++;
	}
	fclose(f);
	return n;
}

static int wait_lines(const char *path, int want, double secs)
{
	double end = now_s() + secs;
	int n;
	while ((n = count_lines(path, 0)) < want && now_s() < end)
		usleep(20000);
	return n;
}

static void sink_stats(struct ks_outputs *o, const char *name, struct ks_sink_stats *out)
{
	struct ks_outputs_stats st;
	ks_outputs_stats(o, &st);
	for (size_t i = 0; i < st.nsinks; i++)
		if (strcmp(st.sink[i].name, name) == 0) {
			*out = st.sink[i];
			return;
		}
	fail_msg("no sink %s", name);
}

static void file_sink(bool keep_alive)
{
	char path[128];
	snprintf(path, sizeof path, "%s/file-%d.log", dir, keep_alive);
	struct ks_config *c = base_config();
	ks_config_set(c, "file_output.enabled", "true");
	ks_config_set(c, "file_output.filename", path);
	ks_config_set(c, "file_output.keep_alive", keep_alive ? "true" : "false");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 500);
	ks_outputs_stop(o);
	assert_int_equal(count_lines(path, 0), 500);
	struct ks_sink_stats st;
	sink_stats(o, "file", &st);
	assert_int_equal(st.written, 500);
	assert_int_equal(st.dropped, 0);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_file_keep_alive(void **s)
{
	(void)s;
	file_sink(true);
}

static void test_file_reopen_each_time(void **s)
{
	(void)s;
	file_sink(false);
}

static void program_sink(bool keep_alive, int n)
{
	char path[128], cmd[192];
	snprintf(path, sizeof path, "%s/prog-%d.log", dir, keep_alive);
	snprintf(cmd, sizeof cmd, "cat >> %s", path);
	struct ks_config *c = base_config();
	ks_config_set(c, "program_output.enabled", "true");
	ks_config_set(c, "program_output.program", cmd);
	ks_config_set(c, "program_output.keep_alive", keep_alive ? "true" : "false");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, n);
	ks_outputs_stop(o);
	/* stop waited for the child: everything is in the file now */
	assert_int_equal(count_lines(path, 0), n);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_program_keep_alive(void **s)
{
	(void)s;
	program_sink(true, 300);
}

static void test_program_one_per_alert(void **s)
{
	(void)s;
	program_sink(false, 25);
}

/* What the program's shell started must not outlive the sensor: a keep-alive program that
 * never reads (sleep) is stopped with its whole process group. */
static void test_program_group_killed(void **s)
{
	(void)s;
	char marker[64], cmd[160];
	snprintf(marker, sizeof marker, "/tmp/ks-test-orphan-%d", (int)getpid());
	/* a sleep under a name of its own, so the test can look for it */
	snprintf(cmd, sizeof cmd, "cp /bin/sleep %s", marker);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof cmd, "%s 1000 & wait", marker);
	struct ks_config *c = base_config();
	ks_config_set(c, "program_output.enabled", "true");
	ks_config_set(c, "program_output.program", cmd);
	ks_config_set(c, "program_output.keep_alive", "true");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 1);
	usleep(300000);
	ks_outputs_stop(o);
	ks_outputs_free(o);
	ks_config_free(c);
	usleep(200000);
	char check[160];
	snprintf(check, sizeof check, "pgrep -f '^%s' >/dev/null", marker);
	int left = system(check);
	if (left == 0) {
		snprintf(check, sizeof check, "pkill -f '^%s'", marker);
		assert_true(system(check) >= 0);
	}
	unlink(marker);
	assert_int_not_equal(left, 0); /* pgrep found nothing */
}

/* A program that exits at once: retried in new children, never blocks stop, all counted. */
static void test_program_exits(void **s)
{
	(void)s;
	struct ks_config *c = base_config();
	ks_config_set(c, "program_output.enabled", "true");
	ks_config_set(c, "program_output.program", "exec 0<&-; exit 3");
	ks_config_set(c, "program_output.keep_alive", "true");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	/* A pipe takes what a child has not read yet, so keep sending until one write fails. */
	struct ks_sink_stats st = {0};
	int n = 0;
	double end = now_s() + 20.0;
	while (st.failures == 0 && now_s() < end) {
		push_n(o, n++, 1);
		usleep(20000);
		sink_stats(o, "program", &st);
	}
	assert_true(st.failures >= 1);
	double t0 = now_s();
	ks_outputs_stop(o);
	assert_true(now_s() - t0 < 15.0);
	sink_stats(o, "program", &st);
	assert_int_equal(st.written + st.dropped, (uint64_t)n);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_syslog(void **s)
{
	(void)s;
	char path[128];
	snprintf(path, sizeof path, "%s/log.sock", dir);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	struct ks_config *c = base_config();
	ks_config_set(c, "syslog_output.enabled", "true");
	struct ks_outputs_opts opts = {.syslog_path = path};
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new_opts(c, &opts, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	ks_outputs_push(o, KS_PRI_WARNING, "first alert\n", 12);
	ks_outputs_push(o, KS_PRI_CRITICAL, "second alert\n", 13);
	ks_outputs_push(o, KS_PRI_DEBUG, "third", 5);
	ks_outputs_stop(o);
	static const char *const want[][2] = {
	    {"<12>", "kestrel["}, /* USER (8) | warning (4) */
	    {"<10>", "kestrel["}, /* critical (2) */
	    {"<15>", "kestrel["}, /* debug (7) */
	};
	static const char *const body[] = {"]: first alert", "]: second alert", "]: third"};
	for (int i = 0; i < 3; i++) {
		char buf[512];
		ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_memory_equal(buf, want[i][0], 4);
		assert_non_null(strstr(buf, want[i][1]));
		const char *b = strstr(buf, body[i]);
		assert_non_null(b);
		assert_string_equal(b, body[i]); /* ends there: no newline */
	}
	struct ks_sink_stats st;
	sink_stats(o, "syslog", &st);
	assert_int_equal(st.written, 3);
	ks_outputs_free(o);
	ks_config_free(c);
	close(fd);
}

static void test_syslog_absent_drops_quickly(void **s)
{
	(void)s;
	char path[128];
	snprintf(path, sizeof path, "%s/nobody-listens.sock", dir);
	struct ks_config *c = base_config();
	ks_config_set(c, "syslog_output.enabled", "true");
	struct ks_outputs_opts opts = {.syslog_path = path};
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new_opts(c, &opts, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 10);
	double t0 = now_s();
	ks_outputs_stop(o);
	assert_true(now_s() - t0 < 4.0); /* like syslog(3): nothing kept, nothing waited for */
	struct ks_sink_stats st;
	sink_stats(o, "syslog", &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.dropped, 10);
	assert_true(st.failures >= 1);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_full_queue_drops(void **s)
{
	(void)s;
	char path[128];
	snprintf(path, sizeof path, "%s/full.log", dir);
	struct ks_config *c = base_config();
	ks_config_set(c, "outputs_queue.capacity", "4");
	ks_config_set(c, "file_output.enabled", "true");
	ks_config_set(c, "file_output.filename", path);
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	/* not started: nothing consumes, so the fifth push finds the queue full */
	push_n(o, 0, 4);
	assert_int_equal(ks_outputs_push(o, KS_PRI_ERROR, "x\n", 2), -ENOBUFS);
	assert_int_equal(ks_outputs_push(o, KS_PRI_ERROR, "y\n", 2), -ENOBUFS);
	struct ks_outputs_stats st;
	ks_outputs_stats(o, &st);
	assert_int_equal(st.pushed, 4);
	assert_int_equal(st.queue_drops, 2);
	assert_int_equal(st.queue_depth, 4);
	assert_int_equal(st.queue_capacity, 4);
	assert_int_equal(ks_outputs_start(o), 0);
	ks_outputs_stop(o);
	assert_int_equal(count_lines(path, 0), 4);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_capacity_zero_is_bounded(void **s)
{
	(void)s;
	struct ks_config *c = base_config();
	ks_config_set(c, "outputs_queue.capacity", "0");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	struct ks_outputs_stats st;
	ks_outputs_stats(o, &st);
	assert_int_equal(st.queue_capacity, 4096);
	assert_int_equal(st.nsinks, 0);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_byte_budget_drops(void **s)
{
	(void)s;
	struct ks_config *c = base_config();
	struct ks_outputs_opts opts = {.byte_budget = 4096};
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new_opts(c, &opts, &o), 0);
	static char big[3000];
	memset(big, 'a', sizeof big);
	assert_int_equal(ks_outputs_push(o, KS_PRI_ERROR, big, sizeof big), 0);
	assert_int_equal(ks_outputs_push(o, KS_PRI_ERROR, big, sizeof big), -ENOBUFS);
	ks_outputs_free(o);
	ks_config_free(c);
}

/* ---- a tiny HTTP receiver on 127.0.0.1 ---- */

struct receiver {
	int lfd, port;
	bool silent; /* accept and read, never answer */
	pthread_t th;
	pthread_mutex_t mu;
	int got;
	char last_body[256], content_type[64];
	volatile int quit;
};

static void *receiver_main(void *arg)
{
	struct receiver *r = arg;
	while (!r->quit) {
		int fd = accept(r->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		struct timeval tv = {.tv_sec = 1};
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
		char buf[8192];
		size_t have = 0;
		for (;;) { /* one request per connection (we answer Connection: close) */
			ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
			if (n <= 0)
				break;
			have += (size_t)n;
			buf[have] = '\0';
			char *end = strstr(buf, "\r\n\r\n");
			if (!end)
				continue;
			const char *cl = strcasestr(buf, "Content-Length:");
			size_t len = cl ? (size_t)atoi(cl + 15) : 0;
			if (have < (size_t)(end + 4 - buf) + len)
				continue;
			if (r->silent)
				break;
			pthread_mutex_lock(&r->mu);
			r->got++;
			snprintf(r->last_body, sizeof r->last_body, "%.*s", (int)len, end + 4);
			const char *ct = strcasestr(buf, "Content-Type:");
			if (ct)
				sscanf(ct + 13, " %63[^\r\n]", r->content_type);
			pthread_mutex_unlock(&r->mu);
			const char *ok =
			    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
			if (send(fd, ok, strlen(ok), MSG_NOSIGNAL) < 0)
				break;
			break;
		}
		if (r->silent) { /* hold the connection open, like a hung receiver */
			while (!r->quit)
				usleep(20000);
		}
		close(fd);
	}
	return NULL;
}

static void receiver_start(struct receiver *r, bool silent)
{
	memset(r, 0, sizeof(*r));
	r->silent = silent;
	pthread_mutex_init(&r->mu, NULL);
	r->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(r->lfd, (struct sockaddr *)&a, sizeof a), 0);
	socklen_t len = sizeof a;
	getsockname(r->lfd, (struct sockaddr *)&a, &len);
	r->port = ntohs(a.sin_port);
	assert_int_equal(listen(r->lfd, 64), 0);
	struct timeval tv = {.tv_usec = 100000};
	setsockopt(r->lfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv); /* accept wakes to quit */
	pthread_create(&r->th, NULL, receiver_main, r);
}

static void receiver_stop(struct receiver *r)
{
	r->quit = 1;
	pthread_join(r->th, NULL);
	close(r->lfd);
	pthread_mutex_destroy(&r->mu);
}

static struct ks_config *http_config(int port)
{
	char url[64];
	snprintf(url, sizeof url, "http://127.0.0.1:%d/alerts", port);
	struct ks_config *c = base_config();
	ks_config_set(c, "json_output", "true");
	ks_config_set(c, "http_output.enabled", "true");
	ks_config_set(c, "http_output.url", url);
	return c;
}

static void test_http(void **s)
{
	(void)s;
	struct receiver r;
	receiver_start(&r, false);
	struct ks_config *c = http_config(r.port);
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 30);
	ks_outputs_stop(o);
	assert_int_equal(r.got, 30);
	assert_string_equal(r.last_body, "{\"rule\":\"r\",\"seq\":29}"); /* one alert, no newline */
	assert_string_equal(r.content_type, "application/json");
	struct ks_sink_stats st;
	sink_stats(o, "http", &st);
	assert_int_equal(st.written, 30);
	ks_outputs_free(o);
	ks_config_free(c);
	receiver_stop(&r);
}

/* A free port with nothing listening: connections are refused. */
static int dead_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	bind(fd, (struct sockaddr *)&a, sizeof a);
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	close(fd);
	return ntohs(a.sin_port);
}

static void dead_receiver(int port, const char *tag)
{
	char path[128];
	snprintf(path, sizeof path, "%s/beside-http-%s.log", dir, tag);
	struct ks_config *c = http_config(port);
	ks_config_set(c, "file_output.enabled", "true");
	ks_config_set(c, "file_output.filename", path);
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 200);
	/* the file gets everything while HTTP is still failing (generous bound) */
	assert_int_equal(wait_lines(path, 200, 20.0), 200);
	double t0 = now_s();
	ks_outputs_stop(o);
	assert_true(now_s() - t0 < 15.0); /* 5 s deadline plus slack */
	struct ks_sink_stats st;
	sink_stats(o, "http", &st);
	assert_int_equal(st.written, 0);
	assert_int_equal(st.dropped, 200);
	assert_true(st.failures >= 1);
	sink_stats(o, "file", &st);
	assert_int_equal(st.written, 200);
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_http_refused(void **s)
{
	(void)s;
	dead_receiver(dead_port(), "refused");
}

static void test_http_silent(void **s)
{
	(void)s;
	struct receiver r;
	receiver_start(&r, true);
	dead_receiver(r.port, "silent");
	receiver_stop(&r);
}

static void test_reopen_after_rename(void **s)
{
	(void)s;
	char path[128], rotated[136];
	snprintf(path, sizeof path, "%s/rot.log", dir);
	snprintf(rotated, sizeof rotated, "%s.1", path);
	struct ks_config *c = base_config();
	ks_config_set(c, "file_output.enabled", "true");
	ks_config_set(c, "file_output.filename", path);
	ks_config_set(c, "file_output.keep_alive", "true");
	struct ks_outputs *o;
	assert_int_equal(ks_outputs_new(c, &o), 0);
	assert_int_equal(ks_outputs_start(o), 0);
	push_n(o, 0, 10);
	assert_int_equal(wait_lines(path, 10, 20.0), 10);
	assert_int_equal(rename(path, rotated), 0);
	ks_outputs_reopen(o);
	/* keep writing until the new file appears: the reopen is asynchronous */
	int seq = 10;
	struct stat sb;
	double end = now_s() + 20.0;
	while (stat(path, &sb) != 0 && now_s() < end) {
		push_n(o, seq++, 1);
		usleep(20000);
	}
	push_n(o, seq, 10);
	seq += 10;
	ks_outputs_stop(o);
	int old = count_lines(rotated, 0);
	assert_true(old >= 10);
	assert_int_equal(count_lines(path, old), seq - old); /* the rest, in order */
	ks_outputs_free(o);
	ks_config_free(c);
}

static void test_config_errors(void **s)
{
	(void)s;
	struct ks_outputs *o = (struct ks_outputs *)1;
	struct ks_config *c = base_config();
	ks_config_set(c, "program_output.enabled", "true");
	assert_int_equal(ks_outputs_new(c, &o), -EINVAL); /* no program */
	assert_null(o);
	ks_config_free(c);
	c = base_config();
	ks_config_set(c, "http_output.enabled", "true");
	assert_int_equal(ks_outputs_new(c, &o), -EINVAL); /* no url */
	ks_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_file_keep_alive),
	    cmocka_unit_test(test_file_reopen_each_time),
	    cmocka_unit_test(test_program_keep_alive),
	    cmocka_unit_test(test_program_one_per_alert),
	    cmocka_unit_test(test_program_exits),
	    cmocka_unit_test(test_program_group_killed),
	    cmocka_unit_test(test_syslog),
	    cmocka_unit_test(test_syslog_absent_drops_quickly),
	    cmocka_unit_test(test_full_queue_drops),
	    cmocka_unit_test(test_capacity_zero_is_bounded),
	    cmocka_unit_test(test_byte_budget_drops),
	    cmocka_unit_test(test_http),
	    cmocka_unit_test(test_http_refused),
	    cmocka_unit_test(test_http_silent),
	    cmocka_unit_test(test_reopen_after_rename),
	    cmocka_unit_test(test_config_errors),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
