/* test_security.c - security definitions: the server key file, sealing JWT secrets
 * (round trip, tampering, another key), Argon2id hashes, the login check of each
 * type, and HS256 JWT verification against the RFC 7519 section 3.1 example (signed
 * with the RFC 7515 appendix A.1 key) and tokens made here for every refusal. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "security/security.h"

static char dir[64];

static const uint8_t CLUSTER_SECRET[32] = "a cluster secret, 32 bytes long!";

static void load_key(const char *d)
{
    (void)d;
    cr_assert_eq(security_key_derive(CLUSTER_SECRET, sizeof CLUSTER_SECRET), 0);
}

static void setup(void)
{
    strcpy(dir, "/tmp/wsx-security-test-XXXXXX");
    cr_assert(mkdtemp(dir));
    load_key(dir);
}

static void teardown(void)
{
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(security, .init = setup, .fini = teardown, .timeout = 30);

static wsx_slice_t S(const char *s)
{
    return wsx_slice(s, strlen(s));
}

/* ---- the key file ------------------------------------------------------------------ */

Test(security, a_sealed_secret_opens_after_the_key_is_derived_again)
{
    char sealed[512];
    cr_assert_eq(security_secret_seal((const uint8_t *)"s3cret", 6, sealed, sizeof sealed), 0);
    /* another server of the cluster (or this one after a restart): same secret */
    cr_assert_eq(security_key_derive(CLUSTER_SECRET, sizeof CLUSTER_SECRET), 0);
    uint8_t out[64];
    size_t n;
    cr_assert_eq(security_secret_open(sealed, out, sizeof out, &n), 0);
    cr_assert_eq(n, 6);
    cr_assert_eq(memcmp(out, "s3cret", 6), 0);
}

Test(security, another_cluster_secret_cannot_open)
{
    char sealed[512];
    cr_assert_eq(security_secret_seal((const uint8_t *)"s3cret", 6, sealed, sizeof sealed), 0);
    static const uint8_t other[32] = "another cluster's secret, 32 b.";
    cr_assert_eq(security_key_derive(other, sizeof other), 0);
    uint8_t out[64];
    size_t n;
    cr_assert_eq(security_secret_open(sealed, out, sizeof out, &n), WSX_EINVAL);
}

Test(security, a_cluster_secret_too_short_to_derive_from_is_refused)
{
    cr_assert_eq(security_key_derive((const uint8_t *)"short", 5), WSX_EINVAL);
    cr_assert_eq(security_key_derive(CLUSTER_SECRET, 16), 0);
}

Test(security, seal_round_trip_hides_the_secret)
{
    const char *secret = "a JWT signing secret of 32 bytes!";
    char a[2 * SECURITY_SECRET_MAX + 256], b[sizeof a];
    cr_assert_eq(security_secret_seal((const uint8_t *)secret, strlen(secret), a, sizeof a), 0);
    cr_assert_eq(security_secret_seal((const uint8_t *)secret, strlen(secret), b, sizeof b), 0);
    cr_assert(!strstr(a, "JWT") && !strstr(a, "secret"), "%s", a);
    cr_assert_str_neq(a, b, "each seal has its own nonce");
    uint8_t out[SECURITY_SECRET_MAX];
    size_t n = 0;
    cr_assert_eq(security_secret_open(a, out, sizeof out, &n), 0);
    cr_assert_eq(n, strlen(secret));
    cr_assert_eq(memcmp(out, secret, n), 0);
    cr_assert_eq(security_secret_open(b, out, sizeof out, &n), 0);
    cr_assert_eq(memcmp(out, secret, n), 0);
}

