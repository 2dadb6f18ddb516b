/* admin_servers.c - GET /api/v1/servers and a channel's per-server states, read
 * from the ODB's `server` and `channel_state` rows (admin_servers.h). */
#include "admin/admin_servers.h"

#include <stdlib.h>
#include <string.h>

#include "admin/admin_reply.h"
#include "common/err.h"
#include "common/isotime.h"
#include "common/utf8.h"
#include "server/member.h"

/* s as a JSON string: "" as null when empty_null, bytes that are not UTF-8 (a
 * name given on a command line can hold anything) as '?'. NULL if out of memory. */
static json_t *text(const char *s, int empty_null)
{
    if (empty_null && !*s)
        return json_null();
    size_t n = strlen(s);
    if (utf8_validate((const uint8_t *)s, n) == 0)
        return json_stringn(s, n);
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (char *q = copy; *q; q++)
        if ((unsigned char)*q >= 0x80)
            *q = '?';
    json_t *v = json_stringn(copy, n);
    free(copy);
    return v;
}

json_t *admin_servers_to_json(const server_row_t *rows, size_t n, int64_t now_us, int heartbeat_s)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < n; i++) {
        const server_row_t *r = &rows[i];
        member_state_t st = member_state(r->last_heartbeat, r->left_at, now_us, heartbeat_s);
        json_t *o = json_pack("{s:o*, s:o*, s:o*, s:o*, s:o*, s:o*, s:s}", "name", text(r->name, 0),
                              "admin_address", text(r->admin_address, 0), "bind_host",
                              text(r->bind_host, 1), "started_at", text(r->started_at, 1),
                              "last_heartbeat", text(r->last_heartbeat, 1), "left_at",
                              text(r->left_at, 1), "state", member_state_name(st));
        if (!o || json_object_size(o) != 7 || json_array_append_new(items, o) < 0) {
            json_decref(items);
            return NULL;
        }
    }
    return items ? json_pack("{s:o, s:I}", "items", items, "total", (json_int_t)n) : NULL;
}

static void list_servers(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    char cluster[24] = "1";
    int rc = admin_query_param(req->query, "cluster", cluster, sizeof cluster);
    if (rc < 0 || strcmp(cluster, "1") != 0) {
        admin_reply_error(out, 400, "invalid", "cluster",
                          "cluster must be 1 (the default cluster, the only one)");
        return;
    }
    server_row_t *rows = NULL;
    size_t n = 0;
    if ((rc = odb_server_list(api->db, 1, &rows, &n)) < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read the servers: %s",
                          wsx_strerror(rc));
        return;
    }
    json_t *body = admin_servers_to_json(rows, n, isotime_now_us(), api->heartbeat_s);
    free(rows);
    if (!body) {
        admin_reply_error(out, 500, "out_of_memory", NULL, "out of memory listing the servers");
        return;
    }
    admin_reply_json(out, 200, body);
}

int admin_servers_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                        http_reply_t *out)
{
    if (!wsx_slice_eq(rest, "servers"))
        return 0;
    if (!wsx_slice_eq(req->method, "GET"))
        admin_reply_method(out, "GET");
    else
        list_servers(api, req, out);
    return 1;
}

/* The membership state of server `name` among rows, or NULL if it has no row. */
static const char *server_state_of(const server_row_t *rows, size_t n, const char *name,
                                   int64_t now_us, int heartbeat_s, member_state_t *st)
{
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].name, name) == 0) {
            *st = member_state(rows[i].last_heartbeat, rows[i].left_at, now_us, heartbeat_s);
            return member_state_name(*st);
        }
    }
    return NULL;
}

json_t *admin_servers_channel_states(admin_api_t *api, int64_t channel_id)
{
    channel_state_row_t *rows = NULL;
    server_row_t *servers = NULL;
    size_t n = 0, ns = 0;
    json_t *arr = json_array();
    if (!arr || odb_channel_state_list(api->db, channel_id, &rows, &n) < 0)
        return arr; /* the channel's own "state" still says what this server did */
    if (odb_server_list(api->db, 1, &servers, &ns) < 0)
        ns = 0;
    int64_t now = isotime_now_us();
    for (size_t i = 0; i < n; i++) {
        /* A dead server cannot correct its last report: say so rather than show a
         * "listening" that nobody serves. */
        member_state_t st = MEMBER_UP;
        const char *ss = server_state_of(servers, ns, rows[i].server, now, api->heartbeat_s, &st);
        const char *state = rows[i].state;
        if (ss && st == MEMBER_DOWN)
            state = "unknown: the server is down";
        json_t *o = json_pack("{s:o*, s:o*, s:o*, s:o*, s:o*}", "server", text(rows[i].server, 0),
                              "state", text(state, 0), "reported", text(rows[i].state, 0),
                              "server_state", text(ss ? ss : "unknown", 0), "updated_at",
                              text(rows[i].updated_at, 1));
        if (!o || json_object_size(o) != 5 || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            arr = NULL;
            break;
        }
    }
    free(servers);
    free(rows);
    return arr;
}
