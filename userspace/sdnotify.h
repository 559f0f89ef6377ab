/*
 * systemd readiness notification without libsystemd: one datagram to $NOTIFY_SOCKET
 * (a path, or "@name" in the abstract namespace). For Type=notify units:
 *   ks_sd_notify("READY=1\nSTATUS=capturing")   once capture is live
 *   ks_sd_notify("RELOADING=1") / "READY=1"      around a SIGHUP reload
 *   ks_sd_notify("STOPPING=1")                   when shutting down
 */
#ifndef KS_SDNOTIFY_H
#define KS_SDNOTIFY_H

/* Returns 1 if sent, 0 if not run by systemd (no $NOTIFY_SOCKET), or a negative errno
 * (logged at debug level: a failed notification must not stop the sensor). */
int ks_sd_notify(const char *state);
int ks_sd_notifyf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
