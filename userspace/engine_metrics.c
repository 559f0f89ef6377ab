/* The engine's health, Prometheus metrics, periodic metrics log and syscall_event_drops. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_int.h"
#include "log.h"
#include "web/prom.h"

bool ks_engine_healthy(void *ctx)
{
	struct engine *e = ctx;
	return __atomic_load_n(&e->live, __ATOMIC_RELAXED);
}

static const char *const pri_names[] = {"Emergency", "Alert",  "Critical",	"Error",
					"Warning",   "Notice", "Informational", "Debug"};

void ks_engine_metrics(void *ctx, struct ks_prom *p)
{
	struct engine *e = ctx;
	char cpu[16];
	ks_prom_counter(p, "kestrel_events_total", "Events processed by the engine.", NULL,
			KS_READ(e->events));
	ks_prom_counter(p, "kestrel_invalid_records_total",
			"Records refused by validation and skipped.", NULL, KS_READ(e->invalid));
	ks_prom_counter(p, "kestrel_alert_drops_total",
			"Alerts lost because the output queue was full.", NULL,
			KS_READ(e->alert_drops));
	for (int i = 0; i <= KS_PRI_DEBUG; i++)
		ks_prom_counter(p, "kestrel_alerts_by_priority_total", "Alerts by priority.",
				(const char *[]){"priority", pri_names[i], NULL},
				KS_READ(e->pri_alerts[i]));
	ks_prom_counter(p, "kestrel_reloads_total", "Successful SIGHUP reloads.", NULL,
			KS_READ(e->reloads));
	ks_prom_counter(p, "kestrel_reload_failures_total",
			"SIGHUP reloads refused (the old rules kept running).", NULL,
			KS_READ(e->reload_failures));
	ks_prom_counter(p, "kestrel_drop_alerts_total", "syscall_event_drops actions taken.", NULL,
			KS_READ(e->drop_alerts));
	pthread_mutex_lock(&e->lock);
	const struct ks_driver_stats *st = &e->drv_stats;
	for (unsigned c = 0; c < st->ncpus && c < KS_MAX_CPUS; c++) {
		snprintf(cpu, sizeof cpu, "%u", c);
		ks_prom_counter(p, "kestrel_kernel_events_total",
				"Records the kernel wrote to the rings, by CPU.",
				(const char *[]){"cpu", cpu, NULL}, st->cpu[c].events);
	}
	static const char *const causes[] = {"ring_full", "user_fault", "bug"};
	for (int k = 0; k < 3; k++)
		for (unsigned c = 0; c < st->ncpus && c < KS_MAX_CPUS; c++) {
			const struct ks_cpu_stats *s = &st->cpu[c];
			uint64_t v = k == 0   ? s->drops_full
				     : k == 1 ? s->drops_fault
					      : s->drops_bug;
			snprintf(cpu, sizeof cpu, "%u", c);
			ks_prom_counter(p, "kestrel_drops_total",
					"Events lost in the kernel, by cause and CPU.",
					(const char *[]){"cause", causes[k], "cpu", cpu, NULL}, v);
		}
	for (size_t i = 0; e->rule_alerts && i < ks_ruleset_count(e->rules); i++) {
		const struct ks_rule *r = ks_ruleset_rule(e->rules, i);
		ks_prom_counter(p, "kestrel_alerts_total", "Alerts by rule and priority.",
				(const char *[]){"rule", r->name, "priority",
						 ks_priority_name(r->priority), NULL},
				KS_READ(e->rule_alerts[r->index]));
	}
	ks_prom_gauge(p, "kestrel_threads", "Threads in the thread table.", NULL,
		      (double)e->nthreads);
	ks_prom_gauge(p, "kestrel_fds", "File descriptors in the fd tables.", NULL,
		      (double)e->nfds);
	ks_prom_counter(p, "kestrel_thread_evictions_total",
			"Live threads evicted because the thread table was full.", NULL,
			e->state_counters.thread_evictions);
	ks_prom_counter(p, "kestrel_threads_from_proc_total",
			"Unknown threads read from /proc on the event path.", NULL,
			e->state_counters.threads_from_proc);
	ks_prom_counter(p, "kestrel_fd_table_full_total",
			"Descriptors not tracked because a process hit its fd limit.", NULL,
			e->state_counters.fd_table_full);
	pthread_mutex_unlock(&e->lock);
}

/* Falco's syscall_event_drops: when more than `threshold` of the last second's events were
 * dropped, take the configured actions, at most `rate` times a second (bursts of max_burst). */
