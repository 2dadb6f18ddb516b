/* wsx_session_internal.h - the session struct, shared by wsx_session.c (which owns
 * it, on the connection's worker) and wsx_conns.c (the registry, which reads the
 * fields that never change after login, under its lock). */
#ifndef WSX_WSX_SESSION_INTERNAL_H
#define WSX_WSX_SESSION_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "wsx/service.h"
#include "wsx/wsx_conns.h"
#include "ws/ws_conn_internal.h"

#define WSX_TOKEN_LEN 38 /* "zwsxt." + 32 hex */
#define WSX_ID_LEN 29    /* "zwsx." + 24 hex: our message ids */

struct wsx_session {
    ws_conn_t *conn;
    wsx_session_t *hnext;      /* registry hash chain */
    int worker;                /* the owning worker's index */
    int logged_in;
    int64_t channel_id;
    _Atomic int64_t last_seen_us;
    uint64_t token_expires_ms; /* loop clock */
    uint64_t next_ping_ms;     /* loop clock */
    char *block;               /* the strings of env and attrs, one allocation */
    char *login_reply_to;      /* the create-session's id while its check runs */
    wsx_env_t env;
    const char *local_address; /* in block */
    char pub_client_id[WSX_PUB_ID_LEN + 1];
    char token[WSX_TOKEN_LEN + 1];
    char ping_id[WSX_ID_LEN + 1];
    char connection_time[27];
};

/* Registry (wsx_conns.c), called by the owning worker. */
int wsx_conns_add(wsx_session_t *s);
void wsx_conns_remove(wsx_session_t *s);
/* A client-response from pub_client_id for one of our requests: hand its data to
 * the invoke waiting for that connection's answer. Returns 1 if one was waiting. */
int wsx_conns_answer(const char *pub_client_id, const char *in_reply_to, const uint8_t *data,
                     size_t len);
/* Fail the invocations waiting on this connection (it closed). */
void wsx_conns_closed(const char *pub_client_id);

/* Writing replies (wsx_session.c): a zwsx.rqc with this id and data to a session. */
int wsx_session_send_rqc(wsx_session_t *s, const char *id, const uint8_t *data, size_t len);
/* A new message id "zwsx.<24 hex>" into out[WSX_ID_LEN + 1]: unique per process. */
void wsx_session_new_id(char *out);

#endif
