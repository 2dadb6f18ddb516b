/* test_metrics.c - the per-channel connection count behind a channel's
 * max_connections (metrics_open_take/release) and the limit families in a render:
 * refusals by reason, dropped messages, the resident size and the budget. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/metrics.h"

Test(metrics, open_take_counts_across_the_channel)
{
    cr_assert_eq(metrics_init(2), 0);
    mx_block_t *b = metrics_channel(1, "orders", "demo.echo");
    cr_assert_not_null(b);
    cr_assert_eq(metrics_open_take(b, 2), 1);
    cr_assert_eq(metrics_open_take(b, 2), 1);
    cr_assert_eq(metrics_open_take(b, 2), 0, "the third is over max_connections 2");
    metrics_open_release(b);
    cr_assert_eq(metrics_open_take(b, 2), 1, "one left: room for one");
    cr_assert_eq(metrics_open_take(b, 0), 1, "0: no limit");
    mx_block_t *other = metrics_channel(2, "other", "demo.echo");
    cr_assert_eq(metrics_open_take(other, 1), 1, "another channel has its own count");
    cr_assert_eq(metrics_open_take(NULL, 1), 1, "no block (out of memory): never refused");
    metrics_open_release(NULL);
    metrics_free();
}

Test(metrics, render_has_the_limit_families)
{
    cr_assert_eq(metrics_init(1), 0);
    mx_block_t *b = metrics_channel(7, "slow", "demo.echo");
    MX_ADD(metrics_slot(b, 0)->dropped, 3);
    MX_ADD(metrics_worker(0)->refused[MX_REF_CHANNEL_LIMIT], 2);
    char *text;
    size_t len;
    cr_assert_eq(metrics_render(&text, &len), 0);
    const char *want[] = {"wsx_messages_dropped_total{channel=\"slow\"} 3\n",
                          "wsx_connections_refused_total{reason=\"channel_limit\"} 2\n",
                          "wsx_connections_refused_total{reason=\"server_limit\"} 0\n",
                          "wsx_connections_refused_total{reason=\"peer_handshakes\"} 0\n",
                          "wsx_connections_refused_total{reason=\"memory\"} 0\n",
                          "# TYPE wsx_resident_memory_bytes gauge\n",
                          "wsx_memory_budget_bytes 0\n"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(text, want[i]), "missing %s", want[i]);
    free(text);
    metrics_free();
}
