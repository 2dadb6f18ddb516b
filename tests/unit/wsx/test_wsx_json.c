/* test_wsx_json.c - the strict JSON scanner: documents it must accept and refuse
 * (in the spirit of JSONTestSuite's y_ and n_ files, inputs written here), with the
 * byte and phrase of each refusal, checked against jansson; the depth limit; and
 * the readers: object_get with escaped and repeated names, string_copy, eq_ct and
 * string_write, alone and in round trips. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <string.h>

#include "common/err.h"
#include "utf8_ref.h"
#include "wsx/wsx_json.h"

#define LEN(s) (sizeof(s) - 1)
#define SL(s) wsx_slice((s), LEN(s))

/* jansson as the second opinion: any value at the top, \u0000 allowed in strings. */
static int jansson_accepts(const char *s, size_t n)
{
    json_error_t e;
    json_t *j = json_loadb(s, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    json_decref(j);
    return j != NULL;
}

static int validate(const char *s, size_t n)
{
    return wsx_json_validate((const uint8_t *)s, n, NULL, NULL);
}

typedef struct good {
    const char *doc;
    size_t len;
    int jansson_refuses; /* a documented difference */
} good_t;

// clang-format off
#define Y(d) {d, LEN(d), 0}
#define Y_NOT_JANSSON(d) {d, LEN(d), 1}
// clang-format on

static const good_t good[] = {
    Y("0"),
    Y("-0"),
    Y("1"),
    Y("-1"),
    Y("123"),
    Y("1.5"),
    Y("-1.5e10"),
    Y("1E+2"),
    Y("1e-2"),
    Y("0.0"),
    Y("0e0"),
    Y("-0.0e-0"),
    Y("10.01E01"),
    /* RFC 8259 leaves range to the implementation; jansson refuses what its
     * json_int_t or double cannot hold. */
    Y_NOT_JANSSON("1E400"),
    Y_NOT_JANSSON("123456789012345678901234567890"),
    Y("true"),
    Y("false"),
    Y("null"),
    Y("\"\""),
    Y("\"a\""),
    Y("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\""),
    Y("\"\\u0041\""),
    Y("\"\\u00e9\""),
    Y("\"\\uD83D\\uDE00\""),
    Y("\"\\udbff\\udfff\""),
    Y("\"\\u0000\""),
    Y("\"\\uFFFF\""),
    Y("\"\x7F\""),
    Y("\"\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF\""),
    Y("\"\xEF\xBF\xBF\xEE\x80\x80\xED\x9F\xBF\""),
    Y("\"abcdefghijklmnopqrstuvwxyz0123456789\""),
    Y("\"abcdefg\\nhijklmnop\xC3\xA9qrstuvwxyz\""),
    Y("[]"),
    Y("{}"),
    Y(" [ ] "),
    Y("\t\r\n 1 \t\r\n"),
    Y("[1,[2,[3]]]"),
    Y("{\"a\":{\"b\":[]}}"),
    Y("{\"\":0}"),
    Y("{\"a\":1,\"a\":2}"),
    Y("[\"a\",\"b\"]"),
    Y("[-1,0.5e-3,true,false,null,\"x\",{},[]]"),
    Y("{ \"a\" : [ 1 , { } ] , \"b\" : null }"),
    /* jansson cannot hold U+0000 in a member name, even with JSON_ALLOW_NUL. */
    Y_NOT_JANSSON("{\"\\u0000\":1}"),
};

typedef struct bad {
    const char *doc;
    size_t len;
    size_t off;
    const char *why;
    int jansson_accepts;
} bad_t;

// clang-format off
#define N(d, o, w) {d, LEN(d), o, w, 0}
#define N_JANSSON_ACCEPTS(d, o, w) {d, LEN(d), o, w, 1}
// clang-format on

static const char END[] = "unexpected end of input";
static const char CHAR[] = "unexpected character";
static const char AFTER[] = "unexpected character after the value";
static const char NUMBER[] = "invalid number";
static const char LITERAL[] = "invalid literal (true, false or null expected)";
static const char UNTERMINATED[] = "unterminated string";
static const char CONTROL[] = "unescaped control character in string";
static const char ESCAPE[] = "invalid escape in string";
static const char UESCAPE[] = "invalid \\u escape (four hex digits expected)";
static const char SURROGATE[] = "unpaired surrogate in \\u escape";
static const char UTF8[] = "invalid UTF-8 in string";
static const char NAME[] = "expected a member name in double quotes";
static const char COLON[] = "expected ':' after the member name";
static const char OBJ_NEXT[] = "expected ',' or '}' after a member";
static const char ARR_NEXT[] = "expected ',' or ']' after an element";

static const bad_t bad[] = {
    N("", 0, END),
    N("   ", 3, END),
    N("[", 1, END),
    N("[1", 2, END),
    N("[1,", 3, END),
    N("{", 1, END),
    N("{\"a\"", 4, END),
    N("{\"a\":", 5, END),
    N("[1,]", 3, CHAR),
    N("[,1]", 1, CHAR),
    N("[}", 1, CHAR),
    N("{]", 1, NAME),
    N("{\"a\":}", 5, CHAR),
    N("[1 2]", 3, ARR_NEXT),
    N("{\"a\" 1}", 5, COLON),
    N("{\"a\":1,}", 7, NAME),
    N("{a:1}", 1, NAME),
    N("{'a':1}", 1, NAME),
    N("{1:1}", 1, NAME),
    N("{\"a\":1 \"b\":2}", 7, OBJ_NEXT),
    N("{\"a\":1]", 6, OBJ_NEXT),
    N("[1]]", 3, AFTER),
    N("1 2", 2, AFTER),
    N("{}x", 2, AFTER),
    N("{\"a\":1}}", 7, AFTER),
    N("0x10", 1, AFTER),
    N("1.5.3", 3, AFTER),
    N("01", 1, "leading zero in number"),
    N("-01", 2, "leading zero in number"),
    N("+1", 0, CHAR),
    N("-", 1, END),
    N("-a", 1, NUMBER),
    N("1.", 2, END),
    N("1.e3", 2, NUMBER),
    N(".5", 0, CHAR),
    N("1e", 2, END),
    N("1e+", 3, END),
    N("1ea", 2, NUMBER),
    N("NaN", 0, CHAR),
    N("Infinity", 0, CHAR),
    N("-Infinity", 1, NUMBER),
    N("tru", 3, END),
    N("trux", 3, LITERAL),
    N("nul", 3, END),
    N("fals e", 4, LITERAL),
    N("True", 0, CHAR),
    N("'a'", 0, CHAR),
    N("/* c */ 1", 0, CHAR),
    N("\"abc", 0, UNTERMINATED),
    N("[\"abc", 1, UNTERMINATED),
    N("\"abc\\", 0, UNTERMINATED),
    N("\"abc\\\"", 0, UNTERMINATED),
    N("\"\\x\"", 1, ESCAPE),
    N("\"\\U0041\"", 1, ESCAPE),
    N("\"\\'\"", 1, ESCAPE),
    N("\"\\u12\"", 1, UESCAPE),
    N("\"\\u12G4\"", 1, UESCAPE),
    N("\"ab\\u", 3, UESCAPE),
    N("\"\\ud800\"", 1, SURROGATE),
    N("\"\\udc00\"", 1, SURROGATE),
    N("\"\\uDFFF\\uDC00\"", 1, SURROGATE),
    N("\"\\ud800\\u0041\"", 1, SURROGATE),
    N("\"\\ud800\\ud800\"", 1, SURROGATE),
    N("\"\\ud800x\"", 1, SURROGATE),
    N("\"\\ud800\\n\"", 1, SURROGATE),
    N("\"a\x01\"", 2, CONTROL),
    N("\"\t\"", 1, CONTROL),
    N("\"\n\"", 1, CONTROL),
    N("\"\x1F\"", 1, CONTROL),
    N("\"\xC3\"", 1, UTF8),
    N("\"\xC3", 1, UTF8),
    N("\"\xC0\xAF\"", 1, UTF8),
    N("\"\xC1\xBF\"", 1, UTF8),
    N("\"\xE0\x9F\xBF\"", 1, UTF8),
    N("\"\xED\xA0\x80\"", 1, UTF8),
    N("\"\xF0\x8F\xBF\xBF\"", 1, UTF8),
    N("\"\xF4\x90\x80\x80\"", 1, UTF8),
    N("\"\xF5\x80\x80\x80\"", 1, UTF8),
    N("\"\xFF\"", 1, UTF8),
    N("\"\x80\"", 1, UTF8),
    N("\"aaaaaaaaaaaa\xE2\x82\"", 13, UTF8),
    N("\xEF\xBB\xBF[]", 0, CHAR),
    N("\x00", 0, CHAR),
    N("[\"a\"\x0C]", 4, ARR_NEXT),
    N("[1,\xC2\xA0 2]", 3, CHAR),
    N("[1]\x00", 3, AFTER),
    N("2\x00x", 1, AFTER),
    /* jansson skips one NUL byte right after a number or a literal. */
    N_JANSSON_ACCEPTS("2\x00", 1, AFTER),
    N_JANSSON_ACCEPTS("[0\x00]", 2, ARR_NEXT),
    N_JANSSON_ACCEPTS("[true\x00,1]", 5, ARR_NEXT),
};

Test(wsx_json, accepts_valid_documents_as_jansson_does)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const good_t *g = &good[i];
        size_t off = 99;
        const char *why = NULL;
        int r = wsx_json_validate((const uint8_t *)g->doc, g->len, &off, &why);
        cr_assert_eq(r, 0, "[%zu] %s: refused at %zu: %s", i, g->doc, off, why);
        cr_assert_eq(jansson_accepts(g->doc, g->len), !g->jansson_refuses, "[%zu] %s", i, g->doc);
    }
}

