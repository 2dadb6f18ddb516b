/* test_admin_conn_merge.c - one reply out of every server's answer: lists put
 * together in connection order with each server reported, broadcasts counted, the
 * owner of a connection found, and every server that gave no usable answer named,
 * never skipped. */
#include <criterion/criterion.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "admin/admin_conn_merge.h"
#include "common/err.h"

/* An HTTP answer from `server`. */
static cluster_answer_t ans(const char *server, int status, const char *body)
{
    cluster_answer_t a = {.rc = 0, .status = status};
    snprintf(a.server, sizeof a.server, "%s", server);
    if (body) {
        a.body = strdup(body);
        a.body_len = strlen(body);
    }
    return a;
}

/* No answer from `server`: rc and why. */
static cluster_answer_t none(const char *server, int rc, const char *error)
{
    cluster_answer_t a = {.rc = rc};
    snprintf(a.server, sizeof a.server, "%s", server);
    snprintf(a.error, sizeof a.error, "%s", error);
    return a;
}

static void free_all(cluster_answer_t *a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(a[i].body);
}

/* The reply's body as JSON (the reply is freed). */
static json_t *reply_json(http_reply_t *r)
{
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, 0, &e);
    cr_assert_not_null(j, "not JSON: %.*s", (int)r->body_len, r->body);
    free(r->body);
    r->body = NULL;
    return j;
}

static void assert_json(json_t *got, const char *want_text)
{
    json_t *want = json_loads(want_text, 0, NULL);
    cr_assert_not_null(want, "bad test JSON %s", want_text);
    char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
    char *w = json_dumps(want, JSON_COMPACT | JSON_SORT_KEYS);
    cr_assert_str_eq(g, w);
    free(g);
    free(w);
    json_decref(want);
}

#define C(id, server, t)                                                                       \
    "{\"pub_client_id\":\"" id "\",\"server_name\":\"" server "\",\"connection_time\":\"" t   \
    "\"}"

Test(merge_list, every_servers_items_in_connection_order_and_every_server_reported)
{
    cluster_answer_t a[] = {
        ans("a", 200,
            "{\"items\":[" C("ws.1", "a", "2026-01-01T00:00:01.000000") "," C(
                "ws.3", "a", "2026-01-01T00:00:03.000000") "],\"total\":2}"),
        ans("b", 200,
            "{\"items\":[" C("ws.2", "b", "2026-01-01T00:00:02.000000") "],\"total\":1}"),
        none("c", WSX_EAGAIN, "no answer in 2 s"),
        ans("d", 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"the signature does "
                      "not match\"}}"),
        ans("e", 200, "not json"),
    };
    http_reply_t r = {0};
    admin_conn_merge_list(a, 5, &r);
    cr_assert_eq(r.status, 200);
    json_t *j = reply_json(&r);
    assert_json(j, "{\"items\":[" C("ws.1", "a", "2026-01-01T00:00:01.000000") "," C(
                       "ws.2", "b", "2026-01-01T00:00:02.000000") "," C("ws.3", "a",
                                                                        "2026-01-01T00:00:03.00"
                                                                        "0000") "],"
                   "\"total\":3,\"servers\":["
                   "{\"name\":\"a\",\"ok\":true},{\"name\":\"b\",\"ok\":true},"
                   "{\"name\":\"c\",\"ok\":false,\"error\":\"no answer in 2 s\"},"
                   "{\"name\":\"d\",\"ok\":false,\"error\":\"answered 401: the signature does "
                   "not match\"},"
                   "{\"name\":\"e\",\"ok\":false,\"error\":\"answered 200\"}]}");
    json_decref(j);
    free_all(a, 5);
}

Test(merge_list, a_server_alone_with_nothing)
{
    cluster_answer_t a[] = {ans("a", 200, "{\"items\":[],\"total\":0}")};
    http_reply_t r = {0};
    admin_conn_merge_list(a, 1, &r);
    json_t *j = reply_json(&r);
    assert_json(j, "{\"items\":[],\"total\":0,\"servers\":[{\"name\":\"a\",\"ok\":true}]}");
    json_decref(j);
    free_all(a, 1);
}

Test(merge_broadcast, sums_what_the_servers_sent_and_reports_the_silent_ones)
{
    cluster_answer_t a[] = {
        ans("a", 200, "{\"sent\":2}"),
        ans("b", 200, "{\"sent\":3}"),
        none("c", WSX_EIO, "Failed to connect to 10.0.0.3 port 8183"),
        ans("d", 500, "{\"error\":{\"code\":\"internal\",\"message\":\"cannot broadcast\"}}"),
    };
    http_reply_t r = {0};
    admin_conn_merge_broadcast(a, 4, &r);
    cr_assert_eq(r.status, 200);
    json_t *j = reply_json(&r);
    assert_json(j, "{\"sent\":5,\"servers\":[{\"name\":\"a\",\"ok\":true},"
                   "{\"name\":\"b\",\"ok\":true},"
                   "{\"name\":\"c\",\"ok\":false,\"error\":\"Failed to connect to 10.0.0.3 port "
                   "8183\"},"
                   "{\"name\":\"d\",\"ok\":false,\"error\":\"answered 500: cannot broadcast\"}]}");
    json_decref(j);
    free_all(a, 4);
}

static const char NOT_HERE[] =
    "{\"error\":{\"code\":\"not_found\",\"message\":\"no connection ws.x on this server\"}}";

