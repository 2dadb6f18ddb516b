/* admin_channel_json.c - conversions between channel_t and the JSON API's channel
 * object. Reading is strict: unknown fields, wrong types and non-integral numbers
 * are refused with an error naming the field, because a silently ignored typo
 * ("token_tll") would leave a channel configured differently than its owner thinks. */
#include "admin/admin_channel_json.h"

#include <string.h>

#include "admin/admin_json.h"
#include "common/err.h"

/* Characters of a bad value quoted back in a message; the rest becomes "...". */
#define GOT_MAX 80

/* "a b c" as ["a", "b", "c"]; NULL if out of memory or not UTF-8. */
static json_t *service_list(const char *s)
{
    json_t *a = json_array();
    while (a && *s) {
        size_t n = strcspn(s, " ");
        if (n && json_array_append_new(a, json_stringn(s, n)) < 0) {
            json_decref(a);
            return NULL;
        }
        s += n;
        s += *s == ' ';
    }
    return a;
}

json_t *admin_channel_to_json(const channel_t *ch)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "id", json_integer(ch->id));
    bad |= json_object_set_new(o, "cluster_id", json_integer(ch->cluster_id));
    bad |= admin_json_set_str(o, "name", ch->name);
    bad |= json_object_set_new(o, "is_active", json_boolean(ch->is_active));
    bad |= admin_json_set_str(o, "address", ch->address);
    bad |= admin_json_set_str(o, "service", ch->service);
    if (ch->hook_service[0])
        bad |= admin_json_set_str(o, "hook_service", ch->hook_service);
    else
        bad |= json_object_set_new(o, "hook_service", json_null());
    bad |= json_object_set_new(o, "gateway_services", service_list(ch->gateway_services));
    if (ch->security[0])
        bad |= admin_json_set_str(o, "security", ch->security);
    else
        bad |= json_object_set_new(o, "security", json_null());
    bad |= admin_json_set_str(o, "data_format", ch->data_format);
    bad |= json_object_set_new(o, "new_token_wait_time", json_integer(ch->new_token_wait_time));
    bad |= json_object_set_new(o, "token_ttl", json_integer(ch->token_ttl));
    bad |= json_object_set_new(o, "ping_interval", json_integer(ch->ping_interval));
    bad |=
        json_object_set_new(o, "pings_missed_threshold", json_integer(ch->pings_missed_threshold));
    bad |= json_object_set_new(o, "max_message_size", json_integer(ch->max_message_size));
    bad |= json_object_set_new(o, "log_messages", json_integer(ch->log_messages));
    /* paths only: the key itself is read by the server and never leaves it */
    bad |= json_object_set_new(o, "tls_cert",
                               ch->tls_cert[0] ? json_string(ch->tls_cert) : json_null());
    bad |=
        json_object_set_new(o, "tls_key", ch->tls_key[0] ? json_string(ch->tls_key) : json_null());
    bad |= json_object_set_new(o, "permessage_deflate", json_boolean(ch->permessage_deflate));
    bad |= json_object_set_new(o, "deflate_max_window_bits",
                               json_integer(ch->deflate_max_window_bits));
    bad |= json_object_set_new(o, "max_connections", json_integer(ch->max_connections));
    bad |= admin_json_set_str(o, "slow_consumer_policy", ch->slow_consumer_policy);
    bad |= json_object_set_new(o, "slow_consumer_seconds", json_integer(ch->slow_consumer_seconds));
    bad |=
        json_object_set_new(o, "write_queue_high_water", json_integer(ch->write_queue_high_water));
    bad |= admin_json_set_str(o, "created_at", ch->created_at);
    bad |= admin_json_set_str(o, "updated_at", ch->updated_at);
    bad |= admin_json_set_str(o, "state", ch->state);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *got(const json_t *v, char *buf, size_t cap)
{
    return admin_json_got(v, GOT_MAX, buf, cap);
}

#define GOT_BUF (GOT_MAX * 4 + 8)

