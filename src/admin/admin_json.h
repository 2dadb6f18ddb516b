/* admin_json.h - what the converters between the ODB's structs and the admin API's
 * JSON objects (admin_channel_json.c, admin_security_json.c) share: a string member
 * that must be UTF-8, a bad value quoted back in a message, and the refusal of a
 * field the object does not have. Pure; any thread. */
#ifndef WSX_ADMIN_JSON_H
#define WSX_ADMIN_JSON_H

#include <jansson.h>
#include <stddef.h>

#include "channel/channel.h"

/* Set o[key] to the string s. Returns 0, or -1 if s is not valid UTF-8 or out of
 * memory. s is copied. */
int admin_json_set_str(json_t *o, const char *key, const char *s);

/* v as compact JSON for "got ..." in a message: at most max_chars code points,
 * cut on a UTF-8 boundary and followed by "..." when longer. Writes into buf (cap
 * bytes; at least max_chars * 4 + 8 holds any value) and returns buf. v is
 * borrowed. */
const char *admin_json_got(const json_t *v, size_t max_chars, char *buf, size_t cap);

/* The most code points admin_json_unknown_field quotes. */
#define ADMIN_JSON_GOT_MAX 120

/* Fill *err for a key that is not a field of the object: code "unknown_field",
 * the key as the field, and the key quoted (up to max_chars code points, at most
 * ADMIN_JSON_GOT_MAX) in the message. Returns WSX_EINVAL. */
int admin_json_unknown_field(const char *key, size_t max_chars, channel_err_t *err);

#endif
