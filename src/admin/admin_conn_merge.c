/* admin_conn_merge.c - merging the servers' answers (see admin_conn_merge.h). Each
 * answer is the JSON an internal endpoint gave, or the reason there was none. */
#include "admin/admin_conn_merge.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/admin_reply.h"

#define ERROR_SHOWN 220 /* bytes of a server's own error message quoted in ours */

/* a's body as JSON (a new reference), or NULL when there is none or it is not JSON. */
static json_t *body_json(const cluster_answer_t *a)
{
    if (a->rc < 0 || !a->body)
        return NULL;
    return json_loadb(a->body, a->body_len, 0, NULL);
}

/* Why a server's answer is not usable, as a short sentence, into buf. */
static const char *why_not(const cluster_answer_t *a, char *buf, size_t cap)
{
    if (a->rc < 0) {
        snprintf(buf, cap, "%s", a->error[0] ? a->error : "no answer");
        return buf;
    }
    json_t *j = body_json(a);
    const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
    if (msg)
        snprintf(buf, cap, "answered %d: %.*s", a->status, ERROR_SHOWN, msg);
    else
        snprintf(buf, cap, "answered %d", a->status);
    json_decref(j);
    return buf;
}

static json_t *server_entry(const cluster_answer_t *a, int ok)
{
    if (ok)
        return json_pack("{s:s, s:b}", "name", a->server, "ok", 1);
    char why[sizeof a->error + 32];
    return json_pack("{s:s, s:b, s:s}", "name", a->server, "ok", 0, "error",
                     why_not(a, why, sizeof why));
}

static int by_time(const void *x, const void *y)
{
    json_t *const *a = x, *const *b = y;
    const char *ta = json_string_value(json_object_get(*a, "connection_time"));
    const char *tb = json_string_value(json_object_get(*b, "connection_time"));
    int c = strcmp(ta ? ta : "", tb ? tb : "");
    if (c)
        return c;
    const char *ia = json_string_value(json_object_get(*a, "pub_client_id"));
    const char *ib = json_string_value(json_object_get(*b, "pub_client_id"));
    return strcmp(ia ? ia : "", ib ? ib : "");
}

static void reply_oom(http_reply_t *out)
{
    admin_reply_error(out, 500, "internal", NULL, "out of memory merging the servers' answers");
}

void admin_conn_merge_list(const cluster_answer_t *answers, size_t n, http_reply_t *out)
{
    json_t *servers = json_array(), *all = json_array();
    int bad = !servers || !all;
    for (size_t i = 0; !bad && i < n; i++) {
        const cluster_answer_t *a = &answers[i];
        json_t *j = a->rc == 0 && a->status == 200 ? body_json(a) : NULL;
        json_t *items = json_object_get(j, "items");
        int ok = json_is_array(items);
        if (ok)
            bad = json_array_extend(all, items) < 0;
        json_decref(j);
        bad = bad || json_array_append_new(servers, server_entry(a, ok)) < 0;
    }
    if (bad) {
        json_decref(servers);
        json_decref(all);
        reply_oom(out);
        return;
    }
    /* each server's list is in connection order; together they are not */
    size_t total = json_array_size(all);
    json_t **v = total ? malloc(total * sizeof *v) : NULL;
    json_t *items = json_array();
    if ((total && !v) || !items) {
        free(v);
        json_decref(items);
        json_decref(servers);
        json_decref(all);
        reply_oom(out);
        return;
    }
    for (size_t i = 0; i < total; i++)
        v[i] = json_array_get(all, i);
    if (total > 1)
        qsort(v, total, sizeof *v, by_time);
    for (size_t i = 0; i < total; i++)
        json_array_append(items, v[i]);
    free(v);
    json_decref(all);
    admin_reply_json(out, 200,
                     json_pack("{s:o, s:I, s:o}", "items", items, "total", (json_int_t)total,
                               "servers", servers));
}

