/* http_server.h - a small HTTP/1.1 server for the admin plane, on the control
 * thread's loop: request heads through http_parse, bodies by Content-Length,
 * keep-alive, one handler for every request. A handler that must wait (an admin
 * "invoke" waits for a WebSocket client) defers its reply instead of blocking the
 * loop. Not for the data plane. */
#ifndef WSX_HTTP_SERVER_H
#define WSX_HTTP_SERVER_H

#include "ev/ev.h"
#include "http/http_parse.h"
#include "net/tls.h"

typedef struct http_reply {
    int status;
    const char *content_type;  /* static; default application/json */
    const char *cache_control; /* static; default no-store */
    char *body;                /* malloc'd; ownership passes to the server */
    size_t body_len;
    char headers[1024];        /* extra header lines, each ending in \r\n */
    void *priv;                /* the server's: handlers leave it alone */
} http_reply_t;

/* Append one header line ("Name: value", printf-style, without the CRLF) to
 * out->headers. Returns 0, or WSX_ETOOBIG (nothing appended) when it does not fit. */
int http_reply_add_header(http_reply_t *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Called for every complete request. req and body are borrowed for the call; the
 * handler fills *out (status, body), or defers it with http_server_defer. */
typedef void (*http_handler_fn)(void *ctx, const http_request_t *req, wsx_slice_t body,
                                http_reply_t *out);

typedef struct http_server http_server_t;

/* Serve on listen_fd (ownership passes). max_body: larger bodies get 413. */
http_server_t *http_server_new(ev_loop_t *loop, int listen_fd, size_t max_body,
                               http_handler_fn fn, void *ctx);
/* Close the listener and every connection. */
void http_server_free(http_server_t *s);

/* A reply that a handler promised to give later. */
typedef struct http_defer http_defer_t;

/* Defer the reply to the request being handled. Call it inside the handler (out is
 * the handler's), which then returns without filling *out: whatever it put there
 * is dropped. The connection sends nothing and handles no further request (a
 * pipelined one waits in its buffer) until http_server_complete; its idle timeout
 * is suspended meanwhile. Returns the handle, or NULL when out of memory (then
 * answer synchronously as usual). */
http_defer_t *http_server_defer(http_reply_t *out);

/* Send a deferred reply: *reply as a handler fills it (ownership of the body
 * passes; priv is ignored). Call exactly once per handle, on the loop's thread
 * (from another thread, ev_post a command that calls it), inside the handler that
 * deferred or any time later; it frees d. If the HTTP client went away meanwhile,
 * or the server was freed, the reply is dropped: the handle never points at a
 * freed connection (closing one detaches its handle). */
void http_server_complete(http_defer_t *d, http_reply_t *reply);

/* The peer address ("127.0.0.1", "::1") of the connection whose request is being
 * handled: out is the handler's. Static storage of that connection, valid for the
 * handler's call; "" when unknown. */
const char *http_server_peer(const http_reply_t *out);

/* HTTPS from now on: connections accepted after this call get a TLS session with
 * ctx (borrowed: the caller keeps it alive until the next call or
 * http_server_free; sessions hold their own reference, so a replaced context may
 * be freed at once). NULL: plain HTTP. */
void http_server_set_tls(http_server_t *s, tls_ctx_t *ctx);
/* Is the request being handled served over TLS (for the cookie's Secure flag)? */
int http_server_is_tls(const http_reply_t *out);

/* The reason phrase of a status code. */
const char *http_status_text(int status);

#endif
