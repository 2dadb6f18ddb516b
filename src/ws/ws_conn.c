/* ws_conn.c - a client connection from accept to close: the HTTP upgrade, RFC
 * 6455 frames, message assembly (UTF-8 checked as fragments arrive, size limit
 * checked on each frame header), the service call and the reply, the write
 * queue with a high-water mark, pings and the close handshake.
 *
 * Memory: reads land in one buffer per worker thread and replies are gathered in
 * another, then sent with one send() per read. A connection allocates only while
 * it holds a partial frame (c->in), a fragmented message (c->msg) or output the
 * kernel did not take (c->out); each is freed when it empties, so an idle
 * connection is just this struct.
 *
 * TLS (wss://): the socket is read, written and closed through the connection's
 * TLS session (net/tls.h) in place of recv/send; everything above those calls is
 * the same, and a ws:// connection takes one branch on c->tls more. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "common/utf8.h"
#include "http/http_parse.h"
#include "ws/ws_conn.h"
#include "ws/ws_conn_internal.h"
#include "wsx/wsx_session.h"
#include "common/isotime.h"
#include "wsx/wsx_auth.h"
#include <sodium.h>
#include <strings.h>
#include <time.h>
#include "ws/ws_frame.h"
#include "ws/ws_deflate.h"
#include "ws/ws_handshake.h"
#include "net/limits.h"
#include "net/worker.h"

#define RBUF_SIZE (64 * 1024)
#define HEAD_MAX 8192            /* request head limit: then 431 */
#define CLOSE_TIMEOUT_MS 3000    /* how long we wait for the peer's close */
#define IN_MIN_GROW 16384

/* The worker thread's shared buffers. One connection is handled at a time, and
 * t_wb is always flushed before its connection's callback returns. */
static __thread uint8_t *t_rbuf;
static __thread struct {
    uint8_t *p;
    size_t len, cap;
} t_wb;

void ws_conn_thread_cleanup(void)
{
    free(t_rbuf);
    t_rbuf = NULL;
    free(t_wb.p);
    t_wb.p = NULL;
    t_wb.len = t_wb.cap = 0;
    ws_deflate_thread_cleanup();
    wsx_session_thread_cleanup();
}

ws_conn_t *ws_conn_next(ws_conn_t *c)
{
    return c->next;
}

static void on_io(ev_loop_t *loop, ev_io_t *io, uint32_t events);
static void on_timer(ev_loop_t *loop, ev_timer_t *t);
static void conn_flush(ws_conn_t *c);
static void conn_read(ws_conn_t *c);

/* recv() and send() of a wss:// connection, with their conventions (-1 and errno
 * EAGAIN to wait, 0 for EOF), so the callers' code stays the same for both. What
 * the session waits for beyond the usual events goes to c->tls_want. */
static ssize_t tls_recv(ws_conn_t *c, void *buf, size_t len)
{
    uint32_t w = 0;
    ssize_t n = tls_read(c->tls, buf, len, &w);
    c->tls_want &= (uint8_t)~EV_WRITE;
    if (n >= 0)
        return n;
    if (n == WSX_EAGAIN) {
        c->tls_want |= (uint8_t)(w & EV_WRITE);
        errno = EAGAIN;
    } else {
        /* a failed handshake (a client refusing our certificate, TLS 1.1) or a bad
         * record: drop */
        log_debug("channel \"%s\": TLS: %s", c->lst->cfg->name, tls_last_error());
        if (c->state == WS_ST_HTTP)
            MX_ADD(metrics_worker(workers_self())->hs_fail[MX_HS_TLS], 1);
        errno = EIO;
    }
    return -1;
}

static ssize_t tls_send(ws_conn_t *c, const void *buf, size_t len)
{
    uint32_t w = 0;
    ssize_t n = tls_write(c->tls, buf, len, &w);
    c->tls_want &= (uint8_t)~EV_READ;
    if (n > 0 || n == WSX_EAGAIN)
        c->tls_want |= (uint8_t)(w & EV_READ);
    if (n >= 0)
        return n;
    errno = n == WSX_EAGAIN ? EAGAIN : EPIPE;
    return -1;
}

/* OpenSSL may hold decrypted input that no socket event will announce (a record
 * larger than the room we read into): read it while the connection reads at all. */
static void tls_drain(ws_conn_t *c)
{
    while (c->state != WS_ST_DEAD && (c->io.events & EV_READ) && tls_pending(c->tls)) {
        conn_read(c);
        conn_flush(c);
    }
}

static void conn_release(ws_conn_t *c)
{
    listener_t *l = c->lst;
    free(c->in);
    free(c->out);
    free(c->msg);
    free(c->xff);
    ws_deflate_free(&c->pmd);
    free(c);
    listener_unref(l);
}

static void conn_free(ev_loop_t *loop, ev_defer_t *d)
{
    ws_conn_t *c = (ws_conn_t *)((char *)d - offsetof(ws_conn_t, free_d));
    if (c->holds)
        return; /* freed by ws_conn_unhold when the pending work comes back */
    conn_release(c);
}

int ws_conn_unhold(ws_conn_t *c)
{
    if (--c->holds == 0 && c->state == WS_ST_DEAD) {
        if (!c->free_d.queued)
            conn_release(c);
        return 1;
    }
    return c->state == WS_ST_DEAD;
}

/* Close the socket now and free the connection after this loop iteration. */
static void conn_drop(ws_conn_t *c)
{
    if (c->state == WS_ST_DEAD)
        return;
    c->state = WS_ST_DEAD;
    if (c->flags & WS_F_COUNTED) {
        log_debug("connection closed on channel \"%s\" with code %u", c->lst->cfg->name,
                  (unsigned)c->close_code);
        MX_ADD(c->lst->mx->open, -1);
        MX_ADD(metrics_worker(workers_self())
                   ->closes[c->close_code >= 1000 && c->close_code < 5000 ? c->close_code : 0],
               1);
    }
    if (c->auth_job)
        wsx_auth_cancel(c->auth_job);
    if (c->sess)
        wsx_session_closed(c); /* while the listener's settings are still at hand */
    /* the limits it counted in (README "Limits") */
    limits_conn_release();
    limits_peer_release(c->peer);
    c->peer = NULL;
    if (c->flags & WS_F_SLOT)
        metrics_open_release(c->lst->cfg->mx);
    ev_loop_t *loop = c->lst->loop;
    if (c->tls) {
        tls_free(c->tls);
        c->tls = NULL;
    }
    ev_io_close(loop, &c->io);
    ev_timer_stop(loop, &c->timer);
    ev_timer_stop(loop, &c->slow_timer);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->lst->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ev_defer(loop, &c->free_d, conn_free);
}

