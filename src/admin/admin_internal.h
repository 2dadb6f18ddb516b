/* admin_internal.h - the endpoints other servers of the cluster call, under
 * /api/v1/internal/: the connection endpoints of admin_conn.h answered for this
 * server's own sessions. Only a call signed with the cluster secret (X-Wsx-Cluster,
 * cluster_sign.h) is answered; anything else gets 401, admin credentials included:
 * a server's call is never an admin's, nor the reverse. Control thread only. */
#ifndef WSX_ADMIN_INTERNAL_H
#define WSX_ADMIN_INTERNAL_H

#include "admin/admin_api.h"

/* If `rest` (the path after /api/v1/) is under internal/, answer it (*out filled or
 * deferred) and return 1; otherwise return 0. req, rest and body are borrowed. */
int admin_internal_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                         wsx_slice_t body, http_reply_t *out);

#endif
