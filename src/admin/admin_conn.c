/* admin_conn.c - the connection endpoints of the admin API (see admin_conn.h): route,
 * check the body, ask this server's session registry (wsx_conns) - the local answer,
 * which the internal endpoints give as it is - and, for the public endpoints, every
 * other live server of the cluster through its internal endpoint, in parallel
 * (cluster_gather.h); admin_conn_merge.c makes one reply of the answers. Replies
 * that wait (an invoke, a fan-out) are deferred, so the control loop never waits.
 * Replies, errors and body parsing are admin_reply.c's, as for every endpoint. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_conn.h"
#include "admin/admin_conn_merge.h"
#include "admin/admin_reply.h"
#include "cluster/cluster_gather.h"
#include "cluster/cluster_peers.h"
#include "common/err.h"
#include "common/log.h"
#include "wsx/wsx_conns.h"

#define QUERY_MAX 1024 /* bytes of ?query= (an ext_client_id is at most 255) */
#define ID_SHOWN 64    /* bytes of an unknown pub_client_id quoted back */
#define PEER_TIMEOUT_MS 2000 /* a server's answer to a fan-out; an invoke's gets its own on top */
#define INTERNAL "/api/v1/internal/"

/* A refused request body: status 400, a machine code, the field and a sentence. */
typedef struct conn_err {
    const char *code;
    char field[64]; /* "": the body as a whole */
    char message[256];
} conn_err_t;

static void reply_no_conn(http_reply_t *out, const char *id, size_t len)
{
    admin_reply_error(out, 404, "not_found", NULL, "no connection %.*s on this server",
                      (int)(len > ID_SHOWN ? ID_SHOWN : len), id);
}

/* The percent-decoded value of ?name= into out (NUL-terminated; "" when absent).
 * Returns 0, or WSX_EINVAL for a bad escape, %00 or a value longer than cap - 1. */
static int query_value(wsx_slice_t q, const char *name, char *out, size_t cap)
{
    out[0] = 0;
    int rc = admin_query_param(q, name, out, cap);
    return rc < 0 ? rc : 0;
}

/* v as short compact JSON, for "got ..." in a message. */
static const char *shown(const json_t *v, char *buf, size_t cap)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    snprintf(buf, cap, "%s", s ? s : "?");
    if (s && strlen(s) >= cap && cap > 4)
        strcpy(buf + cap - 4, "...");
    free(s);
    return buf;
}

static int refuse(conn_err_t *err, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(conn_err_t *err, const char *code, const char *field, const char *fmt, ...)
{
    err->code = code;
    snprintf(err->field, sizeof err->field, "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return WSX_EINVAL;
}

/* Only `allowed` (NULL-terminated) may be keys of body. Returns 0 or WSX_EINVAL. */
static int only_fields(const json_t *body, const char *const *allowed, const char *what,
                       conn_err_t *err)
{
    if (!json_is_object(body))
        return refuse(err, "invalid", NULL, "the body must be a JSON object: %s", what);
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)body, key, v)
    {
        size_t i = 0;
        while (allowed[i] && strcmp(allowed[i], key) != 0)
            i++;
        if (!allowed[i])
            return refuse(err, "unknown_field", key, "unknown field \"%.60s\": %s", key, what);
    }
    return 0;
}

/* Check the body of POST .../invoke: an object with "request" (any JSON value,
 * required) and "timeout" (seconds, a number with 0 < S <= 300, default 5), nothing
 * else. Returns 0 with *request (borrowed from body) and *timeout_ms set, or
 * WSX_EINVAL with *err filled. Pure. */
static int invoke_body(const json_t *body, const json_t **request, uint64_t *timeout_ms,
                       conn_err_t *err)
{
    static const char *const allowed[] = {"request", "timeout", NULL};
    static const char what[] = "an invoke takes \"request\" (any JSON) and \"timeout\" (seconds)";
    if (only_fields(body, allowed, what, err) < 0)
        return WSX_EINVAL;
    *request = json_object_get(body, "request");
    if (!*request)
        return refuse(err, "required", "request",
                      "request is required: the JSON value to send to the client");
    double t = ADMIN_CONN_TIMEOUT_DEFAULT;
    const json_t *v = json_object_get(body, "timeout");
    if (v) {
        char got[48];
        if (!json_is_number(v) || (t = json_number_value(v)) <= 0 || t > ADMIN_CONN_TIMEOUT_MAX)
            return refuse(err, json_is_number(v) ? "out_of_range" : "invalid", "timeout",
                          "timeout must be a number of seconds greater than 0 and at most %d, "
                          "got %s",
                          ADMIN_CONN_TIMEOUT_MAX, shown(v, got, sizeof got));
    }
    uint64_t ms = (uint64_t)(t * 1000.0);
    *timeout_ms = (double)ms < t * 1000.0 ? ms + 1 : ms; /* 0.0001 s waits 1 ms, not 0 */
    return 0;
}

