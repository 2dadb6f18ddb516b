/* listener.h - one channel's listening socket on one worker, with the list of the
 * connections it accepted. Lives on its worker's thread only. A listener that is
 * closed stays allocated, and in its worker's list, until its last connection is
 * gone, because connections in their close handshake still read its settings; it
 * unlinks itself from the list when it is freed. */
#ifndef WSX_LISTENER_H
#define WSX_LISTENER_H

#include "ev/ev.h"
#include "metrics/metrics.h"
#include "net/worker.h"

typedef struct ws_conn ws_conn_t;
typedef struct listener listener_t;

struct listener {
    ev_io_t io;             /* the listening socket; fd -1 once closed or paused */
    int paused;             /* stopped accepting (graceful leave) but not closed: its
                               connections live on and it keeps its own reference */
    ev_loop_t *loop;
    chan_cfg_t *cfg;        /* owned; replaced by listener_update */
    mx_chan_t *mx;          /* this worker's slot of the channel's metrics (never NULL) */
    ws_conn_t *conns;       /* open connections, linked through ws_conn */
    unsigned refs;          /* 1 while listening + one per connection */
    listener_t *next;       /* the worker's list: open and closing listeners */
    listener_t **pprev;
    ev_defer_t free_d;      /* freed after the loop iteration, never inside one:
                               the same epoll batch may still hold its event */
};

/* Start accepting on fd (ownership of fd and cfg passes to the listener) and link
 * the listener at the head of *list. NULL on failure (fd and cfg freed). */
listener_t *listener_new(ev_loop_t *loop, int fd, chan_cfg_t *cfg, listener_t **list);
/* Still accepting? (A closed listener only waits for its connections to go.) */
static inline int listener_is_open(const listener_t *l)
{
    return l->io.fd >= 0;
}
/* Not closed: accepting, or paused and still serving its connections. Commands
 * for the channel (close, update) reach it. */
static inline int listener_is_live(const listener_t *l)
{
    return l->io.fd >= 0 || l->paused;
}
/* Stop accepting (a graceful leave): close the listening socket, so new clients
 * are refused by this server and go to another, and leave the connections alone.
 * listener_close still sends them their close code later. A no-op unless open. */
void listener_pause(listener_t *l);
/* Stop listening and send close `code` to every connection; the listener frees
 * itself when the last one is gone. A no-op on a closed listener. */
void listener_close(listener_t *l, uint16_t code, const char *reason);
/* Server shutdown: listener_close, then drop whatever connections remain
 * without waiting for their close handshakes. */
void listener_shutdown(listener_t *l);
/* Swap in new settings (ownership of cfg passes); connections stay open. */
void listener_update(listener_t *l, chan_cfg_t *cfg);
/* Drop one reference (a connection freed). At zero the listener leaves its list
 * at once and is freed after the loop iteration. */
void listener_unref(listener_t *l);

#endif
