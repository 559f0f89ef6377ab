#include "engine.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "driver/driver.h"
#include "log.h"
#include "output/alert.h"
#include "sequencer.h"
#include "state/state.h"

#define KS_ARENA_BYTES (256 * 1024)
#define KS_ALERT_MAX (64 * 1024)
#define KS_SEQ_BYTES (64u << 20)
/* How long a record may take between its timestamp and its commit to the ring; records
 * are released in order once every ring has been drained this far past them. */
#define KS_SEQ_SLACK_NS (20u * 1000u * 1000u)

volatile int ks_engine_stop;

struct engine {
	struct ks_ruleset *rules;
	struct ks_state *state;
	struct ks_alert_opts alert;
	struct ks_capture *capture; /* -w */
	struct ks_seq *seq;
	struct ks_arena arena;
	uint64_t boot_to_epoch_ns;
	uint64_t events, invalid, alerts, alert_drops;
	char alert_buf[KS_ALERT_MAX];
};

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void on_match(void *ctx, const struct ks_rule *rule, struct ks_event *ev)
{
	struct engine *e = ctx;
	size_t n = ks_alert_format(&e->alert, rule, ev, e->alert_buf, sizeof e->alert_buf);
	if (n == 0 || fwrite(e->alert_buf, 1, n, stdout) != n) {
		e->alert_drops++;
		return;
	}
	e->alerts++;
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
	e->events++;
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
		if (e->invalid++ < 10)
			ks_log_warn("invalid record skipped: %s", why);
		return;
	}
	evaluate(e, &ev);
}

static int on_record(void *ctx, const void *rec, size_t len)
{
	struct engine *e = ctx;
	ks_seq_push(e->seq, rec, len);
	return 0;
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
	/* Falco's presets 0..10 mean ring sizes; here: preset N = 1 MiB << N, capped at 64 MiB */
	int64_t preset = ks_config_int(cfg, key, -1, &ok);
	if (ok && preset >= 0 && preset <= 6)
		o.buf_bytes_per_cpu = (uint64_t)1 << (20 + preset);
	snprintf(key, sizeof key, "engine.%s.cpus_for_each_buffer", o.kind);
	int64_t per = ks_config_int(cfg, key, 1, &ok);
	o.cpus_per_buffer = ok && per > 0 ? (unsigned)per : 1;
	return ks_driver_open(&o, drv);
}

int ks_engine_run(const struct ks_config *cfg, struct ks_ruleset *rs, const struct ks_engine_opts *eo)
{
	static char host[256];
	struct engine *e = calloc(1, sizeof(*e));
	struct ks_driver *drv = NULL;
	int rc = 0;
	if (!e)
		return -ENOMEM;
	gethostname(host, sizeof host - 1);
	e->rules = rs;
	e->alert.json = ks_config_bool(cfg, "json_output", false);
	e->alert.json_include_output = ks_config_bool(cfg, "json_include_output_property", true);
	e->alert.json_include_tags = ks_config_bool(cfg, "json_include_tags_property", true);
	e->alert.time_iso8601 = ks_config_bool(cfg, "time_format_iso_8601", false);
	e->alert.hostname = host;
	e->arena.buf = malloc(KS_ARENA_BYTES);
	e->arena.cap = KS_ARENA_BYTES;
	bool ok = true;
	struct ks_state_opts so = {
		.proc_root = "/proc",
		.passwd_file = "/etc/passwd",
		.group_file = "/etc/group",
		.thread_table_size =
			(size_t)ks_config_int(cfg, "falco_libs.thread_table_size", 262144, &ok),
	};
	e->state = ks_state_new(&so);
	e->seq = ks_seq_new(KS_SEQ_BYTES, on_ordered, e);
	if (!e->arena.buf || !e->state || !e->seq) {
		rc = -ENOMEM;
		goto cleanup;
	}
	rc = open_driver(cfg, eo->replay_file, &drv);
	if (rc)
		goto cleanup;
	uint8_t filter[KS_FILTER_BYTES] = {0};
	ks_ruleset_syscalls(rs, filter);
	ks_state_required_syscalls(filter);
	rc = ks_driver_set_filter(drv, filter);
	if (rc)
		goto cleanup;
	/* Seed after the probe is attached so no process slips between /proc and the events. */
	rc = ks_driver_start(drv);
	if (rc)
		goto cleanup;
	bool replay = eo->replay_file != NULL;
	int seeded = 0;
	if (replay) {
		/* a capture carries its own clock and its own process snapshot */
		e->boot_to_epoch_ns = ks_driver_replay_boot_offset(drv);
	} else {
		seeded = ks_state_seed(e->state);
		if (seeded < 0)
			ks_log_warn("could not read /proc: %s; processes will be learnt from events",
				    strerror(-seeded));
		e->boot_to_epoch_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	}
	if (eo->write_file) {
		rc = ks_capture_open(eo->write_file, e->boot_to_epoch_ns, &e->capture);
		if (rc)
			goto cleanup;
	}
	ks_log_info("capture started: driver %s, %zu rules, %d threads seeded", ks_driver_kind(drv),
		    ks_ruleset_count(rs), seeded);
	uint64_t deadline = eo->max_seconds > 0
				    ? clock_ns(CLOCK_MONOTONIC) + (uint64_t)(eo->max_seconds * 1e9)
				    : UINT64_MAX;
	while (!ks_engine_stop && clock_ns(CLOCK_MONOTONIC) < deadline) {
		uint64_t drained_from = clock_ns(CLOCK_BOOTTIME);
		int n = ks_driver_next(drv, on_record, e, 50);
		/* a capture is already in order; live rings are in order up to the watermark */
		ks_seq_release(e->seq, replay ? UINT64_MAX : drained_from - KS_SEQ_SLACK_NS);
		if (n == -ENODATA) /* end of a replay */
			break;
		if (n < 0 && n != -EINTR) {
			rc = n;
			ks_log_error("capture failed: %s", strerror(-n));
			break;
		}
		fflush(stdout);
	}
	/* Deliver what the probe already wrote before reporting (bounded: a busy host never
	 * lets the rings run dry). */
	for (int i = 0; !replay && i < 64 && ks_driver_next(drv, on_record, e, 0) > 0; i++)
		;
	ks_seq_release(e->seq, UINT64_MAX);
	fflush(stdout);
	struct ks_driver_stats st;
	ks_driver_stats(drv, &st);
	uint64_t drops = st.total.drops_full + st.total.drops_fault + st.total.drops_bug;
	fprintf(stderr,
		"kestrel: events=%" PRIu64 " drops=%" PRIu64 " alerts=%" PRIu64
		" (written=%" PRIu64 " ring_full=%" PRIu64 " fault=%" PRIu64 " invalid=%" PRIu64
		" alert_drops=%" PRIu64 ")\n",
		e->events, drops, e->alerts, st.total.events, st.total.drops_full,
		st.total.drops_fault, e->invalid, e->alert_drops);
cleanup:
	if (e->capture && ks_capture_close(e->capture) != 0 && rc == 0)
		rc = -EIO;
	ks_driver_close(drv);
	ks_seq_free(e->seq);
	if (e->state)
		ks_state_free(e->state);
	free(e->arena.buf);
	free(e);
	return rc;
}
