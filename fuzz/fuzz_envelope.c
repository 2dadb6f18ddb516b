/* fuzz_envelope.c - libFuzzer target for the JSON scanner and the envelope parser.
 * Each input is checked by wsx_json_validate and by jansson, which must agree but
 * for the differences documented below; parsed as an envelope, whose slices must
 * hold what the header promises; and every string in a valid document goes
 * through string_copy -> string_write -> string_copy and eq_ct unchanged. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "utf8_ref.h"
#include "wsx/envelope.h"
#include "wsx/wsx_json.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int inside(wsx_slice_t s, const uint8_t *d, size_t n)
{
    return s.len == 0 || (s.ptr >= d && s.ptr + s.len <= d + n);
}

static int valid(wsx_slice_t s)
{
    return wsx_json_validate(s.ptr, s.len, NULL, NULL) == 0;
}

/* Where the two parsers may differ (and why):
 * - wsx refuses nesting deeper than WSX_JSON_MAX_DEPTH (64); jansson allows 2048.
 * - jansson refuses numbers that overflow its integer or double types; RFC 8259
 *   (and wsx) leave number range to the application.
 * - jansson refuses \u0000 in a member name even with JSON_ALLOW_NUL.
 * - jansson skips one NUL byte right after a number or a literal ("2\0" and
 *   "[true\0]" load); to wsx a NUL byte there is an unexpected character.
 * With JSON_ALLOW_NUL, \u0000 in a string value is accepted by both. */
static void cross_check(const uint8_t *d, size_t n, int r, size_t off, const char *why)
{
    json_error_t err;
    json_t *j = json_loadb((const char *)d, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (r == 0 && !j) {
        enum json_error_code c = json_error_code(&err);
        if (c != json_error_numeric_overflow && c != json_error_null_byte_in_key) {
            fprintf(stderr, "wsx accepts, jansson refuses: %s (code %d)\n", err.text, (int)c);
            abort();
        }
    }
    if (r != 0 && j) {
        /* A NUL byte right after a number or a literal. */
        int at_nul =
            off > 0 && off < n && d[off] == 0 &&
            ((d[off - 1] >= '0' && d[off - 1] <= '9') || d[off - 1] == 'e' || d[off - 1] == 'l');
        if (strcmp(why, "nesting too deep") != 0 && !at_nul) {
            fprintf(stderr, "jansson accepts, wsx refuses: %s\n", why);
            abort();
        }
    }
    json_decref(j);
}

/* string_copy -> string_write -> string_copy, eq_ct, and cut copies. */
static void round_trip(wsx_slice_t v)
{
    size_t cap = v.len + 1; /* unescaping never makes a string longer */
    char *a = malloc(cap), *b = malloc(cap), *w = malloc(6 * v.len + 3);
    CHECK(a && b && w);
    int n = wsx_json_string_copy(v, a, cap);
    CHECK(n >= 0 || n == WSX_EINVAL);
    if (n >= 0) {
        CHECK(a[n] == '\0' && utf8_ref_validate((const uint8_t *)a, (size_t)n) == 0);
        CHECK(wsx_json_string_eq_ct(v, a, (size_t)n) == 1);
        if (n > 0) {
            a[n - 1] ^= 1;
            CHECK(wsx_json_string_eq_ct(v, a, (size_t)n) == 0);
            a[n - 1] ^= 1;
            CHECK(wsx_json_string_eq_ct(v, a, (size_t)n - 1) == 0);
        }
        int m = wsx_json_string_write(a, (size_t)n, w, 6 * v.len + 3);
        CHECK(m >= 2);
        CHECK(valid(wsx_slice(w, (size_t)m)));
        int k = wsx_json_string_copy(wsx_slice(w, (size_t)m), b, cap);
        CHECK(k == n && memcmp(a, b, (size_t)n) == 0);
        CHECK(wsx_json_string_write(a, (size_t)n, w, (size_t)m - 1) == WSX_ETOOBIG);
        /* Too small a buffer: a prefix, cut on a character boundary. */
        for (size_t c = 1; c <= (size_t)n && c < 8; c++) {
            CHECK(wsx_json_string_copy(v, b, c) == WSX_ETOOBIG);
            size_t l = strlen(b);
            CHECK(l < c && memcmp(a, b, l) == 0);
            CHECK(utf8_ref_validate((const uint8_t *)b, l) == 0);
        }
    }
    free(a);
    free(b);
    free(w);
}

/* Every string of a valid document, keys included. */
static void each_string(const uint8_t *d, size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (d[i] != '"') {
            i++;
            continue;
        }
        size_t s = i++;
        while (d[i] != '"')
            i += d[i] == '\\' ? 2 : 1;
        i++;
        round_trip(wsx_slice(d + s, i - s));
    }
}

/* Each member of a top-level object, looked up by wsx_json_object_get, must be what
 * jansson holds under that name (the last one when a name repeats, in both). */
