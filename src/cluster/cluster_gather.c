/* cluster_gather.c - n answers into one callback (see cluster_gather.h). The count of
 * slots still open decides both when the callback may run and when the gather is
 * freed: answers arriving after an early callback are dropped, but still awaited
 * before the memory goes, since each pending call holds a pointer to it. */
#include "cluster/cluster_gather.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

struct cluster_gather {
    size_t n;
    size_t open; /* slots not filled yet */
    int started; /* cluster_gather_start was called */
    int fired;
    int settled; /* an answer satisfied `enough` */
    cluster_enough_fn enough;
    cluster_gather_cb done;
    void *ctx;
    unsigned char *filled;
    cluster_answer_t *answers;
};

/* One slot and the gather it belongs to, for cluster_client's callback. */
typedef struct slot_ref {
    cluster_gather_t *g;
    size_t i;
} slot_ref_t;

cluster_gather_t *cluster_gather_new(size_t n, cluster_enough_fn enough, cluster_gather_cb done,
                                     void *ctx)
{
    cluster_gather_t *g = calloc(1, sizeof *g);
    if (!g || !n)
        goto fail;
    g->answers = calloc(n, sizeof *g->answers);
    g->filled = calloc(n, 1);
    if (!g->answers || !g->filled)
        goto fail;
    g->n = n;
    g->open = n;
    g->enough = enough;
    g->done = done;
    g->ctx = ctx;
    for (size_t i = 0; i < n; i++)
        g->answers[i].rc = WSX_EAGAIN; /* shown for a slot not answered at an early callback */
    return g;
fail:
    if (g) {
        free(g->answers);
        free(g->filled);
    }
    free(g);
    return NULL;
}

static void gather_free(cluster_gather_t *g)
{
    for (size_t i = 0; i < g->n; i++)
        free(g->answers[i].body);
    free(g->answers);
    free(g->filled);
    free(g);
}

/* After a slot was filled or the gather started: fire and free when due. */
static void step(cluster_gather_t *g)
{
    if (g->started && !g->fired && (g->open == 0 || g->settled)) {
        g->fired = 1;
        g->done(g->ctx, g->answers, g->n);
    }
    if (g->fired && g->open == 0)
        gather_free(g);
}

void cluster_gather_put(cluster_gather_t *g, size_t i, cluster_answer_t *a)
{
    if (i >= g->n || g->filled[i]) {
        free(a->body);
        a->body = NULL;
        return;
    }
    g->filled[i] = 1;
    g->open--;
    if (g->fired) {
        free(a->body);
    } else {
        g->answers[i] = *a;
        if (g->enough && g->enough(g->ctx, a))
            g->settled = 1;
    }
    a->body = NULL;
    step(g);
}

static void on_answer(void *ctx, cluster_answer_t *a)
{
    slot_ref_t *r = ctx;
    cluster_gather_t *g = r->g;
    size_t i = r->i;
    free(r);
    cluster_gather_put(g, i, a);
}

void cluster_gather_call(cluster_gather_t *g, size_t i, cluster_client_t *c,
                         const cluster_call_t *call)
{
    slot_ref_t *r = malloc(sizeof *r);
    int rc = WSX_ENOMEM;
    if (r) {
        *r = (slot_ref_t){g, i};
        rc = c ? cluster_client_call(c, call, on_answer, r) : WSX_EINVAL;
        if (rc == 0)
            return;
        free(r);
    }
    cluster_answer_t a = {.rc = rc};
    snprintf(a.server, sizeof a.server, "%s", call->server ? call->server : "");
    snprintf(a.error, sizeof a.error, "cannot call it: %s", wsx_strerror(rc));
    cluster_gather_put(g, i, &a);
}

void cluster_gather_start(cluster_gather_t *g)
{
    g->started = 1;
    step(g);
}
