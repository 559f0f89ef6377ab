/* The web server: health, versions and Prometheus metrics over libmicrohttpd. */
#include "web/web.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"
#include "rules/rules.h"

#define METRICS_MAX  (8u << 20) /* bytes of /metrics at most */
#define CONN_LIMIT   64
#define CONN_TIMEOUT 10 /* seconds */

struct ks_web {
	struct MHD_Daemon *d;
	struct ks_web_hooks hooks;
	char *healthz;
	bool metrics;
	int port;
};

static void process_metrics(struct ks_prom *p)
{
	/* /proc/self/statm: size resident shared ... in pages */
	unsigned long long size = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "re");
	if (f) {
		if (fscanf(f, "%llu %llu", &size, &rss) != 2)
			size = rss = 0;
		fclose(f);
	}
	double page = (double)sysconf(_SC_PAGESIZE);
	ks_prom_gauge(p, "kestrel_process_resident_memory_bytes",
		      "Resident set size of the Kestrel process.", NULL, (double)rss * page);
	ks_prom_gauge(p, "kestrel_process_virtual_memory_bytes",
		      "Virtual memory size of the Kestrel process.", NULL, (double)size * page);
	ks_prom_gauge(p, "kestrel_build_info",
		      "Kestrel version and the Falco engine version it "
		      "implements.",
		      (const char *[]){"version", KS_VERSION, "engine_version",
				       KS_FALCO_ENGINE_VERSION, NULL},
		      1);
}

static void output_metrics(struct ks_outputs *o, struct ks_prom *p)
{
	struct ks_outputs_stats st;
	ks_outputs_stats(o, &st);
	ks_prom_gauge(p, "kestrel_outputs_queue_depth", "Alerts waiting in the output queue.", NULL,
		      (double)st.queue_depth);
	ks_prom_gauge(p, "kestrel_outputs_queue_capacity", "Capacity of the output queue.", NULL,
		      (double)st.queue_capacity);
	ks_prom_counter(p, "kestrel_outputs_queued_total", "Alerts accepted into the queue.", NULL,
			st.pushed);
	ks_prom_counter(p, "kestrel_outputs_queue_drops_total",
			"Alerts dropped because the output queue was full.", NULL, st.queue_drops);
	static const struct {
		const char *name, *help;
		size_t off;
	} per[] = {
	    {"kestrel_outputs_sink_written_total", "Alerts delivered, by sink.",
	     offsetof(struct ks_sink_stats, written)},
	    {"kestrel_outputs_sink_failures_total", "Failed delivery attempts, by sink.",
	     offsetof(struct ks_sink_stats, failures)},
	    {"kestrel_outputs_sink_drops_total", "Alerts given up on, by sink.",
	     offsetof(struct ks_sink_stats, dropped)},
	};
	for (size_t k = 0; k < sizeof per / sizeof per[0]; k++)
		for (size_t i = 0; i < st.nsinks; i++) {
			uint64_t v;
			memcpy(&v, (const char *)&st.sink[i] + per[k].off, sizeof v);
			ks_prom_counter(p, per[k].name, per[k].help,
					(const char *[]){"sink", st.sink[i].name, NULL}, v);
		}
}

