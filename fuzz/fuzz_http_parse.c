/* fuzz_http_parse.c - libFuzzer target for the HTTP head parser. Each input is
 * parsed as a request in one call, then again fed in three pieces with prev_len as
 * a connection would see it, and the two results must agree; then as a response.
 * Every returned slice must lie inside the head. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "http/http_parse.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

/* Incremental feeding is quadratic in the number of pieces, not in the size, but
 * the one-byte-at-a-time pass is kept to inputs a handshake could be. */
#define BYTEWISE_MAX 2048

static int in_head(wsx_slice_t s, const uint8_t *base, int r)
{
    return s.ptr >= base && s.len <= (size_t)r && s.ptr + s.len <= base + r;
}

static size_t off(const uint8_t *p, const uint8_t *base)
{
    return (size_t)(p - base);
}

/* Does the input hold a blank line after its first line: can the head be complete? */
static int has_blank_line(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++)
        if (d[i] == '\n' &&
            (d[i + 1] == '\n' || (d[i + 1] == '\r' && i + 2 < n && d[i + 2] == '\n')))
            return 1;
    return 0;
}

static void check_request(const http_request_t *q, const uint8_t *b, int r)
{
    CHECK(r > 0 && b[r - 1] == '\n');
    CHECK(in_head(q->method, b, r) && q->method.len > 0);
    CHECK(in_head(q->target, b, r) && q->target.len > 0);
    CHECK(q->path.ptr == q->target.ptr && q->path.len <= q->target.len);
    CHECK(in_head(q->query, b, r));
    if (q->path.len < q->target.len)
        CHECK(q->path.ptr[q->path.len] == '?' && q->query.ptr == q->path.ptr + q->path.len + 1);
    CHECK(q->minor_version == 0 || q->minor_version == 1);
    CHECK(q->content_length >= -1);
    CHECK(q->num_headers <= HTTP_MAX_HEADERS);
    for (size_t i = 0; i < q->num_headers; i++) {
        CHECK(in_head(q->headers[i].name, b, r) && q->headers[i].name.len > 0);
        CHECK(in_head(q->headers[i].value, b, r));
        const wsx_slice_t *v = q->headers[i].value.len ? &q->headers[i].value : NULL;
        if (v)
            CHECK(v->ptr[0] != ' ' && v->ptr[v->len - 1] != ' ' && v->ptr[0] != '\t' &&
                  v->ptr[v->len - 1] != '\t');
    }
}

/* Same results, and the same fields at the same offsets. */
static void same_request(const http_request_t *a, const uint8_t *ab, const http_request_t *b,
                         const uint8_t *bb)
{
    CHECK(off(a->method.ptr, ab) == off(b->method.ptr, bb) && a->method.len == b->method.len);
    CHECK(off(a->target.ptr, ab) == off(b->target.ptr, bb) && a->target.len == b->target.len);
    CHECK(a->path.len == b->path.len && a->query.len == b->query.len);
    CHECK(a->minor_version == b->minor_version);
    CHECK(a->content_length == b->content_length && a->chunked == b->chunked);
    CHECK(a->num_headers == b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        CHECK(off(a->headers[i].name.ptr, ab) == off(b->headers[i].name.ptr, bb));
        CHECK(a->headers[i].name.len == b->headers[i].name.len);
        CHECK(off(a->headers[i].value.ptr, ab) == off(b->headers[i].value.ptr, bb));
        CHECK(a->headers[i].value.len == b->headers[i].value.len);
    }
}

/* One call on a copy of exactly n bytes, so ASan sees any read past what the
 * parser was given. The copy is kept in *keep for the slices to point into. */
static int request_on_copy(const uint8_t *d, size_t n, size_t prev, http_request_t *q,
                           uint8_t **keep)
{
    free(*keep);
    *keep = malloc(n ? n : 1);
    CHECK(*keep);
    memcpy(*keep, d, n);
    return http_parse_request(*keep, n, prev, q);
}