Test(wsx_json, refuses_invalid_documents_where_and_why)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const bad_t *b = &bad[i];
        size_t off = 999;
        const char *why = NULL;
        int r = wsx_json_validate((const uint8_t *)b->doc, b->len, &off, &why);
        cr_assert_eq(r, WSX_EINVAL, "[%zu] %s accepted", i, b->doc);
        cr_assert_eq(off, b->off, "[%zu] %s: at %zu (%s), want %zu", i, b->doc, off, why, b->off);
        cr_assert_str_eq(why, b->why, "[%zu] %s", i, b->doc);
        cr_assert_eq(jansson_accepts(b->doc, b->len), b->jansson_accepts, "[%zu] %s", i, b->doc);
    }
}

Test(wsx_json, error_outputs_are_optional)
{
    cr_assert_eq(wsx_json_validate((const uint8_t *)"[", 1, NULL, NULL), WSX_EINVAL);
    size_t off;
    cr_assert_eq(wsx_json_validate((const uint8_t *)"[1,", 3, &off, NULL), WSX_EINVAL);
    cr_assert_eq(off, 3);
}

/* The eight-byte fast path of the string scan must stop at a special byte in every
 * position of a word, and never read past the end of the input. */
Test(wsx_json, string_scan_stops_at_every_position)
{
    const char specials[] = {'\x01', '\x1F', '\x80', '\xFF'};
    for (size_t k = 0; k < 24; k++) {
        for (size_t s = 0; s < sizeof specials; s++) {
            char doc[32];
            doc[0] = '"';
            memset(doc + 1, 'a', k);
            doc[1 + k] = specials[s];
            doc[2 + k] = '"';
            size_t off;
            const char *why;
            cr_assert_eq(wsx_json_validate((const uint8_t *)doc, k + 3, &off, &why), WSX_EINVAL);
            cr_assert_eq(off, 1 + k, "k=%zu special %02x", k, (unsigned char)specials[s]);
        }
        /* A quote or a backslash in each position ends the string or escapes. */
        char doc[32];
        doc[0] = '"';
        memset(doc + 1, 'a', k);
        memcpy(doc + 1 + k, "\\\"\"", 3);
        cr_assert_eq(validate(doc, k + 4), 0, "k=%zu", k);
        /* An unterminated string of any length is refused, without overread (ASan). */
        char *heap = malloc(k + 1);
        heap[0] = '"';
        memset(heap + 1, 'a', k);
        size_t off;
        cr_assert_eq(wsx_json_validate((const uint8_t *)heap, k + 1, &off, NULL), WSX_EINVAL);
        cr_assert_eq(off, 0);
        free(heap);
    }
}

