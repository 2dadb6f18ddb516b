/* admin_reply.h - what the handler files of the admin API share: JSON replies,
 * the {"error": {"code", "message", "field"}} shape, reading a JSON body, and the
 * query parameters of a list (cluster, page, page_size, query). Control thread. */
#ifndef WSX_ADMIN_REPLY_H
#define WSX_ADMIN_REPLY_H

#include <jansson.h>
#include <stdint.h>

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

/* Parse the body as JSON (Content-Type application/json). Returns a new
 * reference, or NULL with a 415 or 400 reply in *out. */
json_t *admin_parse_body(const http_request_t *req, wsx_slice_t body, http_reply_t *out);

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

#endif
