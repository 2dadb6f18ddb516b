/* admin_web.c - routes of the web admin: pages (login required except for the
 * login page), static files (public: they hold no data), redirects. Pages and
 * files are revalidated on each use (Cache-Control: no-cache) against their
 * strong ETag, so a new binary's files are seen at once and unchanged ones cost a
 * 304. */
#include "admin/admin_web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_assets.h"
#include "admin/admin_login.h"
#include "admin/admin_reply.h"

#define NEXT_MAX 512

static const struct {
    const char *path;
    const char *file;
} fixed_pages[] = {
    {"/zato/login", "pages/login.html"},
    {"/zato/channel/web-socket/", "pages/channels.html"},
    {"/zato/channel/web-socket/create/", "pages/channel-form.html"},
    {"/zato/security/", "pages/security.html"},
    {"/zato/servers/", "pages/servers.html"},
    {"/zato/account/password/", "pages/password.html"},
};

/* p starts with a decimal id (1 to 18 digits, not 0) followed by tail, and ends
 * there. */
static int id_then(wsx_slice_t p, const char *tail)
{
    size_t i = 0;
    while (i < p.len && i < 19 && p.ptr[i] >= '0' && p.ptr[i] <= '9')
        i++;
    if (i == 0 || i > 18 || p.ptr[0] == '0')
        return 0;
    return wsx_slice_eq(wsx_slice(p.ptr + i, p.len - i), tail);
}

static int has_prefix(wsx_slice_t s, const char *prefix, wsx_slice_t *rest)
{
    size_t n = strlen(prefix);
    if (s.len < n || memcmp(s.ptr, prefix, n) != 0)
        return 0;
    *rest = wsx_slice(s.ptr + n, s.len - n);
    return 1;
}

const char *admin_web_page(wsx_slice_t path)
{
    for (size_t i = 0; i < sizeof fixed_pages / sizeof fixed_pages[0]; i++)
        if (wsx_slice_eq(path, fixed_pages[i].path))
            return fixed_pages[i].file;
    wsx_slice_t rest;
    if (has_prefix(path, "/zato/channel/web-socket/edit/", &rest) && id_then(rest, "/"))
        return "pages/channel-form.html";
    if (has_prefix(path, "/zato/channel/web-socket/", &rest) && id_then(rest, "/connections/"))
        return "pages/connections.html";
    return NULL;
}

int admin_web_next_ok(const char *next)
{
    size_t n = strlen(next);
    if (n == 0 || n > NEXT_MAX || strncmp(next, "/zato/", 6) != 0 || strstr(next, "//") ||
        strncmp(next, "/zato/login", 11) == 0)
        return 0;
    for (const char *p = next; *p; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p == 0x7f || *p == '\\')
            return 0;
    return 1;
}

/* Only a query of printable ASCII goes into a Location header as it came. */
static int query_ok(wsx_slice_t q)
{
    if (q.len > NEXT_MAX)
        return 0;
    for (size_t i = 0; i < q.len; i++)
        if (q.ptr[i] < 0x21 || q.ptr[i] > 0x7e)
            return 0;
    return 1;
}

static void redirect(http_reply_t *out, const char *path_fmt_arg, wsx_slice_t keep_query)
{
    out->status = 302;
    out->content_type = "text/plain; charset=utf-8";
    if (keep_query.len && query_ok(keep_query))
        http_reply_add_header(out, "Location: %s?%.*s", path_fmt_arg, (int)keep_query.len,
                              (const char *)keep_query.ptr);
    else
        http_reply_add_header(out, "Location: %s", path_fmt_arg);
}

/* To the login page, which comes back to the request's path and query. */
static void redirect_login(const http_request_t *req, http_reply_t *out)
{
    static const char hex[] = "0123456789ABCDEF";
    char loc[32 + 3 * NEXT_MAX] = "/zato/login?next=";
    size_t n = strlen(loc);
    if (req->target.len > NEXT_MAX) {
        redirect(out, "/zato/login", wsx_slice(NULL, 0));
        return;
    }
    for (size_t i = 0; i < req->target.len; i++) {
        uint8_t c = req->target.ptr[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            strchr("-._~/", c)) {
            loc[n++] = (char)c;
        } else {
            loc[n++] = '%';
            loc[n++] = hex[c >> 4];
            loc[n++] = hex[c & 15];
        }
    }
    loc[n] = '\0';
    redirect(out, loc, wsx_slice(NULL, 0));
}

