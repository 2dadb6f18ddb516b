/* wsx_session.c - the WSX session protocol of a json channel (WSX-PROTOCOL.md
 * sections 2-7) on top of a ws_conn: envelope in, login and token checks, the
 * service call, the reply envelope out, pings with a JSON payload and the hooks.
 *
 * Hot path: a message is parsed in place (envelope.c), the token compared in
 * constant time, the service called, and the reply built in a per-thread buffer
 * and queued as one frame: no allocation per message. A session allocates twice:
 * at the upgrade (this struct) and at login (its strings, in one block). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "common/err.h"
#include "common/isotime.h"
#include "common/log.h"
#include "http/http_server.h"
#include "net/worker.h"
#include "service/service.h"
#include "ws/ws_frame.h"
#include "wsx/envelope.h"
#include "wsx/wsx_auth.h"
#include "wsx/wsx_json.h"
#include "wsx/wsx_session.h"
#include "wsx/wsx_session_internal.h"

#define NOT_AUTHORIZED "\"You are not authorized to access this resource\""
#define MAX_ATTRS 32
#define SECRET_MAX 8192 /* a JWT may be long */

/* ---- message ids ---- */

static uint8_t g_id_prefix[6];
static _Atomic uint64_t g_id_next;
static pthread_once_t g_id_once = PTHREAD_ONCE_INIT;

static void id_init(void)
{
    randombytes_buf(g_id_prefix, sizeof g_id_prefix);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
}

/* Unique per process without a system call: a random prefix for the process and
 * a counter. Ids are not secrets (tokens are, and come from the CSPRNG). */
void wsx_session_new_id(char *out)
{
    pthread_once(&g_id_once, id_init);
    uint64_t n = atomic_fetch_add_explicit(&g_id_next, 1, memory_order_relaxed);
    uint8_t b[12];
    memcpy(b, g_id_prefix, 6);
    for (int i = 0; i < 6; i++)
        b[6 + i] = (uint8_t)(n >> (8 * (5 - i)));
    memcpy(out, "zwsx.", 5);
    hex(b, sizeof b, out + 5);
    out[WSX_ID_LEN] = 0;
}

/* ---- building replies in the thread's buffer ---- */

static __thread struct {
    char *p;
    size_t len, cap;
    int oom;
} t_msg;

void wsx_session_thread_cleanup(void)
{
    free(t_msg.p);
    t_msg.p = NULL;
    t_msg.len = t_msg.cap = 0;
}

static void put(const void *p, size_t n)
{
    if (t_msg.len + n > t_msg.cap) {
        size_t cap = t_msg.cap ? t_msg.cap : 4096;
        while (cap < t_msg.len + n)
            cap *= 2;
        char *q = realloc(t_msg.p, cap);
        if (!q) {
            t_msg.oom = 1;
            return;
        }
        t_msg.p = q;
        t_msg.cap = cap;
    }
    memcpy(t_msg.p + t_msg.len, p, n);
    t_msg.len += n;
}

static void puts_(const char *s)
{
    put(s, strlen(s));
}

/* A JSON string of s (valid UTF-8). */
static void put_str(const char *s)
{
    char buf[1024];
    int n = wsx_json_string_write(s, strlen(s), buf, sizeof buf);
    if (n < 0) {
        puts_("\"\"");
        return;
    }
    put(buf, (size_t)n);
}

/* {"meta":{"id":..,"timestamp":..,"msg_type":..[,"status":N][,"in_reply_to":..]
 * [,"error_message":..]} - the caller adds ,"data":X and the closing brace. */
static void head(const char *msg_type, int status, wsx_slice_t in_reply_to, const char *error)
{
    char id[WSX_ID_LEN + 1], ts[ISOTIME_LEN + 1];
    t_msg.len = 0;
    t_msg.oom = 0;
    wsx_session_new_id(id);
    isotime_now(ts);
    puts_("{\"meta\":{\"id\":\"");
    put(id, WSX_ID_LEN);
    puts_("\",\"timestamp\":\"");
    put(ts, ISOTIME_LEN);
    puts_("\",\"msg_type\":\"");
    puts_(msg_type);
    put("\"", 1);
    if (status) {
        char b[32];
        int n = snprintf(b, sizeof b, ",\"status\":%d", status);
        put(b, (size_t)n);
    }
    if (in_reply_to.len) {
        puts_(",\"in_reply_to\":");
        put(in_reply_to.ptr, in_reply_to.len); /* a JSON string, checked by the parser */
    }
    if (error) {
        puts_(",\"error_message\":");
        put_str(error);
    }
    put("}", 1);
}

