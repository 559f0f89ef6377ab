/*
 * http output: one POST per alert (as Falco does) with libcurl, on a worker thread of its
 * own with its own bounded backlog, so a slow or dead receiver only ever delays itself.
 * Options follow Falco's outputs_http.cpp: Content-Type application/json with json_output
 * (text/plain otherwise), user_agent, insecure, mtls + client_cert/client_key, ca_cert else
 * ca_bundle else ca_path, compress_uploads (CURLOPT_TRANSFER_ENCODING, as Falco),
 * keep_alive (TCP keep-alive on the reused connection), echo (log the response body).
 * Unlike Falco, every request is bounded in time and failures are retried with backoff:
 * transport errors, 5xx and 429 up to 3 attempts; other 4xx are not retried.
 */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "output/sink.h"

#define HTTP_ATTEMPTS	3
#define HTTP_TIMEOUT_MS 10000
#define HTTP_CONNECT_MS 5000
#define HTTP_ECHO_MAX	512

struct http_sink {
	struct ks_sink base;
	char *url;
	CURL *curl;
	struct curl_slist *hdrs;
	bool echo;
	char errbuf[CURL_ERROR_SIZE];
	char echo_buf[HTTP_ECHO_MAX + 1];
	size_t echo_len;

	pthread_mutex_t mu; /* guards base.backlog, stopping, deadline */
	pthread_cond_t cv;
	bool stopping;
	uint64_t deadline;
	atomic_uint_fast64_t abort_at; /* a request in flight gives up then (0: never) */
	pthread_t thread;
	bool running, curl_global;
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_sink *h = arg;
	size_t len = size * n, room = HTTP_ECHO_MAX - h->echo_len;
	if (h->echo) {
		size_t k = len < room ? len : room;
		memcpy(h->echo_buf + h->echo_len, data, k);
		h->echo_len += k;
	}
	return len; /* the response is not ours to print on stdout */
}

/* Called by libcurl about once a second even when nothing moves: ends a request that
 * would outlive the shutdown deadline. */
static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	(void)dt, (void)dn, (void)ut, (void)un;
	struct http_sink *h = arg;
	uint64_t at = atomic_load_explicit(&h->abort_at, memory_order_relaxed);
	return at && ks_now_ns() >= at;
}

/* 0 sent; -EAGAIN worth retrying; -EPROTO refused for good (4xx). */
static int post(struct http_sink *h, const struct ks_msg *m, long timeout_ms, char *why,
		size_t whylen)
{
	size_t len = m->len;
	while (len && (m->data[len - 1] == '\n' || m->data[len - 1] == '\r'))
		len--;
	h->errbuf[0] = '\0';
	h->echo_len = 0;
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, (const char *)m->data);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS,
			 timeout_ms < HTTP_CONNECT_MS ? timeout_ms : (long)HTTP_CONNECT_MS);
	CURLcode rc = curl_easy_perform(h->curl);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(rc));
		return -EAGAIN;
	}
	long code = 0;
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &code);
	if (h->echo && h->echo_len) {
		h->echo_buf[h->echo_len] = '\0';
		ks_log_info("http output: response %ld: %s", code, h->echo_buf);
	}
	if (code < 400)
		return 0;
	snprintf(why, whylen, "HTTP status %ld", code);
	return code >= 500 || code == 429 ? -EAGAIN : -EPROTO;
}

static void drop_all(struct http_sink *h, const char *why)
{
	uint64_t n = ks_fifo_count(&h->base.backlog);
	while (ks_fifo_count(&h->base.backlog))
		ks_msg_put(ks_fifo_pop(&h->base.backlog));
	if (n)
		ks_sink_drop(&h->base, n, why);
}

static void wait_until(struct http_sink *h, uint64_t t)
{
	/* the condvar uses CLOCK_MONOTONIC (see http_start) */
	struct timespec ts = {.tv_sec = (time_t)(t / 1000000000ull),
			      .tv_nsec = (long)(t % 1000000000ull)};
	pthread_cond_timedwait(&h->cv, &h->mu, &ts);
}

