/* admin_conn.h - the admin API's part on this server's WebSocket sessions (wsx_conns):
 *   GET    /api/v1/channels/{id}/connections?query=Q   list, Q matches ext_client_id
 *   POST   /api/v1/channels/{id}/broadcast             {"data": ANY} -> {"sent": N}
 *   DELETE /api/v1/connections/{pub_client_id}         close it with 4005 -> 204
 *   POST   /api/v1/connections/{pub_client_id}/invoke  {"request": ANY, "timeout": S}
 * An invoke waits for the client without blocking the loop: its reply is deferred
 * (http_server_defer) and completed when wsx_conns_invoke calls back. Control thread only. */
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

#endif
