/* test_admin_security_json.c - the JSON API's security definition object: what GET
 * shows (never a secret), what POST, PUT and PATCH accept per type, and the field
 * each refusal names - without ever quoting a secret back. */
#include <criterion/criterion.h>
#include <string.h>

#include "admin/admin_security_json.h"
#include "common/err.h"

static channel_err_t e;
static wsx_slice_t secret;

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &je);
    cr_assert_not_null(j, "test JSON: %s", je.text);
    return j;
}

static security_def_t fresh(void)
{
    security_def_t d;
    memset(&d, 0, sizeof d);
    d.cluster_id = 1;
    return d;
}

static security_def_t stored(security_type_t type, const char *user)
{
    security_def_t d = fresh();
    d.id = 4;
    strcpy(d.name, "stored");
    d.type = type;
    strcpy(d.username, user);
    if (type == SECURITY_JWT)
        strcpy(d.sealed, "v1:c2VhbGVk");
    else
        strcpy(d.hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    strcpy(d.created_at, "2026-11-30T10:00:00.000001");
    strcpy(d.updated_at, "2026-11-30T10:00:00.000002");
    return d;
}

/* Apply text onto *d in mode; returns the result (e, secret set). secret points
 * into the parsed JSON, which is kept alive in `keep`. */
static json_t *keep;
static int apply(const char *text, security_def_t *d, admin_security_mode_t mode)
{
    json_decref(keep);
    keep = parse(text);
    memset(&e, 0, sizeof e);
    return admin_security_from_json(keep, d, mode, &secret, &e);
}

static void refused(const char *text, security_def_t d, admin_security_mode_t mode,
                    const char *field, const char *code, const char *msg)
{
    security_def_t before = d;
    cr_assert_eq(apply(text, &d, mode), WSX_EINVAL, "%s should be refused", text);
    cr_assert_str_eq(e.field, field, "%s: %s", text, e.message);
    cr_assert_str_eq(e.code, code, "%s: %s", text, e.message);
    cr_assert(strstr(e.message, msg), "%s: message \"%s\" lacks \"%s\"", text, e.message, msg);
    cr_assert(memcmp(&d, &before, sizeof d) == 0, "%s: definition changed on error", text);
}

static void fini(void)
{
    json_decref(keep);
    keep = NULL;
}

TestSuite(admin_security_json, .fini = fini);

Test(admin_security_json, to_json_has_no_secret)
{
    security_def_t d = stored(SECURITY_BASIC_AUTH, "alice");
    json_t *j = admin_security_to_json(&d);
    cr_assert_not_null(j);
    const char *keys[] = {"id",       "cluster_id", "name",      "type",
                          "username", "created_at", "updated_at"};
    cr_assert_eq(json_object_size(j), sizeof keys / sizeof keys[0]);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        cr_assert_not_null(json_object_get(j, keys[i]), "missing %s", keys[i]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "type")), "basic_auth");
    cr_assert_str_eq(json_string_value(json_object_get(j, "username")), "alice");
    char *text = json_dumps(j, 0);
    cr_assert(!strstr(text, "argon2") && !strstr(text, "aGFzaA"), "%s", text);
    free(text);
    json_decref(j);

    d = stored(SECURITY_JWT, "");
    j = admin_security_to_json(&d);
    cr_assert(json_is_null(json_object_get(j, "username")), "no username is null");
    text = json_dumps(j, 0);
    cr_assert(!strstr(text, "v1:") && !strstr(text, "c2VhbGVk"), "%s", text);
    free(text);
    json_decref(j);
}

