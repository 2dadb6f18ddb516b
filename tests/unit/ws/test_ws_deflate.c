/* test_ws_deflate.c - permessage-deflate: the offers wsx accepts and declines
 * (RFC 7692 5 and 7), the answer it writes, and the streams: a round trip through
 * zlib as a peer would run it, context takeover on the client side, the output
 * bound that stops a decompression bomb, corrupt data. */
#include <criterion/criterion.h>
#include <string.h>
#include <zlib.h>

#include "common/err.h"
#include "ws/ws_deflate.h"

static int nego(const char *s, ws_deflate_params_t *p)
{
    memset(p, 0xAA, sizeof *p);
    return ws_deflate_negotiate((const uint8_t *)s, strlen(s), p);
}

static void declined(const char *s)
{
    ws_deflate_params_t p;
    cr_assert_eq(nego(s, &p), 0, "accepted: %s", s);
}

Test(ws_deflate_negotiate, plain_offer)
{
    ws_deflate_params_t p;
    cr_assert_eq(nego("permessage-deflate", &p), 1);
    cr_assert_eq(p.server_no_context_takeover, 0);
    cr_assert_eq(p.client_no_context_takeover, 0);
    cr_assert_eq(p.server_max_window_bits, 0);
    cr_assert_eq(p.client_max_window_bits, 0);
    cr_assert_eq(nego("  PerMessage-Deflate  ", &p), 1, "names are case-insensitive");
}

Test(ws_deflate_negotiate, every_parameter)
{
    ws_deflate_params_t p;
    cr_assert_eq(nego("permessage-deflate; server_no_context_takeover; client_no_context_takeover;"
                      " server_max_window_bits=10; client_max_window_bits=12",
                      &p),
                 1);
    cr_assert_eq(p.server_no_context_takeover, 1);
    cr_assert_eq(p.client_no_context_takeover, 1);
    cr_assert_eq(p.server_max_window_bits, 10);
    cr_assert_eq(p.client_max_window_bits, 12);
    cr_assert_eq(nego("permessage-deflate;client_max_window_bits", &p), 1);
    cr_assert_eq(p.client_max_window_bits, WS_DEFLATE_BITS_NOVALUE, "offered without a value");
    cr_assert_eq(nego("permessage-deflate; client_max_window_bits=\"9\"", &p), 1,
                 "a quoted value (RFC 7692 7.1: after unquoting it must be a token)");
    cr_assert_eq(p.client_max_window_bits, 9);
    cr_assert_eq(nego("permessage-deflate; server_max_window_bits = 8", &p), 1, "spaces around =");
    cr_assert_eq(p.server_max_window_bits, 8);
    cr_assert_eq(nego("permessage-deflate; server_max_window_bits=15", &p), 1);
    cr_assert_eq(p.server_max_window_bits, 15);
}

Test(ws_deflate_negotiate, bad_offers_are_declined)
{
    declined("permessage-deflate; server_max_window_bits");     /* value required */
    declined("permessage-deflate; server_max_window_bits=7");   /* below 8 */
    declined("permessage-deflate; server_max_window_bits=16");  /* above 15 */
    declined("permessage-deflate; server_max_window_bits=010"); /* leading zero */
    declined("permessage-deflate; client_max_window_bits=abc");
    declined("permessage-deflate; client_max_window_bits=\"\"");
    declined("permessage-deflate; server_no_context_takeover=1"); /* takes no value */
    declined("permessage-deflate; client_no_context_takeover=x");
    declined("permessage-deflate; client_no_context_takeover; client_no_context_takeover");
    declined("permessage-deflate; server_max_window_bits=10; server_max_window_bits=10");
    declined("permessage-deflate; unknown_param");
    declined("permessage-deflate; mux"); /* unknown even without a value */
    declined("x-webkit-deflate-frame");  /* another extension */
    declined("permessage-deflate; server_max_window_bits=1234567890123456789012");
    declined("");
    declined(" , ,");
}

