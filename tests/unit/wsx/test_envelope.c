/* test_envelope.c - the WSX envelope parser: every action, every meta key, every
 * error sentence a client can get (with meta.id still readable when it can be),
 * and the two codecs of meta values: client_name flattening (strings, objects of
 * mixed values, other values, cuts on a character boundary) and attrs parsing. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "wsx/envelope.h"
#include "wsx/wsx_json.h"

#define LEN(s) (sizeof(s) - 1)
#define SL(s) wsx_slice((s), LEN(s))

static int parse(const char *msg, wsx_envelope_t *env)
{
    return wsx_envelope_parse((const uint8_t *)msg, strlen(msg), env);
}

static int slice_is(wsx_slice_t s, const char *want)
{
    return s.len == strlen(want) && (s.len == 0 || memcmp(s.ptr, want, s.len) == 0);
}

#define assert_slice(s, want)                                                                      \
    cr_assert(slice_is((s), (want)), "%s is [%.*s], want [%s]", #s, (int)(s).len, (s).ptr, (want))

static void expect_error(const char *msg, const char *error)
{
    wsx_envelope_t env;
    cr_assert_eq(parse(msg, &env), WSX_EINVAL, "%s accepted", msg);
    cr_assert_str_eq(env.error, error, "%s", msg);
}

Test(envelope, reads_every_meta_key_and_data)
{
    const char *msg = "{\"meta\":{\"action\":\"create-session\",\"id\":\"auth-1\","
                      "\"timestamp\":\"2026-11-30T10:00:00.123456\",\"token\":\"zwsxt.x\","
                      "\"username\":\"u\",\"secret\":\"s\\\"\",\"client_id\":\"c1\","
                      "\"client_name\":{\"app\":\"demo\"},\"attrs\":\"a=1\","
                      "\"in_reply_to\":\"srv-9\",\"other\":[1]},\"data\":{\"x\":[1,2]}}";
    wsx_envelope_t env;
    cr_assert_eq(parse(msg, &env), 0, "%s", env.error);
    cr_assert_eq(env.action, WSX_ACTION_CREATE_SESSION);
    assert_slice(env.id, "\"auth-1\"");
    assert_slice(env.timestamp, "\"2026-11-30T10:00:00.123456\"");
    assert_slice(env.token, "\"zwsxt.x\"");
    assert_slice(env.username, "\"u\"");
    assert_slice(env.secret, "\"s\\\"\"");
    assert_slice(env.client_id, "\"c1\"");
    assert_slice(env.client_name, "{\"app\":\"demo\"}");
    assert_slice(env.attrs, "\"a=1\"");
    assert_slice(env.in_reply_to, "\"srv-9\"");
    assert_slice(env.data, "{\"x\":[1,2]}");
    cr_assert_str_eq(env.error, "");
}

Test(envelope, absent_keys_are_empty_slices)
{
    wsx_envelope_t env;
    cr_assert_eq(parse("{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\"}}", &env), 0);
    cr_assert_eq(env.action, WSX_ACTION_CLIENT_RESPONSE);
    cr_assert_eq(env.token.len + env.username.len + env.secret.len + env.client_id.len +
                     env.client_name.len + env.attrs.len + env.in_reply_to.len + env.data.len,
                 0);
}

Test(envelope, actions)
{
    const struct {
        const char *action;
        wsx_action_t want;
    } cases[] = {
        {"\"create-session\"", WSX_ACTION_CREATE_SESSION},
        {"\"create\\u002dsession\"", WSX_ACTION_CREATE_SESSION},
        {"\"client-response\"", WSX_ACTION_CLIENT_RESPONSE},
        {"null", WSX_ACTION_CLIENT_RESPONSE},
        {"\"invoke-service\"", WSX_ACTION_INVOKE},
        {"\"anything\"", WSX_ACTION_INVOKE},
        {"\"\"", WSX_ACTION_INVOKE},
        {"\"Create-Session\"", WSX_ACTION_INVOKE},
        {"\"create-session \"", WSX_ACTION_INVOKE},
        {"\"create-session-and-more-than-twenty-four-bytes\"", WSX_ACTION_INVOKE},
        {"5", WSX_ACTION_INVOKE},
        {"{\"a\":1}", WSX_ACTION_INVOKE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char msg[256];
        snprintf(msg, sizeof msg, "{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\",\"action\":%s}}",
                 cases[i].action);
        wsx_envelope_t env;
        cr_assert_eq(parse(msg, &env), 0, "%s: %s", msg, env.error);
        cr_assert_eq(env.action, cases[i].want, "%s", cases[i].action);
    }
    wsx_envelope_t env;
    cr_assert_eq(parse("{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\"}}", &env), 0);
    cr_assert_eq(env.action, WSX_ACTION_CLIENT_RESPONSE, "missing action");
}

Test(envelope, json_errors_say_where)
{
    expect_error("", "the message is empty");
    expect_error(" \r\n\t", "the message is empty");
    expect_error("{\"meta\": {\"id\": x}}", "invalid JSON at byte 16: unexpected character");
    expect_error("{\"meta\":{\"id\":\"a\",\"timestamp\":\"b\"}} x",
                 "invalid JSON at byte 36: unexpected character after the value");
    expect_error("{\"meta\":{\"id\":\"a\",\"timestamp\":\"b\"},\"data\":[1,2}",
                 "invalid JSON at byte 46: expected ',' or ']' after an element");
    expect_error("{\"meta\":{\"id\":\"a\"", "invalid JSON at byte 17: unexpected end of input");
    expect_error("[1,", "invalid JSON at byte 3: unexpected end of input");
    expect_error("nope", "invalid JSON at byte 1: invalid literal (true, false or null expected)");
    expect_error("{\"meta\":{\"id\":\"\xC3\x28\",\"timestamp\":\"b\"}}",
                 "invalid JSON at byte 15: invalid UTF-8 in string");
    expect_error("{\"meta\":{\"id\":\"\\ud800\",\"timestamp\":\"b\"}}",
                 "invalid JSON at byte 15: unpaired surrogate in \\u escape");
    /* An error anywhere wins over a problem with meta: the whole text is checked. */
    expect_error("{\"data\":[}", "invalid JSON at byte 9: unexpected character");
    expect_error("{\"meta\":1,\"data\":[01]}", "invalid JSON at byte 19: leading zero in number");
}