Test(security, seal_of_the_largest_secret_fits_a_definition)
{
    uint8_t big[SECURITY_SECRET_MAX], out[SECURITY_SECRET_MAX];
    memset(big, 0xA5, sizeof big);
    security_def_t def;
    cr_assert_eq(security_secret_seal(big, sizeof big, def.sealed, sizeof def.sealed), 0);
    size_t n;
    cr_assert_eq(security_secret_open(def.sealed, out, sizeof out, &n), 0);
    cr_assert_eq(n, sizeof big);
    cr_assert_eq(memcmp(out, big, n), 0);
    cr_assert_eq(security_secret_seal(big, sizeof big + 1, def.sealed, sizeof def.sealed),
                 WSX_EINVAL, "over SECURITY_SECRET_MAX");
    cr_assert_eq(security_secret_seal(big, 10, def.sealed, 20), WSX_EINVAL, "output too small");
}

Test(security, tampering_is_detected)
{
    char sealed[2 * SECURITY_SECRET_MAX + 256];
    cr_assert_eq(security_secret_seal((const uint8_t *)"0123456789", 10, sealed, sizeof sealed), 0);
    uint8_t out[64];
    size_t n;
    size_t len = strlen(sealed);
    /* flip every character in turn (to another base64 character) */
    for (size_t i = 3; i < len; i++) {
        char t[sizeof sealed];
        strcpy(t, sealed);
        if (t[i] == '=')
            continue;
        t[i] = t[i] == 'A' ? 'B' : 'A';
        cr_assert_neq(security_secret_open(t, out, sizeof out, &n), 0, "changed at %zu", i);
    }
    char t[sizeof sealed];
    snprintf(t, sizeof t, "v2:%s", sealed + 3);
    cr_assert_eq(security_secret_open(t, out, sizeof out, &n), WSX_EINVAL, "unknown version");
    cr_assert_eq(security_secret_open("v1:", out, sizeof out, &n), WSX_EINVAL, "empty");
    cr_assert_eq(security_secret_open("v1:!!!!", out, sizeof out, &n), WSX_EINVAL, "not base64");
    cr_assert_eq(security_secret_open(sealed, out, 5, &n), WSX_EINVAL, "does not fit");
}

/* ---- hashes and the check of basic_auth and apikey ----------------------------------- */

static security_cred_t hashed_cred(security_type_t type, const char *user, const char *secret)
{
    security_def_t def;
    memset(&def, 0, sizeof def);
    def.id = 7;
    def.type = type;
    snprintf(def.username, sizeof def.username, "%s", user);
    cr_assert_eq(security_hash((const uint8_t *)secret, strlen(secret), def.hash, sizeof def.hash),
                 0);
    cr_assert_eq(strncmp(def.hash, "$argon2id$", 10), 0, "%s", def.hash);
    cr_assert(!strstr(def.hash, secret));
    security_cred_t c;
    cr_assert_eq(security_cred_from_def(&def, &c), 0);
    cr_assert_eq(c.type, type);
    cr_assert_eq(c.def_id, 7);
    return c;
}

Test(security, basic_auth)
{
    security_cred_t c = hashed_cred(SECURITY_BASIC_AUTH, "alice", "correct horse");
    time_t now = time(NULL);
    cr_assert_eq(security_check(&c, S("alice"), S("correct horse"), now), 0);
    cr_assert_eq(security_check(&c, S("alice"), S("correct horsE"), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S("alice"), S("correct horse "), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S("alice"), S(""), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S("bob"), S("correct horse"), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S("alic"), S("correct horse"), now), WSX_EAUTH, "a prefix");
    cr_assert_eq(security_check(&c, S("alicex"), S("correct horse"), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S("Alice"), S("correct horse"), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, wsx_slice("alice\0", 6), S("correct horse"), now), WSX_EAUTH,
                 "a NUL after the name");
    char longname[SECURITY_USERNAME_MAX + 10];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    cr_assert_eq(security_check(&c, S(longname), S("correct horse"), now), WSX_EAUTH);
}

