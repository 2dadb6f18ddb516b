/* test_cli_lb.c - the HAProxy configuration `wsx lb haproxy-config` prints, from the
 * API's channels and servers: which channels get a frontend, which servers a line,
 * the address each server is reached on (--bind-host, the channel's host, or the
 * admin host for a wildcard), the health check on the admin port, the WebSocket
 * timeouts and X-Forwarded-For. (haproxy -c itself runs in the integration tests.) */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/err.h"

static char *out;
static size_t outlen;
static char why[200];

/* Generate from JSON texts; returns the function's result, output in `out`. */
static int gen(const char *channels, const char *servers, const char *bind, const char *balance)
{
    json_error_t e;
    json_t *c = json_loads(channels, 0, &e), *s = json_loads(servers, 0, &e);
    cr_assert(c && s, "test JSON: %s", e.text);
    free(out);
    out = NULL;
    FILE *f = open_memstream(&out, &outlen);
    cli_lb_opts_t o = {.bind = bind, .balance = balance, .source = "http://10.0.0.1:8183"};
    why[0] = 0;
    int rc = cli_lb_haproxy_config(f, c, s, &o, why, sizeof why);
    fclose(f);
    json_decref(c);
    json_decref(s);
    return rc;
}

static void has(const char *line)
{
    cr_assert(strstr(out, line), "missing \"%s\" in:\n%s", line, out);
}

static void lacks(const char *text)
{
    cr_assert(!strstr(out, text), "unexpected \"%s\" in:\n%s", text, out);
}

#define CH(id, name, addr, active)                                                                 \
    "{\"id\": " #id ", \"name\": \"" name "\", \"address\": \"" addr "\", \"is_active\": " active  \
    "}"
#define SV(name, admin, bind, state)                                                               \
    "{\"name\": \"" name "\", \"admin_address\": \"" admin "\", \"bind_host\": " bind              \
    ", \"state\": \"" state "\"}"

/* clang-format off */
static const char *three_servers = "["
    SV("alpha", "http://10.0.0.1:8183", "null", "up") ","
    SV("beta", "http://10.0.0.2:8183", "null", "missed heartbeats") ","
    SV("gamma", "http://10.0.0.3:8183", "null", "down") ","
    SV("delta", "http://10.0.0.4:8183", "null", "left") "]";
/* clang-format on */

Test(cli_lb, frontend_per_active_channel_server_per_live_server)
{
    cr_assert_eq(gen("[" CH(1, "orders", "ws://0.0.0.0:48902/orders",
                            "true") "," CH(2, "old", "ws://0.0.0.0:48903/old", "false") "]",
                     three_servers, NULL, NULL),
                 0, "%s", why);
    has("frontend wsx_channel_1\n    bind 0.0.0.0:48902\n    default_backend "
        "wsx_channel_1_servers\n");
    has("# channel \"orders\" (id 1): ws://0.0.0.0:48902/orders\n");
    lacks("wsx_channel_2");
    has("backend wsx_channel_1_servers\n    balance roundrobin\n    option httpchk GET /healthz\n");
    /* a wildcard channel host: each server on its admin host */
    has("    server alpha 10.0.0.1:48902 check port 8183 addr 10.0.0.1\n");
    has("    server beta 10.0.0.2:48902 check port 8183 addr 10.0.0.2\n");
    lacks("gamma");
    lacks("server delta");
    has("1 active channel(s), 2 live server(s) of 4");
}

Test(cli_lb, websocket_defaults)
{
    cr_assert_eq(
        gen("[" CH(1, "a", "ws://127.0.0.1:4000/", "true") "]", three_servers, NULL, "leastconn"),
        0);
    has("    mode http\n");
    has("    option forwardfor\n");
    has("    timeout tunnel 1h\n");
    has("    timeout connect 5s\n");
    has("    timeout client 60s\n");
    has("    timeout server 60s\n");
    has("    balance leastconn\n");
    has("    http-check expect status 200\n");
}

Test(cli_lb, bind_host_then_channel_host)
{
    const char *servers = "[" SV("s2", "http://127.0.0.1:9002", "\"127.0.0.2\"", "up") "," SV(
        "s3", "http://127.0.0.1:9003", "\"127.0.0.3\"",
        "up") "," SV("plain", "http://127.0.0.1:9004", "null", "up") "]";
    cr_assert_eq(gen("[" CH(5, "c", "ws://127.0.0.1:30000/ws", "true") "]", servers, NULL, NULL),
                 0);
    has("    bind 127.0.0.1:30000\n");
    has("    server s2 127.0.0.2:30000 check port 9002 addr 127.0.0.1\n");
    has("    server s3 127.0.0.3:30000 check port 9003 addr 127.0.0.1\n");
    has("    server plain 127.0.0.1:30000 check port 9004 addr 127.0.0.1\n");
}

Test(cli_lb, bind_option_moves_every_frontend)
{
    cr_assert_eq(gen("[" CH(1, "a", "ws://127.0.0.1:4000/",
                            "true") "," CH(2, "b", "ws://127.0.0.1:4001/", "true") "]",
                     three_servers, "192.0.2.10", NULL),
                 0);
    has("    bind 192.0.2.10:4000\n");
    has("    bind 192.0.2.10:4001\n");
    has("    server alpha 127.0.0.1:4000 ");
}

Test(cli_lb, ipv6_in_brackets)
{
    const char *servers = "[" SV("v6", "http://[::1]:8183", "null", "up") "]";
    cr_assert_eq(gen("[" CH(1, "a", "ws://[::1]:4000/", "true") "]", servers, "::", NULL), 0);
    has("    bind [::]:4000\n");
    has("    server v6 [::1]:4000 check port 8183 addr [::1]\n");
}

Test(cli_lb, wildcard_everywhere_is_left_out_with_a_reason)
{
    const char *servers = "[" SV("lost", "http://0.0.0.0:8183", "null", "up") "]";
    cr_assert_eq(gen("[" CH(1, "a", "ws://0.0.0.0:4000/", "true") "]", servers, NULL, NULL), 0);
    lacks("    server lost");
    has("# server \"lost\" left out");
    has("give it --bind-host");
    has("# no live server");
}

Test(cli_lb, names_made_safe_and_unique)
{
    const char *servers = "[" SV("web 1", "http://10.0.0.1:8183", "null",
                                 "up") "," SV("web/1", "http://10.0.0.2:8183", "null", "up") "]";
    cr_assert_eq(
        gen("[" CH(1, "line\\nbreak", "ws://0.0.0.0:4000/", "true") "]", servers, NULL, NULL), 0);
    has("    server web_1 10.0.0.1:4000 ");
    has("    server web_1_2 10.0.0.2:4000 ");
    has("# channel \"line break\" (id 1)");
}

Test(cli_lb, wss_channels_skipped_and_nothing_active_refused)
{
    cr_assert_eq(gen("[" CH(1, "tls", "wss://0.0.0.0:4443/",
                            "true") "," CH(2, "off", "ws://0.0.0.0:4000/", "false") "]",
                     three_servers, NULL, NULL),
                 WSX_ENOTFOUND);
    cr_assert_eq(outlen, 0, "nothing written: %s", out);
    cr_assert(strstr(why, "no active ws:// channel"), "%s", why);
}