static void send_msg(ws_conn_t *c)
{
    if (t_msg.oom || ws_conn_send_frame(c, WS_OP_TEXT, (const uint8_t *)t_msg.p, t_msg.len) < 0)
        ws_conn_fail(c, 1011, "out of memory");
}

static void send_rsperr(ws_conn_t *c, int status, wsx_slice_t in_reply_to, const char *error)
{
    char cid[WSX_ID_LEN + 1];
    head("zwsx.rsperr", status, in_reply_to, error);
    wsx_session_new_id(cid);
    puts_(",\"data\":{\"cid\":\"");
    put(cid, WSX_ID_LEN);
    puts_("\"}}");
    send_msg(c);
}

/* Not authorised: zwsx.merr, then the close handshake with 1008. The merr carries
 * no in_reply_to (WSX-PROTOCOL.md section 2: status only), as Zato's server sent
 * it: Zato's clients hand it to their request callback. */
static void refuse(ws_conn_t *c, const char *reason)
{
    head("zwsx.merr", 403, wsx_slice(NULL, 0), NULL);
    puts_(",\"data\":" NOT_AUTHORIZED "}");
    send_msg(c);
    ws_conn_fail(c, 1008, reason);
}

int wsx_session_send_rqc(wsx_session_t *s, const char *id, const uint8_t *data, size_t len)
{
    ws_conn_t *c = s->conn;
    if (c->state != WS_ST_OPEN)
        return WSX_ECLOSED;
    char idq[WSX_ID_LEN + 3];
    int n = snprintf(idq, sizeof idq, "\"%s\"", id);
    (void)n;
    char ts[ISOTIME_LEN + 1];
    isotime_now(ts);
    t_msg.len = 0;
    t_msg.oom = 0;
    puts_("{\"meta\":{\"id\":");
    puts_(idq);
    puts_(",\"timestamp\":\"");
    put(ts, ISOTIME_LEN);
    puts_("\",\"msg_type\":\"zwsx.rqc\"},\"data\":");
    put(data, len);
    put("}", 1);
    send_msg(c);
    ws_conn_flush(c);
    return 0;
}

/* ---- the session's timer ---- */

/* How long until the session's timer must fire: the next ping or the token's
 * expiry, whichever comes first; 0 if one is already due. */
static uint64_t due_in(uint64_t now, uint64_t next_ping, uint64_t token_expires)
{
    uint64_t due = next_ping < token_expires ? next_ping : token_expires;
    return due > now ? due - now : 0;
}

/* A token's expiry after `now` (ms): saturating, so a huge TTL never wraps into
 * the past. */
static uint64_t expiry(uint64_t now, uint64_t ttl_ms)
{
    return ttl_ms > UINT64_MAX - now ? UINT64_MAX : now + ttl_ms;
}

/* "zwsxt." + 32 hex of rnd[0..16) into out[WSX_TOKEN_LEN + 1]; "ws." + 24 hex of
 * rnd[16..28) into pub[WSX_PUB_ID_LEN + 1]. */
static void make_ids(const uint8_t rnd[28], char *token, char *pub)
{
    memcpy(token, "zwsxt.", 6);
    hex(rnd, 16, token + 6);
    token[WSX_TOKEN_LEN] = 0;
    memcpy(pub, "ws.", 3);
    hex(rnd + 16, 12, pub + 3);
    pub[WSX_PUB_ID_LEN] = 0;
}

static void arm(ws_conn_t *c)
{
    wsx_session_t *s = c->sess;
    ws_conn_arm_timer(c, due_in(ev_now(c->lst->loop), s->next_ping_ms, s->token_expires_ms));
}

static void send_ping(ws_conn_t *c)
{
    wsx_session_t *s = c->sess;
    char ts[ISOTIME_LEN + 1], p[125];
    wsx_session_new_id(s->ping_id);
    isotime_now(ts);
    int n = snprintf(p, sizeof p, "{\"meta\":{\"id\":\"%s\",\"timestamp\":\"%s\",\"msg_type\":\"zwsx.rqc\"}}",
                     s->ping_id, ts);
    ws_conn_send_frame(c, WS_OP_PING, (const uint8_t *)p, (size_t)n);
}