void ws_conn_abort(ws_conn_t *c)
{
    conn_drop(c);
}

static int grow(uint8_t **buf, uint32_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 4096;
    while (n < need)
        n *= 2;
    if (n > UINT32_MAX)
        return WSX_ENOMEM;
    uint8_t *p = realloc(*buf, n);
    if (!p)
        return WSX_ENOMEM;
    *buf = p;
    *cap = (uint32_t)n;
    return 0;
}

/* Queue bytes for the peer: behind a backlog if there is one, else in the
 * thread's gather buffer, sent by conn_flush. */
static int out_append(ws_conn_t *c, const void *p, size_t n)
{
    if (c->out_len > c->out_off) {
        if (c->out_len + n > c->out_cap && c->out_off > 0) {
            /* compact before growing, so the queue is bounded by what is unsent,
             * not by everything ever sent through it */
            memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
            c->out_len -= c->out_off;
            c->out_off = 0;
        }
        if (grow(&c->out, &c->out_cap, (size_t)c->out_len + n) < 0)
            return WSX_ENOMEM;
        memcpy(c->out + c->out_len, p, n);
        c->out_len += (uint32_t)n;
        return 0;
    }
    if (t_wb.len + n > t_wb.cap) {
        size_t cap = t_wb.cap ? t_wb.cap : 65536;
        while (cap < t_wb.len + n)
            cap *= 2;
        uint8_t *q = realloc(t_wb.p, cap);
        if (!q)
            return WSX_ENOMEM;
        t_wb.p = q;
        t_wb.cap = cap;
    }
    memcpy(t_wb.p + t_wb.len, p, n);
    t_wb.len += n;
    return 0;
}

/* The channel's traffic log (log_messages > 0): one line per data message, the
 * payload cut to the channel's limit. Off the hot path: only called when on. */
__attribute__((cold, noinline)) static void log_traffic(const ws_conn_t *c, const char *dir,
                                                        int opcode, const uint8_t *p, size_t n)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    char name[sizeof cfg->name * 2], fields[sizeof name + 64];
    log_escape(name, sizeof name, cfg->name, strlen(cfg->name));
    snprintf(fields, sizeof fields, "channel=\"%s\" dir=%s type=%s", name, dir,
             opcode == WS_OP_BINARY ? "binary" : "text");
    log_data(LOG_INFO, "message", fields, p, n, cfg->log_messages);
}

static int send_frame(ws_conn_t *c, int opcode, const uint8_t *p, size_t n)
{
    /* slow consumer policy drop: above the mark, new data messages for this client
     * are dropped (the newest), so its queue stays bounded while it keeps reading
     * input; control frames still go in, bounded by conn_flush's hard cap */
    if (__builtin_expect(c->lst->cfg->slow_drop, 0) &&
        (opcode == WS_OP_TEXT || opcode == WS_OP_BINARY) &&
        c->out_len - c->out_off > c->lst->cfg->write_queue_high_water) {
        MX_ADD(c->lst->mx->dropped, 1);
        return 0; /* control frames (at most 127 bytes) still go: pings keep it alive */
    }
    uint8_t hdr[WS_FRAME_MAX_HEADER];
    const uint8_t *wire = p;
    size_t wn = n;
    int z = 0;
    /* permessage-deflate: a data message goes out compressed (RSV1) unless
     * deflate would not shrink it; metrics and logs count the message itself */
    if (c->pmd.on && (opcode == WS_OP_TEXT || opcode == WS_OP_BINARY) &&
        (z = ws_deflate_compress(&c->pmd, p, n, &wire, &wn)) < 0)
        return WSX_ENOMEM;
    size_t hl = ws_frame_encode_header(hdr, 1, opcode, wn, NULL);
    if (z)
        hdr[0] |= 0x40; /* RSV1: compressed */
    int rc = out_append(c, hdr, hl) < 0 || (wn && out_append(c, wire, wn) < 0) ? WSX_ENOMEM : 0;
    if (z) /* the compressed bytes are copied out (the message itself may still be in
            * use: an echo of an inflated message, a session's envelope) */
        ws_deflate_trim(WS_DEFLATE_TRIM_OUT);
    if (rc < 0)
        return rc;
    if (opcode == WS_OP_TEXT || opcode == WS_OP_BINARY) {
        MX_ADD(c->lst->mx->msgs_out, 1);
        MX_ADD(c->lst->mx->bytes_out, n);
        if (c->lst->cfg->log_messages)
            log_traffic(c, "out", opcode, p, n);
    }
    return 0;
}

static void send_close(ws_conn_t *c, uint16_t code, const char *reason)
{
    uint8_t p[125];
    size_t n = 0;
    if (code != 1005) {
        p[0] = (uint8_t)(code >> 8);
        p[1] = (uint8_t)code;
        size_t rl = reason ? strlen(reason) : 0;
        if (rl > sizeof p - 2)
            rl = sizeof p - 2;
        if (rl)
            memcpy(p + 2, reason, rl);
        n = 2 + rl;
    }
    send_frame(c, WS_OP_CLOSE, p, n);
}

/* Fail the WebSocket (RFC 6455 7.1.7): send a close frame and wait a little for
 * the peer's, discarding everything else it sends. */
