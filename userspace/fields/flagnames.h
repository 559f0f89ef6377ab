/* Symbolic names of flag and enum event parameters, as Falco renders evt.arg.<name>. */
#ifndef KS_FLAGNAMES_H
#define KS_FLAGNAMES_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

/* Write the names of value v of parameter `param` of `type` to buf ("O_RDONLY|O_CREAT").
 * Returns the length written, or 0 when the parameter has no name table (or no bit of v
 * has a name): then render the number. */
size_t ks_flags_render(enum ks_event_type type, const char *param, uint64_t v, char *buf,
		       size_t len);

#endif
