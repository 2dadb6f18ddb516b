/* wsx_conns.h - the logged-in sessions of this server, by pub_client_id, for the
 * admin plane and the services' push API: list them, disconnect one, send one a
 * request (zwsx.rqc) and wait for its client-response, broadcast to a channel.
 * Every call here may be made from any thread: a change to a connection is posted
 * to the worker that owns it. */
#ifndef WSX_WSX_CONNS_H
#define WSX_WSX_CONNS_H

#include <stddef.h>
#include <stdint.h>

#include "ev/ev.h"

#define WSX_PUB_ID_LEN 27      /* "ws." + 24 hex */

/* A snapshot of one connection, for GET /api/v1/channels/{id}/connections.
 * Strings are NUL-terminated UTF-8; times ISO 8601 UTC with microseconds. */
typedef struct wsx_conn_info {
    char pub_client_id[WSX_PUB_ID_LEN + 1];
    char ext_client_id[256];
    char ext_client_name[512];
    char peer_address[64];
    char peer_forwarded_for[256];
    char local_address[64];
    char server_name[128];
    char connection_time[32];
    char last_seen[32];
    char username[257];
    int64_t channel_id;
} wsx_conn_info_t;

/* Set this server's name (shown in every wsx_conn_info_t). Call once at start,
 * before the workers accept anything. */
void wsx_conns_init(const char *server_name);

/* The logged-in connections of a channel whose ext_client_id contains `query`
 * (case-insensitive; NULL or "" for all), ordered by connection time. *items is
 * malloc'd (the caller frees), *n its length. Returns 0 or WSX_ENOMEM. */
int wsx_conns_list(int64_t channel_id, const char *query, wsx_conn_info_t **items, size_t *n);

/* Close a connection with `code` and `reason` (e.g. 4005 "Disconnected by an
 * administrator"). Returns 0 once the close is queued on its worker, or
 * WSX_ENOTFOUND. */
int wsx_conns_disconnect(const char *pub_client_id, uint16_t code, const char *reason);

/* Send a zwsx.rqc with data json[0..len) (one JSON value, validated here) to one
 * connection, without waiting. Returns 0, WSX_ENOTFOUND or WSX_EINVAL. */
int wsx_conns_push(const char *pub_client_id, const char *json, size_t len);

/* Send a zwsx.rqc to every logged-in connection of a channel, on every worker.
 * *sent (may be NULL) gets how many connections it was queued for. Returns 0,
 * WSX_EINVAL (not valid JSON) or WSX_ENOMEM. */
int wsx_conns_broadcast(int64_t channel_id, const char *json, size_t len, size_t *sent);

/* The answer to wsx_conns_invoke, called exactly once on the thread of the loop
 * given to it: rc 0 with the client's response (data.response if present, else
 * data; "null" if the client sent no data) as JSON text, borrowed for the call;
 * WSX_EAGAIN the client did not answer in time; WSX_ENOTFOUND no such
 * connection; WSX_ECLOSED it closed before answering. */
typedef void (*wsx_invoke_cb)(void *ctx, int rc, const char *json, size_t len);

/* Send a zwsx.rqc to one connection and wait (asynchronously) up to timeout_ms for
 * its client-response. cb runs on `loop`'s thread. Returns 0 (cb will run) or
 * WSX_EINVAL (not valid JSON) / WSX_ENOMEM (cb will not run). */
int wsx_conns_invoke(ev_loop_t *loop, const char *pub_client_id, const char *json, size_t len,
                     uint64_t timeout_ms, wsx_invoke_cb cb, void *ctx);

#endif
