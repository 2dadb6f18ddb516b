/* wsx_json.c - a strict RFC 8259 scanner for the hot path of json channels. One
 * pass, no allocation, no recursion: nesting is a bit stack in one 64-bit word
 * (1 = object), which is why WSX_JSON_MAX_DEPTH is 64. Strings are scanned eight
 * bytes at a time until a byte needs a look (quote, backslash, control, non-ASCII);
 * UTF-8 is checked inline so that an error points at the offending byte. The
 * helpers that read an already checked value (object_get, string_copy, ...) stay
 * within the slice they are given even when it is not valid JSON. */
#include <limits.h>
#include <string.h>

#include "common/err.h"
#include "wsx/wsx_json.h"

_Static_assert(WSX_JSON_MAX_DEPTH <= 64, "the nesting stack is one uint64_t");

/* Phrases for err/why; a client developer reads them after "invalid JSON at byte N: ". */
static const char E_END[] = "unexpected end of input";
static const char E_CHAR[] = "unexpected character";
static const char E_UNTERMINATED[] = "unterminated string";
static const char E_CONTROL[] = "unescaped control character in string";
static const char E_ESCAPE[] = "invalid escape in string";
static const char E_UESCAPE[] = "invalid \\u escape (four hex digits expected)";
static const char E_SURROGATE[] = "unpaired surrogate in \\u escape";
static const char E_UTF8[] = "invalid UTF-8 in string";
static const char E_NUMBER[] = "invalid number";
static const char E_LITERAL[] = "invalid literal (true, false or null expected)";
static const char E_DEPTH[] = "nesting too deep";
static const char E_NAME[] = "expected a member name in double quotes";
static const char E_COLON[] = "expected ':' after the member name";
static const char E_OBJ_NEXT[] = "expected ',' or '}' after a member";
static const char E_ARR_NEXT[] = "expected ',' or ']' after an element";
static const char E_TRAILING[] = "unexpected character after the value";

// clang-format off
static const uint8_t is_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1};

/* Bytes a string scan must stop at: '"', '\\', controls, and non-ASCII. */
static const uint8_t str_stop[256] = {
    [0x00 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xFF] = 1,
};

/* Hex digits: 0x10 | value; 0 for anything else. */
static const uint8_t hexval[256] = {
    ['0'] = 0x10, ['1'] = 0x11, ['2'] = 0x12, ['3'] = 0x13, ['4'] = 0x14, ['5'] = 0x15,
    ['6'] = 0x16, ['7'] = 0x17, ['8'] = 0x18, ['9'] = 0x19, ['a'] = 0x1A, ['b'] = 0x1B,
    ['c'] = 0x1C, ['d'] = 0x1D, ['e'] = 0x1E, ['f'] = 0x1F, ['A'] = 0x1A, ['B'] = 0x1B,
    ['C'] = 0x1C, ['D'] = 0x1D, ['E'] = 0x1E, ['F'] = 0x1F,
};
// clang-format on

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull

/* Nonzero when some byte of w is zero (exact as a yes/no answer). */
static inline uint64_t has_zero(uint64_t w)
{
    return (w - ONES) & ~w & HIGHS;
}

typedef struct scan {
    const uint8_t *at; /* where the problem is */
    const char *why;
} scan_t;

static inline const uint8_t *fail(scan_t *s, const uint8_t *at, const char *why)
{
    s->at = at;
    s->why = why;
    return NULL;
}

static inline const uint8_t *skip_ws(const uint8_t *p, const uint8_t *end)
{
    while (p < end && is_ws[*p])
        p++;
    return p;
}

/* Four hex digits at p (the caller made sure there are four bytes): the value, or
 * -1. */
static inline int32_t hex4(const uint8_t *p)
{
    uint32_t a = hexval[p[0]], b = hexval[p[1]], c = hexval[p[2]], d = hexval[p[3]];
    if (!(a & b & c & d & 0x10))
        return -1;
    return (int32_t)((a & 15) << 12 | (b & 15) << 8 | (c & 15) << 4 | (d & 15));
}