Test(security, apikey_ignores_the_username)
{
    security_cred_t c = hashed_cred(SECURITY_APIKEY, "", "k-0123456789abcdef");
    time_t now = time(NULL);
    cr_assert_eq(security_check(&c, S(""), S("k-0123456789abcdef"), now), 0);
    cr_assert_eq(security_check(&c, S("anyone"), S("k-0123456789abcdef"), now), 0);
    cr_assert_eq(security_check(&c, S(""), S("k-0123456789abcdeF"), now), WSX_EAUTH);
    cr_assert_eq(security_check(&c, S(""), S("k-0123456789abcde"), now), WSX_EAUTH);
}

Test(security, binary_secrets_are_compared_whole)
{
    security_def_t def;
    memset(&def, 0, sizeof def);
    def.type = SECURITY_APIKEY;
    const uint8_t key[] = {'a', 0, 'b'};
    cr_assert_eq(security_hash(key, sizeof key, def.hash, sizeof def.hash), 0);
    security_cred_t c;
    cr_assert_eq(security_cred_from_def(&def, &c), 0);
    cr_assert_eq(security_check(&c, S(""), wsx_slice(key, 3), 0), 0);
    cr_assert_eq(security_check(&c, S(""), wsx_slice(key, 1), 0), WSX_EAUTH, "not cut at NUL");
}

Test(security, no_security_accepts_and_a_definition_without_a_hash_is_refused)
{
    security_cred_t none;
    memset(&none, 0, sizeof none);
    cr_assert_eq(security_check(&none, S(""), S(""), 0), 0);
    security_def_t def;
    memset(&def, 0, sizeof def);
    def.type = SECURITY_BASIC_AUTH;
    strcpy(def.username, "u");
    cr_assert_eq(security_cred_from_def(&def, &none), WSX_EINVAL);
}

Test(security, type_names)
{
    cr_assert_str_eq(security_type_name(SECURITY_BASIC_AUTH), "basic_auth");
    cr_assert_str_eq(security_type_name(SECURITY_JWT), "jwt");
    cr_assert_str_eq(security_type_name(SECURITY_APIKEY), "apikey");
    cr_assert_null(security_type_name(SECURITY_NONE));
    cr_assert_eq(security_type_parse("basic_auth"), SECURITY_BASIC_AUTH);
    cr_assert_eq(security_type_parse("jwt"), SECURITY_JWT);
    cr_assert_eq(security_type_parse("apikey"), SECURITY_APIKEY);
    cr_assert_eq(security_type_parse("basic-auth"), SECURITY_NONE);
    cr_assert_eq(security_type_parse("JWT"), SECURITY_NONE);
    cr_assert_eq(security_type_parse(NULL), SECURITY_NONE);
}

/* ---- JWT --------------------------------------------------------------------------------- */

/* RFC 7519 section 3.1: HS256, {"typ":"JWT",\r\n "alg":"HS256"} and
 * {"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}. */
