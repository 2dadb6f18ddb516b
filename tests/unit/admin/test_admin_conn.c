/* test_admin_conn.c - the pure parts of the connection endpoints: the invoke and
 * broadcast body checks (every refusal names its field), ?query= decoding, and the
 * JSON of one connection. Includes admin_conn.c to reach its static functions. */
#include <criterion/criterion.h>

#include "admin/admin_conn.c"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
    cr_assert_not_null(j, "bad test JSON %s: %s", text, e.text);
    return j;
}

/* invoke_body on `text`; returns its rc, fills the outputs. */
static int check_invoke(const char *text, char **request, uint64_t *ms, conn_err_t *err)
{
    json_t *j = J(text);
    const json_t *req = NULL;
    memset(err, 0, sizeof *err);
    int rc = invoke_body(j, &req, ms, err);
    *request = rc == 0 ? json_dumps(req, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(j);
    return rc;
}

Test(invoke_body, takes_any_json_request_and_defaults_the_timeout_to_5_s)
{
    const char *cases[][2] = {
        {"{\"request\": {\"a\": [1, 2]}}", "{\"a\":[1,2]}"},
        {"{\"request\": \"text\"}", "\"text\""},
        {"{\"request\": 42}", "42"},
        {"{\"request\": null}", "null"},
        {"{\"request\": []}", "[]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *req;
        uint64_t ms = 0;
        conn_err_t err;
        cr_assert_eq(check_invoke(cases[i][0], &req, &ms, &err), 0, "%s: %s", cases[i][0],
                     err.message);
        cr_assert_str_eq(req, cases[i][1]);
        cr_assert_eq(ms, 5000);
        free(req);
    }
}

Test(invoke_body, timeout_in_seconds_integer_or_fraction_up_to_300)
{
    const struct {
        const char *body;
        uint64_t ms;
    } cases[] = {
        {"{\"request\": 1, \"timeout\": 1}", 1000},
        {"{\"request\": 1, \"timeout\": 0.25}", 250},
        {"{\"request\": 1, \"timeout\": 300}", 300000},
        {"{\"request\": 1, \"timeout\": 300.0}", 300000},
        {"{\"request\": 1, \"timeout\": 0.0001}", 1}, /* rounded up, never 0 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *req;
        uint64_t ms = 0;
        conn_err_t err;
        cr_assert_eq(check_invoke(cases[i].body, &req, &ms, &err), 0, "%s: %s", cases[i].body,
                     err.message);
        cr_assert_eq(ms, cases[i].ms, "%s: %llu ms", cases[i].body, (unsigned long long)ms);
        free(req);
    }
}

Test(invoke_body, refusals_name_the_field)
{
    const struct {
        const char *body, *field, *code, *in_message;
    } cases[] = {
        {"{}", "request", "required", "request is required"},
        {"{\"timeout\": 3}", "request", "required", "request"},
        {"{\"request\": 1, \"timeout\": 0}", "timeout", "out_of_range", "got 0"},
        {"{\"request\": 1, \"timeout\": -1}", "timeout", "out_of_range", "greater than 0"},
        {"{\"request\": 1, \"timeout\": 300.5}", "timeout", "out_of_range", "at most 300"},
        {"{\"request\": 1, \"timeout\": 1e9}", "timeout", "out_of_range", "timeout"},
        {"{\"request\": 1, \"timeout\": \"5\"}", "timeout", "invalid", "got \"5\""},
        {"{\"request\": 1, \"timeout\": true}", "timeout", "invalid", "got true"},
        {"{\"request\": 1, \"timeout\": null}", "timeout", "invalid", "got null"},
        {"{\"request\": 1, \"data\": 2}", "data", "unknown_field", "unknown field \"data\""},
        {"[1]", NULL, "invalid", "JSON object"},
        {"\"request\"", NULL, "invalid", "JSON object"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *req;
        uint64_t ms;
        conn_err_t err;
        cr_assert_eq(check_invoke(cases[i].body, &req, &ms, &err), WSX_EINVAL, "%s accepted",
                     cases[i].body);
        if (cases[i].field)
            cr_assert_str_eq(err.field, cases[i].field, "%s", cases[i].body);
        else
            cr_assert_str_eq(err.field, "", "%s", cases[i].body);
        cr_assert_str_eq(err.code, cases[i].code, "%s", cases[i].body);
        cr_assert(strstr(err.message, cases[i].in_message), "%s: \"%s\" lacks \"%s\"",
                  cases[i].body, err.message, cases[i].in_message);
    }
}

Test(broadcast_body, needs_data_and_nothing_else)
{
    json_t *j = J("{\"data\": {\"x\": 1}}");
    const json_t *data = NULL;
    conn_err_t err;
    cr_assert_eq(broadcast_body(j, &data, &err), 0);
    cr_assert_eq(json_integer_value(json_object_get(data, "x")), 1);
    json_decref(j);

    j = J("{\"data\": null}");
    cr_assert_eq(broadcast_body(j, &data, &err), 0, "null is a JSON value like any other");
    cr_assert(json_is_null(data));
    json_decref(j);

    const char *bad[][2] = {{"{}", "data"},
                            {"{\"request\": 1}", "request"},
                            {"{\"data\": 1, \"timeout\": 1}", "timeout"},
                            {"[]", NULL}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        j = J(bad[i][0]);
        memset(&err, 0, sizeof err);
        cr_assert_eq(broadcast_body(j, &data, &err), WSX_EINVAL, "%s accepted", bad[i][0]);
        if (bad[i][1])
            cr_assert_str_eq(err.field, bad[i][1]);
        else
            cr_assert_str_eq(err.field, "");
        cr_assert(err.message[0]);
        json_decref(j);
    }
}

static int qv(const char *q, char *out, size_t cap)
{
    return query_value(wsx_slice(q, strlen(q)), "query", out, cap);
}

Test(query_value, decodes_the_query_parameter)
{
    char out[64];
    cr_assert_eq(qv("", out, sizeof out), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(qv("page=2&query=abc", out, sizeof out), 0);
    cr_assert_str_eq(out, "abc");
    cr_assert_eq(qv("query=a%20b+c%2Fd&x=1", out, sizeof out), 0);
    cr_assert_str_eq(out, "a b c/d");
    cr_assert_eq(qv("queryx=1&query=", out, sizeof out), 0);
    cr_assert_str_eq(out, "");
    cr_assert_eq(qv("queryx=1", out, sizeof out), 0);
    cr_assert_str_eq(out, "", "another parameter that starts with the name is not it");
    cr_assert_eq(qv("query=%C5%BC", out, sizeof out), 0);
    cr_assert_str_eq(out, "\xC5\xBC");
}

Test(query_value, refuses_bad_escapes_nul_and_overlong_values)
{
    char out[8];
    cr_assert_eq(qv("query=%", out, sizeof out), WSX_EINVAL);
    cr_assert_eq(qv("query=%4", out, sizeof out), WSX_EINVAL);
    cr_assert_eq(qv("query=%zz", out, sizeof out), WSX_EINVAL);
    cr_assert_eq(qv("query=a%00b", out, sizeof out), WSX_EINVAL);
    cr_assert_eq(qv("query=1234567", out, sizeof out), 0);
    cr_assert_eq(qv("query=12345678", out, sizeof out), WSX_EINVAL);
}

Test(conn_json, has_exactly_the_eleven_fields)
{
    wsx_conn_info_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.pub_client_id, "ws.0123456789abcdef01234567");
    strcpy(c.ext_client_id, "client-1");
    strcpy(c.ext_client_name, "name: x; os: linux");
    strcpy(c.peer_address, "127.0.0.1:50000");
    strcpy(c.local_address, "127.0.0.1:8080");
    strcpy(c.server_name, "srv");
    strcpy(c.connection_time, "2026-11-30T10:00:00.123456");
    strcpy(c.last_seen, "2026-11-30T10:00:01.000000");
    c.channel_id = 7;
    json_t *j = conn_json(&c);
    cr_assert_not_null(j);
    static const char *const keys[] = {"pub_client_id", "ext_client_id",      "ext_client_name",
                                       "peer_address",  "peer_forwarded_for", "local_address",
                                       "server_name",   "connection_time",    "last_seen",
                                       "username",      "channel_id"};
    cr_assert_eq(json_object_size(j), 11);
    for (size_t i = 0; i < 11; i++)
        cr_assert_not_null(json_object_get(j, keys[i]), "missing %s", keys[i]);
    cr_assert_str_eq(json_string_value(json_object_get(j, "ext_client_name")),
                     "name: x; os: linux");
    cr_assert_str_eq(json_string_value(json_object_get(j, "username")), "");
    cr_assert_eq(json_integer_value(json_object_get(j, "channel_id")), 7);
    json_decref(j);
}

Test(conn_json, a_name_cut_inside_a_character_loses_only_that_character)
{
    wsx_conn_info_t c;
    memset(&c, 0, sizeof c);
    strcpy(c.ext_client_name, "abc\xC5"); /* the first byte of a two-byte character */
    json_t *j = conn_json(&c);
    cr_assert_not_null(j, "one cut character must not lose the whole connection");
    cr_assert_str_eq(json_string_value(json_object_get(j, "ext_client_name")), "abc");
    json_decref(j);
}
