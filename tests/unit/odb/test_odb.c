/* test_odb.c - the ODB on either backend: SQLite by default, PostgreSQL when
 * WSX_TEST_ODB_URL names a server (make unit runs this file both ways; see
 * odb_testdb.h). Migrations (also from a version-1 database), channel writes and
 * their conflicts, security definitions and the channels using them, search and
 * paging, the config version, admin users, servers and per-server state, and that
 * what was acknowledged is still there after a close or a SIGKILL. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/err.h"
#include "odb/odb.h"
#include "odb/odb_internal.h"
#include "odb/odb_testdb.h"
#include "odb_migrations.h"

/* The newest migration and how many there are (the files need not be contiguous
 * while branches that each add one are merged). */
#define LATEST_VERSION (odb_migrations[ODB_MIGRATIONS_COUNT - 1].version)
#define MIGRATIONS ((int)ODB_MIGRATIONS_COUNT)

static odb_t *db;

static void reopen(void)
{
    char err[256] = "";
    if (db)
        odb_close(db);
    db = NULL;
    cr_assert_eq(odb_open(testdb_url, &db, err, sizeof err), 0, "odb_open: %s", err);
}

static void setup(void)
{
    testdb_create();
    db = NULL;
    reopen();
}

static void teardown(void)
{
    odb_close(db);
    db = NULL;
    testdb_destroy();
}

TestSuite(odb, .init = setup, .fini = teardown, .timeout = 30);

/* A channel named `name` on `port`, valid with the defaults. */
static channel_t mk(const char *name, int port)
{
    channel_t ch;
    channel_defaults(&ch);
    snprintf(ch.name, sizeof ch.name, "%s", name);
    snprintf(ch.address, sizeof ch.address, "ws://0.0.0.0:%d/ws", port);
    strcpy(ch.service, "demo.echo");
    return ch;
}

static int64_t insert(const char *name, int port)
{
    channel_t ch = mk(name, port);
    char conflict[CHANNEL_NAME_MAX * 4 + 1];
    cr_assert_eq(odb_channel_insert(db, &ch, conflict), 0, "insert %s", name);
    return ch.id;
}

static int64_t version(void)
{
    int64_t v = -1;
    cr_assert_eq(odb_config_version(db, &v), 0);
    return v;
}

static void iso_timestamp(const char *t)
{
    /* 2026-11-30T10:00:00.123456 */
    cr_assert_eq(strlen(t), 26, "%s", t);
    cr_assert(t[4] == '-' && t[7] == '-' && t[10] == 'T' && t[13] == ':' && t[16] == ':' &&
                  t[19] == '.',
              "%s", t);
    cr_assert(strncmp(t, "2020", 4) > 0, "%s", t);
}

/* ---- open and migrations --------------------------------------------------------- */

Test(odb, migrating_twice_changes_nothing)
{
    cr_assert_eq(odb_schema_version(db), LATEST_VERSION);
    reopen();
    reopen();
    cr_assert_eq(odb_schema_version(db), LATEST_VERSION);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM schema_version"), MIGRATIONS);
    cr_assert_eq(sql_int("SELECT MAX(version) FROM schema_version"), LATEST_VERSION);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM cluster WHERE id = 1 AND name = 'default'"), 1);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM config_version"), 1);
    cr_assert_eq(version(), 0);
}

Test(odb, refuses_a_schema_newer_than_itself)
{
    odb_close(db);
    db = NULL;
    sql_exec("INSERT INTO schema_version VALUES (999, '999_future', "
             "'2030-01-01T00:00:00.000000')");
    char err[256] = "";
    odb_t *x = NULL;
    cr_assert_lt(odb_open(testdb_url, &x, err, sizeof err), 0);
    cr_assert_null(x);
    cr_assert(strstr(err, "schema version 999"), "%s", err);
    cr_assert(strstr(err, "newer wsx"), "%s", err);
}

/* ---- channel writes -------------------------------------------------------------- */

/* A stored security definition of each type ("" hash or sealed text as the type
 * needs); returns its id. */
static int64_t mk_security(const char *name, security_type_t type, const char *user)
{
    security_def_t d;
    memset(&d, 0, sizeof d);
    d.cluster_id = 1;
    snprintf(d.name, sizeof d.name, "%s", name);
    d.type = type;
    snprintf(d.username, sizeof d.username, "%s", user);
    if (type == SECURITY_JWT)
        strcpy(d.sealed, "v1:c2VhbGVk");
    else
        strcpy(d.hash, "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA");
    cr_assert_eq(odb_security_insert(db, &d), 0, "insert %s", name);
    return d.id;
}

