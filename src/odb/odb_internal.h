/* odb_internal.h - what the ODB backends share behind odb.h: the table of a
 * backend's functions that odb.c dispatches through, the base every backend's
 * struct starts with, and the search-term splitter both backends' lists use.
 * Only src/odb/ includes it. */
#ifndef WSX_ODB_INTERNAL_H
#define WSX_ODB_INTERNAL_H

#include "odb/odb.h"

/* One backend: every function of odb.h but odb_open and odb_url_redact, with the
 * same contract. */
typedef struct odb_ops {
    void (*close)(odb_t *db);
    int (*schema_version)(odb_t *db);
    int (*listen_fd)(odb_t *db);
    int (*notifications)(odb_t *db);
    int (*connected)(odb_t *db);
    const char *(*error)(odb_t *db);
    int (*reconnect)(odb_t *db);
    int (*channel_insert)(odb_t *db, channel_t *ch, char *conflict);
    int (*channel_update)(odb_t *db, channel_t *ch, char *conflict);
    int (*channel_delete)(odb_t *db, int64_t id);
    int (*channel_get)(odb_t *db, int64_t id, channel_t *out);
    int (*channel_get_by_name)(odb_t *db, int64_t cluster_id, const char *name, channel_t *out);
    int (*channel_list)(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                        int64_t limit, channel_t **items, size_t *n, int64_t *total);
    int (*channel_all)(odb_t *db, channel_t **items, size_t *n);
    int (*config_version)(odb_t *db, int64_t *out);
    int (*security_insert)(odb_t *db, security_def_t *def);
    int (*security_update)(odb_t *db, security_def_t *def);
    int (*security_delete)(odb_t *db, int64_t id);
    int (*security_get)(odb_t *db, int64_t id, security_def_t *out);
    int (*security_get_by_name)(odb_t *db, int64_t cluster_id, const char *name,
                                security_def_t *out);
    int (*security_list)(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                         int64_t limit, security_def_t **items, size_t *n, int64_t *total);
    int (*security_channels)(odb_t *db, int64_t id, char ***names, size_t *n);
    int (*channel_state_set)(odb_t *db, const char *server, int64_t channel_id,
                             const char *state);
    int (*channel_state_get)(odb_t *db, const char *server, int64_t channel_id, char *out,
                             size_t cap);
    int (*channel_state_list)(odb_t *db, int64_t channel_id, channel_state_row_t **items,
                              size_t *n);
    int (*server_register)(odb_t *db, const server_row_t *me);
    int (*server_heartbeat)(odb_t *db, const char *name);
    int (*server_leave)(odb_t *db, const char *name);
    int (*server_list)(odb_t *db, int64_t cluster_id, server_row_t **items, size_t *n);
    int (*server_upsert)(odb_t *db, const char *name, const char *admin_addr);
    int (*admin_user_count)(odb_t *db, int64_t *out);
    int (*admin_user_create)(odb_t *db, const char *username, const char *hash);
    int (*admin_user_get_hash)(odb_t *db, const char *username, char *hash, size_t cap);
    int (*admin_user_set_hash)(odb_t *db, const char *username, const char *hash);
} odb_ops_t;

/* The first member of each backend's struct: odb.c sees only this. */
struct odb {
    const odb_ops_t *ops;
};

/* The backends' open functions; url has the backend's scheme (odb.c checked it). */
int odb_sqlite_open(const char *url, odb_t **out, char *err, size_t errlen);
int odb_pg_open(const char *url, odb_t **out, char *err, size_t errlen);

/* The PostgreSQL spelling of a migration written for SQLite (odb_pg.c holds the
 * list of differences). Returns a malloc'd string, NULL when out of memory. */
char *odb_pg_dialect(const char *sql);

/* More search terms than a person types; bounds the SQL built for a query. */
#define ODB_QUERY_TERMS_MAX 1000

/* A search term: a slice of the query, and whether it is a "-term". */
typedef struct odb_term {
    const char *p;
    int len;
    int negative;
} odb_term_t;

/* Split q (NULL: no terms) on whitespace into t, which has room for
 * odb_terms_cap(q) terms. Returns the number of terms; a lone "-" is a plain term. */
int odb_split_terms(const char *q, odb_term_t *t);
size_t odb_terms_cap(const char *q);

/* Copy n bytes of src (NULL: none) into dst (cap bytes), cut on a UTF-8 boundary
 * if too long: the stored values were validated to fit, so this only guards the
 * buffer. */
void odb_copy_text(char *dst, size_t cap, const char *src, size_t n);

#endif
