/* test_http_server.c - deferred replies of the admin HTTP server, over real TCP on
 * 127.0.0.1: the loop runs in a thread of its own, the test body is the client and
 * reaches into the loop's thread only through ev_post (run_on_loop). Includes
 * http_server.c to see whether a handle is still attached to its connection. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/http_server.c"

typedef struct fixture {
    ev_loop_t *loop;
    http_server_t *srv;
    pthread_t thread;
    uint16_t port;
    http_defer_t *pending; /* the last deferred reply (loop thread only) */
    int calls;             /* handler calls (loop thread only) */
} fixture_t;

static fixture_t F;

/* GET /defer defers; /defer-now defers and completes inside the handler; any other
 * path is answered at once with the path as its body. */
static void handler(void *ctx, const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    fixture_t *f = ctx;
    f->calls++;
    if (wsx_slice_eq(req->path, "/defer") || wsx_slice_eq(req->path, "/defer-now")) {
        out->body = strdup("dropped: the handler deferred");
        out->body_len = strlen(out->body);
        http_defer_t *d = http_server_defer(out);
        cr_assert_not_null(d);
        if (wsx_slice_eq(req->path, "/defer")) {
            f->pending = d;
            return;
        }
        http_reply_t r = {.status = 200, .body = strdup("now"), .body_len = 3};
        http_server_complete(d, &r);
        return;
    }
    if (wsx_slice_eq(req->path, "/peer")) { /* the client's address, and extra headers */
        out->status = 200;
        out->cache_control = "no-cache";
        cr_assert_eq(http_reply_add_header(out, "X-One: 1"), 0);
        cr_assert_eq(http_reply_add_header(out, "X-Two: %d", 2), 0);
        char big[2048];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        cr_assert_eq(http_reply_add_header(out, "X-Big: %s", big), WSX_ETOOBIG);
        out->body = strdup(http_server_peer(out));
        out->body_len = strlen(out->body);
        return;
    }
    if (wsx_slice_eq(req->path, "/not-modified")) { /* a 304 sends no body */
        out->status = 304;
        out->body = strdup("never sent");
        out->body_len = strlen(out->body);
        return;
    }
    out->status = 200;
    out->body = strndup((const char *)req->path.ptr, req->path.len);
    out->body_len = req->path.len;
}

static void *loop_main(void *arg)
{
    ev_loop_run(F.loop);
    return NULL;
}

static void setup(void)
{
    memset(&F, 0, sizeof F);
    F.loop = ev_loop_new();
    cr_assert_not_null(F.loop);
    char err[128];
    int fd = sock_listen("127.0.0.1", 0, 0, err, sizeof err);
    cr_assert_geq(fd, 0, "%s", err);
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    F.port = ntohs(sa.sin_port);
    F.srv = http_server_new(F.loop, fd, 4096, handler, &F);
    cr_assert_not_null(F.srv);
    cr_assert_eq(pthread_create(&F.thread, NULL, loop_main, NULL), 0);
}

typedef struct call {
    void (*fn)(void *arg);
    void *arg;
    sem_t done;
} call_t;

static void call_cmd(ev_loop_t *loop, void *arg)
{
    call_t *c = arg;
    c->fn(c->arg);
    sem_post(&c->done);
}

/* Run fn(arg) on the loop's thread and wait until it has run. */
static void run_on_loop(void (*fn)(void *), void *arg)
{
    call_t c = {.fn = fn, .arg = arg};
    sem_init(&c.done, 0, 0);
    cr_assert_eq(ev_post(F.loop, call_cmd, &c), 0);
    sem_wait(&c.done);
    sem_destroy(&c.done);
}

static void do_stop(void *arg)
{
    ev_loop_stop(F.loop);
}

static void do_free_server(void *arg)
{
    http_server_free(F.srv);
    F.srv = NULL;
}

static void teardown(void)
{
    run_on_loop(do_stop, NULL);
    pthread_join(F.thread, NULL);
    http_server_free(F.srv);
    ev_loop_free(F.loop);
}

typedef struct probe {
    int calls;
    int has_pending;
    int attached; /* the pending handle still points at its connection */
    int conns;    /* open connections */
} probe_t;

