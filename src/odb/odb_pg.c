/* odb_pg.c - the PostgreSQL backend of odb.h, for a cluster of servers sharing one
 * ODB. Same schema (the migrations, translated by pg_dialect), same semantics and
 * error codes as odb_sqlite.c. Every configuration write is one transaction that
 * bumps config_version and NOTIFYs wsx_config; the connection LISTENs on it. When
 * the connection breaks every call fails at once with WSX_EIO until odb_reconnect
 * opens a new one. Values always travel as parameters, never inside SQL text. */
#include "odb/odb_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "common/err.h"
#include "common/isotime.h"
#include "common/log.h"
#include "odb_migrations.h"

/* pg_advisory_xact_lock key of the migrations: "wsx" and 1. */
#define MIGRATION_LOCK_KEY "2004055041"
#define CONNECT_TIMEOUT_S "2"
/* A statement answers in milliseconds; a server silent this long is treated as
 * gone, so a frozen or unreachable database never stalls the control loop for
 * longer (the channels keep serving meanwhile in any case). */
#define STATEMENT_TIMEOUT_MS 5000
#define TIME_CAP ODB_TIME_CAP
#define NOTIFY_CHANNEL "wsx_config"

/* Text sorts and case folding as SQLite does them: bytes, ASCII only. */
#define C_ "COLLATE \"C\""

#define CH_COLS                                                                                    \
    "c.id, c.cluster_id, c.name, c.is_active, c.address, c.service, s.name, c.data_format, "       \
    "c.new_token_wait_time, c.token_ttl, c.ping_interval, c.pings_missed_threshold, "              \
    "c.max_message_size, c.created_at, c.updated_at, c.security_id, c.hook_service, "              \
    "c.gateway_services, c.log_messages, c.tls_cert, c.tls_key, c.permessage_deflate, "            \
    "c.deflate_max_window_bits, c.max_connections, c.slow_consumer_policy, "                       \
    "c.slow_consumer_seconds, c.write_queue_high_water"
#define CH_FROM " FROM channel c LEFT JOIN security_definition s ON s.id = c.security_id"
#define SEC_COLS                                                                                   \
    "id, cluster_id, name, type, username, password_hash, secret_sealed, created_at, updated_at"
#define SERVER_COLS "name, admin_address, bind_host, started_at, last_heartbeat, left_at"

enum stmt_id {
    ST_CH_INSERT,
    ST_CH_UPDATE,
    ST_CH_DELETE,
    ST_CH_GET,
    ST_CH_GET_BY_NAME,
    ST_CH_ALL,
    ST_CH_NAME_CONFLICT,
    ST_CH_PORT_CONFLICT,
    ST_VERSION_BUMP,
    ST_VERSION_GET,
    ST_STATE_SET,
    ST_STATE_GET,
    ST_STATE_LIST,
    ST_SERVER_UPSERT,
    ST_SERVER_REGISTER,
    ST_SERVER_HEARTBEAT,
    ST_SERVER_LEAVE,
    ST_SERVER_LIST,
    ST_USER_COUNT,
    ST_USER_CREATE,
    ST_USER_GET,
    ST_USER_SET,
    ST_SEC_INSERT,
    ST_SEC_UPDATE,
    ST_SEC_DELETE,
    ST_SEC_GET,
    ST_SEC_GET_BY_NAME,
    ST_SEC_CHANNELS,
    ST_COUNT
};

/* Insert and update take the same numbered parameters (see channel_params). */
static const char *const stmt_sql[ST_COUNT] = {
    [ST_CH_INSERT] =
        "INSERT INTO channel (cluster_id, name, is_active, address, host, port, path, "
        "service, security_id, data_format, new_token_wait_time, token_ttl, "
        "ping_interval, pings_missed_threshold, max_message_size, created_at, "
        "updated_at, hook_service, gateway_services, log_messages, tls_cert, tls_key, "
        "permessage_deflate, deflate_max_window_bits, max_connections, slow_consumer_policy, "
        "slow_consumer_seconds, write_queue_high_water) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $20, $21, $22, $23, $24, "
        "$25, $26, $27) RETURNING id",
    [ST_CH_UPDATE] = "UPDATE channel SET cluster_id = $1, name = $2, is_active = $3, address = $4, "
                     "host = $5, port = $6, path = $7, service = $8, security_id = $9, "
                     "data_format = $10, new_token_wait_time = $11, token_ttl = $12, "
                     "ping_interval = $13, pings_missed_threshold = $14, max_message_size = $15, "
                     "updated_at = $16, hook_service = $17, gateway_services = $18, "
                     "log_messages = $19, tls_cert = $20, tls_key = $21, permessage_deflate = $22, "
                     "deflate_max_window_bits = $23, max_connections = $24, "
                     "slow_consumer_policy = $25, slow_consumer_seconds = $26, "
                     "write_queue_high_water = $27 WHERE id = $28 "
                     "RETURNING created_at",
    /* its channel_state rows go with it: ON DELETE CASCADE */
    [ST_CH_DELETE] = "DELETE FROM channel WHERE id = $1",
    [ST_CH_GET] = "SELECT " CH_COLS CH_FROM " WHERE c.id = $1",
    [ST_CH_GET_BY_NAME] = "SELECT " CH_COLS CH_FROM " WHERE c.cluster_id = $1 AND c.name = $2",
    [ST_CH_ALL] = "SELECT " CH_COLS CH_FROM " ORDER BY c.cluster_id, c.id",
    [ST_CH_NAME_CONFLICT] =
        "SELECT name FROM channel WHERE cluster_id = $1 AND name = $2 AND id <> $3",
    [ST_CH_PORT_CONFLICT] =
        "SELECT name FROM channel WHERE cluster_id = $1 AND port = $2 AND id <> $3",
    /* the notification leaves with the commit, and only with it */
    [ST_VERSION_BUMP] = "WITH v AS (UPDATE config_version SET version = version + 1 WHERE id = 1 "
                        "RETURNING version) SELECT pg_notify('" NOTIFY_CHANNEL "', "
                        "version::text) FROM v",
    [ST_VERSION_GET] = "SELECT version FROM config_version WHERE id = 1",
    [ST_STATE_SET] = "INSERT INTO channel_state (server_name, channel_id, state, updated_at) "
                     "VALUES ($1, $2, $3, $4) ON CONFLICT (server_name, channel_id) DO UPDATE SET "
                     "state = excluded.state, updated_at = excluded.updated_at",
    [ST_STATE_GET] = "SELECT state FROM channel_state WHERE server_name = $1 AND channel_id = $2",
    [ST_STATE_LIST] = "SELECT server_name, state, updated_at FROM channel_state "
                      "WHERE channel_id = $1 ORDER BY server_name " C_,
    [ST_SERVER_UPSERT] = "INSERT INTO server (cluster_id, name, admin_address, last_heartbeat, "
                         "started_at) VALUES (1, $1, $2, $3, $3) ON CONFLICT (name) DO UPDATE SET "
                         "admin_address = excluded.admin_address, "
                         "last_heartbeat = excluded.last_heartbeat",
    [ST_SERVER_REGISTER] =
        "INSERT INTO server (cluster_id, name, admin_address, bind_host, started_at, "
        "last_heartbeat, left_at) VALUES (1, $1, $2, $3, $4, $5, NULL) ON CONFLICT (name) DO "
        "UPDATE SET admin_address = excluded.admin_address, bind_host = excluded.bind_host, "
        "started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat, "
        "left_at = NULL",
    [ST_SERVER_HEARTBEAT] = "UPDATE server SET last_heartbeat = $2 WHERE name = $1",
    [ST_SERVER_LEAVE] = "UPDATE server SET left_at = $2 WHERE name = $1",
    [ST_SERVER_LIST] = "SELECT " SERVER_COLS " FROM server WHERE cluster_id = $1 ORDER BY name " C_,
    [ST_USER_COUNT] = "SELECT COUNT(*) FROM admin_user",
    [ST_USER_CREATE] = "INSERT INTO admin_user (username, password_hash, created_at) "
                       "VALUES ($1, $2, $3)",
    [ST_USER_GET] = "SELECT password_hash FROM admin_user WHERE username = $1",
    [ST_USER_SET] = "UPDATE admin_user SET password_hash = $2 WHERE username = $1",
    [ST_SEC_INSERT] = "INSERT INTO security_definition (cluster_id, name, type, username, "
                      "password_hash, secret_sealed, created_at, updated_at) "
                      "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
    [ST_SEC_UPDATE] = "UPDATE security_definition SET cluster_id = $1, name = $2, type = $3, "
                      "username = $4, password_hash = $5, secret_sealed = $6, updated_at = $7 "
                      "WHERE id = $8 RETURNING created_at",
    [ST_SEC_DELETE] = "DELETE FROM security_definition WHERE id = $1",
    [ST_SEC_GET] = "SELECT " SEC_COLS " FROM security_definition WHERE id = $1",
    [ST_SEC_GET_BY_NAME] =
        "SELECT " SEC_COLS " FROM security_definition WHERE cluster_id = $1 AND name = $2",
    [ST_SEC_CHANNELS] = "SELECT name FROM channel WHERE security_id = $1 "
                        "ORDER BY lower(name " C_ "), name " C_,
};

