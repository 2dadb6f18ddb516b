/* admin_servers.h - the cluster as the admin API shows it: GET /api/v1/servers
 * (every server of the cluster with its state, member.h) and the "states" of a
 * channel (what every server did with it). Control thread only. */
#ifndef WSX_ADMIN_SERVERS_H
#define WSX_ADMIN_SERVERS_H

#include <jansson.h>
#include <stdint.h>

#include "admin/admin_api.h"
#include "odb/odb.h"

/* Route rest (the path after /api/v1/) when it is "servers": returns 1 with the
 * reply in *out, else 0. */
int admin_servers_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                        http_reply_t *out);

/* {"items": [{"name", "admin_address", "bind_host" (null for none), "started_at",
 * "last_heartbeat", "left_at" (null unless it left), "state"}], "total": n}: rows
 * as the ODB lists them, each state judged at now_us with heartbeat_s (member.h).
 * Pure; rows borrowed for the call. A new reference, NULL if out of memory. */
json_t *admin_servers_to_json(const server_row_t *rows, size_t n, int64_t now_us, int heartbeat_s);

/* [{"server", "state", "updated_at"}, ...]: channel_id's state on every server
 * that reported one, by server name; [] when the ODB cannot say. A new
 * reference, NULL if out of memory. */
json_t *admin_servers_channel_states(admin_api_t *api, int64_t channel_id);

#endif