static void check_members(const uint8_t *d, size_t n)
{
    json_t *j = json_loadb((const char *)d, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return;
    }
    wsx_json_iter_t it;
    wsx_slice_t k, v, got;
    size_t i = 0;
    while (i < n && d[i] != '{')
        i++;
    wsx_json_iter_t fast;
    wsx_slice_t fk, fv;
    wsx_json_iter_init(&it, d, n, i);
    wsx_json_iter_init_valid(&fast, wsx_slice(d, n));
    while (wsx_json_iter_next(&it, &k, &v, NULL, NULL) == 1) {
        /* The walk without checks sees the same members. */
        CHECK(wsx_json_iter_next(&fast, &fk, &fv, NULL, NULL) == 1);
        CHECK(fk.ptr == k.ptr && fk.len == k.len && fv.ptr == v.ptr && fv.len == v.len);
        char key[256];
        if (wsx_json_string_copy(k, key, sizeof key) < 0)
            continue;
        CHECK(wsx_json_object_get(wsx_slice(d + i, n - i), key, &got) == 0);
        json_t *mine =
            json_loadb((const char *)got.ptr, got.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
        json_t *theirs = json_object_get(j, key);
        CHECK(theirs != NULL);
        if (mine) /* NULL: a number jansson cannot hold */
            CHECK(json_equal(mine, theirs));
        json_decref(mine);
    }
    CHECK(wsx_json_iter_next(&fast, &fk, &fv, NULL, NULL) == 0);
    json_decref(j);
}

static void check_flatten(wsx_slice_t v)
{
    char big[512], small[512];
    size_t n = wsx_client_name_flatten(v, big, sizeof big);
    CHECK(n < sizeof big && big[n] == '\0' && strlen(big) == n);
    CHECK(utf8_ref_validate((const uint8_t *)big, n) == 0);
    for (size_t cap = 1; cap <= n && cap < 24; cap++) {
        size_t m = wsx_client_name_flatten(v, small, cap);
        CHECK(m < cap && small[m] == '\0' && memcmp(small, big, m) == 0);
        CHECK(utf8_ref_validate((const uint8_t *)small, m) == 0);
        /* Cut on a boundary: at most three bytes short of the cap. */
        CHECK(m + 3 >= cap - 1);
    }
}

static void check_attrs(wsx_slice_t v)
{
    char s[512];
    wsx_attr_t a[8];
    if (wsx_json_string_copy(v, s, sizeof s) < 0)
        return;
    size_t n = wsx_attrs_parse(s, a, 8);
    CHECK(n <= 8);
    for (size_t i = 0; i < n; i++) {
        size_t kl = strlen(a[i].key), vl = strlen(a[i].value);
        CHECK(kl > 0 && !strpbrk(a[i].key, ";\n=") && !strpbrk(a[i].value, ";\n"));
        CHECK(a[i].key[0] != ' ' && a[i].key[kl - 1] != ' ');
        CHECK(vl == 0 || (a[i].value[0] != ' ' && a[i].value[vl - 1] != ' '));
    }
}

static void check_envelope(const uint8_t *d, size_t n, int json_ok)
{
    wsx_envelope_t env;
    int r = wsx_envelope_parse(d, n, &env);
    CHECK(r == 0 || r == WSX_EINVAL);
    CHECK(inside(env.id, d, n));
    if (env.id.len)
        CHECK(wsx_json_type(env.id) == WSX_JSON_STRING && valid(env.id));
    if (r != 0) {
        CHECK(env.error[0] != '\0' && strlen(env.error) < sizeof env.error);
        if (!json_ok)
            CHECK(strncmp(env.error, "invalid JSON at byte ", 21) == 0 ||
                  strcmp(env.error, "the message is empty") == 0);
        return;
    }
    CHECK(json_ok);
    const wsx_slice_t strings[] = {env.id,     env.timestamp, env.token, env.username,
                                   env.secret, env.client_id, env.attrs, env.in_reply_to};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        CHECK(inside(strings[i], d, n));
        if (strings[i].len)
            CHECK(wsx_json_type(strings[i]) == WSX_JSON_STRING && valid(strings[i]));
    }
    CHECK(env.id.len && env.timestamp.len);
    CHECK(inside(env.data, d, n) && inside(env.client_name, d, n));
    if (env.data.len)
        CHECK(valid(env.data));
    if (env.client_name.len)
        CHECK(valid(env.client_name));
    check_flatten(env.client_name);
    if (env.attrs.len)
        check_attrs(env.attrs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t off = 0;
    const char *why = NULL;
    int r = wsx_json_validate(data, size, &off, &why);
    CHECK(r == 0 || r == WSX_EINVAL);
    if (r != 0)
        CHECK(off <= size && why && *why);
    cross_check(data, size, r, off, why);
    check_envelope(data, size, r == 0);
    if (r == 0) {
        each_string(data, size);
        check_members(data, size);
    }
    /* The input itself as a string value to escape and read back. */
    if (utf8_ref_validate(data, size) == 0 && size < 4096) {
        char *w = malloc(6 * size + 2), *b = malloc(size + 1);
        CHECK(w && b);
        int m = wsx_json_string_write((const char *)data, size, w, 6 * size + 2);
        CHECK(m >= 2 && valid(wsx_slice(w, (size_t)m)));
        int k = wsx_json_string_copy(wsx_slice(w, (size_t)m), b, size + 1);
        if (memchr(data, 0, size))
            CHECK(k == WSX_EINVAL);
        else
            CHECK(k == (int)size && memcmp(b, data, size) == 0);
        free(w);
        free(b);
    }
    return 0;
}
