/*
 * The embedded web server (libmicrohttpd), Falco's webserver.* keys:
 *   enabled (default true), listen_address (0.0.0.0; an IPv4 or IPv6 address),
 *   listen_port (8765; 0 = any free port), threadiness (0 = one thread),
 *   k8s_healthz_endpoint (/healthz), prometheus_metrics_enabled (false; /metrics also needs
 *   metrics.enabled, as in Falco), ssl_enabled (not supported: refused).
 * Endpoints: the healthz path (200 {"status": "ok"} while healthy, else 503), /versions,
 * /metrics (Prometheus text: the engine's metrics, then the outputs' and the process's).
 */
#ifndef KS_WEB_H
#define KS_WEB_H

#include <stdbool.h>

#include "config.h"
#include "output/outputs.h"
#include "web/prom.h"

struct ks_web;

/* Called on the web server's thread, concurrently with capture: read counters atomically
 * (relaxed loads are fine). Everything here must outlive ks_web_free. */
struct ks_web_hooks {
	bool (*healthy)(void *ctx);		       /* NULL: always healthy */
	void (*metrics)(void *ctx, struct ks_prom *p); /* NULL: no engine metrics */
	void *ctx;
	struct ks_outputs *outputs; /* NULL: no output metrics */
};

/* Start serving. *out is NULL (and 0 returned) when webserver.enabled is false.
 * Returns a negative errno (logged) if the configuration is invalid or binding fails. */
int ks_web_new(const struct ks_config *cfg, const struct ks_web_hooks *hooks, struct ks_web **out);
int ks_web_port(const struct ks_web *w); /* the port actually bound */
void ks_web_free(struct ks_web *w);

/* Render what /metrics serves (also usable for the periodic metrics log). */
void ks_web_render_metrics(const struct ks_web_hooks *hooks, struct ks_prom *p);

#endif