static void conn_fail(ws_conn_t *c, uint16_t code, const char *reason)
{
    if (c->state != WS_ST_OPEN)
        return;
    c->close_code = code;
    if (c->auth_job) /* a login being checked is moot now */
        wsx_auth_cancel(c->auth_job);
    if (c->sess)
        wsx_session_end(c); /* the session is over now, not when TCP closes */
    send_close(c, code, reason);
    c->state = WS_ST_CLOSING;
    /* nothing is delivered after this, so input held back for a login check may
     * flow again: the peer's close is read and the connection ends at once */
    c->flags &= (uint8_t)~WS_F_PAUSED;
    free(c->msg);
    c->msg = NULL;
    c->msg_len = c->msg_cap = 0;
    c->msg_op = 0;
    ev_timer_start(c->lst->loop, &c->timer, CLOSE_TIMEOUT_MS, on_timer);
}

void ws_conn_close(ws_conn_t *c, uint16_t code, const char *reason)
{
    if (c->state == WS_ST_HTTP) {
        conn_drop(c);
        return;
    }
    conn_fail(c, code, reason);
    conn_flush(c);
}

static void http_error(ws_conn_t *c, int status, const char *extra)
{
    const char *text, *body;
    int why = status == 404   ? MX_HS_NOT_FOUND
              : status == 401 ? MX_HS_UNAUTHORIZED
              : status == 431 ? MX_HS_TOO_LARGE
              : status == 503 ? MX_HS_BUSY
              : extra         ? MX_HS_BAD_VERSION /* 400 naming the version we speak */
                              : MX_HS_BAD_REQUEST;
    MX_ADD(metrics_worker(workers_self())->hs_fail[why], 1);
    switch (status) {
    case 404:
        text = "Not Found";
        body = "{\"error\": \"Not found\"}";
        break;
    case 503:
        text = "Service Unavailable";
        body = "{\"error\": \"Too many logins in progress; try again later\"}";
        break;
    case 401:
        text = "Unauthorized";
        body = "{\"error\": \"Unauthorized\"}";
        break;
    case 431:
        text = "Request Header Fields Too Large";
        body = "{\"error\": \"Request header fields too large\"}";
        break;
    default:
        text = "Bad Request";
        body = "{\"error\": \"Bad request\"}";
        break;
    }
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
                     status, text, strlen(body), extra ? extra : "", body);
    out_append(c, buf, (size_t)n);
    c->state = WS_ST_CLOSING;
    c->flags |= WS_F_CLOSE_AFTER_FLUSH;
}

/* A limit refuses the upgrade (README "Limits"): 503 with the reason in the body,
 * counted by reason. */
static void http_refuse(ws_conn_t *c, int why, const char *error)
{
    MX_ADD(metrics_worker(workers_self())->refused[why], 1);
    char buf[512];
    int n = snprintf(buf, sizeof buf,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nRetry-After: 5\r\nConnection: close\r\n\r\n"
                     "{\"error\": \"%s\"}",
                     strlen(error) + 13, error);
    out_append(c, buf, (size_t)n);
    c->state = WS_ST_CLOSING;
    c->flags |= WS_F_CLOSE_AFTER_FLUSH;
}

/* Send the 101 and start the WebSocket. */
static void open_ws(ws_conn_t *c, const char *resp, size_t n)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    out_append(c, resp, n);
    c->state = WS_ST_OPEN;
    c->flags |= WS_F_PONG_SEEN | WS_F_COUNTED;
    limits_peer_release(c->peer); /* its handshake is over */
    c->peer = NULL;
    MX_ADD(c->lst->mx->open, 1);
    /* raw channels: no login, so the new-token wait ends with the handshake and
     * the ping timer takes over; json channels keep the new-token wait running
     * until create-session */
    if (cfg->raw)
        ev_timer_start(c->lst->loop, &c->timer, cfg->ping_interval_ms, on_timer);
}

#define WWW_AUTHENTICATE "WWW-Authenticate: Basic realm=\"wsx\"\r\n"

/* The Authorization header of a raw channel's upgrade (WSX-PROTOCOL.md section
 * 8): "Basic base64(user:password)" for basic_auth, "Bearer SECRET" for jwt and
 * apikey. Fills user and secret (NUL-terminated). Returns 0 or WSX_EAUTH. */
static int parse_authorization(const wsx_slice_t *h, security_type_t type, char *user,
                               size_t ucap, char *secret, size_t scap, size_t *slen)
{
    if (!h)
        return WSX_EAUTH;
    const char *p = (const char *)h->ptr;
    size_t n = h->len;
    if (type == SECURITY_BASIC_AUTH) {
        if (n < 6 || strncasecmp(p, "Basic ", 6) != 0)
            return WSX_EAUTH;
        size_t bin = 0;
        const char *end;
        if (sodium_base642bin((unsigned char *)secret, scap - 1, p + 6, n - 6, " ", &bin, &end,
                              sodium_base64_VARIANT_ORIGINAL) != 0 || end != p + n)
            return WSX_EAUTH;
        secret[bin] = 0;
        char *colon = memchr(secret, ':', bin);
        if (!colon || (size_t)(colon - secret) >= ucap)
            return WSX_EAUTH;
        size_t ul = (size_t)(colon - secret);
        memcpy(user, secret, ul);
        user[ul] = 0;
        *slen = bin - ul - 1;
        memmove(secret, colon + 1, *slen + 1);
        return 0;
    }
    if (n < 7 || strncasecmp(p, "Bearer ", 7) != 0 || n - 7 >= scap)
        return WSX_EAUTH;
    user[0] = 0;
    memcpy(secret, p + 7, n - 7);
    secret[n - 7] = 0;
    *slen = n - 7;
    return 0;
}

/* The login checker's answer for a raw channel's upgrade: 101 or 401. The 101
 * waited in c->msg (unused before the upgrade). */
static void raw_auth_done(void *ctx, int ok)
{
    ws_conn_t *c = ctx;
    c->auth_job = NULL;
    if (ws_conn_unhold(c))
        return;
    if (c->state == WS_ST_HTTP) {
        if (ok)
            open_ws(c, (const char *)c->msg, c->msg_len);
        else
            http_error(c, 401, WWW_AUTHENTICATE);
    }
    free(c->msg);
    c->msg = NULL;
    c->msg_len = c->msg_cap = 0;
    ws_conn_resume(c);
}

/* A raw channel with a security definition: check the upgrade's credentials.
 * Returns 1 (open), 0 (refused with 401) or 2 (being checked: input paused). */