static char *nest(const char *open, const char *mid, const char *close, size_t depth)
{
    size_t lo = strlen(open), lm = strlen(mid), lc = strlen(close);
    char *s = malloc(depth * (lo + lc) + lm + 1), *p = s;
    for (size_t i = 0; i < depth; i++, p += lo)
        memcpy(p, open, lo);
    memcpy(p, mid, lm);
    p += lm;
    for (size_t i = 0; i < depth; i++, p += lc)
        memcpy(p, close, lc);
    *p = '\0';
    return s;
}

Test(wsx_json, nesting_limit_is_64)
{
    char *ok = nest("[", "", "]", WSX_JSON_MAX_DEPTH);
    cr_assert_eq(validate(ok, strlen(ok)), 0);
    free(ok);

    char *deep = nest("[", "", "]", WSX_JSON_MAX_DEPTH + 1);
    size_t off;
    const char *why;
    cr_assert_eq(wsx_json_validate((const uint8_t *)deep, strlen(deep), &off, &why), WSX_EINVAL);
    cr_assert_eq(off, WSX_JSON_MAX_DEPTH);
    cr_assert_str_eq(why, "nesting too deep");
    /* A documented difference: jansson allows 2048 levels. */
    cr_assert(jansson_accepts(deep, strlen(deep)));
    free(deep);

    char *objs = nest("{\"a\":", "1", "}", WSX_JSON_MAX_DEPTH);
    cr_assert_eq(validate(objs, strlen(objs)), 0);
    free(objs);
    objs = nest("{\"a\":", "{}", "}", WSX_JSON_MAX_DEPTH);
    cr_assert_eq(wsx_json_validate((const uint8_t *)objs, strlen(objs), &off, &why), WSX_EINVAL);
    cr_assert_eq(off, 5 * WSX_JSON_MAX_DEPTH);
    cr_assert_str_eq(why, "nesting too deep");
    free(objs);

    /* Depth is the current nesting, not the total count of containers; and the
     * kind of each level is remembered across the whole stack. */
    char *wide = nest("[{\"k\":", "[[],[]]", "}]", WSX_JSON_MAX_DEPTH / 2 - 1);
    cr_assert_eq(validate(wide, strlen(wide)), 0, "%s", wide);
    free(wide);
    char *mixed = nest("[{\"k\":", "1", "]}", 3);
    cr_assert_eq(wsx_json_validate((const uint8_t *)mixed, strlen(mixed), &off, &why), WSX_EINVAL);
    cr_assert_str_eq(why, "expected ',' or '}' after a member");
    free(mixed);
}

