/* admin_security.c - handlers of /api/v1/security: list, create, read, replace,
 * patch and delete security definitions. A new password or key is hashed and a
 * new JWT secret sealed here, before the ODB sees it; nothing that answers holds
 * either. A definition a channel uses cannot be deleted (409 naming the channels). */
#include "admin/admin_security.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_reply.h"
#include "admin/admin_security_json.h"
#include "common/err.h"
#include "common/log.h"
#include "security/security.h"

/* Channels named in a 409 before "and N more". */
#define IN_USE_NAMES_MAX 10

static void reply_def(http_reply_t *out, int status, const security_def_t *def)
{
    json_t *j = admin_security_to_json(def);
    if (!j) {
        admin_reply_error(out, 500, "internal", NULL, "cannot encode the security definition");
        return;
    }
    admin_reply_json(out, status, j);
}

static void list_defs(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    admin_list_params_t p;
    if (admin_list_params(req, &p, out) < 0)
        return;
    security_def_t *items = NULL;
    size_t n = 0;
    int64_t total = 0;
    int rc = odb_security_list(api->db, p.cluster, p.query[0] ? p.query : NULL,
                               (p.page - 1) * p.page_size, p.page_size, &items, &n, &total);
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read security definitions: %s",
                          wsx_strerror(rc));
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, admin_security_to_json(&items[i]));
    free(items);
    admin_reply_page(out, arr, total, &p);
}

/* Turn a new secret into what is stored: an Argon2id hash (basic_auth, apikey) or
 * the sealed text (jwt). Returns 0 or -1 with a 500 in *out. */
static int store_secret(security_def_t *def, wsx_slice_t secret, http_reply_t *out)
{
    if (!secret.ptr)
        return 0;
    int rc;
    if (def->type == SECURITY_JWT) {
        def->hash[0] = '\0';
        rc = security_secret_seal(secret.ptr, secret.len, def->sealed, sizeof def->sealed);
        if (rc < 0) {
            admin_reply_error(out, 500, "internal", NULL,
                              "cannot encrypt the JWT secret: the sealing key (derived "
                              "from the cluster secret) is not set");
            return -1;
        }
    } else {
        def->sealed[0] = '\0';
        rc = security_hash(secret.ptr, secret.len, def->hash, sizeof def->hash);
        if (rc < 0) {
            admin_reply_error(out, 500, "internal", NULL, "cannot hash the %s: %s",
                              def->type == SECURITY_APIKEY ? "key" : "password", wsx_strerror(rc));
            return -1;
        }
    }
    return 0;
}

/* Write a definition (insert or update) and answer the ODB's refusals. */
static int write_def(admin_api_t *api, security_def_t *def, int insert, http_reply_t *out)
{
    int rc = insert ? odb_security_insert(api->db, def) : odb_security_update(api->db, def);
    if (rc == WSX_EEXIST) {
        admin_reply_error(out, 409, "duplicate_name", "name",
                          "name \"%s\" is already used by another security definition", def->name);
        return -1;
    }
    if (rc == WSX_ENOTFOUND) {
        admin_reply_error(out, 404, "not_found", NULL, "no security definition with id %lld",
                          (long long)def->id);
        return -1;
    }
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot store the security definition: %s",
                          wsx_strerror(rc));
        return -1;
    }
    log_info("security definition \"%s\" (%s, id %lld) %s", def->name,
             security_type_name(def->type), (long long)def->id, insert ? "created" : "updated");
    /* Workers pick up new credentials (and channels their definition) now. */
    reconcile_run(api->rec);
    return 0;
}

static void create_def(admin_api_t *api, const http_request_t *req, wsx_slice_t body,
                       http_reply_t *out)
{
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_SECRET, out);
    if (!j)
        return;
    security_def_t def;
    memset(&def, 0, sizeof def);
    def.cluster_id = 1;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    wsx_slice_t secret;
    int rc = admin_security_from_json(j, &def, ADMIN_SECURITY_CREATE, &secret, &err);
    if (rc < 0)
        admin_reply_invalid(out, &err);
    else if (store_secret(&def, secret, out) == 0 && write_def(api, &def, 1, out) == 0)
        reply_def(out, 201, &def);
    json_decref(j);
}

