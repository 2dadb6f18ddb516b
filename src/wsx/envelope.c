/* envelope.c - the WSX message envelope (WSX-PROTOCOL.md section 2). One checked
 * walk over the top-level object finds meta and data while the whole document is
 * validated; meta, small, is then walked again, without a second check, to pick
 * out the keys the server reads. Every failure is a sentence for the client
 * developer: where the JSON breaks, or which meta key is missing or mistyped. */
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

// clang-format off
#define KEY(k, s) [k] = {s, sizeof(s) - 1}
static const struct {
    const char *name;
    size_t len;
} keys[K_COUNT] = {
    KEY(K_ID, "id"),
    KEY(K_TIMESTAMP, "timestamp"),
    KEY(K_TOKEN, "token"),
    KEY(K_USERNAME, "username"),
    KEY(K_SECRET, "secret"),
    KEY(K_CLIENT_ID, "client_id"),
    KEY(K_ATTRS, "attrs"),
    KEY(K_IN_REPLY_TO, "in_reply_to"),
    KEY(K_CLIENT_NAME, "client_name"),
    KEY(K_ACTION, "action"),
};
#undef KEY
// clang-format on

/* Which known key the member name k (with quotes, maybe escaped) is, or -1. The
 * common case, a name without escapes, is matched on its length first. */
static int meta_key(wsx_slice_t k)
{
    char name[16];
    const char *p = (const char *)k.ptr + 1;
    size_t n = k.len - 2;

    for (int i = 0; i < K_COUNT; i++)
        if (n == keys[i].len && memcmp(p, keys[i].name, n) == 0)
            return i;
    /* Escaped, a known name is at most six bytes a character. */
    if (n > 6 * 11 || !memchr(p, '\\', n))
        return -1;
    int r = wsx_json_string_copy(k, name, sizeof name);
    for (int i = 0; r >= 0 && i < K_COUNT; i++)
        if ((size_t)r == keys[i].len && memcmp(name, keys[i].name, (size_t)r) == 0)
            return i;
    return -1;
}

static wsx_action_t parse_action(wsx_slice_t v)
{
    char name[24];
    int n;

    /* Missing (or null) is a client response; any other value, even one that is
     * not a string, invokes the channel's service. */
    if (v.len == 0)
        return WSX_ACTION_CLIENT_RESPONSE;
    if (v.ptr[0] == '"' && (n = wsx_json_string_copy(v, name, sizeof name)) > 0) {
        if (n == 14 && memcmp(name, "create-session", 14) == 0)
            return WSX_ACTION_CREATE_SESSION;
        if (n == 15 && memcmp(name, "client-response", 15) == 0)
            return WSX_ACTION_CLIENT_RESPONSE;
    }
    return WSX_ACTION_INVOKE;
}

/* Field by field rather than memset: the envelope is parsed for every message,
 * and a memset of this size costs more than the stores (rep stos). */
static inline void clear(wsx_envelope_t *env)
{
    const wsx_slice_t none = {0};
    env->action = WSX_ACTION_CLIENT_RESPONSE;
    env->id = env->timestamp = env->token = env->username = env->secret = none;
    env->client_id = env->client_name = env->attrs = env->in_reply_to = env->data = none;
    env->error[0] = '\0';
}

static inline int is_ws(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int wsx_envelope_parse(const uint8_t *buf, size_t len, wsx_envelope_t *env)
{
    wsx_slice_t meta = {0}, key, val, vals[K_COUNT];
    unsigned seen = 0; /* which vals[] are set */
    wsx_json_iter_t it;
    size_t i = 0, err_off;
    const char *why;
    int r;

    clear(env);
    while (i < len && is_ws(buf[i]))
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
        if (key.len == 6 && memcmp(key.ptr, "\"meta\"", 6) == 0) {
            meta = val;
        } else if (key.len == 6 && memcmp(key.ptr, "\"data\"", 6) == 0) {
            env->data = val;
        } else if (memchr(key.ptr, '\\', key.len)) {
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
        if (!is_ws(buf[i]))
            return fail_json(env, i, "unexpected character after the value");

    if (meta.len == 0)
        return fail(env, "meta is missing");
    if (meta.ptr[0] != '{')
        return fail(env, "meta must be an object");

    /* meta was checked with the rest: its members are read without a second check. */
    wsx_json_iter_init_valid(&it, meta);
    while (wsx_json_iter_next(&it, &key, &val, NULL, NULL) == 1) {
        int k = meta_key(key);
        if (k >= 0) {
            vals[k] = val;
            seen |= 1u << k;
        }
    }
    /* A null optional key is absent: Zato's own client sends "token": null on
     * create-session. */
    for (int k = 0; k < K_COUNT; k++)
        if ((seen >> k & 1) && vals[k].ptr[0] == 'n' && k != K_ID && k != K_TIMESTAMP)
            seen &= ~(1u << k);

    if ((seen >> K_ID & 1) && vals[K_ID].ptr[0] == '"')
        env->id = vals[K_ID];
    /* Required strings, then the optional ones, in the order of the enum. */
    for (int k = K_ID; k <= K_IN_REPLY_TO; k++) {
        if (!(seen >> k & 1)) {
            if (k == K_ID || k == K_TIMESTAMP)
                return fail(env, "meta.%s is missing", keys[k].name);
        } else if (vals[k].ptr[0] != '"') {
            return fail(env, "meta.%s must be a string", keys[k].name);
        }
    }
#define TAKE(k, field)                                                                             \
    if (seen >> (k)&1)                                                                             \
        env->field = vals[k];
    TAKE(K_TIMESTAMP, timestamp)
    TAKE(K_TOKEN, token)
    TAKE(K_USERNAME, username)
    TAKE(K_SECRET, secret)
    TAKE(K_CLIENT_ID, client_id)
    TAKE(K_ATTRS, attrs)
    TAKE(K_IN_REPLY_TO, in_reply_to)
    TAKE(K_CLIENT_NAME, client_name)
#undef TAKE
    env->action = parse_action((seen >> K_ACTION & 1) ? vals[K_ACTION] : (wsx_slice_t){0});
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
    wsx_json_iter_init_valid(&it, v);
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
