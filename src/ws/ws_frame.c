/* ws_frame.c - the RFC 6455 frame codec: header decode and encode, the checks a
 * peer's header must pass, payload (un)masking and close payloads. Pure functions
 * over caller-owned bytes; the connection state machine (ws_conn.c) does the I/O,
 * the message assembly and the replies. */
#include <assert.h>
#include <string.h>

#include "ws/ws_frame.h"
#include "common/err.h"
#include "common/utf8.h"

int ws_frame_decode_header(const uint8_t *buf, size_t len, ws_frame_hdr_t *h)
{
    if (len < 2)
        return WSX_EAGAIN;

    uint8_t len7 = buf[1] & 0x7F;
    size_t ext = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    size_t hl = 2 + ext + ((buf[1] & 0x80) ? 4 : 0);

    /* Refuse an impossible 64-bit length as soon as its first byte is here,
     * rather than waiting for the rest of the header. */
    if (ext == 8 && len >= 3 && (buf[2] & 0x80))
        return WSX_EPROTO;
    if (len < hl)
        return WSX_EAGAIN;

    h->fin = buf[0] >> 7;
    h->rsv = (buf[0] >> 4) & 7;
    h->opcode = buf[0] & 0x0F;
    h->masked = buf[1] >> 7;
    if (ext == 0) {
        h->payload_len = len7;
    } else {
        uint64_t v = 0;
        for (size_t i = 0; i < ext; i++)
            v = (v << 8) | buf[2 + i];
        h->payload_len = v;
    }
    if (h->masked)
        memcpy(h->mask, buf + 2 + ext, 4);
    else
        memset(h->mask, 0, 4);
    h->header_len = hl;
    return (int)hl;
}

static int opcode_known(uint8_t op)
{
    return op <= WS_OP_BINARY || (op >= WS_OP_CLOSE && op <= WS_OP_PONG);
}

/* The rules both directions share; the MASK bit is the only difference. */
static int check_common(const ws_frame_hdr_t *h, const char **why)
{
    const char *r = NULL;

    if (h->rsv != 0)
        r = "reserved bits set without a negotiated extension";
    else if (!opcode_known(h->opcode))
        r = "reserved opcode";
    else if (h->opcode >= 8 && !h->fin)
        r = "fragmented control frame";
    else if (h->opcode >= 8 && h->payload_len > 125)
        r = "control frame payload over 125 bytes";
    if (why)
        *why = r;
    return r ? WSX_EPROTO : 0;
}

int ws_frame_check_client(const ws_frame_hdr_t *h, const char **why)
{
    if (!h->masked) {
        if (why)
            *why = "unmasked client frame";
        return WSX_EPROTO;
    }
    return check_common(h, why);
}

int ws_frame_check_server(const ws_frame_hdr_t *h, const char **why)
{
    if (h->masked) {
        if (why)
            *why = "masked server frame";
        return WSX_EPROTO;
    }
    return check_common(h, why);
}

void ws_frame_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
    /* The key rotated so that rot[j] applies to payload byte offset + j; since 8 is
     * a multiple of 4 the same word serves every 8-byte step. */
    uint8_t rot[8];
    for (int j = 0; j < 8; j++)
        rot[j] = mask[(offset + (uint64_t)j) & 3];
    uint64_t m;
    memcpy(&m, rot, 8);

    size_t i = 0;
    for (; n - i >= 32; i += 32) {
        uint64_t w[4];
        memcpy(w, p + i, 32);
        w[0] ^= m;
        w[1] ^= m;
        w[2] ^= m;
        w[3] ^= m;
        memcpy(p + i, w, 32);
    }
    for (; n - i >= 8; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        w ^= m;
        memcpy(p + i, &w, 8);
    }
    for (; i < n; i++)
        p[i] ^= rot[i & 7];
}

size_t ws_frame_encode_header(uint8_t *out, int fin, int opcode, uint64_t payload_len,
                              const uint8_t *mask)
{
    /* RFC 6455 5.2: the most significant bit of a 64-bit length must be 0. */
    assert((payload_len >> 63) == 0);

    uint8_t mbit = mask ? 0x80 : 0;
    size_t hl;

    out[0] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0F));
    if (payload_len < 126) {
        out[1] = (uint8_t)(mbit | payload_len);
        hl = 2;
    } else if (payload_len <= 0xFFFF) {
        out[1] = mbit | 126;
        out[2] = (uint8_t)(payload_len >> 8);
        out[3] = (uint8_t)payload_len;
        hl = 4;
    } else {
        out[1] = mbit | 127;
        for (int i = 0; i < 8; i++)
            out[2 + i] = (uint8_t)(payload_len >> (56 - 8 * i));
        hl = 10;
    }
    if (mask) {
        memcpy(out + hl, mask, 4);
        hl += 4;
    }
    return hl;
}

int ws_close_parse(const uint8_t *p, size_t n, uint16_t *code, wsx_slice_t *reason)
{
    if (n == 0) {
        *code = 1005; /* "no status received": never on the wire, only reported */
        *reason = wsx_slice(p, 0);
        return 0;
    }
    if (n == 1)
        return WSX_EPROTO;

    uint16_t c = (uint16_t)((p[0] << 8) | p[1]);
    if (!ws_close_code_valid(c))
        return WSX_EPROTO;
    if (utf8_validate(p + 2, n - 2) != 0)
        return WSX_EUTF8;
    *code = c;
    *reason = wsx_slice(p + 2, n - 2);
    return 0;
}

int ws_close_code_valid(unsigned code)
{
    if (code >= 1000 && code <= 1003)
        return 1;
    /* 1004 reserved; 1005 and 1006 are local-only; 1015 is the TLS failure
     * pseudo-code. 1012-1014 were registered with IANA after the RFC. */
    if (code >= 1007 && code <= 1014)
        return 1;
    return code >= 3000 && code <= 4999;
}
