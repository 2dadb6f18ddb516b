/* odb.h - the operational database: channels, admin users, per-server channel
 * state and the config version, behind one interface with an SQLite backend
 * (odb_sqlite.c) and, later, PostgreSQL. An odb_t is used by one thread at a time
 * (the control thread); it is not thread-safe. Every write is one transaction,
 * durable when the call returns 0. */
#ifndef WSX_ODB_H
#define WSX_ODB_H

#include <stdint.h>
#include <stddef.h>
#include "channel/channel.h"

typedef struct odb odb_t;

/* Open (creating if needed) the ODB named by url ("sqlite:PATH") and bring its
 * schema up to date with the embedded migrations. On failure returns a negative
 * code and writes a sentence into err. The caller owns *out; odb_close frees it. */
int odb_open(const char *url, odb_t **out, char *err, size_t errlen);
void odb_close(odb_t *db);

/* The schema version after migrations (the highest applied NNN). */
int odb_schema_version(odb_t *db);

/* Insert a channel. ch->id, created_at and updated_at are set on success.
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

/* A counter bumped by every channel write, in the same transaction. */
int odb_config_version(odb_t *db, int64_t *out);

/* Per-server channel state ("listening", "inactive", "error: address in use"). */
int odb_channel_state_set(odb_t *db, const char *server, int64_t channel_id, const char *state);
int odb_channel_state_get(odb_t *db, const char *server, int64_t channel_id, char *out, size_t cap);

/* Register or refresh this server (name, admin address, heartbeat = now). */
int odb_server_upsert(odb_t *db, const char *name, const char *admin_addr);

/* Admin users. `hash` is a libsodium crypto_pwhash_str (Argon2id) string. */
int odb_admin_user_count(odb_t *db, int64_t *out);
int odb_admin_user_create(odb_t *db, const char *username, const char *hash);
int odb_admin_user_get_hash(odb_t *db, const char *username, char *hash, size_t cap);

#endif
