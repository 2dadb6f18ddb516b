/* test_cluster_client.c - server-to-server calls over real TCP on 127.0.0.1: a peer
 * (http_server on the same loop) that checks the signature, one that accepts and
 * never answers, a port nobody listens on. The fan-out helper gathers them into one
 * callback, slot by slot, within the calls' timeout; an early answer settles a
 * gather at once; stopping the client answers what is in flight. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <sanitizer/lsan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster_client.h"
#include "cluster/cluster_gather.h"
#include "cluster/cluster_sign.h"
#include "common/err.h"
#include "http/http_server.h"
#include "net/sock.h"

static cluster_secret_t SECRET = {.key = "0123456789abcdef0123456789abcdef", .len = 32};

typedef struct fixture {
    ev_loop_t *loop;
    http_server_t *srv;
    cluster_client_t *client;
    ev_timer_t guard;
    char good[64];   /* base URL of the signature-checking peer */
    char silent[64]; /* accepts, never answers */
    char closed[64]; /* nobody listens */
    int silent_fd;
    int held;        /* /hold requests deferred and never completed */
    http_defer_t *hold[8];
} fixture_t;

static fixture_t F;

static uint16_t port_of(int fd)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    return ntohs(sa.sin_port);
}

/* Answers 401 without a good signature; /hold is deferred until the test ends;
 * anything else gets "<caller> <method> <target> <body>". */
static void handler(void *ctx, const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    const wsx_slice_t *h = http_request_header(req, CLUSTER_SIGN_HEADER);
    char server[128], why[256] = "no header";
    if (!h || cluster_verify(SECRET.key, SECRET.len, *h, req->method, req->target, body,
                             (int64_t)time(NULL), server, sizeof server, why, sizeof why) < 0) {
        out->status = 401;
        out->body = strdup(why);
        out->body_len = strlen(out->body);
        return;
    }
    if (wsx_slice_eq(req->path, "/hold")) {
        F.hold[F.held++] = http_server_defer(out);
        return;
    }
    char buf[512];
    int n = snprintf(buf, sizeof buf, "%s %.*s %.*s %.*s", server, (int)req->method.len,
                     (const char *)req->method.ptr, (int)req->target.len,
                     (const char *)req->target.ptr, (int)body.len, (const char *)body.ptr);
    out->status = wsx_slice_eq(req->path, "/gone") ? 404 : 200;
    out->body = strdup(buf);
    out->body_len = (size_t)n;
}

static void guard_fired(ev_loop_t *loop, ev_timer_t *t)
{
    ev_loop_stop(loop);
}

static void setup(void)
{
    memset(&F, 0, sizeof F);
    F.loop = ev_loop_new();
    cr_assert_not_null(F.loop);
    char err[128];
    int fd = sock_listen("127.0.0.1", 0, 0, err, sizeof err);
    cr_assert_geq(fd, 0, "%s", err);
    snprintf(F.good, sizeof F.good, "http://127.0.0.1:%u", port_of(fd));
    F.srv = http_server_new(F.loop, fd, 4096, handler, NULL);
    cr_assert_not_null(F.srv);
    F.silent_fd = sock_listen("127.0.0.1", 0, 0, err, sizeof err); /* never accept()ed */
    cr_assert_geq(F.silent_fd, 0, "%s", err);
    snprintf(F.silent, sizeof F.silent, "http://127.0.0.1:%u", port_of(F.silent_fd));
    int cfd = sock_listen("127.0.0.1", 0, 0, err, sizeof err);
    snprintf(F.closed, sizeof F.closed, "http://127.0.0.1:%u", port_of(cfd));
    close(cfd);
    F.client = cluster_client_new(F.loop, &SECRET, "server-a");
    cr_assert_not_null(F.client);
}

/* Also called by a test that checks for leaks: a second call does nothing. */
static void teardown(void)
{
    if (!F.loop)
        return;
    cluster_client_free(F.client);
    ev_loop_drain(F.loop);
    for (int i = 0; i < F.held; i++) {
        http_reply_t r = {.status = 200};
        http_server_complete(F.hold[i], &r);
    }
    http_server_free(F.srv);
    close(F.silent_fd);
    ev_loop_free(F.loop);
    F.loop = NULL;
}