Test(envelope, shape_errors)
{
    expect_error("[]", "the message must be a JSON object");
    expect_error(" \"meta\" ", "the message must be a JSON object");
    expect_error("42", "the message must be a JSON object");
    expect_error("null", "the message must be a JSON object");
    expect_error("{}", "meta is missing");
    expect_error("{\"data\":{}}", "meta is missing");
    expect_error("{\"Meta\":{}}", "meta is missing");
    expect_error("{\"meta\":[]}", "meta must be an object");
    expect_error("{\"meta\":\"x\"}", "meta must be an object");
    expect_error("{\"meta\":null}", "meta must be an object");
    expect_error("{\"meta\":{}}", "meta.id is missing");
    expect_error("{\"meta\":{\"timestamp\":\"t\"}}", "meta.id is missing");
    expect_error("{\"meta\":{\"id\":1,\"timestamp\":\"t\"}}", "meta.id must be a string");
    expect_error("{\"meta\":{\"id\":null,\"timestamp\":\"t\"}}", "meta.id must be a string");
    expect_error("{\"meta\":{\"id\":{},\"timestamp\":\"t\"}}", "meta.id must be a string");
    expect_error("{\"meta\":{\"id\":\"1\"}}", "meta.timestamp is missing");
    expect_error("{\"meta\":{\"id\":\"1\",\"timestamp\":0}}", "meta.timestamp must be a string");
    expect_error("{\"meta\":{\"id\":\"1\",\"timestamp\":null}}", "meta.timestamp must be a string");
}

