/* The capture loop: driver -> sequencer -> decode -> state -> rules -> outputs. */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include <signal.h>

#include "config.h"
#include "rules/rules.h"

struct ks_engine_opts {
	double max_seconds;	 /* 0 = until signalled (or the end of a replay) */
	const char *write_file;	 /* -w */
	const char *replay_file; /* -e: engine.kind=replay */
	const char *pidfile;	 /* -P */
	/*
	 * SIGHUP: load the configuration and rules again. Returns 0 with new objects (the
	 * engine takes them over), or a negative errno after reporting why, and the running
	 * rules stay in place.
	 */
	int (*reload)(void *ctx, struct ks_config **cfg, struct ks_ruleset **rs);
	void *reload_ctx;
};

/*
 * Run until a stop signal, max_seconds or the end of a replay. Takes ownership of cfg and
 * rs (and of what reload hands over) and frees them. Returns 0 or a negative errno.
 */
int ks_engine_run(struct ks_config *cfg, struct ks_ruleset *rs, const struct ks_engine_opts *o);

/* Set by the signal handlers in main. */
extern volatile sig_atomic_t ks_engine_stop, ks_engine_reload, ks_engine_reopen;

#endif