Test(admin_security_json, create_each_type)
{
    security_def_t d = fresh();
    cr_assert_eq(apply("{\"name\": \"b\", \"type\": \"basic_auth\", \"username\": \"alice\", "
                       "\"password\": \"pw\"}",
                       &d, ADMIN_SECURITY_CREATE),
                 0, "%s", e.message);
    cr_assert_eq(d.type, SECURITY_BASIC_AUTH);
    cr_assert_str_eq(d.name, "b");
    cr_assert_str_eq(d.username, "alice");
    cr_assert_eq(secret.len, 2);
    cr_assert_eq(memcmp(secret.ptr, "pw", 2), 0);
    cr_assert_str_eq(d.hash, "", "hashing is the caller's");

    d = fresh();
    cr_assert_eq(apply("{\"name\": \"j\", \"type\": \"jwt\", \"secret\": "
                       "\"0123456789abcdef0123456789abcdef\"}",
                       &d, ADMIN_SECURITY_CREATE),
                 0, "%s", e.message);
    cr_assert_eq(d.type, SECURITY_JWT);
    cr_assert_str_eq(d.username, "");
    cr_assert_eq(secret.len, 32);

    d = fresh();
    cr_assert_eq(apply("{\"name\": \"j2\", \"type\": \"jwt\", \"username\": \"svc\", \"secret\": "
                       "\"0123456789abcdef0123456789abcdef\", \"cluster_id\": 1, \"id\": 99}",
                       &d, ADMIN_SECURITY_CREATE),
                 0, "%s", e.message);
    cr_assert_str_eq(d.username, "svc");
    cr_assert_eq(d.id, 0, "id is read-only");

    d = fresh();
    cr_assert_eq(apply("{\"name\": \"k\", \"type\": \"apikey\", \"key\": \"k-1\", \"username\": "
                       "null}",
                       &d, ADMIN_SECURITY_CREATE),
                 0, "%s", e.message);
    cr_assert_eq(d.type, SECURITY_APIKEY);
    cr_assert_eq(secret.len, 3);
}

Test(admin_security_json, create_refusals)
{
    security_def_t d = fresh();
    refused("[1]", d, ADMIN_SECURITY_CREATE, "", "invalid", "must be a JSON object");
    refused("{\"type\": \"apikey\", \"key\": \"k\"}", d, ADMIN_SECURITY_CREATE, "name", "required",
            "name is required");
    refused("{\"name\": \"\", \"type\": \"apikey\", \"key\": \"k\"}", d, ADMIN_SECURITY_CREATE,
            "name", "required", "name is required");
    refused("{\"name\": \" x\", \"type\": \"apikey\", \"key\": \"k\"}", d, ADMIN_SECURITY_CREATE,
            "name", "invalid", "whitespace");
    refused("{\"name\": \"x\", \"key\": \"k\"}", d, ADMIN_SECURITY_CREATE, "type", "required",
            "type is required");
    refused("{\"name\": \"x\", \"type\": \"basic-auth\"}", d, ADMIN_SECURITY_CREATE, "type",
            "invalid", "\"basic_auth\", \"jwt\" or \"apikey\", got \"basic-auth\"");
    refused("{\"name\": \"x\", \"type\": \"apikey\", \"key\": \"k\", \"pasword\": \"p\"}", d,
            ADMIN_SECURITY_CREATE, "pasword", "unknown_field", "unknown field \"pasword\"");
    refused("{\"name\": \"x\", \"type\": \"basic_auth\", \"password\": \"p\"}", d,
            ADMIN_SECURITY_CREATE, "username", "required", "username is required");
    refused("{\"name\": \"x\", \"type\": \"basic_auth\", \"username\": \"u\"}", d,
            ADMIN_SECURITY_CREATE, "password", "required", "password is required");
    refused("{\"name\": \"x\", \"type\": \"apikey\", \"key\": \"k\", \"username\": \"u\"}", d,
            ADMIN_SECURITY_CREATE, "username", "not_allowed", "no username");
    refused("{\"name\": \"x\", \"type\": \"apikey\"}", d, ADMIN_SECURITY_CREATE, "key", "required",
            "key is required");
    refused("{\"name\": \"x\", \"type\": \"jwt\"}", d, ADMIN_SECURITY_CREATE, "secret", "required",
            "secret is required");
    refused("{\"name\": \"x\", \"type\": \"cluster\", \"cluster_id\": 2}", d, ADMIN_SECURITY_CREATE,
            "cluster_id", "invalid", "cluster_id must be 1");
    refused("{\"name\": \"x\", \"type\": \"basic_auth\", \"username\": \"u\", \"password\": "
            "\"\"}",
            d, ADMIN_SECURITY_CREATE, "password", "required", "must not be empty");
    refused("{\"name\": \"x\", \"type\": \"basic_auth\", \"username\": \"a\\u0001\", "
            "\"password\": \"p\"}",
            d, ADMIN_SECURITY_CREATE, "username", "invalid", "control characters");
}