typedef struct pg {
    odb_t base; /* first: odb.c sees an odb_t */
    PGconn *conn;
    char *url;
    int schema_version;
    /* What odb_listen_fd hands out, the same for the odb_t's life: an epoll set
     * holding the connection's socket (while there is one) and `wake`, an eventfd
     * raised when a call found notifications that libpq had already read off the
     * socket (they would not make the socket readable again). */
    int epfd, wake, sock;
    int pending; /* notifications found, not yet reported */
    unsigned char prepared[ST_COUNT];
    char sqlstate[6];    /* of the last failed statement */
    char constraint[64]; /* the constraint it broke, if any */
    char error[512];     /* why the connection is down; "" while up */
} pg_t;

static const odb_ops_t pg_ops;

/* ---- connection ----------------------------------------------------------------------- */

static int connected(pg_t *db)
{
    return db->conn && PQstatus(db->conn) == CONNECTION_OK;
}

/* A libpq message on one line (they end with a newline and may hold several). */
static void one_line(char *s)
{
    char *o = s;
    for (const char *p = s; *p; p++) {
        int space = *p == '\n' || *p == '\t' || *p == ' ';
        if (space && (o == s || o[-1] == ' '))
            continue;
        *o++ = space ? ' ' : *p;
    }
    while (o > s && o[-1] == ' ')
        o--;
    *o = '\0';
}

/* Why the connection is down: what odb_error and the log show. libpq's first line
 * says it ("connection to server at ... failed: Connection refused"); the next
 * ones guess at causes. */
static void set_error(pg_t *db, const char *prefix, const char *msg)
{
    if (!msg || !*msg)
        msg = "unknown error";
    snprintf(db->error, sizeof db->error, "%s%.*s", prefix, (int)strcspn(msg, "\n"), msg);
    one_line(db->error);
}

/* Move the notifications libpq holds into db->pending, skipping our own (the
 * server that wrote has already applied its change), and raise `wake` if any. */
static void take_notifications(pg_t *db)
{
    if (!db->conn)
        return;
    int found = 0, me = PQbackendPID(db->conn);
    PGnotify *n;
    while ((n = PQnotifies(db->conn)) != NULL) {
        if (n->be_pid != me)
            found++;
        PQfreemem(n);
    }
    if (found) {
        db->pending += found;
        uint64_t one = 1;
        if (write(db->wake, &one, sizeof one) < 0) {
            /* the counter is already raised: nothing to add */
        }
    }
}

/* The connection broke (or never came up): forget its socket and statements and
 * say why. Every call fails fast from now until odb_reconnect. */
static void mark_down(pg_t *db)
{
    if (db->sock >= 0) {
        /* libpq may have closed the socket already (then the set dropped it and
         * the number may belong to someone else, who is not in our set: ENOENT) */
        epoll_ctl(db->epfd, EPOLL_CTL_DEL, db->sock, NULL);
        db->sock = -1;
    }
    memset(db->prepared, 0, sizeof db->prepared);
    if (!db->error[0])
        set_error(db, "", db->conn ? PQerrorMessage(db->conn) : "not connected");
    /* the control loop learns it from odb_notifications (and logs it) */
    uint64_t one = 1;
    if (write(db->wake, &one, sizeof one) < 0) {
        /* already raised */
    }
}

/* What the server says outside an answer (a NOTICE, or the FATAL that comes before
 * it closes the connection) goes to the log, not to stderr as libpq would. The
 * connection's end is logged once, by mark_down. */
static void on_notice(void *arg, const PGresult *r)
{
    const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (sev && (strcmp(sev, "FATAL") == 0 || strcmp(sev, "PANIC") == 0))
        return;
    const char *msg = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
    log_info("ODB says: %s", msg ? msg : "(nothing)");
}

/* Connect to db->url, LISTEN and watch the socket. 0 or WSX_EIO (db->error says
 * why). */
static int connect_db(pg_t *db)
{
    if (db->conn) {
        PQfinish(db->conn);
        db->conn = NULL;
    }
    if (db->sock >= 0) {
        epoll_ctl(db->epfd, EPOLL_CTL_DEL, db->sock, NULL);
        db->sock = -1;
    }
    memset(db->prepared, 0, sizeof db->prepared);
    /* Defaults first, the URL last: what the URL says wins. The keepalives and
     * tcp_user_timeout notice a peer that vanished without closing. */
    const char *keys[] = {"connect_timeout",  "keepalives",
                          "keepalives_idle",  "keepalives_interval",
                          "keepalives_count", "tcp_user_timeout",
                          "client_encoding",  "application_name",
                          "dbname",           NULL};
    const char *vals[] = {CONNECT_TIMEOUT_S, "1",    "10",  "3",     "3",
                          "10000",           "UTF8", "wsx", db->url, NULL};
    db->conn = PQconnectdbParams(keys, vals, 1);
    if (!db->conn) {
        set_error(db, "", "out of memory");
        return WSX_EIO;
    }
    if (PQstatus(db->conn) != CONNECTION_OK) {
        set_error(db, "", PQerrorMessage(db->conn));
        return WSX_EIO;
    }
    PQsetNoticeReceiver(db->conn, on_notice, db);
    PGresult *r = PQexec(db->conn, "LISTEN " NOTIFY_CHANNEL);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    if (!ok) {
        set_error(db, "LISTEN failed: ", PQerrorMessage(db->conn));
        return WSX_EIO;
    }
    int fd = PQsocket(db->conn);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    if (fd < 0 || epoll_ctl(db->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        set_error(db, "", "cannot watch the connection's socket");
        return WSX_EIO;
    }
    db->sock = fd;
    db->error[0] = '\0';
    return 0;
}

/* ---- statements ----------------------------------------------------------------------- */

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The answer to the command just sent (sent: what PQsend* returned), waiting at
 * most STATEMENT_TIMEOUT_MS. Returns the result (the caller PQclears it), or NULL
 * when nothing could be sent or the server did not answer in time; then the
 * connection is dropped, so that a late answer is never read as the next
 * statement's. */
static PGresult *await_result(pg_t *db, int sent)
{
    if (!sent)
        return NULL;
    int64_t deadline = mono_ms() + STATEMENT_TIMEOUT_MS;
    while (PQisBusy(db->conn)) {
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            set_error(db, "", "PostgreSQL did not answer within 5 s");
            if (db->sock >= 0) {
                epoll_ctl(db->epfd, EPOLL_CTL_DEL, db->sock, NULL);
                db->sock = -1;
            }
            PQfinish(db->conn);
            db->conn = NULL;
            return NULL;
        }
        struct pollfd p = {.fd = PQsocket(db->conn), .events = POLLIN};
        if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
            break;
        if (!PQconsumeInput(db->conn))
            break; /* broken: PQgetResult says so */
    }
    PGresult *last = NULL, *r;
    while ((r = PQgetResult(db->conn)) != NULL) {
        PQclear(last);
        last = r;
    }
    return last;
}

