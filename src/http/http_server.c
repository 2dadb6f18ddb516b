/* http_server.c - the admin plane's HTTP/1.1 server: one buffer per connection
 * (requests are small and rare), a handler per request, keep-alive. Runs on the
 * control thread; handlers may block briefly on the ODB, and defer a reply that
 * waits for something else (http_server_defer). With http_server_set_tls it is
 * HTTPS: the socket is read and written through a TLS session (net/tls.h). */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "http/http_server.h"
#include "net/sock.h"
#include "net/tls.h"

#define HEAD_MAX 16384
#define IDLE_MS 30000

typedef struct hconn hconn_t;

struct http_server {
    ev_io_t io;
    ev_loop_t *loop;
    size_t max_body;
    http_handler_fn fn;
    void *ctx;
    hconn_t *conns;
    tls_ctx_t *tls; /* borrowed (http_server_set_tls); NULL: plain HTTP */
};

struct hconn {
    ev_io_t io;
    ev_timer_t idle;
    ev_defer_t free_d;
    http_server_t *srv;
    hconn_t *next, *prev;
    uint8_t *in;
    size_t in_len, in_cap;
    size_t seen; /* bytes of the current head already offered to the parser */
    uint8_t *out;
    size_t out_off, out_len;
    int close_after, dead;
    http_defer_t *pending; /* a deferred reply not sent yet: requests behind it wait */
    int pending_keep;      /* keep-alive of the request being handled */
    int in_handler;        /* inside the handler: process() answers and moves on */
    int peer_eof;          /* the client half-closed while a reply was pending */
    char peer[INET6_ADDRSTRLEN]; /* the client's address, for the handler */
    tls_t *tls;                  /* HTTPS: the connection's session, owned */
    int tls_want_write;          /* a TLS read waits for the socket to be writable */
};

/* Owned by whoever will complete it; the connection only points back, and its
 * close sets conn to NULL, so a late completion finds no connection, not a freed one. */
struct http_defer {
    hconn_t *conn;
};

const char *http_status_text(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 410: return "Gone";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Unknown";
}

static void hconn_free(ev_loop_t *loop, ev_defer_t *d)
{
    hconn_t *c = (hconn_t *)((char *)d - offsetof(hconn_t, free_d));
    free(c->in);
    free(c->out);
    free(c);
}

static void hconn_close(hconn_t *c)
{
    if (c->dead)
        return;
    c->dead = 1;
    if (c->pending) {
        c->pending->conn = NULL;
        c->pending = NULL;
    }
    int fd = c->io.fd;
    ev_io_stop(c->srv->loop, &c->io);
    if (c->tls) {
        tls_free(c->tls);
        c->tls = NULL;
    }
    close(fd);
    ev_timer_stop(c->srv->loop, &c->idle);
    if (c->prev)
        c->prev->next = c->next;
    else
        c->srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    ev_defer(c->srv->loop, &c->free_d, hconn_free);
}

/* recv/send, or their TLS equivalents with the same conventions (-1 and errno
 * EAGAIN: wait for the socket). */
static ssize_t conn_recv(hconn_t *c, void *buf, size_t len)
{
    if (!c->tls)
        return recv(c->io.fd, buf, len, 0);
    uint32_t want = 0;
    ssize_t n = tls_read(c->tls, buf, len, &want);
    c->tls_want_write = n == WSX_EAGAIN && want == EV_WRITE;
    if (n >= 0)
        return n;
    errno = n == WSX_EAGAIN ? EAGAIN : EIO;
    return -1;
}

static ssize_t conn_send(hconn_t *c, const void *buf, size_t len)
{
    if (!c->tls)
        return send(c->io.fd, buf, len, MSG_NOSIGNAL);
    uint32_t want = 0;
    ssize_t n = tls_write(c->tls, buf, len, &want);
    if (n >= 0)
        return n;
    errno = n == WSX_EAGAIN ? EAGAIN : EPIPE;
    return -1;
}

static void hconn_flush(hconn_t *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = conn_send(c, c->out + c->out_off, c->out_len - c->out_off);
        if (n < 0) {
            if (errno == EAGAIN) {
                ev_io_set(c->srv->loop, &c->io, EV_WRITE);
                return;
            }
            hconn_close(c);
            return;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_off = c->out_len = 0;
    if (c->close_after) {
        hconn_close(c);
        return;
    }
    ev_io_set(c->srv->loop, &c->io, EV_READ);
}

static void respond(hconn_t *c, http_reply_t *r, int keep_alive)
{
    const char *ct = r->content_type ? r->content_type : "application/json";
    const char *cc = r->cache_control ? r->cache_control : "no-store";
    char head[1536];
    char clen[64] = ""; /* a 304 has no body, and no length of one it does not send */
    if (r->status != 304)
        snprintf(clen, sizeof clen, "Content-Length: %zu\r\n", r->body_len);
    else
        r->body_len = 0;
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s"
                      "Cache-Control: %s\r\nX-Content-Type-Options: nosniff\r\n%s%s\r\n",
                      r->status, http_status_text(r->status), ct, clen, cc, r->headers,
                      keep_alive ? "" : "Connection: close\r\n");
    /* headers[] is bounded well below head[]: only a huge content type gets here */
    c->out = hl > 0 && (size_t)hl < sizeof head ? malloc((size_t)hl + r->body_len) : NULL;
    if (!c->out) {
        free(r->body);
        hconn_close(c);
        return;
    }
    memcpy(c->out, head, (size_t)hl);
    if (r->body_len)
        memcpy(c->out + hl, r->body, r->body_len);
    free(r->body);
    c->out_off = 0;
    c->out_len = (size_t)hl + r->body_len;
    c->close_after = !keep_alive;
    hconn_flush(c);
}

