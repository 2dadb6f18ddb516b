/* http_parse.c - HTTP/1.1 request and response heads, parsed in place. Two passes
 * of different cost: a memchr scan for the blank line that ends the head, resumed
 * where the previous call stopped (prev_len), and one structural pass over the head
 * once it is complete. The first call also runs the structural pass on a partial
 * head, so that garbage (TLS on a plain port, a binary protocol) is refused on the
 * first read instead of after 8 KiB. */
#include <limits.h>
#include <string.h>

#include "http/http_parse.h"
#include "common/err.h"

enum {
    C_TCHAR = 1,  /* token character (RFC 9110 5.6.2): methods, header names */
    C_TARGET = 2, /* request-target byte: visible ASCII or obs-text, no space */
    C_FIELD = 4,  /* field value or reason phrase byte: HTAB, SP, VCHAR, obs-text */
    C_HEAD = 8,   /* may appear anywhere in a head: C_FIELD, CR, LF */
};

#define VIS (C_TARGET | C_FIELD | C_HEAD)
#define TOK (VIS | C_TCHAR)
/* Bytes not listed are 0: the control characters and DEL, refused everywhere. */
static const uint8_t cls[256] = {
    ['\t'] = C_FIELD | C_HEAD,
    ['\n'] = C_HEAD,
    ['\r'] = C_HEAD,
    [' '] = C_FIELD | C_HEAD,
    ['!'] = TOK,
    ['"'] = VIS,
    ['#' ... '\''] = TOK,
    ['(' ... ')'] = VIS,
    ['*' ... '+'] = TOK,
    [','] = VIS,
    ['-' ... '.'] = TOK,
    ['/'] = VIS,
    ['0' ... '9'] = TOK,
    [':' ... '@'] = VIS,
    ['A' ... 'Z'] = TOK,
    ['[' ... ']'] = VIS,
    ['^' ... 'z'] = TOK, /* ^ _ ` and a..z */
    ['{'] = VIS,
    ['|'] = TOK,
    ['}'] = VIS,
    ['~'] = TOK,
    [0x80 ... 0xFF] = VIS,
};
#undef VIS
#undef TOK

/* Find the blank line that ends a head: the first "\n\n" or "\n\r\n" at or after
 * `from`. Returns the length of the head, or 0 if it is not complete yet. */
static size_t find_head_end(const uint8_t *buf, size_t len, size_t from)
{
    const uint8_t *p = buf + from, *end = buf + len;

    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl || end - nl < 2)
            return 0;
        if (nl[1] == '\n')
            return (size_t)(nl + 2 - buf);
        if (nl[1] == '\r') {
            if (end - nl < 3)
                return 0;
            if (nl[2] == '\n')
                return (size_t)(nl + 3 - buf);
        }
        p = nl + 1;
    }
    return 0;
}

/* Consume a line end (CRLF or a bare LF). A CR must be followed by LF. */
static int parse_eol(const uint8_t **pp, const uint8_t *end)
{
    const uint8_t *p = *pp;

    if (p == end)
        return WSX_EAGAIN;
    if (*p == '\n') {
        *pp = p + 1;
        return 0;
    }
    if (*p != '\r')
        return WSX_EINVAL;
    if (end - p < 2)
        return WSX_EAGAIN;
    if (p[1] != '\n')
        return WSX_EINVAL;
    *pp = p + 2;
    return 0;
}

/* "HTTP/1.0" or "HTTP/1.1". A partial version is EAGAIN only while it still
 * matches, so a wrong byte is refused as soon as it arrives. */
static int parse_version(const uint8_t **pp, const uint8_t *end, int *minor)
{
    static const char prefix[] = "HTTP/1.";
    const uint8_t *p = *pp;

    for (size_t i = 0; i < sizeof(prefix) - 1; i++, p++) {
        if (p == end)
            return WSX_EAGAIN;
        if (*p != (uint8_t)prefix[i])
            return WSX_EINVAL;
    }
    if (p == end)
        return WSX_EAGAIN;
    if (*p != '0' && *p != '1')
        return WSX_EINVAL;
    *minor = *p - '0';
    *pp = p + 1;
    return 0;
}