/* Check the body of POST .../broadcast: an object with "data" (any JSON value,
 * required), nothing else. Returns 0 with *data borrowed from body, or WSX_EINVAL
 * with *err filled. Pure. */
static int broadcast_body(const json_t *body, const json_t **data, conn_err_t *err)
{
    static const char *const allowed[] = {"data", NULL};
    if (only_fields(body, allowed, "a broadcast takes \"data\" (any JSON)", err) < 0)
        return WSX_EINVAL;
    *data = json_object_get(body, "data");
    if (!*data)
        return refuse(err, "required", "data",
                      "data is required: the JSON value to send to every client of the channel");
    return 0;
}

static void reply_conn_err(http_reply_t *out, const conn_err_t *err)
{
    admin_reply_error(out, 400, err->code, err->field[0] ? err->field : NULL, "%s", err->message);
}

/* 1 if channel `id` exists; otherwise fills *out (404, or 500) and returns 0. */
static int channel_exists(admin_api_t *api, int64_t id, http_reply_t *out)
{
    channel_t ch;
    int rc = odb_channel_get(api->db, id, &ch);
    if (rc == 0)
        return 1;
    if (rc == WSX_ENOTFOUND)
        admin_reply_error(out, 404, "not_found", NULL, "no channel with id %lld", (long long)id);
    else
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read the channel: %s",
                          wsx_strerror(rc));
    return 0;
}

/* A registry string as JSON. A value the registry cut inside a UTF-8 character loses
 * that character's bytes rather than the whole connection. */
static json_t *text_json(const char *s)
{
    size_t n = strlen(s);
    for (size_t cut = 0; cut < 4 && cut <= n; cut++) {
        json_t *v = json_stringn(s, n - cut);
        if (v)
            return v;
    }
    return json_string("?");
}

