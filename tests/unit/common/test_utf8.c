/* test_utf8.c - the incremental UTF-8 validator against Markus Kuhn style edge
 * cases (boundaries, overlongs, surrogates, U+10FFFF), split feeds, the position
 * of the first refused byte, and an exhaustive comparison with a reference decoder
 * for every sequence of up to three bytes. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/utf8.h"
#include "utf8_ref.h"

typedef struct sample {
    const char *name;
    const char *bytes;
    size_t len;
} sample_t;

// clang-format off
#define S(n, b) {n, b, sizeof(b) - 1}
// clang-format on

static const sample_t valid[] = {
    S("empty", ""),
    S("U+0000", "\x00"),
    S("U+007F", "\x7F"),
    S("U+0080", "\xC2\x80"),
    S("U+07FF", "\xDF\xBF"),
    S("U+0800", "\xE0\xA0\x80"),
    S("U+D7FF", "\xED\x9F\xBF"),
    S("U+E000", "\xEE\x80\x80"),
    S("U+FFFD", "\xEF\xBF\xBD"),
    S("U+FFFF", "\xEF\xBF\xBF"),
    S("U+10000", "\xF0\x90\x80\x80"),
    S("U+FFFFF", "\xF3\xBF\xBF\xBF"),
    S("U+100000", "\xF4\x80\x80\x80"),
    S("U+10FFFF", "\xF4\x8F\xBF\xBF"),
    S("greek kosme", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5"),
    S("ascii across words", "abcdefghijklmnopqrstuvwxyz0123456789"),
    S("mixed in fast path", "aaaaaaaa\xC3\xA9zzzzzzzzzzzzzzzz\xF0\x9F\x98\x80zzzzzzzz"),
};

/* Each invalid sample with the index of the first byte that must be refused. */
typedef struct bad {
    const char *name;
    const char *bytes;
    size_t len;
    size_t bad_at;
} bad_t;

// clang-format off
#define B(n, b, at) {n, b, sizeof(b) - 1, at}
// clang-format on

static const bad_t invalid[] = {
    B("lone continuation 80", "\x80", 0),
    B("lone continuation BF", "\xBF", 0),
    B("continuation after ascii", "ab\x80", 2),
    B("C0 overlong lead", "\xC0\x80", 0),
    B("C1 overlong lead", "\xC1\xBF", 0),
    B("overlong slash 2 bytes", "\xC0\xAF", 0),
    B("overlong slash 3 bytes", "\xE0\x80\xAF", 1),
    B("overlong slash 4 bytes", "\xF0\x80\x80\xAF", 1),
    B("overlong U+07FF in 3 bytes", "\xE0\x9F\xBF", 1),
    B("overlong U+FFFF in 4 bytes", "\xF0\x8F\xBF\xBF", 1),
    B("surrogate U+D800", "\xED\xA0\x80", 1),
    B("surrogate U+DB7F", "\xED\xAD\xBF", 1),
    B("surrogate U+DC00", "\xED\xB0\x80", 1),
    B("surrogate U+DFFF", "\xED\xBF\xBF", 1),
    B("surrogate pair", "\xED\xA0\x80\xED\xB0\x80", 1),
    B("U+110000", "\xF4\x90\x80\x80", 1),
    B("U+13FFFF", "\xF4\xBF\xBF\xBF", 1),
    B("F5 lead", "\xF5\x80\x80\x80", 0),
    B("F8 5-byte form", "\xF8\x88\x80\x80\x80", 0),
    B("FC 6-byte form", "\xFC\x84\x80\x80\x80\x80", 0),
    B("FE", "\xFE", 0),
    B("FF", "\xFF", 0),
    B("ascii where continuation expected", "\xC3z", 1),
    B("lead where continuation expected", "\xE2\x82\xC3\xA9", 2),
    B("3-byte cut by ascii", "\xE2\x82z", 2),
    B("4-byte cut by ascii", "\xF0\x9F\x98z", 3),
    B("bad byte after 8 ascii", "aaaaaaaa\xFF", 8),
    B("bad byte after 15 ascii", "aaaaaaaaaaaaaaa\xC0\x80", 15),
    B("valid then bad", "\xCE\xBA\xE1\xBD\xB9\xCF\x83\xCE\xBC\xCE\xB5\xED\xA0\x80", 12),
};

Test(utf8, valid_samples_are_accepted)
{
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        cr_assert_eq(utf8_validate((const uint8_t *)valid[i].bytes, valid[i].len), 0, "%s",
                     valid[i].name);
    }
}

Test(utf8, valid_samples_split_at_every_point)
{
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
        const uint8_t *b = (const uint8_t *)valid[i].bytes;
        size_t n = valid[i].len;
        for (size_t cut = 0; cut <= n; cut++) {
            utf8_state_t st = UTF8_STATE_INIT;
            cr_assert_eq(utf8_feed(&st, b, cut), 0, "%s cut %zu", valid[i].name, cut);
            cr_assert_eq(utf8_feed(&st, b + cut, n - cut), 0, "%s cut %zu", valid[i].name, cut);
            cr_assert(utf8_complete(&st), "%s cut %zu", valid[i].name, cut);
        }
    }
}

Test(utf8, invalid_samples_are_refused)
{
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
        cr_assert_eq(utf8_validate((const uint8_t *)invalid[i].bytes, invalid[i].len), WSX_EUTF8,
                     "%s", invalid[i].name);
}

/* Fed one byte at a time, the validator accepts every byte before the bad one and
 * refuses exactly that one: a bad text message is failed without waiting. */
