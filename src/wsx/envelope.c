/* envelope.c - the WSX message envelope (WSX-PROTOCOL.md section 2). One checked
 * walk over the top-level object finds meta and data while the whole document is
 * validated; meta, small, is then walked again to pick out the keys the server
 * reads. Every failure is a sentence for the client developer: where the JSON
 * breaks, or which meta key is missing or of the wrong type. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/err.h"
#include "wsx/envelope.h"
#include "wsx/wsx_json.h"

static int fail(wsx_envelope_t *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(wsx_envelope_t *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(env->error, sizeof env->error, fmt, ap);
    va_end(ap);
    return WSX_EINVAL;
}

static int fail_json(wsx_envelope_t *env, size_t off, const char *why)
{
    return fail(env, "invalid JSON at byte %zu: %s", off, why);
}

/* The meta keys the server reads, in the order their problems are reported. */
enum {
    K_ID,
    K_TIMESTAMP,
    K_TOKEN,
    K_USERNAME,
    K_SECRET,
    K_CLIENT_ID,
    K_ATTRS,
    K_IN_REPLY_TO,
    K_CLIENT_NAME,
    K_ACTION,
    K_COUNT
};

static const char *const key_names[K_COUNT] = {
    [K_ID] = "id",
    [K_TIMESTAMP] = "timestamp",
    [K_TOKEN] = "token",
    [K_USERNAME] = "username",
    [K_SECRET] = "secret",
    [K_CLIENT_ID] = "client_id",
    [K_ATTRS] = "attrs",
    [K_IN_REPLY_TO] = "in_reply_to",
    [K_CLIENT_NAME] = "client_name",
    [K_ACTION] = "action",
};

/* Which known key the member name k (with quotes, maybe escaped) is, or -1. The
 * longest known key is 11 bytes, so a name that does not fit 16 is none of them. */
static int meta_key(wsx_slice_t k)
{
    char name[16];
    int n = wsx_json_string_copy(k, name, sizeof name);
    if (n < 2)
        return -1;
    for (int i = 0; i < K_COUNT; i++)
        if (strcmp(name, key_names[i]) == 0)
            return i;
    return -1;
}

static wsx_action_t parse_action(wsx_slice_t v)
{
    char name[24];

    /* Missing (or null) is a client response; any other value, even one that is
     * not a string, invokes the channel's service. */
    if (v.len == 0 || wsx_json_type(v) == WSX_JSON_NULL)
        return WSX_ACTION_CLIENT_RESPONSE;
    if (wsx_json_type(v) == WSX_JSON_STRING && wsx_json_string_copy(v, name, sizeof name) > 0) {
        if (strcmp(name, "create-session") == 0)
            return WSX_ACTION_CREATE_SESSION;
        if (strcmp(name, "client-response") == 0)
            return WSX_ACTION_CLIENT_RESPONSE;
    }
    return WSX_ACTION_INVOKE;
}