/* The length of the valid UTF-8 sequence of two to four bytes at p, or 0 (RFC
 * 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
static inline size_t utf8_seq(const uint8_t *p, const uint8_t *end)
{
    uint8_t c = p[0];
    size_t n = (size_t)(end - p);
    uint8_t lo = 0x80, hi = 0xBF;

    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c < 0xF0) {
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
        return n >= 3 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 ? 3 : 0;
    }
    if (c < 0xF5) {
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
        return n >= 4 && p[1] >= lo && p[1] <= hi && (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* A \u escape at p (p[0] == '\\', p[1] == 'u'), with its low half when it is a
 * high surrogate. Returns the code point and sets *n to the bytes used; -1 for
 * bad hex, -2 for an unpaired surrogate. */
static inline int32_t u_escape(const uint8_t *p, const uint8_t *end, size_t *n)
{
    if (end - p < 6)
        return -1;
    int32_t cu = hex4(p + 2);
    if (cu < 0)
        return -1;
    *n = 6;
    if (cu < 0xD800 || cu > 0xDFFF)
        return cu;
    if (cu > 0xDBFF || end - p < 12 || p[6] != '\\' || p[7] != 'u')
        return -2;
    int32_t lo = hex4(p + 8);
    if (lo < 0xDC00 || lo > 0xDFFF)
        return -2;
    *n = 12;
    return 0x10000 + ((cu - 0xD800) << 10) + (lo - 0xDC00);
}

/* A string at p (p[0] == '"'): returns the byte after its closing quote. */
static inline __attribute__((always_inline)) const uint8_t *
scan_string(const uint8_t *p, const uint8_t *end, scan_t *s)
{
    const uint8_t *start = p++;

    for (;;) {
        /* Eight plain bytes at a time: no quote, backslash, control or high bit. */
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (((w - ONES * 0x20) & ~w & HIGHS) | has_zero(w ^ (ONES * '"')) |
                has_zero(w ^ (ONES * '\\')) | (w & HIGHS))
                break;
            p += 8;
        }
        while (p < end && !str_stop[*p])
            p++;
        if (p == end)
            return fail(s, start, E_UNTERMINATED);
        uint8_t c = *p;
        if (c == '"')
            return p + 1;
        if (c == '\\') {
            if (end - p < 2)
                return fail(s, start, E_UNTERMINATED);
            switch (p[1]) {
            case '"':
            case '\\':
            case '/':
            case 'b':
            case 'f':
            case 'n':
            case 'r':
            case 't':
                p += 2;
                break;
            case 'u': {
                size_t n;
                int32_t cp = u_escape(p, end, &n);
                if (cp < 0)
                    return fail(s, p, cp == -1 ? E_UESCAPE : E_SURROGATE);
                p += n;
                break;
            }
            default:
                return fail(s, p, E_ESCAPE);
            }
        } else if (c < 0x20) {
            return fail(s, p, E_CONTROL);
        } else {
            size_t n = utf8_seq(p, end);
            if (n == 0)
                return fail(s, p, E_UTF8);
            p += n;
        }
    }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? at p. */
static const uint8_t *scan_number(const uint8_t *p, const uint8_t *end, scan_t *s)
{
    if (*p == '-')
        p++;
    if (p == end)
        return fail(s, p, E_END);
    if (*p == '0') {
        p++;
        if (p < end && *p >= '0' && *p <= '9')
            return fail(s, p, "leading zero in number");
    } else if (*p >= '1' && *p <= '9') {
        p++;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    } else {
        return fail(s, p, E_NUMBER);
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end)
            return fail(s, p, E_END);
        if (*p < '0' || *p > '9')
            return fail(s, p, E_NUMBER);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p == end)
            return fail(s, p, E_END);
        if (*p < '0' || *p > '9')
            return fail(s, p, E_NUMBER);
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    return p;
}

static inline const uint8_t *scan_literal(const uint8_t *p, const uint8_t *end, const char *lit,
                                          size_t n, scan_t *s)
{
    size_t avail = (size_t)(end - p);
    size_t k = 0;
    while (k < n && k < avail && p[k] == (uint8_t)lit[k])
        k++;
    if (k == n)
        return p + n;
    return fail(s, p + k, k == avail ? E_END : E_LITERAL);
}

/* One value starting exactly at p (no whitespace before it), inside `outer` open
 * containers (0 at the top; 1 for a member of the object an iterator walks, so the
 * depth limit counts from the message's top as wsx_json_validate does). Containers
 * are walked with the bit stack; everything else is a leaf scan. Returns the byte
 * after the value. */