/* The API object of a connection: Zato's eleven fields, in Zato's order. */
static json_t *conn_json(const wsx_conn_info_t *c)
{
    const struct {
        const char *key, *value;
    } f[] = {
        {"pub_client_id", c->pub_client_id},
        {"ext_client_id", c->ext_client_id},
        {"ext_client_name", c->ext_client_name},
        {"peer_address", c->peer_address},
        {"peer_forwarded_for", c->peer_forwarded_for},
        {"local_address", c->local_address},
        {"server_name", c->server_name},
        {"connection_time", c->connection_time},
        {"last_seen", c->last_seen},
        {"username", c->username},
    };
    json_t *o = json_object();
    int bad = !o;
    for (size_t i = 0; !bad && i < sizeof f / sizeof f[0]; i++)
        bad = json_object_set_new(o, f[i].key, text_json(f[i].value)) < 0;
    if (bad || json_object_set_new(o, "channel_id", json_integer(c->channel_id)) < 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- this server's answers ---------------------------------------------------------- */

static void local_list(int64_t chan, const char *query, http_reply_t *out)
{
    wsx_conn_info_t *items = NULL;
    size_t n = 0;
    int rc = wsx_conns_list(chan, query[0] ? query : NULL, &items, &n);
    if (rc < 0) {
        admin_reply_error(out, 500, "internal", NULL, "cannot list the connections: %s",
                          wsx_strerror(rc));
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, conn_json(&items[i])) < 0) {
            json_decref(arr);
            arr = NULL;
        }
    free(items);
    if (!arr) {
        admin_reply_error(out, 500, "internal", NULL, "out of memory listing the connections");
        return;
    }
    admin_reply_json(out, 200, json_pack("{s:o, s:I}", "items", arr, "total", (json_int_t)n));
}

static void local_broadcast(int64_t chan, const json_t *data, http_reply_t *out)
{
    char *enc = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
    size_t sent = 0;
    int rc = enc ? wsx_conns_broadcast(chan, enc, strlen(enc), &sent) : WSX_ENOMEM;
    free(enc);
    if (rc < 0)
        admin_reply_error(out, 500, "internal", NULL, "cannot broadcast: %s", wsx_strerror(rc));
    else
        admin_reply_json(out, 200, json_pack("{s:I}", "sent", (json_int_t)sent));
}

/* Copy a pub_client_id from the path. Returns 0, or -1 when it is too long to be one. */
static int pub_id(wsx_slice_t s, char out[WSX_PUB_ID_LEN + 1])
{
    if (s.len > WSX_PUB_ID_LEN)
        return -1;
    memcpy(out, s.ptr, s.len);
    out[s.len] = 0;
    return 0;
}

static void local_disconnect(wsx_slice_t id, http_reply_t *out)
{
    char pid[WSX_PUB_ID_LEN + 1] = "";
    int rc = pub_id(id, pid) < 0 ? WSX_ENOTFOUND
                                 : wsx_conns_disconnect(pid, ADMIN_CONN_DISCONNECT_CODE,
                                                        ADMIN_CONN_DISCONNECT_REASON);
    if (rc == 0)
        out->status = 204;
    else if (rc == WSX_ENOTFOUND)
        reply_no_conn(out, (const char *)id.ptr, id.len);
    else
        admin_reply_error(out, 500, "internal", NULL, "cannot disconnect %s: %s", pid,
                          wsx_strerror(rc));
}

/* Where the answer to a local invoke goes: r as a handler fills it (ownership of
 * its body passes to the callback). */
typedef void (*invoke_answer_fn)(void *ctx, http_reply_t *r);

/* An invoke waiting for its client; freed when it is answered. */
typedef struct invoke_wait {
    invoke_answer_fn answer;
    void *ctx;
    char id[WSX_PUB_ID_LEN + 1];
    uint64_t timeout_ms;
} invoke_wait_t;

/* The wsx_invoke_cb: the client answered, or did not. Also called directly when
 * wsx_conns_invoke refuses at once. */
static void invoke_done(void *ctx, int rc, const char *json, size_t len)
{
    invoke_wait_t *w = ctx;
    http_reply_t r = {.status = 500};
    if (rc == 0) {
        json_error_t e;
        json_t *v = json_loadb(json, len, JSON_DECODE_ANY, &e);
        if (v)
            admin_reply_json(&r, 200, json_pack("{s:o}", "response", v));
        else
            admin_reply_error(&r, 502, "bad_response", NULL,
                              "connection %s answered with something that is not JSON: %s", w->id,
                              e.text);
    } else if (rc == WSX_EAGAIN) {
        admin_reply_error(&r, 504, "timeout", NULL, "connection %s did not answer within %g s",
                          w->id, (double)w->timeout_ms / 1000.0);
    } else if (rc == WSX_ENOTFOUND) {
        reply_no_conn(&r, w->id, strlen(w->id));
    } else if (rc == WSX_ECLOSED) {
        admin_reply_error(&r, 410, "closed", NULL, "connection %s closed before it answered",
                          w->id);
    } else {
        admin_reply_error(&r, 500, "internal", NULL, "cannot invoke connection %s: %s", w->id,
                          wsx_strerror(rc));
    }
    w->answer(w->ctx, &r);
    free(w);
}

/* Send request (JSON text) to this server's connection pid and hand the answer to
 * answer(ctx, ...) when it comes: later, or at once when refused. */
static void local_invoke(admin_api_t *api, const char *pid, const char *request,
                         uint64_t timeout_ms, invoke_answer_fn answer, void *ctx)
{
    invoke_wait_t *w = calloc(1, sizeof *w);
    if (!w) {
        http_reply_t r = {0};
        admin_reply_error(&r, 500, "internal", NULL, "out of memory");
        answer(ctx, &r);
        return;
    }
    w->answer = answer;
    w->ctx = ctx;
    w->timeout_ms = timeout_ms;
    snprintf(w->id, sizeof w->id, "%s", pid);
    int rc = wsx_conns_invoke(api->loop, w->id, request, strlen(request), timeout_ms, invoke_done,
                              w);
    if (rc < 0)
        invoke_done(w, rc, NULL, 0); /* refused at once: no callback will come */
}

/* ---- the other servers' answers -------------------------------------------------------- */

enum fan_kind { FAN_LIST, FAN_BROADCAST, FAN_DISCONNECT, FAN_INVOKE };

/* A public request waiting for every live server's answer. */
typedef struct fan {
    enum fan_kind kind;
    http_defer_t *reply;
    char id[WSX_PUB_ID_LEN + 1]; /* disconnect, invoke */
} fan_t;

/* s percent-encoded (every byte but A-Z a-z 0-9 - . _ ~) into out. */
static void pct(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (; *s && k + 4 <= cap; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            strchr("-._~", c)) {
            out[k++] = (char)c;
        } else {
            out[k++] = '%';
            out[k++] = hex[c >> 4];
            out[k++] = hex[c & 15];
        }
    }
    out[k] = 0;
}

