/* slice.c - helpers over length-carrying byte views. */
#include "common/slice.h"

static inline uint8_t lower(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
}

int wsx_slice_ieq(wsx_slice_t s, const char *c)
{
    size_t n = strlen(c);
    if (s.len != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (lower(s.ptr[i]) != lower((uint8_t)c[i]))
            return 0;
    return 1;
}

int wsx_slice_has_token(wsx_slice_t s, const char *token)
{
    size_t i = 0;
    while (i < s.len) {
        while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == ','))
            i++;
        size_t start = i;
        while (i < s.len && s.ptr[i] != ',')
            i++;
        size_t end = i;
        while (end > start && (s.ptr[end - 1] == ' ' || s.ptr[end - 1] == '\t'))
            end--;
        if (end > start && wsx_slice_ieq(wsx_slice(s.ptr + start, end - start), token))
            return 1;
    }
    return 0;
}