static int raw_login(ws_conn_t *c, const http_request_t *req, const char *resp, size_t n)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    char user[SECURITY_USERNAME_MAX + 1];
    static __thread char secret[8192];
    size_t slen = 0;
    if (parse_authorization(http_request_header(req, "Authorization"), cfg->cred.type, user,
                            sizeof user, secret, sizeof secret, &slen) < 0) {
        http_error(c, 401, WWW_AUTHENTICATE);
        return 0;
    }
    if (cfg->cred.type == SECURITY_JWT) {
        int ok = security_check(&cfg->cred, wsx_slice(user, strlen(user)), wsx_slice(secret, slen),
                                time(NULL)) == 0;
        sodium_memzero(secret, slen);
        if (!ok) {
            http_error(c, 401, WWW_AUTHENTICATE);
            return 0;
        }
        open_ws(c, resp, n);
        return 1;
    }
    if (!(c->msg = malloc(n))) {
        sodium_memzero(secret, slen);
        conn_drop(c);
        return 0;
    }
    memcpy(c->msg, resp, n);
    c->msg_len = c->msg_cap = (uint32_t)n;
    int rc = wsx_auth_submit(&cfg->cred, wsx_slice(user, strlen(user)), wsx_slice(secret, slen),
                             c->lst->loop, raw_auth_done, c, &c->auth_job);
    sodium_memzero(secret, slen);
    if (rc == WSX_EBUSY) { /* too many logins being checked: a flood */
        http_error(c, 503, "Retry-After: 1\r\n");
        return 0;
    }
    if (rc < 0) {
        conn_drop(c);
        return 0;
    }
    c->holds++;
    c->flags |= WS_F_PAUSED;
    return 2;
}

/* The upgrade request is complete: answer it. Returns 1 when the connection is
 * now a WebSocket, 2 when its credentials are being checked, 0 when refused. */
static int upgrade(ws_conn_t *c, const http_request_t *req)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    if (req->path.len != cfg->path_len || memcmp(req->path.ptr, cfg->path, cfg->path_len) != 0) {
        http_error(c, 404, NULL);
        return 0;
    }
    wsx_slice_t key;
    int rc = ws_handshake_check(req, &key);
    if (rc == WSX_EPROTO) {
        http_error(c, 400, "Sec-WebSocket-Version: 13\r\n");
        return 0;
    }
    if (rc < 0) {
        http_error(c, 400, NULL);
        return 0;
    }
    /* the limits on new WebSockets, before anything is set up for this one: the
     * server's memory budget, then the channel's connection count */
    if (limits_over_memory()) {
        http_refuse(c, MX_REF_MEMORY, "The server is above its memory budget; try again later");
        return 0;
    }
    if (!metrics_open_take(cfg->mx, cfg->max_connections)) {
        http_refuse(c, MX_REF_CHANNEL_LIMIT,
                    "The channel has its maximum of connections; try again later");
        return 0;
    }
    c->flags |= WS_F_SLOT;
    char resp[512];
    size_t n = ws_handshake_response(resp, sizeof resp, key);
    ws_deflate_params_t pmd;
    if (cfg->permessage_deflate && n && ws_deflate_negotiate_request(req, &pmd)) {
        ws_deflate_cap(&pmd, cfg->deflate_max_window_bits);
        /* the extension's line goes before the 101's closing blank line */
        size_t x = ws_deflate_response(&pmd, resp + n - 2, sizeof resp - n);
        if (x) {
            memcpy(resp + n - 2 + x, "\r\n", 2);
            n += x;
            ws_deflate_init(&c->pmd, &pmd, cfg->deflate_max_window_bits);
        }
    }
    /* kept for the services' environment (rare: only behind a proxy) */
    const wsx_slice_t *xff = http_request_header(req, "X-Forwarded-For");
    if (xff && xff->len &&
        !(c->xff = strndup((const char *)xff->ptr, xff->len < 255 ? xff->len : 255))) {
        conn_drop(c);
        return 0;
    }
    if (!cfg->raw && wsx_session_open(c, req) < 0) {
        conn_drop(c);
        return 0;
    }
    if (cfg->raw && cfg->cred.type != SECURITY_NONE)
        return raw_login(c, req, resp, n);
    open_ws(c, resp, n);
    return 1;
}

/* "IP:PORT" of the peer, for the service's environment; "" if unknown. */
static void peer_address(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    char host[INET6_ADDRSTRLEN] = "";
    out[0] = 0;
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&ss;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
        snprintf(out, cap, "%s:%u", host, ntohs(a->sin_port));
    } else if (ss.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&ss;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
        snprintf(out, cap, "[%s]:%u", host, ntohs(a->sin6_port));
    }
}

typedef struct peer_arg {
    ws_conn_t *c;
    wsx_env_t *env;
    char addr[INET6_ADDRSTRLEN + 16];
    char time[ISOTIME_LEN + 1];
} peer_arg_t;

/* service_ctx_t.env_fill: what costs a system call or formatting (the peer address,
 * the connection time), only for services that may read it */
static void fill_peer(void *arg)
{
    peer_arg_t *a = arg;
    if (!a->addr[0])
        peer_address(a->c->io.fd, a->addr, sizeof a->addr);
    if (!a->time[0])
        isotime_format(a->c->accepted_us, a->time);
    a->env->peer_address = a->addr;
    a->env->connection_time = a->time;
}