/* Run the loop until a callback stops it, at most `ms`. */
static void run_for(uint64_t ms)
{
    ev_timer_start(F.loop, &F.guard, ms, guard_fired);
    ev_loop_run(F.loop);
    ev_timer_stop(F.loop, &F.guard);
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

typedef struct result {
    int calls;
    size_t n;
    cluster_answer_t a[8];
    char body[8][512];
    uint64_t at_ms;
} result_t;

static void gathered(void *ctx, cluster_answer_t *answers, size_t n)
{
    result_t *r = ctx;
    r->calls++;
    r->n = n;
    r->at_ms = now_ms();
    for (size_t i = 0; i < n && i < 8; i++) {
        r->a[i] = answers[i];
        snprintf(r->body[i], sizeof r->body[i], "%s", answers[i].body ? answers[i].body : "");
        r->a[i].body = NULL;
    }
    ev_loop_stop(F.loop);
}

static cluster_call_t call_to(const char *name, const char *base, const char *method,
                              const char *target, const char *body, uint64_t timeout_ms)
{
    return (cluster_call_t){.server = name, .base_url = base, .method = method, .target = target,
                            .body = body, .body_len = body ? strlen(body) : 0,
                            .timeout_ms = timeout_ms};
}

Test(cluster_gather, one_callback_with_every_answer_in_slot_order, .init = setup, .fini = teardown)
{
    result_t r = {0};
    cluster_gather_t *g = cluster_gather_new(4, NULL, gathered, &r);
    cr_assert_not_null(g);
    cluster_answer_t local = {.rc = 0, .status = 200, .body = strdup("mine"), .body_len = 4};
    snprintf(local.server, sizeof local.server, "server-a");
    cluster_gather_put(g, 0, &local);
    cr_assert_null(local.body, "the gather takes the body");
    cluster_call_t c1 = call_to("b", F.good, "POST", "/api/v1/internal/x?query=a%20b",
                                "{\"data\":[1,2]}", 2000);
    cluster_call_t c2 = call_to("c", F.silent, "GET", "/api/v1/internal/y", NULL, 300);
    cluster_call_t c3 = call_to("d", F.closed, "DELETE", "/api/v1/internal/z", NULL, 2000);
    cluster_gather_call(g, 1, F.client, &c1);
    cluster_gather_call(g, 2, F.client, &c2);
    cluster_gather_call(g, 3, F.client, &c3);
    uint64_t t0 = now_ms();
    cluster_gather_start(g);
    cr_assert_eq(r.calls, 0, "no answer may come inside the calls");
    run_for(10000);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.n, 4);
    cr_assert_str_eq(r.a[0].server, "server-a");
    cr_assert_str_eq(r.body[0], "mine");
    cr_assert_str_eq(r.a[1].server, "b");
    cr_assert_eq(r.a[1].rc, 0, "%s", r.a[1].error);
    cr_assert_eq(r.a[1].status, 200, "%s", r.body[1]);
    /* the peer saw our name, the method, the target as signed and the body */
    cr_assert_str_eq(r.body[1], "server-a POST /api/v1/internal/x?query=a%20b {\"data\":[1,2]}");
    cr_assert_str_eq(r.a[2].server, "c");
    cr_assert_eq(r.a[2].rc, WSX_EAGAIN);
    cr_assert_str_eq(r.a[2].error, "no answer in 0.3 s");
    cr_assert_str_eq(r.a[3].server, "d");
    cr_assert_eq(r.a[3].rc, WSX_EIO);
    cr_assert(strstr(r.a[3].error, "onnect"), "%s", r.a[3].error);
    /* in parallel: the silent server's 0.3 s, not the sum of every call */
    cr_assert_lt(r.at_ms - t0, 2000, "took %llu ms", (unsigned long long)(r.at_ms - t0));
    cr_assert_geq(r.at_ms - t0, 250);
}

