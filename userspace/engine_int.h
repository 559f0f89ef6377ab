/* The engine's internals, shared by engine.c and engine_metrics.c. */
#ifndef KS_ENGINE_INT_H
#define KS_ENGINE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture.h"
#include "config.h"
#include "driver/driver.h"
#include "output/alert.h"
#include "output/outputs.h"
#include "rules/rules.h"
#include "sequencer.h"
#include "state/state.h"
#include "web/web.h"

#define KS_ALERT_MAX (64 * 1024)

/* Counters written by the capture thread and read by the web server's: relaxed atomics,
 * which are plain loads and stores on x86. */
#define KS_INC(x)  __atomic_store_n(&(x), (x) + 1, __ATOMIC_RELAXED)
#define KS_READ(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

struct engine {
	struct ks_config *cfg;
	struct ks_ruleset *rules;
	uint64_t *rule_alerts; /* per rule index; swapped with the rules on reload */
	struct ks_state *state;
	struct ks_driver *drv;
	struct ks_outputs *out;
	struct ks_web *web;
	struct ks_web_hooks hooks;
	struct ks_alert_opts alert;
	struct ks_capture *capture; /* -w */
	struct ks_seq *seq;
	struct ks_arena arena;
	uint64_t boot_to_epoch_ns;
	bool live; /* capture running: /healthz answers 200 */
	/* capture-thread counters */
	uint64_t events, invalid, alerts, alert_drops, reloads, reload_failures;
	uint64_t pri_alerts[KS_PRI_DEBUG + 1];
	/* a snapshot of the driver's and state's counters, refreshed once a second by the
	 * capture thread, so the web server never calls into the driver */
	pthread_mutex_t lock; /* guards the snapshot, rules and rule_alerts for readers */
	struct ks_driver_stats drv_stats;
	struct ks_state_counters state_counters;
	uint64_t nthreads, nfds;
	/* syscall_event_drops */
	bool drops_baseline; /* last_kernel_* hold the first tick's counters */
	uint64_t last_kernel_events, last_kernel_drops;
	double drop_tokens;
	uint64_t drop_alerts;
	char alert_buf[KS_ALERT_MAX];
};

/* engine_metrics.c */
void ks_engine_metrics(void *ctx, struct ks_prom *p);
bool ks_engine_healthy(void *ctx);
/* Once a second on the capture thread: refresh the snapshot, check syscall_event_drops.
 * Returns true if the configured action is to exit. */
bool ks_engine_tick(struct engine *e);
/* Deliver an alert line to the outputs, counting a full queue. */
void ks_engine_emit(struct engine *e, enum ks_priority p, const char *line, size_t n);

#endif
