/* wsx_session.h - the WSX session protocol on a json channel (WSX-PROTOCOL.md):
 * login within the new-token wait time, the token and its TTL, the dispatch of
 * every message (create-session, invocations, client responses), replies in the
 * protocol's envelope, JSON pings and the hooks. ws_conn.c calls these on the
 * connection's worker thread; the session lives from the upgrade to the close. */
#ifndef WSX_WSX_SESSION_H
#define WSX_WSX_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "http/http_parse.h"
#include "ws/ws_conn.h"

/* The upgrade of a json channel succeeded: attach a session (not logged in yet)
 * to c, remembering what the request says about the client (X-Forwarded-For).
 * req is borrowed for the call. Returns 0 or WSX_ENOMEM. */
int wsx_session_open(ws_conn_t *c, const http_request_t *req);

/* One whole message (text or binary), UTF-8 already checked for text. p is
 * borrowed for the call. */
void wsx_session_on_message(ws_conn_t *c, const uint8_t *p, size_t n);

/* A PONG: if it echoes our last ping, the session lives on (misses reset, token
 * extended). */
void wsx_session_on_pong(ws_conn_t *c, const uint8_t *p, size_t n);

/* The connection's timer fired while it is open: new-token wait, token expiry or
 * a ping tick, whichever is due. */
void wsx_session_on_timer(ws_conn_t *c);

/* The close handshake began (either side): the session ends now - it leaves the
 * registry, fails the invocations waiting on it and runs on_disconnected - though
 * the connection lives until TCP closes. Idempotent. */
void wsx_session_end(ws_conn_t *c);

/* The connection is going away (c->close_code says how): leave the registry,
 * fail the invocations waiting on it, run on_disconnected, free the session. */
void wsx_session_closed(ws_conn_t *c);

/* Free the calling worker thread's reply buffer (at thread exit). */
void wsx_session_thread_cleanup(void);

#endif
