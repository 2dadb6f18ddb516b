/* security.c - security definitions at rest and at login: the server key that
 * seals JWT secrets (DATA/secret.key), sealing and opening, Argon2id hashes of
 * passwords and keys, a worker's credential built from a stored definition, and
 * the login check. Every comparison of something secret is constant-time. The
 * JWT itself is verified in security_jwt.c. */
#include "security/security.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "security/security_internal.h"

#define KEY_BYTES crypto_aead_xchacha20poly1305_ietf_KEYBYTES
#define NONCE_BYTES crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define TAG_BYTES crypto_aead_xchacha20poly1305_ietf_ABYTES

/* A sealed value starts with its format's version, so that a later format (or
 * key rotation) can tell old values apart. */
#define SEAL_PREFIX "v1:"
/* Additional data bound into every seal: a sealed JWT secret opens only as one. */
#define SEAL_AD "wsx security_definition.secret_sealed v1"

static uint8_t g_key[KEY_BYTES];
static int g_key_loaded;

const char *security_type_name(security_type_t t)
{
    switch (t) {
    case SECURITY_BASIC_AUTH:
        return "basic_auth";
    case SECURITY_JWT:
        return "jwt";
    case SECURITY_APIKEY:
        return "apikey";
    case SECURITY_NONE:
        break;
    }
    return NULL;
}

security_type_t security_type_parse(const char *s)
{
    if (!s)
        return SECURITY_NONE;
    if (strcmp(s, "basic_auth") == 0)
        return SECURITY_BASIC_AUTH;
    if (strcmp(s, "jwt") == 0)
        return SECURITY_JWT;
    if (strcmp(s, "apikey") == 0)
        return SECURITY_APIKEY;
    return SECURITY_NONE;
}

/* ---- the sealing key ---------------------------------------------------------------- */

int security_key_derive(const uint8_t *cluster_secret, size_t len)
{
    if (sodium_init() < 0 || len < 16)
        return WSX_EINVAL;
    static const char label[] = "wsx: the key that seals JWT secrets, v1";
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, KEY_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)label, sizeof label);
    crypto_generichash_update(&st, cluster_secret, len);
    crypto_generichash_final(&st, g_key, KEY_BYTES);
    sodium_memzero(&st, sizeof st);
    g_key_loaded = 1;
    return 0;
}

/* ---- sealing ------------------------------------------------------------------------- */

int security_secret_seal(const uint8_t *secret, size_t len, char *out, size_t cap)
{
    if (!g_key_loaded || len > SECURITY_SECRET_MAX)
        return WSX_EINVAL;
    uint8_t box[NONCE_BYTES + SECURITY_SECRET_MAX + TAG_BYTES];
    size_t box_len = NONCE_BYTES + len + TAG_BYTES;
    size_t prefix = sizeof SEAL_PREFIX - 1;
    if (cap < prefix + sodium_base64_encoded_len(box_len, sodium_base64_VARIANT_ORIGINAL))
        return WSX_EINVAL;
    /* A random 192-bit nonce: XChaCha20 makes random nonces safe to use. */
    randombytes_buf(box, NONCE_BYTES);
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(box + NONCE_BYTES, &clen, secret, len,
                                               (const uint8_t *)SEAL_AD, sizeof SEAL_AD - 1, NULL,
                                               box, g_key);
    memcpy(out, SEAL_PREFIX, prefix);
    sodium_bin2base64(out + prefix, cap - prefix, box, NONCE_BYTES + (size_t)clen,
                      sodium_base64_VARIANT_ORIGINAL);
    return 0;
}

int security_secret_open(const char *sealed, uint8_t *out, size_t cap, size_t *len)
{
    *len = 0;
    size_t prefix = sizeof SEAL_PREFIX - 1;
    if (!g_key_loaded || !sealed || strncmp(sealed, SEAL_PREFIX, prefix) != 0)
        return WSX_EINVAL;
    uint8_t box[NONCE_BYTES + SECURITY_SECRET_MAX + TAG_BYTES];
    size_t box_len = 0;
    const char *b64 = sealed + prefix;
    if (sodium_base642bin(box, sizeof box, b64, strlen(b64), NULL, &box_len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        box_len < NONCE_BYTES + TAG_BYTES)
        return WSX_EINVAL;
    size_t plain = box_len - NONCE_BYTES - TAG_BYTES;
    if (plain > cap)
        return WSX_EINVAL;
    unsigned long long mlen = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(out, &mlen, NULL, box + NONCE_BYTES,
                                                   box_len - NONCE_BYTES, (const uint8_t *)SEAL_AD,
                                                   sizeof SEAL_AD - 1, box, g_key) != 0)
        return WSX_EINVAL;
    *len = (size_t)mlen;
    return 0;
}

