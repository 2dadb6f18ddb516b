/* odb_sqlite.c - the SQLite backend of odb.h (one server): a file under the data
 * directory, in WAL mode with synchronous=FULL so that a write acknowledged with 0
 * survives a SIGKILL or a power cut. Each write is one IMMEDIATE transaction
 * (configuration writes bump config_version inside it); statements are prepared
 * once per odb_t. */
#include "odb/odb_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common/err.h"
#include "common/isotime.h"
#include "odb_migrations.h"

#define ODB_BUSY_TIMEOUT_MS 5000
/* Bytes of a timestamp buffer, as channel_t and security_def_t hold them. */
#define TIME_CAP sizeof(((channel_t *)0)->created_at)
_Static_assert(sizeof(((channel_t *)0)->updated_at) == TIME_CAP &&
                   sizeof(((security_def_t *)0)->created_at) == TIME_CAP &&
                   sizeof(((security_def_t *)0)->updated_at) == TIME_CAP,
               "finish_insert and finish_update copy TIME_CAP bytes into each");

/* Column order shared by every SELECT of a channel and by read_channel(). The
 * security definition's name comes from the row the channel's key points at. */
#define CH_COLS                                                                                    \
    "c.id, c.cluster_id, c.name, c.is_active, c.address, c.service, s.name, c.data_format, "       \
    "c.new_token_wait_time, c.token_ttl, c.ping_interval, c.pings_missed_threshold, "              \
    "c.max_message_size, c.created_at, c.updated_at, c.security_id, c.hook_service, "              \
    "c.gateway_services, c.log_messages, c.tls_cert, c.tls_key, c.permessage_deflate, "            \
    "c.deflate_max_window_bits, c.max_connections, c.slow_consumer_policy, "                       \
    "c.slow_consumer_seconds, c.write_queue_high_water"
#define CH_FROM " FROM channel c LEFT JOIN security_definition s ON s.id = c.security_id"

/* Likewise for security definitions and read_security(). */
#define SEC_COLS                                                                                   \
    "id, cluster_id, name, type, username, password_hash, secret_sealed, created_at, updated_at"

enum stmt_id {
    ST_BEGIN_WRITE,
    ST_BEGIN_READ,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_CH_INSERT,
    ST_CH_UPDATE,
    ST_CH_DELETE,
    ST_CH_STATE_DELETE,
    ST_CH_GET,
    ST_CH_GET_BY_NAME,
    ST_CH_ALL,
    ST_CH_CREATED_AT,
    ST_CH_NAME_CONFLICT,
    ST_CH_PORT_CONFLICT,
    ST_VERSION_BUMP,
    ST_VERSION_GET,
    ST_STATE_SET,
    ST_STATE_GET,
    ST_SERVER_UPSERT,
    ST_SERVER_REGISTER,
    ST_SERVER_HEARTBEAT,
    ST_SERVER_LEAVE,
    ST_SERVER_LIST,
    ST_STATE_LIST,
    ST_USER_COUNT,
    ST_USER_CREATE,
    ST_USER_GET,
    ST_USER_SET,
    ST_SEC_INSERT,
    ST_SEC_UPDATE,
    ST_SEC_DELETE,
    ST_SEC_GET,
    ST_SEC_GET_BY_NAME,
    ST_SEC_CREATED_AT,
    ST_SEC_USED,
    ST_SEC_CHANNELS,
    ST_COUNT
};

/* Insert and update bind the same numbered parameters (see bind_channel). */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN_WRITE] = "BEGIN IMMEDIATE",
    [ST_BEGIN_READ] = "BEGIN",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    [ST_CH_INSERT] = "INSERT INTO channel (cluster_id, name, is_active, address, host, port, path, "
                     "service, security_id, data_format, new_token_wait_time, token_ttl, "
                     "ping_interval, pings_missed_threshold, max_message_size, created_at, "
                     "updated_at, hook_service, gateway_services, log_messages, tls_cert, tls_key, "
                     "permessage_deflate, deflate_max_window_bits, max_connections, "
                     "slow_consumer_policy, slow_consumer_seconds, write_queue_high_water) VALUES "
                     "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?16, "
                     "?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)",
    [ST_CH_UPDATE] = "UPDATE channel SET cluster_id = ?1, name = ?2, is_active = ?3, address = ?4, "
                     "host = ?5, port = ?6, path = ?7, service = ?8, security_id = ?9, "
                     "data_format = ?10, new_token_wait_time = ?11, token_ttl = ?12, "
                     "ping_interval = ?13, pings_missed_threshold = ?14, max_message_size = ?15, "
                     "updated_at = ?16, hook_service = ?17, gateway_services = ?18, "
                     "log_messages = ?19, tls_cert = ?20, tls_key = ?21, permessage_deflate = ?22, "
                     "deflate_max_window_bits = ?23, max_connections = ?24, "
                     "slow_consumer_policy = ?25, slow_consumer_seconds = ?26, "
                     "write_queue_high_water = ?27 WHERE id = ?28",
    [ST_CH_DELETE] = "DELETE FROM channel WHERE id = ?1",
    [ST_CH_STATE_DELETE] = "DELETE FROM channel_state WHERE channel_id = ?1",
    [ST_CH_GET] = "SELECT " CH_COLS CH_FROM " WHERE c.id = ?1",
    [ST_CH_GET_BY_NAME] = "SELECT " CH_COLS CH_FROM " WHERE c.cluster_id = ?1 AND c.name = ?2",
    [ST_CH_ALL] = "SELECT " CH_COLS CH_FROM " ORDER BY c.cluster_id, c.id",
    [ST_CH_CREATED_AT] = "SELECT created_at FROM channel WHERE id = ?1",
    [ST_CH_NAME_CONFLICT] =
        "SELECT name FROM channel WHERE cluster_id = ?1 AND name = ?2 AND id <> ?3",
    [ST_CH_PORT_CONFLICT] =
        "SELECT name FROM channel WHERE cluster_id = ?1 AND port = ?2 AND id <> ?3",
    [ST_VERSION_BUMP] = "UPDATE config_version SET version = version + 1 WHERE id = 1",
    [ST_VERSION_GET] = "SELECT version FROM config_version WHERE id = 1",
    [ST_STATE_SET] = "INSERT INTO channel_state (server_name, channel_id, state, updated_at) "
                     "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (server_name, channel_id) DO UPDATE SET "
                     "state = excluded.state, updated_at = excluded.updated_at",
    [ST_STATE_GET] = "SELECT state FROM channel_state WHERE server_name = ?1 AND channel_id = ?2",
    [ST_SERVER_UPSERT] = "INSERT INTO server (cluster_id, name, admin_address, last_heartbeat, "
                         "started_at) VALUES (1, ?1, ?2, ?3, ?3) ON CONFLICT (name) DO UPDATE SET "
                         "admin_address = excluded.admin_address, "
                         "last_heartbeat = excluded.last_heartbeat",
    [ST_SERVER_REGISTER] =
        "INSERT INTO server (cluster_id, name, admin_address, bind_host, started_at, "
        "last_heartbeat, left_at) VALUES (1, ?1, ?2, ?3, ?4, ?5, NULL) ON CONFLICT (name) DO "
        "UPDATE SET admin_address = excluded.admin_address, bind_host = excluded.bind_host, "
        "started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat, "
        "left_at = NULL",
    [ST_SERVER_HEARTBEAT] = "UPDATE server SET last_heartbeat = ?2 WHERE name = ?1",
    [ST_SERVER_LEAVE] = "UPDATE server SET left_at = ?2 WHERE name = ?1",
    [ST_SERVER_LIST] = "SELECT name, admin_address, bind_host, started_at, last_heartbeat, "
                       "left_at FROM server WHERE cluster_id = ?1 ORDER BY name",
    [ST_STATE_LIST] = "SELECT server_name, state, updated_at FROM channel_state "
                      "WHERE channel_id = ?1 ORDER BY server_name",
    [ST_USER_COUNT] = "SELECT COUNT(*) FROM admin_user",
    [ST_USER_CREATE] = "INSERT INTO admin_user (username, password_hash, created_at) "
                       "VALUES (?1, ?2, ?3)",
    [ST_USER_GET] = "SELECT password_hash FROM admin_user WHERE username = ?1",
    [ST_USER_SET] = "UPDATE admin_user SET password_hash = ?2 WHERE username = ?1",
    [ST_SEC_INSERT] = "INSERT INTO security_definition (cluster_id, name, type, username, "
                      "password_hash, secret_sealed, created_at, updated_at) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
    [ST_SEC_UPDATE] = "UPDATE security_definition SET cluster_id = ?1, name = ?2, type = ?3, "
                      "username = ?4, password_hash = ?5, secret_sealed = ?6, updated_at = ?7 "
                      "WHERE id = ?8",
    [ST_SEC_DELETE] = "DELETE FROM security_definition WHERE id = ?1",
    [ST_SEC_GET] = "SELECT " SEC_COLS " FROM security_definition WHERE id = ?1",
    [ST_SEC_GET_BY_NAME] =
        "SELECT " SEC_COLS " FROM security_definition WHERE cluster_id = ?1 AND name = ?2",
    [ST_SEC_CREATED_AT] = "SELECT created_at FROM security_definition WHERE id = ?1",
    [ST_SEC_USED] = "SELECT COUNT(*) FROM channel WHERE security_id = ?1",
    [ST_SEC_CHANNELS] =
        "SELECT name FROM channel WHERE security_id = ?1 ORDER BY lower(name), name",
};