void wsx_session_on_timer(ws_conn_t *c)
{
    wsx_session_t *s = c->sess;
    const chan_cfg_t *cfg = c->lst->cfg;
    uint64_t now = ev_now(c->lst->loop);
    if (!s->logged_in) {
        /* the new-token wait time is over and no create-session came */
        refuse(c, "login too late");
        ws_conn_flush(c);
        return;
    }
    if (now >= s->token_expires_ms) {
        ws_conn_fail(c, 1008, "token expired");
        ws_conn_flush(c);
        return;
    }
    if (now >= s->next_ping_ms) {
        ws_conn_check_stalled(c);
        if (!(c->flags & WS_F_PONG_SEEN) && ++c->missed >= cfg->pings_missed_threshold) {
            ws_conn_fail(c, 4002, "Pings missed");
            ws_conn_flush(c);
            return;
        }
        c->flags &= (uint8_t)~WS_F_PONG_SEEN;
        send_ping(c);
        s->next_ping_ms = now + cfg->ping_interval_ms;
        ws_conn_flush(c);
        if (c->state != WS_ST_OPEN)
            return; /* the send failed (a reset peer): the connection is gone */
    }
    arm(c);
}

void wsx_session_on_pong(ws_conn_t *c, const uint8_t *p, size_t n)
{
    wsx_session_t *s = c->sess;
    if (!s->logged_in || !s->ping_id[0] || !memmem(p, n, s->ping_id, WSX_ID_LEN))
        return; /* unsolicited, or an answer to an older ping */
    c->flags |= WS_F_PONG_SEEN;
    c->missed = 0;
    s->token_expires_ms = expiry(ev_now(c->lst->loop), c->lst->cfg->token_ttl_ms);
    atomic_store_explicit(&s->last_seen_us, isotime_now_us(), memory_order_relaxed);
}

/* ---- hooks ---- */

static int call_hook(ws_conn_t *c, wsx_call_kind_t kind, const char *input, size_t len)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    if (!cfg->hook)
        return 200;
    wsx_call_t call = {.kind = kind, .env = &c->sess->env, .input = (const uint8_t *)input,
                       .input_len = len, .is_json = 1};
    wsx_reply_t r;
    service_ctx_t ctx = {.gateway_allowed = cfg->gateway_allowed};
    if (service_call(cfg->hook, &call, &r, &ctx) == WSX_ENOTFOUND)
        log_warn("channel \"%s\": hook service \"%s\" is not loaded", cfg->name,
                 service_name(cfg->hook));
    else if (r.status != 200)
        log_warn("channel \"%s\": hook service \"%s\" %s returned %d: %s", cfg->name,
                 service_name(cfg->hook),
                 kind == WSX_CALL_ON_CONNECTED ? "on_connected" : "on_disconnected", r.status,
                 r.error_message);
    return r.status;
}

/* ---- login ---- */

static void addr_str(const struct sockaddr_storage *sa, char *out, size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
        port = ntohs(a->sin_port);
        snprintf(out, cap, "%s:%u", ip, port);
    } else if (sa->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
        port = ntohs(a->sin6_port);
        snprintf(out, cap, "[%s]:%u", ip, port);
    } else {
        snprintf(out, cap, "?");
    }
}

/* Copy what the create-session says about the client into one block: env's
 * strings and the attrs. Returns 0, WSX_EINVAL (err says which field) or
 * WSX_ENOMEM. */
