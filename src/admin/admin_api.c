/* admin_api.c - routes and handlers of the JSON admin API. Errors are
 * {"error": {"code", "message", "field"}} with the status that fits; messages
 * name the field and say what to do. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "admin/admin_channel_json.h"
#include "admin/admin_conn.h"
#include "admin/admin_security.h"
#include "common/err.h"
#include "common/utf8.h"
#include "common/log.h"
#include "service/service.h"

#define PAGE_SIZE_DEFAULT 50
#define PAGE_SIZE_MAX 1000

static void reply_json(http_reply_t *out, int status, json_t *body)
{
    out->status = status;
    if (body) {
        out->body = json_dumps(body, JSON_COMPACT);
        out->body_len = out->body ? strlen(out->body) : 0;
        json_decref(body);
    }
}

static void reply_error(http_reply_t *out, int status, const char *code, const char *field,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void reply_error(http_reply_t *out, int status, const char *code, const char *field,
                        const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* a quoted user value may hold invalid UTF-8 (or be cut inside a character):
     * JSON cannot carry it, so show such bytes as '?' rather than lose the error */
    if (utf8_validate((const uint8_t *)msg, strlen(msg)) < 0)
        for (char *q = msg; *q; q++)
            if ((unsigned char)*q >= 0x80)
                *q = '?';
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    if (field)
        json_object_set_new(e, "field", json_string(field));
    reply_json(out, status, json_pack("{s:o}", "error", e));
}

static void reply_channel_err(http_reply_t *out, const channel_err_t *err)
{
    reply_error(out, 400, err->code[0] ? err->code : "invalid", err->field, "%s", err->message);
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode a query value into out (NUL-terminated). '%' must be followed by
 * two hex digits, and %00 is refused (it would cut the string). Returns 0 or
 * WSX_EINVAL. */
static int url_decode(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hexval(p[i + 1]) < 0 || hexval(p[i + 2]) < 0)
                return WSX_EINVAL;
            c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
            if (c == 0)
                return WSX_EINVAL;
            i += 2;
        }
        if (o + 1 >= cap)
            return WSX_EINVAL;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 0;
}

/* Find ?name=value in the query string. Returns 1 found, 0 absent, WSX_EINVAL. */
static int query_param(wsx_slice_t q, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name), i = 0;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.ptr[i] != '&')
            i++;
        const uint8_t *kv = q.ptr + start;
        size_t len = i - start;
        i++;
        if (len > nl && kv[nl] == '=' && memcmp(kv, name, nl) == 0)
            return url_decode(kv + nl + 1, len - nl - 1, out, cap) < 0 ? WSX_EINVAL : 1;
        if (len == nl && memcmp(kv, name, nl) == 0) {
            out[0] = 0;
            return 1;
        }
    }
    return 0;
}

/* A decimal integer from 1 to PARAM_MAX: pages beyond any real list are refused
 * rather than overflowing the offset. */
#define PARAM_MAX 1000000000LL
static int parse_positive(const char *s, int64_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || strlen(s) > 10)
        return WSX_EINVAL;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 1 || v > PARAM_MAX)
        return WSX_EINVAL;
    *out = v;
    return 0;
}

static json_t *channel_json(admin_api_t *api, channel_t *ch)
{
    snprintf(ch->state, sizeof ch->state, "%s", reconcile_state(api->rec, ch->id));
    return admin_channel_to_json(ch);
}

static void list_channels(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    char buf[1024];
    int64_t cluster = 1, page = 1, page_size = PAGE_SIZE_DEFAULT;
    const char *names[] = {"cluster", "page", "page_size"};
    int64_t *vals[] = {&cluster, &page, &page_size};
    for (int i = 0; i < 3; i++) {
        int rc = query_param(req->query, names[i], buf, sizeof buf);
        if (rc == 0)
            continue;
        if (rc < 0 || parse_positive(buf, vals[i]) < 0) {
            reply_error(out, 400, "invalid", names[i],
                        "%s must be an integer from 1 to %lld, got \"%.40s\"", names[i],
                        PARAM_MAX, rc < 0 ? "(undecodable)" : buf);
            return;
        }
    }
    if (page_size > PAGE_SIZE_MAX) {
        reply_error(out, 400, "out_of_range", "page_size", "page_size must be at most %d, got %lld",
                    PAGE_SIZE_MAX, (long long)page_size);
        return;
    }
    char query[1024] = "";
    if (query_param(req->query, "query", query, sizeof query) < 0) {
        reply_error(out, 400, "invalid", "query", "query is not a valid URL-encoded string");
        return;
    }
    channel_t *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = odb_channel_list(api->db, cluster, query[0] ? query : NULL, (page - 1) * page_size,
                              page_size, &items, &n, &total);
    if (rc < 0) {
        reply_error(out, 500, "odb_error", NULL, "cannot read channels: %s", wsx_strerror(rc));
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, channel_json(api, &items[i]));
    free(items);
    reply_json(out, 200,
               json_pack("{s:o, s:I, s:I, s:I}", "items", arr, "total", (json_int_t)total, "page",
                         (json_int_t)page, "page_size", (json_int_t)page_size));
}

