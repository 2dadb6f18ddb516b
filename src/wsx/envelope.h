/* envelope.h - the message envelope of the WSX session protocol
 * (WSX-PROTOCOL.md section 2): {"meta": {...}, "data": ANY}. A pure parser over
 * (buf, len): it validates the JSON, finds the meta keys the server reads and the
 * data, and says precisely what is wrong with a bad message. No allocation; every
 * slice points into the input. Also the two small codecs of meta values:
 * client_name flattening and attrs parsing. */
#ifndef WSX_ENVELOPE_H
#define WSX_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"
#include "wsx/service.h"

typedef enum wsx_action {
    WSX_ACTION_CLIENT_RESPONSE = 0, /* meta.action missing or "client-response" */
    WSX_ACTION_CREATE_SESSION,      /* "create-session" */
    WSX_ACTION_INVOKE,              /* anything else (conventionally "invoke-service") */
} wsx_action_t;

/* Meta values are the raw JSON text of each value (a string keeps its quotes, so
 * it can be echoed into a reply as it is); len 0 when the key is absent. Decode
 * strings with wsx_json_string_copy. */
typedef struct wsx_envelope {
    wsx_action_t action;
    wsx_slice_t id;          /* a JSON string (checked) */
    wsx_slice_t timestamp;   /* a JSON string (checked) */
    wsx_slice_t token;       /* a JSON string when present (checked) */
    wsx_slice_t username;    /* a JSON string when present (checked) */
    wsx_slice_t secret;      /* a JSON string when present (checked) */
    wsx_slice_t client_id;   /* a JSON string when present (checked) */
    wsx_slice_t client_name; /* any JSON value (a string, or an object to flatten) */
    wsx_slice_t attrs;       /* a JSON string when present (checked) */
    wsx_slice_t in_reply_to; /* a JSON string when present (checked) */
    wsx_slice_t data;        /* the data value's text; len 0 when absent (means {}) */
    char error[160];         /* on failure: what is wrong, for the client */
} wsx_envelope_t;

/* Parse one message. Returns 0, or WSX_EINVAL with env->error saying what is wrong
 * in a sentence a client developer can act on ("invalid JSON at byte 17:
 * unexpected character", "the message must be a JSON object", "meta is missing",
 * "meta must be an object", "meta.id is missing", "meta.id must be a string",
 * "meta.timestamp is missing", ...). Even on failure env->id is set when meta.id
 * could be read as a string, so the error reply can carry in_reply_to.
 * Keys other than the ones above are ignored. A null optional key (token,
 * username, secret, client_id, client_name, attrs, in_reply_to, action) counts as
 * absent: Zato's client sends "token": null on create-session. Borrowed: buf
 * must outlive every slice in env. */
int wsx_envelope_parse(const uint8_t *buf, size_t len, wsx_envelope_t *env);

/* Flatten a client_name value into out (NUL-terminated, cut at cap-1 bytes on a
 * character boundary): a string is unescaped (a \u0000 in it ends it there); an
 * object becomes "k: v; k2: v2" (string values unescaped, other values as their
 * JSON text, in document order); any other value is its JSON text. v len 0 gives
 * "". Returns the length. */
size_t wsx_client_name_flatten(wsx_slice_t v, char *out, size_t cap);

/* Parse attrs "k=v; k2=v2" (pairs separated by ';' or newlines, whitespace around
 * keys and values trimmed, empty pairs and pairs with an empty key skipped, a
 * pair without '=' a key with value "", a value may hold '=') in place: s is
 * modified (NULs written into it) and out[i] point into it. At most max pairs;
 * returns how many. */
size_t wsx_attrs_parse(char *s, wsx_attr_t *out, size_t max);

#endif