Test(ws_deflate_negotiate, first_acceptable_offer_wins)
{
    ws_deflate_params_t p;
    /* Autobahn 13.7's offers: the first is taken */
    cr_assert_eq(nego("permessage-deflate; client_no_context_takeover; client_max_window_bits;"
                      " server_no_context_takeover; server_max_window_bits=8,"
                      " permessage-deflate; client_no_context_takeover; client_max_window_bits;"
                      " server_no_context_takeover, permessage-deflate",
                      &p),
                 1);
    cr_assert_eq(p.server_max_window_bits, 8);
    /* a declined offer falls through to the next one */
    cr_assert_eq(nego("permessage-deflate; server_max_window_bits=99, "
                      "permessage-deflate; client_max_window_bits",
                      &p),
                 1);
    cr_assert_eq(p.server_max_window_bits, 0);
    cr_assert_eq(p.client_max_window_bits, WS_DEFLATE_BITS_NOVALUE);
    /* other extensions before and after are skipped, even with parameters */
    cr_assert_eq(
        nego("foo; a=1; b=\"x,y\", permessage-deflate; server_no_context_takeover, bar", &p), 1);
    cr_assert_eq(p.server_no_context_takeover, 1);
    /* a malformed element is skipped up to its comma */
    cr_assert_eq(nego("permessage-deflate; ;;, permessage-deflate", &p), 1);
    cr_assert_eq(p.server_no_context_takeover, 0);
    cr_assert_eq(nego("permessage-deflate; a=\"unterminated, permessage-deflate", &p), 0);
    cr_assert_eq(
        nego("permessage-deflate garbage, permessage-deflate; client_no_context_takeover", &p), 1);
    cr_assert_eq(p.client_no_context_takeover, 1);
}

Test(ws_deflate_negotiate, over_several_header_lines)
{
    static char text[] =
        "GET /ws HTTP/1.1\r\nHost: x\r\n"
        "Sec-WebSocket-Extensions: foo, permessage-deflate; bad\r\n"
        "Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits=12\r\n"
        "\r\n";
    http_request_t req;
    cr_assert_gt(http_parse_request((const uint8_t *)text, strlen(text), 0, &req), 0);
    ws_deflate_params_t p;
    cr_assert_eq(ws_deflate_negotiate_request(&req, &p), 1);
    cr_assert_eq(p.server_max_window_bits, 12);
}