static bool check_drops(struct engine *e, uint64_t kev, uint64_t kdrops)
{
	uint64_t dev = kev - e->last_kernel_events, ddrops = kdrops - e->last_kernel_drops;
	e->last_kernel_events = kev;
	e->last_kernel_drops = kdrops;
	const struct ks_config *cfg = e->cfg;
	char *end;
	double threshold = strtod(ks_config_str(cfg, "syscall_event_drops.threshold", "0.1"), &end);
	double rate = strtod(ks_config_str(cfg, "syscall_event_drops.rate", "0.03333"), &end);
	double burst = strtod(ks_config_str(cfg, "syscall_event_drops.max_burst", "1"), &end);
	e->drop_tokens += rate;
	if (e->drop_tokens > burst)
		e->drop_tokens = burst;
	if (ddrops == 0 || (double)ddrops / (double)(dev + ddrops) <= threshold)
		return false;
	if (e->drop_tokens < 1.0)
		return false;
	e->drop_tokens -= 1.0;
	KS_INC(e->drop_alerts);
	const char *const *actions;
	size_t na = ks_config_list(cfg, "syscall_event_drops.actions", &actions);
	static const char *const def[] = {"log", "alert"};
	if (!ks_config_has(cfg, "syscall_event_drops.actions")) {
		actions = def;
		na = 2;
	}
	char msg[160];
	snprintf(msg, sizeof msg,
		 "Kestrel internal: syscall event drop. %" PRIu64
		 " system calls dropped in last second.",
		 ddrops);
	bool exit_now = false;
	for (size_t i = 0; i < na; i++) {
		if (strcmp(actions[i], "log") == 0) {
			ks_log_warn("%s", msg);
		} else if (strcmp(actions[i], "alert") == 0) {
			const char *keys[] = {"n_evts", "n_drops", "n_drops_buffer_total",
					      "n_drops_pf", "n_drops_bug"};
			uint64_t vals[] = {dev, ddrops, e->drv_stats.total.drops_full,
					   e->drv_stats.total.drops_fault,
					   e->drv_stats.total.drops_bug};
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			size_t n = ks_alert_format_internal(
			    &e->alert, "Kestrel internal: syscall event drop", KS_PRI_DEBUG, msg,
			    keys, vals, 5, now, e->alert_buf, sizeof e->alert_buf);
			ks_engine_emit(e, KS_PRI_DEBUG, e->alert_buf, n);
		} else if (strcmp(actions[i], "exit") == 0) {
			ks_log_error("%s Exiting, as syscall_event_drops.actions says.", msg);
			exit_now = true;
		}
	}
	return exit_now;
}

static void periodic_log(struct engine *e)
{
	static uint64_t last_ms;
	uint64_t interval_ms = 0;
	if (!ks_config_bool(e->cfg, "metrics.enabled", false) ||
	    ks_prom_parse_duration(ks_config_str(e->cfg, "metrics.interval", "1h"), &interval_ms) !=
		0 ||
	    interval_ms == 0)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now_ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	if (last_ms && now_ms - last_ms < interval_ms)
		return;
	last_ms = now_ms;
	const struct ks_cpu_stats *t = &e->drv_stats.total;
	ks_log_info("metrics: events=%" PRIu64 " kernel_events=%" PRIu64 " drops=%" PRIu64
		    " alerts=%" PRIu64 " alert_drops=%" PRIu64 " threads=%" PRIu64 " fds=%" PRIu64,
		    e->events, t->events, t->drops_full + t->drops_fault + t->drops_bug, e->alerts,
		    e->alert_drops, e->nthreads, e->nfds);
}

bool ks_engine_tick(struct engine *e)
{
	struct ks_driver_stats st;
	if (ks_driver_stats(e->drv, &st) != 0)
		return false;
	pthread_mutex_lock(&e->lock);
	e->drv_stats = st;
	ks_state_get_counters(e->state, &e->state_counters);
	e->nthreads = ks_state_nthreads(e->state);
	e->nfds = ks_state_nfds(e->state);
	pthread_mutex_unlock(&e->lock);
	periodic_log(e);
	const struct ks_cpu_stats *t = &st.total;
	if (!e->drops_baseline) { /* first tick: the counters so far are the baseline */
		e->drops_baseline = true;
		e->last_kernel_events = t->events;
		e->last_kernel_drops = t->drops_full;
		return false;
	}
	return check_drops(e, t->events, t->drops_full);
}
