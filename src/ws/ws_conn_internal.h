/* ws_conn_internal.h - the connection's struct and the few calls the session
 * protocol (src/wsx/) makes on it. Only ws_conn.c and src/wsx/ include this. All
 * of it runs on the connection's worker thread. */
#ifndef WSX_WS_CONN_INTERNAL_H
#define WSX_WS_CONN_INTERNAL_H

#include <stdint.h>

#include "common/utf8.h"
#include "net/tls.h"
#include "ws/ws_deflate.h"
#include "net/limits.h"
#include "ws/ws_conn.h"

typedef struct wsx_session wsx_session_t;

enum { WS_ST_HTTP, WS_ST_OPEN, WS_ST_CLOSING, WS_ST_DRAIN, WS_ST_DEAD };

struct ws_conn {
    ev_io_t io; /* first: the loop hands us &c->io */
    ev_timer_t timer;
    ev_defer_t free_d;
    listener_t *lst;
    ws_conn_t *next, *prev;
    uint8_t *in;  /* a partial frame or request head, when one is pending */
    uint8_t *out; /* output the kernel did not take yet: out[out_off..out_len) */
    uint8_t *msg; /* a fragmented message being assembled */
    wsx_session_t *sess; /* json channels, from the upgrade on */
    char *xff;           /* the upgrade's X-Forwarded-For, or NULL */
    struct wsx_auth_job *auth_job; /* the login check under way, or NULL */
    int64_t accepted_us; /* wall clock of the TCP accept */
    ev_timer_t slow_timer; /* slow consumer policy close: armed while above the mark */
    limits_peer_t *peer;   /* the peer's handshake count, held until the upgrade */
    uint32_t in_len, in_cap, in_need;
    uint32_t out_off, out_len, out_cap;
    uint32_t msg_len, msg_cap;
    utf8_state_t utf8;
    ws_deflate_t pmd;    /* permessage-deflate, when negotiated (zeroed if not) */
    uint32_t missed;     /* pings unanswered in a row */
    uint16_t close_code; /* the code this connection closed with (for hooks) */
    uint8_t state, msg_op, flags;
    uint8_t holds;       /* pending work elsewhere (a login check) that will come
                            back to this connection: it is not freed until 0 */
    uint8_t tls_want;    /* wss://: events the TLS session waits for beyond the
                            usual ones (EV_WRITE for a read, EV_READ for a write) */
    tls_t *tls;          /* wss://: the TLS session, owned; NULL for ws:// */
};

enum {
    WS_F_CLOSE_AFTER_FLUSH = 1,
    WS_F_PONG_SEEN = 2,
    WS_F_DROP_AFTER_FLUSH = 4,
    WS_F_STALLED = 8,
    WS_F_PAUSED = 16,  /* input is held back until ws_conn_resume */
    WS_F_COUNTED = 32, /* upgraded: counted in its channel's open gauge */
    WS_F_SLOT = 64,    /* holds one of its channel's max_connections */
};

/* Queue one unfragmented frame. Returns 0 or WSX_ENOMEM. */
int ws_conn_send_frame(ws_conn_t *c, int opcode, const uint8_t *p, size_t n);
/* Send what is queued now (also applies the high-water mark). */
void ws_conn_flush(ws_conn_t *c);
/* Fail the WebSocket: close frame with code/reason, then wait for the peer's. */
void ws_conn_fail(ws_conn_t *c, uint16_t code, const char *reason);
/* Stop handing frames to the session (what is read is kept), and resume: the
 * input held back is processed at once. */
void ws_conn_pause(ws_conn_t *c);
void ws_conn_resume(ws_conn_t *c);
/* A hold taken before work elsewhere was started ends: frees the connection if it
 * died meanwhile. Returns 1 if it did (do not touch c again). */
int ws_conn_unhold(ws_conn_t *c);
/* (Re-)arm the connection's one timer; when it fires ws_conn's timer callback
 * runs (and, for an open json connection, wsx_session_on_timer). */
void ws_conn_arm_timer(ws_conn_t *c, uint64_t after_ms);
/* The slow consumer check of a ping tick (policy close): a client whose write
 * queue has stayed above the channel's high-water mark for slow_consumer_seconds
 * is failed with 1008 by its slow timer; this arms that timer if the policy became
 * close while the client was above the mark. */
void ws_conn_check_stalled(ws_conn_t *c);

#endif