typedef struct sq {
    odb_t base; /* first: odb.c sees an odb_t */
    sqlite3 *db;
    int schema_version;
    sqlite3_stmt *stmt[ST_COUNT]; /* prepared on first use, finalized by odb_close */
} sq_t;

static const odb_ops_t sqlite_ops;
static void sq_close(odb_t *base);

static void col_text(sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const char *t = (const char *)sqlite3_column_text(st, i);
    odb_copy_text(dst, cap, t, (size_t)sqlite3_column_bytes(st, i));
}

/* The cached statement id, prepared on first use; NULL only if preparing fails
 * (a schema or programming error, reported as WSX_EIO). */
static sqlite3_stmt *stmt(sq_t *db, enum stmt_id id)
{
    if (!db->stmt[id] && sqlite3_prepare_v3(db->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                                            &db->stmt[id], NULL) != SQLITE_OK)
        return NULL;
    return db->stmt[id];
}

/* Step a statement that returns no rows and reset it for the next use. Returns
 * SQLITE_DONE or the (extended) error code. */
static int run(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc;
}

static void done(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

static int exec_stmt(sq_t *db, enum stmt_id id)
{
    sqlite3_stmt *st = stmt(db, id);
    return st && run(st) == SQLITE_DONE ? 0 : WSX_EIO;
}

static int tx_begin_write(sq_t *db)
{
    return exec_stmt(db, ST_BEGIN_WRITE);
}

static void tx_rollback(sq_t *db)
{
    /* A failed COMMIT or an error may already have ended the transaction. */
    if (!sqlite3_get_autocommit(db->db))
        exec_stmt(db, ST_ROLLBACK);
}

static int tx_commit(sq_t *db)
{
    int rc = exec_stmt(db, ST_COMMIT);
    if (rc)
        tx_rollback(db);
    return rc;
}

/* ---- open, migrations, close ---------------------------------------------------- */

/* Create the database file with mode 0600 before SQLite sees it (SQLite would
 * create it 0644, and gives its -wal and -shm files the main file's mode), and
 * make the new directory entry durable. An existing file is left as it is. */
static int create_file(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return 0;
        if (errno == ENOENT)
            return wsx_errf(
                err, errlen, WSX_EIO,
                "cannot create the ODB file %s: its directory does not exist (create it "
                "first)",
                path);
        return wsx_errf(err, errlen, WSX_EIO, "cannot create the ODB file %s: %s", path,
                        strerror(errno));
    }
    int rc = fsync(fd);
    close(fd);
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        rc |= fsync(dfd);
        close(dfd);
    }
    if (rc)
        return wsx_errf(err, errlen, WSX_EIO, "cannot sync the new ODB file %s: %s", path,
                        strerror(errno));
    return 0;
}

/* Run a PRAGMA and copy the first column of its first row into out (may be
 * NULL). Returns the SQLite result code. */
static int pragma(sq_t *db, const char *sql, char *out, size_t cap)
{
    sqlite3_stmt *st;
    int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
    if (rc != SQLITE_OK)
        return rc;
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && out)
        col_text(st, 0, out, cap);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Highest applied migration, 0 for a new database, negative on error. */
static int applied_version(sq_t *db)
{
    sqlite3_stmt *st;
    const char *sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = "
                      "'schema_version'";
    if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK)
        return WSX_EIO;
    int exists = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
    sqlite3_finalize(st);
    if (!exists)
        return 0;
    if (sqlite3_prepare_v2(db->db, "SELECT COALESCE(MAX(version), 0) FROM schema_version", -1, &st,
                           NULL) != SQLITE_OK)
        return WSX_EIO;
    int v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : WSX_EIO;
    sqlite3_finalize(st);
    return v;
}