static void do_probe(void *arg)
{
    probe_t *p = arg;
    p->calls = F.calls;
    p->has_pending = F.pending != NULL;
    p->attached = F.pending && F.pending->conn;
    p->conns = 0;
    for (hconn_t *c = F.srv ? F.srv->conns : NULL; c; c = c->next)
        p->conns++;
}

static probe_t probe(void)
{
    probe_t p;
    run_on_loop(do_probe, &p);
    return p;
}

/* Wait (up to 10 s) until the handler has deferred a reply. */
static void wait_deferred(void)
{
    for (int i = 0; i < 1000; i++) {
        if (probe().has_pending)
            return;
        usleep(10000);
    }
    cr_assert_fail("the handler was not called with /defer");
}

static void do_complete(void *arg)
{
    http_reply_t r = {.status = 200, .body = strdup(arg), .body_len = strlen(arg)};
    http_server_complete(F.pending, &r);
    F.pending = NULL;
}

static int connect_client(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(F.port),
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_all(int fd, const char *s)
{
    cr_assert_eq(send(fd, s, strlen(s), MSG_NOSIGNAL), (ssize_t)strlen(s));
}

/* Is anything (data or EOF) readable within ms? */
static int readable_within(int fd, int ms)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, ms) > 0;
}

/* Read until `n` responses have arrived whole (or EOF, or 10 s), into buf. */
static size_t read_responses(int fd, char *buf, size_t cap, int n)
{
    size_t len = 0;
    for (;;) {
        buf[len] = 0;
        int seen = 0;
        for (const char *p = buf; (p = strstr(p, "HTTP/1.1 ")); p++) {
            const char *cl = strstr(p, "Content-Length: ");
            const char *end = strstr(p, "\r\n\r\n");
            if (!cl || !end || end + 4 + atoi(cl + 16) > buf + len)
                break;
            seen++;
        }
        if (seen >= n || !readable_within(fd, 10000))
            return len;
        ssize_t k = recv(fd, buf + len, cap - 1 - len, 0);
        if (k <= 0)
            return len;
        len += (size_t)k;
    }
}

#define REQ(path) "GET " path " HTTP/1.1\r\nHost: t\r\n\r\n"

TestSuite(http_reply, .init = setup, .fini = teardown, .timeout = 30);

Test(http_reply, the_handler_sees_the_peer_address_and_adds_headers)
{
    int fd = connect_client();
    send_all(fd, REQ("/peer"));
    char buf[4096];
    read_responses(fd, buf, sizeof buf, 1);
    cr_assert_not_null(strstr(buf, "\r\n\r\n127.0.0.1"), "%s", buf);
    cr_assert_not_null(strstr(buf, "\r\nX-One: 1\r\nX-Two: 2\r\n"), "%s", buf);
    cr_assert_null(strstr(buf, "X-Big"), "a header that does not fit was half added: %s", buf);
    cr_assert_not_null(strstr(buf, "\r\nCache-Control: no-cache\r\n"), "%s", buf);
    cr_assert_null(strstr(buf, "no-store"), "%s", buf);
    close(fd);
}

Test(http_reply, a_304_has_no_body_and_the_next_reply_follows_it)
{
    int fd = connect_client();
    send_all(fd, REQ("/not-modified") REQ("/after"));
    char buf[4096] = "";
    size_t len = 0;
    while (!strstr(buf, "\r\n\r\n/after") && len < sizeof buf - 1 && readable_within(fd, 10000)) {
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0)
            break;
        len += (size_t)k;
        buf[len] = 0;
    }
    static const char head304[] = "HTTP/1.1 304 Not Modified\r\n";
    static const char head200[] = "HTTP/1.1 200 OK\r\n";
    cr_assert(strncmp(buf, head304, sizeof head304 - 1) == 0, "%s", buf);
    char *end = strstr(buf, "\r\n\r\n");
    cr_assert_not_null(end, "%s", buf);
    cr_assert(strncmp(end + 4, head200, sizeof head200 - 1) == 0,
              "the 304 carried a body, or the next reply did not follow: %s", buf);
    cr_assert_null(strstr(buf, "never sent"), "%s", buf);
    *end = 0;
    cr_assert_null(strstr(buf, "Content-Length"), "a 304 announced a body length: %s", buf);
    close(fd);
}

TestSuite(http_defer, .init = setup, .fini = teardown, .timeout = 30);

