/* ev_backend.h - what the loop needs from the kernel: create, add, modify, delete,
 * poll. ev_epoll.c implements it; an io_uring backend would be another file with
 * the same five functions. Internal to src/ev/. */
#ifndef WSX_EV_BACKEND_H
#define WSX_EV_BACKEND_H

#include "ev/ev.h"

typedef struct ev_backend ev_backend_t;

ev_backend_t *ev_backend_new(void);
void ev_backend_free(ev_backend_t *b);
int ev_backend_add(ev_backend_t *b, ev_io_t *io, uint32_t events);
int ev_backend_mod(ev_backend_t *b, ev_io_t *io, uint32_t events);
void ev_backend_del(ev_backend_t *b, ev_io_t *io);
/* Forget io and close its fd. */
void ev_backend_close(ev_backend_t *b, ev_io_t *io);
/* Wait up to timeout_ms (-1: forever) and call each ready io's callback. Returns
 * the number of events, or WSX_EIO. */
int ev_backend_poll(ev_backend_t *b, ev_loop_t *loop, int timeout_ms);

#endif
