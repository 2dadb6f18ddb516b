/* test_http_parse.c - the HTTP/1.1 head parser: what it extracts from a request and
 * a response, that feeding a head in pieces (with prev_len) gives what one call
 * gives, and every malformed head it must refuse. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "http/http_parse.h"

#define LIT(s) (const uint8_t *)(s), sizeof(s) - 1

static const char UPGRADE[] = "GET /chat?room=1&x=2 HTTP/1.1\r\n"
                              "Host: server.example.com\r\n"
                              "Upgrade: websocket\r\n"
                              "Connection: Upgrade\r\n"
                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                              "Origin: http://example.com\r\n"
                              "Sec-WebSocket-Version: 13\r\n"
                              "\r\n";

static const char ADMIN_POST[] = "POST /api/channels HTTP/1.1\n"
                                 "Host: localhost:8080\n"
                                 "Content-Type: application/json\n"
                                 "Content-Length: 17\n"
                                 "\n"
                                 "{\"name\":\"orders\"}";

static int parse(const void *s, size_t n, http_request_t *req)
{
    return http_parse_request((const uint8_t *)s, n, 0, req);
}

static int slice_is(wsx_slice_t s, const char *c)
{
    return s.len == strlen(c) && memcmp(s.ptr, c, s.len) == 0;
}

Test(http_parse, upgrade_request_fields)
{
    http_request_t req;
    int r = parse(UPGRADE, sizeof(UPGRADE) - 1, &req);
    cr_assert_eq(r, (int)sizeof(UPGRADE) - 1);
    cr_assert(slice_is(req.method, "GET"));
    cr_assert(slice_is(req.target, "/chat?room=1&x=2"));
    cr_assert(slice_is(req.path, "/chat"));
    cr_assert(slice_is(req.query, "room=1&x=2"));
    cr_assert_eq(req.minor_version, 1);
    cr_assert_eq(req.content_length, -1);
    cr_assert_eq(req.chunked, 0);
    cr_assert_eq(req.num_headers, 6);
    cr_assert(slice_is(req.headers[0].name, "Host"));
    cr_assert(slice_is(req.headers[0].value, "server.example.com"));
    cr_assert(slice_is(req.headers[5].name, "Sec-WebSocket-Version"));
    cr_assert(slice_is(req.headers[5].value, "13"));
}

Test(http_parse, slices_point_into_the_callers_buffer)
{
    http_request_t req;
    const uint8_t *b = (const uint8_t *)UPGRADE;
    cr_assert_gt(parse(UPGRADE, sizeof(UPGRADE) - 1, &req), 0);
    cr_assert_eq(req.method.ptr, b);
    cr_assert_eq(req.target.ptr, b + 4);
    cr_assert_eq(req.headers[0].name.ptr, b + strlen("GET /chat?room=1&x=2 HTTP/1.1\r\n"));
}

Test(http_parse, head_length_excludes_the_body)
{
    http_request_t req;
    int r = parse(ADMIN_POST, sizeof(ADMIN_POST) - 1, &req);
    cr_assert_eq(r, (int)(strstr(ADMIN_POST, "\n\n") + 2 - ADMIN_POST));
    cr_assert(slice_is(req.method, "POST"));
    cr_assert_eq(req.content_length, 17);
    cr_assert_eq(sizeof(ADMIN_POST) - 1 - (size_t)r, 17);
}

Test(http_parse, no_query_gives_empty_query)
{
    http_request_t req;
    cr_assert_gt(parse(LIT("GET /a/b HTTP/1.0\r\n\r\n"), &req), 0);
    cr_assert(slice_is(req.path, "/a/b"));
    cr_assert_eq(req.query.len, 0);
    cr_assert_eq(req.minor_version, 0);
    cr_assert_eq(req.num_headers, 0);

    cr_assert_gt(parse(LIT("GET /a? HTTP/1.1\r\n\r\n"), &req), 0);
    cr_assert(slice_is(req.path, "/a"));
    cr_assert_eq(req.query.len, 0);

    cr_assert_gt(parse(LIT("GET /a?b?c HTTP/1.1\r\n\r\n"), &req), 0);
    cr_assert(slice_is(req.path, "/a"));
    cr_assert(slice_is(req.query, "b?c"));
}

Test(http_parse, header_values_are_trimmed_and_may_be_empty)
{
    http_request_t req;
    cr_assert_gt(parse(LIT("GET / HTTP/1.1\r\nA:  \t x y \t \r\nB:\r\nC: \r\n\r\n"), &req), 0);
    cr_assert_eq(req.num_headers, 3);
    cr_assert(slice_is(req.headers[0].value, "x y"));
    cr_assert_eq(req.headers[1].value.len, 0);
    cr_assert_eq(req.headers[2].value.len, 0);
}

Test(http_parse, bare_lf_and_mixed_line_ends)
{
    http_request_t req;
    const char s[] = "GET / HTTP/1.1\nHost: a\r\nX: y\n\r\n";
    cr_assert_eq(parse(s, sizeof(s) - 1, &req), (int)sizeof(s) - 1);
    cr_assert_eq(req.num_headers, 2);
    cr_assert(slice_is(req.headers[1].value, "y"));
}

Test(http_parse, obs_text_in_values_is_kept)
{
    http_request_t req;
    cr_assert_gt(
        parse(LIT("GET / HTTP/1.1\r\nX-Name: caf\xC3\xA9\r\nX-Raw: \x80\xFF\r\n\r\n"), &req), 0);
    cr_assert(slice_is(req.headers[0].value, "caf\xC3\xA9"));
    cr_assert(slice_is(req.headers[1].value, "\x80\xFF"));
}

Test(http_parse, header_lookup_is_case_insensitive_and_first_wins)
{
    http_request_t req;
    cr_assert_gt(parse(LIT("GET / HTTP/1.1\r\nX-A: 1\r\nx-a: 2\r\n\r\n"), &req), 0);
    const wsx_slice_t *v = http_request_header(&req, "X-a");
    cr_assert_not_null(v);
    cr_assert(slice_is(*v, "1"));
    cr_assert_null(http_request_header(&req, "X-B"));
    cr_assert_null(http_request_header(&req, "X-"));
}

/* Where the head of s ends: just after its first blank line. */
static size_t head_len(const char *s)
{
    const char *crlf = strstr(s, "\n\r\n"), *lf = strstr(s, "\n\n");
    if (crlf && (!lf || crlf < lf))
        return (size_t)(crlf + 3 - s);
    return (size_t)(lf + 2 - s);
}