static void *http_main(void *arg)
{
	struct http_sink *h = arg;
	struct ks_sink *s = &h->base;
	bool draining = false;
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (!ks_fifo_count(&s->backlog) && !h->stopping)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stopping && !draining) {
			draining = true; /* a fresh chance, whatever the backoff had grown to */
			s->consecutive = 0;
			s->retry_at = 0;
		}
		uint64_t now = ks_now_ns();
		if (draining && (now >= h->deadline || s->consecutive >= HTTP_ATTEMPTS))
			drop_all(h, now >= h->deadline
					? "still undelivered at the shutdown deadline"
					: "the receiver kept failing during shutdown");
		if (!ks_fifo_count(&s->backlog)) {
			if (h->stopping)
				break;
			continue;
		}
		if (now < s->retry_at) {
			wait_until(h, draining && h->deadline < s->retry_at ? h->deadline
									    : s->retry_at);
			continue;
		}
		long timeout = HTTP_TIMEOUT_MS;
		if (draining && (h->deadline - now) / 1000000 < (uint64_t)timeout)
			timeout = (long)((h->deadline - now) / 1000000) + 1;
		struct ks_msg *m = ks_fifo_peek(&s->backlog, 0);
		pthread_mutex_unlock(&h->mu);
		char why[CURL_ERROR_SIZE + 32];
		int rc = post(h, m, timeout, why, sizeof why);
		pthread_mutex_lock(&h->mu);
		if (rc == 0) {
			ks_sink_ok(s);
			s->attempts = 0;
			atomic_fetch_add_explicit(&s->written, 1, memory_order_relaxed);
			ks_msg_put(ks_fifo_pop(&s->backlog));
			continue;
		}
		ks_sink_failed(s, 0, why);
		if (rc == -EPROTO || ++s->attempts >= HTTP_ATTEMPTS) {
			s->attempts = 0;
			ks_msg_put(ks_fifo_pop(&s->backlog));
			ks_sink_drop(s, 1,
				     rc == -EPROTO ? "refused by the receiver"
						   : "gave up after repeated failures");
		}
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int http_start(struct ks_sink *s)
{
	struct http_sink *h = (struct http_sink *)s;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* signals belong to the main thread */
	int rc = pthread_create(&h->thread, NULL, http_main, h);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc) {
		ks_log_error("http output: cannot start its thread: %s", strerror(rc));
		return -rc;
	}
	h->running = true;
	return 0;
}

static int http_enqueue(struct ks_sink *s, struct ks_msg *m)
{
	struct http_sink *h = (struct http_sink *)s;
	pthread_mutex_lock(&h->mu);
	ks_msg_get(m);
	int rc = ks_fifo_push(&s->backlog, m);
	if (rc)
		ks_msg_put(m);
	else
		pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return rc;
}

static void http_stop(struct ks_sink *s, uint64_t deadline)
{
	struct http_sink *h = (struct http_sink *)s;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	h->deadline = deadline;
	atomic_store(&h->abort_at, deadline ? deadline : 1);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	if (h->running)
		pthread_join(h->thread, NULL);
	h->running = false;
}

static void http_free(struct ks_sink *s)
{
	struct http_sink *h = (struct http_sink *)s;
	http_stop(s, 0);
	ks_sink_release(s);
	if (h->curl)
		curl_easy_cleanup(h->curl);
	curl_slist_free_all(h->hdrs);
	if (h->curl_global)
		curl_global_cleanup();
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h->url);
	free(h);
}

static const struct ks_sink_ops http_ops = {
    .start = http_start,
    .enqueue = http_enqueue,
    .stop = http_stop,
    .free = http_free,
};

/* Falco accepts a quoted URL ("'http://x'") and unquotes it. */
static char *unquote(const char *u)
{
	size_t n = strlen(u);
	if (n >= 2 && ((u[0] == '"' && u[n - 1] == '"') || (u[0] == '\'' && u[n - 1] == '\'')))
		return strndup(u + 1, n - 2);
	return strdup(u);
}