Test(wsx_json, type_by_first_byte)
{
    cr_assert_eq(wsx_json_type(SL("{}")), WSX_JSON_OBJECT);
    cr_assert_eq(wsx_json_type(SL("[1]")), WSX_JSON_ARRAY);
    cr_assert_eq(wsx_json_type(SL("\"x\"")), WSX_JSON_STRING);
    cr_assert_eq(wsx_json_type(SL("-1")), WSX_JSON_NUMBER);
    cr_assert_eq(wsx_json_type(SL("7")), WSX_JSON_NUMBER);
    cr_assert_eq(wsx_json_type(SL("true")), WSX_JSON_TRUE);
    cr_assert_eq(wsx_json_type(SL("false")), WSX_JSON_FALSE);
    cr_assert_eq(wsx_json_type(SL("null")), WSX_JSON_NULL);
    cr_assert_eq(wsx_json_type(SL("")), WSX_JSON_INVALID);
    cr_assert_eq(wsx_json_type(SL(" 1")), WSX_JSON_INVALID);
}

static void expect_member(const char *obj, const char *key, const char *want)
{
    wsx_slice_t v = {0};
    cr_assert_eq(validate(obj, strlen(obj)), 0, "%s", obj);
    int r = wsx_json_object_get(wsx_slice(obj, strlen(obj)), key, &v);
    cr_assert_eq(r, 0, "%s in %s", key, obj);
    cr_assert_eq(v.len, strlen(want), "%s in %s: got %.*s", key, obj, (int)v.len, v.ptr);
    cr_assert_eq(memcmp(v.ptr, want, v.len), 0, "%s in %s: got %.*s", key, obj, (int)v.len, v.ptr);
}

static void expect_no_member(const char *obj, const char *key)
{
    wsx_slice_t v = {0};
    cr_assert_eq(wsx_json_object_get(wsx_slice(obj, strlen(obj)), key, &v), WSX_ENOTFOUND,
                 "%s in %s", key, obj);
}

