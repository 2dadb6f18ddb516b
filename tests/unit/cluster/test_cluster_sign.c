/* test_cluster_sign.c - the X-Wsx-Cluster signature: what it binds (method, target,
 * time, body, secret), the +-30 s window, and malformed headers. */
#include <criterion/criterion.h>
#include <sodium.h>
#include <stdio.h>

#include "cluster/cluster_sign.h"
#include "common/err.h"

static const uint8_t KEY[] = "0123456789abcdef0123456789abcdef";
static const uint8_t OTHER[] = "0123456789abcdef0123456789abcdeF";
#define KEYLEN 32
#define NOW 1790000000

#define S(lit) wsx_slice(lit, strlen(lit))

static void sign(const uint8_t *key, const char *m, const char *t, int64_t when, const char *body,
                 char out[CLUSTER_SIGN_VALUE_MAX])
{
    cr_assert_eq(cluster_sign(key, KEYLEN, "server-a", S(m), S(t), when, S(body), out,
                              CLUSTER_SIGN_VALUE_MAX),
                 0);
}

static int verify(const uint8_t *key, const char *value, const char *m, const char *t,
                  const char *body, int64_t now, char *why)
{
    char server[128];
    return cluster_verify(key, KEYLEN, S(value), S(m), S(t), S(body), now, server, sizeof server,
                          why, 256);
}

Test(cluster_sign, the_value_is_name_time_and_64_hex_digits)
{
    char v[CLUSTER_SIGN_VALUE_MAX];
    sign(KEY, "GET", "/api/v1/internal/channels/3/connections?query=a", NOW, "", v);
    cr_assert_eq(strncmp(v, "server-a 1790000000 ", 20), 0, "%s", v);
    cr_assert_eq(strlen(v), 20 + 64, "%s", v);
    for (const char *p = v + 20; *p; p++)
        cr_assert(strchr("0123456789abcdef", *p), "%s", v);
}

/* Vectors computed independently (Python: hmac.new(key, msg, hashlib.sha256)), so the
 * message layout is the contract's, not only consistent with itself:
 * msg = method "\n" target "\n" time "\n" hex(sha256(body)). */
Test(cluster_sign, matches_the_contracts_message_layout)
{
    char v[CLUSTER_SIGN_VALUE_MAX];
    sign(KEY, "POST", "/api/v1/internal/channels/7/broadcast", NOW, "{\"data\":1}", v);
    cr_assert_str_eq(v, "server-a 1790000000 "
                        "70d221011eb5e4fc926e9364e7d9305bed498c3a6a1235f22322e523badbdd61");
    sign(KEY, "GET", "/api/v1/internal/channels/3/connections?query=a%20b", NOW, "", v);
    cr_assert_str_eq(v, "server-a 1790000000 "
                        "5e546db08e740bd33d3bc49ea6d84716a77ae857e10d1ece6fcb8088717bf472");
}

Test(cluster_verify, accepts_its_own_signature_and_names_the_caller)
{
    char v[CLUSTER_SIGN_VALUE_MAX], server[128], why[256] = "";
    sign(KEY, "DELETE", "/api/v1/internal/connections/ws.0123", NOW, "", v);
    int rc = cluster_verify(KEY, KEYLEN, S(v), S("DELETE"), S("/api/v1/internal/connections/ws.0123"),
                            S(""), NOW, server, sizeof server, why, sizeof why);
    cr_assert_eq(rc, 0, "%s", why);
    cr_assert_str_eq(server, "server-a");
}

Test(cluster_verify, within_30_s_either_way_but_not_beyond)
{
    char v[CLUSTER_SIGN_VALUE_MAX], why[256];
    sign(KEY, "GET", "/x", NOW, "", v);
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW + 30, why), 0, "%s", why);
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW - 30, why), 0, "%s", why);
    /* a replay 31 s later, or a clock 31 s behind */
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW + 31, why), WSX_EAUTH);
    cr_assert(strstr(why, "30 s"), "%s", why);
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW - 31, why), WSX_EAUTH);
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW + 3600, why), WSX_EAUTH);
}

