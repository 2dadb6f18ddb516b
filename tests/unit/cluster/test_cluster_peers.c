/* test_cluster_peers.c - who a cluster-wide call goes to: every other server that is
 * up or missing heartbeats, never this one, a down one, one that left, or one
 * without an admin address. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "cluster/cluster_peers.h"
#include "common/isotime.h"

static server_row_t row(const char *name, const char *addr, int64_t beat_us, const char *left)
{
    server_row_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "%s", name);
    snprintf(r.admin_address, sizeof r.admin_address, "%s", addr);
    isotime_format(beat_us, r.last_heartbeat);
    snprintf(r.left_at, sizeof r.left_at, "%s", left);
    return r;
}

Test(cluster_peers, live_others_only_in_row_order)
{
    int64_t now = 1790000000LL * 1000000;
    int64_t s = 1000000;
    server_row_t rows[] = {
        row("a", "http://127.0.0.1:1", now - 1 * s, ""),          /* up */
        row("me", "http://127.0.0.1:2", now, ""),                  /* this server */
        row("b", "http://127.0.0.1:3", now - 15 * s, ""),         /* missed heartbeats */
        row("c", "http://127.0.0.1:4", now - 21 * s, ""),         /* down */
        row("d", "http://127.0.0.1:5", now, "2026-01-01T00:00:00Z"), /* left */
        row("e", "", now, ""),                                     /* no address */
        row("f", "http://127.0.0.1:7", now + 5 * s, ""),          /* a clock ahead: up */
    };
    cluster_peer_t out[7];
    size_t n = cluster_peers_pick(rows, 7, "me", 2, now, out);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(out[0].name, "a");
    cr_assert_str_eq(out[0].admin_address, "http://127.0.0.1:1");
    cr_assert_str_eq(out[1].name, "b");
    cr_assert_str_eq(out[2].name, "f");
    /* a longer heartbeat interval keeps the late ones live longer */
    n = cluster_peers_pick(rows, 7, "me", 10, now, out);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(out[2].name, "c");
}
