/* The capture loop: driver -> decode -> state -> rules -> alerts. */
#ifndef KS_ENGINE_H
#define KS_ENGINE_H

#include "config.h"
#include "rules/rules.h"

struct ks_engine_opts {
	double max_seconds;      /* 0 = until signalled (or the end of a replay) */
	const char *write_file;  /* -w */
	const char *replay_file; /* -e: engine.kind=replay */
};

/* Run until a stop signal, max_seconds or the end of a replay. Returns 0 or a negative errno. */
int ks_engine_run(const struct ks_config *cfg, struct ks_ruleset *rs, const struct ks_engine_opts *o);

/* Set by SIGINT/SIGTERM. */
extern volatile int ks_engine_stop;

#endif