/* A whole message: call the service and queue its reply. */
static void deliver(ws_conn_t *c, int opcode, const uint8_t *p, size_t n)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    MX_ADD(c->lst->mx->msgs_in, 1);
    MX_ADD(c->lst->mx->bytes_in, n);
    if (cfg->log_messages)
        log_traffic(c, "in", opcode, p, n);
    if (!cfg->raw) {
        wsx_session_on_message(c, p, n);
        return;
    }
    /* raw channels: no session, so no client ids, login or attrs */
    wsx_env_t env = {.channel_id = cfg->id, .channel_name = cfg->name, .data_format = "raw",
                     .pub_client_id = "", .ext_client_id = "", .ext_client_name = "",
                     .username = "", .peer_address = "", .peer_forwarded_for = c->xff ? c->xff : "",
                     .connection_time = ""};
    peer_arg_t peer;
    peer.c = c;
    peer.env = &env;
    peer.addr[0] = peer.time[0] = 0;
    wsx_call_t call = {.kind = WSX_CALL_INVOKE, .env = &env, .input = p, .input_len = n,
                       .is_binary = opcode == WS_OP_BINARY};
    service_ctx_t ctx = {.env_fill = fill_peer, .env_arg = &peer};
    wsx_reply_t reply;
    uint64_t t0 = mx_call_start(c->lst->mx);
    int rc = cfg->service ? service_call(cfg->service, &call, &reply, &ctx) : WSX_ENOTFOUND;
    mx_call_end(c->lst->mx, t0);
    if (rc == WSX_ENOTFOUND) {
        log_warn("channel \"%s\": its service %s is not deployed", cfg->name,
                 cfg->service ? service_name(cfg->service) : "(unknown)");
        conn_fail(c, 1011, "service unavailable");
        return;
    }
    if (reply.status != 200) {
        conn_fail(c, 1011, "service failed");
        return;
    }
    /* a text message answers with text, which must be UTF-8; the input was checked,
     * so an echo of (part of) it needs no second pass */
    int borrowed = reply.output >= p && reply.output + reply.output_len <= p + n;
    if (opcode == WS_OP_TEXT && !borrowed && reply.output_len &&
        utf8_validate(reply.output, reply.output_len) < 0) {
        log_warn("channel \"%s\": service %s answered a text message with invalid UTF-8",
                 cfg->name, service_name(cfg->service));
        conn_fail(c, 1011, "service failed");
        return;
    }
    if (send_frame(c, opcode, reply.output, reply.output_len) < 0) {
        conn_fail(c, 1011, "out of memory");
        return;
    }
}

static int msg_append(ws_conn_t *c, const uint8_t *p, size_t n)
{
    if (n == 0) /* RFC 6455 allows empty fragments */
        return 0;
    if (grow(&c->msg, &c->msg_cap, (size_t)c->msg_len + n) < 0)
        return WSX_ENOMEM;
    memcpy(c->msg + c->msg_len, p, n);
    c->msg_len += (uint32_t)n;
    return 0;
}

/* A whole permessage-deflate message (RSV1 on its first frame): inflate it within
 * the channel's limit (1009 as soon as the output passes it, so a small bomb
 * costs at most max_message_size), check text, deliver. */
static void deliver_inflated(ws_conn_t *c, int opcode, const uint8_t *p, size_t n)
{
    const uint8_t *m;
    size_t mn;
    int rc = ws_deflate_inflate(&c->pmd, p, n, c->lst->cfg->max_message_size, &m, &mn);
    if (rc == WSX_ETOOBIG)
        conn_fail(c, 1009, "message too big");
    else if (rc == WSX_ENOMEM)
        conn_fail(c, 1011, "out of memory");
    else if (rc < 0)
        conn_fail(c, 1002, "invalid compressed data");
    else if (opcode == WS_OP_TEXT && utf8_validate(m, mn) < 0)
        conn_fail(c, 1007, "invalid UTF-8 in text message");
    else
        deliver(c, opcode, m, mn);
    ws_deflate_trim(WS_DEFLATE_TRIM_IN | WS_DEFLATE_TRIM_OUT); /* delivered, or refused */
}

/* One complete, unmasked frame of an open connection. */
static void on_frame(ws_conn_t *c, const ws_frame_hdr_t *h, uint8_t *p)
{
    size_t n = (size_t)h->payload_len;
    switch (h->opcode) {
    case WS_OP_TEXT:
    case WS_OP_BINARY:
        /* RSV1 reaches here only where permessage-deflate was agreed */
        c->pmd.rx = (h->rsv & 4) != 0;
        if (h->fin && c->pmd.rx) {
            deliver_inflated(c, h->opcode, p, n);
            return;
        }
        if (h->fin) { /* the common case: one frame, delivered in place */
            if (h->opcode == WS_OP_TEXT && utf8_validate(p, n) < 0) {
                conn_fail(c, 1007, "invalid UTF-8 in text message");
                return;
            }
            deliver(c, h->opcode, p, n);
            return;
        }
        c->msg_op = h->opcode;
        c->utf8 = UTF8_STATE_INIT;
        /* fall through */
    case WS_OP_CONT:
        /* a compressed message's text is checked once inflated */
        if (c->msg_op == WS_OP_TEXT && !c->pmd.rx && utf8_feed(&c->utf8, p, n) < 0) {
            conn_fail(c, 1007, "invalid UTF-8 in text message");
            return;
        }
        if (msg_append(c, p, n) < 0) {
            conn_fail(c, 1011, "out of memory");
            return;
        }
        if (h->fin) {
            if (c->pmd.rx) {
                deliver_inflated(c, c->msg_op, c->msg, c->msg_len);
            } else if (c->msg_op == WS_OP_TEXT && !utf8_complete(&c->utf8)) {
                conn_fail(c, 1007, "invalid UTF-8 in text message");
                return;
            } else {
                deliver(c, c->msg_op, c->msg, c->msg_len);
            }
            free(c->msg);
            c->msg = NULL;
            c->msg_len = c->msg_cap = 0;
            c->msg_op = 0;
        }
        return;
    case WS_OP_PING:
        send_frame(c, WS_OP_PONG, p, n);
        return;
    case WS_OP_PONG:
        if (c->sess) {
            wsx_session_on_pong(c, p, n);
            return;
        }
        c->flags |= WS_F_PONG_SEEN;
        c->missed = 0;
        return;
    case WS_OP_CLOSE: {
        uint16_t code;
        wsx_slice_t reason;
        int rc = ws_close_parse(p, n, &code, &reason);
        if (rc == WSX_EUTF8) {
            conn_fail(c, 1007, "invalid UTF-8 in close reason");
            return;
        }
        if (rc < 0) {
            conn_fail(c, 1002, "invalid close frame");
            return;
        }
        /* Echo the code (1005: an empty close), then close TCP as soon as the
         * echo is out: the peer may send nothing after its close, so there is no
         * unread data to turn our FIN into a RST. */
        send_close(c, code, NULL);
        c->close_code = code;
        if (c->sess)
            wsx_session_end(c);
        c->state = WS_ST_CLOSING;
        c->flags |= WS_F_CLOSE_AFTER_FLUSH | WS_F_DROP_AFTER_FLUSH;
        ev_timer_start(c->lst->loop, &c->timer, CLOSE_TIMEOUT_MS, on_timer);
        return;
    }
    }
}