Test(wsx_json, object_get_finds_members_as_their_text)
{
    const char *o = "{\"s\":\"a\\\"b\",\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null,"
                    "\"o\":{\"x\":[1,{\"y\":\"}\"}]},\"a\":[\"]\",{}]}";
    expect_member(o, "s", "\"a\\\"b\"");
    expect_member(o, "n", "-1.5e3");
    expect_member(o, "t", "true");
    expect_member(o, "f", "false");
    expect_member(o, "z", "null");
    expect_member(o, "o", "{\"x\":[1,{\"y\":\"}\"}]}");
    expect_member(o, "a", "[\"]\",{}]");
    /* Members of nested objects and string contents are not members of o. */
    expect_no_member(o, "x");
    expect_no_member(o, "y");
    expect_no_member(o, "");
    expect_no_member(o, "S");
    expect_member(" { \"k\" :\t\"v\" , \"w\" : 2 } ", "w", "2");
    expect_member(" { \"k\" :\t\"v\" , \"w\" : 2 } ", "k", "\"v\"");
    expect_member("{\"\":0}", "", "0");
}

Test(wsx_json, object_get_compares_unescaped_names)
{
    expect_member("{\"\\u0069d\":1}", "id", "1");
    expect_member("{\"a\\/b\":1}", "a/b", "1");
    expect_member("{\"\\u00e9t\\u00E9\":1}", "\xC3\xA9t\xC3\xA9", "1");
    expect_member("{\"\\ud83d\\ude00\":1}", "\xF0\x9F\x98\x80", "1");
    expect_member("{\"tab\\there\":1}", "tab\there", "1");
    expect_no_member("{\"\\u0069d\":1}", "\\u0069d");
    expect_no_member("{\"\\u0069d\":1}", "i");
    expect_no_member("{\"\\u0069d\":1}", "idx");
}

Test(wsx_json, object_get_last_repeated_member_wins)
{
    expect_member("{\"a\":1,\"b\":2,\"a\":3}", "a", "3");
    expect_member("{\"a\":1,\"\\u0061\":{\"a\":4}}", "a", "{\"a\":4}");
}

Test(wsx_json, object_get_on_what_is_not_an_object)
{
    wsx_slice_t v;
    cr_assert_eq(wsx_json_object_get(SL("[\"a\",1]"), "a", &v), WSX_ENOTFOUND);
    cr_assert_eq(wsx_json_object_get(SL("\"a\""), "a", &v), WSX_ENOTFOUND);
    cr_assert_eq(wsx_json_object_get(SL(""), "a", &v), WSX_ENOTFOUND);
    cr_assert_eq(wsx_json_object_get(SL("{}"), "a", &v), WSX_ENOTFOUND);
    /* A truncated slice gives no answer it cannot back, and no overread (ASan). */
    const char full[] = "{\"a\":\"xyz\",\"b\":[1,2]}";
    for (size_t n = 0; n < LEN(full); n++) {
        char *cut = malloc(n ? n : 1);
        memcpy(cut, full, n);
        int r = wsx_json_object_get(wsx_slice(cut, n), "b", &v);
        if (r == 0)
            cr_assert(v.ptr >= (uint8_t *)cut && v.ptr + v.len <= (uint8_t *)cut + n);
        free(cut);
    }
}

static void expect_copy(const char *json, const char *want, size_t want_len)
{
    char out[64];
    memset(out, 'X', sizeof out);
    int n = wsx_json_string_copy(wsx_slice(json, strlen(json)), out, sizeof out);
    cr_assert_eq(n, (int)want_len, "%s: %d", json, n);
    cr_assert_eq(memcmp(out, want, want_len), 0, "%s", json);
    cr_assert_eq(out[want_len], '\0', "%s", json);
}

