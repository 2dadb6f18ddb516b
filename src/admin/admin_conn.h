/* admin_conn.h - the admin API on the cluster's WebSocket sessions:
 *   GET    /api/v1/channels/{id}/connections?query=Q   list, Q matches ext_client_id
 *          -> {"items": [... "server_name" ...], "total": N, "servers": [{"name", "ok",
 *             "error"?}]}
 *   POST   /api/v1/channels/{id}/broadcast             {"data": ANY} -> {"sent": N,
 *                                                       "servers": [...]}
 *   DELETE /api/v1/connections/{pub_client_id}         close it with 4005 -> 204
 *   POST   /api/v1/connections/{pub_client_id}/invoke  {"request": ANY, "timeout": S}
 * This server answers for its own sessions (wsx_conns) and asks every other live
 * server through its internal endpoint (the same four under /api/v1/internal/,
 * admin_internal.c), whose answers are local only and shaped as before the cluster
 * ({"items", "total"}, {"sent"}). Whatever waits (an invoke, the other servers) is
 * deferred (http_server_defer), so the loop never blocks. Control thread only. */
#ifndef WSX_ADMIN_CONN_H
#define WSX_ADMIN_CONN_H

#include "admin/admin_api.h"

#define ADMIN_CONN_TIMEOUT_DEFAULT 5    /* seconds an invoke waits unless told */
#define ADMIN_CONN_TIMEOUT_MAX 300      /* the longest an invoke may wait */
#define ADMIN_CONN_DISCONNECT_CODE 4005 /* WSX-PROTOCOL.md 7 */
#define ADMIN_CONN_DISCONNECT_REASON "Disconnected by an administrator"

/* Handle a request whose path under /api/v1/ is `rest` (credentials already
 * checked), if it is one of the four above. Returns 1 when it was (*out is filled,
 * or its reply deferred), 0 when the path is not one of them: the caller routes on.
 * req, rest and body are borrowed for the call. */
int admin_conn_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                     wsx_slice_t body, http_reply_t *out);

/* The same four for `rest` after /api/v1/internal/ (the caller checked the cluster
 * signature): this server's sessions only. Same contract as admin_conn_route. */
int admin_conn_route_local(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                           wsx_slice_t body, http_reply_t *out);

#endif
