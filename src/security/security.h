/* security.h - security definitions: what a client must present to log in on a
 * channel (WSX-PROTOCOL.md section 5). Three kinds: basic_auth (username and
 * password), jwt (an HS256 token signed with the definition's secret, checked for
 * `exp`, and for its `sub`/`username` claim when the definition names a user) and
 * apikey (a key). At rest a password or key is an Argon2id hash and a JWT secret
 * is encrypted (security_secret_seal) with the server's key; a definition never
 * leaves the admin plane with a secret in it. */
#ifndef WSX_SECURITY_H
#define WSX_SECURITY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/slice.h"

#define SECURITY_NAME_MAX 200          /* characters */
#define SECURITY_USERNAME_MAX 256      /* bytes */
#define SECURITY_SECRET_MAX 1024       /* bytes of a password, key or JWT secret */
#define SECURITY_HASH_MAX 128          /* an Argon2id string (crypto_pwhash_STRBYTES) */

typedef enum security_type {
    SECURITY_NONE = 0,
    SECURITY_BASIC_AUTH = 1,
    SECURITY_JWT = 2,
    SECURITY_APIKEY = 3,
} security_type_t;

/* A definition as stored in the ODB (and as the admin plane sees it). */
typedef struct security_def {
    int64_t id;
    int64_t cluster_id;
    char name[SECURITY_NAME_MAX * 4 + 1];
    security_type_t type;
    char username[SECURITY_USERNAME_MAX + 1]; /* basic_auth: required; jwt: optional */
    char hash[SECURITY_HASH_MAX];             /* basic_auth, apikey: Argon2id string */
    char sealed[2 * SECURITY_SECRET_MAX + 256]; /* jwt: the encrypted secret, base64 */
    char created_at[40];
    char updated_at[40];
} security_def_t;

/* What a worker needs to check a login: the hash, or the JWT secret in clear
 * (kept in memory only). Plain data, copied with the channel's settings. */
typedef struct security_cred {
    security_type_t type;                     /* SECURITY_NONE: no login check */
    int64_t def_id;
    char username[SECURITY_USERNAME_MAX + 1];
    char hash[SECURITY_HASH_MAX];
    uint8_t secret[SECURITY_SECRET_MAX];      /* jwt only */
    size_t secret_len;
} security_cred_t;

/* "basic_auth", "jwt", "apikey"; NULL for an unknown value. And back (0 if
 * unknown). */
const char *security_type_name(security_type_t t);
security_type_t security_type_parse(const char *s);

/* Set the key that seals JWT secrets: derived (keyed BLAKE2b) from the cluster
 * secret, which every server of a cluster shares already, so a definition sealed by
 * one server opens on all of them. Process-wide; call once at start. Returns 0 or
 * WSX_EINVAL (a secret of fewer than 16 bytes). */
int security_key_derive(const uint8_t *cluster_secret, size_t len);

/* Encrypt a secret for storage (XChaCha20-Poly1305 with the server key, base64
 * text) and back. Return 0, WSX_EINVAL (does not fit / does not decrypt). */
int security_secret_seal(const uint8_t *secret, size_t len, char *out, size_t cap);
int security_secret_open(const char *sealed, uint8_t *out, size_t cap, size_t *len);

/* Hash a password or key for storage (Argon2id). out: SECURITY_HASH_MAX bytes. */
int security_hash(const uint8_t *secret, size_t len, char *out, size_t cap);

/* Build a worker's credential from a stored definition (opens a JWT secret). */
int security_cred_from_def(const security_def_t *def, security_cred_t *out);

/* Check a login's username and secret against a credential, at time `now`.
 * basic_auth: username equal and password matching the hash; jwt: secret is an
 * HS256 JWT with a good signature, `exp` in the future (required), and, when the
 * credential has a username, a `sub` or `username` claim equal to it; apikey: the
 * secret matches the hash (username ignored). Comparisons are constant-time.
 * Slow (Argon2id, ~50-100 ms) for basic_auth and apikey: never on a worker's loop.
 * Thread-safe. Returns 0 or WSX_EAUTH. */
int security_check(const security_cred_t *cred, wsx_slice_t username, wsx_slice_t secret,
                   time_t now);

/* Verify an HS256 JWT (compact form) with `key`; on success fill *exp (0 if no
 * exp claim) and copy the `sub` claim, or else `username`, into subject ("" if
 * neither). Pure apart from HMAC; thread-safe. Returns 0, WSX_EINVAL (malformed,
 * not HS256) or WSX_EAUTH (bad signature). */
int security_jwt_verify(wsx_slice_t token, const uint8_t *key, size_t key_len, int64_t *exp,
                        char *subject, size_t subject_cap);

#endif