/* Consume what can be consumed of buf[0..len): the request head, then frames.
 * Returns the bytes consumed; the rest is a partial head or frame. Frames are
 * unmasked in place, so buf must be writable. `seen`: bytes of buf already offered
 * before (the parser rescans only the new ones). */
static size_t conn_input(ws_conn_t *c, uint8_t *buf, size_t len, size_t seen)
{
    size_t off = 0;
    c->in_need = 0;
    if (c->state == WS_ST_HTTP) {
        http_request_t req;
        int r = http_parse_request(buf, len, seen, &req);
        if (r == WSX_EAGAIN) {
            if (len < HEAD_MAX)
                return 0;
            http_error(c, 431, NULL);
            return len;
        }
        if (r < 0 || (size_t)r > HEAD_MAX) {
            http_error(c, r < 0 ? 400 : 431, NULL);
            return len;
        }
        int up = upgrade(c, &req);
        if (!up)
            return len;
        off = (size_t)r;
        if (up == 2)
            return off; /* what follows the head waits for the login check */
    }
    while (off < len && !(c->flags & WS_F_PAUSED) &&
           (c->state == WS_ST_OPEN || c->state == WS_ST_CLOSING)) {
        if (c->flags & WS_F_CLOSE_AFTER_FLUSH)
            return len; /* our last frame is queued: nothing more to read */
        ws_frame_hdr_t h;
        int r = ws_frame_decode_header(buf + off, len - off, &h);
        if (r == WSX_EAGAIN)
            break;
        const char *why = "invalid frame length";
        /* RSV1 means "compressed" only where permessage-deflate was agreed, and
         * only on a data message's first frame (RFC 7692 6); elsewhere: 1002 */
        ws_frame_hdr_t hc = h;
        if (c->pmd.on && (h.opcode == WS_OP_TEXT || h.opcode == WS_OP_BINARY))
            hc.rsv &= 3;
        if (r < 0 || ws_frame_check_client(&hc, &why) < 0) {
            if (c->state == WS_ST_CLOSING) {
                conn_drop(c);
                return len;
            }
            conn_fail(c, 1002, why);
            return len;
        }
        if (c->state == WS_ST_OPEN && h.opcode < 8) {
            if (h.opcode == WS_OP_CONT && !c->msg_op) {
                conn_fail(c, 1002, "continuation frame with nothing to continue");
                return len;
            }
            if (h.opcode != WS_OP_CONT && c->msg_op) {
                conn_fail(c, 1002, "new message before the previous one ended");
                return len;
            }
            if (c->msg_len + h.payload_len > c->lst->cfg->max_message_size) {
                conn_fail(c, 1009, "message too big");
                return len;
            }
        }
        uint64_t total = h.header_len + h.payload_len;
        if (len - off < total) {
            /* After our close only the peer's close frame (<= 125 bytes) matters:
             * never buffer a big frame we would discard anyway. */
            if (c->state == WS_ST_CLOSING && total > WS_FRAME_MAX_HEADER + 125) {
                conn_drop(c);
                return len;
            }
            c->in_need = (uint32_t)total; /* open: bounded by max_message_size */
            break;
        }
        uint8_t *p = buf + off + h.header_len;
        ws_frame_unmask(p, (size_t)h.payload_len, h.mask, 0);
        off += (size_t)total;
        if (c->state == WS_ST_CLOSING) {
            if (h.opcode == WS_OP_CLOSE) { /* the peer answered our close */
                c->flags |= WS_F_CLOSE_AFTER_FLUSH;
                return len;
            }
            continue; /* RFC 6455 7.1.7: discard what follows our close */
        }
        on_frame(c, &h, p);
        if (c->flags & WS_F_PAUSED)
            break; /* a login is being checked: keep the rest for ws_conn_resume */
    }
    return off;
}

static void conn_keep(ws_conn_t *c, uint8_t *buf, size_t len, size_t used);

static void conn_read(ws_conn_t *c)
{
    uint8_t *buf;
    size_t have, cap;
    if (c->in_len) {
        size_t need = c->in_len + IN_MIN_GROW;
        if (c->in_need > need)
            need = c->in_need;
        if (c->in_cap - c->in_len < IN_MIN_GROW && grow(&c->in, &c->in_cap, need) < 0) {
            conn_drop(c);
            return;
        }
        buf = c->in;
        have = c->in_len;
        cap = c->in_cap;
    } else {
        if (!t_rbuf && !(t_rbuf = malloc(RBUF_SIZE))) {
            conn_drop(c);
            return;
        }
        buf = t_rbuf;
        have = 0;
        cap = RBUF_SIZE;
    }
    ssize_t n =
        c->tls ? tls_recv(c, buf + have, cap - have) : recv(c->io.fd, buf + have, cap - have, 0);
    if (n <= 0) {
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return;
        conn_drop(c); /* EOF or error: nothing left to say to this peer */
        return;
    }
    if (c->state == WS_ST_DRAIN)
        return; /* we are done talking: discard until EOF */
    size_t len = have + (size_t)n;
    conn_keep(c, buf, len, conn_input(c, buf, len, have));
}

/* After conn_input consumed `used` bytes of buf[0..len): keep the rest in c->in. */
static void conn_keep(ws_conn_t *c, uint8_t *buf, size_t len, size_t used)
{
    if (c->state == WS_ST_DEAD)
        return;
    size_t left = len - used;
    if (buf == c->in) {
        if (left && used)
            memmove(c->in, c->in + used, left);
        c->in_len = (uint32_t)left;
        if (!left) {
            free(c->in);
            c->in = NULL;
            c->in_cap = 0;
        }
    } else if (left) {
        size_t want = left + IN_MIN_GROW;
        if (c->in_need > want)
            want = c->in_need;
        if (grow(&c->in, &c->in_cap, want) < 0) {
            conn_drop(c);
            return;
        }
        memcpy(c->in, buf + used, left);
        c->in_len = (uint32_t)left;
    }
}

