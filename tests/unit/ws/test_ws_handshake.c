/* test_ws_handshake.c - the server side of the opening handshake: the RFC 6455
 * sample key, the 101 response, and each way an upgrade request can be wrong,
 * starting from real request text run through the HTTP parser. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "http/http_parse.h"
#include "ws/ws_handshake.h"

#define SAMPLE_KEY "dGhlIHNhbXBsZSBub25jZQ=="
/* RFC 6455 section 1.3 (a capital K: "...ZRbk+..." is a common misquote). */
#define SAMPLE_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

/* Requests are kept in a static buffer: the parsed slices point into it. */
static char text[2048];
static http_request_t req;

static void parse_request(const char *head)
{
    size_t n = strlen(head);
    cr_assert_lt(n, sizeof(text));
    memcpy(text, head, n + 1);
    int r = http_parse_request((const uint8_t *)text, n, 0, &req);
    cr_assert_eq(r, (int)n, "test request does not parse: %d", r);
}

/* A valid upgrade request with one header line replaced or dropped: `name` is the
 * header to change, `line` its replacement ("" drops it). */
static int check_with(const char *name, const char *line)
{
    static const char *lines[] = {
        "Host: server.example.com\r\n",  "Upgrade: websocket\r\n",
        "Connection: Upgrade\r\n",       "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n",
        "Sec-WebSocket-Version: 13\r\n",
    };
    char head[1024];
    size_t n = (size_t)snprintf(head, sizeof(head), "GET /chat HTTP/1.1\r\n");
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
        const char *l = lines[i];
        if (name && strncmp(l, name, strlen(name)) == 0 && l[strlen(name)] == ':')
            l = line;
        n += (size_t)snprintf(head + n, sizeof(head) - n, "%s", l);
    }
    snprintf(head + n, sizeof(head) - n, "\r\n");
    parse_request(head);
    wsx_slice_t key = {0};
    return ws_handshake_check(&req, &key);
}

Test(ws_handshake, rfc_sample_accept)
{
    char out[29];
    memset(out, 'x', sizeof(out));
    ws_handshake_accept(WSX_SLICE_LIT(SAMPLE_KEY), out);
    cr_assert_str_eq(out, SAMPLE_ACCEPT);
}

Test(ws_handshake, accept_differs_per_key)
{
    char a[29], b[29];
    ws_handshake_accept(WSX_SLICE_LIT("AAAAAAAAAAAAAAAAAAAAAA=="), a);
    ws_handshake_accept(WSX_SLICE_LIT("AAAAAAAAAAAAAAAAAAAAAQ=="), b);
    cr_assert_eq(strlen(a), 28);
    cr_assert_str_neq(a, b);
}

Test(ws_handshake, accept_of_a_long_key_is_still_28_chars)
{
    char key[300], out[29];
    memset(key, 'k', sizeof(key));
    ws_handshake_accept(wsx_slice(key, sizeof(key)), out);
    cr_assert_eq(strlen(out), 28);
}

Test(ws_handshake, valid_request_gives_the_key)
{
    parse_request("GET /chat HTTP/1.1\r\n"
                  "Host: server.example.com\r\n"
                  "Upgrade: websocket\r\n"
                  "Connection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                  "Origin: http://example.com\r\n"
                  "Sec-WebSocket-Protocol: chat, superchat\r\n"
                  "Sec-WebSocket-Version: 13\r\n"
                  "\r\n");
    wsx_slice_t key = {0};
    cr_assert_eq(ws_handshake_check(&req, &key), 0);
    cr_assert_eq(key.len, 24);
    cr_assert_arr_eq(key.ptr, SAMPLE_KEY, 24);
    /* The key points into the request buffer. */
    cr_assert(key.ptr >= (const uint8_t *)text && key.ptr < (const uint8_t *)text + sizeof(text));
}

Test(ws_handshake, header_names_and_tokens_are_case_insensitive)
{
    parse_request("GET / HTTP/1.1\r\n"
                  "upgrade: WebSocket\r\n"
                  "CONNECTION: keep-alive, upgrade\r\n"
                  "sec-websocket-key: " SAMPLE_KEY "\r\n"
                  "sec-websocket-version: 13\r\n"
                  "\r\n");
    wsx_slice_t key;
    cr_assert_eq(ws_handshake_check(&req, &key), 0);
}

Test(ws_handshake, connection_split_over_two_lines)
{
    parse_request("GET / HTTP/1.1\r\n"
                  "Upgrade: websocket\r\n"
                  "Connection: keep-alive\r\n"
                  "Connection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\n"
                  "Sec-WebSocket-Version: 13\r\n"
                  "\r\n");
    wsx_slice_t key;
    cr_assert_eq(ws_handshake_check(&req, &key), 0);
}