/* 409 naming (some of) the channels that use the definition. */
static void reply_in_use(admin_api_t *api, const security_def_t *def, http_reply_t *out)
{
    char **names = NULL;
    size_t n = 0;
    odb_security_channels(api->db, def->id, &names, &n);
    size_t cap = 256 + (n < IN_USE_NAMES_MAX ? n : IN_USE_NAMES_MAX) * (CHANNEL_NAME_MAX * 4 + 4);
    char *list = malloc(cap);
    if (!list) {
        free(names);
        admin_reply_error(out, 409, "in_use", NULL,
                          "security definition \"%s\" is used by channels; change their "
                          "security first",
                          def->name);
        return;
    }
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && i < IN_USE_NAMES_MAX; i++)
        used += (size_t)snprintf(list + used, cap - used, "%s\"%s\"", i ? ", " : "", names[i]);
    if (n > IN_USE_NAMES_MAX)
        snprintf(list + used, cap - used, " and %zu more", n - IN_USE_NAMES_MAX);
    admin_reply_error(out, 409, "in_use", NULL,
                      "security definition \"%s\" is used by %s %s; set %s security to "
                      "another definition or to null first",
                      def->name, n == 1 ? "channel" : "channels", n ? list : "a channel",
                      n == 1 ? "its" : "their");
    free(list);
    free(names);
}

static void one_def(admin_api_t *api, const http_request_t *req, wsx_slice_t body, int64_t id,
                    http_reply_t *out)
{
    security_def_t def;
    int rc = odb_security_get(api->db, id, &def);
    if (rc == WSX_ENOTFOUND) {
        admin_reply_error(out, 404, "not_found", NULL, "no security definition with id %lld",
                          (long long)id);
        return;
    }
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read the security definition: %s",
                          wsx_strerror(rc));
        return;
    }
    if (wsx_slice_eq(req->method, "GET")) {
        reply_def(out, 200, &def);
        return;
    }
    if (wsx_slice_eq(req->method, "DELETE")) {
        rc = odb_security_delete(api->db, id);
        if (rc == WSX_EBUSY) {
            reply_in_use(api, &def, out);
            return;
        }
        if (rc < 0) {
            admin_reply_error(out, rc == WSX_ENOTFOUND ? 404 : 500,
                              rc == WSX_ENOTFOUND ? "not_found" : "odb_error", NULL,
                              "cannot delete the security definition: %s", wsx_strerror(rc));
            return;
        }
        log_info("security definition \"%s\" (id %lld) deleted", def.name, (long long)id);
        reconcile_run(api->rec);
        out->status = 204;
        return;
    }
    int patch = wsx_slice_eq(req->method, "PATCH");
    if (!patch && !wsx_slice_eq(req->method, "PUT")) {
        admin_reply_method(out, "GET, PUT, PATCH, DELETE");
        return;
    }
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_SECRET, out);
    if (!j)
        return;
    channel_err_t err;
    memset(&err, 0, sizeof err);
    wsx_slice_t secret;
    rc = admin_security_from_json(j, &def, patch ? ADMIN_SECURITY_PATCH : ADMIN_SECURITY_REPLACE,
                                  &secret, &err);
    if (rc < 0)
        admin_reply_invalid(out, &err);
    else if (store_secret(&def, secret, out) == 0 && write_def(api, &def, 0, out) == 0)
        reply_def(out, 200, &def);
    json_decref(j);
}

int admin_security_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                         wsx_slice_t body, http_reply_t *out)
{
    static const char base[] = "security";
    size_t bl = sizeof base - 1;
    if (rest.len < bl || memcmp(rest.ptr, base, bl) != 0)
        return 0;
    if (rest.len == bl) {
        if (wsx_slice_eq(req->method, "GET")) {
            list_defs(api, req, out);
        } else if (wsx_slice_eq(req->method, "POST")) {
            create_def(api, req, body, out);
        } else {
            admin_reply_method(out, "GET, POST");
        }
        return 1;
    }
    /* security/{id}: 1 to 18 digits, no sign, no leading zero games beyond that */
    if (rest.ptr[bl] != '/' || rest.len == bl + 1 || rest.len > bl + 1 + 18)
        return 0;
    int64_t id = 0;
    for (size_t i = bl + 1; i < rest.len; i++) {
        if (rest.ptr[i] < '0' || rest.ptr[i] > '9')
            return 0;
        id = id * 10 + (rest.ptr[i] - '0');
    }
    if (id <= 0)
        return 0;
    one_def(api, req, body, id, out);
    return 1;
}

int admin_security_resolve(admin_api_t *api, channel_t *ch, http_reply_t *out)
{
    if (!ch->security[0]) {
        ch->security_id = 0;
        return 0;
    }
    security_def_t def;
    int rc = odb_security_get_by_name(api->db, ch->cluster_id, ch->security, &def);
    if (rc == WSX_ENOTFOUND) {
        admin_reply_error(out, 400, "not_found", "security",
                          "security definition \"%s\" does not exist; GET /api/v1/security lists "
                          "them",
                          ch->security);
        return -1;
    }
    if (rc < 0) {
        admin_reply_error(out, 500, "odb_error", NULL, "cannot read security definitions: %s",
                          wsx_strerror(rc));
        return -1;
    }
    ch->security_id = def.id;
    return 0;
}
