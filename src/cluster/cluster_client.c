/* cluster_client.c - the helper thread behind cluster_client.h. The control thread
 * builds and signs each call (a curl easy handle) and queues it; the thread adds
 * queued calls to one curl multi handle, drives every transfer in parallel with
 * curl_multi_poll (woken by curl_multi_wakeup when a call is queued), and posts each
 * finished one back to the control loop. Connections to a server are kept alive
 * in the multi handle's cache, so a fan-out does not reconnect every time. */
#include "cluster/cluster_client.h"

#include <curl/curl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster_sign.h"
#include "common/err.h"
#include "common/log.h"

typedef struct call {
    struct call *next;
    cluster_client_t *client;
    CURL *easy;
    struct curl_slist *headers;
    char *url;
    char *body; /* a copy: libcurl reads it from the thread */
    size_t body_len;
    size_t cap; /* of answer.body */
    int too_big;
    uint64_t timeout_ms;
    char errbuf[CURL_ERROR_SIZE];
    cluster_answer_t answer;
    cluster_call_cb cb;
    void *ctx;
} call_t;

struct cluster_client {
    ev_loop_t *loop;
    CURLM *multi;
    pthread_t thread;
    pthread_mutex_t lock;
    call_t *queued; /* guarded by lock: handed from the loop to the thread */
    int stop;       /* guarded by lock */
    cluster_secret_t secret;
    char self[CLUSTER_SIGN_NAME_MAX + 1];
};

static void call_free(call_t *k)
{
    if (k->easy)
        curl_easy_cleanup(k->easy);
    curl_slist_free_all(k->headers);
    free(k->url);
    free(k->body);
    free(k->answer.body);
    free(k);
}

/* On the loop's thread: the answer reaches its caller. */
static void deliver(ev_loop_t *loop, void *arg)
{
    call_t *k = arg;
    k->cb(k->ctx, &k->answer);
    call_free(k);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    call_t *k = arg;
    size_t n = size * nmemb;
    cluster_answer_t *a = &k->answer;
    if (a->body_len + n > CLUSTER_ANSWER_MAX) {
        k->too_big = 1;
        return 0; /* libcurl stops the transfer: CURLE_WRITE_ERROR */
    }
    if (a->body_len + n + 1 > k->cap) {
        size_t cap = k->cap ? k->cap : 4096;
        while (cap < a->body_len + n + 1)
            cap *= 2;
        char *b = realloc(a->body, cap);
        if (!b)
            return 0;
        a->body = b;
        k->cap = cap;
    }
    memcpy(a->body + a->body_len, data, n);
    a->body_len += n;
    a->body[a->body_len] = 0;
    return n;
}

/* On the thread: fill the answer from a finished transfer and post it. */
static void finish(call_t *k, CURLcode res)
{
    cluster_answer_t *a = &k->answer;
    long status = 0;
    if (res == CURLE_OK) {
        curl_easy_getinfo(k->easy, CURLINFO_RESPONSE_CODE, &status);
        a->rc = 0;
        a->status = (int)status;
    } else {
        free(a->body);
        a->body = NULL;
        a->body_len = 0;
        if (k->too_big) {
            a->rc = WSX_ETOOBIG;
            snprintf(a->error, sizeof a->error, "its answer was larger than %u MiB",
                     CLUSTER_ANSWER_MAX >> 20);
        } else if (res == CURLE_OPERATION_TIMEDOUT) {
            a->rc = WSX_EAGAIN;
            snprintf(a->error, sizeof a->error, "no answer in %g s",
                     (double)k->timeout_ms / 1000.0);
        } else if (res == CURLE_OUT_OF_MEMORY || res == CURLE_WRITE_ERROR) {
            a->rc = WSX_ENOMEM;
            snprintf(a->error, sizeof a->error, "out of memory reading its answer");
        } else {
            a->rc = WSX_EIO;
            snprintf(a->error, sizeof a->error, "%.240s",
                     k->errbuf[0] ? k->errbuf : curl_easy_strerror(res));
        }
    }
    curl_easy_cleanup(k->easy);
    k->easy = NULL;
    if (ev_post(k->client->loop, deliver, k) < 0) {
        /* nowhere to deliver it: its caller never hears back, but nothing leaks */
        log_error("cluster: cannot deliver the answer of %s (out of memory)", a->server);
        call_free(k);
    }
}

static void fail_closed(call_t *k)
{
    k->answer.rc = WSX_ECLOSED;
    snprintf(k->answer.error, sizeof k->answer.error, "this server is stopping");
    free(k->answer.body);
    k->answer.body = NULL;
    k->answer.body_len = 0;
    curl_easy_cleanup(k->easy);
    k->easy = NULL;
    if (ev_post(k->client->loop, deliver, k) < 0)
        call_free(k);
}

static void *run(void *arg)
{
    cluster_client_t *c = arg;
    call_t *active = NULL; /* in the multi handle, linked through next */
    for (;;) {
        pthread_mutex_lock(&c->lock);
        call_t *q = NULL; /* queued is newest first: reverse it, to add in call order */
        while (c->queued) {
            call_t *k = c->queued;
            c->queued = k->next;
            k->next = q;
            q = k;
        }
        int stop = c->stop;
        pthread_mutex_unlock(&c->lock);
        while (q) {
            call_t *k = q;
            q = q->next;
            if (stop || curl_multi_add_handle(c->multi, k->easy) != CURLM_OK) {
                fail_closed(k);
                continue;
            }
            k->next = active;
            active = k;
        }
        if (stop)
            break;
        int running = 0;
        curl_multi_perform(c->multi, &running);
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(c->multi, &left))) {
            if (m->msg != CURLMSG_DONE)
                continue;
            CURL *e = m->easy_handle;
            CURLcode res = m->data.result;
            call_t **pp = &active;
            while (*pp && (*pp)->easy != e)
                pp = &(*pp)->next;
            curl_multi_remove_handle(c->multi, e);
            if (*pp) {
                call_t *k = *pp;
                *pp = k->next;
                finish(k, res);
            }
        }
        curl_multi_poll(c->multi, NULL, 0, 1000, NULL);
    }
    while (active) {
        call_t *k = active;
        active = k->next;
        curl_multi_remove_handle(c->multi, k->easy);
        fail_closed(k);
    }
    return NULL;
}

