/* test_ws_frame.c - the RFC 6455 frame codec: header decode and encode at every
 * length boundary, the client and server rules, unmasking at any offset against a
 * byte-by-byte reference, and close payloads. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "ws/ws_frame.h"

static const uint8_t KEY[4] = {0x37, 0xFA, 0x21, 0x3D};

/* RFC 6455 5.7: a masked "Hello" from a client. */
static const uint8_t MASKED_HELLO[] = {0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D,
                                       0x7F, 0x9F, 0x4D, 0x51, 0x58};

Test(ws_frame, decodes_rfc_masked_hello)
{
    ws_frame_hdr_t h;
    cr_assert_eq(ws_frame_decode_header(MASKED_HELLO, sizeof(MASKED_HELLO), &h), 6);
    cr_assert_eq(h.fin, 1);
    cr_assert_eq(h.rsv, 0);
    cr_assert_eq(h.opcode, WS_OP_TEXT);
    cr_assert_eq(h.masked, 1);
    cr_assert_eq(h.payload_len, 5);
    cr_assert_eq(h.header_len, 6);
    cr_assert_arr_eq(h.mask, KEY, 4);

    uint8_t payload[5];
    memcpy(payload, MASKED_HELLO + 6, 5);
    ws_frame_unmask(payload, 5, h.mask, 0);
    cr_assert_arr_eq(payload, "Hello", 5);
}

Test(ws_frame, decodes_rfc_unmasked_fragments_and_ping)
{
    /* RFC 6455 5.7: "Hel" (no FIN), then "lo" as a continuation, then a ping. */
    static const uint8_t first[] = {0x01, 0x03, 0x48, 0x65, 0x6C};
    static const uint8_t second[] = {0x80, 0x02, 0x6C, 0x6F};
    static const uint8_t ping[] = {0x89, 0x05, 0x48, 0x65, 0x6C, 0x6C, 0x6F};
    ws_frame_hdr_t h;

    cr_assert_eq(ws_frame_decode_header(first, sizeof(first), &h), 2);
    cr_assert_eq(h.fin, 0);
    cr_assert_eq(h.opcode, WS_OP_TEXT);
    cr_assert_eq(h.masked, 0);
    cr_assert_eq(h.payload_len, 3);

    cr_assert_eq(ws_frame_decode_header(second, sizeof(second), &h), 2);
    cr_assert_eq(h.fin, 1);
    cr_assert_eq(h.opcode, WS_OP_CONT);
    cr_assert_eq(h.payload_len, 2);

    cr_assert_eq(ws_frame_decode_header(ping, sizeof(ping), &h), 2);
    cr_assert_eq(h.opcode, WS_OP_PING);
    cr_assert_eq(h.payload_len, 5);
}

Test(ws_frame, decodes_rfc_16_and_64_bit_lengths)
{
    /* RFC 6455 5.7: 256 bytes and 64 KiB of binary, unmasked. */
    static const uint8_t h256[] = {0x82, 0x7E, 0x01, 0x00};
    static const uint8_t h64k[] = {0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
    ws_frame_hdr_t h;

    cr_assert_eq(ws_frame_decode_header(h256, sizeof(h256), &h), 4);
    cr_assert_eq(h.opcode, WS_OP_BINARY);
    cr_assert_eq(h.payload_len, 256);
    cr_assert_eq(ws_frame_decode_header(h64k, sizeof(h64k), &h), 10);
    cr_assert_eq(h.payload_len, 65536);
}

Test(ws_frame, every_truncated_header_asks_for_more)
{
    uint8_t out[WS_FRAME_MAX_HEADER];
    static const uint64_t lens[] = {5, 126, 70000};
    for (size_t i = 0; i < 3; i++)
        for (int m = 0; m < 2; m++) {
            size_t hl = ws_frame_encode_header(out, 1, WS_OP_BINARY, lens[i], m ? KEY : NULL);
            ws_frame_hdr_t h;
            for (size_t cut = 0; cut < hl; cut++)
                cr_assert_eq(ws_frame_decode_header(out, cut, &h), WSX_EAGAIN,
                             "len %llu masked %d cut %zu", (unsigned long long)lens[i], m, cut);
            cr_assert_eq(ws_frame_decode_header(out, hl, &h), (int)hl);
        }
}

/* Each length at a boundary of the 7/16/64-bit encodings: the expected header size,
 * the exact length bytes, and a round trip through the decoder. */
Test(ws_frame, length_encodings_at_their_boundaries)
{
    static const struct {
        uint64_t len;
        size_t hl;
        uint8_t b1; /* the second header byte, mask bit clear */
    } cases[] = {
        {0, 2, 0},
        {125, 2, 125},
        {126, 4, 126},
        {127, 4, 126},
        {65535, 4, 126},
        {65536, 10, 127},
        {0xFFFFFFFFull, 10, 127},
        {0x7FFFFFFFFFFFFFFFull, 10, 127},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int m = 0; m < 2; m++) {
            uint8_t out[WS_FRAME_MAX_HEADER];
            size_t hl = ws_frame_encode_header(out, 1, WS_OP_BINARY, cases[i].len, m ? KEY : NULL);
            unsigned long long L = (unsigned long long)cases[i].len;
            cr_assert_eq(hl, cases[i].hl + (m ? 4 : 0), "len %llu", L);
            cr_assert_eq(out[0], 0x82, "len %llu", L);
            cr_assert_eq(out[1], cases[i].b1 | (m ? 0x80 : 0), "len %llu", L);
            if (cases[i].b1 == 126) {
                cr_assert_eq((out[2] << 8) | out[3], cases[i].len, "len %llu", L);
            } else if (cases[i].b1 == 127) {
                uint64_t v = 0;
                for (int k = 0; k < 8; k++)
                    v = (v << 8) | out[2 + k];
                cr_assert_eq(v, cases[i].len, "len %llu", L);
            }
            if (m)
                cr_assert_arr_eq(out + hl - 4, KEY, 4);

            ws_frame_hdr_t h;
            cr_assert_eq(ws_frame_decode_header(out, hl, &h), (int)hl, "len %llu", L);
            cr_assert_eq(h.payload_len, cases[i].len, "len %llu", L);
            cr_assert_eq(h.header_len, hl);
            cr_assert_eq(h.masked, m);
            if (m)
                cr_assert_arr_eq(h.mask, KEY, 4);
        }
    }
}