Test(http_parse, every_proper_prefix_asks_for_more)
{
    const char *heads[] = {UPGRADE, ADMIN_POST, "GET / HTTP/1.0\n\n"};
    for (size_t k = 0; k < 3; k++) {
        size_t full = head_len(heads[k]);
        http_request_t req;
        for (size_t n = 0; n < full; n++)
            cr_assert_eq(parse(heads[k], n, &req), WSX_EAGAIN, "head %zu prefix %zu", k, n);
        cr_assert_eq(parse(heads[k], full, &req), (int)full, "head %zu", k);
    }
}

/* Feed s one byte more at a time, passing the previous length, as a connection
 * reading one byte per read would. Returns the first result that is not EAGAIN. */
static int feed_bytewise(const char *s, size_t n, http_request_t *req)
{
    int r = WSX_EAGAIN;
    for (size_t i = 1; i <= n && r == WSX_EAGAIN; i++)
        r = http_parse_request((const uint8_t *)s, i, i - 1, req);
    return r;
}

static void assert_same_request(const http_request_t *a, const http_request_t *b)
{
    cr_assert_eq(a->method.ptr, b->method.ptr);
    cr_assert_eq(a->method.len, b->method.len);
    cr_assert_eq(a->target.len, b->target.len);
    cr_assert_eq(a->path.len, b->path.len);
    cr_assert_eq(a->query.ptr, b->query.ptr);
    cr_assert_eq(a->query.len, b->query.len);
    cr_assert_eq(a->minor_version, b->minor_version);
    cr_assert_eq(a->content_length, b->content_length);
    cr_assert_eq(a->chunked, b->chunked);
    cr_assert_eq(a->num_headers, b->num_headers);
    for (size_t i = 0; i < a->num_headers; i++) {
        cr_assert_eq(a->headers[i].name.ptr, b->headers[i].name.ptr);
        cr_assert_eq(a->headers[i].name.len, b->headers[i].name.len);
        cr_assert_eq(a->headers[i].value.ptr, b->headers[i].value.ptr);
        cr_assert_eq(a->headers[i].value.len, b->headers[i].value.len);
    }
}

Test(http_parse, byte_by_byte_equals_one_shot_for_valid_heads)
{
    const char *heads[] = {
        UPGRADE,
        ADMIN_POST,
        "GET / HTTP/1.0\n\n",
        "GET / HTTP/1.1\r\n\r\n",
        "PUT /x HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\nA: b\n\n",
        "OPTIONS * HTTP/1.1\r\nX: \r\n\r\n",
    };
    for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
        http_request_t one, inc;
        size_t n = strlen(heads[k]);
        int r1 = parse(heads[k], n, &one);
        int r2 = feed_bytewise(heads[k], n, &inc);
        cr_assert_gt(r1, 0, "head %zu", k);
        cr_assert_eq(r2, r1, "head %zu", k);
        assert_same_request(&one, &inc);
    }
}

