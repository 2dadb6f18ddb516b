/* ws_conn.h - one client connection on a worker: the HTTP upgrade, then RFC 6455
 * frames, message assembly with incremental UTF-8 checks and the size limit, the
 * service call, the write queue and the close handshake. Reads go through the
 * worker's shared buffer; a connection allocates only while it holds a partial
 * frame, a fragmented message or unsent output. */
#ifndef WSX_WS_CONN_H
#define WSX_WS_CONN_H

#include <stdint.h>
#include "channel/listener.h"

/* Take an accepted socket (ownership passes) for listener l. Returns 0 or
 * WSX_ENOMEM (the fd is closed). */
int ws_conn_accept(listener_t *l, int fd);

/* Begin the close handshake with `code`/`reason` (an open WebSocket), or drop the
 * TCP connection (still in HTTP). Safe to call from any callback on the worker's
 * thread; the connection is freed after the loop iteration. */
void ws_conn_close(ws_conn_t *c, uint16_t code, const char *reason);

/* Close the socket now, without a handshake (server shutdown after the close
 * frames went out); freed after the loop iteration. */
void ws_conn_abort(ws_conn_t *c);

/* Bytes queued for writing that the kernel has not taken yet. */
size_t ws_conn_queued(const ws_conn_t *c);
/* The next connection of the listener's list (for iterating while closing). */
ws_conn_t *ws_conn_next(ws_conn_t *c);

/* Free the calling worker thread's shared buffers (at thread exit). */
void ws_conn_thread_cleanup(void);


#endif
