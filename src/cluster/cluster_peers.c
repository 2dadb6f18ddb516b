/* cluster_peers.c - who a cluster-wide call goes to (see cluster_peers.h): the
 * server table, judged by member_state, this server left out. */
#include "cluster/cluster_peers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/isotime.h"
#include "server/member.h"

size_t cluster_peers_pick(const server_row_t *rows, size_t n, const char *self, int heartbeat_s,
                          int64_t now_us, cluster_peer_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const server_row_t *r = &rows[i];
        if (strcmp(r->name, self) == 0 || !r->admin_address[0] ||
            !member_is_live(member_state(r->last_heartbeat, r->left_at, now_us, heartbeat_s)))
            continue;
        snprintf(out[k].name, sizeof out[k].name, "%s", r->name);
        snprintf(out[k].admin_address, sizeof out[k].admin_address, "%s", r->admin_address);
        k++;
    }
    return k;
}

int cluster_peers_live(odb_t *db, const char *self, int heartbeat_s, cluster_peer_t **peers,
                       size_t *n)
{
    *peers = NULL;
    *n = 0;
    server_row_t *rows = NULL;
    size_t nrows = 0;
    int rc = odb_server_list(db, 1, &rows, &nrows);
    if (rc < 0)
        return rc;
    cluster_peer_t *out = nrows ? calloc(nrows, sizeof *out) : NULL;
    if (nrows && !out) {
        free(rows);
        return WSX_ENOMEM;
    }
    *n = cluster_peers_pick(rows, nrows, self, heartbeat_s, isotime_now_us(), out);
    free(rows);
    if (*n == 0) {
        free(out);
        out = NULL;
    }
    *peers = out;
    return 0;
}