Test(envelope, optional_keys_must_be_strings)
{
    const char *keys[] = {"token", "username", "secret", "client_id", "attrs", "in_reply_to"};
    const char *values[] = {"1", "true", "[\"x\"]", "{}"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        for (size_t v = 0; v < sizeof values / sizeof values[0]; v++) {
            char msg[256], want[64];
            snprintf(msg, sizeof msg, "{\"meta\":{\"id\":\"m1\",\"timestamp\":\"t\",\"%s\":%s}}",
                     keys[k], values[v]);
            snprintf(want, sizeof want, "meta.%s must be a string", keys[k]);
            wsx_envelope_t env;
            cr_assert_eq(parse(msg, &env), WSX_EINVAL, "%s", msg);
            cr_assert_str_eq(env.error, want, "%s", msg);
            assert_slice(env.id, "\"m1\"");
        }
    }
}

/* Zato's own client sends "token": null (and may send null client_id or
 * client_name) on create-session: null is taken as absent for optional keys. */
Test(envelope, null_optional_keys_are_absent)
{
    wsx_envelope_t env;
    cr_assert_eq(parse("{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\",\"action\":\"create-session\","
                       "\"token\":null,\"username\":null,\"secret\":null,\"client_id\":null,"
                       "\"client_name\":null,\"attrs\":null,\"in_reply_to\":null},\"data\":null}",
                       &env),
                 0, "%s", env.error);
    cr_assert_eq(env.token.len + env.username.len + env.secret.len + env.client_id.len +
                     env.client_name.len + env.attrs.len + env.in_reply_to.len,
                 0);
    assert_slice(env.data, "null"); /* data is any value, null included */
    cr_assert_eq(env.action, WSX_ACTION_CREATE_SESSION);
}

Test(envelope, id_is_readable_on_failure)
{
    wsx_envelope_t env;
    cr_assert_eq(parse("{\"meta\":{\"id\":\"abc\"}}", &env), WSX_EINVAL);
    assert_slice(env.id, "\"abc\"");
    cr_assert_eq(parse("{\"meta\":{\"timestamp\":5,\"id\":\"a\\\"c\"}}", &env), WSX_EINVAL);
    assert_slice(env.id, "\"a\\\"c\"");
    cr_assert_eq(parse("{\"meta\":{\"id\":\"x\",\"timestamp\":\"t\",\"secret\":1}}", &env),
                 WSX_EINVAL);
    assert_slice(env.id, "\"x\"");
    /* Not a string, or no meta to read it from, or broken JSON: no id. */
    cr_assert_eq(parse("{\"meta\":{\"id\":7}}", &env), WSX_EINVAL);
    cr_assert_eq(env.id.len, 0);
    cr_assert_eq(parse("{\"meta\":[\"id\"]}", &env), WSX_EINVAL);
    cr_assert_eq(env.id.len, 0);
    cr_assert_eq(parse("{\"meta\":{\"id\":\"abc\"},", &env), WSX_EINVAL);
    cr_assert_eq(env.id.len, 0);
}

