/* cluster_client.h - server-to-server HTTP calls for the control thread: each call
 * is signed with the cluster secret (cluster_sign.h), carried by libcurl on a helper
 * thread, and answered on the control loop through ev_post, so a server that is
 * slow, stopped or gone never blocks the loop; it costs its caller a timeout. */
#ifndef WSX_CLUSTER_CLIENT_H
#define WSX_CLUSTER_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster_secret.h"
#include "ev/ev.h"

#define CLUSTER_ANSWER_MAX (64u << 20) /* bytes of an answer's body; more is an error */

/* One server's answer to a call. */
typedef struct cluster_answer {
    char server[128];   /* the name of the server that was called */
    int rc;             /* 0: an HTTP answer came (status, body); < 0: none, error says why:
                         * WSX_EAGAIN no answer in time, WSX_EIO cannot connect or the
                         * connection broke, WSX_ETOOBIG too big, WSX_ECLOSED this server
                         * is stopping, WSX_ENOMEM */
    int status;         /* the HTTP status when rc is 0 */
    char *body;         /* malloc'd, NUL-terminated after body_len bytes; NULL when none */
    size_t body_len;
    char error[256];    /* when rc < 0: "no answer in 2 s", libcurl's "Failed to connect
                         * to 10.0.0.2 port 8183 after 0 ms: Couldn't connect to server" */
} cluster_answer_t;

/* A call: everything is borrowed for the duration of cluster_client_call. */
typedef struct cluster_call {
    const char *server;   /* the called server's name (copied into the answer) */
    const char *base_url; /* "http://HOST:PORT", its admin address */
    const char *method;   /* "GET", "POST", "DELETE" */
    const char *target;   /* path and query, already percent-encoded: signed as it is */
    const char *body;     /* NULL for none; sent as application/json */
    size_t body_len;
    uint64_t timeout_ms;  /* the whole call: connect, send, wait, read */
} cluster_call_t;

/* Called on the loop's thread with the answer; a is the client's, valid for the
 * call (the callback may take a->body and set it to NULL). */
typedef void (*cluster_call_cb)(void *ctx, cluster_answer_t *a);

typedef struct cluster_client cluster_client_t;

/* Start the helper thread. loop: the control loop answers are posted to; secret is
 * copied; self is this server's name, sent in every signature. NULL on failure. */
cluster_client_t *cluster_client_new(ev_loop_t *loop, const cluster_secret_t *secret,
                                     const char *self);

/* Stop the thread. Calls still in flight are answered with WSX_ECLOSED through the
 * loop's queue: run the loop (or ev_loop_drain it) afterwards so their callbacks run.
 * Loop thread only. */
void cluster_client_free(cluster_client_t *c);

/* Sign and send a call. Returns 0 when cb will run (always later, on the loop's
 * thread, never inside this call), or WSX_EINVAL (a field missing or too long) /
 * WSX_ENOMEM, and then cb will not run. Loop thread only. */
int cluster_client_call(cluster_client_t *c, const cluster_call_t *call, cluster_call_cb cb,
                        void *ctx);

#endif
