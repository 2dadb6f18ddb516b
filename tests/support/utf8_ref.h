/* utf8_ref.h - a reference UTF-8 validator for tests and fuzz targets, written the
 * slow, obvious way (decode a code point, check its length, range and surrogates),
 * so that it shares nothing with the DFA tables of src/common/utf8.c it checks.
 * Returns 0 for valid UTF-8, -1 otherwise. */
#ifndef WSX_TEST_UTF8_REF_H
#define WSX_TEST_UTF8_REF_H

#include <stddef.h>
#include <stdint.h>

static inline int utf8_ref_validate(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t b = p[i];
        size_t len;
        uint32_t cp, min;
        if (b < 0x80) {
            i++;
            continue;
        } else if ((b & 0xE0) == 0xC0) {
            len = 2, cp = b & 0x1F, min = 0x80;
        } else if ((b & 0xF0) == 0xE0) {
            len = 3, cp = b & 0x0F, min = 0x800;
        } else if ((b & 0xF8) == 0xF0) {
            len = 4, cp = b & 0x07, min = 0x10000;
        } else {
            return -1;
        }
        if (n - i < len)
            return -1;
        for (size_t k = 1; k < len; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return -1;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return -1;
        i += len;
    }
    return 0;
}

#endif
