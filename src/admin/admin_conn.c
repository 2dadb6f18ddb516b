/* admin_conn.c - the connection endpoints of the admin API (see admin_conn.h): route,
 * check the body, ask the session registry (wsx_conns), answer. An invoke's answer is
 * deferred until the client replies or its timeout passes, so the control loop never
 * waits. Replies, errors and body parsing are admin_reply.c's, as for every endpoint. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_conn.h"
#include "admin/admin_reply.h"
#include "common/err.h"
#include "wsx/wsx_conns.h"

#define QUERY_MAX 1024 /* bytes of ?query= (an ext_client_id is at most 255) */
#define ID_SHOWN 64    /* bytes of an unknown pub_client_id quoted back */

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

static void list_conns(admin_api_t *api, const http_request_t *req, int64_t chan, http_reply_t *out)
{
    char query[QUERY_MAX];
    if (query_value(req->query, "query", query, sizeof query) < 0) {
        admin_reply_error(out, 400, "invalid", "query",
                          "query must be a URL-encoded string of at most %d bytes", QUERY_MAX - 1);
        return;
    }
    if (!channel_exists(api, chan, out))
        return;
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

static void broadcast(admin_api_t *api, const http_request_t *req, int64_t chan, wsx_slice_t body,
                      http_reply_t *out)
{
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_ANY, out);
    if (!j)
        return;
    const json_t *data;
    conn_err_t err;
    if (broadcast_body(j, &data, &err) < 0) {
        reply_conn_err(out, &err);
    } else if (channel_exists(api, chan, out)) {
        char *enc = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
        size_t sent = 0;
        int rc = enc ? wsx_conns_broadcast(chan, enc, strlen(enc), &sent) : WSX_ENOMEM;
        free(enc);
        if (rc < 0)
            admin_reply_error(out, 500, "internal", NULL, "cannot broadcast: %s", wsx_strerror(rc));
        else
            admin_reply_json(out, 200, json_pack("{s:I}", "sent", (json_int_t)sent));
    }
    json_decref(j);
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

static void disconnect(wsx_slice_t id, http_reply_t *out)
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

/* An invoke waiting for its client; freed when it is answered. */
typedef struct invoke_wait {
    http_defer_t *reply;
    char id[WSX_PUB_ID_LEN + 1];
    uint64_t timeout_ms;
} invoke_wait_t;

/* The wsx_invoke_cb: answer the HTTP request that waits. Also called directly when
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
    http_server_complete(w->reply, &r);
    free(w);
}

static void invoke(admin_api_t *api, const http_request_t *req, wsx_slice_t id, wsx_slice_t body,
                   http_reply_t *out)
{
    /* the body first: a bad request is a bad request whoever it is for */
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_ANY, out);
    if (!j)
        return;
    const json_t *request = NULL;
    uint64_t timeout_ms = 0;
    conn_err_t err;
    invoke_wait_t *w = NULL;
    char *enc = NULL;
    if (invoke_body(j, &request, &timeout_ms, &err) < 0) {
        reply_conn_err(out, &err);
        goto done;
    }
    w = calloc(1, sizeof *w);
    if (!w || pub_id(id, w->id) < 0) {
        if (w)
            reply_no_conn(out, (const char *)id.ptr, id.len);
        else
            admin_reply_error(out, 500, "internal", NULL, "out of memory");
        goto done;
    }
    enc = json_dumps(request, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!enc || !(w->reply = http_server_defer(out))) {
        admin_reply_error(out, 500, "internal", NULL, "out of memory");
        goto done;
    }
    w->timeout_ms = timeout_ms;
    int rc = wsx_conns_invoke(api->loop, w->id, enc, strlen(enc), timeout_ms, invoke_done, w);
    if (rc < 0)
        invoke_done(w, rc, NULL, 0); /* refused at once: no callback will come */
    w = NULL;                        /* invoke_done frees it */
done:
    free(w);
    free(enc);
    json_decref(j);
}

int admin_conn_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                     wsx_slice_t body, http_reply_t *out)
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
                list_conns(api, req, chan, out);
            else
                admin_reply_method(out, "GET");
            return 1;
        }
        if (wsx_slice_eq(tail, "/broadcast")) {
            if (wsx_slice_eq(req->method, "POST"))
                broadcast(api, req, chan, body, out);
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
                disconnect(id, out);
            else
                admin_reply_method(out, "DELETE");
            return 1;
        }
        if (id.len && wsx_slice_eq(tail, "/invoke")) {
            if (wsx_slice_eq(req->method, "POST"))
                invoke(api, req, id, body, out);
            else
                admin_reply_method(out, "POST");
            return 1;
        }
    }
    return 0;
}
