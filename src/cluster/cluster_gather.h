/* cluster_gather.h - the fan-out helper: n answers, one per server, gathered into one
 * callback. Slots are filled by calls through cluster_client (cluster_gather_call) or
 * by the caller itself (cluster_gather_put: this server's own answer). The callback
 * runs once, when every slot is filled, or as soon as `enough` says one answer
 * settles the matter (the owner of a connection answered): slots still waiting
 * then have rc WSX_EAGAIN and an empty error. Loop thread only. */
#ifndef WSX_CLUSTER_GATHER_H
#define WSX_CLUSTER_GATHER_H

#include "cluster/cluster_client.h"

typedef struct cluster_gather cluster_gather_t;

/* Does this one answer settle it? (NULL: wait for every answer.) */
typedef int (*cluster_enough_fn)(void *ctx, const cluster_answer_t *a);
/* Every answer, in slot order; the array and the bodies are the gather's, valid for
 * the call (the callback may take a body and set it to NULL). */
typedef void (*cluster_gather_cb)(void *ctx, cluster_answer_t *answers, size_t n);

/* A gather of n slots (n >= 1). The callback cannot run before cluster_gather_start:
 * fill or call every slot, then start. NULL when out of memory. */
cluster_gather_t *cluster_gather_new(size_t n, cluster_enough_fn enough, cluster_gather_cb done,
                                     void *ctx);

/* Fill slot i with an answer; ownership of a->body passes to the gather (the caller's
 * *a is left with body NULL). Each slot is filled once. */
void cluster_gather_put(cluster_gather_t *g, size_t i, cluster_answer_t *a);

/* Fill slot i with the answer to a call (call is borrowed for this call). When the
 * call cannot be made the slot is filled at once with that error. */
void cluster_gather_call(cluster_gather_t *g, size_t i, cluster_client_t *c,
                         const cluster_call_t *call);

/* Every slot is filled or called: the callback may now run (perhaps inside this
 * call). The gather frees itself once the callback ran and every slot is filled. */
void cluster_gather_start(cluster_gather_t *g);

#endif