/* This server's answer as the first of a gather's (ownership of r's body passes). */
static cluster_answer_t mine(admin_api_t *api, http_reply_t *r)
{
    cluster_answer_t a = {.rc = 0, .status = r->status, .body = r->body, .body_len = r->body_len};
    snprintf(a.server, sizeof a.server, "%s", api->server_name ? api->server_name : "");
    r->body = NULL;
    return a;
}

static void merge(enum fan_kind kind, const char *id, cluster_answer_t *a, size_t n,
                  http_reply_t *out)
{
    switch (kind) {
    case FAN_LIST:
        admin_conn_merge_list(a, n, out);
        break;
    case FAN_BROADCAST:
        admin_conn_merge_broadcast(a, n, out);
        break;
    case FAN_DISCONNECT:
    case FAN_INVOKE:
        admin_conn_merge_owner(a, n, id, kind == FAN_INVOKE, out);
        break;
    }
}

static void fan_done(void *ctx, cluster_answer_t *answers, size_t n)
{
    fan_t *f = ctx;
    http_reply_t r = {.status = 500};
    merge(f->kind, f->id, answers, n, &r);
    http_server_complete(f->reply, &r);
    free(f);
}

static int fan_owner_disconnect(void *ctx, const cluster_answer_t *a)
{
    return admin_conn_is_owner(a, 0);
}

static int fan_owner_invoke(void *ctx, const cluster_answer_t *a)
{
    return admin_conn_is_owner(a, 1);
}

/* This server's slot in a gather, for the answer of a local invoke (which may come
 * after the gather's callback ran: the gather still waits for it). */
typedef struct local_slot {
    cluster_gather_t *g;
    char server[128];
} local_slot_t;

static void invoke_into_gather(void *ctx, http_reply_t *r)
{
    local_slot_t *s = ctx;
    cluster_answer_t a = {.rc = 0, .status = r->status, .body = r->body, .body_len = r->body_len};
    snprintf(a.server, sizeof a.server, "%s", s->server);
    cluster_gather_put(s->g, 0, &a);
    free(s);
}

/* Answer a public request with this server's answer (`local`, or for an invoke,
 * `request` sent to the local connection) and every live peer's answer to the same
 * call on its internal endpoint (method, target, body). Fills *out at once when
 * there is no peer (an invoke: defers it), defers it otherwise. */
