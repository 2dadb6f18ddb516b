/* admin_security_json.c - conversions between security_def_t and the JSON API's
 * security definition object. Strict like the channel object: unknown fields,
 * wrong types and fields that do not belong to the definition's type are refused
 * with the field named. The secret fields are special: a message about them gives
 * lengths at most, never a value. */
#include "admin/admin_security_json.h"

#include <string.h>

#include "admin/admin_json.h"
#include "common/err.h"

/* Characters of a (non-secret) bad value quoted back in a message. */
#define GOT_MAX 60
#define GOT_BUF (GOT_MAX * 4 + 8)

json_t *admin_security_to_json(const security_def_t *def)
{
    const char *type = security_type_name(def->type);
    json_t *o = json_object();
    if (!o || !type) {
        json_decref(o);
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(o, "id", json_integer(def->id));
    bad |= json_object_set_new(o, "cluster_id", json_integer(def->cluster_id));
    bad |= admin_json_set_str(o, "name", def->name);
    bad |= admin_json_set_str(o, "type", type);
    if (def->username[0])
        bad |= admin_json_set_str(o, "username", def->username);
    else
        bad |= json_object_set_new(o, "username", json_null());
    bad |= admin_json_set_str(o, "created_at", def->created_at);
    bad |= admin_json_set_str(o, "updated_at", def->updated_at);
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A non-secret value as compact JSON, shortened on a UTF-8 boundary. */
static const char *got(const json_t *v, char *buf, size_t cap)
{
    return admin_json_got(v, GOT_MAX, buf, cap);
}

/* The secret field of each type. */
static const char *secret_field(security_type_t t)
{
    switch (t) {
    case SECURITY_BASIC_AUTH:
        return "password";
    case SECURITY_JWT:
        return "secret";
    case SECURITY_APIKEY:
        return "key";
    case SECURITY_NONE:
        break;
    }
    return NULL;
}

static const char *const known[] = {"id",       "cluster_id", "name", "type",       "username",
                                    "password", "secret",     "key",  "created_at", "updated_at"};

static int take_type(const json_t *v, security_def_t *d, admin_security_mode_t mode,
                     channel_err_t *err)
{
    char g[GOT_BUF];
    security_type_t t =
        json_is_string(v) ? security_type_parse(json_string_value(v)) : SECURITY_NONE;
    if (t == SECURITY_NONE)
        return channel_err_set(err, "type", "invalid",
                               "type must be \"basic_auth\", \"jwt\" or \"apikey\", got %s",
                               got(v, g, sizeof g));
    if (mode != ADMIN_SECURITY_CREATE && t != d->type)
        return channel_err_set(err, "type", "immutable",
                               "type cannot change (this definition is %s); create a new "
                               "definition of type %s instead",
                               security_type_name(d->type), security_type_name(t));
    d->type = t;
    return 0;
}

static int take_name(const json_t *v, security_def_t *d, channel_err_t *err)
{
    char g[GOT_BUF];
    if (json_is_null(v))
        return channel_err_set(err, "name", "required", "name is required");
    if (!json_is_string(v))
        return channel_err_set(err, "name", "invalid", "name must be a string, got %s",
                               got(v, g, sizeof g));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return channel_err_set(err, "name", "invalid",
                               "name must not contain control characters (U+0000)");
    if (n == 0)
        return channel_err_set(err, "name", "required", "name is required");
    if (n >= sizeof d->name) {
        size_t chars = 0;
        for (size_t i = 0; i < n; i++)
            chars += ((unsigned char)s[i] & 0xC0) != 0x80;
        return channel_err_set(err, "name", "too_long",
                               "name must be at most %d characters, got %zu", SECURITY_NAME_MAX,
                               chars);
    }
    int rc = channel_check_text("name", s, SECURITY_NAME_MAX, err);
    if (rc)
        return rc;
    memcpy(d->name, s, n + 1);
    return 0;
}

/* username: v may be NULL (absent); applied after the type is known. */
static int take_username(const json_t *v, security_def_t *d, admin_security_mode_t mode,
                         channel_err_t *err)
{
    char g[GOT_BUF];
    int present = v && !json_is_null(v) && !(json_is_string(v) && json_string_length(v) == 0);
    if (v && !json_is_null(v) && !json_is_string(v))
        return channel_err_set(err, "username", "invalid", "username must be a string%s, got %s",
                               d->type == SECURITY_JWT ? " or null" : "", got(v, g, sizeof g));
    if (d->type == SECURITY_APIKEY) {
        if (present)
            return channel_err_set(err, "username", "not_allowed",
                                   "an apikey definition has no username: a client presents "
                                   "only the key");
        d->username[0] = '\0';
        return 0;
    }
    if (!present) {
        /* PATCH without username keeps it; PUT without one resets it */
        if (!v && mode == ADMIN_SECURITY_PATCH)
            return 0;
        if (d->type == SECURITY_BASIC_AUTH)
            return channel_err_set(err, "username", "required",
                                   "username is required for a basic_auth definition");
        d->username[0] = '\0';
        return 0;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strlen(s) != n)
        return channel_err_set(err, "username", "invalid",
                               "username must not contain control characters (U+0000)");
    if (n > SECURITY_USERNAME_MAX)
        return channel_err_set(err, "username", "too_long",
                               "username must be at most %d bytes, got %zu", SECURITY_USERNAME_MAX,
                               n);
    int rc = channel_check_text("username", s, SECURITY_USERNAME_MAX, err);
    if (rc)
        return rc;
    memcpy(d->username, s, n + 1);
    return 0;
}

/* The secret fields: only the type's own may appear. Messages give no value. */
static int take_secret(const json_t *obj, const security_def_t *d, admin_security_mode_t mode,
                       wsx_slice_t *secret, channel_err_t *err)
{
    const char *mine = secret_field(d->type);
    static const char *const all[] = {"password", "secret", "key"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(all[i], mine) != 0 && json_object_get(obj, all[i]))
            return channel_err_set(err, all[i], "not_allowed",
                                   "%s is not used by a %s definition; its secret is \"%s\"",
                                   all[i], security_type_name(d->type), mine);
    }
    const json_t *v = json_object_get(obj, mine);
    if (!v) {
        if (mode == ADMIN_SECURITY_CREATE)
            return channel_err_set(err, mine, "required", "%s is required for a %s definition",
                                   mine, security_type_name(d->type));
        return 0; /* PUT, PATCH: the stored secret stays */
    }
    if (!json_is_string(v))
        return channel_err_set(err, mine, "invalid", "%s must be a string", mine);
    size_t n = json_string_length(v);
    size_t min = d->type == SECURITY_JWT ? ADMIN_JWT_SECRET_MIN : 1;
    if (n == 0)
        return channel_err_set(err, mine, "required", "%s must not be empty", mine);
    if (n < min)
        return channel_err_set(err, mine, "too_short",
                               "%s must be at least %zu bytes (RFC 7518 3.2: an HS256 key as long "
                               "as the hash), got %zu",
                               mine, min, n);
    if (n > SECURITY_SECRET_MAX)
        return channel_err_set(err, mine, "too_long", "%s must be at most %d bytes, got %zu", mine,
                               SECURITY_SECRET_MAX, n);
    *secret = wsx_slice(json_string_value(v), n);
    return 0;
}

int admin_security_from_json(const json_t *obj, security_def_t *def, admin_security_mode_t mode,
                             wsx_slice_t *secret, channel_err_t *err)
{
    char g[GOT_BUF];
    *secret = wsx_slice(NULL, 0);
    if (!json_is_object(obj))
        return channel_err_set(err, "", "invalid", "the request body must be a JSON object, got %s",
                               obj ? (json_is_string(obj) ? "a string" : got(obj, g, sizeof g))
                                   : "nothing");
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)obj, key, v)
    {
        size_t i = 0;
        while (i < sizeof known / sizeof known[0] && strcmp(known[i], key) != 0)
            i++;
        if (i == sizeof known / sizeof known[0])
            return admin_json_unknown_field(key, GOT_MAX, err);
    }

    security_def_t tmp = *def;
    int rc;
    v = json_object_get(obj, "cluster_id");
    if (v && (!json_is_integer(v) || json_integer_value(v) != 1))
        return channel_err_set(err, "cluster_id", "invalid",
                               "cluster_id must be 1 (the default cluster, the only one), got %s",
                               got(v, g, sizeof g));
    if ((v = json_object_get(obj, "name")))
        rc = take_name(v, &tmp, err);
    else
        rc = mode == ADMIN_SECURITY_PATCH
                 ? 0
                 : channel_err_set(err, "name", "required", "name is required");
    if (rc)
        return rc;
    if ((v = json_object_get(obj, "type")))
        rc = take_type(v, &tmp, mode, err);
    else
        rc = mode == ADMIN_SECURITY_CREATE
                 ? channel_err_set(err, "type", "required",
                                   "type is required: \"basic_auth\", \"jwt\" or \"apikey\"")
                 : 0;
    if (rc)
        return rc;
    if ((rc = take_username(json_object_get(obj, "username"), &tmp, mode, err)))
        return rc;
    if ((rc = take_secret(obj, &tmp, mode, secret, err)))
        return rc;
    *def = tmp;
    return 0;
}