Test(wsx_json, string_copy_decodes_escapes)
{
    expect_copy("\"\"", "", 0);
    expect_copy("\"plain\"", "plain", 5);
    expect_copy("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\/\b\f\n\r\t", 8);
    expect_copy("\"\\u0041\\u00e9\\u20AC\"", "A\xC3\xA9\xE2\x82\xAC", 6);
    expect_copy("\"\\u007f\\u0080\\u07ff\\u0800\\uffff\"",
                "\x7F\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF", 11);
    expect_copy("\"\\ud83d\\ude00\"", "\xF0\x9F\x98\x80", 4);
    expect_copy("\"\\uD800\\uDC00|\\uDBFF\\uDFFF\"", "\xF0\x90\x80\x80|\xF4\x8F\xBF\xBF", 9);
    expect_copy("\"raw \xC3\xA9 stays\"", "raw \xC3\xA9 stays", 12);
}

Test(wsx_json, string_copy_refuses_nul_and_non_strings)
{
    char out[16];
    cr_assert_eq(wsx_json_string_copy(SL("\"\\u0000\""), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL("\"ab\\u0000cd\""), out, sizeof out), WSX_EINVAL);
    cr_assert_str_eq(out, "ab"); /* what came before it */
    cr_assert_eq(wsx_json_string_copy(SL("12"), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL("\""), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL(""), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL("\"a\\\""), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL("\"\\ud800\""), out, sizeof out), WSX_EINVAL);
    cr_assert_eq(wsx_json_string_copy(SL("\"\\q\""), out, sizeof out), WSX_EINVAL);
}

Test(wsx_json, string_copy_too_small_keeps_a_whole_character_prefix)
{
    /* "aé€😀" is 1 + 2 + 3 + 4 bytes; as raw text and as escapes. */
    const char *forms[] = {"\"a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\"",
                           "\"a\\u00e9\\u20ac\\ud83d\\ude00\""};
    const char *want = "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80";
    /* For each cap: the longest prefix on a character boundary under cap-1 bytes. */
    const size_t prefix[] = {0, 0, 1, 1, 3, 3, 3, 6, 6, 6, 6};
    for (size_t f = 0; f < 2; f++) {
        wsx_slice_t v = wsx_slice(forms[f], strlen(forms[f]));
        char out[16];
        for (size_t cap = 1; cap <= 10; cap++) {
            memset(out, 'X', sizeof out);
            cr_assert_eq(wsx_json_string_copy(v, out, cap), WSX_ETOOBIG, "form %zu cap %zu", f,
                         cap);
            cr_assert_eq(strlen(out), prefix[cap], "form %zu cap %zu: %zu", f, cap, strlen(out));
            cr_assert_eq(memcmp(out, want, prefix[cap]), 0);
            cr_assert_eq(out[cap], 'X', "form %zu cap %zu: wrote past cap", f, cap);
        }
        cr_assert_eq(wsx_json_string_copy(v, out, 11), 10, "form %zu exact fit", f);
        cr_assert_str_eq(out, want);
        cr_assert_eq(wsx_json_string_copy(v, out, 0), WSX_ETOOBIG);
    }
}

Test(wsx_json, eq_ct_compares_the_decoded_string)
{
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.abc\""), "zwsxt.abc", 9), 1);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.abc\""), "zwsxt.abd", 9), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.abc\""), "Zwsxt.abc", 9), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.abc\""), "zwsxt.ab", 8), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.ab\""), "zwsxt.abc", 9), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"zwsxt.abc\""), "zwsxt.abcd", 9), 1); /* by slen */
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\""), "", 0), 1);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\""), "a", 1), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"a\""), "", 0), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\\u007a\\/\\n\""), "z/\n", 3), 1);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\\ud83d\\ude00\""), "\xF0\x9F\x98\x80", 4), 1);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\\ud83d\\ude00\""), "\xF0\x9F\x98\x81", 4), 0);
    /* Not a string, or a bad escape: never equal. */
    cr_assert_eq(wsx_json_string_eq_ct(SL("abc"), "abc", 3), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\\x\""), "\\x", 2), 0);
    cr_assert_eq(wsx_json_string_eq_ct(SL("\"\\ud800\""), "\xED\xA0\x80", 3), 0);
}

