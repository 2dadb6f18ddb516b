/* admin_json.c - helpers of the admin API's object converters (see admin_json.h).
 * A value quoted back is cut in characters, not bytes, so that a message never ends
 * inside a UTF-8 sequence (JSON could not carry it). */
#include "admin/admin_json.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

int admin_json_set_str(json_t *o, const char *key, const char *s)
{
    json_t *v = json_string(s); /* NULL if s is not valid UTF-8 */
    return v ? json_object_set_new(o, key, v) : -1;
}

const char *admin_json_got(const json_t *v, size_t max_chars, char *buf, size_t cap)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!s) {
        snprintf(buf, cap, "a value that cannot be shown");
        return buf;
    }
    size_t n = strlen(s), chars = 0, i = 0;
    while (i < n && chars < max_chars && i + 8 < cap) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        chars++;
    }
    memcpy(buf, s, i);
    strcpy(buf + i, i < n ? "..." : "");
    free(s);
    return buf;
}

int admin_json_unknown_field(const char *key, size_t max_chars, channel_err_t *err)
{
    char g[ADMIN_JSON_GOT_MAX * 4 + 8];
    assert(max_chars <= ADMIN_JSON_GOT_MAX);
    json_t *k = json_string(key);
    channel_err_set(err, key, "unknown_field", "unknown field %s",
                    k ? admin_json_got(k, max_chars, g, sizeof g) : "");
    json_decref(k);
    return WSX_EINVAL;
}
