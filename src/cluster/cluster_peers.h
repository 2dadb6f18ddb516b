/* cluster_peers.h - the servers a cluster-wide call goes to: every other server of
 * the cluster that is live (up or missed heartbeats, member.h), with the address of
 * its admin API. Down and left servers are not called. Control thread (the ODB). */
#ifndef WSX_CLUSTER_PEERS_H
#define WSX_CLUSTER_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "odb/odb.h"

typedef struct cluster_peer {
    char name[ODB_SERVER_NAME_CAP];
    char admin_address[ODB_ADDRESS_CAP];
} cluster_peer_t;

/* The live servers of rows[0..n) other than `self` (and other than a row without an
 * admin address), as judged at now_us by a server heartbeating every heartbeat_s,
 * copied into out (room for n) in row order. Returns how many. Pure. */
size_t cluster_peers_pick(const server_row_t *rows, size_t n, const char *self, int heartbeat_s,
                          int64_t now_us, cluster_peer_t *out);

/* The live servers of cluster 1 other than self, read from the ODB now. *peers is
 * malloc'd (the caller frees; NULL when *n is 0). Returns 0, or the ODB's error. */
int cluster_peers_live(odb_t *db, const char *self, int heartbeat_s, cluster_peer_t **peers,
                       size_t *n);

#endif
