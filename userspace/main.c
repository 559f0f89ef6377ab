/* kestrel: runtime security sensor. Falco rules in, Falco alerts out. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "engine.h"
#include "fields/fields.h"
#include "log.h"
#include "rules/rules.h"
#include "web/prom.h"

/* Where rules come from when neither -r nor rules_files says: Falco's layout. */
static const char *const default_rules[] = {
    "/etc/kestrel/kestrel_rules.yaml",
    "/etc/kestrel/kestrel_rules.local.yaml",
    "/etc/kestrel/rules.d",
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		ks_engine_reload = 1;
	else if (sig == SIGUSR1)
		ks_engine_reopen = 1;
	else
		ks_engine_stop = 1;
}

static int load_config(const struct ks_cli *cli, struct ks_config *cfg)
{
	const char *path = cli->config;
	if (!path && access(KS_DEFAULT_CONFIG, F_OK) == 0)
		path = KS_DEFAULT_CONFIG;
	if (path) {
		int rc = ks_config_load(cfg, path);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < cli->noverrides; i++) {
		int rc = ks_config_set_arg(cfg, cli->overrides[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Values that would only fail later, at start-up, are refused now (so --dry-run and -V
 * catch them). */
static int validate_config(const struct ks_config *cfg)
{
	int bad = 0;
	bool ok;
	const char *kind = ks_config_str(cfg, "engine.kind", "modern_ebpf");
	if (strcmp(kind, "modern_ebpf") && strcmp(kind, "kmod") && strcmp(kind, "auto")) {
		ks_log_error("engine.kind '%s' is not one of modern_ebpf, kmod, auto", kind);
		bad++;
	}
	static const char *const kinds[] = {"modern_ebpf", "kmod", "auto"};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		char key[96];
		snprintf(key, sizeof key, "engine.%s.buf_size_preset", kinds[i]);
		int64_t v = ks_config_int(cfg, key, 3, &ok);
		if (!ok || v < 0 || v > 6) {
			ks_log_error("%s '%s' is not a preset from 0 to 6", key,
				     ks_config_str(cfg, key, ""));
			bad++;
		}
		snprintf(key, sizeof key, "engine.%s.cpus_for_each_buffer", kinds[i]);
		v = ks_config_int(cfg, key, 1, &ok);
		if (!ok || v < 0 || v > 1024) {
			ks_log_error("%s '%s' is not a number of CPUs", key,
				     ks_config_str(cfg, key, ""));
			bad++;
		}
	}
	int64_t port = ks_config_int(cfg, "webserver.listen_port", 8765, &ok);
	if (!ok || port < 1 || port > 65535) {
		ks_log_error("webserver.listen_port '%s' is not a port from 1 to 65535",
			     ks_config_str(cfg, "webserver.listen_port", ""));
		bad++;
	}
	uint64_t ms;
	const char *iv = ks_config_str(cfg, "metrics.interval", NULL);
	if (iv && ks_prom_parse_duration(iv, &ms) != 0) {
		ks_log_error("metrics.interval '%s' is not a duration such as 500ms, 15s, 1h30m",
			     iv);
		bad++;
	}
	return bad ? -EINVAL : 0;
}

static struct ks_rules_opts rules_opts(const struct ks_config *cfg)
{
	struct ks_rules_opts o = {.match_all = false, .min_priority = KS_PRI_DEBUG};
	const char *m = ks_config_str(cfg, "rule_matching", "first");
	if (strcmp(m, "all") == 0)
		o.match_all = true;
	else if (strcmp(m, "first") != 0)
		ks_log_warn("rule_matching '%s' is not first or all; using first", m);
	int p = ks_priority_parse(ks_config_str(cfg, "priority", "debug"));
	if (p < 0)
		ks_log_warn("priority '%s' is not a priority; using debug",
			    ks_config_str(cfg, "priority", ""));
	else
		o.min_priority = (enum ks_priority)p;
	return o;
}

/* The rules files: -r, else rules_files, else the defaults that exist. */
static size_t rules_paths(const struct ks_cli *cli, const struct ks_config *cfg,
			  const char *const **paths, const char **tmp)
{
	if (cli->nrules) {
		*paths = cli->rules;
		return cli->nrules;
	}
	size_t n = ks_config_list(cfg, "rules_files", paths);
	if (n)
		return n;
	size_t k = 0;
	for (size_t i = 0; i < sizeof(default_rules) / sizeof(default_rules[0]); i++)
		if (access(default_rules[i], F_OK) == 0)
			tmp[k++] = default_rules[i];
	*paths = tmp;
	return k;
}

static int list_rules(const struct ks_ruleset *rs, const char *only)
{
	int found = 0;
	if (!only)
		printf("%-60s %-14s %s\n", "Rule", "Priority", "Description");
	for (size_t i = 0; i < ks_ruleset_count(rs); i++) {
		const struct ks_rule *r = ks_ruleset_rule(rs, i);
		if (only && strcmp(only, r->name) != 0)
			continue;
		printf("%-60s %-14s %s\n", r->name, ks_priority_name(r->priority),
		       r->desc ? r->desc : "");
		found++;
	}
	if (only && !found) {
		ks_log_error("no loaded rule is named '%s' (kestrel -L lists them)", only);
		return -ENOENT;
	}
	return 0;
}

/* Load configuration and rules as at start-up; nothing is returned unless all of it loads. */
static int load_all(const struct ks_cli *cli, struct ks_config **cfg_out,
		    struct ks_ruleset **rs_out)
{
	struct ks_config *cfg = ks_config_new();
	struct ks_ruleset *rs = NULL;
	if (!cfg || load_config(cli, cfg) || validate_config(cfg)) {
		ks_config_free(cfg);
		return -EINVAL;
	}
	struct ks_rules_opts ro = rules_opts(cfg);
	const char *tmp[3];
	const char *const *paths;
	size_t npaths = rules_paths(cli, cfg, &paths, tmp);
	if (npaths == 0) {
		ks_log_error(
		    "no rules files: pass -r FILE or set rules_files in the configuration");
		ks_config_free(cfg);
		return -ENOENT;
	}
	if (ks_ruleset_load(paths, npaths, &ro, &rs)) {
		ks_config_free(cfg);
		return -EINVAL;
	}
	*cfg_out = cfg;
	*rs_out = rs;
	return 0;
}

static int reload_cb(void *ctx, struct ks_config **cfg, struct ks_ruleset **rs)
{
	return load_all(ctx, cfg, rs);
}

int main(int argc, char **argv)
{
	struct ks_cli cli;
	struct ks_config *cfg = NULL;
	struct ks_ruleset *rs = NULL;
	int rc = ks_cli_parse(argc, argv, &cli);
	if (rc)
		return 1;
	if (cli.help || cli.version || cli.list_fields) {
		if (cli.help)
			ks_cli_usage(stdout);
		if (cli.version)
			printf("Kestrel version: %s\nFalco engine version: %s\n", KS_VERSION,
			       KS_FALCO_ENGINE_VERSION);
		if (cli.list_fields)
			ks_fields_list(stdout);
		ks_cli_fini(&cli);
		return 0;
	}
	if (cli.nvalidate) {
		cfg = ks_config_new();
		if (!cfg || load_config(&cli, cfg)) {
			rc = 1;
			goto cleanup;
		}
		struct ks_rules_opts ro = rules_opts(cfg);
		rc = ks_ruleset_load(cli.validate, cli.nvalidate, &ro, &rs) ? 1 : 0;
		for (size_t i = 0; rc == 0 && i < cli.nvalidate; i++)
			printf("%s: Ok\n", cli.validate[i]);
		goto cleanup;
	}
	if (load_all(&cli, &cfg, &rs)) {
		rc = 1;
		goto cleanup;
	}
	if (cli.list_rules || cli.describe) {
		rc = list_rules(rs, cli.describe) ? 1 : 0;
		goto cleanup;
	}
	if (cli.dry_run) {
		ks_log_info("dry run: %zu rules loaded", ks_ruleset_count(rs));
		goto cleanup;
	}
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	struct ks_engine_opts eo = {.max_seconds = cli.max_seconds,
				    .write_file = cli.write_file,
				    .replay_file = cli.replay_file,
				    .pidfile = cli.pidfile,
				    .reload = reload_cb,
				    .reload_ctx = &cli};
	/* the engine owns the configuration and rules from here on */
	rc = ks_engine_run(cfg, rs, &eo) ? 1 : 0;
	cfg = NULL;
	rs = NULL;
cleanup:
	ks_ruleset_free(rs);
	ks_config_free(cfg);
	ks_cli_fini(&cli);
	return rc;
}