Test(cluster_verify, refuses_another_body_path_method_or_secret)
{
    char v[CLUSTER_SIGN_VALUE_MAX], why[256];
    sign(KEY, "POST", "/api/v1/internal/connections/ws.1/invoke", NOW, "{\"request\":1}", v);
    cr_assert_eq(verify(KEY, v, "POST", "/api/v1/internal/connections/ws.1/invoke",
                        "{\"request\":1}", NOW, why),
                 0, "%s", why);
    cr_assert_eq(verify(KEY, v, "POST", "/api/v1/internal/connections/ws.1/invoke",
                        "{\"request\":2}", NOW, why),
                 WSX_EAUTH, "another body");
    cr_assert(strstr(why, "signature does not match"), "%s", why);
    cr_assert_eq(verify(KEY, v, "POST", "/api/v1/internal/connections/ws.2/invoke",
                        "{\"request\":1}", NOW, why),
                 WSX_EAUTH, "another path");
    cr_assert_eq(verify(KEY, v, "POST", "/api/v1/internal/connections/ws.1/invoke?x=1",
                        "{\"request\":1}", NOW, why),
                 WSX_EAUTH, "a query added");
    cr_assert_eq(verify(KEY, v, "DELETE", "/api/v1/internal/connections/ws.1/invoke",
                        "{\"request\":1}", NOW, why),
                 WSX_EAUTH, "another method");
    cr_assert_eq(verify(OTHER, v, "POST", "/api/v1/internal/connections/ws.1/invoke",
                        "{\"request\":1}", NOW, why),
                 WSX_EAUTH, "another secret");
}

Test(cluster_verify, a_changed_time_breaks_the_signature)
{
    char v[CLUSTER_SIGN_VALUE_MAX], why[256];
    sign(KEY, "GET", "/x", NOW - 100, "", v);
    /* moving the stale time into the window does not help: the time is signed */
    char *t = strstr(v, "1789999900");
    cr_assert_not_null(t, "%s", v);
    memcpy(t, "1790000000", 10);
    cr_assert_eq(verify(KEY, v, "GET", "/x", "", NOW, why), WSX_EAUTH);
    cr_assert(strstr(why, "signature does not match"), "%s", why);
}

Test(cluster_verify, a_name_with_spaces_is_read_from_the_right)
{
    char v[CLUSTER_SIGN_VALUE_MAX], server[128], why[256];
    cr_assert_eq(cluster_sign(KEY, KEYLEN, "server a b", S("GET"), S("/x"), NOW, S(""), v,
                              sizeof v),
                 0);
    cr_assert_eq(cluster_verify(KEY, KEYLEN, S(v), S("GET"), S("/x"), S(""), NOW, server,
                                sizeof server, why, sizeof why),
                 0, "%s", why);
    cr_assert_str_eq(server, "server a b");
}

Test(cluster_verify, malformed_values_are_refused_with_the_expected_shape)
{
    char v[CLUSTER_SIGN_VALUE_MAX];
    sign(KEY, "GET", "/x", NOW, "", v);
    char cut[CLUSTER_SIGN_VALUE_MAX];
    snprintf(cut, sizeof cut, "%.*s", (int)strlen(v) - 1, v);
    char upper[CLUSTER_SIGN_VALUE_MAX];
    snprintf(upper, sizeof upper, "%s", v);
    for (char *p = upper + 20; *p; p++)
        *p = (*p >= 'a' && *p <= 'f') ? (char)(*p - 32) : *p;
    const char *bad[] = {
        "",
        "server-a",
        "server-a 1790000000",
        cut,                                   /* 63 hex digits */
        v + 9,                                 /* no name */
        "server-a 17900x0000 "
        "0000000000000000000000000000000000000000000000000000000000000000",
        "server-a  0000000000000000000000000000000000000000000000000000000000000000",
        "server-a 1790000000 "
        "zz00000000000000000000000000000000000000000000000000000000000000",
        "Basic YWRtaW46cGFzc3dvcmQ=",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char why[256] = "", server[128] = "x";
        int rc = cluster_verify(KEY, KEYLEN, S(bad[i]), S("GET"), S("/x"), S(""), NOW, server,
                                sizeof server, why, sizeof why);
        cr_assert_eq(rc, WSX_EAUTH, "accepted %s", bad[i]);
        cr_assert(why[0], "no reason for %s", bad[i]);
        cr_assert_str_eq(server, "", "a name given out for a refused call");
    }
    /* hex in capitals is the same MAC: accepted */
    char why[256];
    cr_assert_eq(verify(KEY, upper, "GET", "/x", "", NOW, why), 0, "%s", why);
}

Test(cluster_sign, refuses_a_name_with_control_characters_or_too_long)
{
    char v[CLUSTER_SIGN_VALUE_MAX], name[200];
    memset(name, 'n', sizeof name - 1);
    name[sizeof name - 1] = 0;
    cr_assert_eq(cluster_sign(KEY, KEYLEN, "a\nb", S("GET"), S("/"), NOW, S(""), v, sizeof v),
                 WSX_EINVAL);
    cr_assert_eq(cluster_sign(KEY, KEYLEN, "", S("GET"), S("/"), NOW, S(""), v, sizeof v),
                 WSX_EINVAL);
    cr_assert_eq(cluster_sign(KEY, KEYLEN, name, S("GET"), S("/"), NOW, S(""), v, sizeof v),
                 WSX_EINVAL);
    cr_assert_eq(cluster_sign(KEY, KEYLEN, "ok", S("GET"), S("/"), NOW, S(""), v, 10), WSX_EINVAL);
}
