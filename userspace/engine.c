#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "engine_int.h"
#include "log.h"
#include "pidfile.h"
#include "sdnotify.h"

#define KS_ARENA_BYTES (256 * 1024)
#define KS_SEQ_BYTES   (64u << 20)
/* How long a record may take between its timestamp and its commit to the ring; records
 * are released in order once every ring has been drained this far past them. */
#define KS_SEQ_SLACK_NS (2u * 1000u * 1000u)

volatile sig_atomic_t ks_engine_stop, ks_engine_reload, ks_engine_reopen;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ks_engine_emit(struct engine *e, enum ks_priority p, const char *line, size_t n)
{
	if (n == 0 || ks_outputs_push(e->out, p, line, n) != 0) {
		KS_INC(e->alert_drops);
		return;
	}
	KS_INC(e->alerts);
	KS_INC(e->pri_alerts[p]);
}

static void on_match(void *ctx, const struct ks_rule *rule, struct ks_event *ev)
{
	struct engine *e = ctx;
	size_t n = ks_alert_format(&e->alert, rule, ev, e->alert_buf, sizeof e->alert_buf);
	if (e->rule_alerts)
		KS_INC(e->rule_alerts[rule->index]);
	ks_engine_emit(e, rule->priority, e->alert_buf, n);
}

static void evaluate(struct engine *e, struct ks_event *ev);

/* A container seen for the first time: raise Falco's `container` event before the event
 * that revealed it, from the same thread. */
static void emit_container(struct engine *e, const struct ks_event *cause, const char *id)
{
	uint64_t rec[64];
	const void *params[] = {id};
	uint16_t lens[] = {(uint16_t)(strlen(id) + 1)};
	size_t len = ks_record_build(rec, sizeof rec, KS_E_CONTAINER, (uint32_t)cause->tid,
				     (uint32_t)cause->pid, cause->hdr->ts, params, lens, 1);
	struct ks_event ev;
	if (len && ks_event_decode(&ev, rec, len, NULL) == 0)
		evaluate(e, &ev);
}

/* Run one decoded event through state and rules. */
static void evaluate(struct engine *e, struct ks_event *ev)
{
	KS_INC(e->events);
	ev->num = e->events;
	ev->ts = ev->hdr->ts + e->boot_to_epoch_ns;
	ev->state = e->state;
	ev->arena = &e->arena;
	ev->cache = NULL;
	e->arena.used = 0;
	ks_state_before(e->state, ev);
	char cid[16];
	while (ev->type != KS_E_CONTAINER && ks_state_next_new_container(e->state, cid))
		emit_container(e, ev, cid);
	e->arena.used = 0;
	ks_ruleset_eval(e->rules, ev, on_match, e);
	ks_state_after(e->state, ev);
}

/* Records in timestamp order, from the sequencer. */
static void on_ordered(void *ctx, const void *rec, size_t len)
{
	struct engine *e = ctx;
	struct ks_event ev;
	const char *why = NULL;
	/* captures hold the ordered stream, so a replay sees exactly what the live run saw */
	if (e->capture && ks_capture_write(e->capture, rec, len) != 0) {
		ks_capture_close(e->capture); /* logged; capture stops, detection goes on */
		e->capture = NULL;
	}
	if (ks_event_decode(&ev, rec, len, &why) != 0) {
		/* A record we cannot trust is counted and skipped, never interpreted. */
		if (KS_READ(e->invalid) < 10)
			ks_log_warn("invalid record skipped: %s", why);
		KS_INC(e->invalid);
		return;
	}
	evaluate(e, &ev);
}

static int on_record(void *ctx, const void *rec, size_t len)
{
	struct engine *e = ctx;
	if (e->seq)
		ks_seq_push(e->seq, rec, len);
	else
		on_ordered(e, rec, len); /* the driver ordered it: in place, no copy */
	return 0;
}

static void read_alert_opts(struct engine *e, const struct ks_config *cfg)
{
	static char host[256];
	if (!host[0])
		gethostname(host, sizeof host - 1);
	e->alert.json = ks_config_bool(cfg, "json_output", false);
	e->alert.json_include_output = ks_config_bool(cfg, "json_include_output_property", true);
	e->alert.json_include_tags = ks_config_bool(cfg, "json_include_tags_property", true);
	e->alert.time_iso8601 = ks_config_bool(cfg, "time_format_iso_8601", false);
	e->alert.hostname = host;
}

static int set_filter(struct engine *e)
{
	uint8_t filter[KS_FILTER_BYTES] = {0};
	ks_ruleset_syscalls(e->rules, filter);
	ks_state_required_syscalls(filter);
	/* Falco's base_syscalls.all: every syscall, those outside the event table as generic
	 * records (costly: for measuring and forensics) */
	if (ks_config_bool(e->cfg, "base_syscalls.all", false))
		memset(filter, 0xff, sizeof filter);
	return ks_driver_set_filter(e->drv, filter);
}

/* SIGHUP: new configuration and rules, or the old ones if anything is wrong. Outputs, the
 * web server and the driver keep running; changing those takes a restart. */