/* Apply each embedded migration newer than the database, each in its own
 * transaction together with its schema_version row, so that a crash leaves the
 * schema at a whole version. The version is read again under the write lock: two
 * servers starting at once apply a migration once. */
static int migrate(sq_t *db, const char *path, char *err, size_t errlen)
{
    int newest = 0;
    for (size_t i = 0; i < ODB_MIGRATIONS_COUNT; i++)
        if (odb_migrations[i].version > newest)
            newest = odb_migrations[i].version;

    for (size_t i = 0; i < ODB_MIGRATIONS_COUNT; i++) {
        const odb_migration_t *m = &odb_migrations[i];
        if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            return wsx_errf(err, errlen, WSX_EIO, "cannot lock the ODB %s: %s", path,
                            sqlite3_errmsg(db->db));
        int have = applied_version(db);
        if (have < 0) {
            tx_rollback(db);
            return wsx_errf(err, errlen, WSX_EIO, "cannot read the schema version of %s: %s", path,
                            sqlite3_errmsg(db->db));
        }
        if (have > newest) {
            tx_rollback(db);
            return wsx_errf(
                err, errlen, WSX_EINVAL,
                "the ODB %s has schema version %d but this wsx knows versions up to %d; "
                "run a newer wsx",
                path, have, newest);
        }
        if (m->version <= have) {
            sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
            continue;
        }
        char *msg = NULL;
        if (sqlite3_exec(db->db, m->sql, NULL, NULL, &msg) != SQLITE_OK) {
            int rc = wsx_errf(err, errlen, WSX_EIO, "ODB migration %s failed: %s", m->name,
                              msg ? msg : sqlite3_errmsg(db->db));
            sqlite3_free(msg);
            tx_rollback(db);
            return rc;
        }
        sqlite3_stmt *st;
        char now[TIME_CAP];
        isotime_now(now);
        int rc = sqlite3_prepare_v2(db->db,
                                    "INSERT INTO schema_version (version, name, applied_at) "
                                    "VALUES (?1, ?2, ?3)",
                                    -1, &st, NULL);
        if (rc == SQLITE_OK) {
            sqlite3_bind_int(st, 1, m->version);
            sqlite3_bind_text(st, 2, m->name, -1, SQLITE_STATIC);
            sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
            rc = sqlite3_step(st);
            sqlite3_finalize(st);
        }
        if ((rc != SQLITE_OK && rc != SQLITE_DONE) ||
            sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            int e = wsx_errf(err, errlen, WSX_EIO, "ODB migration %s failed: %s", m->name,
                             sqlite3_errmsg(db->db));
            tx_rollback(db);
            return e;
        }
    }
    db->schema_version = applied_version(db);
    if (db->schema_version < 0)
        return wsx_errf(err, errlen, WSX_EIO, "cannot read the schema version of %s: %s", path,
                        sqlite3_errmsg(db->db));
    return 0;
}

int odb_sqlite_open(const char *url, odb_t **out, char *err, size_t errlen)
{
    *out = NULL;
    const char *path = url + 7;
    if (!*path)
        return wsx_errf(err, errlen, WSX_EINVAL,
                        "the ODB URL \"%s\" has no file path; use sqlite:PATH", url);

    int rc = create_file(path, err, errlen);
    if (rc)
        return rc;

    sq_t *db = calloc(1, sizeof *db);
    if (!db)
        return wsx_errf(err, errlen, WSX_ENOMEM, "out of memory opening the ODB");
    db->base.ops = &sqlite_ops;
    /* No SQLITE_OPEN_URI: the path is a file name, whatever characters it holds.
     * NOMUTEX: an odb_t is used by one thread at a time. */
    if (sqlite3_open_v2(path, &db->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                        NULL) != SQLITE_OK) {
        rc = wsx_errf(err, errlen, WSX_EIO, "cannot open the ODB %s: %s", path,
                      db->db ? sqlite3_errmsg(db->db) : "out of memory");
        sq_close(&db->base);
        return rc;
    }
    sqlite3_busy_timeout(db->db, ODB_BUSY_TIMEOUT_MS);

    char mode[16] = "";
    /* The first read of the file: this is where "not a database" shows. */
    if (pragma(db, "PRAGMA journal_mode = WAL", mode, sizeof mode) != SQLITE_OK) {
        rc = wsx_errf(err, errlen, WSX_EIO, "cannot use %s as the ODB: %s", path,
                      sqlite3_errmsg(db->db));
        sq_close(&db->base);
        return rc;
    }
    if (strcmp(mode, "wal") != 0) {
        rc = wsx_errf(err, errlen, WSX_EIO,
                      "cannot switch the ODB %s to WAL mode (journal mode is \"%s\"); is it on a "
                      "file system without shared memory support?",
                      path, mode);
        sq_close(&db->base);
        return rc;
    }
    /* FULL: in WAL mode, NORMAL may lose the last commits on power loss; an
     * acknowledged configuration change must not disappear. */
    if (pragma(db, "PRAGMA synchronous = FULL", NULL, 0) != SQLITE_OK ||
        pragma(db, "PRAGMA foreign_keys = ON", NULL, 0) != SQLITE_OK) {
        rc = wsx_errf(err, errlen, WSX_EIO, "cannot configure the ODB %s: %s", path,
                      sqlite3_errmsg(db->db));
        sq_close(&db->base);
        return rc;
    }

    rc = migrate(db, path, err, errlen);
    if (rc) {
        sq_close(&db->base);
        return rc;
    }
    *out = &db->base;
    return 0;
}

static void sq_close(odb_t *base)
{
    sq_t *db = (sq_t *)base;
    if (!db)
        return;
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    sqlite3_close(db->db);
    free(db);
}

static int sq_schema_version(odb_t *base)
{
    sq_t *db = (sq_t *)base;
    return db->schema_version;
}

/* ---- channels --------------------------------------------------------------------- */

