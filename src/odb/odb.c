/* odb.c - odb.h's front: picks the backend from the URL's scheme, hands every
 * other call to the backend's table of functions, and holds what both backends
 * share (a redacted URL for logs, the search-term splitter). */
#include "metrics/metrics.h"
#include "odb/odb_internal.h"

#include <stdio.h>
#include <string.h>

#include "common/err.h"

static int has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int odb_open(const char *url, odb_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (url && has_prefix(url, "sqlite:"))
        return odb_sqlite_open(url, out, err, errlen);
    if (url && (has_prefix(url, "postgresql://") || has_prefix(url, "postgres://")))
        return odb_pg_open(url, out, err, errlen);
    char shown[512];
    odb_url_redact(url ? url : "", shown, sizeof shown);
    return wsx_errf(err, errlen, WSX_EINVAL,
                    "unsupported ODB URL \"%s\"; use sqlite:PATH (e.g. sqlite:/var/lib/wsx/odb.db) "
                    "or postgresql://USER@HOST:PORT/DB",
                    shown);
}

/* Append n bytes of s to out (len so far, cap bytes with the NUL), cut to fit. */
static void put(char *out, size_t cap, size_t *len, const char *s, size_t n)
{
    if (*len + 1 >= cap)
        return;
    if (n > cap - 1 - *len)
        n = cap - 1 - *len;
    memcpy(out + *len, s, n);
    *len += n;
    out[*len] = '\0';
}

void odb_url_redact(const char *url, char *out, size_t cap)
{
    if (!cap)
        return;
    out[0] = '\0';
    size_t len = 0;
    const char *p = url;
    const char *scheme = strstr(url, "://");
    if (scheme) {
        /* the authority ends at the path or the query; its userinfo at the last '@' */
        const char *auth = scheme + 3;
        const char *end = auth + strcspn(auth, "/?");
        const char *at = NULL;
        for (const char *q = auth; q < end; q++)
            if (*q == '@')
                at = q;
        const char *colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
        if (colon) {
            put(out, cap, &len, url, (size_t)(colon + 1 - url));
            put(out, cap, &len, "***", 3);
            p = at;
        }
    }
    /* a password among the query parameters: ?password=... or &password=... */
    while (*p) {
        const char *hit = strstr(p, "password=");
        if (!hit) {
            put(out, cap, &len, p, strlen(p));
            break;
        }
        int param = hit > url && (hit[-1] == '?' || hit[-1] == '&');
        put(out, cap, &len, p, (size_t)(hit - p) + 9);
        p = hit + 9;
        if (param) {
            put(out, cap, &len, "***", 3);
            p += strcspn(p, "&");
        }
    }
}

int odb_split_terms(const char *q, odb_term_t *t)
{
    int n = 0;
    const char *ws = " \t\r\n\f\v";
    while (q && *q) {
        q += strspn(q, ws);
        size_t len = strcspn(q, ws);
        if (!len)
            break;
        /* A lone "-" is a term like any other: names often hold hyphens. */
        int neg = q[0] == '-' && len > 1;
        t[n++] = (odb_term_t){q + neg, (int)(len - (size_t)neg), neg};
        q += len;
    }
    return n;
}

size_t odb_terms_cap(const char *q)
{
    /* "a b c": at most one term per two bytes */
    return (q ? strlen(q) / 2 : 0) + 1;
}