static void html_headers(http_reply_t *out)
{
    http_reply_add_header(out, "Content-Security-Policy: " ADMIN_WEB_CSP);
    http_reply_add_header(out, "X-Frame-Options: DENY");
}

/* 200 with the asset's bytes, or 304 when the browser has them. */
static void serve(const http_request_t *req, const admin_asset_t *a, http_reply_t *out)
{
    out->content_type = a->content_type;
    out->cache_control = "no-cache";
    if (strncmp(a->content_type, "text/html", 9) == 0)
        html_headers(out);
    http_reply_add_header(out, "ETag: %s", a->etag);
    if (admin_asset_etag_match(http_request_header(req, "If-None-Match"), a->etag)) {
        out->status = 304;
        return;
    }
    out->body = malloc(a->len ? a->len : 1);
    if (!out->body) {
        admin_reply_error(out, 500, "out_of_memory", NULL, "out of memory");
        return;
    }
    memcpy(out->body, a->data, a->len);
    out->body_len = a->len;
    out->status = 200;
}

static void not_found(http_reply_t *out)
{
    static const char page[] =
        "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>Not found - wsx</title>"
        "<h1>Not found</h1><p>No page has this address. See the <a href=\"" ADMIN_WEB_HOME
        "\">WebSocket channels</a>.</p></html>\n";
    out->status = 404;
    out->content_type = "text/html; charset=utf-8";
    html_headers(out);
    out->body = strdup(page);
    out->body_len = out->body ? sizeof page - 1 : 0;
}

static void serve_file(const http_request_t *req, const char *file, http_reply_t *out)
{
    const admin_asset_t *a = admin_asset_find(wsx_slice(file, strlen(file)));
    if (!a) { /* a build without the file: say so rather than serve nothing */
        admin_reply_error(out, 500, "missing_asset", NULL,
                          "this build has no web/admin/%s: rebuild wsx", file);
        return;
    }
    serve(req, a, out);
}

static void login_page(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    if (!admin_login_page_ok(api, req)) {
        serve_file(req, "pages/login.html", out);
        return;
    }
    char next[NEXT_MAX + 1];
    if (admin_query_param(req->query, "next", next, sizeof next) == 1 && admin_web_next_ok(next))
        redirect(out, next, wsx_slice(NULL, 0));
    else
        redirect(out, ADMIN_WEB_HOME, wsx_slice(NULL, 0));
}

int admin_web_route(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    wsx_slice_t path = req->path, rest;
    if (!wsx_slice_eq(path, "/") && !wsx_slice_eq(path, "/zato") &&
        !has_prefix(path, "/zato/", &rest))
        return 0;
    http_reply_add_header(out, "Referrer-Policy: same-origin");
    if (!wsx_slice_eq(req->method, "GET")) {
        admin_reply_method(out, "GET");
        return 1;
    }
    if (wsx_slice_eq(path, "/") || wsx_slice_eq(path, "/zato") || wsx_slice_eq(path, "/zato/")) {
        redirect(out, ADMIN_WEB_HOME, wsx_slice(NULL, 0));
        return 1;
    }
    if (wsx_slice_eq(path, "/zato/channel/wsx/") || wsx_slice_eq(path, "/zato/channel/wsx")) {
        redirect(out, "/zato/channel/web-socket/", req->query);
        return 1;
    }
    if (has_prefix(path, "/zato/static/", &rest)) {
        char name[512];
        const admin_asset_t *a = NULL;
        if (rest.len && rest.len < sizeof name - 8) {
            int n =
                snprintf(name, sizeof name, "static/%.*s", (int)rest.len, (const char *)rest.ptr);
            a = admin_asset_find(wsx_slice(name, (size_t)n));
        }
        if (a)
            serve(req, a, out);
        else
            not_found(out);
        return 1;
    }
    if (wsx_slice_eq(path, "/zato/login") || wsx_slice_eq(path, "/zato/login/")) {
        login_page(api, req, out);
        return 1;
    }
    const char *file = admin_web_page(path);
    if (!file) {
        char slashed[256];
        if (path.len + 2 < sizeof slashed && path.ptr[path.len - 1] != '/') {
            memcpy(slashed, path.ptr, path.len);
            memcpy(slashed + path.len, "/", 2);
            if (admin_web_page(wsx_slice(slashed, path.len + 1))) {
                redirect(out, slashed, req->query);
                return 1;
            }
        }
        not_found(out);
        return 1;
    }
    if (!admin_login_page_ok(api, req)) {
        redirect_login(req, out);
        return 1;
    }
    serve_file(req, file, out);
    return 1;
}
