/* test_ev.c - the event loop: the timer wheel (driven by a simulated clock, so
 * timers of an hour and of several wheel turns are checked in milliseconds of test
 * time), deferred callbacks, the cross-thread command queue and io watchers. The
 * test includes ev.c to set the loop's clock. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ev/ev.c"

typedef struct fired {
    ev_timer_t t;
    int count;
    uint64_t at; /* loop->now when it fired */
    uint64_t rearm_ms;
} fired_t;

static void on_fire(ev_loop_t *loop, ev_timer_t *t)
{
    fired_t *f = (fired_t *)t;
    f->count++;
    f->at = loop->now;
    if (f->rearm_ms)
        ev_timer_start(loop, t, f->rearm_ms, on_fire);
}

/* Advance the simulated clock to `to` in steps of one tick, as a running loop would. */
static void advance(ev_loop_t *loop, uint64_t to)
{
    while (loop->now < to) {
        loop->now += EV_TICK_MS;
        if (loop->now > to)
            loop->now = to;
        run_timers(loop);
    }
}

Test(ev_timer, fires_once_after_its_delay_rounded_up_to_a_tick)
{
    ev_loop_t *loop = ev_loop_new();
    cr_assert_not_null(loop);
    uint64_t t0 = loop->now;
    fired_t a = {0}, b = {0}, c = {0};
    ev_timer_start(loop, &a.t, 10, on_fire);
    ev_timer_start(loop, &b.t, 1000, on_fire);
    ev_timer_start(loop, &c.t, 5000, on_fire);
    cr_assert(ev_timer_active(&a.t));
    advance(loop, t0 + 999);
    cr_assert_eq(a.count, 1);
    cr_assert_geq(a.at, t0 + 10);
    cr_assert_leq(a.at, t0 + 10 + 2 * EV_TICK_MS);
    cr_assert_eq(b.count, 0, "a 1 s timer fired early");
    advance(loop, t0 + 1000 + 2 * EV_TICK_MS);
    cr_assert_eq(b.count, 1);
    cr_assert_geq(b.at, t0 + 1000);
    advance(loop, t0 + 10000);
    cr_assert_eq(c.count, 1);
    cr_assert_geq(c.at, t0 + 5000);
    cr_assert_eq(a.count, 1, "a one-shot timer fired twice");
    cr_assert_not(ev_timer_active(&a.t));
    cr_assert_eq(loop->timers, 0);
    ev_loop_free(loop);
}

Test(ev_timer, timers_longer_than_a_wheel_turn_wait_for_their_turn)
{
    ev_loop_t *loop = ev_loop_new();
    uint64_t t0 = loop->now;
    uint64_t turn = (uint64_t)EV_SLOTS * EV_TICK_MS;
    fired_t a = {0}, hour = {0};
    /* same slot as a short timer, several turns later */
    ev_timer_start(loop, &a.t, 3 * turn + 100, on_fire);
    ev_timer_start(loop, &hour.t, 3600 * 1000, on_fire);
    advance(loop, t0 + 3 * turn);
    cr_assert_eq(a.count, 0, "fired a turn too early");
    advance(loop, t0 + 3 * turn + 100 + EV_TICK_MS);
    cr_assert_eq(a.count, 1);
    cr_assert_geq(a.at, t0 + 3 * turn + 100);
    advance(loop, t0 + 3600 * 1000 - 1);
    cr_assert_eq(hour.count, 0);
    advance(loop, t0 + 3600 * 1000 + EV_TICK_MS);
    cr_assert_eq(hour.count, 1);
    ev_loop_free(loop);
}

Test(ev_timer, stop_and_rearm)
{
    ev_loop_t *loop = ev_loop_new();
    uint64_t t0 = loop->now;
    fired_t a = {0}, b = {0};
    ev_timer_start(loop, &a.t, 100, on_fire);
    ev_timer_start(loop, &b.t, 100, on_fire); /* same slot */
    ev_timer_stop(loop, &a.t);
    ev_timer_stop(loop, &a.t); /* twice is harmless */
    cr_assert_not(ev_timer_active(&a.t));
    /* re-arming moves the timer: only the new deadline counts */
    ev_timer_start(loop, &b.t, 2000, on_fire);
    cr_assert_eq(loop->timers, 1);
    advance(loop, t0 + 1000);
    cr_assert_eq(a.count, 0, "a stopped timer fired");
    cr_assert_eq(b.count, 0, "a re-armed timer fired at its old deadline");
    advance(loop, t0 + 2100);
    cr_assert_eq(b.count, 1);
    ev_loop_free(loop);
}

Test(ev_timer, a_callback_may_rearm_its_timer)
{
    ev_loop_t *loop = ev_loop_new();
    uint64_t t0 = loop->now;
    fired_t p = {.rearm_ms = 1000}; /* a ping every second */
    ev_timer_start(loop, &p.t, 1000, on_fire);
    /* each period is 1 s from the firing, which the wheel rounds up to a tick */
    advance(loop, t0 + 10 * (1000 + EV_TICK_MS));
    cr_assert_eq(p.count, 10, "fired %d times in 10 periods", p.count);
    cr_assert(ev_timer_active(&p.t));
    ev_timer_stop(loop, &p.t);
    cr_assert_eq(loop->timers, 0);
    ev_loop_free(loop);
}

typedef struct stopper {
    ev_timer_t t;
    ev_timer_t *victim;
    int count;
} stopper_t;