static const uint8_t *scan_value(const uint8_t *p, const uint8_t *end, scan_t *s, unsigned outer)
{
    uint64_t is_obj = 0; /* bit 0: the innermost open container is an object */
    unsigned depth = outer;

value:
    if (p == end)
        return fail(s, p, E_END);
    switch (*p) {
    case '"':
        p = scan_string(p, end, s);
        break;
    case '{':
    case '[': {
        uint64_t obj = *p == '{';
        if (depth == WSX_JSON_MAX_DEPTH)
            return fail(s, p, E_DEPTH);
        depth++;
        is_obj = is_obj << 1 | obj;
        p = skip_ws(p + 1, end);
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            is_obj >>= 1;
            break;
        }
        if (obj)
            goto key;
        goto value;
    }
    case '-':
    case '0' ... '9':
        p = scan_number(p, end, s);
        break;
    case 't':
        p = scan_literal(p, end, "true", 4, s);
        break;
    case 'f':
        p = scan_literal(p, end, "false", 5, s);
        break;
    case 'n':
        p = scan_literal(p, end, "null", 4, s);
        break;
    default:
        return fail(s, p, E_CHAR);
    }
    if (!p)
        return NULL;

next:
    if (depth == outer)
        return p;
    p = skip_ws(p, end);
    if (p == end)
        return fail(s, p, E_END);
    if (*p == ',') {
        p = skip_ws(p + 1, end);
        if (is_obj & 1)
            goto key;
        goto value;
    }
    if (*p == ((is_obj & 1) ? '}' : ']')) {
        p++;
        depth--;
        is_obj >>= 1;
        goto next;
    }
    return fail(s, p, (is_obj & 1) ? E_OBJ_NEXT : E_ARR_NEXT);

key:
    if (p == end)
        return fail(s, p, E_END);
    if (*p != '"')
        return fail(s, p, E_NAME);
    p = scan_string(p, end, s);
    if (!p)
        return NULL;
    p = skip_ws(p, end);
    if (p == end)
        return fail(s, p, E_END);
    if (*p != ':')
        return fail(s, p, E_COLON);
    p = skip_ws(p + 1, end);
    goto value;
}

static int report(const uint8_t *buf, const scan_t *s, size_t *err_off, const char **why)
{
    if (err_off)
        *err_off = (size_t)(s->at - buf);
    if (why)
        *why = s->why;
    return WSX_EINVAL;
}

int wsx_json_validate(const uint8_t *buf, size_t len, size_t *err_off, const char **why)
{
    const uint8_t *end = buf + len;
    scan_t s;
    const uint8_t *p = scan_value(skip_ws(buf, end), end, &s, 0);

    if (p) {
        p = skip_ws(p, end);
        if (p == end)
            return 0;
        fail(&s, p, E_TRAILING);
    }
    return report(buf, &s, err_off, why);
}

void wsx_json_iter_init(wsx_json_iter_t *it, const uint8_t *buf, size_t len, size_t off)
{
    it->buf = buf;
    it->len = len;
    it->pos = off;
    it->started = 0;
    it->known_valid = 0;
}

void wsx_json_iter_init_valid(wsx_json_iter_t *it, wsx_slice_t obj)
{
    it->buf = obj.ptr;
    it->len = obj.len;
    it->pos = 0;
    it->started = 0;
    it->known_valid = 1;
}

static int member_next(const uint8_t **pp, const uint8_t *end, wsx_slice_t *key, wsx_slice_t *val);

/* The unchecked walk: member_next from where the last one ended. */
static int iter_next_valid(wsx_json_iter_t *it, wsx_slice_t *key, wsx_slice_t *val)
{
    const uint8_t *end = it->buf + it->len;
    const uint8_t *p = it->buf + it->pos;

    if (!it->started) {
        p = skip_ws(p, end);
        if (p == end || *p != '{')
            return 0;
        p++;
        it->started = 1;
    }
    if (!member_next(&p, end, key, val))
        return 0;
    it->pos = (size_t)(p - it->buf);
    return 1;
}

