/* http_parse.h - a pure, incremental HTTP/1.1 request and response head parser.
 * No I/O, no allocation: every slice it returns points into the caller's buffer and
 * is valid as long as that buffer is. Re-invoke with more bytes when it says
 * WSX_EAGAIN; `prev_len` (bytes already seen) lets it skip what it scanned before. */
#ifndef WSX_HTTP_PARSE_H
#define WSX_HTTP_PARSE_H

#include "common/slice.h"

#define HTTP_MAX_HEADERS 32

typedef struct http_header {
    wsx_slice_t name;   /* as sent, case preserved */
    wsx_slice_t value;  /* leading and trailing blanks trimmed */
} http_header_t;

typedef struct http_request {
    wsx_slice_t method;
    wsx_slice_t target;  /* the request-target as sent: path and query */
    wsx_slice_t path;    /* target up to '?' */
    wsx_slice_t query;   /* after '?', empty if none */
    int minor_version;   /* 0 or 1 (HTTP/1.x) */
    int64_t content_length; /* -1 when no Content-Length header */
    int chunked;         /* Transfer-Encoding contains "chunked" */
    size_t num_headers;
    http_header_t headers[HTTP_MAX_HEADERS];
} http_request_t;

typedef struct http_response {
    int minor_version;
    int status;
    wsx_slice_t reason;
    int64_t content_length;
    size_t num_headers;
    http_header_t headers[HTTP_MAX_HEADERS];
} http_response_t;

/* Parse a request head from buf[0..len). Returns the number of bytes of the head
 * (request line + headers + the blank line) when complete, WSX_EAGAIN when more
 * bytes are needed, WSX_EINVAL when the head is malformed (bad request line, bad
 * header syntax, a control character, more than HTTP_MAX_HEADERS headers, an invalid
 * or duplicated-and-conflicting Content-Length). `prev_len` is the length passed on
 * the previous call for the same request (0 on the first): only the new bytes are
 * scanned for the end of the head, so a malformed partial head may get WSX_EAGAIN
 * until its blank line arrives or the caller's limit is hit; a complete head gets
 * the same answer however it was split. After an error *req is unspecified. The size limit (8 KiB
 * for the data plane) is the caller's: it answers 431 when WSX_EAGAIN comes back
 * with len at the limit. */
int http_parse_request(const uint8_t *buf, size_t len, size_t prev_len, http_request_t *req);

/* Same contract for a response head ("HTTP/1.1 101 Switching Protocols\r\n..."). */
int http_parse_response(const uint8_t *buf, size_t len, size_t prev_len, http_response_t *res);

/* The value of the first header named `name` (ASCII case-insensitive), or NULL.
 * Points into the request's headers array. */
const wsx_slice_t *http_request_header(const http_request_t *req, const char *name);
const wsx_slice_t *http_response_header(const http_response_t *res, const char *name);

#endif