static const char rfc_token[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
                                ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtc"
                                "GxlLmNvbS9pc19yb290Ijp0cnVlfQ"
                                ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/* RFC 7515 appendix A.1: the JWK "k" of that example, base64url. */
static const char rfc_key_b64[] =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
#define RFC_EXP 1300819380

static size_t rfc_key(uint8_t key[64])
{
    size_t n = 0;
    cr_assert_eq(sodium_base642bin(key, 64, rfc_key_b64, strlen(rfc_key_b64), NULL, &n, NULL,
                                   sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                 0);
    cr_assert_eq(n, 64);
    return n;
}

static security_cred_t jwt_cred(const uint8_t *key, size_t len, const char *username)
{
    security_def_t def;
    memset(&def, 0, sizeof def);
    def.id = 3;
    def.type = SECURITY_JWT;
    snprintf(def.username, sizeof def.username, "%s", username);
    cr_assert_eq(security_secret_seal(key, len, def.sealed, sizeof def.sealed), 0);
    security_cred_t c;
    cr_assert_eq(security_cred_from_def(&def, &c), 0);
    cr_assert_eq(c.secret_len, len);
    cr_assert_eq(memcmp(c.secret, key, len), 0);
    return c;
}

static void b64url(const void *p, size_t n, char *out, size_t cap)
{
    sodium_bin2base64(out, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* A token with these header and payload texts, HS256-signed with key (sig NULL),
 * or with the signature part `sig` as given. Static buffer. */
static const char *token(const char *header, const char *payload, const char *key, const char *sig)
{
    static char out[4096];
    char h[1024], p[2048];
    b64url(header, strlen(header), h, sizeof h);
    b64url(payload, strlen(payload), p, sizeof p);
    int n = snprintf(out, sizeof out, "%s.%s", h, p);
    if (sig) {
        snprintf(out + n, sizeof out - (size_t)n, ".%s", sig);
        return out;
    }
    uint8_t mac[32];
    unsigned int len;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const uint8_t *)out, (size_t)n, mac, &len);
    out[n++] = '.';
    b64url(mac, sizeof mac, out + n, sizeof out - (size_t)n);
    return out;
}

#define KEY "0123456789abcdef0123456789abcdef" /* 32 bytes */
#define HS "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static int verify(const char *tok, const char *key, int64_t *exp, char *sub, size_t cap)
{
    return security_jwt_verify(S(tok), (const uint8_t *)key, strlen(key), exp, sub, cap);
}

Test(security, jwt_rfc7519_example_signature_passes_and_its_exp_has_passed)
{
    uint8_t key[64];
    size_t klen = rfc_key(key);
    int64_t exp = -1;
    char sub[64] = "x";
    cr_assert_eq(security_jwt_verify(S(rfc_token), key, klen, &exp, sub, sizeof sub), 0);
    cr_assert_eq(exp, RFC_EXP);
    cr_assert_str_eq(sub, "", "no sub, no username claim");

    security_cred_t c = jwt_cred(key, klen, "");
    cr_assert_eq(security_check(&c, S(""), S(rfc_token), time(NULL)), WSX_EAUTH,
                 "exp 1300819380 (March 2011) is in the past");
    cr_assert_eq(security_check(&c, S(""), S(rfc_token), RFC_EXP - 1), 0, "a second before exp");
    cr_assert_eq(security_check(&c, S(""), S(rfc_token), RFC_EXP), WSX_EAUTH, "at exp");

    /* one bit of the key, of the payload, or of the signature changed */
    key[0] ^= 1;
    cr_assert_eq(security_jwt_verify(S(rfc_token), key, klen, &exp, sub, sizeof sub), WSX_EAUTH);
    key[0] ^= 1;
    char t[sizeof rfc_token];
    strcpy(t, rfc_token);
    t[60] = t[60] == 'A' ? 'B' : 'A';
    cr_assert_eq(security_jwt_verify(S(t), key, klen, &exp, sub, sizeof sub), WSX_EAUTH);
    strcpy(t, rfc_token);
    t[sizeof rfc_token - 5] = t[sizeof rfc_token - 5] == 'A' ? 'B' : 'A';
    cr_assert_eq(security_jwt_verify(S(t), key, klen, &exp, sub, sizeof sub), WSX_EAUTH);
}

Test(security, jwt_only_hs256)
{
    int64_t exp;
    char sub[64];
    const char *pl = "{\"exp\":4102444800}";
    cr_assert_eq(verify(token(HS, pl, KEY, NULL), KEY, &exp, sub, sizeof sub), 0);
    cr_assert_eq(exp, 4102444800);
    /* alg none: no signature, or even a valid HMAC: refused either way */
    cr_assert_eq(verify(token("{\"alg\":\"none\"}", pl, KEY, ""), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"alg\":\"none\"}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"alg\":\"RS256\"}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"alg\":\"HS512\"}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"alg\":\"hs256\"}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"typ\":\"JWT\"}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL, "no alg");
    cr_assert_eq(verify(token("{\"alg\":256}", pl, KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("{\"alg\":\"HS256\",\"crit\":[\"x\"]}", pl, KEY, NULL), KEY, &exp,
                        sub, sizeof sub),
                 WSX_EINVAL, "an extension we do not understand");
    cr_assert_eq(verify(token("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", pl, KEY, NULL), KEY, &exp,
                        sub, sizeof sub),
                 WSX_EINVAL, "duplicate header member");
}

Test(security, jwt_bad_signature)
{
    int64_t exp;
    char sub[64];
    const char *pl = "{\"exp\":4102444800}";
    cr_assert_eq(verify(token(HS, pl, KEY "x", NULL), KEY, &exp, sub, sizeof sub), WSX_EAUTH);
    cr_assert_eq(verify(token(HS, pl, "", NULL), KEY, &exp, sub, sizeof sub), WSX_EAUTH);
    /* a signature of the wrong length is malformed */
    cr_assert_eq(verify(token(HS, pl, KEY, "AAAA"), KEY, &exp, sub, sizeof sub), WSX_EINVAL);
}

Test(security, jwt_malformed)
{
    int64_t exp;
    char sub[64];
    const char *good = token(HS, "{\"exp\":4102444800}", KEY, NULL);
    char t[4200];
    cr_assert_eq(verify(good, KEY, &exp, sub, sizeof sub), 0);

    const char *bad[] = {
        "", ".", "..", "a.b", "abc",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_assert_eq(verify(bad[i], KEY, &exp, sub, sizeof sub), WSX_EINVAL, "%s", bad[i]);

    snprintf(t, sizeof t, "%s.", good);
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "four parts");
    snprintf(t, sizeof t, "%s.a.b", good);
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "five parts (JWE)");
    snprintf(t, sizeof t, "%s=", good);
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "padding");
    snprintf(t, sizeof t, " %s", good);
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "a space");
    strcpy(t, good);
    *strchr(t, '.') = '+'; /* base64, not base64url, and two parts */
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL);
    strcpy(t, good);
    char *dot = strchr(t, '.');
    memmove(t, dot, strlen(dot) + 1); /* empty header */
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "empty header");

    cr_assert_eq(verify(token("not json", "{}", KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token("[\"HS256\"]", "{}", KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL);
    cr_assert_eq(verify(token(HS, "not json", KEY, NULL), KEY, &exp, sub, sizeof sub), WSX_EINVAL,
                 "a signed payload that is not JSON");
    cr_assert_eq(verify(token(HS, "[1]", KEY, NULL), KEY, &exp, sub, sizeof sub), WSX_EINVAL);
    cr_assert_eq(
        verify(token(HS, "{\"exp\":\"4102444800\"}", KEY, NULL), KEY, &exp, sub, sizeof sub),
        WSX_EINVAL, "exp as a string");
    cr_assert_eq(verify(token(HS, "{\"exp\":1,\"sub\":5}", KEY, NULL), KEY, &exp, sub, sizeof sub),
                 WSX_EINVAL, "sub not a string");

    /* a payload with an empty part between dots */
    const char *h = strchr(good, '.');
    snprintf(t, sizeof t, "%.*s..%s", (int)(h - good), good, strrchr(good, '.') + 1);
    cr_assert_eq(verify(t, KEY, &exp, sub, sizeof sub), WSX_EINVAL, "empty payload");

    /* longer than any token we accept */
    char *huge = malloc(20000);
    memset(huge, 'A', 19999);
    huge[19999] = 0;
    huge[100] = '.';
    huge[200] = '.';
    cr_assert_eq(verify(huge, KEY, &exp, sub, sizeof sub), WSX_EINVAL);
    free(huge);
}

Test(security, jwt_exp_is_required_and_checked)
{
    security_cred_t c = jwt_cred((const uint8_t *)KEY, 32, "");
    time_t now = 2000000000;
    int64_t exp = 5;
    char sub[64];
    const char *none = token(HS, "{\"sub\":\"alice\"}", KEY, NULL);
    cr_assert_eq(verify(none, KEY, &exp, sub, sizeof sub), 0, "verify alone does not need exp");
    cr_assert_eq(exp, 0);
    cr_assert_eq(security_check(&c, S(""), S(none), now), WSX_EAUTH, "no exp: refused");
    cr_assert_eq(security_check(&c, S(""), S(token(HS, "{\"exp\":2000000001}", KEY, NULL)), now),
                 0);
    cr_assert_eq(security_check(&c, S(""), S(token(HS, "{\"exp\":2000000000}", KEY, NULL)), now),
                 WSX_EAUTH);
    cr_assert_eq(security_check(&c, S(""), S(token(HS, "{\"exp\":2000000000.5}", KEY, NULL)), now),
                 WSX_EAUTH, "NumericDate may be fractional: 2000000000.5 is not after now");
    cr_assert_eq(security_check(&c, S(""), S(token(HS, "{\"exp\":2000000001.5}", KEY, NULL)), now),
                 0);
    cr_assert_eq(security_check(&c, S(""), S(token(HS, "{\"exp\":-1}", KEY, NULL)), now),
                 WSX_EAUTH);
    cr_assert_eq(security_check(&c, S(""),
                                S(token(HS, "{\"exp\":2000000100,\"nbf\":2000000050}", KEY, NULL)),
                                now),
                 WSX_EAUTH, "not before nbf");
    cr_assert_eq(security_check(&c, S(""),
                                S(token(HS, "{\"exp\":2000000100,\"nbf\":1999999999}", KEY, NULL)),
                                now),
                 0);
    /* the check uses the definition's key, not the token's say */
    cr_assert_eq(
        security_check(&c, S(""), S(token(HS, "{\"exp\":2000000100}", "other key", NULL)), now),
        WSX_EAUTH);
}

Test(security, jwt_subject_must_match_a_definitions_username)
{
    security_cred_t c = jwt_cred((const uint8_t *)KEY, 32, "alice");
    time_t now = 2000000000;
#define CHK(payload) security_check(&c, S(""), S(token(HS, payload, KEY, NULL)), now)
    cr_assert_eq(CHK("{\"exp\":2000000100,\"sub\":\"alice\"}"), 0);
    cr_assert_eq(CHK("{\"exp\":2000000100,\"username\":\"alice\"}"), 0);
    cr_assert_eq(CHK("{\"exp\":2000000100,\"sub\":\"u-17\",\"username\":\"alice\"}"), 0,
                 "sub or username");
    cr_assert_eq(CHK("{\"exp\":2000000100,\"sub\":\"bob\"}"), WSX_EAUTH);
    cr_assert_eq(CHK("{\"exp\":2000000100,\"sub\":\"alic\"}"), WSX_EAUTH);
    cr_assert_eq(CHK("{\"exp\":2000000100,\"sub\":\"alice\\u0000x\"}"), WSX_EAUTH);
    cr_assert_eq(CHK("{\"exp\":2000000100}"), WSX_EAUTH, "no name claim");
    cr_assert_eq(CHK("{\"sub\":\"alice\"}"), WSX_EAUTH, "no exp");
#undef CHK
    /* meta.username is not what counts for jwt: the token's claim is */
    cr_assert_eq(security_check(&c, S("alice"),
                                S(token(HS, "{\"exp\":2000000100,\"sub\":\"bob\"}", KEY, NULL)),
                                now),
                 WSX_EAUTH);

    int64_t exp;
    char sub[8];
    cr_assert_eq(
        verify(token(HS, "{\"exp\":1,\"sub\":\"alice\"}", KEY, NULL), KEY, &exp, sub, sizeof sub),
        0);
    cr_assert_str_eq(sub, "alice");
    cr_assert_eq(verify(token(HS, "{\"exp\":1,\"username\":\"bob\"}", KEY, NULL), KEY, &exp, sub,
                        sizeof sub),
                 0);
    cr_assert_str_eq(sub, "bob");
    cr_assert_eq(verify(token(HS, "{\"exp\":1,\"sub\":\"a-long-name\"}", KEY, NULL), KEY, &exp, sub,
                        sizeof sub),
                 WSX_EINVAL, "a subject is never cut to fit");
}