int wsx_json_iter_next(wsx_json_iter_t *it, wsx_slice_t *key, wsx_slice_t *val, size_t *err_off,
                       const char **why)
{
    const uint8_t *end = it->buf + it->len;
    const uint8_t *p = it->buf + it->pos;
    scan_t s;

    if (it->known_valid)
        return iter_next_valid(it, key, val);
    if (!it->started) {
        if (p == end || *p != '{') {
            fail(&s, p, p == end ? E_END : E_CHAR);
            return report(it->buf, &s, err_off, why);
        }
        it->started = 1;
        p = skip_ws(p + 1, end);
        if (p < end && *p == '}') {
            it->pos = (size_t)(p + 1 - it->buf);
            return 0;
        }
    } else {
        p = skip_ws(p, end);
        if (p < end && *p == '}') {
            it->pos = (size_t)(p + 1 - it->buf);
            return 0;
        }
        if (p == end || *p != ',') {
            fail(&s, p, p == end ? E_END : E_OBJ_NEXT);
            return report(it->buf, &s, err_off, why);
        }
        p = skip_ws(p + 1, end);
    }
    if (p == end || *p != '"') {
        fail(&s, p, p == end ? E_END : E_NAME);
        return report(it->buf, &s, err_off, why);
    }
    const uint8_t *k = p;
    p = scan_string(p, end, &s);
    if (!p)
        return report(it->buf, &s, err_off, why);
    *key = wsx_slice(k, (size_t)(p - k));
    p = skip_ws(p, end);
    if (p == end || *p != ':') {
        fail(&s, p, p == end ? E_END : E_COLON);
        return report(it->buf, &s, err_off, why);
    }
    p = skip_ws(p + 1, end);
    const uint8_t *v = p;
    p = scan_value(p, end, &s, 1);
    if (!p)
        return report(it->buf, &s, err_off, why);
    *val = wsx_slice(v, (size_t)(p - v));
    it->pos = (size_t)(p - it->buf);
    return 1;
}

wsx_json_type_t wsx_json_type(wsx_slice_t v)
{
    if (v.len == 0)
        return WSX_JSON_INVALID;
    switch (v.ptr[0]) {
    case '{':
        return WSX_JSON_OBJECT;
    case '[':
        return WSX_JSON_ARRAY;
    case '"':
        return WSX_JSON_STRING;
    case '-':
    case '0' ... '9':
        return WSX_JSON_NUMBER;
    case 't':
        return WSX_JSON_TRUE;
    case 'f':
        return WSX_JSON_FALSE;
    case 'n':
        return WSX_JSON_NULL;
    default:
        return WSX_JSON_INVALID;
    }
}

/* ---- Reading values already checked. Each stays inside [p, end) whatever the
 * bytes are, so a caller's mistake costs a wrong answer, never a bad read. */

/* Past the string at p (p[0] == '"'), or end. */
static const uint8_t *skip_string(const uint8_t *p, const uint8_t *end)
{
    p++;
    for (;;) {
        while (end - p >= 8) {
            uint64_t w;
            memcpy(&w, p, 8);
            if (has_zero(w ^ (ONES * '"')) | has_zero(w ^ (ONES * '\\')))
                break;
            p += 8;
        }
        while (p < end && *p != '"' && *p != '\\')
            p++;
        if (p == end)
            return end;
        if (*p == '"')
            return p + 1;
        if (end - p < 2)
            return end;
        p += 2;
    }
}

// clang-format off
/* Bytes a container skip must look at. */
static const uint8_t nest_stop[256] = {
    ['"'] = 1, ['{'] = 1, ['['] = 1, ['}'] = 1, [']'] = 1,
};
/* Bytes that end a number or literal. */
static const uint8_t scalar_end[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [','] = 1, [']'] = 1, ['}'] = 1, [':'] = 1,
};
// clang-format on

/* Past the value at p, or end. */
static const uint8_t *skip_value(const uint8_t *p, const uint8_t *end)
{
    if (p >= end)
        return end;
    if (*p == '"')
        return skip_string(p, end);
    if (*p == '{' || *p == '[') {
        size_t depth = 0;
        while (p < end) {
            while (p < end && !nest_stop[*p])
                p++;
            if (p == end)
                break;
            if (*p == '"') {
                p = skip_string(p, end);
                continue;
            }
            if (*p == '{' || *p == '[') {
                depth++;
            } else if (--depth == 0) {
                return p + 1;
            }
            p++;
        }
        return end;
    }
    while (p < end && !scalar_end[*p])
        p++;
    return p;
}

