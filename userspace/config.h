/*
 * Configuration: Falco's YAML layout, flattened to dotted keys ("engine.kind",
 * "file_output.filename"). Sequences become lists ("rules_files"). `-o key=value` sets a
 * key (replacing a list with one item); `-o key[]=value` appends to a list.
 */
#ifndef KS_CONFIG_H
#define KS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_config;

struct ks_config *ks_config_new(void);
void ks_config_free(struct ks_config *c);
/* Load a YAML file on top of what is there. An empty file changes nothing. Errors are
 * printed as FILE:LINE:COL: error: ... and return a negative errno. */
int ks_config_load(struct ks_config *c, const char *path);
/* "key=value" or "key[]=value"; returns -EINVAL (and says why) if malformed. */
int ks_config_set_arg(struct ks_config *c, const char *arg);
int ks_config_set(struct ks_config *c, const char *key, const char *value);

const char *ks_config_str(const struct ks_config *c, const char *key, const char *def);
bool ks_config_bool(const struct ks_config *c, const char *key, bool def);
/* Integer with an optional k/M/G suffix; def if absent. *ok=false if present but invalid. */
int64_t ks_config_int(const struct ks_config *c, const char *key, int64_t def, bool *ok);
/* List items (a scalar counts as a one-item list). Returns the count. */
size_t ks_config_list(const struct ks_config *c, const char *key, const char *const **items);
bool ks_config_has(const struct ks_config *c, const char *key);

#endif
