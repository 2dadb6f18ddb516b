/* fuzz_admin_security.c - libFuzzer target for the admin API's security definition
 * body: raw bytes parsed with jansson go through admin_security_from_json in each
 * mode (create; replace and patch of a jwt, a basic_auth and an apikey definition).
 * A refusal leaves the definition untouched, fills the error and never quotes the
 * body's secret; an acceptance holds a valid name and type, a secret of the type's
 * own field within its bounds, and admin_security_to_json never shows a secret. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_security_json.h"
#include "channel/channel.h"
#include "common/err.h"
#include "security/security.h"

#define CHECK(c)                                                                                   \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #c);                  \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static const char *const secret_fields[] = {"password", "secret", "key"};

/* The body with each string secret replaced by as many '#': a message that does
 * not depend on a secret's content cannot quote it. NULL if there is none. */
static json_t *blinded(const json_t *body)
{
    if (!json_is_object(body))
        return NULL;
    json_t *copy = NULL;
    for (size_t i = 0; i < 3; i++) {
        const json_t *v = json_object_get(body, secret_fields[i]);
        if (!json_is_string(v))
            continue;
        if (!copy)
            copy = json_deep_copy(body);
        size_t n = json_string_length(v);
        char *hash = malloc(n + 1);
        CHECK(copy && hash);
        memset(hash, '#', n);
        json_object_set_new(copy, secret_fields[i], json_stringn(hash, n));
        free(hash);
    }
    return copy;
}

static void one(const json_t *body, admin_security_mode_t mode, security_type_t cur)
{
    security_def_t def, before;
    memset(&def, 0, sizeof def);
    def.cluster_id = 1;
    if (mode != ADMIN_SECURITY_CREATE) {
        def.id = 7;
        def.type = cur;
        snprintf(def.name, sizeof def.name, "current");
        if (cur == SECURITY_BASIC_AUTH)
            snprintf(def.username, sizeof def.username, "alice");
        snprintf(def.hash, sizeof def.hash, "$argon2id$v=19$m=65536,t=2,p=1$x$y");
    }
    before = def;
    wsx_slice_t secret = {(const uint8_t *)"junk", 4};
    channel_err_t err;
    memset(&err, 0x55, sizeof err);
    int rc = admin_security_from_json(body, &def, mode, &secret, &err);
    CHECK(rc == 0 || rc == WSX_EINVAL);
    if (rc != 0) {
        CHECK(memcmp(&def, &before, sizeof def) == 0);
        CHECK(memchr(err.field, 0, sizeof err.field) && memchr(err.code, 0, sizeof err.code) &&
              memchr(err.message, 0, sizeof err.message));
        CHECK(err.code[0] && err.message[0]);
        json_t *blind = blinded(body);
        if (blind) {
            security_def_t d2 = before;
            wsx_slice_t s2;
            channel_err_t e2;
            int rc2 = admin_security_from_json(blind, &d2, mode, &s2, &e2);
            CHECK(rc2 == rc && strcmp(e2.field, err.field) == 0 && strcmp(e2.code, err.code) == 0);
            if (strcmp(e2.message, err.message) != 0)
                fprintf(stderr, "a message depends on a secret:\n  %s\n  %s\n", err.message,
                        e2.message);
            CHECK(strcmp(e2.message, err.message) == 0);
            json_decref(blind);
        }
        return;
    }
    CHECK(json_is_object(body));
    CHECK(security_type_name(def.type) != NULL);
    if (mode != ADMIN_SECURITY_CREATE)
        CHECK(def.type == cur && def.id == before.id);
    CHECK(strcmp(def.hash, before.hash) == 0 && strcmp(def.sealed, before.sealed) == 0);
    channel_err_t e2;
    CHECK(def.name[0] && channel_check_text("name", def.name, SECURITY_NAME_MAX, &e2) == 0);
    CHECK(memchr(def.username, 0, sizeof def.username));
    if (def.type == SECURITY_BASIC_AUTH)
        CHECK(def.username[0]);
    if (def.type == SECURITY_APIKEY)
        CHECK(def.username[0] == '\0');
    if (def.username[0])
        CHECK(channel_check_text("username", def.username, SECURITY_USERNAME_MAX, &e2) == 0);
    /* the secret: the type's own field, borrowed from the body */
    const char *own = def.type == SECURITY_BASIC_AUTH ? "password"
                      : def.type == SECURITY_JWT      ? "secret"
                                                      : "key";
    const json_t *sv = json_object_get(body, own);
    if (secret.ptr) {
        CHECK(json_is_string(sv) && (const char *)secret.ptr == json_string_value(sv));
        CHECK(secret.len == json_string_length(sv));
        CHECK(secret.len >= 1 && secret.len <= SECURITY_SECRET_MAX);
        if (def.type == SECURITY_JWT)
            CHECK(secret.len >= ADMIN_JWT_SECRET_MIN);
    } else {
        CHECK(mode != ADMIN_SECURITY_CREATE);
    }
    for (size_t i = 0; i < 3; i++)
        if (strcmp(secret_fields[i], own) != 0) {
            const json_t *o = json_object_get(body, secret_fields[i]);
            CHECK(!o);
        }
    json_t *shown = admin_security_to_json(&def);
    if (shown) { /* NULL only for a name or username that is not UTF-8 */
        CHECK(!json_object_get(shown, "password") && !json_object_get(shown, "secret") &&
              !json_object_get(shown, "key") && !json_object_get(shown, "hash") &&
              !json_object_get(shown, "sealed"));
        json_decref(shown);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t e;
    json_t *body = json_loadb((const char *)data, size,
                              JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);
    one(body, ADMIN_SECURITY_CREATE, SECURITY_NONE);
    for (security_type_t t = SECURITY_BASIC_AUTH; t <= SECURITY_APIKEY; t++) {
        one(body, ADMIN_SECURITY_REPLACE, t);
        one(body, ADMIN_SECURITY_PATCH, t);
    }
    json_decref(body);
    return 0;
}
