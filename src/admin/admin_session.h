/* admin_session.h - the web admin's login sessions: an in-memory table on the
 * control thread. A session id is 32 random bytes (base64url in the wsx_session
 * cookie); the table keeps only a keyed hash of it, found by a constant-time
 * comparison, so neither a memory dump nor timing gives a usable cookie. Each
 * session has its CSRF token and ends after ADMIN_SESSION_IDLE_MS without use.
 * Also the Cookie header parser. Control thread only; times are CLOCK_MONOTONIC ms. */
#ifndef WSX_ADMIN_SESSION_H
#define WSX_ADMIN_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"

#define ADMIN_SESSION_COOKIE "wsx_session"
#define ADMIN_SESSION_ID_LEN 43 /* base64url of 32 bytes, no padding */
#define ADMIN_SESSION_IDLE_MS (8ULL * 3600 * 1000)
/* and after this long whatever its use: a page that polls (the connections page)
 * must not keep a session alive for ever */
#define ADMIN_SESSION_MAX_MS (12ULL * 3600 * 1000)
#define ADMIN_SESSIONS_MAX 256
#define ADMIN_USERNAME_MAX 128

typedef struct admin_session {
    uint8_t id_hash[32]; /* keyed BLAKE2b of the cookie's value */
    char username[ADMIN_USERNAME_MAX + 1];
    char csrf[ADMIN_SESSION_ID_LEN + 1]; /* sent back in X-CSRF-Token */
    uint64_t last_ms;                    /* last use */
    uint64_t created_ms;                 /* login */
    int live;
} admin_session_t;

typedef struct admin_sessions admin_sessions_t;

/* A new, empty table with a fresh random hashing key, or NULL when out of memory
 * or libsodium cannot start. Freed by admin_sessions_free (NULL is fine). */
admin_sessions_t *admin_sessions_new(void);
void admin_sessions_free(admin_sessions_t *t);

/* Start a session for username (at most ADMIN_USERNAME_MAX bytes). The cookie
 * value is written to cookie (NUL-terminated): it is given to the browser and
 * never kept. A full table drops its least recently used session. Returns the
 * session (owned by the table, valid until it ends), or NULL for a too long name. */
admin_session_t *admin_session_create(admin_sessions_t *t, const char *username, uint64_t now_ms,
                                      char cookie[ADMIN_SESSION_ID_LEN + 1]);

/* The live session whose cookie value is `cookie`, or NULL (unknown, ended, or idle
 * for ADMIN_SESSION_IDLE_MS: then it ends now). A hit counts as use. Every live slot
 * is compared, in constant time, whichever matches. */
admin_session_t *admin_session_find(admin_sessions_t *t, wsx_slice_t cookie, uint64_t now_ms);

/* End a session (logout); s is from this table and invalid afterwards. */
void admin_session_end(admin_sessions_t *t, admin_session_t *s);

/* End every session of username except keep (may be NULL): after a password
 * change, the other browsers must log in again. Returns how many ended. */
size_t admin_session_end_user(admin_sessions_t *t, const char *username,
                              const admin_session_t *keep);

/* Does the X-CSRF-Token header value (NULL: absent) carry s's token? Constant time. */
int admin_session_csrf_ok(const admin_session_t *s, const wsx_slice_t *header);

/* Find cookie `name` in a Cookie header value ("a=1; wsx_session=xyz"); the value
 * loses its double quotes if it has them. Returns 1 and points *value into header,
 * or 0 when absent. Pure. */
int admin_cookie_find(wsx_slice_t header, const char *name, wsx_slice_t *value);

#endif
