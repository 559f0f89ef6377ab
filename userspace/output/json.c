#include "json.h"

#include <stdio.h>
#include <string.h>

void ks_json_init(struct ks_json *j, char *buf, size_t cap)
{
	j->buf = buf;
	j->cap = cap;
	j->len = 0;
	j->overflow = cap == 0;
	if (cap)
		buf[0] = '\0';
}

void ks_json_raw(struct ks_json *j, const char *s, size_t n)
{
	if (j->overflow || n >= j->cap - j->len) {
		j->overflow = true;
		return;
	}
	memcpy(j->buf + j->len, s, n);
	j->len += n;
	j->buf[j->len] = '\0';
}

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (need > n)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return need;
}

void ks_json_str(struct ks_json *j, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	ks_json_raw(j, "\"", 1);
	for (size_t i = 0; i < n && !j->overflow;) {
		unsigned char c = p[i];
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			ks_json_raw(j, esc, 2);
			i++;
		} else if (c == '\n') {
			ks_json_raw(j, "\\n", 2), i++;
		} else if (c == '\t') {
			ks_json_raw(j, "\\t", 2), i++;
		} else if (c == '\r') {
			ks_json_raw(j, "\\r", 2), i++;
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			ks_json_raw(j, esc, 6);
			i++;
		} else {
			size_t l = utf8_len(p + i, n - i);
			if (l == 0) {
				ks_json_raw(j, "\\ufffd", 6);
				i++;
			} else {
				ks_json_raw(j, s + i, l);
				i += l;
			}
		}
	}
	ks_json_raw(j, "\"", 1);
}

void ks_json_key(struct ks_json *j, bool first, const char *key)
{
	if (!first)
		ks_json_raw(j, ",", 1);
	ks_json_str(j, key, strlen(key));
	ks_json_raw(j, ":", 1);
}