/* slow_consumer_seconds above the mark (policy close): 1008, queued behind the
 * backlog; if the client does not read that far within the close timeout, the TCP
 * connection is dropped. */
static void on_slow_timer(ev_loop_t *loop, ev_timer_t *t)
{
    ws_conn_t *c = (ws_conn_t *)((char *)t - offsetof(ws_conn_t, slow_timer));
    const chan_cfg_t *cfg = c->lst->cfg;
    if (c->state != WS_ST_OPEN || cfg->slow_drop ||
        c->out_len - c->out_off <= cfg->write_queue_high_water)
        return; /* the policy changed, or the client caught up */
    log_warn("channel \"%s\": closing a slow consumer (%u bytes unsent for %llu s)", cfg->name,
             (unsigned)(c->out_len - c->out_off),
             (unsigned long long)(cfg->slow_consumer_ms / 1000));
    conn_fail(c, 1008, "slow consumer: output not read");
    conn_flush(c);
}

/* The write queue is above the channel's high-water mark. Policy close: stop
 * reading this client (backpressure: it cannot make us queue more) and time how
 * long it stays there. Policy drop: keep reading; send_frame drops its output. */
static void slow_above(ws_conn_t *c, uint32_t *want)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    if (!cfg->slow_drop)
        *want &= ~(uint32_t)EV_READ;
    if (c->flags & WS_F_STALLED)
        return;
    c->flags |= WS_F_STALLED;
    if (!cfg->slow_drop && c->state == WS_ST_OPEN)
        ev_timer_start(c->lst->loop, &c->slow_timer, cfg->slow_consumer_ms, on_slow_timer);
}

static void slow_below(ws_conn_t *c)
{
    c->flags &= (uint8_t)~WS_F_STALLED;
    ev_timer_stop(c->lst->loop, &c->slow_timer);
}

/* The hard cap, whatever the policy: what the server sends on its own (pushes,
 * broadcasts, pings, pongs to a client's pings) can outgrow the mark while the
 * policy waits; a queue past the mark plus the larger of the mark and one message
 * is dropped now (1008), so memory per client stays bounded. Returns 1 if it was.
 * Cold: only a backlog above the mark gets here. */
__attribute__((cold, noinline)) static int past_hard_cap(ws_conn_t *c, uint32_t backlog)
{
    const chan_cfg_t *cfg = c->lst->cfg;
    uint64_t mark = cfg->write_queue_high_water;
    uint64_t slack = mark > cfg->max_message_size ? mark : cfg->max_message_size;
    if (backlog - mark <= slack)
        return 0;
    log_warn("channel \"%s\": dropping a slow consumer (%u bytes unsent, past the hard cap)",
             cfg->name, (unsigned)backlog);
    c->close_code = 1008;
    conn_drop(c);
    return 1;
}

/* Send what is queued; keep the rest for EV_WRITE; apply the high-water mark; and
 * once a connection's last frame is out, half-close and wait for the peer's FIN. */
static void conn_flush(ws_conn_t *c)
{
    if (c->state == WS_ST_DEAD) {
        t_wb.len = 0;
        return;
    }
    ev_loop_t *loop = c->lst->loop;
    if (t_wb.len) {
        ssize_t n = c->tls ? tls_send(c, t_wb.p, t_wb.len)
                           : send(c->io.fd, t_wb.p, t_wb.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                t_wb.len = 0;
                conn_drop(c);
                return;
            }
            n = 0;
        }
        if ((size_t)n < t_wb.len) {
            size_t rest = t_wb.len - (size_t)n;
            if (grow(&c->out, &c->out_cap, rest) < 0) {
                t_wb.len = 0;
                conn_drop(c);
                return;
            }
            memcpy(c->out, t_wb.p + n, rest);
            c->out_off = 0;
            c->out_len = (uint32_t)rest;
        }
        t_wb.len = 0;
    } else if (c->out_len > c->out_off) {
        ssize_t n = c->tls ? tls_send(c, c->out + c->out_off, c->out_len - c->out_off)
                           : send(c->io.fd, c->out + c->out_off, c->out_len - c->out_off,
                                  MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                conn_drop(c);
                return;
            }
            n = 0;
        }
        c->out_off += (uint32_t)n;
    }
    uint32_t backlog = c->out_len - c->out_off;
    if (backlog == 0 && c->out) {
        free(c->out);
        c->out = NULL;
        c->out_off = c->out_len = c->out_cap = 0;
    }
    if (backlog == 0 && (c->flags & WS_F_CLOSE_AFTER_FLUSH)) {
        if (c->flags & WS_F_DROP_AFTER_FLUSH) {
            conn_drop(c);
            return;
        }
        c->flags &= (uint8_t)~WS_F_CLOSE_AFTER_FLUSH;
        c->state = WS_ST_DRAIN;
        if (c->tls)
            tls_shutdown(c->tls); /* close_notify before the FIN */
        shutdown(c->io.fd, SHUT_WR);
        ev_timer_start(loop, &c->timer, CLOSE_TIMEOUT_MS, on_timer);
    }
    uint32_t want = c->flags & WS_F_PAUSED ? 0 : EV_READ;
    if (backlog) {
        want |= EV_WRITE;
        if (backlog > c->lst->cfg->write_queue_high_water) {
            if (past_hard_cap(c, backlog))
                return;
            slow_above(c, &want);
        } else if (c->flags & WS_F_STALLED) {
            slow_below(c);
        }
    } else if (c->flags & WS_F_STALLED) {
        slow_below(c);
    }
    /* wss://: what a TLS read or write waits for (a paused connection reads nothing) */
    want |= c->flags & WS_F_PAUSED ? c->tls_want & (uint8_t)~EV_READ : c->tls_want;
    ev_io_set(loop, &c->io, want);
}

static void on_io(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    ws_conn_t *c = (ws_conn_t *)io;
    if (events & EV_WRITE) {
        conn_flush(c);
        if (c->state == WS_ST_DEAD)
            return;
    }
    if ((events & EV_READ) || ((c->tls_want & EV_WRITE) && (events & EV_WRITE)))
        conn_read(c);
    conn_flush(c);
    if (c->tls)
        tls_drain(c);
}