static int build_identity(ws_conn_t *c, const wsx_envelope_t *e, const char *username,
                          const char **err)
{
    wsx_session_t *s = c->sess;
    char client_id[256] = "", name[512], attrs[1024] = "", peer[64], local[64];
    if (e->client_id.len && wsx_json_string_copy(e->client_id, client_id, sizeof client_id) < 0) {
        *err = "meta.client_id must be a string of at most 255 bytes";
        return WSX_EINVAL;
    }
    if (e->attrs.len && wsx_json_string_copy(e->attrs, attrs, sizeof attrs) < 0) {
        *err = "meta.attrs must be a string of at most 1023 bytes";
        return WSX_EINVAL;
    }
    wsx_client_name_flatten(e->client_name, name, sizeof name);
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    if (getpeername(c->io.fd, (struct sockaddr *)&sa, &sl) == 0)
        addr_str(&sa, peer, sizeof peer);
    else
        snprintf(peer, sizeof peer, "?");
    sl = sizeof sa;
    if (getsockname(c->io.fd, (struct sockaddr *)&sa, &sl) == 0)
        addr_str(&sa, local, sizeof local);
    else
        snprintf(local, sizeof local, "?");
    const char *xff = c->xff ? c->xff : "";
    const char *cname = c->lst->cfg->name;
    size_t lens[] = {strlen(client_id), strlen(name), strlen(username), strlen(peer),
                     strlen(xff), strlen(local), strlen(attrs), strlen(cname)};
    /* count the attrs first, so an idle session holds only what it needs */
    char scratch[sizeof attrs];
    wsx_attr_t tmp[MAX_ATTRS];
    memcpy(scratch, attrs, sizeof attrs);
    size_t nattrs = wsx_attrs_parse(scratch, tmp, MAX_ATTRS);
    size_t total = nattrs * sizeof(wsx_attr_t);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
        total += lens[i] + 1;
    /* attrs first: the array needs its alignment */
    char *b = malloc(total);
    if (!b)
        return WSX_ENOMEM;
    wsx_attr_t *av = (wsx_attr_t *)b;
    char *q = b + nattrs * sizeof(wsx_attr_t);
    const char *src[] = {client_id, name, username, peer, xff, local, attrs, cname};
    char *dst[8];
    for (size_t i = 0; i < 8; i++) {
        dst[i] = q;
        memcpy(q, src[i], lens[i] + 1);
        q += lens[i] + 1;
    }
    free(s->block);
    s->block = b;
    s->env.ext_client_id = dst[0];
    s->env.ext_client_name = dst[1];
    s->env.username = dst[2];
    s->env.peer_address = dst[3];
    s->env.peer_forwarded_for = dst[4];
    s->env.attrs = av;
    s->env.n_attrs = wsx_attrs_parse(dst[6], av, nattrs);
    s->env.channel_name = dst[7];
    s->local_address = dst[5];
    s->env.data_format = "json";
    return 0;
}

static void login_done(ws_conn_t *c, int ok, wsx_slice_t in_reply_to)
{
    wsx_session_t *s = c->sess;
    const chan_cfg_t *cfg = c->lst->cfg;
    if (!ok) {
        refuse(c, "not authorized");
        return;
    }
    uint8_t rnd[28];
    randombytes_buf(rnd, sizeof rnd);
    make_ids(rnd, s->token, s->pub_client_id);
    sodium_memzero(rnd, sizeof rnd);
    s->env.pub_client_id = s->pub_client_id;
    s->env.channel_id = cfg->id;
    s->channel_id = cfg->id;
    s->worker = workers_self();
    atomic_store_explicit(&s->last_seen_us, isotime_now_us(), memory_order_relaxed);
    if (wsx_conns_add(s) < 0) {
        ws_conn_fail(c, 1011, "out of memory");
        return;
    }
    s->logged_in = 1;
    if (call_hook(c, WSX_CALL_ON_CONNECTED, "{}", 2) != 200) {
        /* the hook refused this client: it never was logged in */
        s->logged_in = 0;
        wsx_conns_remove(s);
        refuse(c, "refused by the on_connected hook");
        return;
    }
    head("zwsx.rspa", 200, in_reply_to, NULL);
    puts_(",\"data\":{\"token\":\"");
    put(s->token, WSX_TOKEN_LEN);
    puts_("\"}}");
    send_msg(c);
    if (c->state != WS_ST_OPEN)
        return; /* could not queue the token: the connection is closing */
    uint64_t now = ev_now(c->lst->loop);
    s->token_expires_ms = expiry(now, cfg->token_ttl_ms);
    s->next_ping_ms = now + cfg->ping_interval_ms;
    arm(c);
}

/* The checker thread's answer (on this worker). */
static void auth_done(void *ctx, int ok)
{
    ws_conn_t *c = ctx;
    c->auth_job = NULL;
    if (ws_conn_unhold(c))
        return; /* the connection died meanwhile */
    wsx_session_t *s = c->sess;
    char *reply_to = s->login_reply_to;
    s->login_reply_to = NULL;
    if (c->state == WS_ST_OPEN)
        login_done(c, ok, wsx_slice(reply_to, reply_to ? strlen(reply_to) : 0));
    free(reply_to);
    ws_conn_resume(c);
}

