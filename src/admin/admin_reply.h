/* admin_reply.h - what the handler files of the admin API (admin_api.c,
 * admin_conn.c, admin_security.c) share: JSON replies, the {"error": {"code",
 * "message", "field"}} shape, 405s, reading a JSON body, and query parameters
 * (one by name, or those of a list: cluster, page, page_size, query). Control
 * thread. */
#ifndef WSX_ADMIN_REPLY_H
#define WSX_ADMIN_REPLY_H

#include <jansson.h>
#include <stdint.h>

#include "channel/channel.h"
#include "http/http_server.h"

#define ADMIN_PAGE_SIZE_DEFAULT 50
#define ADMIN_PAGE_SIZE_MAX 1000

/* Reply `status` with `body` encoded (ownership of body passes here; NULL: no
 * body). */
void admin_reply_json(http_reply_t *out, int status, json_t *body);

/* Reply an error object; field may be NULL. The message is printf-style; bytes of
 * a quoted value that are not UTF-8 are shown as '?'. */
void admin_reply_error(http_reply_t *out, int status, const char *code, const char *field,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A 400 for a body a *_from_json refused: err's code ("invalid" when empty), field
 * (given as it is, "" included) and message. err is borrowed for the call. */
void admin_reply_invalid(http_reply_t *out, const channel_err_t *err);

/* A 405 with "Allow: <allow>" and the message "use <allow>", its last ", " read
 * as " or " ("GET, POST" -> "use GET or POST"). allow is borrowed for the call. */
void admin_reply_method(http_reply_t *out, const char *allow);

/* How admin_parse_body reads a body. */
enum {
    ADMIN_BODY_ANY = 1,    /* any JSON value, not only an object or an array */
    ADMIN_BODY_SECRET = 2, /* it may hold a secret: a parse error does not quote the
                            * text near the error (jansson's "near '...'") */
};

/* Parse the body as JSON (Content-Type application/json); flags are ADMIN_BODY_*.
 * Returns a new reference, or NULL with a 415 or 400 reply in *out. */
json_t *admin_parse_body(const http_request_t *req, wsx_slice_t body, int flags, http_reply_t *out);

/* Find ?name=value in the query string q and percent-decode the value into out
 * (NUL-terminated; '+' is a space). Returns 1 when found, 0 when absent (out not
 * written), WSX_EINVAL for a bad escape, %00 or a value longer than cap - 1. */
int admin_query_param(wsx_slice_t q, const char *name, char *out, size_t cap);

/* The parameters of a list request. */
typedef struct admin_list_params {
    int64_t cluster;   /* default 1 */
    int64_t page;      /* from 1 */
    int64_t page_size; /* 1..ADMIN_PAGE_SIZE_MAX, default ADMIN_PAGE_SIZE_DEFAULT */
    char query[1024];  /* "" for none */
} admin_list_params_t;

/* Read ?cluster=&page=&page_size=&query=. Returns 0, or -1 with a 400 naming the
 * parameter in *out. */
int admin_list_params(const http_request_t *req, admin_list_params_t *p, http_reply_t *out);

/* Reply 200 with one page of a list: {"items", "total", "page", "page_size"}, the page
 * and its size from p. Ownership of items (a JSON array) passes here. */
void admin_reply_page(http_reply_t *out, json_t *items, int64_t total,
                      const admin_list_params_t *p);

#endif