cluster_client_t *cluster_client_new(ev_loop_t *loop, const cluster_secret_t *secret,
                                     const char *self)
{
    /* once per process, on the control thread before the helper thread exists */
    static int curl_ready;
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        curl_ready = 1;
    }
    cluster_client_t *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->loop = loop;
    c->secret = *secret;
    snprintf(c->self, sizeof c->self, "%s", self);
    pthread_mutex_init(&c->lock, NULL);
    c->multi = curl_multi_init();
    if (!c->multi || pthread_create(&c->thread, NULL, run, c) != 0) {
        if (c->multi)
            curl_multi_cleanup(c->multi);
        pthread_mutex_destroy(&c->lock);
        cluster_secret_wipe(&c->secret);
        free(c);
        return NULL;
    }
    pthread_setname_np(c->thread, "wsx-cluster");
    return c;
}

void cluster_client_free(cluster_client_t *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_mutex_unlock(&c->lock);
    curl_multi_wakeup(c->multi);
    pthread_join(c->thread, NULL);
    /* a call queued after the thread took its last batch */
    while (c->queued) {
        call_t *k = c->queued;
        c->queued = k->next;
        fail_closed(k);
    }
    curl_multi_cleanup(c->multi);
    pthread_mutex_destroy(&c->lock);
    cluster_secret_wipe(&c->secret);
    free(c);
}

/* Build the easy handle of a call. Returns 0 or WSX_ENOMEM / WSX_EINVAL. */
static int prepare(cluster_client_t *c, call_t *k, const cluster_call_t *call)
{
    size_t ul = strlen(call->base_url) + strlen(call->target) + 1;
    if (!(k->url = malloc(ul)))
        return WSX_ENOMEM;
    snprintf(k->url, ul, "%s%s", call->base_url, call->target);
    if (call->body && !(k->body = malloc(call->body_len ? call->body_len : 1)))
        return WSX_ENOMEM;
    if (call->body)
        memcpy(k->body, call->body, call->body_len);
    k->body_len = call->body_len;

    char sig[CLUSTER_SIGN_VALUE_MAX], line[sizeof CLUSTER_SIGN_HEADER + CLUSTER_SIGN_VALUE_MAX + 2];
    int rc = cluster_sign(c->secret.key, c->secret.len, c->self,
                          wsx_slice(call->method, strlen(call->method)),
                          wsx_slice(call->target, strlen(call->target)), (int64_t)time(NULL),
                          wsx_slice(k->body ? k->body : "", k->body_len), sig, sizeof sig);
    if (rc < 0)
        return rc;
    snprintf(line, sizeof line, "%s: %s", CLUSTER_SIGN_HEADER, sig);
    /* "Expect:" drops the "100-continue" that would hold a body back for a second */
    const char *lines[] = {line, "Expect:", call->body ? "Content-Type: application/json" : NULL};
    for (size_t i = 0; i < sizeof lines / sizeof lines[0] && lines[i]; i++) {
        struct curl_slist *h = curl_slist_append(k->headers, lines[i]);
        if (!h)
            return WSX_ENOMEM; /* call_free frees what was appended */
        k->headers = h;
    }
    if (!(k->easy = curl_easy_init()))
        return WSX_ENOMEM;

    CURL *e = k->easy;
    curl_easy_setopt(e, CURLOPT_URL, k->url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L); /* the target goes out as it was signed */
    curl_easy_setopt(e, CURLOPT_PROXY, "");      /* never through an http_proxy */
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    /* an https:// admin address signed by a private CA (--admin-tls-cert): the
     * same WSX_CACERT the CLI reads */
    const char *ca = getenv("WSX_CACERT");
    if (ca && *ca)
        curl_easy_setopt(e, CURLOPT_CAINFO, ca);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)k->timeout_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)k->timeout_ms);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, k->headers);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, k->errbuf);
    curl_easy_setopt(e, CURLOPT_PRIVATE, k);
    if (strcmp(call->method, "GET") != 0)
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, call->method);
    if (call->body) {
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)k->body_len);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, k->body);
    }
    return 0;
}

int cluster_client_call(cluster_client_t *c, const cluster_call_t *call, cluster_call_cb cb,
                        void *ctx)
{
    if (!call->server || !call->base_url || !call->method || !call->target ||
        strlen(call->server) >= sizeof ((cluster_answer_t *)0)->server || !call->timeout_ms)
        return WSX_EINVAL;
    call_t *k = calloc(1, sizeof *k);
    if (!k)
        return WSX_ENOMEM;
    k->client = c;
    k->cb = cb;
    k->ctx = ctx;
    k->timeout_ms = call->timeout_ms;
    snprintf(k->answer.server, sizeof k->answer.server, "%s", call->server);
    int rc = prepare(c, k, call);
    if (rc < 0) {
        call_free(k);
        return rc;
    }
    pthread_mutex_lock(&c->lock);
    k->next = c->queued;
    c->queued = k;
    pthread_mutex_unlock(&c->lock);
    curl_multi_wakeup(c->multi);
    return 0;
}
