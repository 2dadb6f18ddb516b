/* admin_api.c - routes and handlers of the JSON admin API. Errors are
 * {"error": {"code", "message", "field"}} with the status that fits; messages
 * name the field and say what to do. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "metrics/metrics.h"
#include "admin/admin_channel_json.h"
#include "admin/admin_conn.h"
#include "admin/admin_internal.h"
#include "admin/admin_login.h"
#include "admin/admin_reply.h"
#include "admin/admin_security.h"
#include "admin/admin_server.h"
#include "admin/admin_servers.h"
#include "admin/admin_web.h"
#include "common/err.h"
#include "common/log.h"
#include "service/service.h"

/* The channel with this server's state and every server's (a cluster's). */
static json_t *channel_json(admin_api_t *api, channel_t *ch)
{
    snprintf(ch->state, sizeof ch->state, "%s", reconcile_state(api->rec, ch->id));
    json_t *o = admin_channel_to_json(ch);
    if (o && json_object_set_new(o, "states", admin_servers_channel_states(api, ch->id)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static void list_channels(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    admin_list_params_t p;
    if (admin_list_params(req, &p, out) < 0)
        return;
    channel_t *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = odb_channel_list(api->db, p.cluster, p.query[0] ? p.query : NULL,
                              (p.page - 1) * p.page_size, p.page_size, &items, &n, &total);
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read channels: %s",
                          wsx_strerror(rc));
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, channel_json(api, &items[i]));
    free(items);
    admin_reply_page(out, arr, total, &p);
}

/* The checks that need the registry or the ODB's other rows, and the write.
 * old: the channel before an update (NULL on insert); a channel may keep naming a
 * service (or hook service) that was undeployed since, so it can still be edited
 * (made inactive, say) while the plugin is away. */
static int check_and_store(admin_api_t *api, channel_t *ch, int insert, const channel_t *old,
                           http_reply_t *out)
{
    if (!(old && strcmp(old->service, ch->service) == 0) && !service_is_loaded(ch->service)) {
        admin_reply_error(
            out, 400, "not_found", "service",
            "service \"%s\" is not deployed; GET /api/v1/services lists those that are",
            ch->service);
        return -1;
    }
    if (ch->hook_service[0] && !(old && strcmp(old->hook_service, ch->hook_service) == 0) &&
        !service_is_loaded(ch->hook_service)) {
        admin_reply_error(
            out, 400, "not_found", "hook_service",
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
        admin_reply_error(out, 409, "duplicate_name", "name",
                          "name \"%s\" is already used by another channel", ch->name);
        return -1;
    }
    if (rc == WSX_EPORTUSED) {
        channel_addr_t addr;
        channel_err_t verr;
        channel_addr_parse(ch->address, &addr, &verr);
        admin_reply_error(out, 409, "port_in_use", "address",
                          "port %u is already used by channel \"%s\"", addr.port, conflict);
        return -1;
    }
    if (rc == WSX_ENOTFOUND) {
        admin_reply_error(out, 404, "not_found", NULL, "no channel with id %lld",
                          (long long)ch->id);
        return -1;
    }
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot store the channel: %s",
                          wsx_strerror(rc));
        return -1;
    }
    reconcile_run(api->rec);
    return 0;
}

static void create_channel(admin_api_t *api, const http_request_t *req, wsx_slice_t body,
                           http_reply_t *out)
{
    json_t *j = admin_parse_body(req, body, 0, out);
    if (!j)
        return;
    channel_t ch;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    channel_defaults(&ch);
    int rc = admin_channel_from_json(j, &ch, 0, &err);
    json_decref(j);
    if (rc < 0) {
        admin_reply_invalid(out, &err);
        return;
    }
    if (check_and_store(api, &ch, 1, NULL, out) < 0)
        return;
    admin_reply_json(out, 201, channel_json(api, &ch));
}

static void one_channel(admin_api_t *api, const http_request_t *req, wsx_slice_t body, int64_t id,
                        http_reply_t *out)
{
    channel_t ch;
    int rc = odb_channel_get(api->db, id, &ch);
    if (rc == WSX_ENOTFOUND) {
        admin_reply_error(out, 404, "not_found", NULL, "no channel with id %lld", (long long)id);
        return;
    }
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read the channel: %s",
                          wsx_strerror(rc));
        return;
    }
    if (wsx_slice_eq(req->method, "GET")) {
        admin_reply_json(out, 200, channel_json(api, &ch));
        return;
    }
    if (wsx_slice_eq(req->method, "DELETE")) {
        rc = odb_channel_delete(api->db, id);
        if (rc < 0) {
            admin_reply_error(out, rc == WSX_ENOTFOUND ? 404 : 500, "odb_error", NULL,
                              "cannot delete the channel: %s", wsx_strerror(rc));
            return;
        }
        reconcile_run(api->rec);
        out->status = 204;
        return;
    }
    int partial = wsx_slice_eq(req->method, "PATCH");
    if (!partial && !wsx_slice_eq(req->method, "PUT")) {
        admin_reply_method(out, "GET, PUT, PATCH, DELETE");
        return;
    }
    json_t *j = admin_parse_body(req, body, 0, out);
    if (!j)
        return;
    channel_t old = ch;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    rc = admin_channel_from_json(j, &ch, partial, &err);
    json_decref(j);
    if (rc < 0) {
        admin_reply_invalid(out, &err);
        return;
    }
    ch.id = id;
    if (check_and_store(api, &ch, 0, &old, out) < 0)
        return;
    admin_reply_json(out, 200, channel_json(api, &ch));
}