void odb_copy_text(char *dst, size_t cap, const char *src, size_t n)
{
    if (!src)
        n = 0;
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ---- dispatch ----------------------------------------------------------------------- */

/* A failed database call (WSX_EIO: the backend's error, a lost connection) is
 * counted for wsx_odb_errors_total; "not found" and conflicts are answers. */
static int counted(int rc)
{
    if (rc == WSX_EIO)
        metrics_odb_error();
    return rc;
}

void odb_close(odb_t *db)
{
    if (db)
        db->ops->close(db);
}

int odb_schema_version(odb_t *db)
{
    return counted(db->ops->schema_version(db));
}
int odb_listen_fd(odb_t *db)
{
    return db->ops->listen_fd(db);
}
int odb_notifications(odb_t *db)
{
    return db->ops->notifications(db);
}
int odb_connected(odb_t *db)
{
    return db->ops->connected(db);
}
const char *odb_error(odb_t *db)
{
    return db->ops->error(db);
}
int odb_reconnect(odb_t *db)
{
    return counted(db->ops->reconnect(db));
}

int odb_channel_insert(odb_t *db, channel_t *ch, char *conflict)
{
    return counted(db->ops->channel_insert(db, ch, conflict));
}

int odb_channel_update(odb_t *db, channel_t *ch, char *conflict)
{
    return counted(db->ops->channel_update(db, ch, conflict));
}

int odb_channel_delete(odb_t *db, int64_t id)
{
    return counted(db->ops->channel_delete(db, id));
}

int odb_channel_get(odb_t *db, int64_t id, channel_t *out)
{
    return counted(db->ops->channel_get(db, id, out));
}

int odb_channel_get_by_name(odb_t *db, int64_t cluster_id, const char *name, channel_t *out)
{
    return counted(db->ops->channel_get_by_name(db, cluster_id, name, out));
}

int odb_channel_list(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                     int64_t limit, channel_t **items, size_t *n, int64_t *total)
{
    return counted(db->ops->channel_list(db, cluster_id, query, offset, limit, items, n, total));
}

int odb_channel_all(odb_t *db, channel_t **items, size_t *n)
{
    return counted(db->ops->channel_all(db, items, n));
}

int odb_config_version(odb_t *db, int64_t *out)
{
    return counted(db->ops->config_version(db, out));
}

int odb_security_insert(odb_t *db, security_def_t *def)
{
    return counted(db->ops->security_insert(db, def));
}

int odb_security_update(odb_t *db, security_def_t *def)
{
    return counted(db->ops->security_update(db, def));
}

int odb_security_delete(odb_t *db, int64_t id)
{
    return counted(db->ops->security_delete(db, id));
}

int odb_security_get(odb_t *db, int64_t id, security_def_t *out)
{
    return counted(db->ops->security_get(db, id, out));
}

int odb_security_get_by_name(odb_t *db, int64_t cluster_id, const char *name, security_def_t *out)
{
    return counted(db->ops->security_get_by_name(db, cluster_id, name, out));
}

int odb_security_list(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                      int64_t limit, security_def_t **items, size_t *n, int64_t *total)
{
    return counted(db->ops->security_list(db, cluster_id, query, offset, limit, items, n, total));
}

int odb_security_channels(odb_t *db, int64_t id, char ***names, size_t *n)
{
    return counted(db->ops->security_channels(db, id, names, n));
}

int odb_channel_state_set(odb_t *db, const char *server, int64_t channel_id, const char *state)
{
    return counted(db->ops->channel_state_set(db, server, channel_id, state));
}

int odb_channel_state_get(odb_t *db, const char *server, int64_t channel_id, char *out, size_t cap)
{
    return counted(db->ops->channel_state_get(db, server, channel_id, out, cap));
}

int odb_channel_state_list(odb_t *db, int64_t channel_id, channel_state_row_t **items, size_t *n)
{
    return counted(db->ops->channel_state_list(db, channel_id, items, n));
}

int odb_server_register(odb_t *db, const server_row_t *me)
{
    return counted(db->ops->server_register(db, me));
}

int odb_server_heartbeat(odb_t *db, const char *name)
{
    return counted(db->ops->server_heartbeat(db, name));
}

int odb_server_leave(odb_t *db, const char *name)
{
    return counted(db->ops->server_leave(db, name));
}

int odb_server_list(odb_t *db, int64_t cluster_id, server_row_t **items, size_t *n)
{
    return counted(db->ops->server_list(db, cluster_id, items, n));
}

int odb_server_upsert(odb_t *db, const char *name, const char *admin_addr)
{
    return counted(db->ops->server_upsert(db, name, admin_addr));
}

int odb_admin_user_count(odb_t *db, int64_t *out)
{
    return counted(db->ops->admin_user_count(db, out));
}

int odb_admin_user_create(odb_t *db, const char *username, const char *hash)
{
    return counted(db->ops->admin_user_create(db, username, hash));
}

int odb_admin_user_get_hash(odb_t *db, const char *username, char *hash, size_t cap)
{
    return counted(db->ops->admin_user_get_hash(db, username, hash, cap));
}

int odb_admin_user_set_hash(odb_t *db, const char *username, const char *hash)
{
    return counted(db->ops->admin_user_set_hash(db, username, hash));
}
