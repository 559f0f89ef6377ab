/*
 * Alert outputs: one path for every alert. The capture thread formats an alert once and
 * pushes it (never blocking); an output thread writes it through io_uring to every enabled
 * sink (stdout, file, syslog, program, http). A slow or dead sink never blocks capture or
 * the other sinks: the queue is bounded and a full queue drops and counts; sink failures
 * are retried with backoff, counted, and logged at a bounded rate.
 *
 * Config keys (Falco 0.44): stdout_output.enabled, file_output.{enabled,filename,keep_alive},
 * syslog_output.enabled, program_output.{enabled,program,keep_alive},
 * http_output.{enabled,url,user_agent,insecure,ca_cert,ca_bundle,ca_path,mtls,client_cert,
 * client_key,keep_alive,compress_uploads}, buffered_outputs, outputs_queue.capacity.
 */
#ifndef KS_OUTPUTS_H
#define KS_OUTPUTS_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "rules/rules.h"

#define KS_MAX_SINKS 8

struct ks_outputs;

struct ks_sink_stats {
	const char *name;  /* "stdout", "file", "syslog", "program", "http" */
	uint64_t written;  /* alerts delivered */
	uint64_t failures; /* failed attempts (each retry counts) */
	uint64_t dropped;  /* alerts given up on for this sink */
};

struct ks_outputs_stats {
	uint64_t pushed;      /* alerts accepted into the queue */
	uint64_t queue_drops; /* alerts refused because the queue was full */
	uint64_t queue_depth; /* alerts waiting now */
	uint64_t queue_capacity;
	size_t nsinks;
	struct ks_sink_stats sink[KS_MAX_SINKS];
};

/* Build the sinks the configuration enables. Returns 0 or a negative errno (logged). */
int ks_outputs_new(const struct ks_config *cfg, struct ks_outputs **out);
/* The same with internal knobs (tests): NULL or 0 fields mean the defaults. */
struct ks_outputs_opts {
	const char *syslog_path; /* default /dev/log */
	size_t byte_budget;	 /* bytes of queued alerts at most; default 64 MiB */
};
int ks_outputs_new_opts(const struct ks_config *cfg, const struct ks_outputs_opts *opts,
			struct ks_outputs **out);
/* Start the output thread. */
int ks_outputs_start(struct ks_outputs *o);
/* Queue one formatted alert line (newline-terminated). Never blocks; returns 0, or -ENOBUFS
 * when the queue is full (the alert is counted as dropped). Safe from one producer thread. */
int ks_outputs_push(struct ks_outputs *o, enum ks_priority p, const char *line, size_t len);
/* Reopen file outputs (SIGUSR1, for logrotate); takes effect on the output thread.
 * Async-signal-safe. */
void ks_outputs_reopen(struct ks_outputs *o);
/* Deliver every queued alert (giving up on a dead sink after its retries), stop the thread.
 * Bounded: every sink gets at most 5 s; a dead HTTP receiver never holds up the others. */
void ks_outputs_stop(struct ks_outputs *o);
void ks_outputs_free(struct ks_outputs *o);
/* Any thread (the web server's included): relaxed snapshots of the counters. */
void ks_outputs_stats(struct ks_outputs *o, struct ks_outputs_stats *st);

#endif