static void reload(struct engine *e, const struct ks_engine_opts *o)
{
	struct ks_config *cfg = NULL;
	struct ks_ruleset *rs = NULL;
	ks_sd_notify("RELOADING=1");
	if (!o->reload || o->reload(o->reload_ctx, &cfg, &rs) != 0) {
		ks_log_error("reload failed: the running rules stay in place");
		KS_INC(e->reload_failures);
		ks_sd_notify("READY=1");
		return;
	}
	uint64_t *counts = calloc(ks_ruleset_count(rs) + 1, sizeof(uint64_t));
	pthread_mutex_lock(&e->lock);
	struct ks_ruleset *old_rs = e->rules;
	struct ks_config *old_cfg = e->cfg;
	uint64_t *old_counts = e->rule_alerts;
	e->rules = rs;
	e->cfg = cfg;
	e->rule_alerts = counts;
	pthread_mutex_unlock(&e->lock);
	ks_ruleset_free(old_rs);
	ks_config_free(old_cfg);
	free(old_counts);
	read_alert_opts(e, e->cfg);
	if (set_filter(e) != 0)
		ks_log_warn("reload: could not update the kernel syscall filter");
	KS_INC(e->reloads);
	ks_log_info("reloaded: %zu rules", ks_ruleset_count(rs));
	ks_sd_notify("READY=1");
}

static int open_driver(const struct ks_config *cfg, const char *replay_file, struct ks_driver **drv)
{
	bool ok = true;
	struct ks_driver_opts o = {
	    .kind = replay_file ? "replay" : ks_config_str(cfg, "engine.kind", "modern_ebpf"),
	    .replay_file = replay_file,
	};
	char key[128];
	snprintf(key, sizeof key, "engine.%s.buf_size_preset", o.kind);
	/* Falco's presets are ring sizes; here preset N = 1 MiB << N, for N in 0..6 */
	int64_t preset = ks_config_int(cfg, key, -1, &ok);
	if (ok && preset >= 0 && preset <= 6)
		o.buf_bytes_per_cpu = (uint64_t)1 << (20 + preset);
	snprintf(key, sizeof key, "engine.%s.cpus_for_each_buffer", o.kind);
	int64_t per = ks_config_int(cfg, key, 1, &ok);
	o.cpus_per_buffer = ok && per > 0 ? (unsigned)per : 1;
	return ks_driver_open(&o, drv);
}

static void summary(struct engine *e)
{
	struct ks_driver_stats *st = &e->drv_stats;
	uint64_t drops = st->total.drops_full + st->total.drops_fault + st->total.drops_bug;
	fprintf(stderr,
		"kestrel: events=%" PRIu64 " drops=%" PRIu64 " alerts=%" PRIu64 " (written=%" PRIu64
		" ring_full=%" PRIu64 " fault=%" PRIu64 " invalid=%" PRIu64 " alert_drops=%" PRIu64
		" threads=%" PRIu64 " fds=%" PRIu64 ")\n",
		e->events, drops, e->alerts, st->total.events, st->total.drops_full,
		st->total.drops_fault, e->invalid, e->alert_drops, e->nthreads, e->nfds);
}

static int capture_loop(struct engine *e, const struct ks_engine_opts *o, bool replay)
{
	uint64_t deadline = o->max_seconds > 0
				? clock_ns(CLOCK_MONOTONIC) + (uint64_t)(o->max_seconds * 1e9)
				: UINT64_MAX;
	uint64_t next_tick = clock_ns(CLOCK_MONOTONIC) + 1000000000u;
	int rc = 0;
	while (!ks_engine_stop && clock_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t drained_from = clock_ns(CLOCK_BOOTTIME);
		int n = ks_driver_next(e->drv, on_record, e, 50);
		/* a capture is already in order; live rings are in order up to the watermark */
		if (e->seq)
			ks_seq_release(e->seq, drained_from - KS_SEQ_SLACK_NS);
		if (n == -ENODATA) /* end of a replay */
			break;
		if (n < 0 && n != -EINTR) {
			rc = n;
			ks_log_error("capture failed: %s", strerror(-n));
			break;
		}
		if (ks_engine_reload) {
			ks_engine_reload = 0;
			reload(e, o);
		}
		if (ks_engine_reopen) {
			ks_engine_reopen = 0;
			ks_outputs_reopen(e->out);
		}
		if (clock_ns(CLOCK_MONOTONIC) >= next_tick) {
			next_tick += 1000000000u;
			if (ks_engine_tick(e)) {
				rc = -ECANCELED;
				break;
			}
		}
	}
	/* Deliver what the probe already wrote (bounded: a busy host never runs dry), once the
	 * youngest records are past the ordering slack. */
	if (!replay) {
		struct timespec pause = {0, 2 * KS_SEQ_SLACK_NS};
		nanosleep(&pause, NULL);
	}
	for (int i = 0; !replay && i < 64 && ks_driver_next(e->drv, on_record, e, 0) > 0; i++)
		;
	if (e->seq)
		ks_seq_release(e->seq, UINT64_MAX);
	return rc;
}

static int write_snapshot_record(void *ctx, const void *rec, size_t len)
{
	return ks_capture_write(ctx, rec, len);
}