Test(merge_owner, the_owners_answer_passes_through)
{
    cluster_answer_t a[] = {
        ans("a", 404, NOT_HERE),
        none("b", WSX_EAGAIN, "no answer in 7 s"),
        ans("c", 200, "{\"response\":{\"ok\":1}}"),
    };
    http_reply_t r = {0};
    admin_conn_merge_owner(a, 3, "ws.x", 1, &r);
    cr_assert_eq(r.status, 200);
    cr_assert_eq(r.body_len, strlen("{\"response\":{\"ok\":1}}"));
    cr_assert_eq(memcmp(r.body, "{\"response\":{\"ok\":1}}", r.body_len), 0);
    free(r.body);
    /* a disconnect: 204 without a body */
    cluster_answer_t d[] = {ans("a", 404, NOT_HERE), ans("b", 204, NULL)};
    http_reply_t r2 = {0};
    admin_conn_merge_owner(d, 2, "ws.x", 0, &r2);
    cr_assert_eq(r2.status, 204);
    cr_assert_null(r2.body);
    free_all(a, 3);
    free_all(d, 2);
}

Test(merge_owner, which_answers_come_from_the_owner)
{
    struct {
        int status;
        const char *body;
        int invoke_owner, disconnect_owner;
    } cases[] = {
        {200, "{\"response\":1}", 1, 0},
        {204, NULL, 0, 1},
        {404, NOT_HERE, 0, 0},
        {410, "{\"error\":{\"code\":\"closed\",\"message\":\"closed\"}}", 1, 0},
        {504, "{\"error\":{\"code\":\"timeout\",\"message\":\"late\"}}", 1, 0},
        {502, "{\"error\":{\"code\":\"bad_response\",\"message\":\"not JSON\"}}", 1, 0},
        /* a proxy's 502 or a server's own failure is no owner */
        {502, "<html>bad gateway</html>", 0, 0},
        {500, "{\"error\":{\"code\":\"internal\",\"message\":\"x\"}}", 0, 0},
        {401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"x\"}}", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cluster_answer_t a = ans("s", cases[i].status, cases[i].body);
        cr_assert_eq(admin_conn_is_owner(&a, 1), cases[i].invoke_owner, "invoke, %d %s",
                     cases[i].status, cases[i].body);
        cr_assert_eq(admin_conn_is_owner(&a, 0), cases[i].disconnect_owner, "disconnect, %d",
                     cases[i].status);
        free(a.body);
    }
    cluster_answer_t late = none("s", WSX_EAGAIN, "no answer in 2 s");
    cr_assert_eq(admin_conn_is_owner(&late, 1), 0);
}

Test(merge_owner, _404_only_when_every_server_said_so)
{
    cluster_answer_t one[] = {ans("a", 404, NOT_HERE)};
    http_reply_t r = {0};
    admin_conn_merge_owner(one, 1, "ws.x", 0, &r);
    cr_assert_eq(r.status, 404);
    json_t *j = reply_json(&r);
    assert_json(j, "{\"error\":{\"code\":\"not_found\",\"message\":\"no connection ws.x on this "
                   "server\"}}");
    json_decref(j);
    cluster_answer_t all[] = {ans("a", 404, NOT_HERE), ans("b", 404, NOT_HERE),
                              ans("c", 404, NOT_HERE)};
    admin_conn_merge_owner(all, 3, "ws.x", 1, &r);
    cr_assert_eq(r.status, 404);
    j = reply_json(&r);
    assert_json(j, "{\"error\":{\"code\":\"not_found\",\"message\":\"no connection ws.x on any "
                   "of the 3 servers of the cluster\"}}");
    json_decref(j);
    free_all(one, 1);
    free_all(all, 3);
}

Test(merge_owner, _502_names_the_servers_that_did_not_answer)
{
    cluster_answer_t a[] = {
        ans("a", 404, NOT_HERE),
        none("b", WSX_EAGAIN, "no answer in 2 s"),
        ans("c", 404, NOT_HERE),
        ans("d", 401, "{\"error\":{\"code\":\"unauthorized\",\"message\":\"bad signature\"}}"),
    };
    http_reply_t r = {0};
    admin_conn_merge_owner(a, 4, "ws.x", 0, &r);
    cr_assert_eq(r.status, 502);
    json_t *j = reply_json(&r);
    assert_json(j, "{\"error\":{\"code\":\"servers_unavailable\",\"message\":"
                   "\"connection ws.x is not on \\\"a\\\", \\\"c\\\"; it may be on \\\"b\\\" (no "
                   "answer in 2 s) or \\\"d\\\" (answered 401: bad signature)\"},"
                   "\"servers\":[{\"name\":\"a\",\"ok\":true},"
                   "{\"name\":\"b\",\"ok\":false,\"error\":\"no answer in 2 s\"},"
                   "{\"name\":\"c\",\"ok\":true},"
                   "{\"name\":\"d\",\"ok\":false,\"error\":\"answered 401: bad signature\"}]}");
    json_decref(j);
    /* nobody answered at all */
    cluster_answer_t b[] = {none("a", WSX_ENOMEM, "out of memory"),
                            none("b", WSX_EIO, "Connection refused")};
    admin_conn_merge_owner(b, 2, "ws.y", 1, &r);
    cr_assert_eq(r.status, 502);
    j = reply_json(&r);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    cr_assert_str_eq(msg, "connection ws.y may be on \"a\" (out of memory) or \"b\" (Connection "
                          "refused)");
    json_decref(j);
    free_all(a, 4);
}
