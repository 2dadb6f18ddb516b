/* wsx_auth.h - the login checker: a thread of its own for the slow part of a login
 * (Argon2id, by design tens of milliseconds), so a worker never blocks on it. A
 * success is remembered for a few minutes under a keyed hash of the credential and
 * what was presented, so a client that reconnects does not pay again; a changed
 * password or key changes the stored hash and so misses the cache. */
#ifndef WSX_WSX_AUTH_H
#define WSX_WSX_AUTH_H

#include <stddef.h>

#include "ev/ev.h"
#include "security/security.h"

/* Start and stop the thread. Returns 0 or a negative WSX_E*. */
int wsx_auth_start(void);
void wsx_auth_stop(void);

/* The result of a check: called on `loop`'s thread with ok 1 or 0. */
typedef void (*wsx_auth_done_fn)(void *ctx, int ok);

typedef struct wsx_auth_job wsx_auth_job_t;

/* Check username/secret against cred (all copied) on the checker thread, then call
 * done(ctx, ok) on loop's thread. *job (may be NULL) gets a handle for
 * wsx_auth_cancel, valid until done is called. Returns 0 (done will be called),
 * WSX_EBUSY (too many checks queued: a flood; refuse the login) or WSX_ENOMEM. */
int wsx_auth_submit(const security_cred_t *cred, wsx_slice_t username, wsx_slice_t secret,
                    ev_loop_t *loop, wsx_auth_done_fn done, void *ctx, wsx_auth_job_t **job);

/* The connection that asked is gone or closing: skip the check if it has not begun
 * (done is still called, with ok 0), so a flood of abandoned logins does not delay
 * the others. On loop's thread, before done was called. */
void wsx_auth_cancel(wsx_auth_job_t *job);

#endif