static void read_channel(sqlite3_stmt *st, channel_t *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->id = sqlite3_column_int64(st, 0);
    ch->cluster_id = sqlite3_column_int64(st, 1);
    col_text(st, 2, ch->name, sizeof ch->name);
    ch->is_active = sqlite3_column_int(st, 3) != 0;
    col_text(st, 4, ch->address, sizeof ch->address);
    col_text(st, 5, ch->service, sizeof ch->service);
    col_text(st, 6, ch->security, sizeof ch->security);
    col_text(st, 7, ch->data_format, sizeof ch->data_format);
    ch->new_token_wait_time = sqlite3_column_int64(st, 8);
    ch->token_ttl = sqlite3_column_int64(st, 9);
    ch->ping_interval = sqlite3_column_int64(st, 10);
    ch->pings_missed_threshold = sqlite3_column_int64(st, 11);
    ch->max_message_size = sqlite3_column_int64(st, 12);
    col_text(st, 13, ch->created_at, sizeof ch->created_at);
    col_text(st, 14, ch->updated_at, sizeof ch->updated_at);
    ch->security_id = sqlite3_column_int64(st, 15); /* NULL reads as 0: none */
    col_text(st, 16, ch->hook_service, sizeof ch->hook_service);
    col_text(st, 17, ch->gateway_services, sizeof ch->gateway_services);
    ch->log_messages = sqlite3_column_int64(st, 18);
    col_text(st, 19, ch->tls_cert, sizeof ch->tls_cert);
    col_text(st, 20, ch->tls_key, sizeof ch->tls_key);
    ch->permessage_deflate = sqlite3_column_int(st, 21) != 0;
    ch->deflate_max_window_bits = sqlite3_column_int64(st, 22);
    ch->max_connections = sqlite3_column_int64(st, 23);
    col_text(st, 24, ch->slow_consumer_policy, sizeof ch->slow_consumer_policy);
    ch->slow_consumer_seconds = sqlite3_column_int64(st, 25);
    ch->write_queue_high_water = sqlite3_column_int64(st, 26);
}

/* Parameters ?1..?27 of ST_CH_INSERT and ST_CH_UPDATE. Strings are SQLITE_STATIC:
 * ch and a outlive the statement's use. The definition is written by id only
 * (ch->security, its name, is what reads show). */
static void bind_channel(sqlite3_stmt *st, const channel_t *ch, const channel_addr_t *a,
                         const char *now)
{
    sqlite3_bind_int64(st, 1, ch->cluster_id);
    sqlite3_bind_text(st, 2, ch->name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, ch->is_active ? 1 : 0);
    sqlite3_bind_text(st, 4, ch->address, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, a->host, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 6, a->port);
    sqlite3_bind_text(st, 7, a->path, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, ch->service, -1, SQLITE_STATIC);
    if (ch->security_id > 0)
        sqlite3_bind_int64(st, 9, ch->security_id);
    else
        sqlite3_bind_null(st, 9);
    sqlite3_bind_text(st, 10, ch->data_format, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, ch->new_token_wait_time);
    sqlite3_bind_int64(st, 12, ch->token_ttl);
    sqlite3_bind_int64(st, 13, ch->ping_interval);
    sqlite3_bind_int64(st, 14, ch->pings_missed_threshold);
    sqlite3_bind_int64(st, 15, ch->max_message_size);
    sqlite3_bind_text(st, 16, now, -1, SQLITE_STATIC);
    if (ch->hook_service[0])
        sqlite3_bind_text(st, 17, ch->hook_service, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, 17);
    sqlite3_bind_text(st, 18, ch->gateway_services, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 19, ch->log_messages);
    sqlite3_bind_text(st, 20, ch->tls_cert, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 21, ch->tls_key, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 22, ch->permessage_deflate ? 1 : 0);
    sqlite3_bind_int64(st, 23, ch->deflate_max_window_bits);
    sqlite3_bind_int64(st, 24, ch->max_connections);
    sqlite3_bind_text(st, 25, ch->slow_consumer_policy, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 26, ch->slow_consumer_seconds);
    sqlite3_bind_int64(st, 27, ch->write_queue_high_water);
}

/* Look up a channel other than self_id with this cluster and name (or port) and
 * copy its name into conflict. 1 if found, 0 if not, WSX_EIO on error. */
static int find_conflict(sq_t *db, enum stmt_id id, int64_t cluster_id, const char *name, int port,
                         int64_t self_id, char *conflict)
{
    sqlite3_stmt *st = stmt(db, id);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, cluster_id);
    if (id == ST_CH_NAME_CONFLICT)
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int(st, 2, port);
    sqlite3_bind_int64(st, 3, self_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && conflict)
        col_text(st, 0, conflict, CHANNEL_NAME_MAX * 4 + 1);
    done(st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : WSX_EIO;
}

/* Turn a failed channel INSERT/UPDATE into a WSX code. For a unique violation,
 * ask the database which channel holds the name or the port (rather than parse
 * SQLite's message); called inside the still-open transaction, so the answer is
 * the one that made the statement fail. */
static int map_write_error(sq_t *db, int rc, const channel_t *ch, const channel_addr_t *a,
                           char *conflict)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: {
        int r =
            find_conflict(db, ST_CH_NAME_CONFLICT, ch->cluster_id, ch->name, 0, ch->id, conflict);
        if (r)
            return r > 0 ? WSX_EEXIST : r;
        r = find_conflict(db, ST_CH_PORT_CONFLICT, ch->cluster_id, NULL, a->port, ch->id, conflict);
        if (r)
            return r > 0 ? WSX_EPORTUSED : r;
        return WSX_EIO;
    }
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_FOREIGNKEY: /* no such cluster or security definition */
        return WSX_EINVAL;
    default:
        return WSX_EIO;
    }
}

static int bump_config_version(sq_t *db)
{
    return exec_stmt(db, ST_VERSION_BUMP);
}

/* The end of every write that changes configuration: bump config_version (so that
 * other servers see the change) and commit; on failure roll back. Returns 0 or
 * WSX_EIO. */
static int commit_write(sq_t *db)
{
    if (bump_config_version(db) || tx_commit(db)) {
        tx_rollback(db);
        return WSX_EIO;
    }
    return 0;
}

/* The end of a DELETE inside the write transaction, rc its result so far:
 * WSX_ENOTFOUND when it removed no row, else commit_write; rolled back on failure. */
static int finish_delete(sq_t *db, int rc)
{
    if (!rc && sqlite3_changes(db->db) == 0)
        rc = WSX_ENOTFOUND;
    if (rc) {
        tx_rollback(db);
        return rc;
    }
    return commit_write(db);
}

/* The end of an INSERT: the new row's id into *id and `now` as its created_at and
 * updated_at (each TIME_CAP bytes), once commit_write succeeded. */
static int finish_insert(sq_t *db, const char *now, int64_t *id, char *created_at, char *updated_at)
{
    int64_t rowid = sqlite3_last_insert_rowid(db->db);
    if (commit_write(db))
        return WSX_EIO;
    *id = rowid;
    memcpy(created_at, now, TIME_CAP);
    memcpy(updated_at, now, TIME_CAP);
    return 0;
}

/* The end of an UPDATE of row `id` inside the write transaction: WSX_ENOTFOUND
 * (rolled back) when it changed no row; else commit_write, and then the row's
 * created_at (read with `cr`, a "SELECT created_at ... WHERE id = ?1") and `now` as
 * its updated_at (each TIME_CAP bytes). */
