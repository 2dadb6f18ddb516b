/* test_admin_servers.c - GET /api/v1/servers's body from the ODB's rows: every field
 * the contract names, null for an absent bind host or leave time, the state judged
 * from the heartbeat, and a name that is not UTF-8 still shown. */
#include <criterion/criterion.h>
#include <string.h>

#include "admin/admin_servers.h"
#include "common/isotime.h"

#define S 1000000LL

static const int64_t now = 1796032800LL * S; /* 2026-11-30T10:00:00 */

static server_row_t row(const char *name, int64_t beat_age_us, const char *bind_host,
                        const char *left_at)
{
    server_row_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.admin_address, sizeof r.admin_address, "http://10.0.0.1:8183");
    snprintf(r.bind_host, sizeof r.bind_host, "%s", bind_host);
    isotime_format(now - 3600 * S, r.started_at);
    isotime_format(now - beat_age_us, r.last_heartbeat);
    snprintf(r.left_at, sizeof r.left_at, "%s", left_at);
    return r;
}

static const char *str(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    cr_assert(json_is_string(v), "%s is not a string", key);
    return json_string_value(v);
}

Test(admin_servers, every_state_and_field)
{
    server_row_t rows[] = {
        row("a", 1 * S, "", ""),
        row("b", 10 * S, "127.0.0.3", ""),
        row("c", 300 * S, "", ""),
        row("d", 1 * S, "", "2026-11-30T09:59:59.000000"),
    };
    json_t *j = admin_servers_to_json(rows, 4, now, 2);
    cr_assert(j);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 4);
    json_t *items = json_object_get(j, "items");
    cr_assert_eq(json_array_size(items), 4);
    const char *want[] = {"up", "missed heartbeats", "down", "left"};
    for (size_t i = 0; i < 4; i++) {
        json_t *o = json_array_get(items, i);
        cr_assert_str_eq(str(o, "state"), want[i], "server %zu", i);
        cr_assert_str_eq(str(o, "name"), rows[i].name);
        cr_assert_str_eq(str(o, "admin_address"), "http://10.0.0.1:8183");
        cr_assert_str_eq(str(o, "started_at"), rows[i].started_at);
        cr_assert_str_eq(str(o, "last_heartbeat"), rows[i].last_heartbeat);
        cr_assert_eq(json_object_size(o), 7, "exactly the documented fields");
    }
    cr_assert(json_is_null(json_object_get(json_array_get(items, 0), "bind_host")));
    cr_assert_str_eq(str(json_array_get(items, 1), "bind_host"), "127.0.0.3");
    cr_assert(json_is_null(json_object_get(json_array_get(items, 0), "left_at")));
    cr_assert_str_eq(str(json_array_get(items, 3), "left_at"), "2026-11-30T09:59:59.000000");
    json_decref(j);
}

Test(admin_servers, the_interval_decides)
{
    server_row_t r = row("a", 10 * S, "", "");
    json_t *j = admin_servers_to_json(&r, 1, now, 5);
    cr_assert_str_eq(str(json_array_get(json_object_get(j, "items"), 0), "state"), "up",
                     "10 s is within 3 x 5 s");
    json_decref(j);
}

Test(admin_servers, empty_cluster)
{
    json_t *j = admin_servers_to_json(NULL, 0, now, 2);
    cr_assert_eq(json_array_size(json_object_get(j, "items")), 0);
    cr_assert_eq(json_integer_value(json_object_get(j, "total")), 0);
    json_decref(j);
}

Test(admin_servers, name_that_is_not_utf8)
{
    server_row_t r = row("caf\xe9", 0, "", "");
    json_t *j = admin_servers_to_json(&r, 1, now, 2);
    cr_assert(j, "one bad name must not lose the whole list");
    cr_assert_str_eq(str(json_array_get(json_object_get(j, "items"), 0), "name"), "caf?");
    json_decref(j);
}