static void simple_error(hconn_t *c, int status, const char *code, const char *msg)
{
    http_reply_t r = {.status = status};
    char buf[512];
    int n = snprintf(buf, sizeof buf, "{\"error\": {\"code\": \"%s\", \"message\": \"%s\"}}", code,
                     msg);
    r.body = strdup(buf);
    r.body_len = r.body ? (size_t)n : 0;
    respond(c, &r, 0);
}

/* Handle every complete request in c->in. */
static void process(hconn_t *c)
{
    while (!c->dead && c->out_len == 0 && !c->pending && c->in_len > 0) {
        http_request_t req;
        int r = http_parse_request(c->in, c->in_len, c->seen, &req);
        if (r == WSX_EAGAIN) {
            c->seen = c->in_len;
            if (c->in_len >= HEAD_MAX)
                simple_error(c, 431, "head_too_large", "request head too large");
            return;
        }
        if (r < 0) {
            simple_error(c, 400, "bad_request", "malformed HTTP request");
            return;
        }
        if (req.chunked) {
            simple_error(c, 411, "length_required", "send the body with a Content-Length");
            return;
        }
        size_t blen = req.content_length > 0 ? (size_t)req.content_length : 0;
        if (req.content_length > (int64_t)c->srv->max_body) {
            char msg[128];
            snprintf(msg, sizeof msg, "request body too large: at most %zu bytes",
                     c->srv->max_body);
            simple_error(c, 413, "too_large", msg);
            return;
        }
        if (c->in_len < (size_t)r + blen) {
            c->seen = 0; /* the head is complete; reparse it whole with the body */
            return;      /* body still coming */
        }
        c->seen = 0;
        const wsx_slice_t *conn_hdr = http_request_header(&req, "Connection");
        int keep = req.minor_version == 1 ? !(conn_hdr && wsx_slice_has_token(*conn_hdr, "close"))
                                          : (conn_hdr && wsx_slice_has_token(*conn_hdr, "keep-alive"));
        http_reply_t rep = {.status = 500, .priv = c};
        c->pending_keep = keep;
        c->in_handler = 1;
        c->srv->fn(c->srv->ctx, &req, wsx_slice(c->in + r, blen), &rep);
        c->in_handler = 0;
        size_t used = (size_t)r + blen;
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        if (rep.priv == NULL) { /* deferred: answered (or not yet) by http_server_complete */
            free(rep.body);
            continue;
        }
        respond(c, &rep, keep);
    }
}

static void on_idle(ev_loop_t *loop, ev_timer_t *t);

int http_reply_add_header(http_reply_t *out, const char *fmt, ...)
{
    size_t used = strnlen(out->headers, sizeof out->headers);
    size_t room = sizeof out->headers - used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out->headers + used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n + 2 >= room) {
        out->headers[used] = '\0';
        return WSX_ETOOBIG;
    }
    memcpy(out->headers + used + n, "\r\n", 3);
    return 0;
}

void http_server_set_tls(http_server_t *s, tls_ctx_t *ctx)
{
    s->tls = ctx;
}

int http_server_is_tls(const http_reply_t *out)
{
    const hconn_t *c = out->priv;
    return c && c->tls;
}

const char *http_server_peer(const http_reply_t *out)
{
    const hconn_t *c = out->priv;
    return c ? c->peer : "";
}

http_defer_t *http_server_defer(http_reply_t *out)
{
    hconn_t *c = out->priv;
    assert(c && c->in_handler && !c->pending);
    http_defer_t *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    d->conn = c;
    c->pending = d;
    out->priv = NULL;
    return d;
}

void http_server_complete(http_defer_t *d, http_reply_t *reply)
{
    hconn_t *c = d->conn;
    free(d);
    if (!c) {
        free(reply->body);
        return;
    }
    c->pending = NULL;
    respond(c, reply, c->pending_keep && !c->peer_eof);
    if (c->dead || c->in_handler)
        return; /* inside the handler, process() goes on with what follows */
    ev_timer_start(c->srv->loop, &c->idle, IDLE_MS, on_idle);
    if (c->out_len == 0)
        process(c); /* pipelined requests that waited behind this one */
}