Test(ws_frame, encode_sets_fin_and_opcode)
{
    uint8_t out[WS_FRAME_MAX_HEADER];
    ws_frame_encode_header(out, 0, WS_OP_TEXT, 3, NULL);
    cr_assert_eq(out[0], 0x01);
    ws_frame_encode_header(out, 1, WS_OP_CLOSE, 2, NULL);
    cr_assert_eq(out[0], 0x88);
    ws_frame_encode_header(out, 1, WS_OP_PONG, 0, NULL);
    cr_assert_eq(out[0], 0x8A);
    cr_assert_eq(out[1], 0x00);
}

Test(ws_frame, length_with_top_bit_set_is_a_protocol_error)
{
    uint8_t b[14] = {0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4};
    ws_frame_hdr_t h;
    cr_assert_eq(ws_frame_decode_header(b, sizeof(b), &h), WSX_EPROTO);
    /* Known from the first length byte on: no need to wait for the mask. */
    cr_assert_eq(ws_frame_decode_header(b, 3, &h), WSX_EPROTO);
    b[1] = 0x7F; /* unmasked */
    cr_assert_eq(ws_frame_decode_header(b, 10, &h), WSX_EPROTO);
}

Test(ws_frame, rsv_bits_are_reported)
{
    uint8_t b[6] = {0xF1, 0x80, 1, 2, 3, 4};
    ws_frame_hdr_t h;
    cr_assert_eq(ws_frame_decode_header(b, sizeof(b), &h), 6);
    cr_assert_eq(h.rsv, 7);
    cr_assert_eq(h.opcode, WS_OP_TEXT);
    cr_assert_eq(h.fin, 1);
}

static ws_frame_hdr_t hdr(int fin, int rsv, int opcode, int masked, uint64_t len)
{
    uint8_t b[WS_FRAME_MAX_HEADER];
    ws_frame_hdr_t h;
    size_t hl = ws_frame_encode_header(b, fin, opcode, len, masked ? KEY : NULL);
    b[0] |= (uint8_t)(rsv << 4);
    cr_assert_eq(ws_frame_decode_header(b, hl, &h), (int)hl);
    return h;
}

Test(ws_frame, client_frames_that_follow_the_rules_pass)
{
    static const int ops[] = {WS_OP_CONT,  WS_OP_TEXT, WS_OP_BINARY,
                              WS_OP_CLOSE, WS_OP_PING, WS_OP_PONG};
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        const char *why = "unset";
        ws_frame_hdr_t h = hdr(1, 0, ops[i], 1, 125);
        cr_assert_eq(ws_frame_check_client(&h, &why), 0, "opcode %d", ops[i]);
    }
    /* Data frames may be fragmented and long. */
    ws_frame_hdr_t h = hdr(0, 0, WS_OP_TEXT, 1, 1 << 20);
    cr_assert_eq(ws_frame_check_client(&h, NULL), 0);
}