static int is_json(const http_request_t *req)
{
    const wsx_slice_t *ct = http_request_header(req, "Content-Type");
    if (!ct)
        return 0;
    size_t n = 0;
    while (n < ct->len && ct->ptr[n] != ';' && ct->ptr[n] != ' ')
        n++;
    return wsx_slice_ieq(wsx_slice(ct->ptr, n), "application/json");
}

/* Parse the body as one JSON object. On failure fills *out and returns NULL. */
static json_t *parse_body(const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    if (!is_json(req)) {
        reply_error(out, 415, "unsupported_media_type", NULL,
                    "send the body as JSON with Content-Type: application/json");
        return NULL;
    }
    json_error_t e;
    json_t *j = json_loadb((const char *)body.ptr, body.len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        reply_error(out, 400, "invalid_json", NULL, "the body is not valid JSON: %s (line %d, column %d)",
                    e.text, e.line, e.column);
        return NULL;
    }
    return j;
}

/* The checks that need the registry or the ODB's other rows, and the write.
 * old: the channel before an update (NULL on insert); a channel may keep naming a
 * service (or hook service) that was undeployed since, so it can still be edited
 * (made inactive, say) while the plugin is away. */
static int check_and_store(admin_api_t *api, channel_t *ch, int insert, const channel_t *old,
                           http_reply_t *out)
{
    if (!(old && strcmp(old->service, ch->service) == 0) && !service_is_loaded(ch->service)) {
        reply_error(out, 400, "not_found", "service",
                    "service \"%s\" is not deployed; GET /api/v1/services lists those that are",
                    ch->service);
        return -1;
    }
    if (ch->hook_service[0] && !(old && strcmp(old->hook_service, ch->hook_service) == 0) &&
        !service_is_loaded(ch->hook_service)) {
        reply_error(out, 400, "not_found", "hook_service",
                    "service \"%s\" is not deployed; GET /api/v1/services lists those that are",
                    ch->hook_service);
        return -1;
    }
    if (admin_security_resolve(api, ch, out) < 0)
        return -1;
    char conflict[CHANNEL_NAME_MAX * 4 + 1] = "";
    int rc = insert ? odb_channel_insert(api->db, ch, conflict)
                    : odb_channel_update(api->db, ch, conflict);
    if (rc == WSX_EEXIST) {
        reply_error(out, 409, "duplicate_name", "name",
                    "name \"%s\" is already used by another channel", ch->name);
        return -1;
    }
    if (rc == WSX_EPORTUSED) {
        channel_addr_t addr;
        channel_err_t verr;
        channel_addr_parse(ch->address, &addr, &verr);
        reply_error(out, 409, "port_in_use", "address",
                    "port %u is already used by channel \"%s\"", addr.port, conflict);
        return -1;
    }
    if (rc == WSX_ENOTFOUND) {
        reply_error(out, 404, "not_found", NULL, "no channel with id %lld", (long long)ch->id);
        return -1;
    }
    if (rc < 0) {
        reply_error(out, 500, "odb_error", NULL, "cannot store the channel: %s", wsx_strerror(rc));
        return -1;
    }
    reconcile_run(api->rec);
    return 0;
}

static void create_channel(admin_api_t *api, const http_request_t *req, wsx_slice_t body,
                           http_reply_t *out)
{
    json_t *j = parse_body(req, body, out);
    if (!j)
        return;
    channel_t ch;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    channel_defaults(&ch);
    int rc = admin_channel_from_json(j, &ch, 0, &err);
    json_decref(j);
    if (rc < 0) {
        reply_channel_err(out, &err);
        return;
    }
    if (check_and_store(api, &ch, 1, NULL, out) < 0)
        return;
    reply_json(out, 201, channel_json(api, &ch));
}