static void on_conn(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    hconn_t *c = (hconn_t *)io;
    if (c->pending && (events & (EV_HUP | EV_ERROR))) {
        hconn_close(c); /* reset while we wait: nobody to answer (and no busy loop) */
        return;
    }
    if (c->tls_want_write && (events & EV_WRITE) && c->out_len == 0) {
        c->tls_want_write = 0;
        events |= EV_READ; /* the TLS read that waited for this */
        ev_io_set(loop, &c->io, EV_READ);
    } else if (events & EV_WRITE) {
        /* a reply stuck meanwhile goes first; a TLS read that waited for
         * writability is retried below once it is out */
        int read_waited = c->tls_want_write;
        c->tls_want_write = 0;
        hconn_flush(c);
        if (c->dead)
            return;
        if (c->out_len == 0 && c->in_len > 0) {
            process(c); /* requests that came in while the answer was stuck */
            return;
        }
        if (read_waited)
            events |= EV_READ;
    }
again:
    if (!(events & EV_READ) || c->out_len)
        return;
    size_t limit = HEAD_MAX + c->srv->max_body;
    if (c->in_cap - c->in_len < 4096) {
        size_t cap = c->in_cap ? c->in_cap * 2 : 8192;
        if (cap > limit + 4096)
            cap = limit + 4096;
        if (cap <= c->in_len) {
            if (c->pending) { /* not now: read the rest once the reply is out */
                ev_io_set(loop, &c->io, 0);
                return;
            }
            simple_error(c, 413, "too_large", "request too large");
            return;
        }
        uint8_t *p = realloc(c->in, cap);
        if (!p) {
            hconn_close(c);
            return;
        }
        c->in = p;
        c->in_cap = cap;
    }
    ssize_t n = conn_recv(c, c->in + c->in_len, c->in_cap - c->in_len);
    if (n <= 0) {
        if (n < 0 && errno == EAGAIN) {
            if (c->tls_want_write)
                ev_io_set(loop, &c->io, EV_READ | EV_WRITE);
            return;
        }
        if (n == 0 && c->pending) {
            /* a half-close: the client may still read the reply it waits for */
            c->peer_eof = 1;
            ev_io_set(loop, &c->io, 0);
            return;
        }
        hconn_close(c);
        return;
    }
    c->in_len += (size_t)n;
    ev_timer_start(loop, &c->idle, IDLE_MS, on_idle);
    process(c);
    /* HTTPS: the session may hold decrypted bytes no socket event will announce */
    if (!c->dead && c->tls && !c->pending && tls_pending(c->tls))
        goto again;
}

static void on_idle(ev_loop_t *loop, ev_timer_t *t)
{
    hconn_t *c = (hconn_t *)((char *)t - offsetof(hconn_t, idle));
    if (c->pending) { /* waiting for our own reply is not idleness */
        ev_timer_start(loop, t, IDLE_MS, on_idle);
        return;
    }
    hconn_close(c);
}

/* The client's address as text; an IPv4-mapped IPv6 one as plain IPv4, so one
 * client has one name whichever way the listener was bound. */
static void peer_name(int fd, char *out, size_t cap)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    out[0] = '\0';
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0)
        return;
    if (ss.ss_family == AF_INET) {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)cap);
    } else if (ss.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a))
            inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)cap);
        else
            inet_ntop(AF_INET6, a, out, (socklen_t)cap);
    }
}

static void on_accept(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    http_server_t *s = (http_server_t *)io;
    for (;;) {
        int fd = sock_accept(s->io.fd);
        if (fd < 0)
            return;
        hconn_t *c = calloc(1, sizeof *c);
        if (!c || ev_io_start(loop, &c->io, fd, EV_READ, on_conn) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->srv = s;
        if (s->tls && !(c->tls = tls_new(s->tls, fd))) {
            ev_io_stop(loop, &c->io);
            free(c);
            close(fd);
            continue;
        }
        peer_name(fd, c->peer, sizeof c->peer);
        c->next = s->conns;
        if (c->next)
            c->next->prev = c;
        s->conns = c;
        ev_timer_start(loop, &c->idle, IDLE_MS, on_idle);
    }
}

http_server_t *http_server_new(ev_loop_t *loop, int listen_fd, size_t max_body,
                               http_handler_fn fn, void *ctx)
{
    http_server_t *s = calloc(1, sizeof *s);
    if (!s) {
        close(listen_fd);
        return NULL;
    }
    s->loop = loop;
    s->max_body = max_body;
    s->fn = fn;
    s->ctx = ctx;
    if (ev_io_start(loop, &s->io, listen_fd, EV_READ, on_accept) < 0) {
        close(listen_fd);
        free(s);
        return NULL;
    }
    return s;
}

void http_server_free(http_server_t *s)
{
    if (!s)
        return;
    int fd = s->io.fd;
    ev_io_stop(s->loop, &s->io);
    close(fd);
    while (s->conns)
        hconn_close(s->conns);
    free(s);
}
