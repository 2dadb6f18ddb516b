/* reconcile.h - the reconciler of DESIGN.md section 2: it compares the channels in
 * the ODB (desired) with the listeners this server has (actual) and makes them
 * agree: binds new active channels on every worker, closes inactive, deleted and
 * moved ones (their connections get 1001), pushes other edits to live
 * connections. Idempotent; runs on start, after every admin write and on a timer.
 * Control thread only. */
#ifndef WSX_RECONCILE_H
#define WSX_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include "odb/odb.h"

typedef struct reconciler reconciler_t;

/* server_name is copied; db is borrowed for the reconciler's life. */
reconciler_t *reconcile_new(odb_t *db, const char *server_name);
void reconcile_free(reconciler_t *r);

/* --bind-host: bind every channel on host (copied) instead of the host of its
 * address, on the same port; NULL or "" restores the channel's own host. Applies
 * to listeners opened from then on: call it before the first reconcile_run. */
void reconcile_set_bind_host(reconciler_t *r, const char *host);

/* Bring the listeners in line with the ODB now. Records each changed channel
 * state in the ODB. Returns 0 or the ODB's error (listeners stay as they were). */
int reconcile_run(reconciler_t *r);

/* Run only if the ODB's config version moved since the last run, or a channel is
 * in error (to retry its bind). For the periodic timer. */
int reconcile_poll(reconciler_t *r);
/* SIGHUP: load every wss:// channel's certificate and key again at the next run
 * (new connections get the new ones, open connections keep theirs; a reload
 * that fails keeps the certificate in use and logs why). Call reconcile_run
 * after it to apply it now. */
void reconcile_reload_tls(reconciler_t *r);

/* This server's state of a channel ("listening", "inactive", "error: ...",
 * "draining: the server is leaving", "stopped"), or "unknown" before the
 * reconciler has seen it. Static or reconciler-owned. */
const char *reconcile_state(reconciler_t *r, int64_t channel_id);

/* A graceful leave: every channel stops accepting (its connections stay and keep
 * their settings; a deleted or deactivated channel still closes them) and nothing
 * is bound from now on. */
void reconcile_stop_accepting(reconciler_t *r);

/* Close every channel (server shutdown). */
void reconcile_close_all(reconciler_t *r);

#endif
