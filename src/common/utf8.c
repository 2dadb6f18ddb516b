/* utf8.c - incremental UTF-8 validation for WebSocket text messages and close
 * reasons. A small DFA over byte classes: each state says what the next byte may
 * be, so an impossible byte is refused the moment it arrives, and a sequence may be
 * split across any number of feeds. Runs of ASCII are skipped eight bytes at a time. */
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

/* States. S_OK must be 0 (utf8_complete tests for it); S_FAIL is sticky. */
enum {
    S_OK,   /* between code points */
    S_1,    /* one continuation byte left, any of 80..BF */
    S_2,    /* two left, any */
    S_3,    /* three left, any */
    S_E0,   /* two left, the first in A0..BF */
    S_ED,   /* two left, the first in 80..9F */
    S_F0,   /* three left, the first in 90..BF */
    S_F4,   /* three left, the first in 80..8F */
    S_FAIL,
    S_COUNT
};

/* GNU range designators keep the table readable; the ranges do not overlap. */
static const uint8_t byte_class[256] = {
    [0x00 ... 0x7F] = K_ASCII, [0x80 ... 0x8F] = K_C80, [0x90 ... 0x9F] = K_C90,
    [0xA0 ... 0xBF] = K_CA0,   [0xC0 ... 0xC1] = K_BAD, [0xC2 ... 0xDF] = K_L2,
    [0xE0] = K_E0,             [0xE1 ... 0xEC] = K_L3,  [0xED] = K_ED,
    [0xEE ... 0xEF] = K_L3,    [0xF0] = K_F0,           [0xF1 ... 0xF3] = K_L4,
    [0xF4] = K_F4,             [0xF5 ... 0xFF] = K_BAD,
};

#define F S_FAIL
static const uint8_t next_state[S_COUNT][K_COUNT] = {
    /*           ASCII C80  C90  CA0  BAD L2   E0    L3   ED    F0    L4   F4 */
    [S_OK] = {S_OK, F, F, F, F, S_1, S_E0, S_2, S_ED, S_F0, S_3, S_F4},
    [S_1] = {F, S_OK, S_OK, S_OK, F, F, F, F, F, F, F, F},
    [S_2] = {F, S_1, S_1, S_1, F, F, F, F, F, F, F, F},
    [S_3] = {F, S_2, S_2, S_2, F, F, F, F, F, F, F, F},
    [S_E0] = {F, F, F, S_1, F, F, F, F, F, F, F, F},
    [S_ED] = {F, S_1, S_1, F, F, F, F, F, F, F, F, F},
    [S_F0] = {F, F, S_2, S_2, F, F, F, F, F, F, F, F},
    [S_F4] = {F, S_2, F, F, F, F, F, F, F, F, F, F},
    [S_FAIL] = {F, F, F, F, F, F, F, F, F, F, F, F},
};
#undef F

static const uint64_t HIGH_BITS = 0x8080808080808080ull;

int utf8_feed(utf8_state_t *st, const uint8_t *p, size_t n)
{
    uint32_t s = st->state;
    size_t i = 0;

    if (s >= S_FAIL)
        return WSX_EUTF8;
    while (i < n) {
        if (s == S_OK) {
            /* Between code points: skip whole words of ASCII. */
            while (n - i >= 8) {
                uint64_t w;
                memcpy(&w, p + i, 8);
                if (w & HIGH_BITS)
                    break;
                i += 8;
            }
            if (i == n)
                break;
        }
        s = next_state[s][byte_class[p[i]]];
        if (s == S_FAIL) {
            st->state = S_FAIL;
            return WSX_EUTF8;
        }
        i++;
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