Test(odb, insert_get_update_delete)
{
    channel_t ch = mk("orders", 48902);
    ch.security_id = mk_security("basic-1", SECURITY_BASIC_AUTH, "alice");
    strcpy(ch.security, "ignored on write");
    strcpy(ch.hook_service, "my.hooks");
    strcpy(ch.gateway_services, "a.b c");
    strcpy(ch.data_format, "raw");
    ch.is_active = 0;
    ch.token_ttl = 7200;
    ch.new_token_wait_time = 9;
    ch.ping_interval = 30;
    ch.pings_missed_threshold = 4;
    ch.max_message_size = 4096;
    ch.log_messages = 300;
    ch.permessage_deflate = 1;
    ch.deflate_max_window_bits = 10;
    ch.max_connections = 1000;
    strcpy(ch.slow_consumer_policy, "drop");
    ch.slow_consumer_seconds = 7;
    ch.write_queue_high_water = 65536;
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), 0);
    cr_assert_gt(ch.id, 0);
    iso_timestamp(ch.created_at);
    cr_assert_str_eq(ch.created_at, ch.updated_at);

    channel_t got;
    memset(&got, 0x5a, sizeof got);
    cr_assert_eq(odb_channel_get(db, ch.id, &got), 0);
    cr_assert_eq(got.id, ch.id);
    cr_assert_eq(got.cluster_id, 1);
    cr_assert_str_eq(got.name, "orders");
    cr_assert_eq(got.is_active, 0);
    cr_assert_str_eq(got.address, "ws://0.0.0.0:48902/ws");
    cr_assert_str_eq(got.service, "demo.echo");
    cr_assert_str_eq(got.security, "basic-1", "the definition's name, read through its id");
    cr_assert_eq(got.security_id, ch.security_id);
    cr_assert_str_eq(got.hook_service, "my.hooks");
    cr_assert_str_eq(got.gateway_services, "a.b c");
    cr_assert_str_eq(got.data_format, "raw");
    cr_assert_eq(got.new_token_wait_time, 9);
    cr_assert_eq(got.token_ttl, 7200);
    cr_assert_eq(got.ping_interval, 30);
    cr_assert_eq(got.pings_missed_threshold, 4);
    cr_assert_eq(got.max_message_size, 4096);
    cr_assert_eq(got.log_messages, 300);
    cr_assert_str_eq(got.tls_cert, "", "ws://: no certificate");
    cr_assert_str_eq(got.tls_key, "");
    cr_assert_eq(got.permessage_deflate, 1);
    cr_assert_eq(got.deflate_max_window_bits, 10);
    cr_assert_eq(got.max_connections, 1000);
    cr_assert_str_eq(got.slow_consumer_policy, "drop");
    cr_assert_eq(got.slow_consumer_seconds, 7);
    cr_assert_eq(got.write_queue_high_water, 65536);
    cr_assert_str_eq(got.created_at, ch.created_at);
    cr_assert_str_eq(got.updated_at, ch.updated_at);
    cr_assert_str_eq(got.state, "", "state is per server, not part of the row");
    cr_assert_eq(sql_int("SELECT port FROM channel"), 48902);

    channel_t by_name;
    cr_assert_eq(odb_channel_get_by_name(db, 1, "orders", &by_name), 0);
    cr_assert_eq(by_name.id, ch.id);
    cr_assert_eq(odb_channel_get_by_name(db, 1, "Orders", &by_name), WSX_ENOTFOUND);
    cr_assert_eq(odb_channel_get_by_name(db, 2, "orders", &by_name), WSX_ENOTFOUND);

    usleep(2000);
    got.is_active = 1;
    got.security_id = 0;
    got.hook_service[0] = '\0';
    got.gateway_services[0] = '\0';
    strcpy(got.name, "orders-v2");
    strcpy(got.address, "wss://[::1]:48903/v2");
    strcpy(got.tls_cert, "/etc/wsx/v2.crt");
    strcpy(got.tls_key, "/etc/wsx/v2.key");
    got.log_messages = 0;
    got.permessage_deflate = 0;
    got.deflate_max_window_bits = 0;
    got.max_connections = 0;
    strcpy(got.slow_consumer_policy, "close");
    got.write_queue_high_water = 1 << 20;
    strcpy(got.created_at, "tampered");
    cr_assert_eq(odb_channel_update(db, &got, NULL), 0);
    cr_assert_str_eq(got.created_at, ch.created_at, "created_at is kept");
    cr_assert_gt(strcmp(got.updated_at, ch.updated_at), 0, "updated_at moves on");
    channel_t again;
    cr_assert_eq(odb_channel_get(db, ch.id, &again), 0);
    cr_assert_str_eq(again.name, "orders-v2");
    cr_assert_eq(again.is_active, 1);
    cr_assert_str_eq(again.security, "");
    cr_assert_str_eq(again.address, "wss://[::1]:48903/v2");
    cr_assert_eq(again.log_messages, 0, "traffic logging switched off");
    cr_assert_str_eq(again.tls_cert, "/etc/wsx/v2.crt");
    cr_assert_str_eq(again.tls_key, "/etc/wsx/v2.key");
    cr_assert_eq(again.permessage_deflate, 0, "permessage-deflate switched off");
    cr_assert_eq(again.deflate_max_window_bits, 0);
    cr_assert_eq(again.max_connections, 0);
    cr_assert_str_eq(again.slow_consumer_policy, "close");
    cr_assert_eq(again.slow_consumer_seconds, 7);
    cr_assert_eq(again.write_queue_high_water, 1 << 20);
    cr_assert_str_eq(again.created_at, ch.created_at);
    cr_assert_str_eq(again.updated_at, got.updated_at);
    cr_assert_eq(again.security_id, 0);
    cr_assert_str_eq(again.hook_service, "");
    cr_assert_str_eq(again.gateway_services, "");
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM channel WHERE security_id IS NULL AND "
                         "hook_service IS NULL AND gateway_services = ''"),
                 1, "none is NULL, not 0 or ''");
    cr_assert_eq(sql_int("SELECT port FROM channel"), 48903);

    cr_assert_eq(odb_channel_delete(db, ch.id), 0);
    cr_assert_eq(odb_channel_get(db, ch.id, &again), WSX_ENOTFOUND);
    cr_assert_eq(odb_channel_delete(db, ch.id), WSX_ENOTFOUND);
    cr_assert_eq(odb_channel_update(db, &got, NULL), WSX_ENOTFOUND);
}

