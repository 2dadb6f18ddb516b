/* odb.h - the operational database: channels, security definitions, admin users,
 * servers, per-server channel state and the config version, behind one interface with
 * two backends: SQLite (odb_sqlite.c, one server) and PostgreSQL (odb_pg.c, a cluster).
 * odb.c picks the backend from the URL. An odb_t is used by one thread at a time
 * (the control thread); it is not thread-safe. Every write is one transaction,
 * durable when the call returns 0. */
#ifndef WSX_ODB_H
#define WSX_ODB_H

#include <stdint.h>
#include <stddef.h>
#include "channel/channel.h"
#include "security/security.h"

typedef struct odb odb_t;

/* Bytes of the text fields of the rows below. */
#define ODB_SERVER_NAME_CAP 128
#define ODB_ADDRESS_CAP 300
#define ODB_HOST_CAP 256
#define ODB_TIME_CAP 40 /* an ISO 8601 UTC timestamp, as channel_t holds them */
#define ODB_STATE_CAP 160

/* A server of the cluster as its row says. Times are ISO 8601 UTC; "" for none. */
typedef struct server_row {
    char name[ODB_SERVER_NAME_CAP];
    char admin_address[ODB_ADDRESS_CAP]; /* e.g. "http://10.0.0.1:8183" */
    char bind_host[ODB_HOST_CAP];        /* --bind-host; "" = each channel's own host */
    char started_at[ODB_TIME_CAP];
    char last_heartbeat[ODB_TIME_CAP];
    char left_at[ODB_TIME_CAP];          /* "" unless the server left gracefully */
} server_row_t;

/* What one server did with one channel. */
typedef struct channel_state_row {
    char server[ODB_SERVER_NAME_CAP];
    char state[ODB_STATE_CAP]; /* "listening", "inactive", "error: ..." (cut to fit) */
    char updated_at[ODB_TIME_CAP];
} channel_state_row_t;

/* Open (creating if needed) the ODB named by url and bring its schema up to date
 * with the embedded migrations. url: "sqlite:PATH", or a libpq URI
 * "postgresql://USER@HOST:PORT/DB" ("postgres://" too; a password only through
 * PGPASSWORD, ~/.pgpass or the URI). On failure returns a negative code and writes
 * a sentence into err (never a password). The caller owns *out; odb_close frees it. */
int odb_open(const char *url, odb_t **out, char *err, size_t errlen);
void odb_close(odb_t *db);

/* Copy url into out (cap bytes, cut to fit) with any password replaced by "***":
 * what a log line or an error message may show of an ODB URL. */
void odb_url_redact(const char *url, char *out, size_t cap);

/* ---- the connection (PostgreSQL; SQLite has none to lose) ---------------------------- */

/* A descriptor the control loop watches for reading: it becomes readable when a
 * change notification arrived (another server committed a configuration change),
 * and when the connection broke. -1 for SQLite (the config version poll covers
 * it). The descriptor stays the same for the odb_t's life, across reconnections;
 * odb_close closes it (stop watching it first). */
int odb_listen_fd(odb_t *db);

/* Consume pending notifications, including those that arrived while another call
 * was waiting for its answer. Returns how many (> 0: run the reconciler), 0, or
 * WSX_EIO when the connection broke. SQLite: always 0. */
int odb_notifications(odb_t *db);

/* 1 while the connection is usable, 0 after it broke: then every other call
 * returns WSX_EIO at once, without waiting, until odb_reconnect succeeds.
 * SQLite: always 1. */
int odb_connected(odb_t *db);

/* Why the connection is down (a sentence without any password), "" when it is up.
 * Owned by db; valid until the next call on db. */
const char *odb_error(odb_t *db);

/* If the connection broke, try once to open it again (waits at most about 2 s for
 * the database to answer) and LISTEN again. Returns 0 when connected (a
 * notification is then pending, so the reconciler catches up on what it missed),
 * or WSX_EIO. SQLite: always 0. */
int odb_reconnect(odb_t *db);

/* The schema version after migrations (the highest applied NNN). */
int odb_schema_version(odb_t *db);

/* Insert a channel. ch->id, created_at and updated_at are set on success.
 * ch->security_id names its security definition (0: none); ch->security, the
 * definition's name, is ignored on write and filled on every read.
 * WSX_EEXIST if the name is used in the cluster (*conflict gets that channel's
 * name), WSX_EPORTUSED if the address's port is (*conflict gets the name of the
 * channel holding it). conflict may be NULL; it has CHANNEL_NAME_MAX*4+1 bytes. */
int odb_channel_insert(odb_t *db, channel_t *ch, char *conflict);

/* Replace every stored field of channel ch->id (updated_at is set). Same errors
 * as insert (the channel itself never conflicts), WSX_ENOTFOUND if no such id. */
int odb_channel_update(odb_t *db, channel_t *ch, char *conflict);

/* Delete a channel and its state rows. WSX_ENOTFOUND if no such id. */
int odb_channel_delete(odb_t *db, int64_t id);