Test(envelope, names_are_compared_unescaped_and_last_wins)
{
    wsx_envelope_t env;
    cr_assert_eq(parse("{\"m\\u0065ta\":{\"\\u0069d\":\"1\",\"time\\u0073tamp\":\"t\","
                       "\"to\\u006ben\":\"k\"},\"d\\u0061ta\":2}",
                       &env),
                 0, "%s", env.error);
    assert_slice(env.id, "\"1\"");
    assert_slice(env.token, "\"k\"");
    assert_slice(env.data, "2");

    cr_assert_eq(parse("{\"meta\":{\"id\":1},\"data\":1,\"meta\":{\"id\":\"2\",\"timestamp\":\"t\","
                       "\"id\":\"3\"},\"data\":[]}",
                       &env),
                 0, "%s", env.error);
    assert_slice(env.id, "\"3\"");
    assert_slice(env.data, "[]");

    /* A later meta replaces an earlier one entirely. */
    expect_error("{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\"},\"meta\":{\"id\":\"2\"}}",
                 "meta.timestamp is missing");
    /* Keys other than the known ones, and known keys in nested objects, are ignored. */
    cr_assert_eq(parse("{\"x\":{\"meta\":1},\"meta\":{\"id\":\"1\",\"timestamp\":\"t\","
                       "\"nested\":{\"token\":5},\"idx\":2,\"i\":3,"
                       "\"a-key-longer-than-sixteen-bytes\":0}}",
                       &env),
                 0, "%s", env.error);
    cr_assert_eq(env.token.len, 0);
}

Test(envelope, whitespace_everywhere)
{
    wsx_envelope_t env;
    cr_assert_eq(parse(" \t\r\n{ \"meta\" :\n{ \"id\" : \"1\" ,\t\"timestamp\" : \"t\" } ,"
                       " \"data\" : [ 1 , 2 ] }\n ",
                       &env),
                 0, "%s", env.error);
    assert_slice(env.data, "[ 1 , 2 ]");
    assert_slice(env.timestamp, "\"t\"");
}

Test(envelope, error_fits_and_names_the_byte_of_a_long_message)
{
    static char msg[100000];
    size_t n = 0;
    n += (size_t)snprintf(msg, sizeof msg,
                          "{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\"},\"data\":\"");
    memset(msg + n, 'a', 90000);
    n += 90000;
    msg[n++] = '\x01';
    msg[n++] = '"';
    msg[n++] = '}';
    wsx_envelope_t env;
    cr_assert_eq(wsx_envelope_parse((const uint8_t *)msg, n, &env), WSX_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "invalid JSON at byte %zu: unescaped control character in string",
             n - 3);
    cr_assert_str_eq(env.error, want);
    assert_slice(env.id, ""); /* not read: the document is not valid */
}

/* ---- client_name */

static int validate_ok(const char *s)
{
    return wsx_json_validate((const uint8_t *)s, strlen(s), NULL, NULL) == 0;
}

static void expect_flat(const char *json, size_t cap, const char *want)
{
    char out[300];
    cr_assert_lt(cap, sizeof out);
    memset(out, '#', sizeof out);
    cr_assert_eq(validate_ok(json), 1, "%s", json);
    size_t n = wsx_client_name_flatten(wsx_slice(json, strlen(json)), out, cap);
    cr_assert_str_eq(out, want, "%s cap %zu", json, cap);
    cr_assert_eq(n, strlen(want), "%s cap %zu", json, cap);
    cr_assert_eq(out[cap], '#', "%s cap %zu: wrote past cap", json, cap);
}