/* A run of at least one byte of class `c`, ended by the byte `stop`. */
static int parse_run(const uint8_t **pp, const uint8_t *end, uint8_t c, uint8_t stop,
                     wsx_slice_t *out)
{
    const uint8_t *p = *pp, *start = p;

    while (p < end && (cls[*p] & c))
        p++;
    if (p == end)
        return WSX_EAGAIN;
    if (*p != stop || p == start)
        return WSX_EINVAL;
    *out = wsx_slice(start, (size_t)(p - start));
    *pp = p + 1;
    return 0;
}

/* All digits, no sign, no blanks, and no overflow of int64_t. */
static int parse_content_length(wsx_slice_t v, int64_t *out)
{
    int64_t n = 0;

    if (v.len == 0)
        return WSX_EINVAL;
    for (size_t i = 0; i < v.len; i++) {
        uint8_t c = v.ptr[i];
        if (c < '0' || c > '9')
            return WSX_EINVAL;
        if (n > (INT64_MAX - (c - '0')) / 10)
            return WSX_EINVAL;
        n = n * 10 + (c - '0');
    }
    *out = n;
    return 0;
}

typedef struct head_fields {
    http_header_t *headers;
    size_t *num_headers;
    int64_t *content_length;
    int *chunked; /* NULL for a response */
} head_fields_t;

/* Header lines up to and including the blank line. Every complete line is checked
 * as soon as it is here, so an error in a partial head is found early. */
static int parse_headers(const uint8_t **pp, const uint8_t *end, head_fields_t f)
{
    const uint8_t *p = *pp;
    size_t n = 0;
    int r;

    *f.num_headers = 0;
    *f.content_length = -1;
    if (f.chunked)
        *f.chunked = 0;
    for (;;) {
        if (p == end)
            return WSX_EAGAIN;
        if (*p == '\r' || *p == '\n') {
            if ((r = parse_eol(&p, end)) != 0)
                return r;
            *pp = p;
            return 0;
        }
        /* A line that starts with a blank is obs-fold (RFC 9112 5.2), or a blank
         * before the first header (2.2): both are refused. */
        if (n == HTTP_MAX_HEADERS || *p == ' ' || *p == '\t')
            return WSX_EINVAL;

        http_header_t *h = &f.headers[n];
        /* No blank between name and colon (RFC 9112 5.1). */
        if ((r = parse_run(&p, end, C_TCHAR, ':', &h->name)) != 0)
            return r;
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        const uint8_t *vstart = p;
        while (p < end && (cls[*p] & C_FIELD))
            p++;
        const uint8_t *vend = p;
        if ((r = parse_eol(&p, end)) != 0)
            return r;
        while (vend > vstart && (vend[-1] == ' ' || vend[-1] == '\t'))
            vend--;
        h->value = wsx_slice(vstart, (size_t)(vend - vstart));
        *f.num_headers = ++n;

        if (h->name.len == 14 && wsx_slice_ieq(h->name, "content-length")) {
            int64_t cl;
            if (parse_content_length(h->value, &cl) != 0)
                return WSX_EINVAL;
            /* Repeats are tolerated only when they agree (RFC 9112 6.3). */
            if (*f.content_length >= 0 && *f.content_length != cl)
                return WSX_EINVAL;
            *f.content_length = cl;
        } else if (f.chunked && h->name.len == 17 && wsx_slice_ieq(h->name, "transfer-encoding") &&
                   wsx_slice_has_token(h->value, "chunked")) {
            *f.chunked = 1;
        }
    }
}

static int parse_request_head(const uint8_t *buf, size_t len, http_request_t *req)
{
    const uint8_t *p = buf, *end = buf + len;
    int r;

    if ((r = parse_run(&p, end, C_TCHAR, ' ', &req->method)) != 0)
        return r;
    if ((r = parse_run(&p, end, C_TARGET, ' ', &req->target)) != 0)
        return r;
    if ((r = parse_version(&p, end, &req->minor_version)) != 0)
        return r;
    if ((r = parse_eol(&p, end)) != 0)
        return r;

    const uint8_t *q = memchr(req->target.ptr, '?', req->target.len);
    if (q) {
        req->path = wsx_slice(req->target.ptr, (size_t)(q - req->target.ptr));
        req->query = wsx_slice(q + 1, req->target.len - req->path.len - 1);
    } else {
        req->path = req->target;
        req->query = wsx_slice(req->target.ptr + req->target.len, 0);
    }

    head_fields_t f = {req->headers, &req->num_headers, &req->content_length, &req->chunked};
    if ((r = parse_headers(&p, end, f)) != 0)
        return r;
    return (int)(p - buf);
}

