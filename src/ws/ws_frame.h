/* ws_frame.h - the RFC 6455 frame codec: pure functions over (buf, len), no I/O,
 * no allocation. The decoder reads a frame header; the caller owns the payload
 * bytes and unmasks them in place with ws_frame_unmask. */
#ifndef WSX_WS_FRAME_H
#define WSX_WS_FRAME_H

#include <stdint.h>
#include <stddef.h>
#include "common/slice.h"

enum {
    WS_OP_CONT = 0x0,
    WS_OP_TEXT = 0x1,
    WS_OP_BINARY = 0x2,
    WS_OP_CLOSE = 0x8,
    WS_OP_PING = 0x9,
    WS_OP_PONG = 0xA,
};

#define WS_FRAME_MAX_HEADER 14 /* 2 + 8 (64-bit length) + 4 (mask) */

typedef struct ws_frame_hdr {
    uint8_t fin;          /* 1 if FIN is set */
    uint8_t rsv;          /* the three RSV bits, (byte0 >> 4) & 7 */
    uint8_t opcode;       /* low 4 bits of byte 0, as sent (may be reserved) */
    uint8_t masked;       /* 1 if the MASK bit is set */
    uint8_t mask[4];      /* the masking key when masked */
    uint64_t payload_len; /* payload length */
    size_t header_len;    /* bytes of header, 2..14 */
} ws_frame_hdr_t;

/* Decode a frame header at buf[0..len). Returns header_len (> 0) when the whole
 * header is present, WSX_EAGAIN when more bytes are needed, WSX_EPROTO when the
 * 64-bit length has its most significant bit set (RFC 6455 5.2). */
int ws_frame_decode_header(const uint8_t *buf, size_t len, ws_frame_hdr_t *h);

/* Check a decoded client-to-server header against RFC 6455's rules for a server
 * without extensions: masked, RSV bits zero, opcode not reserved, control frames
 * (opcode >= 8) unfragmented and at most 125 bytes. Returns 0 or WSX_EPROTO and sets
 * *why to a short static reason for the close frame (e.g. "unmasked frame"). */
int ws_frame_check_client(const ws_frame_hdr_t *h, const char **why);

/* The same for a server-to-client header as seen by a client (used by `wsx bench`):
 * unmasked, RSV zero, opcode known, control frames unfragmented and <= 125 bytes. */
int ws_frame_check_server(const ws_frame_hdr_t *h, const char **why);

/* XOR p[0..n) with the mask, starting at byte `offset` of the payload (so a payload
 * can be unmasked in several pieces). Word at a time. */
void ws_frame_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset);

/* Write a frame header into out (at least WS_FRAME_MAX_HEADER bytes). `mask` is
 * NULL for a server frame, else the 4-byte key (the caller masks the payload).
 * Uses the shortest length encoding. Returns the header length. */
size_t ws_frame_encode_header(uint8_t *out, int fin, int opcode, uint64_t payload_len,
                              const uint8_t *mask);

/* Parse a close frame payload (already unmasked). n == 0: *code = 1005, empty
 * reason. n == 1 or an invalid code (ws_close_code_valid): WSX_EPROTO. A reason that
 * is not valid UTF-8: WSX_EUTF8. Else 0 with *code and *reason (points into p). */
int ws_close_parse(const uint8_t *p, size_t n, uint16_t *code, wsx_slice_t *reason);

/* May this code appear in a close frame on the wire? 1000-1003, 1007-1011 (and
 * 1012-1014 registered later), 3000-4999. 1004, 1005, 1006, 1015 and the rest: no. */
int ws_close_code_valid(unsigned code);

#endif