Test(odb, ids_are_not_reused)
{
    int64_t a = insert("a", 9001);
    cr_assert_eq(odb_channel_delete(db, a), 0);
    int64_t b = insert("b", 9002);
    cr_assert_gt(b, a, "a new channel must not take a deleted channel's id");
}

Test(odb, duplicate_name_names_the_conflict)
{
    insert("orders", 9001);
    int64_t v = version();
    channel_t ch = mk("orders", 9002);
    char conflict[CHANNEL_NAME_MAX * 4 + 1] = "junk";
    cr_assert_eq(odb_channel_insert(db, &ch, conflict), WSX_EEXIST);
    cr_assert_str_eq(conflict, "orders");
    cr_assert_eq(ch.id, 0, "id untouched on failure");
    cr_assert_eq(version(), v, "a refused write does not bump the version");
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM channel"), 1);
    /* conflict may be NULL */
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), WSX_EEXIST);
    /* an insert ignores whatever id the caller left in the struct */
    channel_t first;
    cr_assert_eq(odb_channel_get_by_name(db, 1, "orders", &first), 0);
    ch.id = first.id;
    cr_assert_eq(odb_channel_insert(db, &ch, conflict), WSX_EEXIST);
    cr_assert_str_eq(conflict, "orders");
    /* names differ by case: two channels */
    ch = mk("Orders", 9003);
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), 0);
}

Test(odb, duplicate_port_names_the_channel_holding_it)
{
    insert("first", 9001);
    channel_t ch = mk("second", 9001);
    strcpy(ch.address, "ws://127.0.0.1:9001/other"); /* other host and path, same port */
    char conflict[CHANNEL_NAME_MAX * 4 + 1] = "";
    cr_assert_eq(odb_channel_insert(db, &ch, conflict), WSX_EPORTUSED);
    cr_assert_str_eq(conflict, "first");
}

Test(odb, update_conflicts)
{
    int64_t a = insert("alpha", 9001);
    insert("beta", 9002);
    channel_t ch;
    char conflict[CHANNEL_NAME_MAX * 4 + 1];

    cr_assert_eq(odb_channel_get(db, a, &ch), 0);
    strcpy(ch.address, "ws://localhost:9001/moved"); /* own port, new host and path */
    ch.token_ttl = 60;
    cr_assert_eq(odb_channel_update(db, &ch, conflict), 0, "a channel never conflicts with itself");

    strcpy(ch.address, "ws://0.0.0.0:9002/x");
    cr_assert_eq(odb_channel_update(db, &ch, conflict), WSX_EPORTUSED);
    cr_assert_str_eq(conflict, "beta");

    cr_assert_eq(odb_channel_get(db, a, &ch), 0);
    strcpy(ch.name, "beta");
    cr_assert_eq(odb_channel_update(db, &ch, conflict), WSX_EEXIST);
    cr_assert_str_eq(conflict, "beta");

    cr_assert_eq(odb_channel_get(db, a, &ch), 0);
    cr_assert_str_eq(ch.name, "alpha", "a refused update changes nothing");
    cr_assert_str_eq(ch.address, "ws://localhost:9001/moved");
    cr_assert_eq(ch.token_ttl, 60);
}

Test(odb, refuses_what_cannot_be_stored)
{
    channel_t ch = mk("x", 9001);
    strcpy(ch.address, "not an address");
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), WSX_EINVAL);
    ch = mk("x", 9001);
    ch.cluster_id = 2; /* no such cluster */
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), WSX_EINVAL);
    ch = mk("x", 9001);
    strcpy(ch.data_format, "xml");
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), WSX_EINVAL);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM channel"), 0);
    cr_assert_eq(version(), 0);
}

Test(odb, config_version_counts_channel_writes)
{
    cr_assert_eq(version(), 0);
    int64_t id = insert("a", 9001);
    cr_assert_eq(version(), 1);
    channel_t ch;
    cr_assert_eq(odb_channel_get(db, id, &ch), 0);
    ch.token_ttl = 10;
    cr_assert_eq(odb_channel_update(db, &ch, NULL), 0);
    cr_assert_eq(version(), 2);
    cr_assert_eq(odb_channel_state_set(db, "s1", id, "listening"), 0);
    cr_assert_eq(odb_server_upsert(db, "s1", "127.0.0.1:11223"), 0);
    cr_assert_eq(odb_admin_user_create(db, "admin", "$argon2id$x"), 0);
    cr_assert_eq(version(), 2, "only channel writes bump it");
    cr_assert_eq(odb_channel_delete(db, id), 0);
    cr_assert_eq(version(), 3);
    cr_assert_eq(odb_channel_delete(db, id), WSX_ENOTFOUND);
    cr_assert_eq(version(), 3);
}

/* ---- list and search ------------------------------------------------------------- */

static void names(const char *query, int64_t offset, int64_t limit, const char *want,
                  int64_t want_total)
{
    channel_t *items = (channel_t *)1;
    size_t n = 99;
    int64_t total = -1;
    cr_assert_eq(odb_channel_list(db, 1, query, offset, limit, &items, &n, &total), 0);
    char got[1000] = "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(got, ",");
        strcat(got, items[i].name);
    }
    free(items);
    cr_assert_str_eq(got, want, "query \"%s\" offset %ld limit %ld", query ? query : "(null)",
                     (long)offset, (long)limit);
    cr_assert_eq(total, want_total, "query \"%s\": total", query ? query : "(null)");
}

