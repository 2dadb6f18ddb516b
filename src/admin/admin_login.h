/* admin_login.h - who is calling the admin listener, and the web admin's login.
 * A request authenticates by EITHER HTTP Basic (the CLI, scripts: unchanged, no
 * CSRF token) OR the wsx_session cookie, whose state-changing requests (POST, PUT,
 * PATCH, DELETE) must carry the session's X-CSRF-Token. The session endpoints:
 * POST/GET/DELETE /api/v1/session and PUT /api/v1/session/password, with a login
 * rate limit per client address (admin_ratelimit.h). Control thread only. */
#ifndef WSX_ADMIN_LOGIN_H
#define WSX_ADMIN_LOGIN_H

#include "admin/admin_api.h"

/* Authenticate an /api/v1/ request (other than the session endpoints). Returns 0,
 * or -1 with the 401 (no or wrong credentials) or 403 (code "csrf") in *out. */
int admin_login_check_api(admin_api_t *api, const http_request_t *req, http_reply_t *out);

/* Is a page request (GET) authenticated: valid Basic credentials or a live session
 * cookie? Returns 1 or 0. */
int admin_login_page_ok(admin_api_t *api, const http_request_t *req);

/* Route rest (the path after /api/v1/) when it is "session" or
 * "session/password": returns 1 with the reply in *out, else 0. */
int admin_login_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                      wsx_slice_t body, http_reply_t *out);

#endif