int wsx_envelope_parse(const uint8_t *buf, size_t len, wsx_envelope_t *env)
{
    wsx_slice_t meta = {0}, key, val, vals[K_COUNT] = {{0}};
    wsx_json_iter_t it;
    size_t i = 0, err_off;
    const char *why;
    int r;

    memset(env, 0, sizeof *env);
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r'))
        i++;
    if (i == len)
        return fail(env, "the message is empty");
    if (buf[i] != '{') {
        if (wsx_json_validate(buf, len, &err_off, &why) != 0)
            return fail_json(env, err_off, why);
        return fail(env, "the message must be a JSON object");
    }

    /* The top level: every member is checked; the last meta and data win, as a
     * repeated key does everywhere in wsx_json. */
    wsx_json_iter_init(&it, buf, len, i);
    while ((r = wsx_json_iter_next(&it, &key, &val, &err_off, &why)) == 1) {
        if (key.len == 6 && memcmp(key.ptr, "\"meta\"", 6) == 0)
            meta = val;
        else if (key.len == 6 && memcmp(key.ptr, "\"data\"", 6) == 0)
            env->data = val;
        else if (memchr(key.ptr, '\\', key.len)) {
            char name[8];
            if (wsx_json_string_copy(key, name, sizeof name) == 4) {
                if (strcmp(name, "meta") == 0)
                    meta = val;
                else if (strcmp(name, "data") == 0)
                    env->data = val;
            }
        }
    }
    if (r < 0)
        return fail_json(env, err_off, why);
    for (i = it.pos; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r')
            return fail_json(env, i, "unexpected character after the value");

    if (meta.len == 0)
        return fail(env, "meta is missing");
    if (wsx_json_type(meta) != WSX_JSON_OBJECT)
        return fail(env, "meta must be an object");

    /* meta is already checked; this walk cannot fail but says so if it does. */
    wsx_json_iter_init(&it, meta.ptr, meta.len, 0);
    while ((r = wsx_json_iter_next(&it, &key, &val, &err_off, &why)) == 1) {
        int k = meta_key(key);
        if (k >= 0)
            vals[k] = val;
    }
    if (r < 0)
        return fail_json(env, (size_t)(meta.ptr - buf) + err_off, why);

    if (wsx_json_type(vals[K_ID]) == WSX_JSON_STRING)
        env->id = vals[K_ID];

    /* Required strings, then optional ones; null counts as absent for the optional
     * keys because Zato's own client sends "token": null on create-session. */
    for (int k = K_ID; k <= K_IN_REPLY_TO; k++) {
        wsx_json_type_t t = wsx_json_type(vals[k]);
        int required = k == K_ID || k == K_TIMESTAMP;
        if (vals[k].len == 0 && required)
            return fail(env, "meta.%s is missing", key_names[k]);
        if (t == WSX_JSON_NULL && !required) {
            vals[k].len = 0;
            continue;
        }
        if (vals[k].len != 0 && t != WSX_JSON_STRING)
            return fail(env, "meta.%s must be a string", key_names[k]);
    }
    env->timestamp = vals[K_TIMESTAMP];
    env->token = vals[K_TOKEN];
    env->username = vals[K_USERNAME];
    env->secret = vals[K_SECRET];
    env->client_id = vals[K_CLIENT_ID];
    env->attrs = vals[K_ATTRS];
    env->in_reply_to = vals[K_IN_REPLY_TO];
    if (wsx_json_type(vals[K_CLIENT_NAME]) != WSX_JSON_NULL)
        env->client_name = vals[K_CLIENT_NAME];
    env->action = parse_action(vals[K_ACTION]);
    return 0;
}

/* ---- client_name */

typedef struct out {
    char *buf;
    size_t cap; /* > 0 */
    size_t len; /* < cap: buf[len] is where the NUL goes */
    int full;   /* something did not fit: nothing more is added */
} out_t;

/* Append n bytes of UTF-8, cut on a character boundary when they do not fit. */
static void put_raw(out_t *o, const uint8_t *p, size_t n)
{
    size_t room = o->cap - 1 - o->len;
    if (o->full)
        return;
    if (n > room) {
        n = room;
        while (n > 0 && (p[n] & 0xC0) == 0x80)
            n--;
        o->full = 1;
    }
    memcpy(o->buf + o->len, p, n);
    o->len += n;
    o->buf[o->len] = '\0';
}

/* Append a JSON string unescaped. A C string cannot carry U+0000, so a \u0000
 * ends that string there (string_copy leaves what came before it in place). */
static void put_string(out_t *o, wsx_slice_t v)
{
    if (o->full)
        return;
    int n = wsx_json_string_copy(v, o->buf + o->len, o->cap - o->len);
    if (n >= 0) {
        o->len += (size_t)n;
        return;
    }
    o->len += strlen(o->buf + o->len);
    if (n == WSX_ETOOBIG)
        o->full = 1;
}

static void put_value(out_t *o, wsx_slice_t v)
{
    if (wsx_json_type(v) == WSX_JSON_STRING)
        put_string(o, v);
    else
        put_raw(o, v.ptr, v.len);
}

size_t wsx_client_name_flatten(wsx_slice_t v, char *out, size_t cap)
{
    out_t o = {out, cap, 0, 0};

    if (cap == 0)
        return 0;
    out[0] = '\0';
    if (v.len == 0)
        return 0;
    if (wsx_json_type(v) != WSX_JSON_OBJECT) {
        put_value(&o, v);
        return o.len;
    }
    wsx_json_iter_t it;
    wsx_slice_t key, val;
    int first = 1;
    wsx_json_iter_init(&it, v.ptr, v.len, 0);
    while (!o.full && wsx_json_iter_next(&it, &key, &val, NULL, NULL) == 1) {
        if (!first)
            put_raw(&o, (const uint8_t *)"; ", 2);
        first = 0;
        put_string(&o, key);
        put_raw(&o, (const uint8_t *)": ", 2);
        put_value(&o, val);
    }
    return o.len;
}

/* ---- attrs */

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Trim s[0..n) in place: returns its first non-space byte and writes a NUL after
 * its last one. */
static char *trim(char *s, size_t n)
{
    while (n > 0 && is_space(*s))
        s++, n--;
    while (n > 0 && is_space(s[n - 1]))
        n--;
    s[n] = '\0';
    return s;
}

size_t wsx_attrs_parse(char *s, wsx_attr_t *out, size_t max)
{
    size_t n = 0;

    while (*s && n < max) {
        size_t len = strcspn(s, ";\n");
        char *next = s[len] ? s + len + 1 : s + len;
        char *eq = memchr(s, '=', len);
        const char *key, *value = "";
        if (eq) {
            key = trim(s, (size_t)(eq - s));
            value = trim(eq + 1, len - (size_t)(eq - s) - 1);
        } else {
            key = trim(s, len);
        }
        /* Empty pairs, and pairs with an empty key, carry nothing to look up. */
        if (*key)
            out[n++] = (wsx_attr_t){key, value};
        s = next;
    }
    return n;
}
