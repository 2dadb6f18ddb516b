/* test_limits.c - the pure parts of the server-wide limits: --max-memory's byte
 * counts with their suffixes, the connection count, and the per-peer table of
 * handshakes in progress (real sockets over loopback, two peer addresses). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/err.h"
#include "net/limits.h"

static uint64_t bytes(const char *s)
{
    uint64_t v = 12345;
    cr_assert_eq(limits_parse_bytes(s, &v), 0, "\"%s\" refused", s);
    return v;
}

Test(limits_parse_bytes, numbers_and_suffixes)
{
    cr_assert_eq(bytes("0"), 0);
    cr_assert_eq(bytes("1048576"), 1048576);
    cr_assert_eq(bytes("1K"), 1024);
    cr_assert_eq(bytes("1k"), 1024);
    cr_assert_eq(bytes("512M"), 512ull << 20);
    cr_assert_eq(bytes("2G"), 2ull << 30);
    cr_assert_eq(bytes("2GiB"), 2ull << 30);
    cr_assert_eq(bytes("64KB"), 64ull << 10);
    cr_assert_eq(bytes("100B"), 100);
    cr_assert_eq(bytes("4294967296G"), 4294967296ull << 30);
}

Test(limits_parse_bytes, refuses_what_is_not_a_size)
{
    const char *bad[] = {"",     "M",  "-1",  "+5",  " 5",  "5 ",          "1.5G",
                         "12X",  "1T", "1MM", "1Gi", "1iB", "4294967297G", "99999999999999999999",
                         "0x10", NULL};
    for (int i = 0; bad[i]; i++) {
        uint64_t v = 777;
        cr_assert_eq(limits_parse_bytes(bad[i], &v), WSX_EINVAL, "\"%s\" accepted", bad[i]);
        cr_assert_eq(v, 777, "\"%s\": out written on failure", bad[i]);
    }
    uint64_t v;
    cr_assert_eq(limits_parse_bytes(NULL, &v), WSX_EINVAL);
}

/* A connected pair over loopback whose client is bound to host; returns the
 * server side (its peer address is host); *client is the other end. */
static int pair_from(int lfd, const char *host, int *client)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    cr_assert_eq(getsockname(lfd, (struct sockaddr *)&a, &len), 0);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in b = {.sin_family = AF_INET};
    inet_pton(AF_INET, host, &b.sin_addr);
    cr_assert_eq(bind(c, (struct sockaddr *)&b, sizeof b), 0);
    cr_assert_eq(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    int s = accept(lfd, NULL, NULL);
    cr_assert_geq(s, 0);
    *client = c;
    return s;
}

Test(limits, connections_and_handshakes_per_peer)
{
    limits_cfg_t cfg = {.max_connections = 2, .max_handshakes_per_peer = 2};
    cr_assert_eq(limits_start(&cfg), 0);
    cr_assert_eq(limits_conn_take(), 0);
    cr_assert_eq(limits_conn_take(), 0);
    cr_assert_eq(limits_conn_take(), WSX_EBUSY, "the third is over --max-connections 2");
    limits_conn_release();
    cr_assert_eq(limits_conn_take(), 0, "one went: room for one");
    limits_conn_release();
    limits_conn_release();
    cr_assert_eq(limits_over_memory(), 0, "no budget: never over");

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    cr_assert_eq(bind(lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(lfd, 16), 0);
    int cl[4], sv[4];
    limits_peer_t *slot[4];
    sv[0] = pair_from(lfd, "127.0.0.2", &cl[0]);
    sv[1] = pair_from(lfd, "127.0.0.2", &cl[1]);
    sv[2] = pair_from(lfd, "127.0.0.2", &cl[2]);
    sv[3] = pair_from(lfd, "127.0.0.3", &cl[3]);
    cr_assert_eq(limits_peer_take(sv[0], &slot[0]), 0);
    cr_assert_eq(limits_peer_take(sv[1], &slot[1]), 0);
    cr_assert_not_null(slot[0]);
    cr_assert_eq(slot[0], slot[1], "one entry per address");
    cr_assert_eq(limits_peer_take(sv[2], &slot[2]), WSX_EBUSY, "a third from 127.0.0.2");
    cr_assert_null(slot[2]);
    cr_assert_eq(limits_peer_take(sv[3], &slot[3]), 0, "another address is not affected");
    limits_peer_release(slot[0]);
    cr_assert_eq(limits_peer_take(sv[2], &slot[2]), 0, "room again after one finished");
    limits_peer_release(slot[1]);
    limits_peer_release(slot[2]);
    limits_peer_release(slot[3]);
    limits_peer_release(NULL);
    for (int i = 0; i < 4; i++) {
        close(sv[i]);
        close(cl[i]);
    }
    close(lfd);
    limits_stop();
}

Test(limits, memory_budget)
{
    limits_cfg_t cfg = {.max_memory = 1024}; /* any process is above 1 KiB */
    cr_assert_eq(limits_start(&cfg), 0);
    cr_assert_gt(limits_rss_now(), 1024);
    cr_assert_gt(limits_rss(), 0, "sampled at start");
    cr_assert_eq(limits_over_memory(), 1);
    limits_stop();
    cfg.max_memory = 1ull << 50;
    cr_assert_eq(limits_start(&cfg), 0);
    cr_assert_eq(limits_over_memory(), 0);
    limits_stop();
}
