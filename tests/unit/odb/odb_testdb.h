/* odb_testdb.h - a fresh, empty ODB for each test, on the backend the run asks for:
 * SQLite in a new temporary directory by default, or, when WSX_TEST_ODB_URL names a
 * PostgreSQL server (make unit starts one with tests/support/pg.py), a new database
 * on it. Also a side door to read and write that database the way an operator with
 * sqlite3 or psql would, to check what the ODB really stored. */
#ifndef WSX_ODB_TESTDB_H
#define WSX_ODB_TESTDB_H

#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "odb/odb.h"

static char testdb_dir[64], testdb_path[128], testdb_url[600], testdb_name[64];

/* The PostgreSQL server's URL (of its database "postgres"), or NULL for SQLite. */
static const char *testdb_pg_base(void)
{
    const char *u = getenv("WSX_TEST_ODB_URL");
    return u && *u ? u : NULL;
}

static int testdb_is_pg(void)
{
    return testdb_pg_base() != NULL;
}

/* The URL of database `name` on the test server: the base URL's path replaced. */
static void testdb_pg_url(const char *name, char *out, size_t cap)
{
    const char *base = testdb_pg_base();
    const char *slash = strrchr(base, '/');
    cr_assert(slash && slash > base + 12, "WSX_TEST_ODB_URL must end with /DATABASE: %s", base);
    snprintf(out, cap, "%.*s/%s", (int)(slash - base), base, name);
}

static void testdb_quiet(void *arg, const char *msg)
{
}

/* One command on the server's "postgres" database (CREATE/DROP DATABASE). */
static inline void testdb_admin(const char *sql)
{
    PGconn *c = PQconnectdb(testdb_pg_base());
    cr_assert_eq(PQstatus(c), CONNECTION_OK, "cannot reach the test PostgreSQL: %s",
                 PQerrorMessage(c));
    PQsetNoticeProcessor(c, testdb_quiet, NULL); /* "does not exist, skipping" */
    PGresult *r = PQexec(c, sql);
    cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

/* Make the empty database of this test; testdb_url names it. */
static void testdb_create(void)
{
    if (testdb_is_pg()) {
        static int counter;
        snprintf(testdb_name, sizeof testdb_name, "odb_%d_%d", (int)getpid(), ++counter);
        char sql[128];
        snprintf(sql, sizeof sql, "CREATE DATABASE %s", testdb_name);
        testdb_admin(sql);
        testdb_pg_url(testdb_name, testdb_url, sizeof testdb_url);
        return;
    }
    strcpy(testdb_dir, "/tmp/wsx-odb-test-XXXXXX");
    cr_assert(mkdtemp(testdb_dir));
    snprintf(testdb_path, sizeof testdb_path, "%s/odb.db", testdb_dir);
    snprintf(testdb_url, sizeof testdb_url, "sqlite:%s", testdb_path);
}

static void testdb_destroy(void)
{
    if (testdb_is_pg()) {
        char sql[128];
        /* FORCE: a connection a test left behind (a killed child's) does not stop it */
        snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", testdb_name);
        testdb_admin(sql);
        return;
    }
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", testdb_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", testdb_dir);
}

/* Run sql on the test database through a connection of its own. Returns 0, or -1
 * when the database refused it (its message in err, err_cap bytes). With `out`,
 * the first column of the first row as an integer. */
static int testdb_sql(const char *sql, int64_t *out, char *err, size_t err_cap)
{
    if (testdb_is_pg()) {
        PGconn *c = PQconnectdb(testdb_url);
        cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
        if (rc && err)
            snprintf(err, err_cap, "%s", PQerrorMessage(c));
        if (!rc && out) {
            cr_assert_gt(PQntuples(r), 0, "no row: %s", sql);
            *out = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
        }
        PQclear(r);
        PQfinish(c);
        return rc;
    }
    sqlite3 *s;
    cr_assert_eq(sqlite3_open_v2(testdb_path, &s, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL), SQLITE_OK);
    int rc = 0;
    if (out) {
        sqlite3_stmt *st;
        rc = sqlite3_prepare_v2(s, sql, -1, &st, NULL) == SQLITE_OK ? 0 : -1;
        if (!rc) {
            int step = sqlite3_step(st);
            cr_assert_eq(step, SQLITE_ROW, "no row: %s", sql);
            *out = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
    } else {
        rc = sqlite3_exec(s, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    }
    if (rc && err)
        snprintf(err, err_cap, "%s", sqlite3_errmsg(s));
    sqlite3_close(s);
    return rc;
}

/* One integer the database answers to sql, read as an operator would. */
static inline int64_t sql_int(const char *sql)
{
    int64_t v = 0;
    char err[300] = "";
    cr_assert_eq(testdb_sql(sql, &v, err, sizeof err), 0, "%s: %s", sql, err);
    return v;
}

/* Statements the test database must accept. */
static inline void sql_exec(const char *sql)
{
    char err[300] = "";
    cr_assert_eq(testdb_sql(sql, NULL, err, sizeof err), 0, "%s: %s", sql, err);
}

#endif