static int finish_update(sq_t *db, sqlite3_stmt *cr, int64_t id, const char *now, char *created_at,
                         char *updated_at)
{
    char created[TIME_CAP] = "";
    if (sqlite3_changes(db->db) == 0) {
        tx_rollback(db);
        return WSX_ENOTFOUND;
    }
    sqlite3_bind_int64(cr, 1, id);
    if (sqlite3_step(cr) == SQLITE_ROW)
        col_text(cr, 0, created, sizeof created);
    done(cr);
    if (commit_write(db))
        return WSX_EIO;
    memcpy(created_at, created, TIME_CAP);
    memcpy(updated_at, now, TIME_CAP);
    return 0;
}

static int sq_channel_insert(odb_t *base, channel_t *ch, char *conflict)
{
    sq_t *db = (sq_t *)base;
    channel_addr_t a;
    channel_err_t e;
    if (channel_addr_parse(ch->address, &a, &e))
        return WSX_EINVAL;
    if (conflict)
        conflict[0] = '\0';
    char now[TIME_CAP];
    isotime_now(now);

    sqlite3_stmt *st = stmt(db, ST_CH_INSERT);
    if (!st || tx_begin_write(db))
        return WSX_EIO;
    bind_channel(st, ch, &a, now);
    int rc = run(st);
    if (rc != SQLITE_DONE) {
        channel_t probe = *ch;
        probe.id = 0; /* not yet a row: every other channel may conflict */
        int e2 = map_write_error(db, rc, &probe, &a, conflict);
        tx_rollback(db);
        return e2;
    }
    return finish_insert(db, now, &ch->id, ch->created_at, ch->updated_at);
}

static int sq_channel_update(odb_t *base, channel_t *ch, char *conflict)
{
    sq_t *db = (sq_t *)base;
    channel_addr_t a;
    channel_err_t e;
    if (channel_addr_parse(ch->address, &a, &e))
        return WSX_EINVAL;
    if (conflict)
        conflict[0] = '\0';
    char now[TIME_CAP];
    isotime_now(now);

    sqlite3_stmt *st = stmt(db, ST_CH_UPDATE);
    sqlite3_stmt *cr = stmt(db, ST_CH_CREATED_AT);
    if (!st || !cr || tx_begin_write(db))
        return WSX_EIO;
    bind_channel(st, ch, &a, now);
    sqlite3_bind_int64(st, 28, ch->id);
    int rc = run(st);
    if (rc != SQLITE_DONE) {
        int e2 = map_write_error(db, rc, ch, &a, conflict);
        tx_rollback(db);
        return e2;
    }
    return finish_update(db, cr, ch->id, now, ch->created_at, ch->updated_at);
}

static int sq_channel_delete(odb_t *base, int64_t id)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *sd = stmt(db, ST_CH_STATE_DELETE);
    sqlite3_stmt *cd = stmt(db, ST_CH_DELETE);
    if (!sd || !cd || tx_begin_write(db))
        return WSX_EIO;
    sqlite3_bind_int64(sd, 1, id);
    int rc = run(sd) == SQLITE_DONE ? 0 : WSX_EIO;
    if (!rc) {
        sqlite3_bind_int64(cd, 1, id);
        rc = run(cd) == SQLITE_DONE ? 0 : WSX_EIO;
    }
    return finish_delete(db, rc);
}

/* How to read one row into an element of a result (a channel_t, a security_def_t). */
typedef void (*read_row_fn)(sqlite3_stmt *st, void *elem);

/* Step a statement expected to return at most one row, read into *out. */
static int get_one(sqlite3_stmt *st, read_row_fn read, void *out)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        read(st, out);
    done(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? WSX_ENOTFOUND : WSX_EIO;
}

/* The row statement `sid` finds by its id (parameter 1). */
static int get_by_id(sq_t *db, enum stmt_id sid, read_row_fn read, int64_t id, void *out)
{
    sqlite3_stmt *st = stmt(db, sid);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, id);
    return get_one(st, read, out);
}

/* The row statement `sid` finds by cluster (parameter 1) and name (parameter 2). */
static int get_by_name(sq_t *db, enum stmt_id sid, read_row_fn read, int64_t cluster_id,
                       const char *name, void *out)
{
    sqlite3_stmt *st = stmt(db, sid);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, cluster_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    return get_one(st, read, out);
}

static void read_channel_row(sqlite3_stmt *st, void *elem)
{
    read_channel(st, elem);
}

static int sq_channel_get(odb_t *base, int64_t id, channel_t *out)
{
    sq_t *db = (sq_t *)base;
    return get_by_id(db, ST_CH_GET, read_channel_row, id, out);
}

static int sq_channel_get_by_name(odb_t *base, int64_t cluster_id, const char *name, channel_t *out)
{
    sq_t *db = (sq_t *)base;
    return get_by_name(db, ST_CH_GET_BY_NAME, read_channel_row, cluster_id, name, out);
}

/* Read every row of st into a malloc'd array of `size`-byte elements. */
static int collect_rows(sqlite3_stmt *st, size_t size, read_row_fn read, void **items, size_t *n)
{
    char *v = NULL;
    size_t len = 0, cap = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (len == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            char *nv = realloc(v, ncap * size);
            if (!nv) {
                free(v);
                return WSX_ENOMEM;
            }
            v = nv;
            cap = ncap;
        }
        read(st, v + len++ * size);
    }
    if (rc != SQLITE_DONE) {
        free(v);
        return WSX_EIO;
    }
    *items = v;
    *n = len;
    return 0;
}

static int collect(sqlite3_stmt *st, channel_t **items, size_t *n)
{
    void *v = NULL;
    int rc = collect_rows(st, sizeof **items, read_channel_row, &v, n);
    *items = v;
    return rc;
}

/* What a search reads: the columns of a row, FROM ..., and the table's alias. */
typedef struct search_src {
    const char *cols, *from, *alias;
} search_src_t;

static const search_src_t channel_src = {CH_COLS, CH_FROM, "c"};
static const search_src_t security_src = {SEC_COLS, " FROM security_definition d", "d"};

/* The statement for cluster and terms: parameter 1 is the cluster, 2..n+1 the
 * terms. instr() rather than LIKE so that '%' and '_' in a term are plain
 * characters; lower() folds ASCII only in SQLite. With `page`, the rows ordered
 * by name, LIMIT ?n+2 OFFSET ?n+3; without, their count. */