/* Read one channel, by id or by name within a cluster. WSX_ENOTFOUND if none.
 * ch->state is left empty: state is per server (odb_channel_state_get). */
int odb_channel_get(odb_t *db, int64_t id, channel_t *out);
int odb_channel_get_by_name(odb_t *db, int64_t cluster_id, const char *name, channel_t *out);

/* List a cluster's channels ordered by name. `query`: NULL or a string split on
 * whitespace; every term must occur in the name (case-insensitive), a term starting
 * with '-' must not. offset/limit page the result (limit 0: all); *total counts
 * every match. *items is malloc'd (caller frees), *n its length. */
int odb_channel_list(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                     int64_t limit, channel_t **items, size_t *n, int64_t *total);

/* Every channel of every cluster (the reconciler's desired state). */
int odb_channel_all(odb_t *db, channel_t **items, size_t *n);

/* A counter bumped by every channel and security definition write, in the same
 * transaction: a server that sees it move reloads channels and credentials. */
int odb_config_version(odb_t *db, int64_t *out);

/* Security definitions. def->hash holds the Argon2id string (basic_auth, apikey),
 * def->sealed the encrypted JWT secret (jwt); "" is stored as NULL. Nothing here
 * hashes or seals: the caller stores what security.h made.
 * Insert sets def->id, created_at and updated_at; WSX_EEXIST if the name is used
 * in the cluster, WSX_EINVAL if the row breaks the table's rules (a basic_auth
 * without username or hash, a jwt without sealed secret, ...). */
int odb_security_insert(odb_t *db, security_def_t *def);

/* Replace every stored field of definition def->id (updated_at is set,
 * created_at read back). Same errors as insert, WSX_ENOTFOUND if no such id. */
int odb_security_update(odb_t *db, security_def_t *def);

/* Delete a definition. WSX_ENOTFOUND if no such id, WSX_EBUSY if a channel uses
 * it (odb_security_channels says which). */
int odb_security_delete(odb_t *db, int64_t id);

/* Read one definition, by id or by name within a cluster. WSX_ENOTFOUND if none. */
int odb_security_get(odb_t *db, int64_t id, security_def_t *out);
int odb_security_get_by_name(odb_t *db, int64_t cluster_id, const char *name, security_def_t *out);

/* List a cluster's definitions ordered by name; query, paging and ownership as in
 * odb_channel_list. */
int odb_security_list(odb_t *db, int64_t cluster_id, const char *query, int64_t offset,
                      int64_t limit, security_def_t **items, size_t *n, int64_t *total);

/* The names of the channels using definition id, ordered by name. *names is one
 * malloc'd block (the caller frees it with one free()) of *n pointers to the
 * names, which live in the same block; NULL when *n is 0. */
int odb_security_channels(odb_t *db, int64_t id, char ***names, size_t *n);

/* Per-server channel state ("listening", "inactive", "error: address in use").
 * set: WSX_ENOTFOUND if the channel does not exist (any more). */
int odb_channel_state_set(odb_t *db, const char *server, int64_t channel_id, const char *state);
int odb_channel_state_get(odb_t *db, const char *server, int64_t channel_id, char *out, size_t cap);

/* The state of channel_id on every server that reported one, ordered by server
 * name (none: *n is 0, *items NULL). *items is malloc'd (caller frees). */
int odb_channel_state_list(odb_t *db, int64_t channel_id, channel_state_row_t **items, size_t *n);

/* Servers (in cluster 1, the only cluster so far). */

/* Register this server, or register it again under the same name: admin address,
 * bind host ("" for none), started_at (me->started_at; "" means now), heartbeat =
 * now, left_at cleared. WSX_EINVAL without a name or admin address. */
int odb_server_register(odb_t *db, const server_row_t *me);

/* last_heartbeat = now. WSX_ENOTFOUND if no server has that name. */
int odb_server_heartbeat(odb_t *db, const char *name);

/* left_at = now: the server left on purpose and is not coming back under that
 * start. WSX_ENOTFOUND if no server has that name. */
int odb_server_leave(odb_t *db, const char *name);

/* A cluster's servers ordered by name. *items is malloc'd (caller frees). */
int odb_server_list(odb_t *db, int64_t cluster_id, server_row_t **items, size_t *n);

/* Register or refresh a server by name and admin address only (heartbeat = now;
 * started_at = now for a new row, kept otherwise). The form before membership;
 * odb_server_register and odb_server_heartbeat say more. */
int odb_server_upsert(odb_t *db, const char *name, const char *admin_addr);

/* Admin users. `hash` is a libsodium crypto_pwhash_str (Argon2id) string. */
int odb_admin_user_count(odb_t *db, int64_t *out);
int odb_admin_user_create(odb_t *db, const char *username, const char *hash);
int odb_admin_user_get_hash(odb_t *db, const char *username, char *hash, size_t cap);
/* Replace a user's hash. WSX_ENOTFOUND if no such user. */
int odb_admin_user_set_hash(odb_t *db, const char *username, const char *hash);

#endif
