/* security_jwt.c - HS256 JSON Web Tokens (RFC 7519, RFC 7515 compact form):
 * header.payload.signature, each base64url without padding. Only HS256 is
 * accepted - "none" and every other algorithm are refused, whatever the header
 * says - and the signature is checked before the payload is even parsed. */
#include "security/security.h"

#include <jansson.h>
#include <math.h> /* isfinite */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "security/security_internal.h"

/* Longer than any token a login carries; bounds the work an attacker can cause. */
#define JWT_TOKEN_MAX (16 * 1024)
#define JWT_HEADER_MAX 1024
#define HS256_BYTES 32

/* base64url without padding (RFC 7515 section 2) into out; strict: no '=', no
 * other characters, no stray bits. Returns 0 with *len set, or WSX_EINVAL. */
static int b64url(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (sodium_base642bin(out, cap, (const char *)p, n, NULL, len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        return WSX_EINVAL;
    return 0;
}

/* Decode one part and parse it as a JSON object. NULL if it is not one. */
static json_t *part_object(const uint8_t *p, size_t n, size_t max)
{
    size_t cap = n / 4 * 3 + 3, len = 0;
    if (cap > max)
        return NULL;
    uint8_t *buf = malloc(cap);
    if (!buf)
        return NULL;
    json_t *j = NULL;
    if (b64url(p, n, buf, cap, &len) == 0)
        j = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

/* A NumericDate claim (RFC 7519 section 2: seconds, possibly fractional) as whole
 * seconds, rounded down. Absent: 0. Returns WSX_EINVAL if present and not a number. */
static int numeric_date(const json_t *payload, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(payload, key);
    *out = 0;
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 0;
    }
    if (!json_is_real(v))
        return WSX_EINVAL;
    double d = json_real_value(v);
    if (!isfinite(d))
        return WSX_EINVAL;
    if (d >= 9.2e18 || d <= -9.2e18) {
        *out = d > 0 ? INT64_MAX : INT64_MIN;
        return 0;
    }
    int64_t i = (int64_t)d; /* toward zero; below, down */
    *out = (double)i > d ? i - 1 : i;
    return 0;
}

static int name_claim(const json_t *payload, const char *key, char *out, jwt_name_state_t *state)
{
    const json_t *v = json_object_get(payload, key);
    out[0] = '\0';
    *state = JWT_NAME_ABSENT;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return WSX_EINVAL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (n > SECURITY_USERNAME_MAX || strlen(s) != n) {
        *state = JWT_NAME_UNUSABLE;
        return 0;
    }
    memcpy(out, s, n + 1);
    *state = JWT_NAME_SET;
    return 0;
}

int security_jwt_claims(wsx_slice_t token, const uint8_t *key, size_t key_len, jwt_claims_t *out)
{
    memset(out, 0, sizeof *out);
    if (token.len == 0 || token.len > JWT_TOKEN_MAX || key_len > INT32_MAX)
        return WSX_EINVAL;
    const uint8_t *t = token.ptr, *end = t + token.len;
    const uint8_t *d1 = memchr(t, '.', token.len);
    const uint8_t *d2 = d1 ? memchr(d1 + 1, '.', (size_t)(end - d1 - 1)) : NULL;
    /* Exactly three parts (a JWE has five), none empty: an empty signature is an
     * unsecured JWT (alg "none"), which is never accepted. */
    if (!d2 || memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) || d1 == t || d2 == d1 + 1 ||
        d2 + 1 == end)
        return WSX_EINVAL;

    json_t *header = part_object(t, (size_t)(d1 - t), JWT_HEADER_MAX);
    if (!header)
        return WSX_EINVAL;
    const char *alg = json_string_value(json_object_get(header, "alg"));
    /* crit names extensions the receiver must understand (RFC 7515 4.1.11): we
     * understand none. */
    int header_ok = alg && strcmp(alg, "HS256") == 0 && !json_object_get(header, "crit");
    json_decref(header);
    if (!header_ok)
        return WSX_EINVAL;

    uint8_t sig[HS256_BYTES + 3], mac[EVP_MAX_MD_SIZE];
    size_t sig_len = 0;
    unsigned int mac_len = 0;
    if (b64url(d2 + 1, (size_t)(end - d2 - 1), sig, sizeof sig, &sig_len) != 0 ||
        sig_len != HS256_BYTES)
        return WSX_EINVAL;
    static const uint8_t no_key[1];
    if (!HMAC(EVP_sha256(), key_len ? key : no_key, (int)key_len, t, (size_t)(d2 - t), mac,
              &mac_len) ||
        mac_len != HS256_BYTES)
        return WSX_EINVAL;
    int good = CRYPTO_memcmp(mac, sig, HS256_BYTES) == 0;
    OPENSSL_cleanse(mac, sizeof mac);
    if (!good)
        return WSX_EAUTH;

    json_t *payload = part_object(d1 + 1, (size_t)(d2 - d1 - 1), JWT_TOKEN_MAX);
    if (!payload)
        return WSX_EINVAL;
    int rc = numeric_date(payload, "exp", &out->exp);
    if (!rc)
        rc = numeric_date(payload, "nbf", &out->nbf);
    if (!rc)
        rc = name_claim(payload, "sub", out->sub, &out->sub_state);
    if (!rc)
        rc = name_claim(payload, "username", out->username, &out->username_state);
    json_decref(payload);
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}

int security_jwt_verify(wsx_slice_t token, const uint8_t *key, size_t key_len, int64_t *exp,
                        char *subject, size_t subject_cap)
{
    jwt_claims_t c;
    *exp = 0;
    if (subject_cap)
        subject[0] = '\0';
    int rc = security_jwt_claims(token, key, key_len, &c);
    if (rc)
        return rc;
    /* sub when present, else username; one that cannot be given whole is refused. */
    jwt_name_state_t st = c.sub_state != JWT_NAME_ABSENT ? c.sub_state : c.username_state;
    const char *name = c.sub_state != JWT_NAME_ABSENT ? c.sub : c.username;
    if (st == JWT_NAME_UNUSABLE || strlen(name) >= subject_cap)
        return WSX_EINVAL;
    memcpy(subject, name, strlen(name) + 1);
    *exp = c.exp;
    return 0;
}