static size_t code_points(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

enum kind { K_TEXT, K_BOOL, K_INT, K_CLUSTER, K_READONLY, K_LIST };

#define CAP(member) sizeof(((channel_t *)0)->member)

/* Every field the API knows, in the order they are checked (and shown). */
static const struct field {
    const char *key;
    enum kind kind;
    size_t off, cap; /* where in channel_t; cap for text */
    int required;    /* when not partial */
} fields[] = {
    {"id", K_READONLY, 0, 0, 0},
    {"cluster_id", K_CLUSTER, 0, 0, 0},
    {"name", K_TEXT, offsetof(channel_t, name), CAP(name), 1},
    {"is_active", K_BOOL, offsetof(channel_t, is_active), 0, 0},
    {"address", K_TEXT, offsetof(channel_t, address), CAP(address), 1},
    {"service", K_TEXT, offsetof(channel_t, service), CAP(service), 1},
    {"hook_service", K_TEXT, offsetof(channel_t, hook_service), CAP(hook_service), 0},
    {"gateway_services", K_LIST, offsetof(channel_t, gateway_services), CAP(gateway_services), 0},
    {"security", K_TEXT, offsetof(channel_t, security), CAP(security), 0},
    {"data_format", K_TEXT, offsetof(channel_t, data_format), CAP(data_format), 0},
    {"new_token_wait_time", K_INT, offsetof(channel_t, new_token_wait_time), 0, 0},
    {"token_ttl", K_INT, offsetof(channel_t, token_ttl), 0, 0},
    {"ping_interval", K_INT, offsetof(channel_t, ping_interval), 0, 0},
    {"pings_missed_threshold", K_INT, offsetof(channel_t, pings_missed_threshold), 0, 0},
    {"max_message_size", K_INT, offsetof(channel_t, max_message_size), 0, 0},
    {"log_messages", K_INT, offsetof(channel_t, log_messages), 0, 0},
    {"tls_cert", K_TEXT, offsetof(channel_t, tls_cert), CAP(tls_cert), 0},
    {"tls_key", K_TEXT, offsetof(channel_t, tls_key), CAP(tls_key), 0},
    {"permessage_deflate", K_BOOL, offsetof(channel_t, permessage_deflate), 0, 0},
    {"deflate_max_window_bits", K_INT, offsetof(channel_t, deflate_max_window_bits), 0, 0},
    {"max_connections", K_INT, offsetof(channel_t, max_connections), 0, 0},
    {"slow_consumer_policy", K_TEXT, offsetof(channel_t, slow_consumer_policy),
     CAP(slow_consumer_policy), 0},
    {"slow_consumer_seconds", K_INT, offsetof(channel_t, slow_consumer_seconds), 0, 0},
    {"write_queue_high_water", K_INT, offsetof(channel_t, write_queue_high_water), 0, 0},
    {"created_at", K_READONLY, 0, 0, 0},
    {"updated_at", K_READONLY, 0, 0, 0},
    {"state", K_READONLY, 0, 0, 0},
    {"states", K_READONLY, 0, 0, 0}, /* every server's: admin_api.c adds it */
};

#define NFIELDS (sizeof fields / sizeof fields[0])

static const struct field *find_field(const char *key)
{
    for (size_t i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

/* The fields where null means "none". */
static int nullable(const struct field *f)
{
    return strcmp(f->key, "security") == 0 || strcmp(f->key, "hook_service") == 0 ||
           strncmp(f->key, "tls_", 4) == 0;
}

static int take_text(const struct field *f, const json_t *v, channel_t *ch, channel_err_t *err)
{
    char g[GOT_BUF];
    char *dst = (char *)ch + f->off;
    /* the fields that take one of a few words: their one message for any bad value */
    const char *words = strcmp(f->key, "data_format") == 0            ? "\"json\" or \"raw\""
                        : strcmp(f->key, "slow_consumer_policy") == 0 ? "\"close\" or \"drop\""
                                                                      : NULL;

    if (json_is_null(v)) {
        if (nullable(f)) {
            dst[0] = '\0'; /* null: no security definition, no hook, no TLS file */
            return 0;
        }
        if (f->required) /* what a form sends for an empty box */
            return channel_err_set(err, f->key, "required", "%s is required", f->key);
    }
    if (!json_is_string(v)) {
        if (words)
            return channel_err_set(err, f->key, "invalid", "%s must be %s, got %s", f->key, words,
                                   got(v, g, sizeof g));
        return channel_err_set(err, f->key, "invalid", "%s must be a string%s, got %s", f->key,
                               nullable(f) ? " or null" : "", got(v, g, sizeof g));
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return channel_err_set(err, f->key, "invalid",
                               "%s must not contain control characters (U+0000)", f->key);
    if (n >= f->cap) {
        if (words)
            return channel_err_set(err, f->key, "invalid", "%s must be %s, got %s", f->key, words,
                                   got(v, g, sizeof g));
        /* The name's limit is in characters and always fits its buffer. */
        if (strcmp(f->key, "name") == 0)
            return channel_err_set(err, f->key, "too_long",
                                   "name must be at most %d characters, got %zu", CHANNEL_NAME_MAX,
                                   code_points(s, n));
        return channel_err_set(err, f->key, "too_long", "%s must be at most %zu bytes, got %zu",
                               f->key, f->cap - 1, n);
    }
    memcpy(dst, s, n + 1);
    return 0;
}

/* An array of service names (null: none), stored joined by single spaces. Each
 * name is checked here for what would break the joining (empty, whitespace);
 * channel_validate checks the rest. */
static int take_list(const struct field *f, const json_t *v, channel_t *ch, channel_err_t *err)
{
    char g[GOT_BUF];
    char *dst = (char *)ch + f->off;
    if (json_is_null(v)) {
        dst[0] = '\0';
        return 0;
    }
    if (!json_is_array(v))
        return channel_err_set(err, f->key, "invalid",
                               "%s must be an array of service names, got %s", f->key,
                               got(v, g, sizeof g));
    size_t i, used = 0;
    const json_t *item;
    json_array_foreach(v, i, item)
    {
        if (!json_is_string(item))
            return channel_err_set(err, f->key, "invalid",
                                   "%s must hold service names (strings), got %s at index %zu",
                                   f->key, got(item, g, sizeof g), i);
        const char *s = json_string_value(item);
        size_t n = json_string_length(item);
        if (n == 0)
            return channel_err_set(err, f->key, "invalid",
                                   "%s must not hold an empty service name (index %zu)", f->key, i);
        for (size_t k = 0; k < n; k++) {
            unsigned char c = (unsigned char)s[k];
            if (c <= 0x20 || c == 0x7F)
                return channel_err_set(err, f->key, "invalid",
                                       "%s must hold service names without spaces or control "
                                       "characters, got %s at index %zu",
                                       f->key, got(item, g, sizeof g), i);
        }
        if (used + (used > 0) + n >= f->cap)
            return channel_err_set(err, f->key, "too_long",
                                   "%s must take at most %zu bytes (names and one separator "
                                   "each)",
                                   f->key, f->cap - 1);
        if (used)
            dst[used++] = ' ';
        memcpy(dst + used, s, n);
        used += n;
    }
    dst[used] = '\0';
    return 0;
}

static int take_int(const struct field *f, const json_t *v, channel_t *ch, channel_err_t *err)
{
    char g[GOT_BUF];
    /* json_is_integer is false for booleans and for reals such as 1.5 or 2.0;
     * numbers beyond int64 never get here (jansson refuses them when parsing). */
    if (!json_is_integer(v))
        return channel_err_set(err, f->key, "invalid", "%s must be a positive integer, got %s",
                               f->key, got(v, g, sizeof g));
    int64_t x = json_integer_value(v);
    memcpy((char *)ch + f->off, &x, sizeof x);
    return 0;
}

int admin_channel_from_json(const json_t *obj, channel_t *ch, int partial, channel_err_t *err)
{
    char g[GOT_BUF];
    if (!json_is_object(obj))
        return channel_err_set(err, "", "invalid", "the request body must be a JSON object, got %s",
                               obj ? got(obj, g, sizeof g) : "nothing");

    json_t *v;
    for (void *it = json_object_iter((json_t *)obj); it;
         it = json_object_iter_next((json_t *)obj, it)) {
        const char *key = json_object_iter_key(it);
        if (!find_field(key))
            return admin_json_unknown_field(key, GOT_MAX, err);
    }

    /* Work on a copy: on any error the caller's channel is untouched. */
    channel_t tmp = *ch;
    for (size_t i = 0; i < NFIELDS; i++) {
        const struct field *f = &fields[i];
        v = json_object_get(obj, f->key);
        if (!v) {
            if (!partial && f->required)
                return channel_err_set(err, f->key, "required", "%s is required", f->key);
            continue;
        }
        int rc = 0;
        switch (f->kind) {
        case K_READONLY:
            break;
        case K_CLUSTER:
            if (!json_is_integer(v) || json_integer_value(v) != 1)
                rc = channel_err_set(err, f->key, "invalid",
                                     "cluster_id must be 1 (the default cluster, the only one), "
                                     "got %s",
                                     got(v, g, sizeof g));
            else
                tmp.cluster_id = 1;
            break;
        case K_BOOL:
            if (!json_is_boolean(v))
                rc = channel_err_set(err, f->key, "invalid", "%s must be true or false, got %s",
                                     f->key, got(v, g, sizeof g));
            else
                *(int *)((char *)&tmp + f->off) = json_is_true(v); /* an int field */
            break;
        case K_TEXT:
            rc = take_text(f, v, &tmp, err);
            break;
        case K_INT:
            rc = take_int(f, v, &tmp, err);
            break;
        case K_LIST:
            rc = take_list(f, v, &tmp, err);
            break;
        }
        if (rc)
            return rc;
    }
    int rc = channel_validate(&tmp, err);
    if (rc)
        return rc;
    *ch = tmp;
    return 0;
}
