/* ev.h - the event loop: one per thread, never shared. File descriptors, a timer
 * wheel, deferred callbacks run after the current iteration, and a cross-thread
 * command queue woken by an eventfd. The kernel interface hides behind
 * ev_backend.h (epoll now, io_uring later as a new file). */
#ifndef WSX_EV_H
#define WSX_EV_H

#include <stdint.h>
#include <stddef.h>

typedef struct ev_loop ev_loop_t;

enum { EV_READ = 1, EV_WRITE = 4, EV_ERROR = 8, EV_HUP = 16 };

typedef struct ev_io ev_io_t;
/* Called on the loop's thread with the events that fired (EV_*). */
typedef void (*ev_io_cb)(ev_loop_t *loop, ev_io_t *io, uint32_t events);

/* Embedded in its owner (a connection, a listener); the loop never frees it. */
struct ev_io {
    int fd;
    uint32_t events; /* EV_READ | EV_WRITE currently watched */
    ev_io_cb cb;
};

typedef struct ev_timer ev_timer_t;
typedef void (*ev_timer_cb)(ev_loop_t *loop, ev_timer_t *t);

/* Embedded in its owner; intrusive so arming and cancelling never allocate. */
struct ev_timer {
    ev_timer_t *next;
    ev_timer_t **pprev; /* NULL when not armed */
    uint64_t expire_ms;
    ev_timer_cb cb;
};

typedef struct ev_defer ev_defer_t;
typedef void (*ev_defer_cb)(ev_loop_t *loop, ev_defer_t *d);

/* A callback to run after the current iteration: how a connection is freed
 * outside its own callbacks. Embedded in its owner. */
struct ev_defer {
    ev_defer_t *next;
    ev_defer_cb cb;
    int queued;
};

/* Create a loop; NULL on failure (errno set). Freed by ev_loop_free, which first
 * runs the deferred callbacks still queued. */
ev_loop_t *ev_loop_new(void);
void ev_loop_free(ev_loop_t *loop);

/* Run the commands posted to a loop whose thread has stopped, and its deferred
 * callbacks, on the calling thread: what was in flight towards it at shutdown
 * still completes (and frees what it holds). Call before ev_loop_free. */
void ev_loop_drain(ev_loop_t *loop);
/* Run until ev_loop_stop. Returns 0, or a negative WSX_E* on a backend failure. */
int ev_loop_run(ev_loop_t *loop);
/* Ask the loop to return after this iteration. Loop thread only; from another
 * thread post a command that calls it. */
void ev_loop_stop(ev_loop_t *loop);

/* Milliseconds of CLOCK_MONOTONIC, cached at the start of each iteration. */
uint64_t ev_now(const ev_loop_t *loop);
/* Refresh the cached clock (after a long piece of work). */
void ev_now_update(ev_loop_t *loop);

/* Owner-defined pointer (the worker, the control plane). */
void ev_loop_set_data(ev_loop_t *loop, void *data);
void *ev_loop_data(const ev_loop_t *loop);

/* Watch fd for events (EV_READ | EV_WRITE). Returns 0 or WSX_EIO. */
int ev_io_start(ev_loop_t *loop, ev_io_t *io, int fd, uint32_t events, ev_io_cb cb);
/* Change the watched events; a no-op when unchanged. */
int ev_io_set(ev_loop_t *loop, ev_io_t *io, uint32_t events);
/* Stop watching (before closing the fd). */
void ev_io_stop(ev_loop_t *loop, ev_io_t *io);
/* Stop watching and close the fd, in as few system calls as the backend allows
 * (epoll: just close(), which drops the registration with the last reference). */
void ev_io_close(ev_loop_t *loop, ev_io_t *io);

/* Arm (or re-arm) a timer to fire once after `after_ms` (rounded up to the wheel's
 * tick, EV_TICK_MS). O(1). */
#define EV_TICK_MS 50
void ev_timer_start(ev_loop_t *loop, ev_timer_t *t, uint64_t after_ms, ev_timer_cb cb);
void ev_timer_stop(ev_loop_t *loop, ev_timer_t *t);
static inline int ev_timer_active(const ev_timer_t *t)
{
    return t->pprev != NULL;
}

/* Run cb after the current iteration; queuing twice is a no-op. */
void ev_defer(ev_loop_t *loop, ev_defer_t *d, ev_defer_cb cb);

/* The cross-thread command queue. fn runs on the loop's thread and owns arg.
 * ev_post may be called from any thread; returns 0 or WSX_ENOMEM. */
typedef void (*ev_cmd_fn)(ev_loop_t *loop, void *arg);
int ev_post(ev_loop_t *loop, ev_cmd_fn fn, void *arg);

#endif
