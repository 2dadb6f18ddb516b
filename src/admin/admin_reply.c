/* admin_reply.c - replies, error objects, JSON bodies and query parameters for the
 * admin API's handler files, so that every endpoint answers in one shape and reads
 * its input one way. */
#include "admin/admin_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"

/* A decimal integer from 1 to PARAM_MAX: pages beyond any real list are refused
 * rather than overflowing the offset. */
#define PARAM_MAX 1000000000LL

void admin_reply_json(http_reply_t *out, int status, json_t *body)
{
    out->status = status;
    if (body) {
        out->body = json_dumps(body, JSON_COMPACT);
        out->body_len = out->body ? strlen(out->body) : 0;
        json_decref(body);
    }
}

void admin_reply_error(http_reply_t *out, int status, const char *code, const char *field,
                       const char *fmt, ...)
{
    char *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0) {
        out->status = status; /* out of memory: the status alone */
        return;
    }
    /* a quoted user value may hold invalid UTF-8: JSON cannot carry it, so show
     * such bytes as '?' rather than lose the error */
    if (utf8_validate((const uint8_t *)msg, (size_t)n) < 0)
        for (char *q = msg; *q; q++)
            if ((unsigned char)*q >= 0x80)
                *q = '?';
    json_t *e = json_pack("{s:s, s:s}", "code", code, "message", msg);
    free(msg);
    if (e && field)
        json_object_set_new(e, "field", json_string(field));
    admin_reply_json(out, status, e ? json_pack("{s:o}", "error", e) : NULL);
}

void admin_reply_invalid(http_reply_t *out, const channel_err_t *err)
{
    admin_reply_error(out, 400, err->code[0] ? err->code : "invalid", err->field, "%s",
                      err->message);
}

void admin_reply_method(http_reply_t *out, const char *allow)
{
    http_reply_add_header(out, "Allow: %s", allow);
    const char *last = NULL;
    for (const char *p = strstr(allow, ", "); p; p = strstr(p + 2, ", "))
        last = p;
    if (last)
        admin_reply_error(out, 405, "method_not_allowed", NULL, "use %.*s or %s",
                          (int)(last - allow), allow, last + 2);
    else
        admin_reply_error(out, 405, "method_not_allowed", NULL, "use %s", allow);
}

static int is_json(const http_request_t *req)
{
    const wsx_slice_t *ct = http_request_header(req, "Content-Type");
    if (!ct)
        return 0;
    size_t n = 0;
    while (n < ct->len && ct->ptr[n] != ';' && ct->ptr[n] != ' ')
        n++;
    return wsx_slice_ieq(wsx_slice(ct->ptr, n), "application/json");
}

json_t *admin_parse_body(const http_request_t *req, wsx_slice_t body, int flags, http_reply_t *out)
{
    if (!is_json(req)) {
        admin_reply_error(out, 415, "unsupported_media_type", NULL,
                          "send the body as JSON with Content-Type: application/json");
        return NULL;
    }
    json_error_t e;
    size_t jflags = JSON_REJECT_DUPLICATES | (flags & ADMIN_BODY_ANY ? JSON_DECODE_ANY : 0);
    json_t *j = json_loadb((const char *)body.ptr, body.len, jflags, &e);
    if (!j) {
        /* jansson's text may end in "near '<the bad token>'": cut it when the
         * body may hold a secret; the line and column say where. */
        char *near = flags & ADMIN_BODY_SECRET ? strstr(e.text, " near '") : NULL;
        if (near)
            *near = '\0';
        admin_reply_error(out, 400, "invalid_json", NULL,
                          "the body is not valid JSON: %s (line %d, column %d)", e.text, e.line,
                          e.column);
        return NULL;
    }
    return j;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode a query value into out (NUL-terminated). '%' must be followed by
 * two hex digits, and %00 is refused (it would cut the string). */
static int url_decode(const uint8_t *p, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            if (i + 2 >= n || hexval(p[i + 1]) < 0 || hexval(p[i + 2]) < 0)
                return WSX_EINVAL;
            c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
            if (c == 0)
                return WSX_EINVAL;
            i += 2;
        }
        if (o + 1 >= cap)
            return WSX_EINVAL;
        out[o++] = (char)c;
    }
    out[o] = 0;
    return 0;
}

int admin_query_param(wsx_slice_t q, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name), i = 0;
    while (i < q.len) {
        size_t start = i;
        while (i < q.len && q.ptr[i] != '&')
            i++;
        const uint8_t *kv = q.ptr + start;
        size_t len = i - start;
        i++;
        if (len > nl && kv[nl] == '=' && memcmp(kv, name, nl) == 0)
            return url_decode(kv + nl + 1, len - nl - 1, out, cap) < 0 ? WSX_EINVAL : 1;
        if (len == nl && memcmp(kv, name, nl) == 0) {
            out[0] = 0;
            return 1;
        }
    }
    return 0;
}

static int parse_positive(const char *s, int64_t *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || strlen(s) > 10)
        return WSX_EINVAL;
    long long v = strtoll(s, &end, 10);
    if (*end || v < 1 || v > PARAM_MAX)
        return WSX_EINVAL;
    *out = v;
    return 0;
}

int admin_list_params(const http_request_t *req, admin_list_params_t *p, http_reply_t *out)
{
    char buf[1024];
    p->cluster = 1;
    p->page = 1;
    p->page_size = ADMIN_PAGE_SIZE_DEFAULT;
    p->query[0] = '\0';
    const char *names[] = {"cluster", "page", "page_size"};
    int64_t *vals[] = {&p->cluster, &p->page, &p->page_size};
    for (int i = 0; i < 3; i++) {
        int rc = admin_query_param(req->query, names[i], buf, sizeof buf);
        if (rc == 0)
            continue;
        if (rc < 0 || parse_positive(buf, vals[i]) < 0) {
            admin_reply_error(out, 400, "invalid", names[i],
                              "%s must be an integer from 1 to %lld, got \"%.40s\"", names[i],
                              PARAM_MAX, rc < 0 ? "(undecodable)" : buf);
            return -1;
        }
    }
    if (p->page_size > ADMIN_PAGE_SIZE_MAX) {
        admin_reply_error(out, 400, "out_of_range", "page_size",
                          "page_size must be at most %d, got %lld", ADMIN_PAGE_SIZE_MAX,
                          (long long)p->page_size);
        return -1;
    }
    if (admin_query_param(req->query, "query", p->query, sizeof p->query) < 0) {
        admin_reply_error(out, 400, "invalid", "query", "query is not a valid URL-encoded string");
        return -1;
    }
    return 0;
}

void admin_reply_page(http_reply_t *out, json_t *items, int64_t total, const admin_list_params_t *p)
{
    admin_reply_json(out, 200,
                     json_pack("{s:o, s:I, s:I, s:I}", "items", items, "total", (json_int_t)total,
                               "page", (json_int_t)p->page, "page_size", (json_int_t)p->page_size));
}
