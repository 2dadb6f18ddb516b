/* wsx_auth.c - the login checker thread (see wsx_auth.h). Jobs arrive through the
 * thread's loop queue and results go back through the worker's. */
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "wsx/wsx_auth.h"

#define CACHE_SLOTS 4096
#define CACHE_TTL_S 300
#define MAX_QUEUED 256 /* checks waiting at once: beyond, a login is refused */

typedef struct wsx_auth_job {
    _Atomic int cancelled;
    security_cred_t cred;
    ev_loop_t *reply_loop;
    wsx_auth_done_fn done;
    void *ctx;
    int ok;
    size_t ulen, slen;
    uint8_t buf[]; /* username, then secret */
} job_t;

void wsx_auth_cancel(wsx_auth_job_t *job)
{
    atomic_store(&job->cancelled, 1);
}

typedef struct slot {
    uint8_t key[32];
    time_t until;
} slot_t;

static pthread_t g_thread;
static ev_loop_t *g_loop;
static int g_running;
static uint8_t g_cache_key[32];
static slot_t *g_cache; /* the checker thread's only */
static _Atomic int g_queued;
static _Atomic int g_stopping;

static void cache_key(const job_t *j, uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, g_cache_key, sizeof g_cache_key, 32);
    /* the stored hash stands for the definition's current password or key */
    crypto_generichash_update(&st, (const uint8_t *)j->cred.hash, strlen(j->cred.hash) + 1);
    crypto_generichash_update(&st, (const uint8_t *)j->cred.username,
                              strlen(j->cred.username) + 1);
    uint8_t lens[16];
    memcpy(lens, &j->ulen, 8);
    memcpy(lens + 8, &j->slen, 8);
    crypto_generichash_update(&st, lens, sizeof lens);
    crypto_generichash_update(&st, j->buf, j->ulen + j->slen);
    crypto_generichash_final(&st, out, 32);
}

static void reply(ev_loop_t *loop, void *arg)
{
    job_t *j = arg;
    j->done(j->ctx, j->ok);
    sodium_memzero(j, sizeof *j + j->ulen + j->slen);
    free(j);
}

static void check(ev_loop_t *loop, void *arg)
{
    job_t *j = arg;
    atomic_fetch_sub(&g_queued, 1);
    if (atomic_load(&g_stopping) || atomic_load(&j->cancelled)) { /* nobody waits */
        j->ok = 0;
        goto answer;
    }
    uint8_t key[32];
    cache_key(j, key);
    slot_t *s = &g_cache[(key[0] | key[1] << 8) % CACHE_SLOTS];
    time_t now = time(NULL);
    if (s->until > now && sodium_memcmp(s->key, key, 32) == 0) {
        j->ok = 1;
    } else {
        j->ok = security_check(&j->cred, wsx_slice(j->buf, j->ulen),
                               wsx_slice(j->buf + j->ulen, j->slen), now) == 0;
        if (j->ok) {
            memcpy(s->key, key, 32);
            s->until = now + CACHE_TTL_S;
        }
    }
answer:
    if (ev_post(j->reply_loop, reply, j) < 0) {
        /* the worker would wait forever for this connection's answer */
        log_error("out of memory returning a login result");
        abort();
    }
}

static void stop_cmd(ev_loop_t *loop, void *arg)
{
    ev_loop_stop(loop);
}

static void *auth_main(void *arg)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    pthread_setname_np(pthread_self(), "wsx-auth");
    ev_loop_run(g_loop);
    return NULL;
}

int wsx_auth_start(void)
{
    g_cache = calloc(CACHE_SLOTS, sizeof *g_cache);
    if (!g_cache)
        return WSX_ENOMEM;
    randombytes_buf(g_cache_key, sizeof g_cache_key);
    if (!(g_loop = ev_loop_new()))
        return WSX_EIO;
    if (pthread_create(&g_thread, NULL, auth_main, NULL) != 0)
        return WSX_EIO;
    g_running = 1;
    return 0;
}

void wsx_auth_stop(void)
{
    if (!g_running)
        return;
    atomic_store(&g_stopping, 1);
    ev_post(g_loop, stop_cmd, NULL);
    pthread_join(g_thread, NULL);
    ev_loop_free(g_loop);
    sodium_memzero(g_cache, CACHE_SLOTS * sizeof *g_cache);
    free(g_cache);
    g_cache = NULL;
    g_running = 0;
}

int wsx_auth_submit(const security_cred_t *cred, wsx_slice_t username, wsx_slice_t secret,
                    ev_loop_t *loop, wsx_auth_done_fn done, void *ctx, wsx_auth_job_t **job)
{
    if (atomic_fetch_add(&g_queued, 1) >= MAX_QUEUED) {
        atomic_fetch_sub(&g_queued, 1);
        return WSX_EBUSY;
    }
    job_t *j = malloc(sizeof *j + username.len + secret.len);
    if (!j) {
        atomic_fetch_sub(&g_queued, 1);
        return WSX_ENOMEM;
    }
    atomic_init(&j->cancelled, 0);
    j->cred = *cred;
    j->reply_loop = loop;
    j->done = done;
    j->ctx = ctx;
    j->ok = 0;
    j->ulen = username.len;
    j->slen = secret.len;
    memcpy(j->buf, username.ptr, username.len);
    memcpy(j->buf + username.len, secret.ptr, secret.len);
    if (ev_post(g_loop, check, j) < 0) {
        atomic_fetch_sub(&g_queued, 1);
        sodium_memzero(j, sizeof *j + j->ulen + j->slen);
        free(j);
        return WSX_ENOMEM;
    }
    if (job)
        *job = j;
    return 0;
}
