/* service_watch.c - inotify on the services directory, on the control loop. A
 * plugin counts once it is complete: IN_CLOSE_WRITE (written in place) or
 * IN_MOVED_TO (renamed in, the atomic way); IN_DELETE and IN_MOVED_FROM mean it
 * is gone. Hidden files and anything not named *.so are ignored, so a copy in
 * progress under a temporary name is never loaded half-written. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "common/err.h"
#include "common/log.h"
#include "service/service_internal.h"

static struct {
    ev_io_t io;
    ev_loop_t *loop;
    int active;
    service_watch_cb cb;
    char dir[4096];
} g_w;

int service_watch_wanted(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

static void on_events(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    /* aligned for struct inotify_event, as inotify(7) asks */
    char buf[16384] __attribute__((aligned(__alignof__(struct inotify_event))));
    for (;;) {
        ssize_t n = read(io->fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* EAGAIN: all read */
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            p += sizeof *e + e->len;
            if (e->mask & IN_Q_OVERFLOW) {
                log_warn("services: inotify queue overflow, scanning %s again", g_w.dir);
                g_w.cb(NULL, 1);
                continue;
            }
            if (e->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
                log_error("services: the directory %s was removed or moved: plugins are no "
                          "longer hot-deployed (restart the server to watch it again)",
                          g_w.dir);
                continue;
            }
            if (!e->len || !service_watch_wanted(e->name))
                continue;
            if (e->mask & (IN_CLOSE_WRITE | IN_MOVED_TO))
                g_w.cb(e->name, 1);
            else if (e->mask & (IN_DELETE | IN_MOVED_FROM))
                g_w.cb(e->name, 0);
        }
    }
}

int service_watch_start(ev_loop_t *loop, const char *dir, service_watch_cb cb)
{
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd < 0) {
        log_error("services: inotify_init1: %s", strerror(errno));
        return WSX_EIO;
    }
    uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF |
                    IN_MOVE_SELF | IN_ONLYDIR;
    if (inotify_add_watch(fd, dir, mask) < 0) {
        log_error("services: cannot watch %s: %s", dir, strerror(errno));
        close(fd);
        return WSX_EIO;
    }
    g_w.loop = loop;
    g_w.cb = cb;
    snprintf(g_w.dir, sizeof g_w.dir, "%s", dir);
    if (ev_io_start(loop, &g_w.io, fd, EV_READ, on_events) < 0) {
        close(fd);
        return WSX_EIO;
    }
    g_w.active = 1;
    return 0;
}

void service_watch_stop(void)
{
    if (!g_w.active)
        return;
    ev_io_close(g_w.loop, &g_w.io);
    g_w.active = 0;
}