Test(http_parse, byte_by_byte_equals_one_shot_for_invalid_heads)
{
    const char *heads[] = {
        "GET / HTTP/1.1\r\nBad Name: x\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n",
        "GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET / HTTP/2.0\r\n\r\n",
        "GET / HTTP/1.1\r\nA: b\rX\r\n\r\n",
        "\r\nGET / HTTP/1.1\r\n\r\n",
    };
    for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
        http_request_t one, inc;
        size_t n = strlen(heads[k]);
        cr_assert_eq(parse(heads[k], n, &one), WSX_EINVAL, "head %zu", k);
        cr_assert_eq(feed_bytewise(heads[k], n, &inc), WSX_EINVAL, "head %zu", k);
    }
}

Test(http_parse, split_in_two_at_every_point_equals_one_shot)
{
    size_t n = sizeof(UPGRADE) - 1;
    http_request_t one;
    int r1 = parse(UPGRADE, n, &one);
    for (size_t cut = 1; cut < n; cut++) {
        http_request_t inc;
        int r = http_parse_request((const uint8_t *)UPGRADE, cut, 0, &inc);
        cr_assert_eq(r, WSX_EAGAIN, "cut %zu", cut);
        r = http_parse_request((const uint8_t *)UPGRADE, n, cut, &inc);
        cr_assert_eq(r, r1, "cut %zu", cut);
        assert_same_request(&one, &inc);
    }
}

Test(http_parse, garbage_is_refused_on_the_first_read)
{
    http_request_t req;
    /* A TLS ClientHello on the plain port: no blank line, refused at once. */
    static const uint8_t tls[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xFC, 0x03};
    cr_assert_eq(http_parse_request(tls, sizeof(tls), 0, &req), WSX_EINVAL);
    cr_assert_eq(parse(LIT("GE(T"), &req), WSX_EINVAL);
    cr_assert_eq(parse(LIT("GET / HTTP/3"), &req), WSX_EINVAL);
}

Test(http_parse, control_byte_in_a_later_read_is_refused_before_the_end)
{
    http_request_t req;
    const char s[] = "GET / HTTP/1.1\r\nHost: a\x01";
    size_t first = sizeof(s) - 2;
    cr_assert_eq(http_parse_request((const uint8_t *)s, first, 0, &req), WSX_EAGAIN);
    cr_assert_eq(http_parse_request((const uint8_t *)s, sizeof(s) - 1, first, &req), WSX_EINVAL);
}

Test(http_parse, trailing_bytes_after_the_head_are_not_consumed)
{
    http_request_t req;
    const char s[] = "GET / HTTP/1.1\r\n\r\n\x81\x85garbage\x00\x01";
    cr_assert_eq(parse(s, sizeof(s) - 1, &req), 18);
    /* Also when the blank line is found on a later call. */
    cr_assert_eq(http_parse_request((const uint8_t *)s, 10, 0, &req), WSX_EAGAIN);
    cr_assert_eq(http_parse_request((const uint8_t *)s, sizeof(s) - 1, 10, &req), 18);
}

static void expect_invalid(const char *s, size_t n, const char *what)
{
    http_request_t req;
    cr_assert_eq(parse(s, n, &req), WSX_EINVAL, "%s", what);
}

#define INVALID(lit, what) expect_invalid(lit, sizeof(lit) - 1, what)

Test(http_parse, bad_request_lines_are_refused)
{
    INVALID("get\x01 / HTTP/1.1\r\n\r\n", "control char in method");
    INVALID("G(ET / HTTP/1.1\r\n\r\n", "separator in method");
    INVALID(" / HTTP/1.1\r\n\r\n", "empty method");
    INVALID("GET  / HTTP/1.1\r\n\r\n", "two spaces");
    INVALID("GET\t/ HTTP/1.1\r\n\r\n", "tab as separator");
    INVALID("GET /a\x7F HTTP/1.1\r\n\r\n", "DEL in target");
    INVALID("GET /a\x01 HTTP/1.1\r\n\r\n", "control char in target");
    INVALID("GET /\r\n\r\n", "HTTP/0.9, no version");
    INVALID("GET / \r\n\r\n", "empty version");
    INVALID("GET / HTTP/2.0\r\n\r\n", "HTTP/2");
    INVALID("GET / HTTP/1.2\r\n\r\n", "HTTP/1.2");
    INVALID("GET / http/1.1\r\n\r\n", "lowercase version");
    INVALID("GET / HTTP/1.1 \r\n\r\n", "space after version");
    INVALID("GET / HTTP/1.1\r\r\n\r\n", "CR CR LF");
    INVALID("GET / HTTP/1.1\rX\r\n\r\n", "bare CR");
    INVALID("\r\n\r\n", "empty request line");
    INVALID("\n\n", "empty request line with LF");
}