Test(utf8, fails_on_the_first_impossible_byte)
{
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        const bad_t *t = &invalid[i];
        utf8_state_t st = UTF8_STATE_INIT;
        for (size_t k = 0; k < t->bad_at; k++)
            cr_assert_eq(utf8_feed(&st, (const uint8_t *)t->bytes + k, 1), 0,
                         "%s: byte %zu refused too early", t->name, k);
        cr_assert_eq(utf8_feed(&st, (const uint8_t *)t->bytes + t->bad_at, 1), WSX_EUTF8,
                     "%s: byte %zu not refused", t->name, t->bad_at);
    }
}

/* The same in one feed: a prefix up to the bad byte passes, one more byte fails. */
Test(utf8, prefix_before_bad_byte_is_accepted_in_one_feed)
{
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        const bad_t *t = &invalid[i];
        utf8_state_t st = UTF8_STATE_INIT;
        cr_assert_eq(utf8_feed(&st, (const uint8_t *)t->bytes, t->bad_at), 0, "%s", t->name);
        st = UTF8_STATE_INIT;
        cr_assert_eq(utf8_feed(&st, (const uint8_t *)t->bytes, t->bad_at + 1), WSX_EUTF8, "%s",
                     t->name);
    }
}

Test(utf8, stays_failed_after_an_error)
{
    utf8_state_t st = UTF8_STATE_INIT;
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"\xFF", 1), WSX_EUTF8);
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"plain ascii text", 16), WSX_EUTF8);
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"", 0), WSX_EUTF8);
    cr_assert_not(utf8_complete(&st));
}

Test(utf8, truncated_sequences_are_incomplete_not_invalid)
{
    static const char *cuts[] = {"\xC2", "\xE0\xA0", "\xE2", "\xF0\x90\x80", "\xF4\x8F", "ab\xF3"};
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        const uint8_t *b = (const uint8_t *)cuts[i];
        size_t n = strlen(cuts[i]);
        utf8_state_t st = UTF8_STATE_INIT;
        cr_assert_eq(utf8_feed(&st, b, n), 0, "cut %zu", i);
        cr_assert_not(utf8_complete(&st), "cut %zu", i);
        cr_assert_eq(utf8_validate(b, n), WSX_EUTF8, "cut %zu", i);
    }
}

Test(utf8, sequence_split_over_many_feeds)
{
    /* U+1F600 arriving one byte per frame, then more text. */
    utf8_state_t st = UTF8_STATE_INIT;
    const uint8_t smile[] = {0xF0, 0x9F, 0x98, 0x80};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(utf8_feed(&st, smile + i, 1), 0);
        cr_assert_eq(utf8_complete(&st), i == 3);
    }
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"ok", 2), 0);
    cr_assert(utf8_complete(&st));
}

Test(utf8, split_surrogate_is_refused_at_its_second_byte)
{
    utf8_state_t st = UTF8_STATE_INIT;
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"\xED", 1), 0);
    cr_assert_eq(utf8_feed(&st, (const uint8_t *)"\xA0\x80", 2), WSX_EUTF8);
}

Test(utf8, long_ascii_with_bad_byte_at_every_position)
{
    uint8_t buf[67];
    for (size_t bad = 0; bad < sizeof(buf); bad++) {
        memset(buf, 'x', sizeof(buf));
        buf[bad] = 0x80;
        cr_assert_eq(utf8_validate(buf, sizeof(buf)), WSX_EUTF8, "bad at %zu", bad);
        utf8_state_t st = UTF8_STATE_INIT;
        cr_assert_eq(utf8_feed(&st, buf, bad), 0, "bad at %zu", bad);
    }
    memset(buf, 'x', sizeof(buf));
    cr_assert_eq(utf8_validate(buf, sizeof(buf)), 0);
}


Test(utf8, every_sequence_of_up_to_three_bytes_matches_reference)
{
    uint8_t b[3];
    for (unsigned x = 0; x < 256; x++) {
        b[0] = (uint8_t)x;
        cr_assert_eq(utf8_validate(b, 1) == 0, utf8_ref_validate(b, 1) == 0, "%02x", x);
        for (unsigned y = 0; y < 256; y++) {
            b[1] = (uint8_t)y;
            if ((utf8_validate(b, 2) == 0) != (utf8_ref_validate(b, 2) == 0))
                cr_assert_fail("%02x %02x", x, y);
            for (unsigned z = 0; z < 256; z++) {
                b[2] = (uint8_t)z;
                if ((utf8_validate(b, 3) == 0) != (utf8_ref_validate(b, 3) == 0))
                    cr_assert_fail("%02x %02x %02x", x, y, z);
            }
        }
    }
}

Test(utf8, four_byte_sequences_around_the_limits_match_reference)
{
    /* All leads F0..F7 with every second byte, and third/fourth bytes at the edges
     * of the continuation range and just outside it. */
    static const uint8_t edge[] = {0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0};
    uint8_t b[4];
    for (unsigned x = 0xF0; x <= 0xF7; x++)
        for (unsigned y = 0; y < 256; y++)
            for (size_t k = 0; k < sizeof(edge); k++)
                for (size_t l = 0; l < sizeof(edge); l++) {
                    b[0] = (uint8_t)x, b[1] = (uint8_t)y, b[2] = edge[k], b[3] = edge[l];
                    if ((utf8_validate(b, 4) == 0) != (utf8_ref_validate(b, 4) == 0))
                        cr_assert_fail("%02x %02x %02x %02x", b[0], b[1], b[2], b[3]);
                }
}