static int prepare_search(sq_t *db, const search_src_t *src, const odb_term_t *t, int n, int page,
                          sqlite3_stmt **out)
{
    const char *a = src->alias;
    sqlite3_str *sql = sqlite3_str_new(db->db);
    sqlite3_str_appendall(sql, "SELECT ");
    sqlite3_str_appendall(sql, page ? src->cols : "COUNT(*)");
    sqlite3_str_appendf(sql, "%s WHERE %s.cluster_id = ?1", src->from, a);
    for (int i = 0; i < n; i++)
        sqlite3_str_appendf(sql, " AND instr(lower(%s.name), lower(?%d)) %s", a, i + 2,
                            t[i].negative ? "= 0" : "> 0");
    /* lower(name) first: people read "alpha, Beta, gamma", not "Beta, alpha". */
    if (page)
        sqlite3_str_appendf(sql, " ORDER BY lower(%s.name), %s.name LIMIT ?%d OFFSET ?%d", a, a,
                            n + 2, n + 3);
    char *text = sqlite3_str_finish(sql);
    int rc = text ? sqlite3_prepare_v2(db->db, text, -1, out, NULL) : SQLITE_NOMEM;
    sqlite3_free(text);
    if (rc != SQLITE_OK)
        return WSX_EIO;
    return 0;
}

static void bind_terms(sqlite3_stmt *st, int64_t cluster_id, const odb_term_t *t, int n)
{
    sqlite3_bind_int64(st, 1, cluster_id);
    for (int i = 0; i < n; i++)
        sqlite3_bind_text(st, i + 2, t[i].p, t[i].len, SQLITE_STATIC);
}

/* A page of src's rows in a cluster matching query (see odb_channel_list), read
 * with `read` into a malloc'd array of `size`-byte elements. */
static int search(sq_t *db, const search_src_t *src, size_t size, read_row_fn read,
                  int64_t cluster_id, const char *query, int64_t offset, int64_t limit,
                  void **items, size_t *n, int64_t *total)
{
    *items = NULL;
    *n = 0;
    *total = 0;
    if (offset < 0 || limit < 0)
        return WSX_EINVAL;
    odb_term_t *terms = malloc(odb_terms_cap(query) * sizeof *terms);
    if (!terms)
        return WSX_ENOMEM;
    int nt = odb_split_terms(query, terms);
    /* Each term is a bound parameter; SQLite allows 32766 of them. */
    if (nt > ODB_QUERY_TERMS_MAX) {
        free(terms);
        return WSX_EINVAL;
    }

    /* Both statements depend on the number of terms, so they are built per call
     * rather than cached. One read transaction: the total and the page come from
     * one snapshot. */
    sqlite3_stmt *cs = NULL, *ls = NULL;
    int rc = exec_stmt(db, ST_BEGIN_READ);
    if (!rc)
        rc = prepare_search(db, src, terms, nt, 0, &cs);
    if (!rc)
        rc = prepare_search(db, src, terms, nt, 1, &ls);
    if (!rc) {
        bind_terms(cs, cluster_id, terms, nt);
        rc = sqlite3_step(cs) == SQLITE_ROW ? 0 : WSX_EIO;
    }
    if (!rc) {
        bind_terms(ls, cluster_id, terms, nt);
        sqlite3_bind_int64(ls, nt + 2, limit ? limit : -1); /* SQLite: -1 is no limit */
        sqlite3_bind_int64(ls, nt + 3, offset);
        rc = collect_rows(ls, size, read, items, n);
    }
    if (!rc)
        *total = sqlite3_column_int64(cs, 0);
    sqlite3_finalize(cs);
    sqlite3_finalize(ls);
    free(terms);
    if (!rc && exec_stmt(db, ST_COMMIT)) {
        free(*items);
        *items = NULL;
        *n = 0;
        rc = WSX_EIO;
    }
    tx_rollback(db);
    return rc;
}

static int sq_channel_list(odb_t *base, int64_t cluster_id, const char *query, int64_t offset,
                           int64_t limit, channel_t **items, size_t *n, int64_t *total)
{
    sq_t *db = (sq_t *)base;
    void *v = NULL;
    int rc = search(db, &channel_src, sizeof **items, read_channel_row, cluster_id, query, offset,
                    limit, &v, n, total);
    *items = v;
    return rc;
}

static int sq_channel_all(odb_t *base, channel_t **items, size_t *n)
{
    sq_t *db = (sq_t *)base;
    *items = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(db, ST_CH_ALL);
    if (!st)
        return WSX_EIO;
    int rc = collect(st, items, n);
    done(st);
    return rc;
}

static int sq_config_version(odb_t *base, int64_t *out)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *st = stmt(db, ST_VERSION_GET);
    if (!st)
        return WSX_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    done(st);
    return rc == SQLITE_ROW ? 0 : WSX_EIO;
}

/* ---- security definitions ------------------------------------------------------------ */

static void read_security(sqlite3_stmt *st, security_def_t *d)
{
    char type[16];
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    d->cluster_id = sqlite3_column_int64(st, 1);
    col_text(st, 2, d->name, sizeof d->name);
    col_text(st, 3, type, sizeof type);
    d->type = security_type_parse(type);
    col_text(st, 4, d->username, sizeof d->username);
    col_text(st, 5, d->hash, sizeof d->hash);
    col_text(st, 6, d->sealed, sizeof d->sealed);
    col_text(st, 7, d->created_at, sizeof d->created_at);
    col_text(st, 8, d->updated_at, sizeof d->updated_at);
}

static void read_security_row(sqlite3_stmt *st, void *elem)
{
    read_security(st, elem);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s[0])
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Parameters ?1..?7 of ST_SEC_INSERT and ST_SEC_UPDATE. */
static int bind_security(sqlite3_stmt *st, const security_def_t *d, const char *now)
{
    const char *type = security_type_name(d->type);
    if (!type)
        return WSX_EINVAL;
    sqlite3_bind_int64(st, 1, d->cluster_id);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
    bind_text_or_null(st, 4, d->username);
    bind_text_or_null(st, 5, d->hash);
    bind_text_or_null(st, 6, d->sealed);
    sqlite3_bind_text(st, 7, now, -1, SQLITE_STATIC);
    return 0;
}

static int map_security_error(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE: /* the only unique key besides the id: (cluster, name) */
        return WSX_EEXIST;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
    case SQLITE_CONSTRAINT_FOREIGNKEY: /* no such cluster */
        return WSX_EINVAL;
    default:
        return WSX_EIO;
    }
}

static int sq_security_insert(odb_t *base, security_def_t *def)
{
    sq_t *db = (sq_t *)base;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_stmt *st = stmt(db, ST_SEC_INSERT);
    if (!st)
        return WSX_EIO;
    if (bind_security(st, def, now)) {
        done(st);
        return WSX_EINVAL;
    }
    if (tx_begin_write(db)) {
        done(st);
        return WSX_EIO;
    }
    int rc = run(st);
    if (rc != SQLITE_DONE) {
        tx_rollback(db);
        return map_security_error(rc);
    }
    return finish_insert(db, now, &def->id, def->created_at, def->updated_at);
}