Test(http_defer, the_reply_waits_and_a_pipelined_request_waits_behind_it)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer") REQ("/after"));
    wait_deferred();
    cr_assert_not(readable_within(fd, 200), "a deferred reply must not be answered yet");
    cr_assert_eq(probe().calls, 1, "the pipelined request was handled before the deferred one");

    run_on_loop(do_complete, "late");
    char buf[4096];
    read_responses(fd, buf, sizeof buf, 2);
    char *first = strstr(buf, "\r\n\r\nlate");
    char *second = strstr(buf, "\r\n\r\n/after");
    cr_assert_not_null(first, "the deferred reply: %s", buf);
    cr_assert_not_null(second, "the pipelined reply after it: %s", buf);
    cr_assert_lt(first, second, "replies out of order: %s", buf);
    cr_assert_null(strstr(buf, "Connection: close"), "keep-alive was lost: %s", buf);
    cr_assert_null(strstr(buf, "dropped"), "what the handler left in *out was sent: %s", buf);
    cr_assert_eq(probe().calls, 2);

    /* the connection is still usable */
    send_all(fd, REQ("/again"));
    read_responses(fd, buf, sizeof buf, 1);
    cr_assert_not_null(strstr(buf, "\r\n\r\n/again"), "%s", buf);
    close(fd);
}

Test(http_defer, completing_inside_the_handler_answers_in_order)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer-now") REQ("/after"));
    char buf[4096];
    read_responses(fd, buf, sizeof buf, 2);
    char *first = strstr(buf, "\r\n\r\nnow");
    char *second = strstr(buf, "\r\n\r\n/after");
    cr_assert(first && second && first < second, "%s", buf);
    cr_assert_eq(probe().calls, 2);
    close(fd);
}

Test(http_defer, completing_after_the_client_reset_is_dropped_safely)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer"));
    wait_deferred();
    struct linger lg = {1, 0}; /* close with RST: the server sees an error, not EOF */
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd);
    probe_t p;
    for (int i = 0; i < 1000 && (p = probe()).attached; i++)
        usleep(10000);
    cr_assert_not(p.attached, "the server did not notice the reset while the reply was pending");
    cr_assert_eq(p.conns, 0);
    run_on_loop(do_complete, "nobody reads this"); /* ASan: no use after free, no leak */
    cr_assert_eq(probe().conns, 0);
}

Test(http_defer, a_half_closed_client_still_gets_the_reply_then_eof)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer"));
    wait_deferred();
    shutdown(fd, SHUT_WR);
    usleep(100000); /* let the server read the EOF first; the result must not depend on it */
    cr_assert(probe().attached);
    run_on_loop(do_complete, "late");
    char buf[4096];
    size_t n = read_responses(fd, buf, sizeof buf, 1);
    cr_assert_not_null(strstr(buf, "\r\n\r\nlate"), "%s", buf);
    cr_assert_not_null(strstr(buf, "Connection: close"), "%s", buf);
    cr_assert(readable_within(fd, 10000));
    cr_assert_eq(recv(fd, buf + n, sizeof buf - n, 0), 0, "the server should close after it");
    close(fd);
}

static void do_fire_idle(void *arg)
{
    for (hconn_t *c = F.srv->conns; c; c = c->next)
        on_idle(F.loop, &c->idle);
}

Test(http_defer, the_idle_timeout_does_not_cut_a_pending_reply)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer"));
    wait_deferred();
    run_on_loop(do_fire_idle, NULL); /* as if 30 s had passed */
    cr_assert(probe().attached, "the idle timeout closed a connection waiting for its reply");
    run_on_loop(do_complete, "late");
    char buf[4096];
    read_responses(fd, buf, sizeof buf, 1);
    cr_assert_not_null(strstr(buf, "\r\n\r\nlate"), "%s", buf);
    close(fd);
}

Test(http_defer, completing_after_the_server_was_freed_is_dropped_safely)
{
    int fd = connect_client();
    send_all(fd, REQ("/defer"));
    wait_deferred();
    run_on_loop(do_free_server, NULL);
    cr_assert_not(probe().attached);
    run_on_loop(do_complete, "too late");
    char buf[256];
    cr_assert(readable_within(fd, 10000));
    cr_assert_eq(recv(fd, buf, sizeof buf, 0), 0, "the freed server should have closed");
    close(fd);
}
