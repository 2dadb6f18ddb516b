/* fuzz_jwt.c - libFuzzer target for HS256 JWT verification. The first byte picks a
 * mode: 0 verifies the rest as a token; otherwise the rest is the payload of a token
 * signed here with the fuzz key, which must then never fail on its signature, and
 * must fail once any character of the signature changes. Results are always one of
 * 0, WSX_EINVAL, WSX_EAUTH, and a subject is never longer than its buffer. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "security/security.h"
#include "security/security_internal.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const uint8_t key[] = "fuzz-key-0123456789abcdef-0123456";

static int verify(const char *tok, size_t len)
{
    int64_t exp = -1;
    char sub[16];
    memset(sub, 'x', sizeof sub);
    int rc = security_jwt_verify(wsx_slice(tok, len), key, sizeof key - 1, &exp, sub, sizeof sub);
    CHECK(rc == 0 || rc == WSX_EINVAL || rc == WSX_EAUTH);
    CHECK(memchr(sub, '\0', sizeof sub) != NULL);
    if (rc != 0)
        CHECK(exp == 0 && sub[0] == '\0');
    jwt_claims_t c;
    int rc2 = security_jwt_claims(wsx_slice(tok, len), key, sizeof key - 1, &c);
    CHECK(rc2 == rc || (rc2 == 0 && rc == WSX_EINVAL)); /* a subject too long for sub[] */
    if (rc2 == 0)
        CHECK(strlen(c.sub) <= SECURITY_USERNAME_MAX &&
              strlen(c.username) <= SECURITY_USERNAME_MAX);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    if (data[0] == 0) {
        char *tok = malloc(size - 1 ? size - 1 : 1);
        if (size > 1)
            memcpy(tok, data + 1, size - 1);
        verify(tok, size - 1);
        free(tok);
        return 0;
    }
    if (size > 8192)
        return 0;
    /* header.payload, signed here */
    static const char header[] = "eyJhbGciOiJIUzI1NiJ9"; /* {"alg":"HS256"} */
    size_t cap = sizeof header +
                 sodium_base64_encoded_len(size - 1, sodium_base64_VARIANT_URLSAFE_NO_PADDING) + 64;
    char *tok = malloc(cap);
    int n = snprintf(tok, cap, "%s.", header);
    sodium_bin2base64(tok + n, cap - (size_t)n, data + 1, size - 1,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    n += (int)strlen(tok + n);
    uint8_t mac[32];
    unsigned int mlen;
    HMAC(EVP_sha256(), key, sizeof key - 1, (const uint8_t *)tok, (size_t)n, mac, &mlen);
    tok[n++] = '.';
    sodium_bin2base64(tok + n, cap - (size_t)n, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    size_t len = strlen(tok);
    int rc = verify(tok, len);
    CHECK(rc != WSX_EAUTH);
    if (size - 1 == 0)
        CHECK(rc == WSX_EINVAL); /* an empty payload part */
    /* any change to the signature part is caught */
    size_t sig = (size_t)n, i = sig + (data[0] % (len - sig));
    tok[i] = tok[i] == 'A' ? 'B' : 'A';
    rc = verify(tok, len);
    CHECK(rc != 0);
    free(tok);
    return 0;
}