void ks_web_render_metrics(const struct ks_web_hooks *h, struct ks_prom *p)
{
	if (h->metrics)
		h->metrics(h->ctx, p);
	if (h->outputs)
		output_metrics(h->outputs, p);
	process_metrics(p);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code, const char *type, char *body,
			     size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	enum MHD_Result rc = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result reply_const(struct MHD_Connection *c, unsigned code, const char *type,
				   const char *body)
{
	return reply(c, code, type, (char *)body, strlen(body), MHD_RESPMEM_PERSISTENT);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	(void)version, (void)upload, (void)state;
	struct ks_web *w = cls;
	const char *json = "application/json", *text = "text/plain; charset=utf-8";
	if (*upload_len) /* no request bodies here */
		return MHD_NO;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return reply_const(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n");
	if (strcmp(url, w->healthz) == 0) {
		bool ok = !w->hooks.healthy || w->hooks.healthy(w->hooks.ctx);
		return ok ? reply_const(c, MHD_HTTP_OK, json, "{\"status\": \"ok\"}")
			  : reply_const(c, MHD_HTTP_SERVICE_UNAVAILABLE, json,
					"{\"status\": \"unavailable\"}");
	}
	if (strcmp(url, "/versions") == 0)
		return reply_const(c, MHD_HTTP_OK, json,
				   "{\"kestrel_version\": \"" KS_VERSION
				   "\", \"engine_version\": \"" KS_FALCO_ENGINE_VERSION
				   "\", \"engine_version_semver\": \"" KS_FALCO_ENGINE_VERSION
				   "\"}");
	if (w->metrics && strcmp(url, "/metrics") == 0) {
		struct ks_prom p;
		ks_prom_init(&p, METRICS_MAX);
		ks_web_render_metrics(&w->hooks, &p);
		if (p.truncated)
			ks_log_warn("web: /metrics truncated at %u bytes", METRICS_MAX);
		size_t len;
		char *body = ks_prom_take(&p, &len);
		if (!body)
			return MHD_NO;
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
			     MHD_RESPMEM_MUST_FREE);
	}
	return reply_const(c, MHD_HTTP_NOT_FOUND, text, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	ks_log_warn("web: %s", msg);
}

union addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

static int parse_addr(const char *host, int port, union addr *a, bool *v6)
{
	memset(a, 0, sizeof(*a));
	*v6 = false;
	if (inet_pton(AF_INET, host, &a->in.sin_addr) == 1) {
		a->in.sin_family = AF_INET;
		a->in.sin_port = htons((uint16_t)port);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) == 1) {
		a->in6.sin6_family = AF_INET6;
		a->in6.sin6_port = htons((uint16_t)port);
		*v6 = true;
		return 0;
	}
	ks_log_error("webserver.listen_address '%s' is not an IPv4 or IPv6 address", host);
	return -EINVAL;
}

static int read_opts(const struct ks_config *cfg, struct ks_web *w, int *port, int *threads)
{
	bool ok = true;
	int64_t p = ks_config_int(cfg, "webserver.listen_port", 8765, &ok);
	if (!ok || p < 0 || p > 65535) {
		ks_log_error("webserver.listen_port '%s' is not a port",
			     ks_config_str(cfg, "webserver.listen_port", ""));
		return -EINVAL;
	}
	int64_t t = ks_config_int(cfg, "webserver.threadiness", 0, &ok);
	if (!ok || t < 0 || t > 64) {
		ks_log_error("webserver.threadiness must be 0..64");
		return -EINVAL;
	}
	if (ks_config_bool(cfg, "webserver.ssl_enabled", false)) {
		ks_log_error("webserver.ssl_enabled: TLS is not supported by Kestrel's web server; "
			     "put a TLS proxy in front or bind to 127.0.0.1");
		return -ENOTSUP;
	}
	const char *hz = ks_config_str(cfg, "webserver.k8s_healthz_endpoint", "/healthz");
	if (hz[0] != '/') {
		ks_log_error("webserver.k8s_healthz_endpoint '%s' must start with /", hz);
		return -EINVAL;
	}
	w->healthz = strdup(hz);
	if (!w->healthz)
		return -ENOMEM;
	bool prom = ks_config_bool(cfg, "webserver.prometheus_metrics_enabled", false);
	w->metrics = prom && ks_config_bool(cfg, "metrics.enabled", false);
	if (prom && !w->metrics)
		ks_log_warn("webserver.prometheus_metrics_enabled needs metrics.enabled: true; "
			    "/metrics is off");
	*port = (int)p;
	*threads = (int)t;
	return 0;
}

int ks_web_new(const struct ks_config *cfg, const struct ks_web_hooks *hooks, struct ks_web **out)
{
	*out = NULL;
	if (!ks_config_bool(cfg, "webserver.enabled", true))
		return 0;
	struct ks_web *w = calloc(1, sizeof(*w));
	if (!w) {
		ks_log_error("web: no memory");
		return -ENOMEM;
	}
	if (hooks)
		w->hooks = *hooks;
	int port, threads;
	union addr a;
	bool v6;
	const char *host = ks_config_str(cfg, "webserver.listen_address", "0.0.0.0");
	int rc = read_opts(cfg, w, &port, &threads);
	if (!rc)
		rc = parse_addr(host, port, &a, &v6);
	if (rc) {
		ks_web_free(w);
		return rc;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG |
			 (v6 ? MHD_USE_IPv6 : 0);
	/* The server's threads inherit this mask: signals belong to the main thread. */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	struct MHD_OptionItem opts[] = {
	    /* the logger first, so that even option errors go through it */
	    {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)mhd_log, NULL},
	    {MHD_OPTION_SOCK_ADDR, 0, &a.sa},
	    {MHD_OPTION_CONNECTION_LIMIT, CONN_LIMIT, NULL},
	    {MHD_OPTION_CONNECTION_TIMEOUT, CONN_TIMEOUT, NULL},
	    {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, threads, NULL},
	    {MHD_OPTION_END, 0, NULL},
	};
	w->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, w, MHD_OPTION_ARRAY,
				opts, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!w->d) {
		ks_log_error("web: cannot listen on %s port %d (in use? webserver.listen_port)",
			     host, port);
		ks_web_free(w);
		return -EADDRINUSE;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(w->d, MHD_DAEMON_INFO_BIND_PORT);
	w->port = info ? info->port : port;
	ks_log_info("web server listening on %s port %d (%s%s)", host, w->port, w->healthz,
		    w->metrics ? ", /metrics" : "");
	*out = w;
	return 0;
}

int ks_web_port(const struct ks_web *w)
{
	return w ? w->port : -1;
}

void ks_web_free(struct ks_web *w)
{
	if (!w)
		return;
	if (w->d)
		MHD_stop_daemon(w->d);
	free(w->healthz);
	free(w);
}