static void on_timer(ev_loop_t *loop, ev_timer_t *t)
{
    ws_conn_t *c = (ws_conn_t *)((char *)t - offsetof(ws_conn_t, timer));
    const chan_cfg_t *cfg = c->lst->cfg;
    switch (c->state) {
    case WS_ST_OPEN:
        if (c->sess) {
            wsx_session_on_timer(c);
            return;
        }
        ws_conn_check_stalled(c);
        if (!(c->flags & WS_F_PONG_SEEN) && ++c->missed >= cfg->pings_missed_threshold) {
            conn_fail(c, 4002, "Pings missed");
            conn_flush(c);
            return;
        }
        c->flags &= (uint8_t)~WS_F_PONG_SEEN;
        send_frame(c, WS_OP_PING, NULL, 0);
        conn_flush(c);
        if (c->state != WS_ST_OPEN)
            return; /* the send failed (a reset peer): never re-arm a dead connection */
        ev_timer_start(loop, &c->timer, cfg->ping_interval_ms, on_timer);
        return;
    default: /* handshake not finished in time, or the peer never closed */
        if (c->state == WS_ST_HTTP)
            MX_ADD(metrics_worker(workers_self())->hs_fail[MX_HS_TIMEOUT], 1);
        conn_drop(c);
        return;
    }
}

/* --max-connections reached: answer 503 without reading the request, and close.
 * What the client already sent is read first, so close() sends a FIN and not a
 * reset that could overtake the answer. */
static void refuse_at_accept(int fd)
{
#define FULL_BODY "{\"error\": \"The server has its maximum of connections; try again later\"}"
    char resp[256];
    int n = snprintf(resp, sizeof resp,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nRetry-After: 5\r\nConnection: close\r\n\r\n%s",
                     sizeof FULL_BODY - 1, FULL_BODY);
#undef FULL_BODY
    char sink[4096];
    for (int i = 0; i < 4 && recv(fd, sink, sizeof sink, MSG_DONTWAIT) > 0; i++)
        ; /* bounded: a flood of refused clients must not hold the worker here */
    (void)!send(fd, resp, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT);
    shutdown(fd, SHUT_WR);
    close(fd);
}

int ws_conn_accept(listener_t *l, int fd)
{
    /* the server's limits at accept (README "Limits"), before any allocation */
    if (limits_conn_take() < 0) {
        MX_ADD(metrics_worker(workers_self())->refused[MX_REF_SERVER_LIMIT], 1);
        if (l->cfg->tls) /* no plaintext answer inside a TLS handshake: just close */
            close(fd);
        else
            refuse_at_accept(fd);
        return 0;
    }
    limits_peer_t *peer;
    int rc = limits_peer_take(fd, &peer);
    if (rc < 0) {
        limits_conn_release();
        if (rc == WSX_EBUSY) /* a peer with that many handshakes open is abusive: no answer */
            MX_ADD(metrics_worker(workers_self())->refused[MX_REF_PEER_HANDSHAKES], 1);
        close(fd);
        return rc == WSX_EBUSY ? 0 : rc;
    }
    ws_conn_t *c = calloc(1, sizeof *c);
    if (!c) {
        limits_conn_release();
        limits_peer_release(peer);
        close(fd);
        return WSX_ENOMEM;
    }
    c->peer = peer;
    c->lst = l;
    c->state = WS_ST_HTTP;
    c->accepted_us = isotime_now_us();
    MX_ADD(l->mx->accepted, 1);
    c->close_code = 1006; /* until a close frame says otherwise */
    if (l->cfg->tls && !(c->tls = tls_new(l->cfg->tls, fd))) {
        limits_conn_release();
        limits_peer_release(peer);
        close(fd);
        free(c);
        return WSX_ENOMEM;
    }
    if (ev_io_start(l->loop, &c->io, fd, EV_READ, on_io) < 0) {
        limits_conn_release();
        limits_peer_release(peer);
        if (c->tls)
            tls_free(c->tls);
        close(fd);
        free(c);
        return WSX_EIO;
    }
    l->refs++;
    c->next = l->conns;
    if (c->next)
        c->next->prev = c;
    l->conns = c;
    /* the new-token wait time also bounds the HTTP handshake */
    ev_timer_start(l->loop, &c->timer, l->cfg->new_token_wait_ms, on_timer);
    return 0;
}

size_t ws_conn_queued(const ws_conn_t *c)
{
    return c->out_len - c->out_off;
}

int ws_conn_send_frame(ws_conn_t *c, int opcode, const uint8_t *p, size_t n)
{
    return send_frame(c, opcode, p, n);
}

void ws_conn_flush(ws_conn_t *c)
{
    conn_flush(c);
}

void ws_conn_fail(ws_conn_t *c, uint16_t code, const char *reason)
{
    conn_fail(c, code, reason);
}

void ws_conn_pause(ws_conn_t *c)
{
    c->flags |= WS_F_PAUSED;
}

void ws_conn_resume(ws_conn_t *c)
{
    c->flags &= (uint8_t)~WS_F_PAUSED;
    if (c->state == WS_ST_DEAD)
        return;
    if (c->in_len)
        conn_keep(c, c->in, c->in_len, conn_input(c, c->in, c->in_len, c->in_len));
    conn_flush(c);
    if (c->tls)
        tls_drain(c); /* input the session held while we were paused */
}

void ws_conn_check_stalled(ws_conn_t *c)
{
    /* the slow timer does the work; a ping tick only arms it when the policy became
     * close while the client was already above the mark */
    const chan_cfg_t *cfg = c->lst->cfg;
    if (c->state == WS_ST_OPEN && !cfg->slow_drop && (c->flags & WS_F_STALLED) &&
        !ev_timer_active(&c->slow_timer))
        ev_timer_start(c->lst->loop, &c->slow_timer, cfg->slow_consumer_ms, on_slow_timer);
}

void ws_conn_arm_timer(ws_conn_t *c, uint64_t after_ms)
{
    ev_timer_start(c->lst->loop, &c->timer, after_ms, on_timer);
}
