/* admin_security.h - the admin API's security definitions: GET|POST
 * /api/v1/security and GET|PUT|PATCH|DELETE /api/v1/security/{id}, and the check a
 * channel write makes of its "security" field. Every write is committed (with the
 * config version) and then applied by the reconciler before the reply, like a
 * channel write. Control thread only. */
#ifndef WSX_ADMIN_SECURITY_H
#define WSX_ADMIN_SECURITY_H

#include "admin/admin_api.h"
#include "channel/channel.h"

/* Serve the request if `rest` (the path after /api/v1/) is "security" or
 * "security/{id}": returns 1 with the reply in *out, 0 if it is another path. req
 * and body are borrowed for the call. */
int admin_security_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                         wsx_slice_t body, http_reply_t *out);

/* For a channel about to be stored: set ch->security_id from ch->security, the
 * definition's name ("" for none). Returns 0, or -1 with a 400 (field "security")
 * or a 500 in *out. */
int admin_security_resolve(admin_api_t *api, channel_t *ch, http_reply_t *out);

#endif
