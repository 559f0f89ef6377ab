/* Command line, with Falco's flags. */
#ifndef KS_CLI_H
#define KS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define KS_DEFAULT_CONFIG "/etc/kestrel/kestrel.yaml"
#define KS_VERSION	  "0.1.0"

struct ks_cli {
	const char *config; /* -c; NULL: KS_DEFAULT_CONFIG if it exists */
	const char **rules; /* -r, repeatable; overrides rules_files */
	size_t nrules;
	const char **overrides; /* -o key=value, repeatable, applied in order */
	size_t noverrides;
	const char **validate; /* -V FILE, repeatable */
	size_t nvalidate;
	double max_seconds;	 /* -M; 0 = run until signalled */
	const char *write_file;	 /* -w: write the captured records to this file */
	const char *replay_file; /* -e: replay a capture file instead of capturing live */
	const char *pidfile;	 /* -P */
	bool list_rules;	 /* -L */
	const char *describe;	 /* -l RULE */
	bool list_fields;	 /* --list */
	bool dry_run;		 /* --dry-run */
	bool version;		 /* --version */
	bool help;		 /* -h */
};

/* Parse argv. Returns 0, or -EINVAL after printing what was wrong. Free with ks_cli_fini. */
int ks_cli_parse(int argc, char **argv, struct ks_cli *cli);
void ks_cli_fini(struct ks_cli *cli);
void ks_cli_usage(FILE *f);

#endif
