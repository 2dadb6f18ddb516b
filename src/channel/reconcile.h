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

/* Bring the listeners in line with the ODB now. Records each changed channel
 * state in the ODB. Returns 0 or the ODB's error (listeners stay as they were). */
int reconcile_run(reconciler_t *r);

/* Run only if the ODB's config version moved since the last run, or a channel is
 * in error (to retry its bind). For the periodic timer. */
int reconcile_poll(reconciler_t *r);

/* This server's state of a channel ("listening", "inactive", "error: ..."), or
 * "unknown" before the reconciler has seen it. Static or reconciler-owned. */
const char *reconcile_state(reconciler_t *r, int64_t channel_id);

/* Close every channel (server shutdown). */
void reconcile_close_all(reconciler_t *r);

#endif
