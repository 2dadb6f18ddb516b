/* admin_security_json.h - a security definition as the JSON API shows it and
 * reads it. The shown object never holds a password, key, secret, hash or sealed
 * text; a request's secret is handed back borrowed, for the caller to hash or seal.
 * Errors name the field and never quote a secret. */
#ifndef WSX_ADMIN_SECURITY_JSON_H
#define WSX_ADMIN_SECURITY_JSON_H

#include <jansson.h>

#include "channel/channel.h"
#include "security/security.h"

/* Shortest JWT secret: RFC 7518 section 3.2 requires an HS256 key of at least
 * the hash's size, 256 bits. */
#define ADMIN_JWT_SECRET_MIN 32

/* {"id", "cluster_id", "name", "type", "username" (null when none), "created_at",
 * "updated_at"}. A new reference, or NULL if out of memory (or not UTF-8). */
json_t *admin_security_to_json(const security_def_t *def);

/* How a body applies to a definition. */
typedef enum admin_security_mode {
    ADMIN_SECURITY_CREATE,  /* POST: name, type and the type's fields required */
    ADMIN_SECURITY_REPLACE, /* PUT: name required, username reset when absent */
    ADMIN_SECURITY_PATCH,   /* PATCH: only the fields given */
} admin_security_mode_t;

/* Apply the request body onto *def (the current definition for PUT/PATCH; zeroed
 * with cluster_id 1 for POST). Fields: name, type (fixed after creation),
 * username (basic_auth: required; jwt: optional, null or "" for none; apikey:
 * none), and the secret of the type: "password" (basic_auth), "secret" (jwt, at
 * least ADMIN_JWT_SECRET_MIN bytes), "key" (apikey), each 1..SECURITY_SECRET_MAX
 * bytes; id, created_at and updated_at are read-only and ignored, cluster_id must
 * be 1. On success *secret points into obj (borrowed: valid while obj lives;
 * ptr NULL when the body gave no new secret) and *def holds the new name, type
 * and username (its hash and sealed text are not touched). Returns 0, or
 * WSX_EINVAL with *err filled and *def unchanged. */
int admin_security_from_json(const json_t *obj, security_def_t *def, admin_security_mode_t mode,
                             wsx_slice_t *secret, channel_err_t *err);

#endif