void admin_conn_merge_broadcast(const cluster_answer_t *answers, size_t n, http_reply_t *out)
{
    json_t *servers = json_array();
    json_int_t sent = 0;
    for (size_t i = 0; servers && i < n; i++) {
        const cluster_answer_t *a = &answers[i];
        json_t *j = a->rc == 0 && a->status == 200 ? body_json(a) : NULL;
        json_t *s = json_object_get(j, "sent");
        int ok = json_is_integer(s) && json_integer_value(s) >= 0;
        if (ok)
            sent += json_integer_value(s);
        json_decref(j);
        if (json_array_append_new(servers, server_entry(a, ok)) < 0) {
            json_decref(servers);
            servers = NULL;
        }
    }
    if (!servers) {
        reply_oom(out);
        return;
    }
    admin_reply_json(out, 200, json_pack("{s:I, s:o}", "sent", sent, "servers", servers));
}

int admin_conn_is_owner(const cluster_answer_t *a, int invoke)
{
    if (a->rc < 0)
        return 0;
    if (!invoke)
        return a->status == 204;
    if (a->status == 200 || a->status == 410 || a->status == 504)
        return 1;
    if (a->status != 502)
        return 0;
    json_t *j = body_json(a);
    const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
    int owner = code && strcmp(code, "bad_response") == 0;
    json_decref(j);
    return owner;
}

/* The owner's answer as it came: its status and body. */
static void pass_through(const cluster_answer_t *a, http_reply_t *out)
{
    out->status = a->status;
    if (a->body && a->body_len && a->status != 204) {
        out->body = malloc(a->body_len);
        if (!out->body) {
            reply_oom(out);
            return;
        }
        memcpy(out->body, a->body, a->body_len);
        out->body_len = a->body_len;
    }
}

void admin_conn_merge_owner(const cluster_answer_t *answers, size_t n, const char *pub_id,
                            int invoke, http_reply_t *out)
{
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) {
        if (admin_conn_is_owner(&answers[i], invoke)) {
            pass_through(&answers[i], out);
            return;
        }
        if (!(answers[i].rc == 0 && answers[i].status == 404))
            missing++;
    }
    if (!missing) {
        if (n <= 1)
            admin_reply_error(out, 404, "not_found", NULL, "no connection %s on this server",
                              pub_id);
        else
            admin_reply_error(out, 404, "not_found", NULL,
                              "no connection %s on any of the %zu servers of the cluster",
                              pub_id, n);
        return;
    }
    /* "connection X is not on "a"; it may be on "b" (no answer in 2 s) or "c" (...)" */
    char *msg = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&msg, &len);
    json_t *servers = json_array();
    if (!f || !servers) {
        if (f)
            fclose(f);
        free(msg);
        json_decref(servers);
        reply_oom(out);
        return;
    }
    fprintf(f, "connection %s", pub_id);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const cluster_answer_t *a = &answers[i];
        int absent = a->rc == 0 && a->status == 404;
        json_array_append_new(servers, server_entry(a, absent));
        if (absent)
            fprintf(f, "%s\"%s\"", k++ ? ", " : " is not on ", a->server);
    }
    k = 0;
    for (size_t i = 0; i < n; i++) {
        const cluster_answer_t *a = &answers[i];
        if (a->rc == 0 && a->status == 404)
            continue;
        char why[sizeof a->error + 32];
        fprintf(f, "%s\"%s\" (%s)", k ? " or " : n > missing ? "; it may be on " : " may be on ",
                a->server, why_not(a, why, sizeof why));
        k++;
    }
    fclose(f);
    http_reply_t tmp = {0};
    admin_reply_error(&tmp, 502, "servers_unavailable", NULL, "%s", msg ? msg : "");
    free(msg);
    json_t *body = tmp.body ? json_loadb(tmp.body, tmp.body_len, 0, NULL) : NULL;
    free(tmp.body);
    if (!body || json_object_set_new(body, "servers", servers) < 0) {
        if (!body)
            json_decref(servers);
        json_decref(body);
        reply_oom(out);
        return;
    }
    admin_reply_json(out, 502, body);
}
