/* Fuzz the condition parser and compiler: the input is one rule's condition, placed in a
 * rules file next to a macro and a list it may reference. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ks-fuzz-cond-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	FILE *f = fdopen(fd, "w");
	fputs(
	    "- list: l\n  items: [a, \"b c\", 1]\n- macro: m\n  condition: evt.type = open\n"
	    "- rule: r\n  desc: d\n  output: o %proc.name\n  priority: INFO\n  condition: |\n    ",
	    f);
	/* keep the fuzz input inside the block scalar: every line indented */
	for (size_t i = 0; i < size; i++) {
		if (data[i] == '\0')
			continue;
		fputc(data[i], f);
		if (data[i] == '\n')
			fputs("    ", f);
	}
	fputc('\n', f);
	fclose(f);
	const char *paths[] = {path};
	struct ks_rules_opts o = {.match_all = true, .min_priority = KS_PRI_DEBUG};
	struct ks_ruleset *rs = NULL;
	if (ks_ruleset_load(paths, 1, &o, &rs) == 0)
		ks_ruleset_free(rs);
	unlink(path);
	return 0;
}
