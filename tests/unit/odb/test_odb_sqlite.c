/* test_odb_sqlite.c - what only the SQLite backend does: a private file in WAL mode,
 * open errors that name the file, and no connection to lose. Everything both
 * backends do is in test_odb.c. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/err.h"
#include "odb/odb.h"

static char dir[64], path[128], url[160];
static odb_t *db;

static void reopen(void)
{
    char err[256] = "";
    if (db)
        odb_close(db);
    db = NULL;
    cr_assert_eq(odb_open(url, &db, err, sizeof err), 0, "odb_open: %s", err);
}

static void setup(void)
{
    strcpy(dir, "/tmp/wsx-odb-test-XXXXXX");
    cr_assert(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/odb.db", dir);
    snprintf(url, sizeof url, "sqlite:%s", path);
    db = NULL;
    reopen();
}

static void teardown(void)
{
    odb_close(db);
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(odb, .init = setup, .fini = teardown, .timeout = 20);

static void insert(const char *name, int port)
{
    channel_t ch;
    channel_defaults(&ch);
    snprintf(ch.name, sizeof ch.name, "%s", name);
    snprintf(ch.address, sizeof ch.address, "ws://0.0.0.0:%d/ws", port);
    strcpy(ch.service, "demo.echo");
    cr_assert_eq(odb_channel_insert(db, &ch, NULL), 0, "insert %s", name);
}

Test(odb, new_file_is_private_and_in_wal_mode)
{
    struct stat sb;
    cr_assert_eq(stat(path, &sb), 0);
    cr_assert_eq(sb.st_mode & 0777, 0600, "mode %o", sb.st_mode & 0777);
    insert("a", 9001);
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", path);
    cr_assert_eq(stat(wal, &sb), 0, "a WAL file exists after a write");
    cr_assert_eq(sb.st_mode & 0777, 0600, "WAL mode %o", sb.st_mode & 0777);
    sqlite3 *s;
    sqlite3_stmt *st;
    cr_assert_eq(sqlite3_open(path, &s), SQLITE_OK);
    cr_assert_eq(sqlite3_prepare_v2(s, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
    cr_assert_eq(sqlite3_step(st), SQLITE_ROW);
    cr_assert_str_eq((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(s);
}

Test(odb, open_reports_what_is_wrong)
{
    char err[256] = "";
    odb_t *x = (odb_t *)1;
    char u[300];
    snprintf(u, sizeof u, "sqlite:%s/no/such/dir/odb.db", dir);
    cr_assert_eq(odb_open(u, &x, err, sizeof err), WSX_EIO);
    cr_assert_null(x);
    cr_assert(strstr(err, "directory does not exist"), "%s", err);

    cr_assert_eq(odb_open("mysql://u:hunter2@h/db", &x, err, sizeof err), WSX_EINVAL);
    cr_assert(strstr(err, "sqlite:PATH") && strstr(err, "postgresql://"), "%s", err);
    cr_assert_null(strstr(err, "hunter2"), "no password in the message: %s", err);
    cr_assert_eq(odb_open("sqlite:", &x, err, sizeof err), WSX_EINVAL);

    char junk[200];
    snprintf(junk, sizeof junk, "%s/junk", dir);
    FILE *f = fopen(junk, "w");
    cr_assert(f);
    for (int i = 0; i < 100; i++)
        fputs("this is not an sqlite database at all\n", f);
    fclose(f);
    snprintf(u, sizeof u, "sqlite:%s", junk);
    err[0] = '\0';
    cr_assert_lt(odb_open(u, &x, err, sizeof err), 0);
    cr_assert(strstr(err, junk), "names the file: %s", err);
}

Test(odb, sqlite_has_no_connection_to_lose)
{
    cr_assert_eq(odb_listen_fd(db), -1);
    cr_assert_eq(odb_notifications(db), 0);
    insert("a", 9001);
    cr_assert_eq(odb_notifications(db), 0, "the version poll covers SQLite");
    cr_assert_eq(odb_connected(db), 1);
    cr_assert_str_eq(odb_error(db), "");
    cr_assert_eq(odb_reconnect(db), 0);
}