Test(admin_security_json, secrets_never_appear_in_messages)
{
    security_def_t d = fresh();
    /* the wrong secret field for the type, a wrong type, too short, too long */
    refused("{\"name\": \"x\", \"type\": \"jwt\", \"password\": \"TOPSECRET-1\"}", d,
            ADMIN_SECURITY_CREATE, "password", "not_allowed", "its secret is \"secret\"");
    cr_assert(!strstr(e.message, "TOPSECRET"));
    refused("{\"name\": \"x\", \"type\": \"apikey\", \"secret\": \"TOPSECRET-2\"}", d,
            ADMIN_SECURITY_CREATE, "secret", "not_allowed", "its secret is \"key\"");
    cr_assert(!strstr(e.message, "TOPSECRET"));
    refused("{\"name\": \"x\", \"type\": \"apikey\", \"key\": [\"TOPSECRET-3\"]}", d,
            ADMIN_SECURITY_CREATE, "key", "invalid", "key must be a string");
    cr_assert(!strstr(e.message, "TOPSECRET"));
    refused("{\"name\": \"x\", \"type\": \"jwt\", \"secret\": \"TOPSECRET-4\"}", d,
            ADMIN_SECURITY_CREATE, "secret", "too_short", "at least 32 bytes");
    cr_assert(!strstr(e.message, "TOPSECRET"));

    char big[2200];
    strcpy(big, "{\"name\": \"x\", \"type\": \"apikey\", \"key\": \"");
    size_t n = strlen(big);
    memset(big + n, 'S', 1025);
    strcpy(big + n + 1025, "\"}");
    refused(big, d, ADMIN_SECURITY_CREATE, "key", "too_long", "at most 1024 bytes, got 1025");
    cr_assert(!strstr(e.message, "SSSS"));
    big[n + 1024] = '"';
    big[n + 1025] = '}';
    big[n + 1026] = '\0';
    cr_assert_eq(apply(big, &d, ADMIN_SECURITY_CREATE), 0, "1024 bytes fit: %s", e.message);
}

Test(admin_security_json, type_cannot_change)
{
    security_def_t d = stored(SECURITY_BASIC_AUTH, "alice");
    refused("{\"type\": \"jwt\"}", d, ADMIN_SECURITY_PATCH, "type", "immutable",
            "type cannot change (this definition is basic_auth)");
    refused("{\"name\": \"n\", \"type\": \"apikey\", \"key\": \"k\"}", d, ADMIN_SECURITY_REPLACE,
            "type", "immutable", "type cannot change");
    cr_assert_eq(apply("{\"type\": \"basic_auth\"}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
}

Test(admin_security_json, patch_changes_only_what_is_given)
{
    security_def_t d = stored(SECURITY_BASIC_AUTH, "alice"), before = d;
    cr_assert_eq(apply("{}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
    cr_assert(memcmp(&d, &before, sizeof d) == 0);
    cr_assert_null(secret.ptr, "no new secret: the stored one stays");
    cr_assert_eq(apply("{\"name\": \"renamed\"}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
    cr_assert_str_eq(d.name, "renamed");
    cr_assert_str_eq(d.username, "alice");
    cr_assert_str_eq(d.hash, before.hash);
    cr_assert_eq(apply("{\"password\": \"new-pw\"}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
    cr_assert_eq(secret.len, 6);
    refused("{\"username\": null}", d, ADMIN_SECURITY_PATCH, "username", "required",
            "username is required for a basic_auth definition");
    refused("{\"name\": null}", d, ADMIN_SECURITY_PATCH, "name", "required", "name is required");

    d = stored(SECURITY_JWT, "svc");
    cr_assert_eq(apply("{\"username\": null}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
    cr_assert_str_eq(d.username, "", "null clears a jwt definition's username");
    cr_assert_eq(apply("{\"username\": \"svc2\"}", &d, ADMIN_SECURITY_PATCH), 0, "%s", e.message);
    cr_assert_str_eq(d.username, "svc2");
}

Test(admin_security_json, put_replaces)
{
    security_def_t d = stored(SECURITY_JWT, "svc");
    refused("{\"username\": \"x\"}", d, ADMIN_SECURITY_REPLACE, "name", "required",
            "name is required");
    cr_assert_eq(apply("{\"name\": \"j\"}", &d, ADMIN_SECURITY_REPLACE), 0, "%s", e.message);
    cr_assert_str_eq(d.username, "", "PUT without username: none");
    cr_assert_str_eq(d.sealed, "v1:c2VhbGVk", "PUT without secret keeps it");
    cr_assert_null(secret.ptr);

    d = stored(SECURITY_BASIC_AUTH, "alice");
    refused("{\"name\": \"b\"}", d, ADMIN_SECURITY_REPLACE, "username", "required",
            "username is required");
}