static int sq_security_update(odb_t *base, security_def_t *def)
{
    sq_t *db = (sq_t *)base;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_stmt *st = stmt(db, ST_SEC_UPDATE);
    sqlite3_stmt *cr = stmt(db, ST_SEC_CREATED_AT);
    if (!st || !cr)
        return WSX_EIO;
    if (bind_security(st, def, now)) {
        done(st);
        return WSX_EINVAL;
    }
    sqlite3_bind_int64(st, 8, def->id);
    if (tx_begin_write(db)) {
        done(st);
        return WSX_EIO;
    }
    int rc = run(st);
    if (rc != SQLITE_DONE) {
        tx_rollback(db);
        return map_security_error(rc);
    }
    return finish_update(db, cr, def->id, now, def->created_at, def->updated_at);
}

static int sq_security_delete(odb_t *base, int64_t id)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *used = stmt(db, ST_SEC_USED);
    sqlite3_stmt *del = stmt(db, ST_SEC_DELETE);
    if (!used || !del || tx_begin_write(db))
        return WSX_EIO;
    /* Asked inside the write transaction: no channel can take the definition up
     * between this answer and the delete. The foreign key says the same. */
    sqlite3_bind_int64(used, 1, id);
    int rc = sqlite3_step(used) == SQLITE_ROW ? 0 : WSX_EIO;
    if (!rc && sqlite3_column_int64(used, 0) > 0)
        rc = WSX_EBUSY;
    done(used);
    if (!rc) {
        sqlite3_bind_int64(del, 1, id);
        int r = run(del);
        rc = r == SQLITE_DONE ? 0 : r == SQLITE_CONSTRAINT_FOREIGNKEY ? WSX_EBUSY : WSX_EIO;
    }
    return finish_delete(db, rc);
}

static int sq_security_get(odb_t *base, int64_t id, security_def_t *out)
{
    sq_t *db = (sq_t *)base;
    return get_by_id(db, ST_SEC_GET, read_security_row, id, out);
}

static int sq_security_get_by_name(odb_t *base, int64_t cluster_id, const char *name,
                                   security_def_t *out)
{
    sq_t *db = (sq_t *)base;
    return get_by_name(db, ST_SEC_GET_BY_NAME, read_security_row, cluster_id, name, out);
}

static int sq_security_list(odb_t *base, int64_t cluster_id, const char *query, int64_t offset,
                            int64_t limit, security_def_t **items, size_t *n, int64_t *total)
{
    sq_t *db = (sq_t *)base;
    void *v = NULL;
    int rc = search(db, &security_src, sizeof **items, read_security_row, cluster_id, query, offset,
                    limit, &v, n, total);
    *items = v;
    return rc;
}

static int sq_security_channels(odb_t *base, int64_t id, char ***names, size_t *n)
{
    sq_t *db = (sq_t *)base;
    *names = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(db, ST_SEC_CHANNELS);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, id);
    /* Two passes over one read: first the sizes, then one block for all. */
    int rc = exec_stmt(db, ST_BEGIN_READ);
    size_t count = 0, bytes = 0;
    int r;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        count++;
        bytes += (size_t)sqlite3_column_bytes(st, 0) + 1;
    }
    if (!rc && r != SQLITE_DONE)
        rc = WSX_EIO;
    sqlite3_reset(st);
    char **v = NULL;
    if (!rc && count) {
        v = malloc(count * sizeof *v + bytes);
        if (!v)
            rc = WSX_ENOMEM;
    }
    size_t i = 0;
    char *p = v ? (char *)(v + count) : NULL;
    while (!rc && count && i < count && (r = sqlite3_step(st)) == SQLITE_ROW) {
        size_t len = (size_t)sqlite3_column_bytes(st, 0);
        memcpy(p, sqlite3_column_text(st, 0), len);
        p[len] = '\0';
        v[i++] = p;
        p += len + 1;
    }
    done(st);
    if (!rc && i != count)
        rc = WSX_EIO; /* cannot happen inside one read transaction */
    if (!rc && exec_stmt(db, ST_COMMIT))
        rc = WSX_EIO;
    tx_rollback(db);
    if (rc) {
        free(v);
        return rc;
    }
    *names = v;
    *n = count;
    return 0;
}

/* ---- per-server state, servers, admin users -------------------------------------- */

static int sq_channel_state_set(odb_t *base, const char *server, int64_t channel_id,
                                const char *state)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *st = stmt(db, ST_STATE_SET);
    if (!st)
        return WSX_EIO;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, channel_id);
    sqlite3_bind_text(st, 3, state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, now, -1, SQLITE_STATIC);
    int rc = run(st);
    /* The channel was deleted under the reconciler: nothing to record. */
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
        return WSX_ENOTFOUND;
    return rc == SQLITE_DONE ? 0 : WSX_EIO;
}

static int sq_channel_state_get(odb_t *base, const char *server, int64_t channel_id, char *out,
                                size_t cap)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *st = stmt(db, ST_STATE_GET);
    if (cap)
        out[0] = '\0';
    if (!st)
        return WSX_EIO;
    sqlite3_bind_text(st, 1, server, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, channel_id);
    int rc = sqlite3_step(st);
    /* State is a sentence for display; one longer than the caller's buffer is
     * shortened rather than refused. */
    if (rc == SQLITE_ROW && cap)
        col_text(st, 0, out, cap);
    done(st);
    return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? WSX_ENOTFOUND : WSX_EIO;
}

static int sq_server_upsert(odb_t *base, const char *name, const char *admin_addr)
{
    sq_t *db = (sq_t *)base;
    if (!name || !*name || !admin_addr)
        return WSX_EINVAL;
    sqlite3_stmt *st = stmt(db, ST_SERVER_UPSERT);
    if (!st)
        return WSX_EIO;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, admin_addr, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    return run(st) == SQLITE_DONE ? 0 : WSX_EIO;
}