/* Run a statement: the prepared statement `id` (prepared on first use on this
 * connection), or `sql` with PQexecParams when id is ST_COUNT. Parameters are
 * text, NULL for SQL NULL. Returns 0 with the result in *res (the caller PQclears
 * it; res NULL: dropped), or a WSX code: EEXIST for a unique violation, EINVAL for
 * a check, not-null or foreign key violation (db->sqlstate and db->constraint tell
 * which), EIO for anything else, and at once when the connection is down. */
static int run_sql(pg_t *db, enum stmt_id id, const char *sql, int n, const char *const *v,
                   PGresult **res)
{
    if (res)
        *res = NULL;
    db->sqlstate[0] = db->constraint[0] = '\0';
    if (!connected(db))
        return WSX_EIO;
    char name[16];
    PGresult *r;
    if (id < ST_COUNT) {
        snprintf(name, sizeof name, "wsx_%d", (int)id);
        if (!db->prepared[id]) {
            r = await_result(db, PQsendPrepare(db->conn, name, stmt_sql[id], 0, NULL));
            int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
            const char *why = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
            if (!ok && connected(db))
                log_error("ODB: cannot prepare statement %d: %s", (int)id, why ? why : "");
            PQclear(r);
            if (!ok) {
                if (!connected(db))
                    mark_down(db);
                return WSX_EIO;
            }
            db->prepared[id] = 1;
        }
        r = await_result(db, PQsendQueryPrepared(db->conn, name, n, v, NULL, NULL, 0));
    } else {
        r = await_result(db, PQsendQueryParams(db->conn, sql, n, NULL, v, NULL, NULL, 0));
    }
    ExecStatusType st = PQresultStatus(r);
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        take_notifications(db);
        if (res)
            *res = r;
        else
            PQclear(r);
        return 0;
    }
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *cons = r ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
    snprintf(db->sqlstate, sizeof db->sqlstate, "%s", state ? state : "");
    snprintf(db->constraint, sizeof db->constraint, "%s", cons ? cons : "");
    int rc = WSX_EIO;
    if (strcmp(db->sqlstate, "23505") == 0)
        rc = WSX_EEXIST;
    else if (strcmp(db->sqlstate, "23514") == 0 || strcmp(db->sqlstate, "23502") == 0 ||
             strcmp(db->sqlstate, "23503") == 0)
        rc = WSX_EINVAL;
    else if (connected(db))
        /* the primary message only: a DETAIL may quote the row's values */
        log_warn("ODB statement failed: %s", r && PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                                 ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)
                                                 : "no answer");
    PQclear(r);
    if (!connected(db))
        mark_down(db);
    return rc;
}

static int run(pg_t *db, enum stmt_id id, int n, const char *const *v, PGresult **res)
{
    return run_sql(db, id, NULL, n, v, res);
}

static int fk_violation(const pg_t *db)
{
    return strcmp(db->sqlstate, "23503") == 0;
}

/* A command without parameters (BEGIN, COMMIT, ...). */
static int simple(pg_t *db, const char *sql)
{
    return run_sql(db, ST_COUNT, sql, 0, NULL, NULL);
}

static int tx_begin(pg_t *db)
{
    return simple(db, "BEGIN");
}

/* Roll back the open transaction, if any, keeping what the failed statement left
 * in db->sqlstate and db->constraint for the caller to read. */
static void tx_rollback(pg_t *db)
{
    char state[sizeof db->sqlstate], cons[sizeof db->constraint];
    memcpy(state, db->sqlstate, sizeof state);
    memcpy(cons, db->constraint, sizeof cons);
    if (connected(db) && PQtransactionStatus(db->conn) != PQTRANS_IDLE)
        simple(db, "ROLLBACK");
    memcpy(db->sqlstate, state, sizeof state);
    memcpy(db->constraint, cons, sizeof cons);
}

static int tx_commit(pg_t *db)
{
    int rc = simple(db, "COMMIT");
    if (rc) {
        tx_rollback(db);
        return WSX_EIO;
    }
    return 0;
}

/* The end of every configuration write: bump config_version, NOTIFY, commit. On
 * failure roll back and return WSX_EIO. */
static int commit_config(pg_t *db)
{
    if (run(db, ST_VERSION_BUMP, 0, NULL, NULL) || tx_commit(db)) {
        tx_rollback(db);
        return WSX_EIO;
    }
    return 0;
}

/* Parameters as text: numbers are printed into the builder's own buffers. */
#define PARAMS_MAX 32 /* a channel's columns and its id, with room to grow */
typedef struct params {
    const char *v[PARAMS_MAX];
    char num[PARAMS_MAX][24];
    int n;
} params_t;

static void p_text(params_t *p, const char *s)
{
    p->v[p->n++] = s;
}

static void p_text_or_null(params_t *p, const char *s)
{
    p->v[p->n++] = s && s[0] ? s : NULL;
}

static void p_int(params_t *p, int64_t x)
{
    snprintf(p->num[p->n], sizeof p->num[0], "%lld", (long long)x);
    p->v[p->n] = p->num[p->n];
    p->n++;
}

static void col_text(const PGresult *r, int row, int col, char *dst, size_t cap)
{
    odb_copy_text(dst, cap, PQgetvalue(r, row, col), (size_t)PQgetlength(r, row, col));
}

static int64_t col_int(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10); /* NULL reads "": 0 */
}

/* ---- migrations ----------------------------------------------------------------------- */

/* The one place where the migrations' SQL differs between SQLite and PostgreSQL:
 * each pair is (SQLite's spelling, PostgreSQL's). Returns a malloc'd copy of sql
 * with every occurrence replaced, NULL when out of memory. */
