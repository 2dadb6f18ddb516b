/* ev.c - the loop itself: iteration, the cached clock, the timer wheel, deferred
 * callbacks and the cross-thread command queue. Everything here runs on the
 * loop's own thread except ev_post. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "ev/ev.h"
#include "ev/ev_backend.h"

/* A hashed wheel: slot = expiry tick mod EV_SLOTS. Timers further away than one
 * turn stay in their slot and are skipped until their turn comes, so arming is
 * O(1) whatever the delay and a turn costs one pass over each slot. */
#define EV_SLOTS 1024

typedef struct ev_cmd {
    ev_cmd_fn fn;
    void *arg;
} ev_cmd_t;

struct ev_loop {
    ev_backend_t *backend;
    uint64_t now;
    int stop;
    void *data;

    ev_timer_t *wheel[EV_SLOTS];
    uint64_t tick;      /* the last tick processed */
    size_t timers;      /* armed timers */
    int timers_behind;  /* the last run stopped at its budget: poll I/O without waiting */

    ev_defer_t *defer_head, **defer_tail;

    /* command queue: a mutex-guarded array swapped out whole by the loop */
    ev_io_t wake;
    pthread_mutex_t qlock;
    ev_cmd_t *q;
    size_t qlen, qcap;
};

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t ev_now(const ev_loop_t *loop)
{
    return loop->now;
}

void ev_now_update(ev_loop_t *loop)
{
    loop->now = mono_ms();
}

void ev_loop_set_data(ev_loop_t *loop, void *data)
{
    loop->data = data;
}

void *ev_loop_data(const ev_loop_t *loop)
{
    return loop->data;
}

static void run_deferred(ev_loop_t *loop);

static void run_queue(ev_loop_t *loop)
{
    for (;;) {
        pthread_mutex_lock(&loop->qlock);
        ev_cmd_t *q = loop->q;
        size_t n = loop->qlen;
        loop->q = NULL;
        loop->qlen = loop->qcap = 0;
        pthread_mutex_unlock(&loop->qlock);
        if (n == 0) {
            free(q);
            return;
        }
        for (size_t i = 0; i < n; i++)
            q[i].fn(loop, q[i].arg);
        free(q);
    }
}

static void on_wake(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    uint64_t v;
    if (read(io->fd, &v, sizeof v) < 0 && errno != EAGAIN)
        return;
    run_queue(loop);
}

void ev_loop_drain(ev_loop_t *loop)
{
    run_queue(loop);
    run_deferred(loop);
}

ev_loop_t *ev_loop_new(void)
{
    ev_loop_t *loop = calloc(1, sizeof *loop);
    if (!loop)
        return NULL;
    loop->backend = ev_backend_new();
    if (!loop->backend) {
        free(loop);
        return NULL;
    }
    pthread_mutex_init(&loop->qlock, NULL);
    loop->defer_tail = &loop->defer_head;
    loop->now = mono_ms();
    loop->tick = loop->now / EV_TICK_MS;
    int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (efd < 0 || ev_io_start(loop, &loop->wake, efd, EV_READ, on_wake) < 0) {
        if (efd >= 0)
            close(efd);
        ev_backend_free(loop->backend);
        free(loop);
        return NULL;
    }
    return loop;
}


void ev_loop_free(ev_loop_t *loop)
{
    if (!loop)
        return;
    run_deferred(loop); /* frees queued since the last iteration (shutdown) */
    int efd = loop->wake.fd;
    ev_io_stop(loop, &loop->wake);
    close(efd);
    ev_backend_free(loop->backend);
    pthread_mutex_destroy(&loop->qlock);
    free(loop->q);
    free(loop);
}

int ev_post(ev_loop_t *loop, ev_cmd_fn fn, void *arg)
{
    pthread_mutex_lock(&loop->qlock);
    if (loop->qlen == loop->qcap) {
        size_t cap = loop->qcap ? loop->qcap * 2 : 16;
        ev_cmd_t *q = realloc(loop->q, cap * sizeof *q);
        if (!q) {
            pthread_mutex_unlock(&loop->qlock);
            return WSX_ENOMEM;
        }
        loop->q = q;
        loop->qcap = cap;
    }
    loop->q[loop->qlen++] = (ev_cmd_t){fn, arg};
    int first = loop->qlen == 1;
    pthread_mutex_unlock(&loop->qlock);
    if (first) {
        uint64_t one = 1;
        /* wake.fd is set before any other thread can see the loop */
        ssize_t w = write(loop->wake.fd, &one, sizeof one);
        (void)w; /* EAGAIN means the counter is already non-zero: awake anyway */
    }
    return 0;
}

int ev_io_start(ev_loop_t *loop, ev_io_t *io, int fd, uint32_t events, ev_io_cb cb)
{
    io->fd = fd;
    io->events = events;
    io->cb = cb;
    return ev_backend_add(loop->backend, io, events);
}