Test(ws_handshake, version_8_is_accepted)
{
    cr_assert_eq(check_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 8\r\n"), 0);
}

Test(ws_handshake, missing_or_unsupported_version_is_eproto)
{
    cr_assert_eq(check_with("Sec-WebSocket-Version", ""), WSX_EPROTO);
    cr_assert_eq(check_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 12\r\n"), WSX_EPROTO);
    cr_assert_eq(check_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 14\r\n"), WSX_EPROTO);
    cr_assert_eq(check_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: 13, 8\r\n"),
                 WSX_EPROTO);
    cr_assert_eq(check_with("Sec-WebSocket-Version", "Sec-WebSocket-Version: \r\n"), WSX_EPROTO);
}

Test(ws_handshake, repeated_version_is_einval)
{
    cr_assert_eq(check_with("Sec-WebSocket-Version",
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13\r\n"),
                 WSX_EINVAL);
}

Test(ws_handshake, method_and_http_version)
{
    wsx_slice_t key;
    parse_request("POST / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    cr_assert_eq(ws_handshake_check(&req, &key), WSX_EINVAL, "POST");
    parse_request("get / HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    cr_assert_eq(ws_handshake_check(&req, &key), WSX_EINVAL, "methods are case-sensitive");
    parse_request("GET / HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Version: 13\r\n\r\n");
    cr_assert_eq(ws_handshake_check(&req, &key), WSX_EINVAL, "HTTP/1.0");
}

Test(ws_handshake, upgrade_header)
{
    cr_assert_eq(check_with("Upgrade", ""), WSX_EINVAL, "missing");
    cr_assert_eq(check_with("Upgrade", "Upgrade: h2c\r\n"), WSX_EINVAL, "h2c");
    cr_assert_eq(check_with("Upgrade", "Upgrade: websockets\r\n"), WSX_EINVAL, "websockets");
    cr_assert_eq(check_with("Upgrade", "Upgrade:\r\n"), WSX_EINVAL, "empty");
}

Test(ws_handshake, connection_header)
{
    cr_assert_eq(check_with("Connection", ""), WSX_EINVAL, "missing");
    cr_assert_eq(check_with("Connection", "Connection: keep-alive\r\n"), WSX_EINVAL, "keep-alive");
    cr_assert_eq(check_with("Connection", "Connection: Upgraded\r\n"), WSX_EINVAL, "Upgraded");
    cr_assert_eq(check_with("Connection", "Connection: keep-alive,Upgrade\r\n"), 0, "list");
}

Test(ws_handshake, key_must_be_base64_of_16_bytes)
{
    static const struct {
        const char *line;
        const char *what;
    } bad[] = {
        {"", "missing"},
        {"Sec-WebSocket-Key:\r\n", "empty"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=\r\n", "23 chars"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==A\r\n", "25 chars"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQAA\r\n", "no padding"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQA=\r\n", "17 bytes"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZ===\r\n", "15 bytes and 3 ="},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2*jZQ==\r\n", "bad char"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub2 jZQ==\r\n", "space inside"},
        {"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZSBmb28=\r\n", "20 bytes"},
        {"Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Key: " SAMPLE_KEY "\r\n", "twice"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        cr_assert_eq(check_with("Sec-WebSocket-Key", bad[i].line), WSX_EINVAL, "%s", bad[i].what);
    cr_assert_eq(check_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==\r\n"),
                 0);
    cr_assert_eq(check_with("Sec-WebSocket-Key", "Sec-WebSocket-Key: +/+/+/+/+/+/+/+/+/+/+w==\r\n"),
                 0);
}

Test(ws_handshake, bad_request_with_bad_version_is_einval)
{
    /* EPROTO would make the caller advertise versions; the request is wrong anyway. */
    parse_request("GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: " SAMPLE_KEY "\r\nSec-WebSocket-Version: 7\r\n\r\n");
    wsx_slice_t key;
    cr_assert_eq(ws_handshake_check(&req, &key), WSX_EINVAL);
}

Test(ws_handshake, response_is_exact)
{
    char out[160];
    size_t n = ws_handshake_response(out, sizeof(out), WSX_SLICE_LIT(SAMPLE_KEY));
    static const char want[] = "HTTP/1.1 101 Switching Protocols\r\n"
                               "Upgrade: websocket\r\n"
                               "Connection: Upgrade\r\n"
                               "Sec-WebSocket-Accept: " SAMPLE_ACCEPT "\r\n"
                               "\r\n";
    cr_assert_eq(n, sizeof(want) - 1);
    cr_assert_arr_eq(out, want, n);

    /* And the HTTP parser reads it back as the bench client would. */
    http_response_t res;
    cr_assert_eq(http_parse_response((const uint8_t *)out, n, 0, &res), (int)n);
    cr_assert_eq(res.status, 101);
    const wsx_slice_t *acc = http_response_header(&res, "Sec-WebSocket-Accept");
    cr_assert_not_null(acc);
    cr_assert_arr_eq(acc->ptr, SAMPLE_ACCEPT, 28);
}

Test(ws_handshake, response_needs_room)
{
    char out[160];
    size_t need = ws_handshake_response(out, sizeof(out), WSX_SLICE_LIT(SAMPLE_KEY));
    cr_assert_gt(need, 0);
    memset(out, '#', sizeof(out));
    cr_assert_eq(ws_handshake_response(out, need - 1, WSX_SLICE_LIT(SAMPLE_KEY)), 0);
    cr_assert_eq(out[0], '#', "nothing written when it does not fit");
    cr_assert_eq(ws_handshake_response(out, need, WSX_SLICE_LIT(SAMPLE_KEY)), need);
    cr_assert_eq(ws_handshake_response(out, 0, WSX_SLICE_LIT(SAMPLE_KEY)), 0);
}
