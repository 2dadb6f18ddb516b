/* admin_server.h - what the admin API says about this server process: GET
 * /api/v1/server ({"name", "admin_address", "started_at"}, the web admin's Servers
 * page) and GET /api/v1/channels/free-port?host=H ({"port"}: a port no channel
 * uses and that this server can bind on H now, the create form's suggestion).
 * Control thread only. */
#ifndef WSX_ADMIN_SERVER_H
#define WSX_ADMIN_SERVER_H

#include "admin/admin_api.h"

/* Route rest (the path after /api/v1/) when it is "server" or
 * "channels/free-port": returns 1 with the reply in *out, else 0. */
int admin_server_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                       http_reply_t *out);

#endif