int ev_io_set(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    if (io->events == events || io->fd < 0)
        return 0;
    io->events = events;
    return ev_backend_mod(loop->backend, io, events);
}

void ev_io_stop(ev_loop_t *loop, ev_io_t *io)
{
    if (io->fd < 0)
        return;
    ev_backend_del(loop->backend, io);
    io->fd = -1;
}

void ev_io_close(ev_loop_t *loop, ev_io_t *io)
{
    if (io->fd < 0)
        return;
    ev_backend_close(loop->backend, io);
    io->fd = -1;
}

void ev_timer_stop(ev_loop_t *loop, ev_timer_t *t)
{
    if (!t->pprev)
        return;
    *t->pprev = t->next;
    if (t->next)
        t->next->pprev = t->pprev;
    t->next = NULL;
    t->pprev = NULL;
    loop->timers--;
}

void ev_timer_start(ev_loop_t *loop, ev_timer_t *t, uint64_t after_ms, ev_timer_cb cb)
{
    ev_timer_stop(loop, t);
    t->cb = cb;
    t->expire_ms = loop->now + after_ms;
    uint64_t tick = (t->expire_ms + EV_TICK_MS - 1) / EV_TICK_MS;
    if (tick <= loop->tick)
        tick = loop->tick + 1;
    ev_timer_t **slot = &loop->wheel[tick % EV_SLOTS];
    t->next = *slot;
    if (t->next)
        t->next->pprev = &t->next;
    t->pprev = slot;
    *slot = t;
    loop->timers++;
}

/* Timer callbacks per iteration. Thousands of timers can fall due in one tick (a
 * flood of connections that never upgrade all reach their handshake deadline): the
 * rest wait for the next iteration, after I/O is polled, so the clients that talk
 * are not kept waiting behind them. */
#define EV_TIMER_BUDGET 32

/* Fire the timers due by now, one slot per elapsed tick, at most EV_TIMER_BUDGET. */
static void run_timers(ev_loop_t *loop)
{
    uint64_t now_tick = loop->now / EV_TICK_MS;
    unsigned budget = EV_TIMER_BUDGET;
    loop->timers_behind = 0;
    while (loop->tick < now_tick) {
        loop->tick++;
        if (loop->timers == 0) {
            loop->tick = now_tick;
            break;
        }
        ev_timer_t **slot = &loop->wheel[loop->tick % EV_SLOTS];
        /* Detach the slot first: a callback may re-arm its timer into this very
         * slot (a full turn later) without us looping over it again. */
        ev_timer_t *list = *slot;
        *slot = NULL;
        if (list)
            list->pprev = &list;
        while (list) {
            if (budget == 0) {
                /* the rest go back into the slot, behind what callbacks re-armed
                 * there (few), and this tick is processed again next time */
                ev_timer_t **tail = slot;
                while (*tail)
                    tail = &(*tail)->next;
                *tail = list;
                list->pprev = tail;
                loop->tick--;
                loop->timers_behind = 1;
                return;
            }
            ev_timer_t *t = list;
            list = t->next;
            if (list)
                list->pprev = &list;
            t->next = NULL;
            t->pprev = NULL;
            loop->timers--;
            if (t->expire_ms <= loop->now) {
                budget--;
                t->cb(loop, t);
            } else {
                /* not this turn: back into the slot it came from */
                t->pprev = slot;
                t->next = *slot;
                if (t->next)
                    t->next->pprev = &t->next;
                *slot = t;
                loop->timers++;
            }
        }
    }
}

void ev_defer(ev_loop_t *loop, ev_defer_t *d, ev_defer_cb cb)
{
    if (d->queued)
        return;
    d->queued = 1;
    d->cb = cb;
    d->next = NULL;
    *loop->defer_tail = d;
    loop->defer_tail = &d->next;
}

static void run_deferred(ev_loop_t *loop)
{
    while (loop->defer_head) {
        ev_defer_t *d = loop->defer_head;
        loop->defer_head = d->next;
        if (!loop->defer_head)
            loop->defer_tail = &loop->defer_head;
        d->queued = 0;
        d->cb(loop, d);
    }
}

void ev_loop_stop(ev_loop_t *loop)
{
    loop->stop = 1;
}

int ev_loop_run(ev_loop_t *loop)
{
    loop->stop = 0;
    while (!loop->stop) {
        int timeout = loop->timers_behind ? 0 : loop->timers ? EV_TICK_MS : -1;
        int rc = ev_backend_poll(loop->backend, loop, timeout);
        if (rc < 0)
            return rc;
        if (rc == 0)
            ev_now_update(loop);
        run_timers(loop);
        run_deferred(loop);
    }
    run_deferred(loop);
    return 0;
}