static int setup_curl(struct http_sink *h, const struct ks_config *cfg)
{
	CURL *c = h->curl;
	const char *ct = ks_config_bool(cfg, "json_output", false)
			     ? "Content-Type: application/json"
			     : "Content-Type: text/plain";
	struct curl_slist *l = curl_slist_append(NULL, ct);
	if (l)
		h->hdrs = l;
	/* no "Expect: 100-continue" round trip for larger alerts */
	if (l && (l = curl_slist_append(h->hdrs, "Expect:")))
		h->hdrs = l;
	if (!l)
		return CURLE_OUT_OF_MEMORY;
	CURLcode rc = CURLE_OK;
	/* the first failure sticks */
#define SET(opt, val) (rc = rc != CURLE_OK ? rc : curl_easy_setopt(c, opt, val))
	SET(CURLOPT_HTTPHEADER, h->hdrs);
	SET(CURLOPT_URL, h->url);
	SET(CURLOPT_USERAGENT, ks_config_str(cfg, "http_output.user_agent", "falcosecurity/falco"));
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_ERRORBUFFER, h->errbuf);
	SET(CURLOPT_WRITEFUNCTION, on_body);
	SET(CURLOPT_WRITEDATA, h);
	SET(CURLOPT_XFERINFOFUNCTION, on_progress);
	SET(CURLOPT_XFERINFODATA, h);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	if (ks_config_bool(cfg, "http_output.insecure", false)) {
		SET(CURLOPT_SSL_VERIFYPEER, 0L);
		SET(CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (ks_config_bool(cfg, "http_output.mtls", false)) {
		SET(CURLOPT_SSLCERT,
		    ks_config_str(cfg, "http_output.client_cert", "/etc/ssl/certs/client.crt"));
		SET(CURLOPT_SSLKEY,
		    ks_config_str(cfg, "http_output.client_key", "/etc/ssl/certs/client.key"));
	}
	const char *ca_cert = ks_config_str(cfg, "http_output.ca_cert", "");
	const char *ca_bundle = ks_config_str(cfg, "http_output.ca_bundle", "");
	if (*ca_cert)
		SET(CURLOPT_CAINFO, ca_cert);
	else if (*ca_bundle)
		SET(CURLOPT_CAINFO, ca_bundle);
	else
		SET(CURLOPT_CAPATH, ks_config_str(cfg, "http_output.ca_path", "/etc/ssl/certs"));
	if (ks_config_bool(cfg, "http_output.compress_uploads", false))
		SET(CURLOPT_TRANSFER_ENCODING, 1L);
	if (ks_config_bool(cfg, "http_output.keep_alive", false))
		SET(CURLOPT_TCP_KEEPALIVE, 1L);
#undef SET
	return (int)rc;
}

int ks_sink_http_new(const struct ks_config *cfg, size_t cap, struct ks_sink **out)
{
	*out = NULL;
	const char *url = ks_config_str(cfg, "http_output.url", "");
	if (!*url) {
		ks_log_error("http_output.enabled is true but http_output.url is empty");
		return -EINVAL;
	}
	struct http_sink *h = calloc(1, sizeof(*h));
	if (!h) {
		ks_log_error("http output: no memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* ks_now_ns() deadlines */
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	int rc = ks_sink_init(&h->base, &http_ops, "http", cap);
	if (rc) {
		http_free(&h->base);
		return rc;
	}
	h->curl_global = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
	h->url = unquote(url);
	h->base.target = h->url;
	h->echo = ks_config_bool(cfg, "http_output.echo", false);
	h->curl = h->curl_global ? curl_easy_init() : NULL;
	if (!h->url || !h->curl) {
		ks_log_error("http output: cannot initialise libcurl");
		http_free(&h->base);
		return -ENOMEM;
	}
	int crc = setup_curl(h, cfg);
	if (crc != CURLE_OK) {
		ks_log_error("http output: libcurl: %s", curl_easy_strerror((CURLcode)crc));
		http_free(&h->base);
		return -EINVAL;
	}
	*out = &h->base;
	return 0;
}