static void expect_client_error(ws_frame_hdr_t h, const char *what)
{
    const char *why = NULL;
    cr_assert_eq(ws_frame_check_client(&h, &why), WSX_EPROTO, "%s", what);
    cr_assert_not_null(why, "%s: no reason for the close frame", what);
    cr_assert_gt(strlen(why), 0, "%s", what);
    cr_assert_leq(strlen(why), 123, "%s: reason must fit a close frame", what);
}

Test(ws_frame, client_unmasked_frame_is_refused)
{
    expect_client_error(hdr(1, 0, WS_OP_TEXT, 0, 5), "unmasked text");
    expect_client_error(hdr(1, 0, WS_OP_CLOSE, 0, 0), "unmasked close");
}

Test(ws_frame, client_each_rsv_bit_is_refused)
{
    expect_client_error(hdr(1, 4, WS_OP_TEXT, 1, 5), "RSV1");
    expect_client_error(hdr(1, 2, WS_OP_TEXT, 1, 5), "RSV2");
    expect_client_error(hdr(1, 1, WS_OP_TEXT, 1, 5), "RSV3");
}

Test(ws_frame, client_reserved_opcodes_are_refused)
{
    for (int op = 3; op <= 7; op++) {
        char what[32];
        snprintf(what, sizeof(what), "opcode %#x", op);
        expect_client_error(hdr(1, 0, op, 1, 0), what);
    }
    for (int op = 0xB; op <= 0xF; op++) {
        char what[32];
        snprintf(what, sizeof(what), "opcode %#x", op);
        expect_client_error(hdr(1, 0, op, 1, 0), what);
    }
}

Test(ws_frame, client_fragmented_control_frames_are_refused)
{
    expect_client_error(hdr(0, 0, WS_OP_CLOSE, 1, 2), "fragmented close");
    expect_client_error(hdr(0, 0, WS_OP_PING, 1, 0), "fragmented ping");
    expect_client_error(hdr(0, 0, WS_OP_PONG, 1, 0), "fragmented pong");
}

Test(ws_frame, client_control_frame_of_126_bytes_is_refused)
{
    expect_client_error(hdr(1, 0, WS_OP_PING, 1, 126), "ping 126");
    expect_client_error(hdr(1, 0, WS_OP_PONG, 1, 126), "pong 126");
    expect_client_error(hdr(1, 0, WS_OP_CLOSE, 1, 126), "close 126");
    expect_client_error(hdr(1, 0, WS_OP_PING, 1, 65536), "ping 64k");
}

Test(ws_frame, server_rules)
{
    const char *why = NULL;
    ws_frame_hdr_t h = hdr(1, 0, WS_OP_TEXT, 0, 10);
    cr_assert_eq(ws_frame_check_server(&h, &why), 0);
    h = hdr(1, 0, WS_OP_TEXT, 1, 10);
    cr_assert_eq(ws_frame_check_server(&h, &why), WSX_EPROTO, "masked server frame");
    cr_assert_not_null(why);
    h = hdr(1, 4, WS_OP_BINARY, 0, 10);
    cr_assert_eq(ws_frame_check_server(&h, &why), WSX_EPROTO, "RSV1");
    h = hdr(1, 0, 0xC, 0, 0);
    cr_assert_eq(ws_frame_check_server(&h, &why), WSX_EPROTO, "opcode 0xC");
    h = hdr(0, 0, WS_OP_PING, 0, 0);
    cr_assert_eq(ws_frame_check_server(&h, &why), WSX_EPROTO, "fragmented ping");
    h = hdr(1, 0, WS_OP_CLOSE, 0, 126);
    cr_assert_eq(ws_frame_check_server(&h, &why), WSX_EPROTO, "close 126");
}

static void naive_unmask(uint8_t *p, size_t n, const uint8_t mask[4], uint64_t offset)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= mask[(offset + i) % 4];
}

/* Every start alignment, every mask phase, lengths across the word and unrolled
 * loop boundaries. */
Test(ws_frame, unmask_matches_naive_at_any_alignment_and_offset)
{
    uint8_t src[160], a[176], b[176];
    const uint8_t mask[4] = {0xA5, 0x3C, 0x0F, 0xF0};
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i * 37 + 11);

    for (size_t align = 0; align < 8; align++)
        for (uint64_t off = 0; off < 9; off++)
            for (size_t n = 0; n <= sizeof(src); n += (n < 40 ? 1 : 13)) {
                memcpy(a + align, src, n);
                memcpy(b + align, src, n);
                /* Guard bytes past the end must not be touched. */
                a[align + n] = b[align + n] = 0x5A;
                ws_frame_unmask(a + align, n, mask, off);
                naive_unmask(b + align, n, mask, off);
                cr_assert_arr_eq(a + align, b + align, n + 1, "align %zu off %llu n %zu", align,
                                 (unsigned long long)off, n);
            }
}

