/* Fuzz the rules loader: the input is a whole rules file. Errors are fine; crashes, leaks,
 * hangs and undefined behaviour are not. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rules/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/ks-fuzz-rules-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		unlink(path);
		return 0;
	}
	close(fd);
	const char *paths[] = {path};
	struct ks_rules_opts o = {.match_all = false, .min_priority = KS_PRI_DEBUG};
	struct ks_ruleset *rs = NULL;
	if (ks_ruleset_load(paths, 1, &o, &rs) == 0)
		ks_ruleset_free(rs);
	unlink(path);
	return 0;
}