static const char *const dialect[][2] = {
    /* AUTOINCREMENT: ids never reused; an identity column never reuses them either */
    {"INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
};

char *odb_pg_dialect(const char *sql)
{
    size_t cap = strlen(sql) + 1;
    for (size_t i = 0; i < sizeof dialect / sizeof dialect[0]; i++)
        for (const char *p = sql; (p = strstr(p, dialect[i][0])) != NULL;
             p += strlen(dialect[i][0]))
            cap += strlen(dialect[i][1]);
    char *out = malloc(cap), *o = out;
    if (!out)
        return NULL;
    const char *p = sql;
    while (*p) {
        size_t i;
        for (i = 0; i < sizeof dialect / sizeof dialect[0]; i++) {
            size_t len = strlen(dialect[i][0]);
            if (strncmp(p, dialect[i][0], len) == 0) {
                o = stpcpy(o, dialect[i][1]);
                p += len;
                break;
            }
        }
        if (i == sizeof dialect / sizeof dialect[0])
            *o++ = *p++;
    }
    *o = '\0';
    return out;
}

/* The highest applied migration (0: a new database) into *out, inside the
 * migration transaction. */
static int applied_version(pg_t *db, int *out)
{
    PGresult *r;
    int rc = run_sql(db, ST_COUNT,
                     "SELECT CASE WHEN to_regclass('schema_version') IS NULL THEN -1 ELSE 0 END", 0,
                     NULL, &r);
    if (rc)
        return rc;
    int exists = col_int(r, 0, 0) == 0;
    PQclear(r);
    *out = 0;
    if (!exists)
        return 0;
    rc = run_sql(db, ST_COUNT, "SELECT COALESCE(MAX(version), 0) FROM schema_version", 0, NULL, &r);
    if (rc)
        return rc;
    *out = (int)col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

/* libpq's last message on one line, into buf. */
static const char *last_message(pg_t *db, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", db->conn ? PQerrorMessage(db->conn) : "not connected");
    one_line(buf);
    return buf;
}

/* Apply the embedded migrations newer than the database in one transaction under
 * an advisory lock: servers starting together wait for each other, and the second
 * finds the work done. A failure leaves the schema as it was (DDL is
 * transactional in PostgreSQL). */
static int migrate(pg_t *db, const char *shown, char *err, size_t errlen)
{
    int newest = 0;
    for (size_t i = 0; i < ODB_MIGRATIONS_COUNT; i++)
        if (odb_migrations[i].version > newest)
            newest = odb_migrations[i].version;

    char msg[400];
    int have = 0;
    if (tx_begin(db) || simple(db, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")") ||
        applied_version(db, &have)) {
        int rc = wsx_errf(err, errlen, WSX_EIO, "cannot read the schema version of %s: %s", shown,
                          last_message(db, msg, sizeof msg));
        tx_rollback(db);
        return rc;
    }
    if (have > newest) {
        tx_rollback(db);
        return wsx_errf(err, errlen, WSX_EINVAL,
                        "the ODB %s has schema version %d but this wsx knows versions up to %d; "
                        "run a newer wsx",
                        shown, have, newest);
    }
    for (size_t i = 0; i < ODB_MIGRATIONS_COUNT; i++) {
        const odb_migration_t *m = &odb_migrations[i];
        if (m->version <= have)
            continue;
        char *sql = odb_pg_dialect(m->sql);
        if (!sql) {
            tx_rollback(db);
            return wsx_errf(err, errlen, WSX_ENOMEM, "out of memory migrating the ODB");
        }
        /* several statements: the simple query protocol, inside the transaction */
        PGresult *r = PQexec(db->conn, sql);
        free(sql);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK;
        PQclear(r);
        char now[TIME_CAP], ver[16];
        isotime_now(now);
        snprintf(ver, sizeof ver, "%d", m->version);
        const char *v[] = {ver, m->name, now};
        if (!ok || run_sql(db, ST_COUNT,
                           "INSERT INTO schema_version (version, name, applied_at) "
                           "VALUES ($1, $2, $3)",
                           3, v, NULL)) {
            int rc = wsx_errf(err, errlen, WSX_EIO, "ODB migration %s failed: %s", m->name,
                              last_message(db, msg, sizeof msg));
            tx_rollback(db);
            return rc;
        }
    }
    if (tx_commit(db))
        return wsx_errf(err, errlen, WSX_EIO, "cannot commit the ODB migrations: %s",
                        last_message(db, msg, sizeof msg));
    db->schema_version = have > newest ? have : newest;
    return 0;
}

/* ---- open, close, the connection's state -------------------------------------------- */

static void pg_close(odb_t *base)
{
    pg_t *db = (pg_t *)base;
    if (db->conn)
        PQfinish(db->conn);
    if (db->epfd >= 0)
        close(db->epfd);
    if (db->wake >= 0)
        close(db->wake);
    free(db->url);
    free(db);
}

int odb_pg_open(const char *url, odb_t **out, char *err, size_t errlen)
{
    *out = NULL;
    char shown[512];
    odb_url_redact(url, shown, sizeof shown);
    pg_t *db = calloc(1, sizeof *db);
    if (!db)
        return wsx_errf(err, errlen, WSX_ENOMEM, "out of memory opening the ODB");
    db->base.ops = &pg_ops;
    db->sock = -1;
    db->url = strdup(url);
    db->epfd = epoll_create1(EPOLL_CLOEXEC);
    db->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = db->wake};
    if (!db->url || db->epfd < 0 || db->wake < 0 ||
        epoll_ctl(db->epfd, EPOLL_CTL_ADD, db->wake, &ev) < 0) {
        pg_close(&db->base);
        return wsx_errf(err, errlen, WSX_EIO, "cannot set up the ODB connection's descriptors");
    }
    if (connect_db(db)) {
        int rc = wsx_errf(err, errlen, WSX_EIO, "cannot connect to PostgreSQL at %s: %s", shown,
                          db->error);
        pg_close(&db->base);
        return rc;
    }
    int rc = migrate(db, shown, err, errlen);
    if (rc) {
        pg_close(&db->base);
        return rc;
    }
    /* the LISTEN came first: nothing committed since is missed */
    *out = &db->base;
    return 0;
}

static int pg_schema_version(odb_t *base)
{
    return ((pg_t *)base)->schema_version;
}

static int pg_listen_fd(odb_t *base)
{
    return ((pg_t *)base)->epfd;
}

static int pg_notifications(odb_t *base)
{
    pg_t *db = (pg_t *)base;
    uint64_t v;
    if (read(db->wake, &v, sizeof v) < 0) {
        /* not raised: nothing to reset */
    }
    if (connected(db) && PQconsumeInput(db->conn))
        take_notifications(db);
    if (!connected(db)) {
        if (db->sock >= 0 || !db->error[0])
            mark_down(db);
        /* mark_down raised `wake` for whoever did not call us: lower it again */
        if (read(db->wake, &v, sizeof v) < 0) {
            /* already low */
        }
        db->pending = 0;
        return WSX_EIO;
    }
    /* take_notifications raised `wake` for what it found: we report it now */
    if (read(db->wake, &v, sizeof v) < 0) {
        /* not raised */
    }
    int n = db->pending;
    db->pending = 0;
    return n;
}

static int pg_connected(odb_t *base)
{
    pg_t *db = (pg_t *)base;
    /* read what is waiting on the socket: a closed connection shows here rather
     * than in the next statement */
    if (connected(db) && PQconsumeInput(db->conn))
        take_notifications(db);
    if (!connected(db) && db->sock >= 0)
        mark_down(db);
    return connected(db);
}

static const char *pg_error(odb_t *base)
{
    pg_t *db = (pg_t *)base;
    if (connected(db))
        return "";
    if (!db->error[0])
        set_error(db, "", db->conn ? PQerrorMessage(db->conn) : "not connected");
    return db->error;
}

static int pg_reconnect(odb_t *base)
{
    pg_t *db = (pg_t *)base;
    if (pg_connected(base))
        return 0;
    if (connect_db(db))
        return WSX_EIO;
    log_info("ODB connection restored");
    /* a pending notification: the reconciler catches up on what it missed */
    db->pending++;
    uint64_t one = 1;
    if (write(db->wake, &one, sizeof one) < 0) {
        /* already raised */
    }
    return 0;
}

/* ---- channels ------------------------------------------------------------------------- */

static void read_channel(const PGresult *r, int i, channel_t *ch)
{
    memset(ch, 0, sizeof *ch);
    ch->id = col_int(r, i, 0);
    ch->cluster_id = col_int(r, i, 1);
    col_text(r, i, 2, ch->name, sizeof ch->name);
    ch->is_active = col_int(r, i, 3) != 0;
    col_text(r, i, 4, ch->address, sizeof ch->address);
    col_text(r, i, 5, ch->service, sizeof ch->service);
    col_text(r, i, 6, ch->security, sizeof ch->security);
    col_text(r, i, 7, ch->data_format, sizeof ch->data_format);
    ch->new_token_wait_time = col_int(r, i, 8);
    ch->token_ttl = col_int(r, i, 9);
    ch->ping_interval = col_int(r, i, 10);
    ch->pings_missed_threshold = col_int(r, i, 11);
    ch->max_message_size = col_int(r, i, 12);
    col_text(r, i, 13, ch->created_at, sizeof ch->created_at);
    col_text(r, i, 14, ch->updated_at, sizeof ch->updated_at);
    ch->security_id = col_int(r, i, 15);
    col_text(r, i, 16, ch->hook_service, sizeof ch->hook_service);
    col_text(r, i, 17, ch->gateway_services, sizeof ch->gateway_services);
    ch->log_messages = col_int(r, i, 18);
    col_text(r, i, 19, ch->tls_cert, sizeof ch->tls_cert);
    col_text(r, i, 20, ch->tls_key, sizeof ch->tls_key);
    ch->permessage_deflate = col_int(r, i, 21) != 0;
    ch->deflate_max_window_bits = col_int(r, i, 22);
    ch->max_connections = col_int(r, i, 23);
    col_text(r, i, 24, ch->slow_consumer_policy, sizeof ch->slow_consumer_policy);
    ch->slow_consumer_seconds = col_int(r, i, 25);
    ch->write_queue_high_water = col_int(r, i, 26);
}

/* Parameters $1..$27 of ST_CH_INSERT and ST_CH_UPDATE. */
static void channel_params(params_t *p, const channel_t *ch, const channel_addr_t *a,
                           const char *now)
{
    p->n = 0;
    p_int(p, ch->cluster_id);
    p_text(p, ch->name);
    p_int(p, ch->is_active ? 1 : 0);
    p_text(p, ch->address);
    p_text(p, a->host);
    p_int(p, a->port);
    p_text(p, a->path);
    p_text(p, ch->service);
    if (ch->security_id > 0)
        p_int(p, ch->security_id);
    else
        p_text(p, NULL);
    p_text(p, ch->data_format);
    p_int(p, ch->new_token_wait_time);
    p_int(p, ch->token_ttl);
    p_int(p, ch->ping_interval);
    p_int(p, ch->pings_missed_threshold);
    p_int(p, ch->max_message_size);
    p_text(p, now);
    p_text_or_null(p, ch->hook_service);
    p_text(p, ch->gateway_services);
    p_int(p, ch->log_messages);
    p_text(p, ch->tls_cert);
    p_text(p, ch->tls_key);
    p_int(p, ch->permessage_deflate ? 1 : 0);
    p_int(p, ch->deflate_max_window_bits);
    p_int(p, ch->max_connections);
    p_text(p, ch->slow_consumer_policy);
    p_int(p, ch->slow_consumer_seconds);
    p_int(p, ch->write_queue_high_water);
}

/* The name of a channel other than self_id holding this name (ST_CH_NAME_CONFLICT)
 * or port (ST_CH_PORT_CONFLICT) into conflict: 1 if found, 0 if not, or WSX_EIO. */
static int find_conflict(pg_t *db, enum stmt_id id, const channel_t *ch, int port, char *conflict)
{
    params_t p = {.n = 0};
    p_int(&p, ch->cluster_id);
    if (id == ST_CH_NAME_CONFLICT)
        p_text(&p, ch->name);
    else
        p_int(&p, port);
    p_int(&p, ch->id);
    PGresult *r;
    if (run(db, id, p.n, p.v, &r))
        return WSX_EIO;
    int found = PQntuples(r) > 0;
    if (found && conflict)
        col_text(r, 0, 0, conflict, CHANNEL_NAME_MAX * 4 + 1);
    PQclear(r);
    return found;
}

/* A refused channel INSERT/UPDATE (rc from run, the transaction already rolled
 * back) as odb.h says it: for a unique violation the constraint tells name from
 * port, and a read after the rollback names the channel holding it. */
static int channel_write_error(pg_t *db, int rc, const channel_t *ch, const channel_addr_t *a,
                               char *conflict)
{
    if (rc != WSX_EEXIST)
        return rc; /* EINVAL: a check, no such cluster or definition; EIO */
    int port_first = strstr(db->constraint, "port") != NULL;
    enum stmt_id order[2] = {ST_CH_NAME_CONFLICT, ST_CH_PORT_CONFLICT};
    if (port_first) {
        order[0] = ST_CH_PORT_CONFLICT;
        order[1] = ST_CH_NAME_CONFLICT;
    }
    for (int i = 0; i < 2; i++) {
        int r = find_conflict(db, order[i], ch, a->port, conflict);
        if (r < 0)
            return r;
        if (r > 0)
            return order[i] == ST_CH_PORT_CONFLICT ? WSX_EPORTUSED : WSX_EEXIST;
    }
    /* the other channel went away since: still say which rule it was */
    return port_first ? WSX_EPORTUSED : WSX_EEXIST;
}

static int pg_channel_insert(odb_t *base, channel_t *ch, char *conflict)
{
    pg_t *db = (pg_t *)base;
    channel_addr_t a;
    channel_err_t e;
    if (channel_addr_parse(ch->address, &a, &e))
        return WSX_EINVAL;
    if (conflict)
        conflict[0] = '\0';
    char now[TIME_CAP];
    isotime_now(now);
    params_t p;
    channel_params(&p, ch, &a, now);
    PGresult *r;
    int rc = tx_begin(db);
    if (rc)
        return rc;
    rc = run(db, ST_CH_INSERT, p.n, p.v, &r);
    if (rc) {
        tx_rollback(db);
        channel_t probe = *ch;
        probe.id = 0; /* not yet a row: every other channel may conflict */
        return channel_write_error(db, rc, &probe, &a, conflict);
    }
    int64_t id = col_int(r, 0, 0);
    PQclear(r);
    if (commit_config(db))
        return WSX_EIO;
    ch->id = id;
    memcpy(ch->created_at, now, TIME_CAP);
    memcpy(ch->updated_at, now, TIME_CAP);
    return 0;
}

static int pg_channel_update(odb_t *base, channel_t *ch, char *conflict)
{
    pg_t *db = (pg_t *)base;
    channel_addr_t a;
    channel_err_t e;
    if (channel_addr_parse(ch->address, &a, &e))
        return WSX_EINVAL;
    if (conflict)
        conflict[0] = '\0';
    char now[TIME_CAP];
    isotime_now(now);
    params_t p;
    channel_params(&p, ch, &a, now);
    p_int(&p, ch->id);
    PGresult *r;
    int rc = tx_begin(db);
    if (rc)
        return rc;
    rc = run(db, ST_CH_UPDATE, p.n, p.v, &r);
    if (rc) {
        tx_rollback(db);
        return channel_write_error(db, rc, ch, &a, conflict);
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        tx_rollback(db);
        return WSX_ENOTFOUND;
    }
    char created[TIME_CAP];
    col_text(r, 0, 0, created, sizeof created);
    PQclear(r);
    if (commit_config(db))
        return WSX_EIO;
    memcpy(ch->created_at, created, TIME_CAP);
    memcpy(ch->updated_at, now, TIME_CAP);
    return 0;
}

/* DELETE one row by id as a configuration write: WSX_ENOTFOUND when there was
 * none; a foreign key that still points at it gives WSX_EBUSY. */
static int delete_config_row(pg_t *db, enum stmt_id id, int64_t row)
{
    params_t p = {.n = 0};
    p_int(&p, row);
    PGresult *r;
    int rc = tx_begin(db);
    if (rc)
        return rc;
    rc = run(db, id, p.n, p.v, &r);
    if (rc) {
        tx_rollback(db);
        return fk_violation(db) ? WSX_EBUSY : rc;
    }
    int gone = strcmp(PQcmdTuples(r), "0") != 0;
    PQclear(r);
    if (!gone) {
        tx_rollback(db);
        return WSX_ENOTFOUND;
    }
    return commit_config(db);
}

static int pg_channel_delete(odb_t *base, int64_t id)
{
    return delete_config_row((pg_t *)base, ST_CH_DELETE, id);
}

/* How to read row i of a result into an element (a channel_t, a server_row_t...). */
typedef void (*read_row_fn)(const PGresult *r, int i, void *elem);

/* Every row of r into a malloc'd array of `size`-byte elements (NULL when none). */
static int collect_rows(const PGresult *r, size_t size, read_row_fn read, void **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    int rows = PQntuples(r);
    if (rows == 0)
        return 0;
    char *v = calloc((size_t)rows, size);
    if (!v)
        return WSX_ENOMEM;
    for (int i = 0; i < rows; i++)
        read(r, i, v + (size_t)i * size);
    *items = v;
    *n = (size_t)rows;
    return 0;
}

/* Run statement id and read all its rows (see collect_rows). */
static int query_rows(pg_t *db, enum stmt_id id, const params_t *p, size_t size, read_row_fn read,
                      void **items, size_t *n)
{
    *items = NULL;
    *n = 0;
    PGresult *r;
    int rc = run(db, id, p ? p->n : 0, p ? p->v : NULL, &r);
    if (rc)
        return rc;
    rc = collect_rows(r, size, read, items, n);
    PQclear(r);
    return rc;
}

/* The one row statement id finds (WSX_ENOTFOUND if none), read into out. */
static int get_one(pg_t *db, enum stmt_id id, const params_t *p, read_row_fn read, void *out)
{
    PGresult *r;
    int rc = run(db, id, p->n, p->v, &r);
    if (rc)
        return rc;
    if (PQntuples(r) > 0)
        read(r, 0, out);
    else
        rc = WSX_ENOTFOUND;
    PQclear(r);
    return rc;
}

static void read_channel_row(const PGresult *r, int i, void *elem)
{
    read_channel(r, i, elem);
}

static int pg_channel_get(odb_t *base, int64_t id, channel_t *out)
{
    params_t p = {.n = 0};
    p_int(&p, id);
    return get_one((pg_t *)base, ST_CH_GET, &p, read_channel_row, out);
}

static int pg_channel_get_by_name(odb_t *base, int64_t cluster_id, const char *name, channel_t *out)
{
    params_t p = {.n = 0};
    p_int(&p, cluster_id);
    p_text(&p, name);
    return get_one((pg_t *)base, ST_CH_GET_BY_NAME, &p, read_channel_row, out);
}

static int pg_channel_all(odb_t *base, channel_t **items, size_t *n)
{
    void *v;
    int rc = query_rows((pg_t *)base, ST_CH_ALL, NULL, sizeof **items, read_channel_row, &v, n);
    *items = v;
    return rc;
}

static int pg_config_version(odb_t *base, int64_t *out)
{
    PGresult *r;
    int rc = run((pg_t *)base, ST_VERSION_GET, 0, NULL, &r);
    if (rc)
        return rc;
    if (PQntuples(r) == 1)
        *out = col_int(r, 0, 0);
    else
        rc = WSX_EIO;
    PQclear(r);
    return rc;
}

/* ---- search --------------------------------------------------------------------------- */

typedef struct search_src {
    const char *cols, *from, *alias;
} search_src_t;

static const search_src_t channel_src = {CH_COLS, CH_FROM, "c"};
static const search_src_t security_src = {SEC_COLS, " FROM security_definition d", "d"};

/* The SQL of a search with n terms: parameter 1 is the cluster, 2..n+1 the terms
 * (only placeholders are written here, never a value). strpos() rather than LIKE
 * so that '%' and '_' are plain characters; lower() on "C" text folds ASCII only,
 * as SQLite does. With `page`, the rows ordered by name, LIMIT $n+2 OFFSET $n+3;
 * without, their count. Returns a malloc'd string or NULL. */
static char *search_sql(const search_src_t *src, const odb_term_t *t, int n, int page)
{
    size_t cap = 512 + strlen(src->cols) + strlen(src->from) + (size_t)n * 96;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    const char *a = src->alias;
    size_t len = (size_t)snprintf(sql, cap, "SELECT %s%s WHERE %s.cluster_id = $1",
                                  page ? src->cols : "COUNT(*)", src->from, a);
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(sql + len, cap - len,
                                " AND strpos(lower(%s.name " C_ "), lower($%d " C_ ")) %s", a,
                                i + 2, t[i].negative ? "= 0" : "> 0");
    if (page)
        snprintf(sql + len, cap - len,
                 " ORDER BY lower(%s.name " C_ "), %s.name " C_ " LIMIT $%d OFFSET $%d", a, a,
                 n + 2, n + 3);
    return sql;
}

/* A page of src's rows matching query (see odb_channel_list), read with `read`
 * into a malloc'd array of `size`-byte elements. Count and page come from one
 * snapshot (REPEATABLE READ). */
static int search(pg_t *db, const search_src_t *src, size_t size, read_row_fn read,
                  int64_t cluster_id, const char *query, int64_t offset, int64_t limit,
                  void **items, size_t *n, int64_t *total)
{
    *items = NULL;
    *n = 0;
    *total = 0;
    if (offset < 0 || limit < 0)
        return WSX_EINVAL;
    /* the terms, each NUL-terminated in a copy of the query (each is followed by
     * whitespace or the end, so the NUL overwrites nothing of the next) */
    char *copy = strdup(query ? query : "");
    odb_term_t *terms = malloc(odb_terms_cap(query) * sizeof *terms);
    const char **v = NULL;
    char *count_sql = NULL, *page_sql = NULL;
    int rc = copy && terms ? 0 : WSX_ENOMEM;
    int nt = rc ? 0 : odb_split_terms(copy, terms);
    if (!rc && nt > ODB_QUERY_TERMS_MAX)
        rc = WSX_EINVAL;
    if (!rc) {
        v = malloc(((size_t)nt + 3) * sizeof *v);
        count_sql = search_sql(src, terms, nt, 0);
        page_sql = search_sql(src, terms, nt, 1);
        if (!v || !count_sql || !page_sql)
            rc = WSX_ENOMEM;
    }
    char cluster[24], lim[24], off[24];
    if (!rc) {
        for (int i = 0; i < nt; i++)
            ((char *)terms[i].p)[terms[i].len] = '\0';
        snprintf(cluster, sizeof cluster, "%lld", (long long)cluster_id);
        snprintf(lim, sizeof lim, "%lld", (long long)limit);
        snprintf(off, sizeof off, "%lld", (long long)offset);
        v[0] = cluster;
        for (int i = 0; i < nt; i++)
            v[i + 1] = terms[i].p;
        v[nt + 1] = limit ? lim : NULL; /* LIMIT NULL: all */
        v[nt + 2] = off;
        rc = simple(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    }
    PGresult *cr = NULL, *pr = NULL;
    if (!rc)
        rc = run_sql(db, ST_COUNT, count_sql, nt + 1, v, &cr);
    if (!rc)
        rc = run_sql(db, ST_COUNT, page_sql, nt + 3, v, &pr);
    if (!rc)
        rc = tx_commit(db);
    else
        tx_rollback(db);
    if (!rc)
        rc = collect_rows(pr, size, read, items, n);
    if (!rc)
        *total = col_int(cr, 0, 0);
    PQclear(cr);
    PQclear(pr);
    free(v);
    free(count_sql);
    free(page_sql);
    free(terms);
    free(copy);
    return rc;
}

static int pg_channel_list(odb_t *base, int64_t cluster_id, const char *query, int64_t offset,
                           int64_t limit, channel_t **items, size_t *n, int64_t *total)
{
    void *v = NULL;
    int rc = search((pg_t *)base, &channel_src, sizeof **items, read_channel_row, cluster_id, query,
                    offset, limit, &v, n, total);
    *items = v;
    return rc;
}

/* ---- security definitions ------------------------------------------------------------- */

static void read_security_row(const PGresult *r, int i, void *elem)
{
    security_def_t *d = elem;
    char type[16];
    memset(d, 0, sizeof *d);
    d->id = col_int(r, i, 0);
    d->cluster_id = col_int(r, i, 1);
    col_text(r, i, 2, d->name, sizeof d->name);
    col_text(r, i, 3, type, sizeof type);
    d->type = security_type_parse(type);
    col_text(r, i, 4, d->username, sizeof d->username);
    col_text(r, i, 5, d->hash, sizeof d->hash);
    col_text(r, i, 6, d->sealed, sizeof d->sealed);
    col_text(r, i, 7, d->created_at, sizeof d->created_at);
    col_text(r, i, 8, d->updated_at, sizeof d->updated_at);
}

/* Parameters $1..$7 of ST_SEC_INSERT and ST_SEC_UPDATE; WSX_EINVAL without a type. */
static int security_params(params_t *p, const security_def_t *d, const char *now)
{
    const char *type = security_type_name(d->type);
    if (!type)
        return WSX_EINVAL;
    p->n = 0;
    p_int(p, d->cluster_id);
    p_text(p, d->name);
    p_text(p, type);
    p_text_or_null(p, d->username);
    p_text_or_null(p, d->hash);
    p_text_or_null(p, d->sealed);
    p_text(p, now);
    return 0;
}

static int pg_security_insert(odb_t *base, security_def_t *def)
{
    pg_t *db = (pg_t *)base;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p;
    if (security_params(&p, def, now))
        return WSX_EINVAL;
    PGresult *r;
    int rc = tx_begin(db);
    if (rc)
        return rc;
    rc = run(db, ST_SEC_INSERT, p.n, p.v, &r);
    if (rc) {
        tx_rollback(db);
        return rc; /* EEXIST: (cluster, name), the only unique key; EINVAL: a rule */
    }
    int64_t id = col_int(r, 0, 0);
    PQclear(r);
    if (commit_config(db))
        return WSX_EIO;
    def->id = id;
    memcpy(def->created_at, now, TIME_CAP);
    memcpy(def->updated_at, now, TIME_CAP);
    return 0;
}

static int pg_security_update(odb_t *base, security_def_t *def)
{
    pg_t *db = (pg_t *)base;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p;
    if (security_params(&p, def, now))
        return WSX_EINVAL;
    p_int(&p, def->id);
    PGresult *r;
    int rc = tx_begin(db);
    if (rc)
        return rc;
    rc = run(db, ST_SEC_UPDATE, p.n, p.v, &r);
    if (rc) {
        tx_rollback(db);
        return rc;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        tx_rollback(db);
        return WSX_ENOTFOUND;
    }
    char created[TIME_CAP];
    col_text(r, 0, 0, created, sizeof created);
    PQclear(r);
    if (commit_config(db))
        return WSX_EIO;
    memcpy(def->created_at, created, TIME_CAP);
    memcpy(def->updated_at, now, TIME_CAP);
    return 0;
}

static int pg_security_delete(odb_t *base, int64_t id)
{
    /* a channel using it: the foreign key refuses, inside the transaction, so no
     * channel can take the definition up between a check and the delete */
    return delete_config_row((pg_t *)base, ST_SEC_DELETE, id);
}

static int pg_security_get(odb_t *base, int64_t id, security_def_t *out)
{
    params_t p = {.n = 0};
    p_int(&p, id);
    return get_one((pg_t *)base, ST_SEC_GET, &p, read_security_row, out);
}

static int pg_security_get_by_name(odb_t *base, int64_t cluster_id, const char *name,
                                   security_def_t *out)
{
    params_t p = {.n = 0};
    p_int(&p, cluster_id);
    p_text(&p, name);
    return get_one((pg_t *)base, ST_SEC_GET_BY_NAME, &p, read_security_row, out);
}

static int pg_security_list(odb_t *base, int64_t cluster_id, const char *query, int64_t offset,
                            int64_t limit, security_def_t **items, size_t *n, int64_t *total)
{
    void *v = NULL;
    int rc = search((pg_t *)base, &security_src, sizeof **items, read_security_row, cluster_id,
                    query, offset, limit, &v, n, total);
    *items = v;
    return rc;
}

static int pg_security_channels(odb_t *base, int64_t id, char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    params_t p = {.n = 0};
    p_int(&p, id);
    PGresult *r;
    int rc = run((pg_t *)base, ST_SEC_CHANNELS, p.n, p.v, &r);
    if (rc)
        return rc;
    size_t count = (size_t)PQntuples(r), bytes = 0;
    for (size_t i = 0; i < count; i++)
        bytes += (size_t)PQgetlength(r, (int)i, 0) + 1;
    char **v = NULL;
    if (count) {
        /* one block: the pointers, then the names they point at */
        v = malloc(count * sizeof *v + bytes);
        if (!v) {
            PQclear(r);
            return WSX_ENOMEM;
        }
        char *s = (char *)(v + count);
        for (size_t i = 0; i < count; i++) {
            size_t len = (size_t)PQgetlength(r, (int)i, 0);
            memcpy(s, PQgetvalue(r, (int)i, 0), len);
            s[len] = '\0';
            v[i] = s;
            s += len + 1;
        }
    }
    PQclear(r);
    *names = v;
    *n = count;
    return 0;
}

/* ---- per-server state, servers, admin users ------------------------------------------- */

static int pg_channel_state_set(odb_t *base, const char *server, int64_t channel_id,
                                const char *state)
{
    pg_t *db = (pg_t *)base;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p = {.n = 0};
    p_text(&p, server);
    p_int(&p, channel_id);
    p_text(&p, state);
    p_text(&p, now);
    int rc = run(db, ST_STATE_SET, p.n, p.v, NULL);
    /* the channel was deleted under the reconciler: nothing to record */
    if (rc && fk_violation(db))
        return WSX_ENOTFOUND;
    return rc ? WSX_EIO : 0;
}

static int pg_channel_state_get(odb_t *base, const char *server, int64_t channel_id, char *out,
                                size_t cap)
{
    if (cap)
        out[0] = '\0';
    params_t p = {.n = 0};
    p_text(&p, server);
    p_int(&p, channel_id);
    PGresult *r;
    int rc = run((pg_t *)base, ST_STATE_GET, p.n, p.v, &r);
    if (rc)
        return WSX_EIO;
    if (PQntuples(r) == 0)
        rc = WSX_ENOTFOUND;
    else if (cap) /* a sentence for display: shortened to fit rather than refused */
        col_text(r, 0, 0, out, cap);
    PQclear(r);
    return rc;
}

static void read_state_row(const PGresult *r, int i, void *elem)
{
    channel_state_row_t *s = elem;
    col_text(r, i, 0, s->server, sizeof s->server);
    col_text(r, i, 1, s->state, sizeof s->state);
    col_text(r, i, 2, s->updated_at, sizeof s->updated_at);
}

static int pg_channel_state_list(odb_t *base, int64_t channel_id, channel_state_row_t **items,
                                 size_t *n)
{
    params_t p = {.n = 0};
    p_int(&p, channel_id);
    void *v;
    int rc = query_rows((pg_t *)base, ST_STATE_LIST, &p, sizeof **items, read_state_row, &v, n);
    *items = v;
    return rc;
}

static int pg_server_upsert(odb_t *base, const char *name, const char *admin_addr)
{
    if (!name || !*name || !admin_addr)
        return WSX_EINVAL;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p = {.n = 0};
    p_text(&p, name);
    p_text(&p, admin_addr);
    p_text(&p, now);
    return run((pg_t *)base, ST_SERVER_UPSERT, p.n, p.v, NULL) ? WSX_EIO : 0;
}

static int pg_server_register(odb_t *base, const server_row_t *me)
{
    if (!me->name[0] || !me->admin_address[0])
        return WSX_EINVAL;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p = {.n = 0};
    p_text(&p, me->name);
    p_text(&p, me->admin_address);
    p_text_or_null(&p, me->bind_host);
    p_text(&p, me->started_at[0] ? me->started_at : now);
    p_text(&p, now);
    return run((pg_t *)base, ST_SERVER_REGISTER, p.n, p.v, NULL) ? WSX_EIO : 0;
}

/* ST_SERVER_HEARTBEAT or ST_SERVER_LEAVE: one timestamp set to now on server `name`. */
static int server_touch(pg_t *db, enum stmt_id id, const char *name)
{
    char now[TIME_CAP];
    isotime_now(now);
    params_t p = {.n = 0};
    p_text(&p, name);
    p_text(&p, now);
    PGresult *r;
    if (run(db, id, p.n, p.v, &r))
        return WSX_EIO;
    int rc = strcmp(PQcmdTuples(r), "0") == 0 ? WSX_ENOTFOUND : 0;
    PQclear(r);
    return rc;
}

static int pg_server_heartbeat(odb_t *base, const char *name)
{
    return server_touch((pg_t *)base, ST_SERVER_HEARTBEAT, name);
}

static int pg_server_leave(odb_t *base, const char *name)
{
    return server_touch((pg_t *)base, ST_SERVER_LEAVE, name);
}

static void read_server_row(const PGresult *r, int i, void *elem)
{
    server_row_t *s = elem;
    col_text(r, i, 0, s->name, sizeof s->name);
    col_text(r, i, 1, s->admin_address, sizeof s->admin_address);
    col_text(r, i, 2, s->bind_host, sizeof s->bind_host);
    col_text(r, i, 3, s->started_at, sizeof s->started_at);
    col_text(r, i, 4, s->last_heartbeat, sizeof s->last_heartbeat);
    col_text(r, i, 5, s->left_at, sizeof s->left_at);
}

static int pg_server_list(odb_t *base, int64_t cluster_id, server_row_t **items, size_t *n)
{
    params_t p = {.n = 0};
    p_int(&p, cluster_id);
    void *v;
    int rc = query_rows((pg_t *)base, ST_SERVER_LIST, &p, sizeof **items, read_server_row, &v, n);
    *items = v;
    return rc;
}

static int pg_admin_user_count(odb_t *base, int64_t *out)
{
    PGresult *r;
    if (run((pg_t *)base, ST_USER_COUNT, 0, NULL, &r))
        return WSX_EIO;
    *out = col_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int pg_admin_user_create(odb_t *base, const char *username, const char *hash)
{
    if (!username || !*username || !hash || !*hash)
        return WSX_EINVAL;
    char now[TIME_CAP];
    isotime_now(now);
    params_t p = {.n = 0};
    p_text(&p, username);
    p_text(&p, hash);
    p_text(&p, now);
    int rc = run((pg_t *)base, ST_USER_CREATE, p.n, p.v, NULL);
    return rc == WSX_EEXIST ? rc : rc ? WSX_EIO : 0;
}

static int pg_admin_user_get_hash(odb_t *base, const char *username, char *hash, size_t cap)
{
    if (cap)
        hash[0] = '\0';
    params_t p = {.n = 0};
    p_text(&p, username);
    PGresult *r;
    if (run((pg_t *)base, ST_USER_GET, p.n, p.v, &r))
        return WSX_EIO;
    int rc = 0;
    if (PQntuples(r) == 0) {
        rc = WSX_ENOTFOUND;
    } else {
        size_t len = (size_t)PQgetlength(r, 0, 0);
        /* a cut hash would never verify: refuse rather than shorten */
        if (len >= cap) {
            rc = WSX_ETOOBIG;
        } else {
            memcpy(hash, PQgetvalue(r, 0, 0), len);
            hash[len] = '\0';
        }
    }
    PQclear(r);
    return rc;
}

static int pg_admin_user_set_hash(odb_t *base, const char *username, const char *hash)
{
    if (!username || !*username || !hash || !*hash)
        return WSX_EINVAL;
    params_t p = {.n = 0};
    p_text(&p, username);
    p_text(&p, hash);
    PGresult *r;
    if (run((pg_t *)base, ST_USER_SET, p.n, p.v, &r))
        return WSX_EIO;
    int rc = strcmp(PQcmdTuples(r), "0") == 0 ? WSX_ENOTFOUND : 0;
    PQclear(r);
    return rc;
}

static const odb_ops_t pg_ops = {
    .close = pg_close,
    .schema_version = pg_schema_version,
    .listen_fd = pg_listen_fd,
    .notifications = pg_notifications,
    .connected = pg_connected,
    .error = pg_error,
    .reconnect = pg_reconnect,
    .channel_insert = pg_channel_insert,
    .channel_update = pg_channel_update,
    .channel_delete = pg_channel_delete,
    .channel_get = pg_channel_get,
    .channel_get_by_name = pg_channel_get_by_name,
    .channel_list = pg_channel_list,
    .channel_all = pg_channel_all,
    .config_version = pg_config_version,
    .security_insert = pg_security_insert,
    .security_update = pg_security_update,
    .security_delete = pg_security_delete,
    .security_get = pg_security_get,
    .security_get_by_name = pg_security_get_by_name,
    .security_list = pg_security_list,
    .security_channels = pg_security_channels,
    .channel_state_set = pg_channel_state_set,
    .channel_state_get = pg_channel_state_get,
    .channel_state_list = pg_channel_state_list,
    .server_register = pg_server_register,
    .server_heartbeat = pg_server_heartbeat,
    .server_leave = pg_server_leave,
    .server_list = pg_server_list,
    .server_upsert = pg_server_upsert,
    .admin_user_count = pg_admin_user_count,
    .admin_user_create = pg_admin_user_create,
    .admin_user_get_hash = pg_admin_user_get_hash,
    .admin_user_set_hash = pg_admin_user_set_hash,
};