Test(envelope, client_name_string_and_other_values)
{
    expect_flat("\"My app\"", 64, "My app");
    expect_flat("\"caf\\u00e9 \\\"1\\\"\"", 64, "caf\xC3\xA9 \"1\"");
    expect_flat("42", 64, "42");
    expect_flat("-1.5e3", 64, "-1.5e3");
    expect_flat("true", 64, "true");
    expect_flat("[1, \"a\"]", 64, "[1, \"a\"]");
    expect_flat("\"\"", 64, "");
    expect_flat("\"a\\u0000b\"", 64, "a"); /* a C string ends at U+0000 */

    char out[8] = "junk";
    cr_assert_eq(wsx_client_name_flatten(wsx_slice(NULL, 0), out, sizeof out), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(wsx_client_name_flatten(SL("\"abc\""), out, 0), 0);
    cr_assert_str_eq(out, ""); /* cap 0: nothing written */
}

Test(envelope, client_name_object_is_flattened_in_document_order)
{
    expect_flat("{\"app\":\"demo\",\"pid\":1234,\"ok\":true,\"none\":null,"
                "\"nested\":{\"a\":[1, 2]},\"list\":[\"x\"],\"caf\\u00e9\":\"\\u20ac5\"}",
                256,
                "app: demo; pid: 1234; ok: true; none: null; nested: {\"a\":[1, 2]}; "
                "list: [\"x\"]; caf\xC3\xA9: \xE2\x82\xAC"
                "5");
    expect_flat("{}", 64, "");
    expect_flat("{ \"a\" : 1 }", 64, "a: 1");
    expect_flat("{\"a\":1,\"a\":2}", 64, "a: 1; a: 2");
    expect_flat("{\"k\\u0000x\":\"v\"}", 64, "k: v");
}

Test(envelope, client_name_cut_on_a_character_boundary)
{
    /* "é" is two bytes, "€" three, "😀" four. */
    expect_flat("\"\\u00e9\\u00e9\\u00e9\"", 1, "");
    expect_flat("\"\\u00e9\\u00e9\\u00e9\"", 2, "");
    expect_flat("\"\\u00e9\\u00e9\\u00e9\"", 3, "\xC3\xA9");
    expect_flat("\"\\u00e9\\u00e9\\u00e9\"", 4, "\xC3\xA9");
    expect_flat("\"\\u00e9\\u00e9\\u00e9\"", 6, "\xC3\xA9\xC3\xA9");
    expect_flat("\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"", 8, "\xF0\x9F\x98\x80");
    expect_flat("\"\xF0\x9F\x98\x80\xF0\x9F\x98\x80\"", 9, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
    expect_flat("\"ab\"", 2, "a");
    /* In an object: raw values, keys and separators are cut too, and nothing is
     * added after the first cut. */
    const char *obj = "{\"n\":\"\xE2\x82\xAC\xE2\x82\xAC\",\"m\":[\"\xE2\x82\xAC\"],\"z\":1}";
    expect_flat(obj, 64, "n: \xE2\x82\xAC\xE2\x82\xAC; m: [\"\xE2\x82\xAC\"]; z: 1");
    expect_flat(obj, 6, "n: ");
    expect_flat(obj, 7, "n: \xE2\x82\xAC");
    expect_flat(obj, 11, "n: \xE2\x82\xAC\xE2\x82\xAC;");
    expect_flat(obj, 17, "n: \xE2\x82\xAC\xE2\x82\xAC; m: [\"");
    expect_flat(obj, 20, "n: \xE2\x82\xAC\xE2\x82\xAC; m: [\"\xE2\x82\xAC");
    expect_flat("[\"\xE2\x82\xAC\"]", 4, "[\"");
}

/* ---- attrs */

static size_t attrs(const char *in, char *buf, size_t bufsize, wsx_attr_t *out, size_t max)
{
    snprintf(buf, bufsize, "%s", in);
    return wsx_attrs_parse(buf, out, max);
}

#define assert_attr(a, k, v)                                                                       \
    do {                                                                                           \
        cr_assert_str_eq((a).key, (k));                                                            \
        cr_assert_str_eq((a).value, (v));                                                          \
    } while (0)

Test(envelope, attrs_pairs_with_both_separators_trimmed)
{
    char buf[256];
    wsx_attr_t a[8];
    size_t n = attrs("a=1; b = two ;\nflag;;=x;k=v=w\r\n\t c\t=\t3 \n", buf, sizeof buf, a, 8);
    cr_assert_eq(n, 5);
    assert_attr(a[0], "a", "1");
    assert_attr(a[1], "b", "two");
    assert_attr(a[2], "flag", "");
    assert_attr(a[3], "k", "v=w");
    assert_attr(a[4], "c", "3");
    /* Pointers go into the buffer given. */
    cr_assert(a[0].key >= buf && a[0].key < buf + sizeof buf);
}

Test(envelope, attrs_empty_and_degenerate)
{
    char buf[64];
    wsx_attr_t a[4];
    cr_assert_eq(attrs("", buf, sizeof buf, a, 4), 0);
    cr_assert_eq(attrs(" ; ;\n\n ;", buf, sizeof buf, a, 4), 0);
    cr_assert_eq(attrs("=v; = ;", buf, sizeof buf, a, 4), 0);
    cr_assert_eq(attrs("k=", buf, sizeof buf, a, 4), 1);
    assert_attr(a[0], "k", "");
    cr_assert_eq(attrs("  spaced key = spaced value  ", buf, sizeof buf, a, 4), 1);
    assert_attr(a[0], "spaced key", "spaced value");
    cr_assert_eq(attrs("x", buf, sizeof buf, a, 4), 1);
    assert_attr(a[0], "x", "");
}

Test(envelope, attrs_at_most_max)
{
    char buf[64];
    wsx_attr_t a[4] = {{"untouched", "untouched"},
                       {"untouched", "untouched"},
                       {"untouched", "untouched"},
                       {"untouched", "untouched"}};
    cr_assert_eq(attrs("a=1;b=2;c=3;d=4", buf, sizeof buf, a, 2), 2);
    assert_attr(a[0], "a", "1");
    assert_attr(a[1], "b", "2");
    assert_attr(a[2], "untouched", "untouched");
    cr_assert_eq(attrs("a=1", buf, sizeof buf, a, 0), 0);
    /* Skipped pairs do not count towards max. */
    cr_assert_eq(attrs(";;=x;a=1;;b=2", buf, sizeof buf, a, 2), 2);
    assert_attr(a[0], "a", "1");
    assert_attr(a[1], "b", "2");
}

/* From the envelope to the attrs, as the session code will do it. */
Test(envelope, attrs_from_a_message)
{
    const char *msg =
        "{\"meta\":{\"id\":\"1\",\"timestamp\":\"t\",\"attrs\":\"region=eu\\nv = 2\"}}";
    wsx_envelope_t env;
    cr_assert_eq(parse(msg, &env), 0);
    char s[64];
    cr_assert_gt(wsx_json_string_copy(env.attrs, s, sizeof s), 0);
    wsx_attr_t a[4];
    cr_assert_eq(wsx_attrs_parse(s, a, 4), 2);
    assert_attr(a[0], "region", "eu");
    assert_attr(a[1], "v", "2");
}

/* Found by fuzz_envelope: a member value nested 64 deep inside the top-level object
 * is 65 levels in all. The member walk must count the object itself, so the
 * envelope refuses what wsx_json_validate refuses, with the same sentence. */
Test(envelope, depth_limit_counts_the_top_level_object)
{
    char msg[8 * (WSX_JSON_MAX_DEPTH + 2) + 64], *p = msg;
    p += sprintf(p, "{\"x\":");
    for (int i = 0; i < WSX_JSON_MAX_DEPTH; i++)
        p += sprintf(p, "[");
    for (int i = 0; i < WSX_JSON_MAX_DEPTH; i++)
        p += sprintf(p, "]");
    sprintf(p, "}");
    size_t off;
    const char *why;
    cr_assert_eq(wsx_json_validate((const uint8_t *)msg, strlen(msg), &off, &why), WSX_EINVAL);
    char want[96];
    snprintf(want, sizeof want, "invalid JSON at byte %zu: %s", off, why);
    expect_error(msg, want);

    /* One level less is fine for both (and the envelope then misses meta). */
    memmove(msg + 5, msg + 6, strlen(msg + 6) + 1);
    char *last = strrchr(msg, ']');
    memmove(last, last + 1, strlen(last + 1) + 1);
    cr_assert_eq(wsx_json_validate((const uint8_t *)msg, strlen(msg), NULL, NULL), 0, "%s", msg);
    expect_error(msg, "meta is missing");
}