Test(cluster_gather, calls_with_the_wrong_secret_get_401, .init = setup, .fini = teardown)
{
    cluster_secret_t other = SECRET;
    other.key[0] ^= 1;
    cluster_client_t *c = cluster_client_new(F.loop, &other, "intruder");
    cr_assert_not_null(c);
    result_t r = {0};
    cluster_gather_t *g = cluster_gather_new(2, NULL, gathered, &r);
    cluster_call_t good = call_to("b", F.good, "GET", "/ok", NULL, 2000);
    cluster_gather_call(g, 0, c, &good);
    cluster_gather_call(g, 1, F.client, &good);
    cluster_gather_start(g);
    run_for(10000);
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.a[0].rc, 0);
    cr_assert_eq(r.a[0].status, 401);
    cr_assert(strstr(r.body[0], "signature does not match"), "%s", r.body[0]);
    cr_assert_eq(r.a[1].status, 200);
    cr_assert_str_eq(r.body[1], "server-a GET /ok ");
    cluster_client_free(c);
}

static int owner_answered(void *ctx, const cluster_answer_t *a)
{
    return a->rc == 0 && a->status == 200;
}

Test(cluster_gather, an_answer_that_settles_it_does_not_wait_for_the_others, .init = setup,
     .fini = teardown)
{
    result_t r = {0};
    cluster_gather_t *g = cluster_gather_new(3, owner_answered, gathered, &r);
    cluster_call_t slow = call_to("slow", F.silent, "GET", "/x", NULL, 1500);
    cluster_call_t miss = call_to("miss", F.good, "GET", "/gone", NULL, 1500);
    cluster_call_t hit = call_to("hit", F.good, "GET", "/found", NULL, 1500);
    cluster_gather_call(g, 0, F.client, &slow);
    cluster_gather_call(g, 1, F.client, &miss);
    cluster_gather_call(g, 2, F.client, &hit);
    uint64_t t0 = now_ms();
    cluster_gather_start(g);
    run_for(10000);
    cr_assert_eq(r.calls, 1);
    cr_assert_lt(r.at_ms - t0, 1000, "waited %llu ms for the slow one",
                 (unsigned long long)(r.at_ms - t0));
    cr_assert_eq(r.a[0].rc, WSX_EAGAIN, "not answered yet");
    cr_assert_str_eq(r.a[0].error, "");
    cr_assert_eq(r.a[2].status, 200);
    /* the slow answer still arrives later, is dropped, and the gather is freed; no
     * second callback */
    run_for(2500);
    cr_assert_eq(r.calls, 1);
    teardown();
    cr_assert_eq(__lsan_do_recoverable_leak_check(), 0, "the gather leaked");
}

Test(cluster_gather, a_slot_that_cannot_be_called_is_reported, .init = setup, .fini = teardown)
{
    result_t r = {0};
    cluster_gather_t *g = cluster_gather_new(1, NULL, gathered, &r);
    cluster_call_t bad = call_to("b", F.good, "GET", "/x", NULL, 0); /* no timeout */
    cluster_gather_call(g, 0, F.client, &bad);
    cluster_gather_start(g); /* every slot filled: the callback runs here */
    cr_assert_eq(r.calls, 1);
    cr_assert_eq(r.a[0].rc, WSX_EINVAL);
    cr_assert(strstr(r.a[0].error, "cannot call"), "%s", r.a[0].error);
}

static void count_answer(void *ctx, cluster_answer_t *a)
{
    cluster_answer_t *out = ctx;
    *out = *a;
    out->body = NULL;
}

Test(cluster_client, stopping_answers_the_calls_in_flight, .init = setup, .fini = teardown)
{
    cluster_answer_t a = {.rc = 1};
    cluster_call_t hold = call_to("b", F.good, "GET", "/hold", NULL, 5000);
    cr_assert_eq(cluster_client_call(F.client, &hold, count_answer, &a), 0);
    /* run until the peer holds the request, then stop the client under it */
    for (int i = 0; i < 100 && !F.held; i++)
        run_for(50);
    cr_assert_eq(F.held, 1);
    cluster_client_free(F.client);
    F.client = NULL;
    cr_assert_eq(a.rc, 1, "answered before the loop ran");
    ev_loop_drain(F.loop);
    cr_assert_eq(a.rc, WSX_ECLOSED);
    cr_assert_str_eq(a.error, "this server is stopping");
}
