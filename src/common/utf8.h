/* utf8.h - an incremental UTF-8 validator (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). Fed a message in pieces, it fails at the first byte
 * that cannot start or continue a valid sequence, so a bad text message is
 * refused without waiting for the rest of it. */
#ifndef WSX_UTF8_H
#define WSX_UTF8_H

#include <stdint.h>
#include <stddef.h>

typedef struct utf8_state {
    uint32_t state; /* 0: between code points */
} utf8_state_t;

#define UTF8_STATE_INIT ((utf8_state_t){0})

/* Feed p[0..n). Returns 0 if every byte so far can be part of valid UTF-8 (the
 * text may end mid-sequence), WSX_EUTF8 as soon as it cannot. After an error the
 * state stays failed. Fast path: eight ASCII bytes at a time. */
int utf8_feed(utf8_state_t *st, const uint8_t *p, size_t n);

/* 1 if the text fed so far ends on a code point boundary (a complete message). */
static inline int utf8_complete(const utf8_state_t *st)
{
    return st->state == 0;
}

/* One-shot check of a whole buffer: 0 or WSX_EUTF8. */
int utf8_validate(const uint8_t *p, size_t n);

#endif