static void expect_write(const char *s, size_t n, const char *want)
{
    char out[128];
    size_t wl = strlen(want);
    int r = wsx_json_string_write(s, n, out, sizeof out);
    cr_assert_eq(r, (int)wl, "%s: %d", want, r);
    cr_assert_eq(memcmp(out, want, wl), 0, "got %.*s want %s", r, out, want);
    /* Every smaller buffer is refused and written no further than its end. */
    for (size_t cap = 0; cap < wl; cap++) {
        memset(out, '#', sizeof out);
        cr_assert_eq(wsx_json_string_write(s, n, out, cap), WSX_ETOOBIG, "%s cap %zu", want, cap);
        for (size_t i = cap; i < sizeof out; i++)
            cr_assert_eq(out[i], '#', "%s cap %zu: byte %zu written", want, cap, i);
    }
}

Test(wsx_json, string_write_escapes_what_must_be)
{
    expect_write("", 0, "\"\"");
    expect_write("plain", 5, "\"plain\"");
    expect_write("a\"b\\c", 5, "\"a\\\"b\\\\c\"");
    expect_write("\b\f\n\r\t", 5, "\"\\b\\f\\n\\r\\t\"");
    expect_write("\x00\x01\x1F", 3, "\"\\u0000\\u0001\\u001f\"");
    expect_write("/\x7F", 2, "\"/\x7F\"");
    expect_write("\xC3\xA9\xF0\x9F\x98\x80", 6, "\"\xC3\xA9\xF0\x9F\x98\x80\"");
    expect_write("line one\nline two", 17, "\"line one\\nline two\"");
}

/* Every byte an escape can stand for, and some UTF-8, survive write then copy. */
Test(wsx_json, write_then_copy_round_trips)
{
    char s[160], w[1024], back[160];
    size_t n = 0;
    for (int c = 1; c < 0x80; c++)
        s[n++] = (char)c;
    memcpy(s + n, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xF4\x8F\xBF\xBF", 13);
    n += 13;
    int m = wsx_json_string_write(s, n, w, sizeof w);
    cr_assert_gt(m, 0);
    cr_assert_eq(validate(w, (size_t)m), 0, "%.*s", m, w);
    cr_assert(jansson_accepts(w, (size_t)m));
    int k = wsx_json_string_copy(wsx_slice(w, (size_t)m), back, sizeof back);
    cr_assert_eq(k, (int)n);
    cr_assert_eq(memcmp(back, s, n), 0);
    cr_assert_eq(wsx_json_string_eq_ct(wsx_slice(w, (size_t)m), s, n), 1);

    /* And jansson reads what we wrote as the same string. */
    json_t *j = json_loadb(w, (size_t)m, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(j);
    cr_assert_eq(json_string_length(j), n);
    cr_assert_eq(memcmp(json_string_value(j), s, n), 0);
    json_decref(j);
}

/* What jansson writes, we read back to the same bytes, and the other way round. */
Test(wsx_json, copy_agrees_with_jansson)
{
    const char *texts[] = {"",
                           "a",
                           "\"quoted\"",
                           "back\\slash",
                           "\x01\x1F ctrl",
                           "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80",
                           "tab\tnew\nline"};
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
        json_t *j = json_string(texts[i]);
        char *enc = json_dumps(j, JSON_ENCODE_ANY | JSON_ENSURE_ASCII);
        char out[64];
        int n = wsx_json_string_copy(wsx_slice(enc, strlen(enc)), out, sizeof out);
        cr_assert_eq(n, (int)strlen(texts[i]), "%s", enc);
        cr_assert_str_eq(out, texts[i]);
        cr_assert_eq(validate(enc, strlen(enc)), 0);
        free(enc);
        json_decref(j);
    }
}

Test(wsx_json, iter_walks_members_and_checks_them)
{
    const char doc[] = " {\"a\": 1, \"b\\u0021\" : [true], \"c\":{}} ";
    wsx_json_iter_t it;
    wsx_slice_t k, v;
    wsx_json_iter_init(&it, (const uint8_t *)doc, LEN(doc), 1);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, NULL, NULL), 1);
    cr_assert(k.len == 3 && memcmp(k.ptr, "\"a\"", 3) == 0);
    cr_assert(v.len == 1 && v.ptr[0] == '1');
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, NULL, NULL), 1);
    cr_assert(k.len == 9 && memcmp(k.ptr, "\"b\\u0021\"", 9) == 0);
    cr_assert(v.len == 6 && memcmp(v.ptr, "[true]", 6) == 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, NULL, NULL), 1);
    cr_assert(v.len == 2 && memcmp(v.ptr, "{}", 2) == 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, NULL, NULL), 0);
    cr_assert_eq(it.pos, LEN(doc) - 1);

    const char empty[] = "{ }";
    wsx_json_iter_init(&it, (const uint8_t *)empty, LEN(empty), 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, NULL, NULL), 0);
    cr_assert_eq(it.pos, 3);

    /* A bad value inside a member is found, at its byte. */
    const char badv[] = "{\"a\":1,\"b\":[1,\"\\x\"]}";
    size_t off;
    const char *why;
    wsx_json_iter_init(&it, (const uint8_t *)badv, LEN(badv), 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, &off, &why), 1);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, &off, &why), WSX_EINVAL);
    cr_assert_eq(off, 15);
    cr_assert_str_eq(why, "invalid escape in string");

    const char nocomma[] = "{\"a\":1 \"b\":2}";
    wsx_json_iter_init(&it, (const uint8_t *)nocomma, LEN(nocomma), 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, &off, &why), 1);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, &off, &why), WSX_EINVAL);
    cr_assert_eq(off, 7);
    cr_assert_str_eq(why, "expected ',' or '}' after a member");

    wsx_json_iter_init(&it, (const uint8_t *)"[1]", 3, 0);
    cr_assert_eq(wsx_json_iter_next(&it, &k, &v, &off, &why), WSX_EINVAL);
    cr_assert_eq(off, 0);
}

