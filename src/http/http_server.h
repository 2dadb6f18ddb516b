/* http_server.h - a small HTTP/1.1 server for the admin plane, on the control
 * thread's loop: request heads through http_parse, bodies by Content-Length,
 * keep-alive, one handler for every request. Not for the data plane. */
#ifndef WSX_HTTP_SERVER_H
#define WSX_HTTP_SERVER_H

#include "ev/ev.h"
#include "http/http_parse.h"

typedef struct http_reply {
    int status;
    const char *content_type;  /* static; default application/json */
    char *body;                /* malloc'd; ownership passes to the server */
    size_t body_len;
    char headers[256];         /* extra header lines, each ending in \r\n */
} http_reply_t;

/* Called for every complete request. req and body are borrowed for the call; the
 * handler fills *out (status, body). */
typedef void (*http_handler_fn)(void *ctx, const http_request_t *req, wsx_slice_t body,
                                http_reply_t *out);

typedef struct http_server http_server_t;

/* Serve on listen_fd (ownership passes). max_body: larger bodies get 413. */
http_server_t *http_server_new(ev_loop_t *loop, int listen_fd, size_t max_body,
                               http_handler_fn fn, void *ctx);
/* Close the listener and every connection. */
void http_server_free(http_server_t *s);

/* The reason phrase of a status code. */
const char *http_status_text(int status);

#endif
