/* worker.c - the data plane's threads and the commands the control thread sends
 * them. A command is posted to every worker's queue; the caller blocks on a
 * countdown until all have run it. Workers never wait on the control thread, so
 * this cannot deadlock, and when workers_* returns the change is in force on
 * every worker (a channel made inactive refuses connections from then on). */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel/listener.h"
#include "common/err.h"
#include "common/log.h"
#include "metrics/metrics.h"
#include "net/worker.h"
#include "ws/ws_conn.h"

struct worker {
    pthread_t thread;
    int index;
    ev_loop_t *loop;
    listener_t *listeners;
};

static worker_t *g_workers;
static int g_nworkers;
static int g_stopped; /* threads joined, loops not freed yet */

typedef struct countdown {
    pthread_mutex_t m;
    pthread_cond_t cv;
    int pending;
} countdown_t;

enum { CMD_OPEN, CMD_CLOSE, CMD_UPDATE, CMD_SYNC, CMD_PAUSE, CMD_COUNT, CMD_QUEUED, CMD_STOP };

typedef struct cmd {
    int kind;
    countdown_t *done;
    int64_t id;
    chan_cfg_t *cfg; /* owned by the command until a listener takes it */
    int fd;
    uint16_t code;
    char reason[64];
    size_t *count; /* CMD_COUNT: each worker adds its connections (atomically) */
    struct mx_block *mx; /* CMD_OPEN, CMD_UPDATE: set in each worker's cfg copy */
} cmd_t;

static worker_t *worker_of(ev_loop_t *loop)
{
    return ev_loop_data(loop);
}

int workers_count(void)
{
    return g_nworkers;
}

/* The live listener of a channel, accepting or paused (closing ones stay listed
 * until their last connection is gone). */
static listener_t *find(worker_t *w, int64_t id)
{
    for (listener_t *l = w->listeners; l; l = l->next)
        if (l->cfg->id == id && listener_is_live(l))
            return l;
    return NULL;
}

static void countdown_done(countdown_t *cd)
{
    pthread_mutex_lock(&cd->m);
    if (--cd->pending == 0)
        pthread_cond_signal(&cd->cv);
    pthread_mutex_unlock(&cd->m);
}

static void run_cmd(ev_loop_t *loop, void *arg)
{
    cmd_t *cmd = arg;
    worker_t *w = worker_of(loop);
    listener_t *l, *next;
    switch (cmd->kind) {
    case CMD_OPEN:
        if (!listener_new(loop, cmd->fd, cmd->cfg, &w->listeners))
            log_error("worker %d: cannot watch a listening socket", w->index);
        cmd->cfg = NULL;
        break;
    case CMD_CLOSE:
        if ((l = find(w, cmd->id)))
            listener_close(l, cmd->code, cmd->reason);
        break;
    case CMD_UPDATE:
        if ((l = find(w, cmd->cfg->id))) {
            listener_update(l, cmd->cfg);
            cmd->cfg = NULL;
        }
        break;
    case CMD_SYNC:
        break;
    case CMD_PAUSE:
        for (l = w->listeners; l; l = l->next)
            listener_pause(l);
        break;
    case CMD_COUNT: {
        /* a listener holds one reference for itself while live, one per connection */
        size_t n = 0;
        for (l = w->listeners; l; l = l->next)
            n += l->refs - (listener_is_live(l) ? 1u : 0u);
        __atomic_fetch_add(cmd->count, n, __ATOMIC_RELAXED);
        break;
    }
    case CMD_QUEUED:
        for (l = w->listeners; l; l = l->next) {
            uint64_t n = 0;
            for (ws_conn_t *c = l->conns; c; c = ws_conn_next(c))
                n += ws_conn_queued(c);
            metrics_add_queued(l->cfg->mx, n);
        }
        break;
    case CMD_STOP:
        /* every listener, closing ones too; their connections are freed after
         * this iteration, and each listener with its last one */
        for (l = w->listeners; l; l = next) {
            next = l->next;
            listener_shutdown(l);
        }
        ev_loop_stop(loop);
        break;
    }
    free(cmd->cfg);
    countdown_t *done = cmd->done;
    free(cmd);
    countdown_done(done);
}

/* Post a copy of tmpl to every worker and wait until all have run it. fds, when
 * given, are handed out one per worker. */
