/* A tiny bounded JSON writer. Once it runs out of room it stops writing and remembers. */
#ifndef KS_JSON_H
#define KS_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_json {
	char *buf;
	size_t cap, len;
	bool overflow;
};

void ks_json_init(struct ks_json *j, char *buf, size_t cap);
void ks_json_raw(struct ks_json *j, const char *s, size_t n);
/* A JSON string literal: quotes, escapes, invalid UTF-8 replaced with U+FFFD. */
void ks_json_str(struct ks_json *j, const char *s, size_t n);
void ks_json_key(struct ks_json *j, bool first, const char *key);

#endif
