/* sock.h - socket helpers: listening sockets for channels and the admin plane,
 * and the options every accepted connection gets. Blocking-free: every fd made
 * here is non-blocking and close-on-exec. Listeners set TCP_NODELAY, which the
 * sockets they accept inherit. */
#ifndef WSX_SOCK_H
#define WSX_SOCK_H

#include <stddef.h>
#include <stdint.h>

/* Open a listening TCP socket on host:port. reuseport: set SO_REUSEPORT so each
 * worker can have its own socket on the same port. Returns the fd, or a negative
 * WSX_E* (WSX_EBUSY when the address is in use, WSX_EINVAL when the host does not
 * resolve) with a sentence in err. */
int sock_listen(const char *host, uint16_t port, int reuseport, char *err, size_t errlen);

/* Split "HOST:PORT" (or "[v6]:PORT"). Returns 0 or WSX_EINVAL. */
int sock_split_hostport(const char *s, char *host, size_t hostcap, uint16_t *port);

/* accept4 a connection (non-blocking, close-on-exec). Returns the fd, or -1 with
 * errno (EAGAIN: none pending). Out of file descriptors (EMFILE/ENFILE), it frees
 * a reserve descriptor kept per thread, accepts the connection and closes it at
 * once, so the backlog drains instead of waking a level-triggered loop forever;
 * then it returns -1 with errno EMFILE. */
int sock_accept(int listen_fd);

#endif