Test(http_parse, bad_header_lines_are_refused)
{
    INVALID("GET / HTTP/1.1\r\nHost : a\r\n\r\n", "space before colon");
    INVALID("GET / HTTP/1.1\r\n: a\r\n\r\n", "empty name");
    INVALID("GET / HTTP/1.1\r\nHo(st: a\r\n\r\n", "separator in name");
    INVALID("GET / HTTP/1.1\r\nHost a\r\n\r\n", "no colon");
    INVALID("GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n", "obs-fold with space");
    INVALID("GET / HTTP/1.1\r\nA: b\r\n\tc\r\n\r\n", "obs-fold with tab");
    INVALID("GET / HTTP/1.1\r\n Host: a\r\n\r\n", "blank before first header");
    INVALID("GET / HTTP/1.1\r\nA: b\x01z\r\n\r\n", "control char in value");
    INVALID("GET / HTTP/1.1\r\nA: b\x7F\r\n\r\n", "DEL in value");
    INVALID("GET / HTTP/1.1\r\nA: b\x00\r\n\r\n", "NUL in value");
    INVALID("GET / HTTP/1.1\r\nA: b\rc\r\n\r\n", "bare CR in value");
    INVALID("GET / HTTP/1.1\r\nA: b\r\n\rX\r\n", "CR then junk for the blank line");
}

static size_t build_headers(char *out, size_t cap, int count)
{
    size_t n = (size_t)snprintf(out, cap, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < count; i++)
        n += (size_t)snprintf(out + n, cap - n, "X-H%d: v%d\r\n", i, i);
    n += (size_t)snprintf(out + n, cap - n, "\r\n");
    return n;
}

Test(http_parse, header_count_limit)
{
    char buf[2048];
    http_request_t req;
    size_t n = build_headers(buf, sizeof(buf), HTTP_MAX_HEADERS);
    cr_assert_eq(parse(buf, n, &req), (int)n);
    cr_assert_eq(req.num_headers, HTTP_MAX_HEADERS);
    cr_assert(slice_is(req.headers[HTTP_MAX_HEADERS - 1].value, "v31"));

    n = build_headers(buf, sizeof(buf), HTTP_MAX_HEADERS + 1);
    cr_assert_eq(parse(buf, n, &req), WSX_EINVAL);
    cr_assert_eq(feed_bytewise(buf, n, &req), WSX_EINVAL);
}

static int64_t clen_of(const char *value, int *r)
{
    char buf[256];
    http_request_t req;
    int n = snprintf(buf, sizeof(buf), "POST / HTTP/1.1\r\nContent-Length: %s\r\n\r\n", value);
    *r = parse(buf, (size_t)n, &req);
    return req.content_length;
}

Test(http_parse, content_length_values)
{
    int r;
    cr_assert_eq(clen_of("0", &r), 0);
    cr_assert_gt(r, 0);
    cr_assert_eq(clen_of("  42  ", &r), 42); /* blanks around a field value are not part of it */
    cr_assert_gt(r, 0);
    cr_assert_eq(clen_of("9223372036854775807", &r), INT64_MAX);
    cr_assert_gt(r, 0);
    cr_assert_eq(clen_of("000123", &r), 123);
    cr_assert_gt(r, 0);

    static const char *bad[] = {"",
                                "+5",
                                "-1",
                                "5 5",
                                "5,5",
                                "0x10",
                                "1e3",
                                "12a",
                                "9223372036854775808",
                                "99999999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        clen_of(bad[i], &r);
        cr_assert_eq(r, WSX_EINVAL, "Content-Length: '%s'", bad[i]);
    }
}

Test(http_parse, repeated_content_length)
{
    http_request_t req;
    cr_assert_gt(
        parse(LIT("POST / HTTP/1.1\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n"), &req), 0);
    cr_assert_eq(req.content_length, 5);
    INVALID("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", "conflict");
    INVALID("POST / HTTP/1.1\r\nContent-Length: 0\r\nCONTENT-LENGTH: 00x\r\n\r\n", "bad repeat");
}