static void fan_out(admin_api_t *api, enum fan_kind kind, const char *id, http_reply_t *local,
                    const char *request, uint64_t invoke_ms, const char *method,
                    const char *target, wsx_slice_t body, http_reply_t *out)
{
    cluster_peer_t *peers = NULL;
    size_t np = 0;
    int rc = cluster_peers_live(api->db, api->server_name ? api->server_name : "",
                                api->heartbeat_s, &peers, &np);
    if (rc < 0) {
        free(local ? local->body : NULL);
        admin_reply_error(out, 500, "odb_error", NULL,
                          "cannot read the cluster's servers from the ODB: %s", wsx_strerror(rc));
        return;
    }
    if (!np && local) { /* a server alone: its answer, in the cluster's shape */
        cluster_answer_t a = mine(api, local);
        merge(kind, id, &a, 1, out);
        free(a.body);
        return;
    }
    fan_t *f = calloc(1, sizeof *f);
    if (!f || !(f->reply = http_server_defer(out))) {
        free(f);
        free(peers);
        free(local ? local->body : NULL);
        admin_reply_error(out, 500, "internal", NULL, "out of memory");
        return;
    }
    f->kind = kind;
    snprintf(f->id, sizeof f->id, "%s", id ? id : "");
    cluster_gather_t *g = cluster_gather_new(1 + np,
                                             kind == FAN_DISCONNECT ? fan_owner_disconnect
                                             : kind == FAN_INVOKE   ? fan_owner_invoke
                                                                    : NULL,
                                             fan_done, f);
    if (!g) {
        http_reply_t r = {0};
        admin_reply_error(&r, 500, "internal", NULL, "out of memory");
        http_server_complete(f->reply, &r);
        free(f);
        free(peers);
        free(local ? local->body : NULL);
        return;
    }
    local_slot_t *slot = local ? NULL : malloc(sizeof *slot);
    if (local) {
        cluster_answer_t a = mine(api, local);
        cluster_gather_put(g, 0, &a);
    } else if (slot) {
        slot->g = g;
        snprintf(slot->server, sizeof slot->server, "%s", api->server_name ? api->server_name : "");
        local_invoke(api, id, request, invoke_ms, invoke_into_gather, slot);
    } else {
        cluster_answer_t a = {.rc = WSX_ENOMEM};
        snprintf(a.error, sizeof a.error, "out of memory");
        cluster_gather_put(g, 0, &a);
    }
    for (size_t i = 0; i < np; i++) {
        cluster_call_t call = {.server = peers[i].name,
                               .base_url = peers[i].admin_address,
                               .method = method,
                               .target = target,
                               .body = body.len ? (const char *)body.ptr : NULL,
                               .body_len = body.len,
                               .timeout_ms = PEER_TIMEOUT_MS + (kind == FAN_INVOKE ? invoke_ms : 0)};
        cluster_gather_call(g, 1 + i, api->cluster, &call);
    }
    free(peers);
    cluster_gather_start(g);
}

/* ---- the endpoints ------------------------------------------------------------------- */

/* `local`: an internal endpoint, this server's answer only. */
static void list_conns(admin_api_t *api, const http_request_t *req, int64_t chan, int local,
                       http_reply_t *out)
{
    char query[QUERY_MAX];
    if (query_value(req->query, "query", query, sizeof query) < 0) {
        admin_reply_error(out, 400, "invalid", "query",
                          "query must be a URL-encoded string of at most %d bytes", QUERY_MAX - 1);
        return;
    }
    if (!channel_exists(api, chan, out))
        return;
    if (local) {
        local_list(chan, query, out);
        return;
    }
    http_reply_t r = {0};
    local_list(chan, query, &r);
    char target[sizeof INTERNAL + 64 + QUERY_MAX * 3], enc[QUERY_MAX * 3];
    pct(query, enc, sizeof enc);
    snprintf(target, sizeof target, INTERNAL "channels/%lld/connections%s%s", (long long)chan,
             query[0] ? "?query=" : "", enc);
    fan_out(api, FAN_LIST, NULL, &r, NULL, 0, "GET", target, wsx_slice("", 0), out);
}

static void broadcast(admin_api_t *api, const http_request_t *req, int64_t chan, wsx_slice_t body,
                      int local, http_reply_t *out)
{
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_ANY, out);
    if (!j)
        return;
    const json_t *data;
    conn_err_t err;
    if (broadcast_body(j, &data, &err) < 0) {
        reply_conn_err(out, &err);
    } else if (channel_exists(api, chan, out)) {
        if (local) {
            local_broadcast(chan, data, out);
        } else {
            http_reply_t r = {0};
            local_broadcast(chan, data, &r);
            char target[sizeof INTERNAL + 64];
            snprintf(target, sizeof target, INTERNAL "channels/%lld/broadcast", (long long)chan);
            fan_out(api, FAN_BROADCAST, NULL, &r, NULL, 0, "POST", target, body, out);
        }
    }
    json_decref(j);
}

static void disconnect(admin_api_t *api, wsx_slice_t id, int local, http_reply_t *out)
{
    char pid[WSX_PUB_ID_LEN + 1];
    if (local || pub_id(id, pid) < 0) { /* too long to be anyone's */
        local_disconnect(id, out);
        return;
    }
    http_reply_t r = {0};
    local_disconnect(id, &r);
    if (r.status == 204) { /* it was ours: nobody else can have it */
        out->status = 204;
        free(r.body);
        return;
    }
    char target[sizeof INTERNAL + 32 + WSX_PUB_ID_LEN * 3], enc[WSX_PUB_ID_LEN * 3 + 1];
    pct(pid, enc, sizeof enc);
    snprintf(target, sizeof target, INTERNAL "connections/%s", enc);
    fan_out(api, FAN_DISCONNECT, pid, &r, NULL, 0, "DELETE", target, wsx_slice("", 0), out);
}

