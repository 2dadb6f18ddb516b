/* fuzz_ws_frame.c - libFuzzer target for the frame codec. Walks the input as a
 * stream of frames the way ws_conn.c reads a socket: decode each header, check it
 * both ways, unmask a copy of the payload (whole and in two pieces, against a
 * byte-at-a-time reference), parse close payloads and validate text payloads with
 * the incremental UTF-8 validator (whole and split, against a reference decoder). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"
#include "ws/ws_frame.h"
#include "utf8_ref.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void check_header(const uint8_t *buf, size_t len, int r, const ws_frame_hdr_t *h)
{
    CHECK(r >= 2 && r <= WS_FRAME_MAX_HEADER && (size_t)r <= len);
    CHECK((size_t)r == h->header_len);
    CHECK(h->fin <= 1 && h->rsv <= 7 && h->opcode <= 15 && h->masked <= 1);
    CHECK((h->payload_len >> 63) == 0);
    /* Every shorter prefix is incomplete (or already known to be bad). */
    ws_frame_hdr_t t;
    for (size_t cut = 0; cut < (size_t)r; cut++) {
        int rc = ws_frame_decode_header(buf, cut, &t);
        CHECK(rc == WSX_EAGAIN);
    }
    /* Re-encoding gives a header that decodes to the same frame. */
    uint8_t enc[WS_FRAME_MAX_HEADER];
    size_t el =
        ws_frame_encode_header(enc, h->fin, h->opcode, h->payload_len, h->masked ? h->mask : NULL);
    enc[0] |= (uint8_t)(h->rsv << 4);
    CHECK(el <= (size_t)r);
    CHECK(ws_frame_decode_header(enc, el, &t) == (int)el);
    CHECK(t.fin == h->fin && t.rsv == h->rsv && t.opcode == h->opcode);
    CHECK(t.masked == h->masked && t.payload_len == h->payload_len);
    CHECK(!h->masked || memcmp(t.mask, h->mask, 4) == 0);

    const char *why = NULL;
    int c = ws_frame_check_client(h, &why);
    CHECK(c == 0 || (c == WSX_EPROTO && why && *why));
    if (c == 0)
        CHECK(h->masked && h->rsv == 0 && (h->opcode < 8 || (h->fin && h->payload_len <= 125)));
    why = NULL;
    int s = ws_frame_check_server(h, &why);
    CHECK(s == 0 || (s == WSX_EPROTO && why && *why));
    if (s == 0)
        CHECK(!h->masked && h->rsv == 0);
}

static void check_payload(const ws_frame_hdr_t *h, const uint8_t *p, size_t n, int complete,
                          utf8_state_t *msg)
{
    uint8_t *a = malloc(n ? n : 1), *b = malloc(n ? n : 1);
    CHECK(a && b);
    memcpy(a, p, n);
    memcpy(b, p, n);
    if (h->masked) {
        ws_frame_unmask(a, n, h->mask, 0);
        size_t cut = n ? (p[0] % (n + 1)) : 0;
        ws_frame_unmask(b, cut, h->mask, 0);
        ws_frame_unmask(b + cut, n - cut, h->mask, cut);
        for (size_t i = 0; i < n; i++)
            CHECK(a[i] == (uint8_t)(p[i] ^ h->mask[i & 3]));
        CHECK(memcmp(a, b, n) == 0);
    }

    if (h->opcode == WS_OP_CLOSE && complete) {
        uint16_t code = 0;
        wsx_slice_t reason = {0};
        int r = ws_close_parse(a, n, &code, &reason);
        if (n == 0) {
            CHECK(r == 0 && code == 1005 && reason.len == 0);
        } else if (n == 1 || !ws_close_code_valid((unsigned)(a[0] << 8 | a[1]))) {
            CHECK(r == WSX_EPROTO);
        } else if (utf8_ref_validate(a + 2, n - 2) != 0) {
            CHECK(r == WSX_EUTF8);
        } else {
            CHECK(r == 0 && code == (a[0] << 8 | a[1]));
            CHECK(reason.ptr == a + 2 && reason.len == n - 2);
        }
    }

    if (h->opcode == WS_OP_TEXT || h->opcode == WS_OP_CONT) {
        /* The message state, fed frame by frame, and this payload on its own,
         * whole and split, against the reference. */
        utf8_feed(msg, a, n);
        utf8_state_t whole = UTF8_STATE_INIT, split = UTF8_STATE_INIT;
        int rw = utf8_feed(&whole, a, n);
        size_t cut = n / 3;
        int rs = utf8_feed(&split, a, cut);
        if (rs == 0)
            rs = utf8_feed(&split, a + cut, n - cut);
        CHECK(rw == rs && whole.state == split.state);
        int ok = rw == 0 && utf8_complete(&whole);
        CHECK(ok == (utf8_ref_validate(a, n) == 0));
        CHECK(ok == (utf8_validate(a, n) == 0));
        if (rw != 0)
            CHECK(!utf8_complete(&whole) && utf8_feed(&whole, (const uint8_t *)"a", 1) != 0);
    }
    free(a);
    free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    utf8_state_t msg = UTF8_STATE_INIT;

    while (off < size) {
        ws_frame_hdr_t h;
        int r = ws_frame_decode_header(data + off, size - off, &h);
        if (r == WSX_EAGAIN || r == WSX_EPROTO) {
            if (r == WSX_EPROTO)
                CHECK(size - off >= 3 && (data[off + 1] & 0x7F) == 127 && (data[off + 2] & 0x80));
            break;
        }
        check_header(data + off, size - off, r, &h);
        off += (size_t)r;
        size_t avail = size - off;
        int complete = h.payload_len <= avail;
        size_t n = complete ? (size_t)h.payload_len : avail;
        check_payload(&h, data + off, n, complete, &msg);
        off += n;
    }
    return 0;
}