Test(odb, list_search_and_paging)
{
    insert("gamma", 9001);
    insert("Beta orders", 9002);
    insert("alpha-orders", 9003);
    insert("orders_100%", 9004);
    insert("ordersX", 9005);
    insert("b", 9006);

    names(NULL, 0, 0, "alpha-orders,b,Beta orders,gamma,orders_100%,ordersX", 6);
    names("   ", 0, 0, "alpha-orders,b,Beta orders,gamma,orders_100%,ordersX", 6);
    names("ORDERS", 0, 0, "alpha-orders,Beta orders,orders_100%,ordersX", 4);
    names("orders -beta", 0, 0, "alpha-orders,orders_100%,ordersX", 3);
    names(" orders\t-BETA  -x ", 0, 0, "alpha-orders,orders_100%", 2);
    names("ord al", 0, 0, "alpha-orders", 1);
    names("%", 0, 0, "orders_100%", 1);  /* not a LIKE wildcard */
    names("s_", 0, 0, "orders_100%", 1); /* nor is '_' */
    names("-", 0, 0, "alpha-orders", 1); /* a lone '-' is a term */
    names("-orders", 0, 0, "b,gamma", 2);
    names("nothing", 0, 0, "", 0);

    names("orders", 0, 2, "alpha-orders,Beta orders", 4);
    names("orders", 2, 2, "orders_100%,ordersX", 4);
    names("orders", 3, 2, "ordersX", 4);
    names("orders", 10, 2, "", 4);
    names(NULL, 5, 0, "ordersX", 6);

    /* a long query: 300 terms, about what the API's 1 KiB query holds */
    char many[2000] = "";
    for (int i = 0; i < 300; i++)
        strcat(many, i % 2 ? "-x " : "ord ");
    names(many, 0, 0, "alpha-orders,Beta orders,orders_100%", 3);

    channel_t *items;
    size_t n;
    int64_t total;
    char *huge = malloc(2 * 1001 + 1);
    huge[0] = '\0';
    for (int i = 0; i < 1001; i++)
        strcat(huge, "a ");
    cr_assert_eq(odb_channel_list(db, 1, huge, 0, 0, &items, &n, &total), WSX_EINVAL,
                 "more than 1000 terms");
    free(huge);
    cr_assert_eq(odb_channel_list(db, 1, NULL, -1, 0, &items, &n, &total), WSX_EINVAL);
    cr_assert_eq(odb_channel_list(db, 1, NULL, 0, -1, &items, &n, &total), WSX_EINVAL);
    cr_assert_eq(odb_channel_list(db, 2, NULL, 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(total, 0);
}

Test(odb, sorting_and_search_fold_ascii_only)
{
    /* as SQLite does it; the test PostgreSQL's locale is C.UTF-8, where lower() on
     * text of the database's collation would fold É too */
    insert("Élan", 9001);
    insert("élan-2", 9002);
    insert("Zeta", 9003);
    insert("alpha", 9004);
    channel_t *items;
    size_t n;
    int64_t total;
    cr_assert_eq(odb_channel_list(db, 1, "élan", 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(items[0].name, "élan-2");
    free(items);
    cr_assert_eq(odb_channel_list(db, 1, NULL, 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 4);
    /* lower-cased bytes: "alpha" < "zeta" < "Élan" (0xC3 0x89) < "élan-2" (0xC3 0xA9) */
    cr_assert_str_eq(items[0].name, "alpha");
    cr_assert_str_eq(items[1].name, "Zeta");
    cr_assert_str_eq(items[2].name, "Élan");
    cr_assert_str_eq(items[3].name, "élan-2");
    free(items);
}

Test(odb, list_all)
{
    int64_t a = insert("zeta", 9001);
    int64_t b = insert("alpha", 9002);
    channel_t *items;
    size_t n;
    cr_assert_eq(odb_channel_all(db, &items, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(items[0].id, a);
    cr_assert_eq(items[1].id, b);
    cr_assert_str_eq(items[1].name, "alpha");
    free(items);
}

/* ---- state, servers, admin users --------------------------------------------------- */

Test(odb, channel_state_per_server)
{
    int64_t id = insert("a", 9001);
    char s[160];
    cr_assert_eq(odb_channel_state_get(db, "s1", id, s, sizeof s), WSX_ENOTFOUND);
    cr_assert_str_eq(s, "");
    cr_assert_eq(odb_channel_state_set(db, "s1", id, "listening"), 0);
    cr_assert_eq(odb_channel_state_set(db, "s2", id, "error: address in use"), 0);
    cr_assert_eq(odb_channel_state_get(db, "s1", id, s, sizeof s), 0);
    cr_assert_str_eq(s, "listening");
    cr_assert_eq(odb_channel_state_get(db, "s2", id, s, sizeof s), 0);
    cr_assert_str_eq(s, "error: address in use");
    cr_assert_eq(odb_channel_state_set(db, "s1", id, "inactive"), 0);
    cr_assert_eq(odb_channel_state_get(db, "s1", id, s, sizeof s), 0);
    cr_assert_str_eq(s, "inactive");
    char small[6];
    cr_assert_eq(odb_channel_state_get(db, "s2", id, small, sizeof small), 0);
    cr_assert_str_eq(small, "error");

    cr_assert_eq(odb_channel_state_set(db, "s1", id + 100, "listening"), WSX_ENOTFOUND,
                 "no state for a channel that does not exist");
    cr_assert_eq(odb_channel_delete(db, id), 0);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM channel_state"), 0, "delete removes state rows");
    cr_assert_eq(odb_channel_state_get(db, "s2", id, s, sizeof s), WSX_ENOTFOUND);
}

Test(odb, server_upsert)
{
    cr_assert_eq(odb_server_upsert(db, "s1", "10.0.0.1:11223"), 0);
    cr_assert_eq(odb_server_upsert(db, "s1", "10.0.0.2:11223"), 0);
    cr_assert_eq(odb_server_upsert(db, "s2", "10.0.0.3:11223"), 0);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM server"), 2);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM server WHERE name = 's1' AND admin_address = "
                         "'10.0.0.2:11223' AND last_heartbeat LIKE '20%T%'"),
                 1);
    cr_assert_eq(odb_server_upsert(db, "", "x"), WSX_EINVAL);
}

Test(odb, server_register_heartbeat_leave_list)
{
    server_row_t me;
    memset(&me, 0, sizeof me);
    strcpy(me.name, "s2");
    strcpy(me.admin_address, "http://127.0.0.1:9002");
    strcpy(me.bind_host, "127.0.0.3");
    cr_assert_eq(odb_server_register(db, &me), 0);
    memset(&me, 0, sizeof me);
    strcpy(me.name, "s1");
    strcpy(me.admin_address, "http://127.0.0.1:9001");
    strcpy(me.started_at, "2026-05-01T00:00:00.000000");
    cr_assert_eq(odb_server_register(db, &me), 0);

    server_row_t *sv = NULL;
    size_t n = 0;
    cr_assert_eq(odb_server_list(db, 1, &sv, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(sv[0].name, "s1", "ordered by name");
    cr_assert_str_eq(sv[0].admin_address, "http://127.0.0.1:9001");
    cr_assert_str_eq(sv[0].bind_host, "", "no bind host: each channel's own");
    cr_assert_str_eq(sv[0].started_at, "2026-05-01T00:00:00.000000");
    iso_timestamp(sv[0].last_heartbeat);
    cr_assert_str_eq(sv[0].left_at, "");
    cr_assert_str_eq(sv[1].name, "s2");
    cr_assert_str_eq(sv[1].bind_host, "127.0.0.3");
    iso_timestamp(sv[1].started_at);
    cr_assert_str_eq(sv[1].started_at, sv[1].last_heartbeat, "started now: \"\" means now");
    char beat1[ODB_TIME_CAP];
    strcpy(beat1, sv[1].last_heartbeat);
    free(sv);

    usleep(2000);
    cr_assert_eq(odb_server_heartbeat(db, "s2"), 0);
    cr_assert_eq(odb_server_leave(db, "s1"), 0);
    cr_assert_eq(odb_server_list(db, 1, &sv, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_gt(strcmp(sv[1].last_heartbeat, beat1), 0, "the heartbeat moves on");
    cr_assert_str_eq(sv[1].started_at, beat1, "a heartbeat keeps the start time");
    iso_timestamp(sv[0].left_at);
    cr_assert_str_eq(sv[1].left_at, "");
    free(sv);

    /* started again under the same name: a new start, no longer left, no bind host */
    memset(&me, 0, sizeof me);
    strcpy(me.name, "s1");
    strcpy(me.admin_address, "http://127.0.0.1:9011");
    cr_assert_eq(odb_server_register(db, &me), 0);
    cr_assert_eq(odb_server_list(db, 1, &sv, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(sv[0].admin_address, "http://127.0.0.1:9011");
    cr_assert_str_eq(sv[0].left_at, "");
    cr_assert_gt(strcmp(sv[0].started_at, "2026-05-01T00:00:00.000000"), 0);
    free(sv);

    cr_assert_eq(odb_server_heartbeat(db, "nobody"), WSX_ENOTFOUND);
    cr_assert_eq(odb_server_leave(db, "nobody"), WSX_ENOTFOUND);
    memset(&me, 0, sizeof me);
    strcpy(me.admin_address, "http://x:1");
    cr_assert_eq(odb_server_register(db, &me), WSX_EINVAL, "no name");
    strcpy(me.name, "x");
    me.admin_address[0] = '\0';
    cr_assert_eq(odb_server_register(db, &me), WSX_EINVAL, "no admin address");
    cr_assert_eq(odb_server_list(db, 2, &sv, &n), 0);
    cr_assert_eq(n, 0, "no servers in a cluster that does not exist");
    free(sv);
    cr_assert_eq(version(), 0, "membership is not configuration");
}

Test(odb, channel_state_on_every_server)
{
    int64_t id = insert("a", 9001);
    int64_t other = insert("b", 9002);
    channel_state_row_t *st = (channel_state_row_t *)1;
    size_t n = 99;
    cr_assert_eq(odb_channel_state_list(db, id, &st, &n), 0);
    cr_assert_eq(n, 0);
    free(st);
    cr_assert_eq(odb_channel_state_set(db, "s2", id, "error: address in use"), 0);
    cr_assert_eq(odb_channel_state_set(db, "s1", id, "listening"), 0);
    cr_assert_eq(odb_channel_state_set(db, "s1", other, "inactive"), 0);
    cr_assert_eq(odb_channel_state_list(db, id, &st, &n), 0);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(st[0].server, "s1");
    cr_assert_str_eq(st[0].state, "listening");
    iso_timestamp(st[0].updated_at);
    cr_assert_str_eq(st[1].server, "s2");
    cr_assert_str_eq(st[1].state, "error: address in use");
    free(st);
    cr_assert_eq(odb_channel_delete(db, id), 0);
    cr_assert_eq(odb_channel_state_list(db, id, &st, &n), 0);
    cr_assert_eq(n, 0, "a deleted channel has no state");
    free(st);
}

Test(odb, url_redact_hides_passwords)
{
    char out[200];
    struct {
        const char *in, *want;
    } cases[] = {
        {"sqlite:/var/lib/wsx/odb.db", "sqlite:/var/lib/wsx/odb.db"},
        {"postgresql://wsx@db1:5432/wsx", "postgresql://wsx@db1:5432/wsx"},
        {"postgresql://wsx:s3cret@db1:5432/wsx", "postgresql://wsx:***@db1:5432/wsx"},
        {"postgres://wsx:p@ss@db1/wsx", "postgres://wsx:***@db1/wsx"},
        {"postgresql://db1/wsx?user=u&password=s3cret&sslmode=require",
         "postgresql://db1/wsx?user=u&password=***&sslmode=require"},
        {"postgresql://db1/wsx?password=s3cret", "postgresql://db1/wsx?password=***"},
        {"postgresql://u@db1/password=x", "postgresql://u@db1/password=x"},
        {"postgresql://db1:5432", "postgresql://db1:5432"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        odb_url_redact(cases[i].in, out, sizeof out);
        cr_assert_str_eq(out, cases[i].want, "%s", cases[i].in);
    }
    char small[20];
    odb_url_redact("postgresql://wsx:s3cret@db1:5432/wsx", small, sizeof small);
    cr_assert_str_eq(small, "postgresql://wsx:**", "cut to fit, never the password");
}

Test(odb, admin_users)
{
    int64_t count = -1;
    cr_assert_eq(odb_admin_user_count(db, &count), 0);
    cr_assert_eq(count, 0);
    const char *h = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";
    cr_assert_eq(odb_admin_user_create(db, "admin", h), 0);
    cr_assert_eq(odb_admin_user_create(db, "admin", "$other"), WSX_EEXIST);
    cr_assert_eq(odb_admin_user_create(db, "", h), WSX_EINVAL);
    cr_assert_eq(odb_admin_user_count(db, &count), 0);
    cr_assert_eq(count, 1);
    char out[200];
    cr_assert_eq(odb_admin_user_get_hash(db, "admin", out, sizeof out), 0);
    cr_assert_str_eq(out, h);
    cr_assert_eq(odb_admin_user_get_hash(db, "Admin", out, sizeof out), WSX_ENOTFOUND);
    char small[10];
    cr_assert_eq(odb_admin_user_get_hash(db, "admin", small, sizeof small), WSX_ETOOBIG,
                 "a hash is never cut short");
}

/* ---- durability ------------------------------------------------------------------ */

Test(odb, reopen_keeps_everything)
{
    int64_t id = insert("kept", 9001);
    cr_assert_eq(odb_channel_state_set(db, "s1", id, "listening"), 0);
    cr_assert_eq(odb_admin_user_create(db, "admin", "$h"), 0);
    reopen();
    channel_t ch;
    cr_assert_eq(odb_channel_get(db, id, &ch), 0);
    cr_assert_str_eq(ch.name, "kept");
    char s[160];
    cr_assert_eq(odb_channel_state_get(db, "s1", id, s, sizeof s), 0);
    cr_assert_str_eq(s, "listening");
    cr_assert_eq(version(), 1);
    int64_t n;
    cr_assert_eq(odb_admin_user_count(db, &n), 0);
    cr_assert_eq(n, 1);
}

Test(odb, acknowledged_write_survives_sigkill)
{
    odb_close(db);
    db = NULL;
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        char err[256];
        odb_t *x;
        if (odb_open(testdb_url, &x, err, sizeof err) != 0)
            _exit(2);
        channel_t ch = mk("survivor", 9001);
        if (odb_channel_insert(x, &ch, NULL) != 0)
            _exit(3);
        kill(getpid(), SIGKILL); /* no close, no checkpoint */
        _exit(4);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d", status);
    reopen();
    channel_t ch;
    cr_assert_eq(odb_channel_get_by_name(db, 1, "survivor", &ch), 0);
    cr_assert_eq(version(), 1);
}

/* ---- migration 002 and 003 ------------------------------------------------------------ */

/* A database as version 1 left it, with two channels: one without security, one
 * with a security_name (possible only by hand: the API refused every value), and
 * a server row. */
static void make_v1_database(void)
{
    odb_close(db);
    db = NULL;
    testdb_destroy();
    testdb_create();
    cr_assert_eq(odb_migrations[0].version, 1);
    if (testdb_is_pg()) {
        char *sql = odb_pg_dialect(odb_migrations[0].sql);
        sql_exec(sql);
        free(sql);
    } else {
        sql_exec(odb_migrations[0].sql);
    }
    sql_exec(
        "INSERT INTO schema_version VALUES (1, '001_initial', '2026-01-01T00:00:00.000000');"
        "INSERT INTO channel (cluster_id, name, is_active, address, host, port, path, service, "
        "security_name, data_format, new_token_wait_time, token_ttl, ping_interval, "
        "pings_missed_threshold, max_message_size, created_at, updated_at) VALUES "
        "(1, 'open', 1, 'ws://h:9001/a', 'h', 9001, '/a', 'demo.echo', NULL, 'raw', 5, 3600, 45, "
        "2, 1024, 't', 't'),"
        "(1, 'guarded', 1, 'ws://h:9002/b', 'h', 9002, '/b', 'demo.echo', 'basic-1', 'raw', 5, "
        "3600, 45, 2, 1024, 't', 't');"
        "INSERT INTO server (cluster_id, name, admin_address, last_heartbeat) VALUES "
        "(1, 'old', 'http://10.0.0.9:8183', '2026-01-02T03:04:05.000000');");
}

Test(odb, migrations_from_a_version_1_database)
{
    make_v1_database();
    reopen();
    cr_assert_eq(odb_schema_version(db), LATEST_VERSION);
    channel_t ch;
    cr_assert_eq(odb_channel_get_by_name(db, 1, "open", &ch), 0);
    cr_assert_eq(ch.is_active, 1, "a channel without security is untouched");
    cr_assert_eq(ch.log_messages, 0, "migration 004: traffic logs off for existing channels");
    cr_assert_str_eq(ch.tls_cert, "", "migration 006: no certificate on existing channels");
    cr_assert_str_eq(ch.tls_key, "");
    cr_assert_eq(ch.permessage_deflate, 0, "migration 007: no compression for existing channels");
    cr_assert_eq(ch.deflate_max_window_bits, 0);
    cr_assert_eq(ch.max_connections, 0, "migration 005: no connection limit");
    cr_assert_str_eq(ch.slow_consumer_policy, "close", "migration 005: slow consumers closed");
    cr_assert_eq(ch.slow_consumer_seconds, 10);
    cr_assert_eq(ch.write_queue_high_water, 4 << 20, "migration 005: the former fixed 4 MiB");
    cr_assert_str_eq(ch.security, "");
    cr_assert_eq(ch.security_id, 0);
    cr_assert_str_eq(ch.hook_service, "");
    cr_assert_str_eq(ch.gateway_services, "");
    cr_assert_eq(odb_channel_get_by_name(db, 1, "guarded", &ch), 0);
    cr_assert_eq(ch.is_active, 0,
                 "a channel naming a definition that cannot exist is not opened without one");
    char err[300];
    cr_assert_neq(testdb_sql("SELECT security_name FROM channel", NULL, err, sizeof err), 0,
                  "security_name is gone");
    cr_assert(strstr(err, "security_name"), "%s", err);
    /* the new rows' ids do not collide with the migrated ones */
    channel_t fresh = mk("fresh", 9003);
    cr_assert_eq(odb_channel_insert(db, &fresh, NULL), 0);
    cr_assert_gt(fresh.id, 2);

    /* 003: a server row from before membership keeps its name and address and gets
     * its heartbeat as its start time */
    server_row_t *sv;
    size_t n;
    cr_assert_eq(odb_server_list(db, 1, &sv, &n), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(sv[0].name, "old");
    cr_assert_str_eq(sv[0].admin_address, "http://10.0.0.9:8183");
    cr_assert_str_eq(sv[0].started_at, "2026-01-02T03:04:05.000000");
    cr_assert_str_eq(sv[0].bind_host, "");
    cr_assert_str_eq(sv[0].left_at, "");
    free(sv);
}

/* ---- security definitions ------------------------------------------------------------ */

Test(odb, security_insert_get_update)
{
    int64_t v = version();
    security_def_t d;
    memset(&d, 0, sizeof d);
    d.cluster_id = 1;
    strcpy(d.name, "jwt-1");
    d.type = SECURITY_JWT;
    strcpy(d.sealed, "v1:c2VhbGVk");
    cr_assert_eq(odb_security_insert(db, &d), 0);
    cr_assert_gt(d.id, 0);
    iso_timestamp(d.created_at);
    cr_assert_str_eq(d.created_at, d.updated_at);
    cr_assert_eq(version(), v + 1, "a definition write bumps the config version");

    security_def_t got;
    memset(&got, 0x5a, sizeof got);
    cr_assert_eq(odb_security_get(db, d.id, &got), 0);
    cr_assert_eq(got.id, d.id);
    cr_assert_eq(got.cluster_id, 1);
    cr_assert_str_eq(got.name, "jwt-1");
    cr_assert_eq(got.type, SECURITY_JWT);
    cr_assert_str_eq(got.username, "");
    cr_assert_str_eq(got.hash, "");
    cr_assert_str_eq(got.sealed, "v1:c2VhbGVk");
    cr_assert_str_eq(got.created_at, d.created_at);
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM security_definition WHERE username IS NULL AND "
                         "password_hash IS NULL"),
                 1);

    usleep(2000);
    strcpy(got.name, "jwt-renamed");
    strcpy(got.username, "bob");
    strcpy(got.sealed, "v1:b3RoZXI");
    strcpy(got.created_at, "tampered");
    cr_assert_eq(odb_security_update(db, &got), 0);
    cr_assert_str_eq(got.created_at, d.created_at, "created_at is kept");
    cr_assert_gt(strcmp(got.updated_at, d.updated_at), 0);
    cr_assert_eq(version(), v + 2);
    security_def_t again;
    cr_assert_eq(odb_security_get_by_name(db, 1, "jwt-renamed", &again), 0);
    cr_assert_eq(again.id, d.id);
    cr_assert_str_eq(again.username, "bob");
    cr_assert_str_eq(again.sealed, "v1:b3RoZXI");
    cr_assert_eq(odb_security_get_by_name(db, 1, "jwt-1", &again), WSX_ENOTFOUND);
    cr_assert_eq(odb_security_get(db, d.id + 100, &again), WSX_ENOTFOUND);
    got.id += 100;
    cr_assert_eq(odb_security_update(db, &got), WSX_ENOTFOUND);
}

Test(odb, security_duplicates_and_bad_rows)
{
    mk_security("one", SECURITY_APIKEY, "");
    int64_t two = mk_security("two", SECURITY_BASIC_AUTH, "u");
    int64_t v = version();
    security_def_t d;
    memset(&d, 0, sizeof d);
    d.cluster_id = 1;
    strcpy(d.name, "one");
    d.type = SECURITY_APIKEY;
    strcpy(d.hash, "$argon2id$x");
    cr_assert_eq(odb_security_insert(db, &d), WSX_EEXIST);
    cr_assert_eq(d.id, 0);
    cr_assert_eq(odb_security_get(db, two, &d), 0);
    strcpy(d.name, "one");
    cr_assert_eq(odb_security_update(db, &d), WSX_EEXIST, "a rename onto another's name");
    cr_assert_eq(version(), v, "refused writes do not bump the version");

    /* rows that break the table's rules */
    memset(&d, 0, sizeof d);
    d.cluster_id = 1;
    strcpy(d.name, "x");
    d.type = SECURITY_BASIC_AUTH;
    strcpy(d.hash, "$argon2id$x");
    cr_assert_eq(odb_security_insert(db, &d), WSX_EINVAL, "basic_auth without username");
    d.type = SECURITY_JWT;
    cr_assert_eq(odb_security_insert(db, &d), WSX_EINVAL, "jwt with a hash, no sealed secret");
    d.type = SECURITY_APIKEY;
    strcpy(d.username, "u");
    cr_assert_eq(odb_security_insert(db, &d), WSX_EINVAL, "apikey with a username");
    d.type = SECURITY_NONE;
    cr_assert_eq(odb_security_insert(db, &d), WSX_EINVAL, "no type");
    d.username[0] = '\0';
    d.type = SECURITY_APIKEY;
    d.cluster_id = 2;
    cr_assert_eq(odb_security_insert(db, &d), WSX_EINVAL, "no such cluster");
    cr_assert_eq(sql_int("SELECT COUNT(*) FROM security_definition"), 2);
}

Test(odb, security_in_use_cannot_be_deleted)
{
    int64_t id = mk_security("shared", SECURITY_APIKEY, "");
    int64_t other = mk_security("other", SECURITY_APIKEY, "");
    const char *names[] = {"zeta", "Alpha", "mid"};
    int64_t ch_ids[3];
    for (int i = 0; i < 3; i++) {
        channel_t ch = mk(names[i], 9001 + i);
        ch.security_id = id;
        cr_assert_eq(odb_channel_insert(db, &ch, NULL), 0);
        ch_ids[i] = ch.id;
    }
    int64_t v = version();
    cr_assert_eq(odb_security_delete(db, id), WSX_EBUSY);
    cr_assert_eq(version(), v);

    char **used = NULL;
    size_t n = 99;
    cr_assert_eq(odb_security_channels(db, id, &used, &n), 0);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(used[0], "Alpha");
    cr_assert_str_eq(used[1], "mid");
    cr_assert_str_eq(used[2], "zeta");
    free(used);
    cr_assert_eq(odb_security_channels(db, other, &used, &n), 0);
    cr_assert_eq(n, 0);
    cr_assert_null(used);

    /* a rename of the definition shows in every channel using it */
    security_def_t d;
    cr_assert_eq(odb_security_get(db, id, &d), 0);
    strcpy(d.name, "shared-renamed");
    cr_assert_eq(odb_security_update(db, &d), 0);
    channel_t ch;
    cr_assert_eq(odb_channel_get(db, ch_ids[1], &ch), 0);
    cr_assert_str_eq(ch.security, "shared-renamed");

    /* a channel cannot point at a definition that does not exist */
    channel_t bad = mk("dangling", 9100);
    bad.security_id = id + 1000;
    cr_assert_eq(odb_channel_insert(db, &bad, NULL), WSX_EINVAL);

    for (int i = 0; i < 3; i++)
        cr_assert_eq(odb_channel_delete(db, ch_ids[i]), 0);
    cr_assert_eq(odb_security_delete(db, id), 0);
    cr_assert_eq(version(), v + 5, "3 channel deletes, 1 rename, 1 definition delete");
    cr_assert_eq(odb_security_get(db, id, &d), WSX_ENOTFOUND);
    cr_assert_eq(odb_security_delete(db, id), WSX_ENOTFOUND);
}

Test(odb, security_list_search_and_paging)
{
    const char *names[] = {"jwt-orders", "Basic-A", "apikey-x", "basic-b", "JWT-crm"};
    for (int i = 0; i < 5; i++)
        mk_security(names[i], SECURITY_APIKEY, "");
    security_def_t *items;
    size_t n;
    int64_t total;
    cr_assert_eq(odb_security_list(db, 1, NULL, 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 5);
    cr_assert_eq(total, 5);
    cr_assert_str_eq(items[0].name, "apikey-x");
    cr_assert_str_eq(items[1].name, "Basic-A");
    cr_assert_str_eq(items[2].name, "basic-b");
    cr_assert_str_eq(items[3].name, "JWT-crm");
    cr_assert_str_eq(items[4].name, "jwt-orders");
    cr_assert_eq(items[0].type, SECURITY_APIKEY);
    free(items);

    cr_assert_eq(odb_security_list(db, 1, "jwt", 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 2);
    free(items);
    cr_assert_eq(odb_security_list(db, 1, "basic -c-a", 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(items[0].name, "basic-b");
    free(items);
    cr_assert_eq(odb_security_list(db, 1, NULL, 2, 2, &items, &n, &total), 0);
    cr_assert_eq(n, 2);
    cr_assert_eq(total, 5);
    cr_assert_str_eq(items[0].name, "basic-b");
    free(items);
    cr_assert_eq(odb_security_list(db, 2, NULL, 0, 0, &items, &n, &total), 0);
    cr_assert_eq(n, 0);
    cr_assert_eq(total, 0);
    free(items);
}
