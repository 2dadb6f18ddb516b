/* ev_epoll.c - the epoll backend of the event loop. Level-triggered: a callback
 * that leaves data unread is called again on the next iteration, which keeps the
 * per-connection code simple and fair. */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "common/err.h"
#include "ev/ev_backend.h"

#define EV_BATCH 256

struct ev_backend {
    int epfd;
    struct epoll_event evs[EV_BATCH];
};

ev_backend_t *ev_backend_new(void)
{
    ev_backend_t *b = calloc(1, sizeof *b);
    if (!b)
        return NULL;
    b->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (b->epfd < 0) {
        free(b);
        return NULL;
    }
    return b;
}

void ev_backend_free(ev_backend_t *b)
{
    if (!b)
        return;
    close(b->epfd);
    free(b);
}

static uint32_t to_epoll(uint32_t events)
{
    uint32_t e = 0;
    if (events & EV_READ)
        e |= EPOLLIN | EPOLLRDHUP;
    if (events & EV_WRITE)
        e |= EPOLLOUT;
    return e;
}

int ev_backend_add(ev_backend_t *b, ev_io_t *io, uint32_t events)
{
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};
    return epoll_ctl(b->epfd, EPOLL_CTL_ADD, io->fd, &ev) == 0 ? 0 : WSX_EIO;
}

int ev_backend_mod(ev_backend_t *b, ev_io_t *io, uint32_t events)
{
    struct epoll_event ev = {.events = to_epoll(events), .data.ptr = io};
    return epoll_ctl(b->epfd, EPOLL_CTL_MOD, io->fd, &ev) == 0 ? 0 : WSX_EIO;
}

void ev_backend_del(ev_backend_t *b, ev_io_t *io)
{
    epoll_ctl(b->epfd, EPOLL_CTL_DEL, io->fd, NULL);
}

void ev_backend_close(ev_backend_t *b, ev_io_t *io)
{
    /* wsx never dup()s a watched fd, so close() removes it from the epoll set:
     * no EPOLL_CTL_DEL needed, one system call saved per connection */
    close(io->fd);
}

int ev_backend_poll(ev_backend_t *b, ev_loop_t *loop, int timeout_ms)
{
    int n = epoll_wait(b->epfd, b->evs, EV_BATCH, timeout_ms);
    if (n < 0)
        return errno == EINTR ? 0 : WSX_EIO;
    ev_now_update(loop);
    for (int i = 0; i < n; i++) {
        ev_io_t *io = b->evs[i].data.ptr;
        if (io->fd < 0) /* stopped by an earlier callback of this batch */
            continue;
        uint32_t e = b->evs[i].events, out = 0;
        if (e & (EPOLLIN | EPOLLRDHUP))
            out |= EV_READ;
        if (e & EPOLLOUT)
            out |= EV_WRITE;
        if (e & EPOLLERR)
            out |= EV_ERROR | EV_READ;
        if (e & EPOLLHUP)
            out |= EV_HUP | EV_READ;
        io->cb(loop, io, out);
    }
    return n;
}