/* Feed d in pieces ending at cuts[0..k) and then at n; stops at the first answer
 * that is not EAGAIN, as a connection would. */
static int request_in_pieces(const uint8_t *d, size_t n, const size_t *cuts, size_t k,
                             http_request_t *q, uint8_t **keep)
{
    size_t prev = 0;
    for (size_t i = 0; i <= k; i++) {
        size_t end = i < k ? cuts[i] : n;
        if (end <= prev)
            continue;
        int r = request_on_copy(d, end, prev, q, keep);
        if (r != WSX_EAGAIN)
            return r;
        prev = end;
    }
    return WSX_EAGAIN;
}

static void agree(int one, int inc, const uint8_t *d, size_t n)
{
    if (one > 0 || one == WSX_EAGAIN) {
        CHECK(inc == one);
    } else {
        CHECK(one == WSX_EINVAL);
        /* A later call only checks the new bytes for stray control characters
         * until the blank line is in; the full check waits for it. */
        CHECK(inc == WSX_EINVAL || (inc == WSX_EAGAIN && !has_blank_line(d, n)));
    }
}

static void fuzz_request(const uint8_t *data, size_t size)
{
    http_request_t one, inc;
    uint8_t *kinc = NULL;
    int r1 = http_parse_request(data, size, 0, &one);
    CHECK(r1 > 0 || r1 == WSX_EAGAIN || r1 == WSX_EINVAL);
    if (r1 > 0) {
        CHECK((size_t)r1 <= size);
        check_request(&one, data, r1);
        const wsx_slice_t *h = http_request_header(&one, "content-length");
        if (h)
            CHECK(one.content_length >= 0);
    }

    /* Three pieces at cut points drawn from the input's size and first byte. */
    size_t a = size ? (size_t)(data[0] * 7 + size / 3) % (size + 1) : 0;
    size_t b = a + (size - a) / 2;
    size_t cuts[2] = {a, b};
    int r2 = request_in_pieces(data, size, cuts, 2, &inc, &kinc);
    agree(r1, r2, data, size);
    if (r1 > 0)
        same_request(&one, data, &inc, kinc);

    if (size <= BYTEWISE_MAX) {
        int r3 = WSX_EAGAIN;
        for (size_t i = 1; i <= size && r3 == WSX_EAGAIN; i++)
            r3 = request_on_copy(data, i, i - 1, &inc, &kinc);
        agree(r1, r3, data, size);
        if (r1 > 0)
            same_request(&one, data, &inc, kinc);
    }
    free(kinc);
}

static void fuzz_response(const uint8_t *data, size_t size)
{
    http_response_t one, inc;
    int r1 = http_parse_response(data, size, 0, &one);
    CHECK(r1 > 0 || r1 == WSX_EAGAIN || r1 == WSX_EINVAL);
    if (r1 > 0) {
        CHECK((size_t)r1 <= size && data[r1 - 1] == '\n');
        CHECK(one.status >= 0 && one.status <= 999);
        CHECK(one.minor_version == 0 || one.minor_version == 1);
        CHECK(in_head(one.reason, data, r1));
        CHECK(one.num_headers <= HTTP_MAX_HEADERS && one.content_length >= -1);
        for (size_t i = 0; i < one.num_headers; i++)
            CHECK(in_head(one.headers[i].name, data, r1) &&
                  in_head(one.headers[i].value, data, r1));
    }
    size_t half = size / 2;
    int r2 = half ? http_parse_response(data, half, 0, &inc) : WSX_EAGAIN;
    if (r2 == WSX_EAGAIN)
        r2 = http_parse_response(data, size, half, &inc);
    agree(r1, r2, data, size);
    if (r1 > 0)
        CHECK(inc.status == one.status && inc.num_headers == one.num_headers &&
              inc.reason.ptr == one.reason.ptr && inc.content_length == one.content_length);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_request(data, size);
    fuzz_response(data, size);
    return 0;
}