/* The next member of the object being walked at *pp (just after '{' or after the
 * previous member). 1 with key and val, 0 at the end. */
static int member_next(const uint8_t **pp, const uint8_t *end, wsx_slice_t *key, wsx_slice_t *val)
{
    const uint8_t *p = skip_ws(*pp, end);
    if (p < end && *p == ',')
        p = skip_ws(p + 1, end);
    if (p == end || *p != '"')
        return 0;
    const uint8_t *k = p;
    p = skip_string(p, end);
    *key = wsx_slice(k, (size_t)(p - k));
    p = skip_ws(p, end);
    if (p == end || *p != ':')
        return 0;
    p = skip_ws(p + 1, end);
    const uint8_t *v = p;
    p = skip_value(p, end);
    if (p == v)
        return 0;
    *val = wsx_slice(v, (size_t)(p - v));
    *pp = p;
    return 1;
}

static inline size_t utf8_put(uint32_t cp, uint8_t *o)
{
    if (cp < 0x80) {
        o[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (uint8_t)(0xC0 | cp >> 6);
        o[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (uint8_t)(0xE0 | cp >> 12);
        o[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
        o[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (uint8_t)(0xF0 | cp >> 18);
    o[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3F));
    o[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3F));
    o[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* The escape at p (p[0] == '\\') as UTF-8 into o[0..4): its length, with *used
 * set to the input bytes it took; 0 if it is not a valid escape. */
static inline size_t unescape_one(const uint8_t *p, const uint8_t *end, uint8_t *o, size_t *used)
{
    if (end - p < 2)
        return 0;
    *used = 2;
    switch (p[1]) {
    case '"':
    case '\\':
    case '/':
        o[0] = p[1];
        return 1;
    case 'b':
        o[0] = '\b';
        return 1;
    case 'f':
        o[0] = '\f';
        return 1;
    case 'n':
        o[0] = '\n';
        return 1;
    case 'r':
        o[0] = '\r';
        return 1;
    case 't':
        o[0] = '\t';
        return 1;
    case 'u': {
        int32_t cp = u_escape(p, end, used);
        if (cp < 0)
            return 0;
        return utf8_put((uint32_t)cp, o);
    }
    default:
        return 0;
    }
}

/* The inside of a string slice (without quotes), or 0 if v is not one. */
static inline int string_body(wsx_slice_t v, const uint8_t **p, const uint8_t **end)
{
    if (v.len < 2 || v.ptr[0] != '"' || v.ptr[v.len - 1] != '"')
        return 0;
    *p = v.ptr + 1;
    *end = v.ptr + v.len - 1;
    return 1;
}

/* Does the member name k (with quotes) unescape to key[0..klen)? */
static int key_eq(wsx_slice_t k, const char *key, size_t klen)
{
    const uint8_t *p, *end;
    if (!string_body(k, &p, &end))
        return 0;
    const uint8_t *bs = memchr(p, '\\', (size_t)(end - p));
    if (!bs)
        return (size_t)(end - p) == klen && memcmp(p, key, klen) == 0;
    size_t i = 0;
    while (p < end) {
        if (*p != '\\') {
            if (i == klen || (uint8_t)key[i] != *p)
                return 0;
            i++, p++;
            continue;
        }
        uint8_t u[4];
        size_t used, n = unescape_one(p, end, u, &used);
        if (n == 0 || klen - i < n || memcmp(key + i, u, n) != 0)
            return 0;
        i += n;
        p += used;
    }
    return i == klen;
}

int wsx_json_object_get(wsx_slice_t obj, const char *key, wsx_slice_t *val)
{
    const uint8_t *end = obj.ptr + obj.len;
    const uint8_t *p = skip_ws(obj.ptr, end);
    size_t klen = strlen(key);
    wsx_slice_t k, v;
    int found = 0;

    if (p == end || *p != '{')
        return WSX_ENOTFOUND;
    p++;
    while (member_next(&p, end, &k, &v)) {
        if (key_eq(k, key, klen)) {
            *val = v;
            found = 1;
        }
    }
    return found ? 0 : WSX_ENOTFOUND;
}

/* Copy the first n bytes of the run at p into out, fewer if the n-th byte would
 * split a character (the bytes after the run are the string's, so p[n] exists). */
static inline size_t copy_cut(char *out, const uint8_t *p, size_t n)
{
    while (n > 0 && (p[n] & 0xC0) == 0x80)
        n--;
    memcpy(out, p, n);
    return n;
}

int wsx_json_string_copy(wsx_slice_t v, char *out, size_t cap)
{
    const uint8_t *p, *end;
    size_t o = 0;

    if (!string_body(v, &p, &end))
        return WSX_EINVAL;
    if (cap == 0)
        return WSX_ETOOBIG;
    /* Bytes left before the NUL; capped so that the length fits the return type. */
    size_t room = cap - 1 < INT_MAX ? cap - 1 : INT_MAX;
    while (p < end) {
        const uint8_t *bs = memchr(p, '\\', (size_t)(end - p));
        size_t run = (size_t)((bs ? bs : end) - p);
        if (run > room) {
            o += copy_cut(out + o, p, room);
            out[o] = '\0';
            return WSX_ETOOBIG;
        }
        memcpy(out + o, p, run);
        o += run;
        room -= run;
        p += run;
        if (!bs)
            break;
        uint8_t u[4];
        size_t used, n = unescape_one(p, end, u, &used);
        if (n == 0 || (n == 1 && u[0] == 0)) {
            out[o] = '\0';
            return WSX_EINVAL;
        }
        if (n > room) {
            out[o] = '\0';
            return WSX_ETOOBIG;
        }
        memcpy(out + o, u, n);
        o += n;
        room -= n;
        p += used;
    }
    out[o] = '\0';
    return (int)o;
}

int wsx_json_string_eq_ct(wsx_slice_t v, const char *s, size_t slen)
{
    const uint8_t *p, *end;
    const uint8_t *su = (const uint8_t *)s;
    uint32_t diff = 0;
    size_t k = 0;

    if (!string_body(v, &p, &end))
        return 0;
    /* Branches here depend on v (what the client sent) and on the lengths, never on
     * the bytes of s: every decoded byte is compared, with no early exit. */
    while (p < end) {
        uint8_t u[4];
        size_t used = 1, n = 1;
        if (*p == '\\') {
            n = unescape_one(p, end, u, &used);
            if (n == 0)
                return 0;
        } else {
            u[0] = *p;
        }
        for (size_t j = 0; j < n; j++, k++) {
            uint8_t c = k < slen ? su[k] : 0;
            diff |= (uint32_t)(c ^ u[j]);
            __asm__("" : "+r"(diff)); /* keep the compiler from adding an early exit */
        }
        p += used;
    }
    return (diff == 0) & (k == slen);
}

// clang-format off
/* The bytes string_write must escape, and the letter of their short escape (the
 * others become \u00XX). */
static const uint8_t must_escape[256] = {[0x00 ... 0x1F] = 1, ['"'] = 1, ['\\'] = 1};
static const char esc_char[256] = {
    ['\b'] = 'b', ['\f'] = 'f', ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't', ['"'] = '"',
    ['\\'] = '\\',
};
// clang-format on

int wsx_json_string_write(const char *s, size_t len, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    size_t o = 0;

    if (cap < 2)
        return WSX_ETOOBIG;
    out[o++] = '"';
    while (p < end) {
        const uint8_t *q = p;
        while (q < end && !must_escape[*q])
            q++;
        size_t run = (size_t)(q - p);
        if (run > cap - o)
            return WSX_ETOOBIG;
        memcpy(out + o, p, run);
        o += run;
        p = q;
        if (p == end)
            break;
        if (esc_char[*p]) {
            if (cap - o < 2)
                return WSX_ETOOBIG;
            out[o++] = '\\';
            out[o++] = esc_char[*p];
        } else {
            if (cap - o < 6)
                return WSX_ETOOBIG;
            memcpy(out + o, "\\u00", 4);
            out[o + 4] = hex[*p >> 4];
            out[o + 5] = hex[*p & 15];
            o += 6;
        }
        p++;
    }
    if (cap - o < 1 || o + 1 > INT_MAX)
        return WSX_ETOOBIG;
    out[o++] = '"';
    return (int)o;
}
