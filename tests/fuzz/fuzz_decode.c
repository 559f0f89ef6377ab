/* Fuzz the record decoder and everything that reads a decoded record: the host state
 * tracker and every field extractor. Input: a stream of records as a ring delivers them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "fields/fields.h"
#include "state/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ks_state *st;
static char arena_buf[256 * 1024];
static const char *const field_names[] = {
    "evt.type",		"evt.args",  "evt.res",	     "evt.arg[1]",   "evt.arg.name",
    "evt.is_open_read", "proc.name", "proc.cmdline", "proc.exepath", "proc.pname",
    "proc.aname[3]",	"proc.args", "fd.name",	     "fd.directory", "fd.sip",
    "fd.cport",		"user.name", "container.id", "proc.tty",     "fd.typechar",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!st) {
		struct ks_state_opts o = {.proc_root = "/nonexistent",
					  .passwd_file = "/etc/passwd",
					  .group_file = "/etc/group",
					  .thread_table_size = 1024};
		st = ks_state_new(&o);
	}
	/* records must be aligned as they are in a ring */
	uint8_t *buf = malloc(size + 8);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct ks_arena arena = {arena_buf, sizeof arena_buf, 0};
	size_t off = 0;
	while (off + KS_HDR_SIZE <= size) {
		struct ks_event ev;
		const struct ks_hdr *h = (const struct ks_hdr *)(buf + off);
		if (ks_event_decode(&ev, buf + off, size - off, NULL) != 0)
			break;
		ev.state = st;
		ev.arena = &arena;
		ev.ts = ev.hdr->ts;
		arena.used = 0;
		ks_state_before(st, &ev);
		for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++) {
			struct ks_field_ref ref;
			size_t used;
			char err[128], out[512];
			struct ks_value v[16];
			if (ks_field_parse(field_names[i], &used, &ref, err, sizeof err) != 0)
				continue;
			int n = ks_field_extract(&ev, &ref, v, 16);
			for (int k = 0; k < n; k++)
				ks_value_format(&v[k], out, sizeof out);
			ks_field_ref_fini(&ref);
		}
		ks_state_after(st, &ev);
		off += (h->len + 7u) & ~7u;
	}
	free(buf);
	return 0;
}