static void on_stop_other(ev_loop_t *loop, ev_timer_t *t)
{
    stopper_t *s = (stopper_t *)t;
    s->count++;
    ev_timer_stop(loop, s->victim);
}

Test(ev_timer, a_callback_may_stop_another_due_timer_of_the_same_slot)
{
    ev_loop_t *loop = ev_loop_new();
    uint64_t t0 = loop->now;
    fired_t victim = {0};
    stopper_t s = {.victim = &victim.t};
    /* both due in the same tick; whichever the slot holds first, the victim must
     * either have fired before the stopper or never */
    ev_timer_start(loop, &victim.t, 200, on_fire);
    ev_timer_start(loop, &s.t, 200, on_stop_other);
    advance(loop, t0 + 400);
    cr_assert_eq(s.count, 1);
    cr_assert_leq(victim.count, 1);
    cr_assert_eq(loop->timers, 0);
    ev_loop_free(loop);
}

static int order[4], norder;

static void on_defer(ev_loop_t *loop, ev_defer_t *d)
{
    order[norder++] = (int)(d - (ev_defer_t *)ev_loop_data(loop));
}

Test(ev_timer, many_due_at_once_fire_over_several_runs_within_the_budget)
{
    ev_loop_t *loop = ev_loop_new();
    cr_assert_not_null(loop);
    enum { N = 1000 };
    static fired_t f[N];
    memset(f, 0, sizeof f);
    for (int i = 0; i < N; i++)
        ev_timer_start(loop, &f[i].t, 100, on_fire);
    ev_timer_stop(loop, &f[N - 1].t); /* a stopped one never fires */
    loop->now += 200;
    int runs = 0, total = 0;
    do {
        run_timers(loop);
        runs++;
        int n = 0;
        for (int i = 0; i < N; i++)
            n += f[i].count;
        cr_assert_leq(n - total, EV_TIMER_BUDGET, "run %d fired %d timers", runs, n - total);
        total = n;
    } while (loop->timers_behind && runs < 100);
    cr_assert_eq(total, N - 1, "every armed timer fired, once");
    for (int i = 0; i < N - 1; i++)
        cr_assert_eq(f[i].count, 1, "timer %d fired %d times", i, f[i].count);
    cr_assert_geq(runs, (N - 1) / EV_TIMER_BUDGET);
    cr_assert_eq(loop->timers, 0);
    ev_loop_free(loop);
}

Test(ev_defer, runs_each_once_in_order_after_the_iteration)
{
    ev_loop_t *loop = ev_loop_new();
    ev_defer_t d[3];
    memset(d, 0, sizeof d);
    ev_loop_set_data(loop, d);
    norder = 0;
    ev_defer(loop, &d[1], on_defer);
    ev_defer(loop, &d[0], on_defer);
    ev_defer(loop, &d[1], on_defer); /* already queued: no-op */
    cr_assert_eq(norder, 0, "ran inside the caller");
    run_deferred(loop);
    cr_assert_eq(norder, 2);
    cr_assert_eq(order[0], 1);
    cr_assert_eq(order[1], 0);
    ev_defer(loop, &d[2], on_defer); /* queued before free: run by ev_loop_free */
    ev_loop_free(loop);
    cr_assert_eq(norder, 3);
    cr_assert_eq(order[2], 2);
}

typedef struct poster {
    ev_loop_t *loop;
    int n;
} poster_t;

static int received;

static void on_cmd(ev_loop_t *loop, void *arg)
{
    received += *(int *)arg;
    free(arg);
    if (received == 4 * 1000)
        ev_loop_stop(loop);
}

static void *post_many(void *arg)
{
    poster_t *p = arg;
    for (int i = 0; i < p->n; i++) {
        int *one = malloc(sizeof *one);
        *one = 1;
        cr_assert_eq(ev_post(p->loop, on_cmd, one), 0);
    }
    return NULL;
}

Test(ev_post, commands_from_other_threads_all_run_on_the_loop, .timeout = 20)
{
    ev_loop_t *loop = ev_loop_new();
    received = 0;
    poster_t p = {loop, 1000};
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, post_many, &p);
    cr_assert_eq(ev_loop_run(loop), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    cr_assert_eq(received, 4000);
    ev_loop_free(loop);
}

typedef struct reader {
    ev_io_t io;
    char got[16];
    int n;
} reader_t;

static void on_readable(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    reader_t *r = (reader_t *)io;
    cr_assert(events & EV_READ);
    ssize_t k = read(io->fd, r->got + r->n, sizeof r->got - 1 - (size_t)r->n);
    if (k > 0)
        r->n += (int)k;
    if (k <= 0 || r->n >= 5) {
        ev_io_stop(loop, io);
        ev_loop_stop(loop);
    }
}

Test(ev_io, a_readable_socket_calls_back, .timeout = 10)
{
    ev_loop_t *loop = ev_loop_new();
    int sv[2];
    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
    reader_t r = {0};
    cr_assert_eq(ev_io_start(loop, &r.io, sv[0], EV_READ, on_readable), 0);
    cr_assert_eq(write(sv[1], "hello", 5), 5);
    cr_assert_eq(ev_loop_run(loop), 0);
    cr_assert_eq(r.n, 5);
    cr_assert_str_eq(r.got, "hello");
    cr_assert_eq(r.io.fd, -1, "ev_io_stop marks the watcher stopped");
    close(sv[0]);
    close(sv[1]);
    ev_loop_free(loop);
}