static void one_channel(admin_api_t *api, const http_request_t *req, wsx_slice_t body,
                        int64_t id, http_reply_t *out)
{
    channel_t ch;
    int rc = odb_channel_get(api->db, id, &ch);
    if (rc == WSX_ENOTFOUND) {
        reply_error(out, 404, "not_found", NULL, "no channel with id %lld", (long long)id);
        return;
    }
    if (rc < 0) {
        reply_error(out, 500, "odb_error", NULL, "cannot read the channel: %s", wsx_strerror(rc));
        return;
    }
    if (wsx_slice_eq(req->method, "GET")) {
        reply_json(out, 200, channel_json(api, &ch));
        return;
    }
    if (wsx_slice_eq(req->method, "DELETE")) {
        rc = odb_channel_delete(api->db, id);
        if (rc < 0) {
            reply_error(out, rc == WSX_ENOTFOUND ? 404 : 500, "odb_error", NULL,
                        "cannot delete the channel: %s", wsx_strerror(rc));
            return;
        }
        reconcile_run(api->rec);
        out->status = 204;
        return;
    }
    int partial = wsx_slice_eq(req->method, "PATCH");
    if (!partial && !wsx_slice_eq(req->method, "PUT")) {
        snprintf(out->headers, sizeof out->headers, "Allow: GET, PUT, PATCH, DELETE\r\n");
        reply_error(out, 405, "method_not_allowed", NULL, "use GET, PUT, PATCH or DELETE");
        return;
    }
    json_t *j = parse_body(req, body, out);
    if (!j)
        return;
    channel_t old = ch;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    rc = admin_channel_from_json(j, &ch, partial, &err);
    json_decref(j);
    if (rc < 0) {
        reply_channel_err(out, &err);
        return;
    }
    ch.id = id;
    if (check_and_store(api, &ch, 0, &old, out) < 0)
        return;
    reply_json(out, 200, channel_json(api, &ch));
}

static void list_services(http_reply_t *out)
{
    size_t n;
    service_info_t *s;
    if (service_list(&s, &n) < 0) {
        reply_error(out, 500, "out_of_memory", NULL, "out of memory listing the services");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        int builtin = strcmp(s[i].origin, "built-in") == 0;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", s[i].name,
                                             "description", s[i].description, "kind",
                                             builtin ? "built-in" : "plugin", "origin",
                                             s[i].origin, "version", s[i].version));
    }
    free(s);
    reply_json(out, 200, json_pack("{s:o, s:I}", "items", arr, "total", (json_int_t)n));
}

void admin_api_handle(void *ctx, const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    admin_api_t *api = ctx;
    wsx_slice_t path = req->path;
    if (wsx_slice_eq(path, "/healthz")) {
        reply_json(out, 200, json_pack("{s:s}", "status", "ok"));
        return;
    }
    static const char prefix[] = "/api/v1/";
    if (path.len < sizeof prefix - 1 || memcmp(path.ptr, prefix, sizeof prefix - 1) != 0) {
        reply_error(out, 404, "not_found", NULL, "no such page");
        return;
    }
    if (admin_auth_check(api->db, http_request_header(req, "Authorization")) < 0) {
        snprintf(out->headers, sizeof out->headers, "WWW-Authenticate: Basic realm=\"wsx\"\r\n");
        reply_error(out, 401, "unauthorized", NULL,
                    "missing or wrong credentials: use HTTP Basic auth with an admin user");
        return;
    }
    wsx_slice_t rest = wsx_slice(path.ptr + sizeof prefix - 1, path.len - (sizeof prefix - 1));
    if (wsx_slice_eq(rest, "services")) {
        if (!wsx_slice_eq(req->method, "GET")) {
            reply_error(out, 405, "method_not_allowed", NULL, "use GET");
            return;
        }
        list_services(out);
        return;
    }
    if (wsx_slice_eq(rest, "channels")) {
        if (wsx_slice_eq(req->method, "GET"))
            list_channels(api, req, out);
        else if (wsx_slice_eq(req->method, "POST"))
            create_channel(api, req, body, out);
        else
            reply_error(out, 405, "method_not_allowed", NULL, "use GET or POST");
        return;
    }
    if (admin_conn_route(api, req, rest, body, out))
        return;
    if (admin_security_route(api, req, rest, body, out))
        return;
    static const char chp[] = "channels/";
    if (rest.len > sizeof chp - 1 && rest.len < sizeof chp + 18 &&
        memcmp(rest.ptr, chp, sizeof chp - 1) == 0) {
        int64_t id = 0;
        size_t i;
        for (i = sizeof chp - 1; i < rest.len && rest.ptr[i] >= '0' && rest.ptr[i] <= '9'; i++)
            id = id * 10 + (rest.ptr[i] - '0');
        if (i == rest.len && id > 0) {
            one_channel(api, req, body, id, out);
            return;
        }
    }
    reply_error(out, 404, "not_found", NULL, "no such API resource");
}
