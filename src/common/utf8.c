/* utf8.c - incremental UTF-8 validation for WebSocket text messages and close
 * reasons. A small DFA over byte classes: each state says what the next byte may
 * be, so an impossible byte is refused the moment it arrives, and a sequence may be
 * split across any number of feeds. Runs of ASCII are skipped a 64-bit word at a
 * time (two per step while the run lasts). */
#include <string.h>

#include "common/utf8.h"
#include "common/err.h"

/* Byte classes. The continuation range 80..BF is split in three because the
 * second byte after E0, ED, F0 and F4 is restricted (overlongs, surrogates,
 * > U+10FFFF), and those limits fall on 8F/90 and 9F/A0. */
enum {
    K_ASCII, /* 00..7F */
    K_C80,   /* 80..8F */
    K_C90,   /* 90..9F */
    K_CA0,   /* A0..BF */
    K_BAD,   /* C0, C1 (always overlong), F5..FF (beyond U+10FFFF) */
    K_L2,    /* C2..DF */
    K_E0,    /* E0: next A0..BF, else overlong */
    K_L3,    /* E1..EC, EE, EF */
    K_ED,    /* ED: next 80..9F, else a surrogate */
    K_F0,    /* F0: next 90..BF, else overlong */
    K_L4,    /* F1..F3 */
    K_F4,    /* F4: next 80..8F, else beyond U+10FFFF */
    K_COUNT
};

/* States, numbered as row offsets into the flat transition table (state * K_COUNT)
 * so that a step is one add and one load. S_OK must be 0 (utf8_complete tests for
 * it); S_FAIL is sticky. */
enum {
    S_OK = 0 * K_COUNT, /* between code points */
    S_1 = 1 * K_COUNT,  /* one continuation byte left, any of 80..BF */
    S_2 = 2 * K_COUNT,  /* two left, any */
    S_3 = 3 * K_COUNT,  /* three left, any */
    S_E0 = 4 * K_COUNT, /* two left, the first in A0..BF */
    S_ED = 5 * K_COUNT, /* two left, the first in 80..9F */
    S_F0 = 6 * K_COUNT, /* three left, the first in 90..BF */
    S_F4 = 7 * K_COUNT, /* three left, the first in 80..8F */
    S_FAIL = 8 * K_COUNT,
    S_END = 9 * K_COUNT
};

/* GNU range designators keep the table readable; the ranges do not overlap. */
// clang-format off
static const uint8_t byte_class[256] = {
    [0x00 ... 0x7F] = K_ASCII, [0x80 ... 0x8F] = K_C80, [0x90 ... 0x9F] = K_C90,
    [0xA0 ... 0xBF] = K_CA0,   [0xC0 ... 0xC1] = K_BAD, [0xC2 ... 0xDF] = K_L2,
    [0xE0] = K_E0,             [0xE1 ... 0xEC] = K_L3,  [0xED] = K_ED,
    [0xEE ... 0xEF] = K_L3,    [0xF0] = K_F0,           [0xF1 ... 0xF3] = K_L4,
    [0xF4] = K_F4,             [0xF5 ... 0xFF] = K_BAD,
};
// clang-format on

// clang-format off
#define F S_FAIL
static const uint8_t next_state[S_END] = {
    /*            ASCII C80   C90   CA0   BAD L2   E0    L3   ED    F0    L4   F4 */
    [S_OK + 0] = S_OK, F,    F,    F,    F,  S_1, S_E0, S_2, S_ED, S_F0, S_3, S_F4,
    [S_1 + 0] = F,     S_OK, S_OK, S_OK, F,  F,   F,    F,   F,    F,    F,   F,
    [S_2 + 0] = F,     S_1,  S_1,  S_1,  F,  F,   F,    F,   F,    F,    F,   F,
    [S_3 + 0] = F,     S_2,  S_2,  S_2,  F,  F,   F,    F,   F,    F,    F,   F,
    [S_E0 + 0] = F,    F,    F,    S_1,  F,  F,   F,    F,   F,    F,    F,   F,
    [S_ED + 0] = F,    S_1,  S_1,  F,    F,  F,   F,    F,   F,    F,    F,   F,
    [S_F0 + 0] = F,    F,    S_2,  S_2,  F,  F,   F,    F,   F,    F,    F,   F,
    [S_F4 + 0] = F,    S_2,  F,    F,    F,  F,   F,    F,   F,    F,    F,   F,
    [S_FAIL + 0] = F,  F,    F,    F,    F,  F,   F,    F,   F,    F,    F,   F,
};
#undef F
// clang-format on

static const uint64_t HIGH_BITS = 0x8080808080808080ull;

int utf8_feed(utf8_state_t *st, const uint8_t *p, size_t n)
{
    uint32_t s = st->state;
    size_t i = 0;

    if (s >= S_FAIL)
        return WSX_EUTF8;
    while (i < n) {
        if (s == S_OK) {
            /* Between code points: skip ASCII, whole words at a time. */
            while (n - i >= 16) {
                uint64_t w[2];
                memcpy(w, p + i, 16);
                if ((w[0] | w[1]) & HIGH_BITS)
                    break;
                i += 16;
            }
            while (n - i >= 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & HIGH_BITS)
                    break;
                i += 8;
            }
            while (i < n && p[i] < 0x80)
                i++;
            if (i == n)
                break;
        }
        /* A multi-byte sequence: step the DFA until it ends (or fails). */
        do {
            s = next_state[s + byte_class[p[i++]]];
        } while (s != S_OK && s != S_FAIL && i < n);
        if (s == S_FAIL) {
            st->state = S_FAIL;
            return WSX_EUTF8;
        }
    }
    st->state = s;
    return 0;
}

int utf8_validate(const uint8_t *p, size_t n)
{
    utf8_state_t st = UTF8_STATE_INIT;

    if (utf8_feed(&st, p, n) != 0 || !utf8_complete(&st))
        return WSX_EUTF8;
    return 0;
}