static void create_session(ws_conn_t *c, const wsx_envelope_t *e)
{
    wsx_session_t *s = c->sess;
    const chan_cfg_t *cfg = c->lst->cfg;
    if (s->logged_in) {
        send_rsperr(c, 400, e->id, "Session already created");
        return;
    }
    char username[SECURITY_USERNAME_MAX + 1] = "";
    static __thread char secret[SECRET_MAX];
    int slen = 0, bad = 0;
    secret[0] = 0;
    if (e->username.len && wsx_json_string_copy(e->username, username, sizeof username) < 0)
        bad = 1;
    if (e->secret.len && (slen = wsx_json_string_copy(e->secret, secret, sizeof secret)) < 0)
        bad = 1;
    const char *who = "";
    if (cfg->cred.type != SECURITY_NONE)
        who = cfg->cred.username[0] ? cfg->cred.username : username;
    const char *err = NULL;
    int rc = build_identity(c, e, who, &err);
    if (rc == WSX_EINVAL) {
        send_rsperr(c, 400, e->id, err);
        return;
    }
    if (rc < 0) {
        ws_conn_fail(c, 1011, "out of memory");
        return;
    }
    if (cfg->cred.type == SECURITY_NONE) {
        login_done(c, 1, e->id);
        return;
    }
    if (bad) {
        login_done(c, 0, e->id);
        return;
    }
    if (cfg->cred.type == SECURITY_JWT) { /* an HMAC: cheap enough to do here */
        int ok = security_check(&cfg->cred, wsx_slice(username, strlen(username)),
                                wsx_slice(secret, (size_t)slen), time(NULL)) == 0;
        sodium_memzero(secret, (size_t)slen);
        login_done(c, ok, e->id);
        return;
    }
    /* Argon2id: on the checker thread; hold this connection's input meanwhile so
     * its messages are still answered in order */
    s->login_reply_to = strndup((const char *)e->id.ptr, e->id.len);
    rc = s->login_reply_to ? wsx_auth_submit(&cfg->cred, wsx_slice(username, strlen(username)),
                                             wsx_slice(secret, (size_t)slen), c->lst->loop,
                                             auth_done, c, &c->auth_job)
                           : WSX_ENOMEM;
    sodium_memzero(secret, (size_t)slen);
    if (rc == WSX_EBUSY) { /* too many logins being checked: a flood */
        ws_conn_fail(c, 1013, "Try again later");
        return;
    }
    if (rc < 0) {
        ws_conn_fail(c, 1011, "out of memory");
        return;
    }
    /* the new-token wait keeps running: a login must complete within it, however
     * long the queue of checks, so a flood of bad logins cannot hold connections */
    c->holds++;
    ws_conn_pause(c);
}

/* ---- invocation ---- */

static void invoke(ws_conn_t *c, const wsx_envelope_t *e)
{
    wsx_session_t *s = c->sess;
    const chan_cfg_t *cfg = c->lst->cfg;
    s->token_expires_ms = expiry(ev_now(c->lst->loop), cfg->token_ttl_ms);
    atomic_store_explicit(&s->last_seen_us, isotime_now_us(), memory_order_relaxed);
    wsx_slice_t in = e->data.len ? e->data : wsx_slice("{}", 2);
    wsx_call_t call = {.kind = WSX_CALL_INVOKE, .env = &s->env, .input = in.ptr,
                       .input_len = in.len, .is_json = 1};
    wsx_reply_t r;
    service_ctx_t ctx = {.gateway_allowed = cfg->gateway_allowed};
    uint64_t t0 = mx_call_start(c->lst->mx);
    int rc = cfg->service ? service_call(cfg->service, &call, &r, &ctx) : WSX_ENOTFOUND;
    mx_call_end(c->lst->mx, t0);
    if (rc == WSX_ENOTFOUND) {
        static __thread uint64_t last_log;
        uint64_t now = ev_now(c->lst->loop);
        if (now - last_log >= 1000 || !last_log) { /* not once per message */
            last_log = now;
            log_warn("channel \"%s\": service \"%s\" is not loaded", cfg->name,
                     cfg->service ? service_name(cfg->service) : "?");
        }
        send_rsperr(c, 500, e->id, "Internal server error");
        return;
    }
    int status = r.status;
    const char *msg = r.error_message[0] ? r.error_message : NULL;
    if (status == 200 && r.output_len &&
        !(r.output >= in.ptr && r.output + r.output_len <= in.ptr + in.len) &&
        wsx_json_validate(r.output, r.output_len, NULL, NULL) < 0) {
        log_error("channel \"%s\": service \"%s\" returned output that is not JSON", cfg->name,
                  service_name(cfg->service));
        status = 500;
        msg = NULL;
    }
    if (status == 200) {
        head("zwsx.rspok", 200, e->id, NULL);
        if (r.output_len) {
            puts_(",\"data\":");
            put(r.output, r.output_len);
        }
        put("}", 1);
        send_msg(c);
        return;
    }
    if (status < 100 || status > 599) { /* not a status: the service misbehaved */
        status = 500;
        msg = NULL;
    }
    if (!msg) /* a failure the service did not explain */
        msg = status == 500 ? "Internal server error" : http_status_text(status);
    send_rsperr(c, status, e->id, msg);
}