static int start(struct engine *e, const struct ks_engine_opts *o)
{
	bool ok = true;
	struct ks_state_opts so = {
	    /* a replay starts from the capture's snapshot, never from this host's /proc */
	    .no_proc = o->replay_file != NULL,
	    .proc_root = "/proc",
	    .passwd_file = "/etc/passwd",
	    .group_file = "/etc/group",
	    .thread_table_size =
		(size_t)ks_config_int(e->cfg, "falco_libs.thread_table_size", 262144, &ok),
	};
	e->arena.buf = malloc(KS_ARENA_BYTES);
	e->arena.cap = KS_ARENA_BYTES;
	e->state = ks_state_new(&so);
	e->rule_alerts = calloc(ks_ruleset_count(e->rules) + 1, sizeof(uint64_t));
	if (!e->arena.buf || !e->state || !e->rule_alerts)
		return -ENOMEM;
	read_alert_opts(e, e->cfg);
	int rc = ks_outputs_new(e->cfg, &e->out);
	if (!rc)
		rc = ks_outputs_start(e->out);
	if (rc)
		return rc;
	e->hooks = (struct ks_web_hooks){.healthy = ks_engine_healthy,
					 .metrics = ks_engine_metrics,
					 .ctx = e,
					 .outputs = e->out};
	rc = ks_web_new(e->cfg, &e->hooks, &e->web);
	if (rc && !ks_config_has(e->cfg, "webserver.enabled")) {
		/* on by default, as in Falco; a busy default port must not stop the sensor */
		ks_log_warn("running without the web server (/healthz, /metrics); set "
			    "webserver.enabled or webserver.listen_port to choose");
		rc = 0;
		e->web = NULL;
	}
	if (rc)
		return rc;
	rc = open_driver(e->cfg, o->replay_file, &e->drv);
	/* only a driver that cannot order its CPUs' records needs the copying sequencer */
	if (!rc && !e->drv->ops->ordered && !(e->seq = ks_seq_new(KS_SEQ_BYTES, on_ordered, e)))
		rc = -ENOMEM;
	if (!rc)
		rc = set_filter(e);
	/* Seed after the probe is attached so no process slips between /proc and the events. */
	if (!rc)
		rc = ks_driver_start(e->drv);
	return rc;
}

int ks_engine_run(struct ks_config *cfg, struct ks_ruleset *rs, const struct ks_engine_opts *o)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e) {
		ks_ruleset_free(rs);
		ks_config_free(cfg);
		return -ENOMEM;
	}
	pthread_mutex_init(&e->lock, NULL);
	e->cfg = cfg;
	e->rules = rs;
	bool replay = o->replay_file != NULL;
	int rc = o->pidfile ? ks_pidfile_write(o->pidfile) : 0;
	if (!rc)
		rc = start(e, o);
	if (rc)
		goto cleanup;
	int seeded = 0;
	if (replay) {
		/* a capture carries its own clock and its own process snapshot */
		e->boot_to_epoch_ns = ks_driver_replay_boot_offset(e->drv);
	} else {
		seeded = ks_state_seed(e->state);
		if (seeded < 0)
			ks_log_warn(
			    "could not read /proc: %s; processes will be learnt from events",
			    strerror(-seeded));
		e->boot_to_epoch_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	}
	if (o->write_file) {
		rc = ks_capture_open(o->write_file, e->boot_to_epoch_ns, &e->capture);
		/* the process table the run starts from goes first, so a replay starts there too */
		if (!rc)
			rc = ks_state_snapshot(e->state, write_snapshot_record, e->capture);
		if (rc)
			goto cleanup;
	}
	ks_engine_tick(e);
	__atomic_store_n(&e->live, true, __ATOMIC_RELAXED);
	ks_log_info("capture started: driver %s, %zu rules, %d threads seeded",
		    ks_driver_kind(e->drv), ks_ruleset_count(e->rules), seeded);
	ks_sd_notifyf("READY=1\nSTATUS=capturing with %s, %zu rules", ks_driver_kind(e->drv),
		      ks_ruleset_count(e->rules));
	rc = capture_loop(e, o, replay);
	__atomic_store_n(&e->live, false, __ATOMIC_RELAXED);
	ks_sd_notify("STOPPING=1");
	ks_engine_tick(e);
	ks_outputs_stop(e->out); /* every queued alert is delivered (or given up on) first */
	summary(e);
cleanup:
	if (e->capture && ks_capture_close(e->capture) != 0 && rc == 0)
		rc = -EIO;
	ks_driver_close(e->drv);
	ks_web_free(e->web); /* before the outputs: its hooks point at them */
	if (e->out) {
		ks_outputs_stop(e->out);
		ks_outputs_free(e->out);
	}
	ks_seq_free(e->seq);
	if (e->state)
		ks_state_free(e->state);
	free(e->arena.buf);
	free(e->rule_alerts);
	ks_ruleset_free(e->rules);
	ks_config_free(e->cfg);
	if (o->pidfile)
		ks_pidfile_remove(o->pidfile);
	pthread_mutex_destroy(&e->lock);
	free(e);
	return rc;
}
