/* admin_auth.h - admin users: the first user on an empty ODB, and HTTP Basic
 * checks against Argon2id hashes (libsodium). A successful check is remembered
 * for a few minutes under a keyed hash of the header, so scripts that send
 * hundreds of requests do not pay Argon2id's cost (by design ~50 ms) each time;
 * the cache holds no password. Control thread only. */
#ifndef WSX_ADMIN_AUTH_H
#define WSX_ADMIN_AUTH_H

#include "common/slice.h"
#include "odb/odb.h"

/* Initialise libsodium. Returns 0 or WSX_EIO. */
int admin_auth_init(void);

/* On an ODB without admin users, create "admin" with the password from
 * WSX_ADMIN_PASSWORD, or a generated one written to DATA_DIR/admin-password
 * (mode 0600) and printed once on stdout. Returns 0 or a negative WSX_E*. */
int admin_auth_bootstrap(odb_t *db, const char *data_dir);

/* Check an Authorization header value ("Basic base64(user:pass)"). Returns 0 if
 * it names an admin user with that password, WSX_EAUTH otherwise. header may be
 * NULL (no header). */
int admin_auth_check(odb_t *db, const wsx_slice_t *header);

/* Check a username and password (Argon2id; an unknown user costs the same).
 * Returns 0 when they match an admin user, WSX_EAUTH otherwise. */
int admin_auth_verify(odb_t *db, const char *username, const char *password);

/* Store a new password for an existing admin user and forget every remembered
 * Basic check, so the old password stops working at once. Returns 0,
 * WSX_ENOTFOUND (no such user) or another negative WSX_E*. */
int admin_auth_set_password(odb_t *db, const char *username, const char *password);

/* Was this exact Authorization header verified in the last few minutes? A cheap
 * lookup (no Argon2id): a script that already proved its password is not held back
 * by the penalty an attacker earned for its address. */
int admin_auth_known(const wsx_slice_t *header);

/* Hash a password for storage (Argon2id). out must hold crypto_pwhash_STRBYTES. */
int admin_auth_hash(const char *password, char *out, size_t cap);

#endif