static void client_response(ws_conn_t *c, const wsx_envelope_t *e)
{
    wsx_session_t *s = c->sess;
    atomic_store_explicit(&s->last_seen_us, isotime_now_us(), memory_order_relaxed);
    char id[WSX_ID_LEN + 1];
    if (!e->in_reply_to.len || wsx_json_string_copy(e->in_reply_to, id, sizeof id) < 0)
        return; /* not an answer to anything we asked */
    wsx_slice_t data = e->data.len ? e->data : wsx_slice("null", 4);
    wsx_slice_t resp;
    if (wsx_json_type(data) == WSX_JSON_OBJECT && wsx_json_object_get(data, "response", &resp) == 0)
        data = resp;
    wsx_conns_answer(s->pub_client_id, id, data.ptr, data.len);
}

void wsx_session_on_message(ws_conn_t *c, const uint8_t *p, size_t n)
{
    wsx_session_t *s = c->sess;
    wsx_envelope_t e;
    if (wsx_envelope_parse(p, n, &e) < 0) {
        send_rsperr(c, 400, e.id, e.error);
        return;
    }
    if (e.action == WSX_ACTION_CREATE_SESSION) {
        create_session(c, &e);
        return;
    }
    if (!s->logged_in) {
        refuse(c, "not authorized");
        return;
    }
    if (!e.token.len || !wsx_json_string_eq_ct(e.token, s->token, WSX_TOKEN_LEN)) {
        refuse(c, "not authorized");
        return;
    }
    if (ev_now(c->lst->loop) >= s->token_expires_ms) {
        refuse(c, "token expired");
        return;
    }
    if (e.action == WSX_ACTION_CLIENT_RESPONSE)
        client_response(c, &e);
    else
        invoke(c, &e);
}

/* ---- life cycle ---- */

/* For on_disconnected: what a close code means (WSX-PROTOCOL.md section 7). */
static const char *close_reason(unsigned code)
{
    switch (code) {
    case 1000: return "normal closure";
    case 1001: return "going away";
    case 1002: return "protocol error";
    case 1006: return "connection lost";
    case 1007: return "invalid UTF-8";
    case 1008: return "not authorized";
    case 1009: return "message too big";
    case 1011: return "server error";
    case 4002: return "Pings missed";
    case 4005: return "Disconnected by an administrator";
    default: return "closed";
    }
}

int wsx_session_open(ws_conn_t *c, const http_request_t *req)
{
    wsx_session_t *s = calloc(1, sizeof *s);
    if (!s)
        return WSX_ENOMEM;
    s->conn = c;
    s->worker = -1;
    isotime_format(c->accepted_us, s->connection_time);
    s->env.connection_time = s->connection_time;
    s->env.channel_name = s->env.ext_client_id = s->env.ext_client_name = "";
    s->env.username = s->env.peer_address = s->env.peer_forwarded_for = s->env.pub_client_id = "";
    s->env.data_format = "json";
    c->sess = s;
    return 0;
}

void wsx_session_end(ws_conn_t *c)
{
    wsx_session_t *s = c->sess;
    if (!s->logged_in)
        return;
    s->logged_in = 0; /* from now on nothing reaches the session */
    wsx_conns_remove(s);
    wsx_conns_closed(s->pub_client_id);
    char in[160];
    int n = snprintf(in, sizeof in, "{\"code\":%u,\"reason\":\"%s\"}", c->close_code,
                     close_reason(c->close_code));
    call_hook(c, WSX_CALL_ON_DISCONNECTED, in, (size_t)n);
}

void wsx_session_closed(ws_conn_t *c)
{
    wsx_session_t *s = c->sess;
    wsx_session_end(c);
    c->sess = NULL;
    free(s->block);
    free(s->login_reply_to);
    sodium_memzero(s->token, sizeof s->token);
    free(s);
}
