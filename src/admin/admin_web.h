/* admin_web.h - the web admin's pages and files on the admin listener: /zato/login,
 * the pages under /zato/ (each one embedded HTML file, its JavaScript reads ids
 * from the address), /zato/static/... (web/admin/static/), and the redirects: /
 * and /zato/ to the channel list, /zato/channel/wsx/ to /zato/channel/web-socket/,
 * a page without its final slash to the page, and a page asked for without login
 * to /zato/login?next=<page>. Every HTML answer carries the Content-Security-Policy
 * that keeps the pages on this server. Control thread only. */
#ifndef WSX_ADMIN_WEB_H
#define WSX_ADMIN_WEB_H

#include "admin/admin_api.h"

#define ADMIN_WEB_HOME "/zato/channel/web-socket/?cluster=1"
#define ADMIN_WEB_CSP                                                                              \
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "             \
    "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

/* Answer req when its path is the web admin's (/, /zato, /zato/...): returns 1
 * with the reply in *out, else 0. */
int admin_web_route(admin_api_t *api, const http_request_t *req, http_reply_t *out);

/* The embedded file (path under web/admin/) that serves page path, or NULL when
 * path names no page. Pure. */
const char *admin_web_page(wsx_slice_t path);

/* May a login send the browser to next (a decoded ?next= value)? Only a path of
 * this site's web admin: "/zato/..." without "//", backslashes, control characters
 * or "/zato/login" itself. Pure. */
int admin_web_next_ok(const char *next);

#endif