/* ---- hashes, credentials, the check --------------------------------------------------- */

int security_hash(const uint8_t *secret, size_t len, char *out, size_t cap)
{
    if (cap < crypto_pwhash_STRBYTES || len > SECURITY_SECRET_MAX)
        return WSX_EINVAL;
    if (crypto_pwhash_str(out, (const char *)secret, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return WSX_ENOMEM;
    return 0;
}

int security_cred_from_def(const security_def_t *def, security_cred_t *out)
{
    memset(out, 0, sizeof *out);
    out->type = def->type;
    out->def_id = def->id;
    snprintf(out->username, sizeof out->username, "%s", def->username);
    switch (def->type) {
    case SECURITY_BASIC_AUTH:
    case SECURITY_APIKEY:
        if (!def->hash[0])
            return WSX_EINVAL;
        snprintf(out->hash, sizeof out->hash, "%s", def->hash);
        return 0;
    case SECURITY_JWT: {
        int rc =
            security_secret_open(def->sealed, out->secret, sizeof out->secret, &out->secret_len);
        if (rc)
            sodium_memzero(out, sizeof *out);
        return rc;
    }
    case SECURITY_NONE:
        return 0;
    }
    return WSX_EINVAL;
}

/* Constant-time equality of a slice and a stored string of at most
 * SECURITY_USERNAME_MAX bytes: both are copied into zero-padded buffers of one
 * size, so the time depends on neither content nor where they first differ. */
static int name_eq(wsx_slice_t a, const char *b)
{
    uint8_t x[SECURITY_USERNAME_MAX + 1] = {0}, y[SECURITY_USERNAME_MAX + 1] = {0};
    size_t blen = strnlen(b, SECURITY_USERNAME_MAX);
    int fits = a.len <= SECURITY_USERNAME_MAX;
    if (fits && a.len)
        memcpy(x, a.ptr, a.len);
    memcpy(y, b, blen);
    int same = sodium_memcmp(x, y, sizeof x) == 0;
    return same & fits & (a.len == blen);
}

/* Argon2id verification; crypto_pwhash_str_verify compares in constant time. */
static int hash_ok(const char *hash, wsx_slice_t secret)
{
    if (secret.len > SECURITY_SECRET_MAX)
        return 0;
    /* a NUL-terminated copy of the hash: the stored one fits by construction */
    char h[SECURITY_HASH_MAX];
    snprintf(h, sizeof h, "%s", hash);
    return crypto_pwhash_str_verify(h, secret.len ? (const char *)secret.ptr : "", secret.len) == 0;
}

static int jwt_ok(const security_cred_t *cred, wsx_slice_t token, time_t now)
{
    jwt_claims_t c;
    if (security_jwt_claims(token, cred->secret, cred->secret_len, &c) != 0)
        return 0;
    /* exp is required: a token without one would be valid forever. */
    int ok = c.exp > 0 && c.exp > (int64_t)now && c.nbf <= (int64_t)now;
    if (ok && cred->username[0])
        ok = (c.sub_state == JWT_NAME_SET &&
              name_eq(wsx_slice(c.sub, strlen(c.sub)), cred->username)) |
             (c.username_state == JWT_NAME_SET &&
              name_eq(wsx_slice(c.username, strlen(c.username)), cred->username));
    sodium_memzero(&c, sizeof c);
    return ok;
}

int security_check(const security_cred_t *cred, wsx_slice_t username, wsx_slice_t secret,
                   time_t now)
{
    int ok = 0;
    switch (cred->type) {
    case SECURITY_NONE:
        return 0;
    case SECURITY_BASIC_AUTH: {
        /* Both checks always run: a wrong username costs what a wrong password
         * does, so timing does not tell which one was wrong. */
        int user_ok = name_eq(username, cred->username);
        int pass_ok = hash_ok(cred->hash, secret);
        ok = user_ok & pass_ok;
        break;
    }
    case SECURITY_APIKEY:
        ok = hash_ok(cred->hash, secret);
        break;
    case SECURITY_JWT:
        ok = jwt_ok(cred, secret, now);
        break;
    }
    return ok ? 0 : WSX_EAUTH;
}
