#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void ks_cli_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: kestrel [options]\n"
	    "Runtime security sensor: captures system calls and alerts on Falco-syntax rules.\n\n"
	    "  -c FILE            configuration file (default " KS_DEFAULT_CONFIG
	    ", skipped if absent)\n"
	    "  -r FILE|DIR        rules file or directory; repeatable; replaces rules_files\n"
	    "  -o KEY=VALUE       set a configuration key (e.g. json_output=true, "
	    "engine.kind=modern_ebpf);\n"
	    "                     KEY[]=VALUE appends to a list; repeatable\n"
	    "  -V, --validate FILE  validate rules files (repeatable, loaded as one set) and exit\n"
	    "  -L                 list the loaded rules (name, priority, description) and exit\n"
	    "  -l RULE            describe one loaded rule and exit\n"
	    "  --list             list every supported field with a description and exit\n"
	    "  --dry-run          load configuration and rules, then exit without capturing\n"
	    "  -M SECONDS         stop capturing after SECONDS\n"
	    "  -w FILE            write every captured record to a capture file\n"
	    "  -e FILE            replay a capture file through the rules (engine.kind=replay)\n"
	    "  -P FILE            write the process id to FILE (removed at exit)\n"
	    "  --version          print the version and exit\n"
	    "  -h, --help         this help\n");
}

static int push(const char ***arr, size_t *n, const char *v)
{
	const char **a = realloc(*arr, (*n + 1) * sizeof(char *));
	if (!a)
		return -ENOMEM;
	a[(*n)++] = v;
	*arr = a;
	return 0;
}

int ks_cli_parse(int argc, char **argv, struct ks_cli *cli)
{
	enum { OPT_LIST = 256, OPT_DRY_RUN, OPT_VERSION };
	static const struct option longopts[] = {
	    {"validate", required_argument, NULL, 'V'},
	    {"list", no_argument, NULL, OPT_LIST},
	    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	memset(cli, 0, sizeof(*cli));
	optind = 1;
	int c, rc = 0;
	while (rc == 0 &&
	       (c = getopt_long(argc, argv, "c:r:o:V:M:Ll:hw:e:P:", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			cli->config = optarg;
			break;
		case 'r':
			rc = push(&cli->rules, &cli->nrules, optarg);
			break;
		case 'o':
			rc = push(&cli->overrides, &cli->noverrides, optarg);
			break;
		case 'V':
			rc = push(&cli->validate, &cli->nvalidate, optarg);
			break;
		case 'M': {
			char *end;
			cli->max_seconds = strtod(optarg, &end);
			if (*end || cli->max_seconds < 0) {
				ks_log_error("-M '%s': expected a number of seconds", optarg);
				rc = -EINVAL;
			}
			break;
		}
		case 'w':
			cli->write_file = optarg;
			break;
		case 'e':
			cli->replay_file = optarg;
			break;
		case 'P':
			cli->pidfile = optarg;
			break;
		case 'L':
			cli->list_rules = true;
			break;
		case 'l':
			cli->describe = optarg;
			break;
		case OPT_LIST:
			cli->list_fields = true;
			break;
		case OPT_DRY_RUN:
			cli->dry_run = true;
			break;
		case OPT_VERSION:
			cli->version = true;
			break;
		case 'h':
			cli->help = true;
			break;
		default:
			ks_cli_usage(stderr);
			rc = -EINVAL;
		}
	}
	if (rc == 0 && optind < argc) {
		ks_log_error("unexpected argument '%s' (see kestrel --help)", argv[optind]);
		rc = -EINVAL;
	}
	if (rc)
		ks_cli_fini(cli);
	return rc;
}

void ks_cli_fini(struct ks_cli *cli)
{
	free(cli->rules);
	free(cli->overrides);
	free(cli->validate);
	cli->rules = cli->overrides = cli->validate = NULL;
}