/* The walk without checks, over a valid object, sees the same members as the
 * checking one; over a cut copy it stays inside what it was given. */
Test(wsx_json, iter_over_a_valid_object_matches_the_checking_walk)
{
    const char doc[] = " { \"a\" : \"x\\\"}\" , \"b\":[1,{\"c\":[]}],\"d\":-1e3,\"e\":null } ";
    wsx_json_iter_t a, b;
    wsx_slice_t ka, va, kb, vb;
    int ra, rb, n = 0;
    wsx_json_iter_init(&a, (const uint8_t *)doc, LEN(doc), 1);
    wsx_json_iter_init_valid(&b, SL(doc));
    do {
        ra = wsx_json_iter_next(&a, &ka, &va, NULL, NULL);
        rb = wsx_json_iter_next(&b, &kb, &vb, NULL, NULL);
        cr_assert_eq(ra, rb, "member %d", n);
        if (ra == 1) {
            cr_assert(ka.ptr == kb.ptr && ka.len == kb.len, "member %d", n);
            cr_assert(va.ptr == vb.ptr && va.len == vb.len, "member %d: %.*s vs %.*s", n,
                      (int)va.len, va.ptr, (int)vb.len, vb.ptr);
            n++;
        }
    } while (ra == 1);
    cr_assert_eq(n, 4);

    for (size_t cut = 0; cut < LEN(doc); cut++) {
        char *c = malloc(cut ? cut : 1);
        memcpy(c, doc, cut);
        wsx_json_iter_init_valid(&b, wsx_slice(c, cut));
        while (wsx_json_iter_next(&b, &kb, &vb, NULL, NULL) == 1)
            cr_assert(vb.ptr >= (uint8_t *)c && vb.ptr + vb.len <= (uint8_t *)c + cut);
        free(c);
    }
}

/* The reference validator and the scanner agree on every string of one to three
 * bytes after the quote (all 2^24 would be slow; every lead with every second byte
 * and a few thirds covers the DFA's edges). */
Test(wsx_json, utf8_in_strings_matches_the_reference)
{
    const uint8_t thirds[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    for (unsigned a = 0x20; a < 0x100; a++) {
        if (a == '"' || a == '\\')
            continue;
        for (unsigned b = 0x20; b < 0x100; b++) {
            if (b == '"' || b == '\\')
                continue;
            for (size_t t = 0; t < sizeof thirds; t++) {
                uint8_t c = thirds[t] < 0x20 || thirds[t] == '"' ? 0x41 : thirds[t];
                uint8_t body[3] = {(uint8_t)a, (uint8_t)b, c};
                uint8_t doc[5] = {'"', body[0], body[1], body[2], '"'};
                int ref = utf8_ref_validate(body, 3) == 0;
                cr_assert_eq(validate((const char *)doc, 5) == 0, ref, "%02x %02x %02x", a, b, c);
            }
        }
    }
}