/* An internal invoke's answer completes its deferred reply. */
static void invoke_complete(void *ctx, http_reply_t *r)
{
    http_server_complete(ctx, r);
}

static void invoke(admin_api_t *api, const http_request_t *req, wsx_slice_t id, wsx_slice_t body,
                   int local, http_reply_t *out)
{
    /* the body first: a bad request is a bad request whoever it is for */
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_ANY, out);
    if (!j)
        return;
    const json_t *request = NULL;
    uint64_t timeout_ms = 0;
    conn_err_t err;
    char pid[WSX_PUB_ID_LEN + 1], *enc = NULL;
    if (invoke_body(j, &request, &timeout_ms, &err) < 0) {
        reply_conn_err(out, &err);
    } else if (pub_id(id, pid) < 0) {
        reply_no_conn(out, (const char *)id.ptr, id.len);
    } else if (!(enc = json_dumps(request, JSON_COMPACT | JSON_ENCODE_ANY))) {
        admin_reply_error(out, 500, "internal", NULL, "out of memory");
    } else if (local) {
        http_defer_t *d = http_server_defer(out);
        if (d)
            local_invoke(api, pid, enc, timeout_ms, invoke_complete, d);
        else
            admin_reply_error(out, 500, "internal", NULL, "out of memory");
    } else {
        char target[sizeof INTERNAL + 32 + WSX_PUB_ID_LEN * 3], penc[WSX_PUB_ID_LEN * 3 + 1];
        pct(pid, penc, sizeof penc);
        snprintf(target, sizeof target, INTERNAL "connections/%s/invoke", penc);
        fan_out(api, FAN_INVOKE, pid, NULL, enc, timeout_ms, "POST", target, body, out);
    }
    free(enc);
    json_decref(j);
}

/* The four endpoints under `rest` (after /api/v1/ or /api/v1/internal/). */
static int route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest, wsx_slice_t body,
                 int local, http_reply_t *out)
{
    static const char chp[] = "channels/", cop[] = "connections/";
    if (rest.len > sizeof chp - 1 && memcmp(rest.ptr, chp, sizeof chp - 1) == 0) {
        size_t i = sizeof chp - 1;
        int64_t chan = 0;
        for (; i < rest.len && i < sizeof chp + 17 && rest.ptr[i] >= '0' && rest.ptr[i] <= '9'; i++)
            chan = chan * 10 + (rest.ptr[i] - '0');
        wsx_slice_t tail = wsx_slice(rest.ptr + i, rest.len - i);
        if (chan <= 0)
            return 0;
        if (wsx_slice_eq(tail, "/connections")) {
            if (wsx_slice_eq(req->method, "GET"))
                list_conns(api, req, chan, local, out);
            else
                admin_reply_method(out, "GET");
            return 1;
        }
        if (wsx_slice_eq(tail, "/broadcast")) {
            if (wsx_slice_eq(req->method, "POST"))
                broadcast(api, req, chan, body, local, out);
            else
                admin_reply_method(out, "POST");
            return 1;
        }
        return 0;
    }
    if (rest.len > sizeof cop - 1 && memcmp(rest.ptr, cop, sizeof cop - 1) == 0) {
        size_t start = sizeof cop - 1, i = start;
        while (i < rest.len && rest.ptr[i] != '/')
            i++;
        wsx_slice_t id = wsx_slice(rest.ptr + start, i - start);
        wsx_slice_t tail = wsx_slice(rest.ptr + i, rest.len - i);
        if (tail.len == 0) {
            if (wsx_slice_eq(req->method, "DELETE"))
                disconnect(api, id, local, out);
            else
                admin_reply_method(out, "DELETE");
            return 1;
        }
        if (id.len && wsx_slice_eq(tail, "/invoke")) {
            if (wsx_slice_eq(req->method, "POST"))
                invoke(api, req, id, body, local, out);
            else
                admin_reply_method(out, "POST");
            return 1;
        }
    }
    return 0;
}

int admin_conn_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                     wsx_slice_t body, http_reply_t *out)
{
    return route(api, req, rest, body, 0, out);
}

int admin_conn_route_local(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                           wsx_slice_t body, http_reply_t *out)
{
    return route(api, req, rest, body, 1, out);
}