static int parse_response_head(const uint8_t *buf, size_t len, http_response_t *res)
{
    const uint8_t *p = buf, *end = buf + len;
    int r;

    if ((r = parse_version(&p, end, &res->minor_version)) != 0)
        return r;
    if (p == end)
        return WSX_EAGAIN;
    if (*p++ != ' ')
        return WSX_EINVAL;
    res->status = 0;
    for (int i = 0; i < 3; i++, p++) {
        if (p == end)
            return WSX_EAGAIN;
        if (*p < '0' || *p > '9')
            return WSX_EINVAL;
        res->status = res->status * 10 + (*p - '0');
    }
    if (p == end)
        return WSX_EAGAIN;
    /* The reason phrase may be empty, and its separating space is often left out
     * by servers when it is ("HTTP/1.1 101\r\n"). */
    if (*p == ' ') {
        const uint8_t *rs = ++p;
        while (p < end && (cls[*p] & C_FIELD))
            p++;
        res->reason = wsx_slice(rs, (size_t)(p - rs));
    } else {
        res->reason = wsx_slice(p, 0);
    }
    if ((r = parse_eol(&p, end)) != 0)
        return r;

    head_fields_t f = {res->headers, &res->num_headers, &res->content_length, NULL};
    if ((r = parse_headers(&p, end, f)) != 0)
        return r;
    return (int)(p - buf);
}

/* How much of buf a call must parse. On the first call the structural pass runs
 * over everything at once: it finds a complete head or an early error in one go.
 * On a later call buf[0..prev_len) is known to be a valid partial head, so only the
 * new bytes are looked at until the head is complete: for the blank line, and for
 * bytes no head may contain. Returns 0 and sets *len to the bytes to parse (the
 * head when it is complete), else WSX_EAGAIN or WSX_EINVAL. */
static int bytes_to_parse(const uint8_t *buf, size_t *len, size_t prev_len)
{
    if (prev_len == 0 || prev_len > *len) {
        /* A first call, or a prev_len that cannot be right: parse it all. The
         * returned length is an int; no sane head is longer. */
        if (*len > INT_MAX)
            *len = INT_MAX;
        return 0;
    }
    /* The blank line is "\n\n" or "\n\r\n": had it started more than 2 bytes before
     * prev_len, the previous call would have found it. */
    size_t end = find_head_end(buf, *len, prev_len >= 2 ? prev_len - 2 : 0);
    if (end == 0) {
        for (size_t i = prev_len; i < *len; i++)
            if (!(cls[buf[i]] & C_HEAD))
                return WSX_EINVAL;
        return WSX_EAGAIN;
    }
    if (end > INT_MAX)
        return WSX_EINVAL;
    *len = end;
    return 0;
}

int http_parse_request(const uint8_t *buf, size_t len, size_t prev_len, http_request_t *req)
{
    int r = bytes_to_parse(buf, &len, prev_len);
    return r != 0 ? r : parse_request_head(buf, len, req);
}

int http_parse_response(const uint8_t *buf, size_t len, size_t prev_len, http_response_t *res)
{
    int r = bytes_to_parse(buf, &len, prev_len);
    return r != 0 ? r : parse_response_head(buf, len, res);
}

const wsx_slice_t *http_request_header(const http_request_t *req, const char *name)
{
    for (size_t i = 0; i < req->num_headers; i++)
        if (wsx_slice_ieq(req->headers[i].name, name))
            return &req->headers[i].value;
    return NULL;
}

const wsx_slice_t *http_response_header(const http_response_t *res, const char *name)
{
    for (size_t i = 0; i < res->num_headers; i++)
        if (wsx_slice_ieq(res->headers[i].name, name))
            return &res->headers[i].value;
    return NULL;
}
