/* cluster_sign.h - the signature of a server-to-server call. A calling server sends
 *   X-Wsx-Cluster: <server-name> <unix-time> <hex HMAC-SHA256(secret, M)>
 *   M = method "\n" path-with-query "\n" unix-time "\n" hex SHA-256(body)
 * and the called server accepts it within CLUSTER_SIGN_WINDOW seconds of its own
 * clock, comparing in constant time. Pure functions: the caller passes the time. */
#ifndef WSX_CLUSTER_SIGN_H
#define WSX_CLUSTER_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"

#define CLUSTER_SIGN_HEADER "X-Wsx-Cluster"
#define CLUSTER_SIGN_WINDOW 30 /* seconds either side of the receiver's clock */
#define CLUSTER_SIGN_NAME_MAX 127 /* bytes of the server name in the header */
/* name, a space, up to 20 digits and a sign, a space, 64 hex digits, NUL */
#define CLUSTER_SIGN_VALUE_MAX (CLUSTER_SIGN_NAME_MAX + 1 + 21 + 1 + 64 + 1)

/* The header value for a call: server is this server's name (printable, no control
 * characters, at most CLUSTER_SIGN_NAME_MAX bytes); target is the path with its
 * query exactly as it goes on the request line. Writes a NUL-terminated value into
 * out (cap >= CLUSTER_SIGN_VALUE_MAX) and returns 0, or WSX_EINVAL for a bad name
 * or too small a cap. Everything is borrowed for the call. */
int cluster_sign(const uint8_t *key, size_t keylen, const char *server, wsx_slice_t method,
                 wsx_slice_t target, int64_t unix_time, wsx_slice_t body, char *out, size_t cap);

/* Check the header value of a received call against its method, target (as on the
 * request line), body and the receiver's clock `now`. Returns 0 with the caller's
 * name in server (NUL-terminated, may be NULL), or WSX_EAUTH with why (may be NULL)
 * saying what was wrong: malformed, out of the time window, or a wrong signature
 * (a different secret, or a changed method, target, time or body). */
int cluster_verify(const uint8_t *key, size_t keylen, wsx_slice_t value, wsx_slice_t method,
                   wsx_slice_t target, wsx_slice_t body, int64_t now, char *server,
                   size_t server_cap, char *why, size_t why_cap);

#endif
