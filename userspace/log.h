/* Logging: everything goes to stderr (stdout carries alerts only). */
#ifndef KS_LOG_H
#define KS_LOG_H

enum ks_log_level { KS_LOG_ERROR, KS_LOG_WARN, KS_LOG_INFO, KS_LOG_DEBUG };

extern enum ks_log_level ks_log_threshold;

void ks_log(enum ks_log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define ks_log_error(...) ks_log(KS_LOG_ERROR, __VA_ARGS__)
#define ks_log_warn(...)  ks_log(KS_LOG_WARN, __VA_ARGS__)
#define ks_log_info(...)  ks_log(KS_LOG_INFO, __VA_ARGS__)
#define ks_log_debug(...) ks_log(KS_LOG_DEBUG, __VA_ARGS__)

#endif