Test(ws_frame, unmask_in_pieces_equals_unmask_at_once)
{
    uint8_t whole[100], parts[100];
    for (size_t i = 0; i < sizeof(whole); i++)
        whole[i] = parts[i] = (uint8_t)(i ^ 0x77);
    ws_frame_unmask(whole, sizeof(whole), KEY, 0);
    static const size_t cuts[] = {0, 1, 3, 10, 11, 45, 97, 100};
    for (size_t k = 0; k + 1 < sizeof(cuts) / sizeof(cuts[0]); k++)
        ws_frame_unmask(parts + cuts[k], cuts[k + 1] - cuts[k], KEY, cuts[k]);
    cr_assert_arr_eq(whole, parts, sizeof(whole));
}

Test(ws_frame, unmask_honours_large_offsets)
{
    uint8_t a[13] = {0}, b[13] = {0};
    uint64_t off = 0x100000003ull; /* beyond 32 bits, phase 3 */
    ws_frame_unmask(a, sizeof(a), KEY, off);
    naive_unmask(b, sizeof(b), KEY, off);
    cr_assert_arr_eq(a, b, sizeof(a));
    cr_assert_eq(a[0], KEY[3]);
}

Test(ws_frame, close_empty_payload_is_1005)
{
    uint16_t code = 0;
    wsx_slice_t reason = {(const uint8_t *)"x", 1};
    cr_assert_eq(ws_close_parse((const uint8_t *)"", 0, &code, &reason), 0);
    cr_assert_eq(code, 1005);
    cr_assert_eq(reason.len, 0);
}

Test(ws_frame, close_one_byte_payload_is_a_protocol_error)
{
    uint16_t code;
    wsx_slice_t reason;
    /* The byte after the payload would make a valid code (1000): it must not be read. */
    static const uint8_t p[] = {0x03, 0xE8};
    cr_assert_eq(ws_close_parse(p, 1, &code, &reason), WSX_EPROTO);
}

/* A close payload with code `c` and reason why[0..n). Static: the reason slice
 * points into it and is checked after the call. */
static int close_with(unsigned c, const char *why, size_t n, uint16_t *code, wsx_slice_t *reason)
{
    static uint8_t p[125];
    p[0] = (uint8_t)(c >> 8);
    p[1] = (uint8_t)c;
    memcpy(p + 2, why, n);
    return ws_close_parse(p, n + 2, code, reason);
}

Test(ws_frame, close_invalid_codes_are_refused)
{
    static const unsigned bad[] = {0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint16_t code;
        wsx_slice_t reason;
        cr_assert_eq(close_with(bad[i], "", 0, &code, &reason), WSX_EPROTO, "code %u", bad[i]);
        cr_assert_not(ws_close_code_valid(bad[i]), "code %u", bad[i]);
    }
}

Test(ws_frame, close_valid_codes_are_accepted)
{
    static const unsigned good[] = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010,
                                    1011, 1012, 1013, 1014, 3000, 4000, 4999};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint16_t code = 0;
        wsx_slice_t reason;
        cr_assert_eq(close_with(good[i], "bye", 3, &code, &reason), 0, "code %u", good[i]);
        cr_assert_eq(code, good[i]);
        cr_assert_eq(reason.len, 3);
        cr_assert_arr_eq(reason.ptr, "bye", 3);
        cr_assert(ws_close_code_valid(good[i]), "code %u", good[i]);
    }
}

Test(ws_frame, close_reason_must_be_utf8)
{
    uint16_t code;
    wsx_slice_t reason;
    cr_assert_eq(close_with(1000, "caf\xC3\xA9", 5, &code, &reason), 0);
    cr_assert_eq(reason.len, 5);
    cr_assert_eq(close_with(1000, "caf\xC3", 4, &code, &reason), WSX_EUTF8, "truncated");
    cr_assert_eq(close_with(1000, "\xED\xA0\x80", 3, &code, &reason), WSX_EUTF8, "surrogate");
    cr_assert_eq(close_with(1000, "ok\xFF", 3, &code, &reason), WSX_EUTF8, "FF");
    /* A bad code is reported before a bad reason. */
    cr_assert_eq(close_with(1005, "\xFF", 1, &code, &reason), WSX_EPROTO);
}

Test(ws_frame, close_reason_of_maximal_length)
{
    char why[123];
    memset(why, 'r', sizeof(why));
    uint16_t code;
    wsx_slice_t reason;
    cr_assert_eq(close_with(4001, why, sizeof(why), &code, &reason), 0);
    cr_assert_eq(code, 4001);
    cr_assert_eq(reason.len, 123);
}