Test(ws_deflate_response, answers)
{
    char out[160];
    ws_deflate_params_t p = {0};
    size_t n = ws_deflate_response(&p, out, sizeof out);
    cr_assert_str_eq(
        out, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n");
    cr_assert_eq(n, strlen(out));
    p = (ws_deflate_params_t){1, 1, 9, 11};
    ws_deflate_response(&p, out, sizeof out);
    cr_assert_str_eq(out, "Sec-WebSocket-Extensions: permessage-deflate; "
                          "server_no_context_takeover; client_no_context_takeover; "
                          "server_max_window_bits=9; client_max_window_bits=11\r\n");
    p = (ws_deflate_params_t){0, 0, 0, WS_DEFLATE_BITS_NOVALUE};
    ws_deflate_response(&p, out, sizeof out);
    cr_assert_str_eq(out,
                     "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
                     "offered without a value: the client keeps its default");
    cr_assert_eq(ws_deflate_response(&p, out, 20), 0, "too small a buffer");
}

Test(ws_deflate_cap, lowers_the_windows_and_answers_a_valueless_offer)
{
    ws_deflate_params_t p = {0, 0, 12, WS_DEFLATE_BITS_NOVALUE};
    ws_deflate_cap(&p, 10);
    cr_assert_eq(p.server_max_window_bits, 10);
    cr_assert_eq(p.client_max_window_bits, 10, "the client let the server choose");
    char out[160];
    ws_deflate_response(&p, out, sizeof out);
    cr_assert_str_eq(out, "Sec-WebSocket-Extensions: permessage-deflate; "
                          "server_no_context_takeover; server_max_window_bits=10; "
                          "client_max_window_bits=10\r\n");
    p = (ws_deflate_params_t){0, 0, 9, 9};
    ws_deflate_cap(&p, 12);
    cr_assert_eq(p.server_max_window_bits, 9, "never raised");
    cr_assert_eq(p.client_max_window_bits, 9);
    p = (ws_deflate_params_t){0};
    ws_deflate_cap(&p, 10);
    cr_assert_eq(p.server_max_window_bits, 0, "not offered: the answer cannot name it");
    cr_assert_eq(p.client_max_window_bits, 0, "not offered: the client keeps 15");
    ws_deflate_t d;
    ws_deflate_init(&d, &p, 10);
    cr_assert_eq(d.deflate_bits, 10, "but wsx compresses with the smaller window");
    cr_assert_eq(d.inflate_bits, 15);
    p = (ws_deflate_params_t){0, 0, 0, WS_DEFLATE_BITS_NOVALUE};
    ws_deflate_cap(&p, 0);
    cr_assert_eq(p.client_max_window_bits, WS_DEFLATE_BITS_NOVALUE, "0: no cap");
    ws_deflate_init(&d, &p, 0);
    cr_assert_eq(d.deflate_bits, 15);
    cr_assert_eq(d.inflate_bits, 15);
}

/* ---- the streams, against zlib used the way a client does ---- */

/* Compress msg as a client would: raw deflate, sync flush, tail removed. */
static size_t client_deflate(z_stream *z, const void *msg, size_t n, uint8_t *out, size_t cap)
{
    z->next_in = (Bytef *)msg;
    z->avail_in = (uInt)n;
    z->next_out = out;
    z->avail_out = (uInt)cap;
    cr_assert_eq(deflate(z, Z_SYNC_FLUSH), Z_OK);
    size_t len = cap - z->avail_out;
    cr_assert_geq(len, 4);
    cr_assert_eq(memcmp(out + len - 4, "\x00\x00\xff\xff", 4), 0);
    return len - 4;
}

static void client_inflate(const uint8_t *p, size_t n, int bits, uint8_t *out, size_t cap,
                           size_t *outlen)
{
    z_stream z = {0};
    cr_assert_eq(inflateInit2(&z, -bits), Z_OK);
    uint8_t buf[1 << 16];
    cr_assert_lt(n + 4, sizeof buf);
    memcpy(buf, p, n);
    memcpy(buf + n, "\x00\x00\xff\xff", 4);
    z.next_in = buf;
    z.avail_in = (uInt)(n + 4);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    cr_assert(rc == Z_OK || rc == Z_STREAM_END, "inflate %d", rc);
    *outlen = cap - z.avail_out;
    inflateEnd(&z);
}

static char text[4000];

/* Text with no repetition inside: it compresses only against an earlier copy. */
static void fill_text(void)
{
    uint32_t x = 7;
    for (size_t i = 0; i < sizeof text; i++) {
        x = x * 1103515245 + 12345;
        text[i] = (char)('a' + (x >> 16) % 26);
    }
}

Test(ws_deflate_streams, round_trip_with_client_context_takeover)
{
    fill_text();
    ws_deflate_params_t prm = {0};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    cr_assert_null(d.inf, "nothing allocated before the first message");
    z_stream c = {0};
    cr_assert_eq(deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    uint8_t wire[8192];
    for (int i = 0; i < 3; i++) {
        size_t n = client_deflate(&c, text, sizeof text, wire, sizeof wire);
        if (i > 0)
            cr_assert_lt(n, 100, "the second message refers to the first: %zu bytes", n);
        const uint8_t *out;
        size_t outn;
        cr_assert_eq(ws_deflate_inflate(&d, wire, n, sizeof text, &out, &outn), 0);
        cr_assert_eq(outn, sizeof text);
        cr_assert_eq(memcmp(out, text, outn), 0);
        cr_assert_not_null(d.inf, "a client that keeps its context costs an inflater");
    }
    deflateEnd(&c);

    /* and back: compressed, and readable by a client with a fresh inflater per
     * message (server_no_context_takeover) */
    for (int i = 0; i < 2; i++) {
        const uint8_t *z;
        size_t zn;
        cr_assert_eq(ws_deflate_compress(&d, (const uint8_t *)text, sizeof text, &z, &zn), 1);
        cr_assert_lt(zn, sizeof text, "26 letters in 8 bits: Huffman codes shrink them");
        uint8_t back[sizeof text];
        size_t bn;
        client_inflate(z, zn, 15, back, sizeof back, &bn);
        cr_assert_eq(bn, sizeof text);
        cr_assert_eq(memcmp(back, text, bn), 0);
    }
    ws_deflate_free(&d);
    cr_assert_null(d.inf);
    ws_deflate_thread_cleanup();
}

Test(ws_deflate_streams, client_no_context_takeover_uses_the_thread_inflater)
{
    fill_text();
    ws_deflate_params_t prm = {.client_no_context_takeover = 1};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    uint8_t wire[8192];
    for (int i = 0; i < 2; i++) {
        z_stream c = {0};
        cr_assert_eq(deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
        size_t n = client_deflate(&c, text, 100, wire, sizeof wire);
        deflateEnd(&c);
        const uint8_t *out;
        size_t outn;
        cr_assert_eq(ws_deflate_inflate(&d, wire, n, 1000, &out, &outn), 0);
        cr_assert_eq(outn, 100);
        cr_assert_eq(memcmp(out, text, 100), 0);
        cr_assert_null(d.inf, "no inflater of the connection's own");
    }
    ws_deflate_thread_cleanup();
}

Test(ws_deflate_streams, small_window_agreed)
{
    fill_text();
    /* server_max_window_bits=8: zlib has no raw 8-bit deflate, 9 is used and its
     * matches stay within 256 bytes, so an 8-bit inflater reads it */
    ws_deflate_params_t prm = {.server_max_window_bits = 8, .client_max_window_bits = 8};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    cr_assert_eq(d.deflate_bits, 9);
    const uint8_t *z;
    size_t zn;
    cr_assert_eq(ws_deflate_compress(&d, (const uint8_t *)text, sizeof text, &z, &zn), 1);
    uint8_t back[sizeof text];
    size_t bn;
    client_inflate(z, zn, 8, back, sizeof back, &bn);
    cr_assert_eq(bn, sizeof text);
    cr_assert_eq(memcmp(back, text, bn), 0);
    ws_deflate_free(&d);
    ws_deflate_thread_cleanup();
}

Test(ws_deflate_streams, short_or_incompressible_messages_go_as_they_are)
{
    ws_deflate_params_t prm = {0};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    const uint8_t *z;
    size_t zn;
    cr_assert_eq(ws_deflate_compress(&d, (const uint8_t *)"hello", 5, &z, &zn), 0);
    uint8_t noise[1000];
    uint32_t x = 12345;
    for (size_t i = 0; i < sizeof noise; i++) {
        x = x * 1103515245 + 12345;
        noise[i] = (uint8_t)(x >> 16);
    }
    cr_assert_eq(ws_deflate_compress(&d, noise, sizeof noise, &z, &zn), 0);
    ws_deflate_thread_cleanup();
}

Test(ws_deflate_streams, a_bomb_stops_at_the_limit)
{
    /* 4 MiB of zeros compress to about 4 KiB */
    size_t big = 4u << 20;
    uint8_t *zeros = calloc(1, big);
    uint8_t *wire = malloc(big);
    z_stream c = {0};
    cr_assert_eq(deflateInit2(&c, 9, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY), Z_OK);
    size_t n = client_deflate(&c, zeros, big, wire, big);
    deflateEnd(&c);
    cr_assert_lt(n, 8192, "%zu", n);

    ws_deflate_params_t prm = {0};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    const uint8_t *out;
    size_t outn;
    cr_assert_eq(ws_deflate_inflate(&d, wire, n, 65536, &out, &outn), WSX_ETOOBIG);
    ws_deflate_free(&d); /* (the connection is closed after that) */
    ws_deflate_init(&d, &prm, 0);
    cr_assert_eq(ws_deflate_inflate(&d, wire, n, big - 1, &out, &outn), WSX_ETOOBIG,
                 "one byte over the limit is over");
    ws_deflate_free(&d);
    ws_deflate_init(&d, &prm, 0);
    cr_assert_eq(ws_deflate_inflate(&d, wire, n, big, &out, &outn), 0, "exactly the limit fits");
    cr_assert_eq(outn, big);
    ws_deflate_trim(WS_DEFLATE_TRIM_IN); /* 4 MiB are not kept for the next message */
    cr_assert_eq(ws_deflate_inflate(&d, wire, 0, 10, &out, &outn), 0);
    ws_deflate_free(&d);
    free(zeros);
    free(wire);
    ws_deflate_thread_cleanup();
}

Test(ws_deflate_streams, corrupt_data)
{
    ws_deflate_params_t prm = {0};
    ws_deflate_t d;
    ws_deflate_init(&d, &prm, 0);
    const uint8_t *out;
    size_t outn;
    /* BTYPE 11 is reserved */
    static const uint8_t bad[] = {0xff, 0xff, 0xff, 0xff};
    cr_assert_eq(ws_deflate_inflate(&d, bad, sizeof bad, 1000, &out, &outn), WSX_EPROTO);
    ws_deflate_free(&d);
    /* a back-reference to data the server never saw: the client compressed
     * against a preset dictionary */
    ws_deflate_init(&d, &prm, 0);
    z_stream c = {0};
    cr_assert_eq(deflateInit2(&c, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
    static const char dict[] = "a dictionary the server does not have, a dictionary";
    cr_assert_eq(deflateSetDictionary(&c, (const Bytef *)dict, sizeof dict - 1), Z_OK);
    uint8_t wire[256];
    size_t n = client_deflate(&c, dict, sizeof dict - 1, wire, sizeof wire);
    deflateEnd(&c);
    cr_assert_eq(ws_deflate_inflate(&d, wire, n, 1000, &out, &outn), WSX_EPROTO);
    ws_deflate_free(&d);
    /* an empty message: RFC 7692 7.2.3.6, a single 0x00 byte or nothing at all */
    ws_deflate_init(&d, &prm, 0);
    static const uint8_t empty[] = {0x00};
    cr_assert_eq(ws_deflate_inflate(&d, empty, 1, 1000, &out, &outn), 0);
    cr_assert_eq(outn, 0);
    cr_assert_eq(ws_deflate_inflate(&d, empty, 0, 1000, &out, &outn), 0);
    cr_assert_eq(outn, 0);
    ws_deflate_free(&d);
    ws_deflate_thread_cleanup();
}