static void list_services(http_reply_t *out)
{
    size_t n;
    service_info_t *s;
    if (service_list(&s, &n) < 0) {
        admin_reply_error(out, 500, "out_of_memory", NULL, "out of memory listing the services");
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        int builtin = strcmp(s[i].origin, "built-in") == 0;
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", s[i].name,
                                             "description", s[i].description, "kind",
                                             builtin ? "built-in" : "plugin", "origin", s[i].origin,
                                             "version", s[i].version));
    }
    free(s);
    admin_reply_json(out, 200, json_pack("{s:o, s:I}", "items", arr, "total", (json_int_t)n));
}

/* GET /metrics: the Prometheus text format, behind the same admin credentials as
 * the API (a scraper sends Basic auth; a verified header is remembered, so a scrape
 * costs no Argon2id). Checking them needs the ODB, as for every API call. */
static void metrics_route(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    if (!wsx_slice_eq(req->method, "GET")) {
        admin_reply_error(out, 405, "method_not_allowed", NULL, "use GET");
        return;
    }
    if (!odb_connected(api->db)) {
        metrics_odb_error(); /* so an outage shows up in the counter */
        admin_reply_error(out, 503, "odb_unavailable", NULL,
                          "the operational database is unreachable: %s", odb_error(api->db));
        return;
    }
    if (admin_login_check_api(api, req, out) < 0)
        return;
    char *body;
    size_t len;
    if (metrics_render(&body, &len) < 0) {
        admin_reply_error(out, 500, "out_of_memory", NULL, "out of memory");
        return;
    }
    out->status = 200;
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
    out->body = body;
    out->body_len = len;
}

void admin_api_handle(void *ctx, const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    admin_api_t *api = ctx;
    wsx_slice_t path = req->path;
    if (wsx_slice_eq(path, "/healthz")) {
        /* a leaving server fails its health check, so a load balancer stops sending
         * it clients even before its listening sockets are seen closed */
        admin_reply_json(out, api->leaving ? 503 : 200,
                         json_pack("{s:s}", "status", api->leaving ? "leaving" : "ok"));
        return;
    }
    if (wsx_slice_eq(path, "/metrics")) {
        metrics_route(api, req, out);
        return;
    }
    if (admin_web_route(api, req, out))
        return;
    static const char prefix[] = "/api/v1/";
    if (path.len < sizeof prefix - 1 || memcmp(path.ptr, prefix, sizeof prefix - 1) != 0) {
        admin_reply_error(out, 404, "not_found", NULL, "no such page");
        return;
    }
    wsx_slice_t rest = wsx_slice(path.ptr + sizeof prefix - 1, path.len - (sizeof prefix - 1));
    /* every endpoint reads the ODB, if only to check a password */
    if (!odb_connected(api->db)) {
        admin_reply_error(out, 503, "odb_unavailable", NULL,
                          "the operational database is unreachable: %s; the server keeps serving "
                          "its current channels",
                          odb_error(api->db));
        return;
    }
    /* the other servers' calls: a cluster signature, never an admin's credentials */
    if (admin_internal_route(api, req, rest, body, out))
        return;
    /* the session endpoints authenticate in their own ways (a login has no session) */
    if (admin_login_route(api, req, rest, body, out))
        return;
    if (admin_login_check_api(api, req, out) < 0)
        return;
    if (admin_server_route(api, req, rest, out)) /* channels/free-port before channels/{id} */
        return;
    if (admin_servers_route(api, req, rest, out))
        return;
    if (wsx_slice_eq(rest, "services")) {
        if (!wsx_slice_eq(req->method, "GET")) {
            admin_reply_error(out, 405, "method_not_allowed", NULL, "use GET");
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
            admin_reply_error(out, 405, "method_not_allowed", NULL, "use GET or POST");
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
    admin_reply_error(out, 404, "not_found", NULL, "no such API resource");
}
