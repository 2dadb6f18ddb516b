/* slice.h - a length-carrying view of bytes. Network data is never NUL-terminated:
 * every parser takes and returns slices. A slice never owns its bytes; the comment
 * on whoever hands one out says how long it stays valid. */
#ifndef WSX_SLICE_H
#define WSX_SLICE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct wsx_slice {
    const uint8_t *ptr;
    size_t len;
} wsx_slice_t;

#define WSX_SLICE_LIT(s) ((wsx_slice_t){(const uint8_t *)(s), sizeof(s) - 1})

static inline wsx_slice_t wsx_slice(const void *p, size_t n)
{
    return (wsx_slice_t){(const uint8_t *)p, n};
}

/* Case-sensitive equality with a C string. */
static inline int wsx_slice_eq(wsx_slice_t s, const char *c)
{
    size_t n = strlen(c);
    return s.len == n && memcmp(s.ptr, c, n) == 0;
}

/* ASCII case-insensitive equality with a C string (HTTP header names and tokens). */
int wsx_slice_ieq(wsx_slice_t s, const char *c);

/* Does the comma-separated token list `s` contain `token` (ASCII case-insensitive)?
 * Used for `Connection: keep-alive, Upgrade`. */
int wsx_slice_has_token(wsx_slice_t s, const char *token);

#endif
