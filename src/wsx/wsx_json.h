/* wsx_json.h - a strict RFC 8259 JSON scanner over (buf, len) for the hot path of
 * json channels: it checks a document and finds values in it without building a
 * tree and without allocating; every result points into the input. jansson stays
 * the choice wherever a tree is needed (the admin plane, services). */
#ifndef WSX_WSX_JSON_H
#define WSX_WSX_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "common/slice.h"

#define WSX_JSON_MAX_DEPTH 64 /* deeper nesting is refused (stack and CPU bound) */

typedef enum wsx_json_type {
    WSX_JSON_INVALID = 0,
    WSX_JSON_OBJECT,
    WSX_JSON_ARRAY,
    WSX_JSON_STRING,
    WSX_JSON_NUMBER,
    WSX_JSON_TRUE,
    WSX_JSON_FALSE,
    WSX_JSON_NULL,
} wsx_json_type_t;

/* Check that buf[0..len) is exactly one JSON value, optionally surrounded by
 * whitespace (strings valid UTF-8, no lone surrogates in \u escapes). Returns 0,
 * or WSX_EINVAL with *err_off set to the byte offset of the problem and *why to a
 * static phrase ("unexpected character", "unterminated string", "nesting too
 * deep", ...). err_off and why may be NULL. */
int wsx_json_validate(const uint8_t *buf, size_t len, size_t *err_off, const char **why);

/* The type of a value by its first byte (the slice must start at the value). */
wsx_json_type_t wsx_json_type(wsx_slice_t v);

/* In an object (a slice holding one valid JSON object, as found by the calls
 * here), find the member `key` (compared after unescaping the member name). On
 * success *val is the member's value, exactly its text (a string keeps its
 * quotes). The last member wins if a key repeats. Returns 0 or WSX_ENOTFOUND. */
int wsx_json_object_get(wsx_slice_t obj, const char *key, wsx_slice_t *val);

/* Unescape a JSON string value (with its quotes) into out, NUL-terminated.
 * Returns the length written (not counting the NUL), WSX_ETOOBIG if it does not
 * fit in cap-1 bytes, WSX_EINVAL if v is not a string or holds \u0000 (before the
 * point where it stopped fitting). After WSX_ETOOBIG with cap > 0, out holds the
 * longest prefix that fits, cut on a character boundary, NUL-terminated; after
 * WSX_EINVAL for a bad escape or \u0000, what came before it, NUL-terminated. */
int wsx_json_string_copy(wsx_slice_t v, char *out, size_t cap);

/* Compare a JSON string value (with its quotes) with a plain string, in time that
 * depends only on the lengths (for tokens). 1 if equal, 0 if not. */
int wsx_json_string_eq_ct(wsx_slice_t v, const char *s, size_t slen);

/* Write s (len bytes of valid UTF-8) as a JSON string with its quotes, escaping
 * what must be escaped. Returns the length written, or WSX_ETOOBIG if cap is too
 * small (out then holds nothing useful). Never writes more than cap bytes. */
int wsx_json_string_write(const char *s, size_t len, char *out, size_t cap);

/* A walk over the members of one object. A checking walk is for a parser that
 * wants the members of a top-level object and the whole document checked in the
 * same pass (the envelope); a walk over an object already known to be valid (a
 * value found by the calls here) skips the checks. Offsets are from the start of
 * buf; the state is plain data. */
typedef struct wsx_json_iter {
    const uint8_t *buf;
    size_t len;
    size_t pos; /* where the walk is; after a checking walk ends, just past the '}' */
    int started;
    int known_valid; /* set by wsx_json_iter_init_valid: no checks */
} wsx_json_iter_t;

/* Start a checking walk at buf[off], which must be the object's '{'. The object
 * counts as one level of WSX_JSON_MAX_DEPTH: a walk over a message's top-level
 * object refuses what wsx_json_validate refuses. */
void wsx_json_iter_init(wsx_json_iter_t *it, const uint8_t *buf, size_t len, size_t off);

/* Start a walk without checks over obj, a valid object (leading whitespace allowed).
 * On text that is not valid JSON the walk ends early or returns wrong slices, but
 * never reads outside obj. */
void wsx_json_iter_init_valid(wsx_json_iter_t *it, wsx_slice_t obj);

/* The next member: 1 with *key (the member name with its quotes) and *val (its
 * value, fully checked as by wsx_json_validate on a checking walk); 0 after the
 * closing '}'; or, on a checking walk, WSX_EINVAL with *err_off and *why as
 * wsx_json_validate sets them (either may be NULL). The slices point into buf. */
int wsx_json_iter_next(wsx_json_iter_t *it, wsx_slice_t *key, wsx_slice_t *val, size_t *err_off,
                       const char **why);

#endif