Test(http_parse, transfer_encoding_chunked)
{
    http_request_t req;
    cr_assert_gt(parse(LIT("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), &req), 0);
    cr_assert_eq(req.chunked, 1);
    cr_assert_gt(parse(LIT("POST / HTTP/1.1\r\ntransfer-encoding: gzip, Chunked\r\n\r\n"), &req),
                 0);
    cr_assert_eq(req.chunked, 1);
    cr_assert_gt(parse(LIT("POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), &req), 0);
    cr_assert_eq(req.chunked, 0);
    cr_assert_gt(parse(LIT("POST / HTTP/1.1\r\nX-Transfer-Encoding: chunked\r\n\r\n"), &req), 0);
    cr_assert_eq(req.chunked, 0);
}

Test(http_parse, long_header_value)
{
    static char buf[8192];
    http_request_t req;
    int n = snprintf(buf, sizeof(buf), "GET / HTTP/1.1\r\nCookie: ");
    memset(buf + n, 'c', 7000);
    n += 7000;
    memcpy(buf + n, "\r\n\r\n", 4);
    n += 4;
    cr_assert_eq(parse(buf, (size_t)n, &req), n);
    cr_assert_eq(req.headers[0].value.len, 7000);
}

/* Responses: what the bench client reads back after its upgrade request. */

static const char SWITCHING[] = "HTTP/1.1 101 Switching Protocols\r\n"
                                "Upgrade: websocket\r\n"
                                "Connection: Upgrade\r\n"
                                "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                "\r\n";

Test(http_parse, response_fields)
{
    http_response_t res;
    int r = http_parse_response(LIT(SWITCHING), 0, &res);
    cr_assert_eq(r, (int)sizeof(SWITCHING) - 1);
    cr_assert_eq(res.minor_version, 1);
    cr_assert_eq(res.status, 101);
    cr_assert(slice_is(res.reason, "Switching Protocols"));
    cr_assert_eq(res.num_headers, 3);
    cr_assert_eq(res.content_length, -1);
    const wsx_slice_t *v = http_response_header(&res, "sec-websocket-accept");
    cr_assert_not_null(v);
    cr_assert(slice_is(*v, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    cr_assert_null(http_response_header(&res, "Content-Type"));
}

Test(http_parse, response_byte_by_byte_equals_one_shot)
{
    http_response_t one, inc;
    size_t n = sizeof(SWITCHING) - 1;
    int r1 = http_parse_response(LIT(SWITCHING), 0, &one);
    int r = WSX_EAGAIN;
    for (size_t i = 1; i <= n && r == WSX_EAGAIN; i++)
        r = http_parse_response((const uint8_t *)SWITCHING, i, i - 1, &inc);
    cr_assert_eq(r, r1);
    cr_assert_eq(inc.status, 101);
    cr_assert_eq(inc.num_headers, one.num_headers);
    cr_assert_eq(inc.reason.ptr, one.reason.ptr);
    cr_assert_eq(inc.reason.len, one.reason.len);
}

Test(http_parse, response_variants)
{
    http_response_t res;
    cr_assert_gt(http_parse_response(LIT("HTTP/1.0 200 OK\nContent-Length: 12\n\n"), 0, &res), 0);
    cr_assert_eq(res.minor_version, 0);
    cr_assert_eq(res.status, 200);
    cr_assert_eq(res.content_length, 12);
    cr_assert_gt(http_parse_response(LIT("HTTP/1.1 204\r\n\r\n"), 0, &res), 0);
    cr_assert_eq(res.status, 204);
    cr_assert_eq(res.reason.len, 0);
    cr_assert_gt(http_parse_response(LIT("HTTP/1.1 404 \r\n\r\n"), 0, &res), 0);
    cr_assert_eq(res.reason.len, 0);
    cr_assert_eq(http_parse_response(LIT("HTTP/1.1 101 Switching"), 0, &res), WSX_EAGAIN);
}

Test(http_parse, bad_responses_are_refused)
{
    static const char *bad[] = {
        "HTTP/1.1 20 OK\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 2x0 OK\r\n\r\n",
        "HTTP/1.1  200 OK\r\n\r\n",
        "HTTP/2 200 OK\r\n\r\n",
        "HTTP/1.1 200 O\x01K\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nA: b\r\n folded\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        http_response_t res;
        cr_assert_eq(http_parse_response((const uint8_t *)bad[i], strlen(bad[i]), 0, &res),
                     WSX_EINVAL, "response %zu", i);
    }
}
