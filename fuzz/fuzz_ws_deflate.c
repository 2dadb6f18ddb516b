/* fuzz_ws_deflate.c - libFuzzer target for permessage-deflate (src/ws/ws_deflate.c).
 * First byte even: the rest is a Sec-WebSocket-Extensions value. An accepted offer has
 * its parameters in range; the answer wsx writes, read back as an offer, is accepted
 * with the same windows; text appended after the value never changes the choice.
 * First byte odd: the rest is a compressed message inflated under a limit (the second
 * byte picks it) with a connection's inflater and with the thread's: the result is 0,
 * WSX_ETOOBIG or WSX_EPROTO, the two agree, the output never passes the limit, and a
 * message inflated whole compresses back (ws_deflate_compress) to what inflates to it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/err.h"
#include "ws/ws_deflate.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int bits_ok(unsigned b, int novalue_ok)
{
    return b == 0 || (b >= 8 && b <= 15) || (novalue_ok && b == WS_DEFLATE_BITS_NOVALUE);
}

static void negotiation(const uint8_t *p, size_t n)
{
    ws_deflate_params_t a;
    int r = ws_deflate_negotiate(p, n, &a);
    CHECK(r == 0 || r == 1);
    /* text after the value never changes the choice */
    uint8_t *more = malloc(n + 24);
    CHECK(more);
    if (n)
        memcpy(more, p, n);
    memcpy(more + n, ", permessage-deflate; x", 23);
    ws_deflate_params_t b;
    int r2 = ws_deflate_negotiate(more, n + 23, &b);
    if (r == 1)
        CHECK(r2 == 1 && memcmp(&a, &b, sizeof a) == 0);
    free(more);
    if (r == 0)
        return;
    CHECK(a.server_no_context_takeover <= 1 && a.client_no_context_takeover <= 1);
    CHECK(bits_ok(a.server_max_window_bits, 0) && bits_ok(a.client_max_window_bits, 1));
    char ans[160];
    size_t an = ws_deflate_response(&a, ans, sizeof ans);
    CHECK(an > 0 && an < sizeof ans);
    static const char head[] = "Sec-WebSocket-Extensions: ";
    CHECK(strncmp(ans, head, sizeof head - 1) == 0 && an >= sizeof head + 1);
    CHECK(ans[an - 2] == '\r' && ans[an - 1] == '\n');
    ws_deflate_params_t c;
    CHECK(ws_deflate_negotiate((const uint8_t *)ans + sizeof head - 1, an - (sizeof head - 1) - 2,
                               &c) == 1);
    CHECK(c.server_no_context_takeover == 1);
    CHECK(c.client_no_context_takeover == a.client_no_context_takeover);
    CHECK(c.server_max_window_bits == a.server_max_window_bits);
    CHECK(c.client_max_window_bits ==
          (a.client_max_window_bits == WS_DEFLATE_BITS_NOVALUE ? 0 : a.client_max_window_bits));
}

static void inflation(const uint8_t *p, size_t n)
{
    if (n < 1)
        return;
    size_t max = 1 + (size_t)p[0] * 257; /* 1 .. 65536 */
    p++, n--;
    ws_deflate_params_t keep = {0}, nct = {.client_no_context_takeover = 1};
    ws_deflate_t d1, d2;
    ws_deflate_init(&d1, &keep, 0);
    ws_deflate_init(&d2, &nct, 0);
    const uint8_t *out;
    size_t on = 0;
    int r1 = ws_deflate_inflate(&d1, p, n, max, &out, &on);
    CHECK(r1 == 0 || r1 == WSX_ETOOBIG || r1 == WSX_EPROTO);
    uint8_t *copy = NULL;
    if (r1 == 0) {
        CHECK(on <= max);
        copy = malloc(on ? on : 1);
        CHECK(copy);
        if (on)
            memcpy(copy, out, on);
    }
    size_t on2 = 0;
    int r2 = ws_deflate_inflate(&d2, p, n, max, &out, &on2);
    CHECK(r2 == r1);
    if (r1 == 0) {
        CHECK(on2 == on && (on == 0 || memcmp(out, copy, on) == 0));
        /* and back: what wsx would send inflates to the same bytes */
        const uint8_t *z;
        size_t zn;
        int c = ws_deflate_compress(&d1, copy, on, &z, &zn);
        CHECK(c == 0 || c == 1);
        if (c == 1) {
            CHECK(zn < on);
            uint8_t *back = malloc(on + 1);
            uint8_t *in = malloc(zn + 4);
            CHECK(back && in);
            memcpy(in, z, zn);
            memcpy(in + zn, "\x00\x00\xff\xff", 4);
            z_stream s = {0};
            CHECK(inflateInit2(&s, -15) == Z_OK);
            s.next_in = in;
            s.avail_in = (uInt)(zn + 4);
            s.next_out = back;
            s.avail_out = (uInt)(on + 1);
            int rc = inflate(&s, Z_SYNC_FLUSH);
            CHECK(rc == Z_OK || rc == Z_STREAM_END);
            CHECK(s.avail_out == 1 && memcmp(back, copy, on) == 0);
            inflateEnd(&s);
            free(back);
            free(in);
        }
    }
    free(copy);
    ws_deflate_free(&d1);
    ws_deflate_free(&d2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    if (data[0] & 1)
        inflation(data + 1, size - 1);
    else
        negotiation(data + 1, size - 1);
    return 0;
}
