/* security_internal.h - what security.c and security_jwt.c share and nobody else
 * needs: the JWT verification that reports both name claims and `nbf`. */
#ifndef WSX_SECURITY_INTERNAL_H
#define WSX_SECURITY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"
#include "security/security.h"

/* A claim naming the user: absent, present (copied), or present but not
 * comparable with a username (longer than SECURITY_USERNAME_MAX bytes, or holding
 * U+0000) - such a claim is never cut, so a cut one can never match. */
typedef enum jwt_name_state {
    JWT_NAME_ABSENT = 0,
    JWT_NAME_SET = 1,
    JWT_NAME_UNUSABLE = -1
} jwt_name_state_t;

typedef struct jwt_claims {
    int64_t exp; /* 0 when absent */
    int64_t nbf; /* 0 when absent */
    jwt_name_state_t sub_state, username_state;
    char sub[SECURITY_USERNAME_MAX + 1];
    char username[SECURITY_USERNAME_MAX + 1];
} jwt_claims_t;

/* security_jwt_verify, reporting both name claims and nbf. Same returns. */
int security_jwt_claims(wsx_slice_t token, const uint8_t *key, size_t key_len, jwt_claims_t *out);

#endif