static void broadcast(const cmd_t *tmpl, const int *fds)
{
    countdown_t cd = {.pending = g_nworkers};
    pthread_mutex_init(&cd.m, NULL);
    pthread_cond_init(&cd.cv, NULL);
    for (int i = 0; i < g_nworkers; i++) {
        cmd_t *cmd = malloc(sizeof *cmd);
        chan_cfg_t *cfg = tmpl->cfg ? malloc(sizeof *cfg) : NULL;
        if (!cmd || (tmpl->cfg && !cfg)) {
            /* out of memory on the control path: nothing sane left to do */
            log_error("out of memory while sending a command to the workers");
            abort();
        }
        *cmd = *tmpl;
        cmd->done = &cd;
        if (cfg) {
            *cfg = *tmpl->cfg;
            cfg->mx = tmpl->mx;
        }
        cmd->cfg = cfg;
        cmd->fd = fds ? fds[i] : -1;
        if (ev_post(g_workers[i].loop, run_cmd, cmd) < 0) {
            log_error("out of memory while sending a command to the workers");
            abort(); /* waiting for a command that was never queued would hang */
        }
    }
    pthread_mutex_lock(&cd.m);
    while (cd.pending > 0)
        pthread_cond_wait(&cd.cv, &cd.m);
    pthread_mutex_unlock(&cd.m);
    pthread_cond_destroy(&cd.cv);
    pthread_mutex_destroy(&cd.m);
}

/* The channel's metrics block, created on its first opening and kept after it
 * closes so its counters only grow. */
static struct mx_block *chan_metrics(const chan_cfg_t *cfg)
{
    struct mx_block *b =
        metrics_channel(cfg->id, cfg->name, cfg->service ? service_name(cfg->service) : "");
    if (!b) {
        log_error("out of memory while sending a command to the workers");
        abort();
    }
    return b;
}

void workers_queued(void)
{
    if (!g_nworkers || g_stopped)
        return; /* no loop runs commands any more */
    cmd_t c = {.kind = CMD_QUEUED};
    broadcast(&c, NULL);
}

void workers_open_channel(const chan_cfg_t *cfg, const int *fds)
{
    cmd_t c = {.kind = CMD_OPEN, .cfg = (chan_cfg_t *)cfg, .mx = chan_metrics(cfg)};
    broadcast(&c, fds);
}

void workers_close_channel(int64_t id, uint16_t code, const char *reason)
{
    cmd_t c = {.kind = CMD_CLOSE, .id = id, .code = code};
    snprintf(c.reason, sizeof c.reason, "%s", reason);
    broadcast(&c, NULL);
}

void workers_update_channel(const chan_cfg_t *cfg)
{
    cmd_t c = {.kind = CMD_UPDATE, .cfg = (chan_cfg_t *)cfg, .mx = chan_metrics(cfg)};
    broadcast(&c, NULL);
}

void workers_sync(void)
{
    cmd_t c = {.kind = CMD_SYNC};
    broadcast(&c, NULL);
}

void workers_stop_accepting(void)
{
    cmd_t c = {.kind = CMD_PAUSE};
    broadcast(&c, NULL);
}

size_t workers_connections(void)
{
    size_t n = 0;
    cmd_t c = {.kind = CMD_COUNT, .count = &n};
    broadcast(&c, NULL);
    return __atomic_load_n(&n, __ATOMIC_RELAXED);
}

ev_loop_t *workers_loop(int i)
{
    return g_workers[i].loop;
}

static __thread int t_self = -1;

int workers_self(void)
{
    return t_self;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    t_self = w->index;
    /* signals are the control thread's business */
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    char name[16];
    snprintf(name, sizeof name, "wsx-worker-%d", w->index);
    pthread_setname_np(pthread_self(), name);
    ev_loop_run(w->loop);
    ws_conn_thread_cleanup();
    return NULL;
}

int workers_start(int n)
{
    g_workers = calloc((size_t)n, sizeof *g_workers);
    if (!g_workers || metrics_init(n) < 0)
        return WSX_ENOMEM;
    for (int i = 0; i < n; i++) {
        worker_t *w = &g_workers[i];
        w->index = i;
        w->loop = ev_loop_new();
        if (!w->loop)
            return WSX_EIO;
        ev_loop_set_data(w->loop, w);
    }
    for (int i = 0; i < n; i++) {
        if (pthread_create(&g_workers[i].thread, NULL, worker_main, &g_workers[i]) != 0)
            return WSX_EIO;
        g_nworkers = i + 1;
    }
    return 0;
}

void workers_stop(void)
{
    if (!g_nworkers || g_stopped)
        return;
    cmd_t c = {.kind = CMD_STOP};
    broadcast(&c, NULL);
    for (int i = 0; i < g_nworkers; i++)
        pthread_join(g_workers[i].thread, NULL);
    g_stopped = 1;
}

void workers_free(void)
{
    if (!g_nworkers)
        return;
    workers_stop();
    for (int i = 0; i < g_nworkers; i++) {
        ev_loop_drain(g_workers[i].loop);
        ev_loop_free(g_workers[i].loop);
    }
    ws_conn_thread_cleanup(); /* what draining may have set up on this thread */
    g_stopped = 0;
    free(g_workers);
    g_workers = NULL;
    g_nworkers = 0;
    metrics_free();
}
