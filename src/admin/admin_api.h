/* admin_api.h - the JSON admin API (/api/v1/...), /healthz and the web admin
 * (/zato/..., admin_web.c), as one handler for http_server. Every write is validated, committed to the ODB, then applied by the
 * reconciler before the reply goes out, so a 201 means the channel is listening
 * (or shows why not in its state). Control thread only. */
#ifndef WSX_ADMIN_API_H
#define WSX_ADMIN_API_H

#include "admin/admin_ratelimit.h"
#include "admin/admin_session.h"
#include "channel/reconcile.h"
#include "cluster/cluster_client.h"
#include "common/isotime.h"
#include "http/http_server.h"
#include "odb/odb.h"

typedef struct admin_api {
    odb_t *db;            /* borrowed */
    reconciler_t *rec;    /* borrowed */
    ev_loop_t *loop;      /* the control thread's: deferred replies complete on it */
    /* cluster-wide calls (admin_conn.c, admin_internal.c): the client that asks the
     * other servers, and the secret their calls to us are signed with; borrowed,
     * NULL when there are none (then only this server's connections are seen) */
    cluster_client_t *cluster;
    const cluster_secret_t *cluster_secret;
    admin_sessions_t *sessions;   /* borrowed: the web admin's logins */
    admin_ratelimit_t *ratelimit; /* borrowed: failed logins per client address */
    const char *server_name;      /* borrowed: this server's name */
    const char *admin_url;        /* borrowed: "http://HOST:PORT" of this listener */
    char started_at[ISOTIME_LEN + 1]; /* when this server started (UTC, ISO 8601) */
    int tls;         /* the listener speaks TLS (--admin-tls-cert): cookies get Secure */
    int heartbeat_s; /* this server's --heartbeat-seconds: judges the others' (member.h) */
    int leaving;     /* set by a SIGTERM: /healthz answers 503 during the drain */
} admin_api_t;

/* The http_handler_fn of the admin listener; ctx is an admin_api_t. */
void admin_api_handle(void *ctx, const http_request_t *req, wsx_slice_t body, http_reply_t *out);

#endif