static int sq_server_register(odb_t *base, const server_row_t *me)
{
    sq_t *db = (sq_t *)base;
    if (!me->name[0] || !me->admin_address[0])
        return WSX_EINVAL;
    sqlite3_stmt *st = stmt(db, ST_SERVER_REGISTER);
    if (!st)
        return WSX_EIO;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_bind_text(st, 1, me->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, me->admin_address, -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, me->bind_host);
    sqlite3_bind_text(st, 4, me->started_at[0] ? me->started_at : now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
    return run(st) == SQLITE_DONE ? 0 : WSX_EIO;
}

/* ST_SERVER_HEARTBEAT or ST_SERVER_LEAVE: one timestamp set to now on server `name`. */
static int server_touch(sq_t *db, enum stmt_id id, const char *name)
{
    sqlite3_stmt *st = stmt(db, id);
    if (!st)
        return WSX_EIO;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    if (run(st) != SQLITE_DONE)
        return WSX_EIO;
    return sqlite3_changes(db->db) == 0 ? WSX_ENOTFOUND : 0;
}

static int sq_server_heartbeat(odb_t *base, const char *name)
{
    return server_touch((sq_t *)base, ST_SERVER_HEARTBEAT, name);
}

static int sq_server_leave(odb_t *base, const char *name)
{
    return server_touch((sq_t *)base, ST_SERVER_LEAVE, name);
}

static void read_server_row(sqlite3_stmt *st, void *elem)
{
    server_row_t *s = elem;
    col_text(st, 0, s->name, sizeof s->name);
    col_text(st, 1, s->admin_address, sizeof s->admin_address);
    col_text(st, 2, s->bind_host, sizeof s->bind_host);
    col_text(st, 3, s->started_at, sizeof s->started_at);
    col_text(st, 4, s->last_heartbeat, sizeof s->last_heartbeat);
    col_text(st, 5, s->left_at, sizeof s->left_at);
}

static int sq_server_list(odb_t *base, int64_t cluster_id, server_row_t **items, size_t *n)
{
    sq_t *db = (sq_t *)base;
    *items = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(db, ST_SERVER_LIST);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, cluster_id);
    void *v = NULL;
    int rc = collect_rows(st, sizeof **items, read_server_row, &v, n);
    done(st);
    *items = v;
    return rc;
}

static void read_state_row(sqlite3_stmt *st, void *elem)
{
    channel_state_row_t *s = elem;
    col_text(st, 0, s->server, sizeof s->server);
    col_text(st, 1, s->state, sizeof s->state);
    col_text(st, 2, s->updated_at, sizeof s->updated_at);
}

static int sq_channel_state_list(odb_t *base, int64_t channel_id, channel_state_row_t **items,
                                 size_t *n)
{
    sq_t *db = (sq_t *)base;
    *items = NULL;
    *n = 0;
    sqlite3_stmt *st = stmt(db, ST_STATE_LIST);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_int64(st, 1, channel_id);
    void *v = NULL;
    int rc = collect_rows(st, sizeof **items, read_state_row, &v, n);
    done(st);
    *items = v;
    return rc;
}

static int sq_admin_user_count(odb_t *base, int64_t *out)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *st = stmt(db, ST_USER_COUNT);
    if (!st)
        return WSX_EIO;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64(st, 0);
    done(st);
    return rc == SQLITE_ROW ? 0 : WSX_EIO;
}

static int sq_admin_user_create(odb_t *base, const char *username, const char *hash)
{
    sq_t *db = (sq_t *)base;
    if (!username || !*username || !hash || !*hash)
        return WSX_EINVAL;
    sqlite3_stmt *st = stmt(db, ST_USER_CREATE);
    if (!st)
        return WSX_EIO;
    char now[TIME_CAP];
    isotime_now(now);
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    int rc = run(st);
    if (rc == SQLITE_CONSTRAINT_UNIQUE)
        return WSX_EEXIST;
    return rc == SQLITE_DONE ? 0 : WSX_EIO;
}

static int sq_admin_user_get_hash(odb_t *base, const char *username, char *hash, size_t cap)
{
    sq_t *db = (sq_t *)base;
    sqlite3_stmt *st = stmt(db, ST_USER_GET);
    if (cap)
        hash[0] = '\0';
    if (!st)
        return WSX_EIO;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st), ret;
    if (rc == SQLITE_ROW) {
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        /* A cut hash would never verify: refuse rather than shorten. */
        if (n >= cap) {
            ret = WSX_ETOOBIG;
        } else {
            memcpy(hash, sqlite3_column_text(st, 0), n);
            hash[n] = '\0';
            ret = 0;
        }
    } else {
        ret = rc == SQLITE_DONE ? WSX_ENOTFOUND : WSX_EIO;
    }
    done(st);
    return ret;
}

static int sq_admin_user_set_hash(odb_t *base, const char *username, const char *hash)
{
    sq_t *db = (sq_t *)base;
    if (!username || !*username || !hash || !*hash)
        return WSX_EINVAL;
    sqlite3_stmt *st = stmt(db, ST_USER_SET);
    if (!st)
        return WSX_EIO;
    sqlite3_bind_text(st, 1, username, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    if (run(st) != SQLITE_DONE)
        return WSX_EIO;
    return sqlite3_changes(db->db) == 0 ? WSX_ENOTFOUND : 0;
}

/* ---- the connection: a file has none to lose ---------------------------------------- */

static int sq_listen_fd(odb_t *base)
{
    return -1;
}

static int sq_notifications(odb_t *base)
{
    return 0;
}

static int sq_connected(odb_t *base)
{
    return 1;
}

static const char *sq_error(odb_t *base)
{
    return "";
}

static int sq_reconnect(odb_t *base)
{
    return 0;
}

static const odb_ops_t sqlite_ops = {
    .close = sq_close,
    .schema_version = sq_schema_version,
    .listen_fd = sq_listen_fd,
    .notifications = sq_notifications,
    .connected = sq_connected,
    .error = sq_error,
    .reconnect = sq_reconnect,
    .channel_insert = sq_channel_insert,
    .channel_update = sq_channel_update,
    .channel_delete = sq_channel_delete,
    .channel_get = sq_channel_get,
    .channel_get_by_name = sq_channel_get_by_name,
    .channel_list = sq_channel_list,
    .channel_all = sq_channel_all,
    .config_version = sq_config_version,
    .security_insert = sq_security_insert,
    .security_update = sq_security_update,
    .security_delete = sq_security_delete,
    .security_get = sq_security_get,
    .security_get_by_name = sq_security_get_by_name,
    .security_list = sq_security_list,
    .security_channels = sq_security_channels,
    .channel_state_set = sq_channel_state_set,
    .channel_state_get = sq_channel_state_get,
    .channel_state_list = sq_channel_state_list,
    .server_register = sq_server_register,
    .server_heartbeat = sq_server_heartbeat,
    .server_leave = sq_server_leave,
    .server_list = sq_server_list,
    .server_upsert = sq_server_upsert,
    .admin_user_count = sq_admin_user_count,
    .admin_user_create = sq_admin_user_create,
    .admin_user_get_hash = sq_admin_user_get_hash,
    .admin_user_set_hash = sq_admin_user_set_hash,
};
