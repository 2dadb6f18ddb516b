/* listener.c - a channel's listening socket on one worker: accept, hand each
 * socket to ws_conn, and close the channel's connections when it goes away. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel/listener.h"
#include "common/log.h"
#include "net/sock.h"
#include "ws/ws_conn.h"

/* accepts per listener event; then the loop serves the other ready sockets, so a
 * connect flood does not keep the clients that talk waiting */
#define ACCEPT_BATCH 16

static void on_accept(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    listener_t *l = (listener_t *)io;
    for (int i = 0; i < ACCEPT_BATCH && l->io.fd >= 0; i++) {
        int fd = sock_accept(l->io.fd);
        if (fd < 0) {
            static __thread uint64_t last_warn;
            if (errno == EMFILE || errno == ENFILE)
                MX_ADD(metrics_worker(workers_self())->refused[MX_REF_FD_LIMIT], 1);
            else if (errno == ENOMEM || errno == ENOBUFS)
                MX_ADD(metrics_worker(workers_self())->refused[MX_REF_NO_MEMORY], 1);
            if (errno == EMFILE && ev_now(loop) - last_warn >= 10000) {
                last_warn = ev_now(loop);
                log_warn("channel \"%s\": out of file descriptors: refusing connections "
                         "(raise the limit: ulimit -n)",
                         l->cfg->name);
            }
            return;
        }
        if (ws_conn_accept(l, fd) < 0)
            MX_ADD(metrics_worker(workers_self())->refused[MX_REF_NO_MEMORY], 1);
    }
}

listener_t *listener_new(ev_loop_t *loop, int fd, chan_cfg_t *cfg, listener_t **list)
{
    listener_t *l = calloc(1, sizeof *l);
    if (!l) {
        close(fd);
        free(cfg);
        return NULL;
    }
    l->loop = loop;
    l->cfg = cfg;
    l->mx = metrics_slot(cfg->mx, workers_self());
    l->refs = 1;
    if (ev_io_start(loop, &l->io, fd, EV_READ, on_accept) < 0) {
        close(fd);
        free(cfg);
        free(l);
        return NULL;
    }
    l->next = *list;
    if (l->next)
        l->next->pprev = &l->next;
    l->pprev = list;
    *list = l;
    return l;
}

static void listener_free(ev_loop_t *loop, ev_defer_t *d)
{
    listener_t *l = (listener_t *)((char *)d - offsetof(listener_t, free_d));
    free(l->cfg);
    free(l);
}

void listener_unref(listener_t *l)
{
    if (--l->refs == 0) {
        *l->pprev = l->next;
        if (l->next)
            l->next->pprev = l->pprev;
        ev_defer(l->loop, &l->free_d, listener_free);
    }
}

void listener_pause(listener_t *l)
{
    if (l->io.fd < 0)
        return;
    ev_io_close(l->loop, &l->io);
    l->paused = 1;
}

void listener_close(listener_t *l, uint16_t code, const char *reason)
{
    if (!listener_is_live(l))
        return;
    if (l->io.fd >= 0)
        ev_io_close(l->loop, &l->io);
    l->paused = 0;
    /* ws_conn_close may unlink c (a connection still in HTTP is dropped now) */
    for (ws_conn_t *c = l->conns, *next; c; c = next) {
        next = ws_conn_next(c);
        ws_conn_close(c, code, reason);
    }
    listener_unref(l);
}

void listener_shutdown(listener_t *l)
{
    l->refs++; /* keep l alive across listener_close */
    listener_close(l, 1001, "server shutting down");
    for (ws_conn_t *c = l->conns, *next; c; c = next) {
        next = ws_conn_next(c);
        ws_conn_abort(c);
    }
    listener_unref(l);
}

void listener_update(listener_t *l, chan_cfg_t *cfg)
{
    free(l->cfg);
    l->cfg = cfg;
    l->mx = metrics_slot(cfg->mx, workers_self());
}
