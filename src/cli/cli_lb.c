/* cli_lb.c - `wsx lb haproxy-config`: an HAProxy (2.6) configuration for the cluster,
 * from GET /api/v1/channels and /api/v1/servers. One frontend per active ws:// channel
 * on its port, one backend server per live server (up or missed heartbeats) on the
 * address that server binds the channel on, health-checked on its admin /healthz;
 * X-Forwarded-For added, WebSocket-length tunnel timeouts. The file is a snapshot:
 * write it again after adding a channel or a server. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "channel/channel.h"
#include "cli/cli.h"
#include "common/err.h"

enum {
    OPT_HELP = 'h',
    OPT_BIND = CLI_HTTP_OPT_FIRST_FREE,
    OPT_BALANCE,
};

static const struct option config_longopts[] = {
    {"help", no_argument, NULL, OPT_HELP},
    {"bind", required_argument, NULL, OPT_BIND},
    {"balance", required_argument, NULL, OPT_BALANCE},
    CLI_HTTP_LONGOPTS,
    {NULL, 0, NULL, 0},
};

#define SYNOPSIS_CONFIG "wsx lb haproxy-config [--bind HOST] [--balance roundrobin|leastconn]\n"

static const char usage_lb[] =
    "usage: wsx lb COMMAND [OPTIONS]\n"
    "\n"
    "The load balancer in front of a cluster.\n"
    "\n"
    "commands:\n"
    "  haproxy-config   print an HAProxy configuration for the active channels and the\n"
    "                   live servers\n"
    "\n" SYNOPSIS_CONFIG "\n" CLI_HTTP_USAGE "\n"
    "'wsx lb COMMAND --help' shows one command.\n";

static const char usage_config[] =
    "usage: " SYNOPSIS_CONFIG "\n"
    "Print an HAProxy 2.6 configuration (haproxy.cfg) for the cluster the admin API (--url)\n"
    "belongs to: a frontend on the port of every active channel, balancing its clients\n"
    "over the servers that are up (or missed heartbeats), each checked on its admin\n"
    "API's /healthz; X-Forwarded-For is added, so services see the client's address.\n"
    "A server is reached on its --bind-host, else on the channel's host (else, for a\n"
    "channel on 0.0.0.0 or ::, on the host of its admin address). Print it again after\n"
    "adding a channel or a server, and reload HAProxy.\n"
    "\n"
    "options:\n"
    "  --bind HOST      the address HAProxy listens on for every channel (default: the\n"
    "                   channel's host; give another when HAProxy shares a machine with\n"
    "                   a server bound on the channel's address)\n"
    "  --balance ALGO   roundrobin (default) or leastconn\n"
    "\n" CLI_HTTP_USAGE;

/* HAProxy names a proxy or a server with letters, digits and "-_.:"; anything else
 * becomes '_'. At most cap - 1 bytes. */
static void ha_name(const char *s, char *out, size_t cap)
{
    size_t i = 0;
    for (; *s && i + 1 < cap; s++) {
        unsigned char ch = (unsigned char)*s;
        int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                 ch == '-' || ch == '_' || ch == '.';
        out[i++] = ok ? (char)ch : '_';
    }
    out[i] = '\0';
}

/* A comment keeps to its line. */
static void comment_text(const char *s, char *out, size_t cap)
{
    snprintf(out, cap, "%s", s);
    for (char *p = out; *p; p++)
        if (*p == '\n' || *p == '\r' || (unsigned char)*p < 0x20)
            *p = ' ';
}

static int is_wildcard(const char *host)
{
    return !*host || !strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !strcmp(host, "*");
}

/* host:port as HAProxy reads it: an IPv6 literal in brackets. */
static void ha_addr(const char *host, unsigned port, char *out, size_t cap)
{
    if (strchr(host, ':'))
        snprintf(out, cap, "[%s]:%u", host, port);
    else
        snprintf(out, cap, "%s:%u", host, port);
}

/* The host and port of an admin address "http://HOST:PORT" ([v6] too). 0 or -1. */
static int admin_hostport(const char *url, char *host, size_t cap, unsigned *port)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strcspn(p, "/");
    char hp[300];
    if (n >= sizeof hp)
        return -1;
    memcpy(hp, p, n);
    hp[n] = '\0';
    char *colon = strrchr(hp, ':');
    if (!colon)
        return -1;
    *colon = '\0';
    char *end;
    long v = strtol(colon + 1, &end, 10);
    if (*end || v < 1 || v > 65535)
        return -1;
    *port = (unsigned)v;
    char *h = hp;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    if (!*h || strlen(h) >= cap)
        return -1;
    memcpy(host, h, strlen(h) + 1);
    return 0;
}

static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

int cli_lb_haproxy_config(FILE *out, const json_t *channels, const json_t *servers,
                          const cli_lb_opts_t *o, char *why, size_t whycap)
{
    const char *balance = o->balance ? o->balance : "roundrobin";
    size_t i, nlive = 0, nchan = 0;
    json_t *ch, *sv;
    json_array_foreach(servers, i, sv) nlive +=
        !strcmp(str(sv, "state"), "up") || !strcmp(str(sv, "state"), "missed heartbeats");
    json_array_foreach(channels, i, ch)
    {
        channel_addr_t a;
        channel_err_t e;
        nchan += json_is_true(json_object_get(ch, "is_active")) &&
                 channel_addr_parse(str(ch, "address"), &a, &e) == 0 && !a.tls;
    }
    if (nchan == 0) {
        snprintf(why, whycap,
                 "the cluster has no active ws:// channel: HAProxy would have nothing to "
                 "listen on");
        return WSX_ENOTFOUND;
    }
    fprintf(out,
            "# HAProxy configuration for the wsx cluster of %s, written by\n"
            "# `wsx lb haproxy-config`: %zu active channel(s), %zu live server(s) of %zu.\n"
            "# A snapshot: write it again after adding a channel or a server, then reload\n"
            "# HAProxy. Check it with: haproxy -c -f haproxy.cfg\n"
            "#\n"
            "# No global maxconn: HAProxy derives it from its file descriptor limit, so raise\n"
            "# that (ulimit -n, LimitNOFILE=) for many clients; a maxconn above the limit\n"
            "# would stop an unprivileged HAProxy from starting.\n"
            "\n"
            "defaults\n"
            "    mode http\n"
            "    # the client's address reaches wsx (and its services) as X-Forwarded-For\n"
            "    option forwardfor\n"
            "    # a connection a server refuses (it is leaving, or gone) is retried on\n"
            "    # another server at once\n"
            "    option redispatch 1\n"
            "    retries 3\n"
            "    timeout connect 5s\n"
            "    timeout http-request 10s\n"
            "    timeout client 60s\n"
            "    timeout server 60s\n"
            "    # after the upgrade a WebSocket is a tunnel: idle up to an hour (wsx pings\n"
            "    # its clients far more often than that)\n"
            "    timeout tunnel 1h\n"
            "    timeout client-fin 10s\n"
            "    timeout server-fin 10s\n"
            "    # health checks every 2 s on each server's admin API; two failures take it\n"
            "    # out (a leaving server answers 503), two successes bring it back\n"
            "    default-server inter 2s fall 2 rise 2\n",
            o->source ? o->source : "the admin API", nchan, nlive, json_array_size(servers));
    json_array_foreach(channels, i, ch)
    {
        channel_addr_t a;
        channel_err_t e;
        if (!json_is_true(json_object_get(ch, "is_active")) ||
            channel_addr_parse(str(ch, "address"), &a, &e) < 0 || a.tls)
            continue;
        json_int_t id = json_integer_value(json_object_get(ch, "id"));
        char name[CHANNEL_NAME_MAX * 4 + 1], address[1400], bind[300], proxy[64];
        comment_text(str(ch, "name"), name, sizeof name);
        comment_text(str(ch, "address"), address, sizeof address);
        ha_addr(o->bind ? o->bind : a.host, a.port, bind, sizeof bind);
        snprintf(proxy, sizeof proxy, "wsx_channel_%" JSON_INTEGER_FORMAT, id);
        fprintf(out,
                "\n"
                "# channel \"%s\" (id %" JSON_INTEGER_FORMAT "): %s\n"
                "frontend %s\n"
                "    bind %s\n"
                "    default_backend %s_servers\n"
                "\n"
                "backend %s_servers\n"
                "    balance %s\n"
                "    option httpchk GET /healthz\n"
                "    http-check expect status 200\n",
                name, id, address, proxy, bind, proxy, proxy, balance);
        size_t j, used = 0, written = 0;
        char names[64][80]; /* the server names written so far, to keep them unique */
        json_array_foreach(servers, j, sv)
        {
            const char *state = str(sv, "state");
            if (strcmp(state, "up") && strcmp(state, "missed heartbeats"))
                continue;
            char sname[80], admin_host[256], target[256], srvaddr[300], check[300];
            comment_text(str(sv, "name"), name, sizeof name);
            ha_name(str(sv, "name"), sname, 64);
            if (!*sname)
                snprintf(sname, sizeof sname, "server");
            for (size_t k = 0; k < used && k < 64; k++)
                if (!strcmp(names[k], sname)) {
                    size_t l = strlen(sname);
                    snprintf(sname + l, sizeof sname - l, "_%zu", j + 1);
                    break;
                }
            if (used < 64)
                snprintf(names[used++], sizeof names[0], "%s", sname);
            unsigned admin_port = 0;
            int have_admin = admin_hostport(str(sv, "admin_address"), admin_host, sizeof admin_host,
                                            &admin_port) == 0;
            /* where this server listens for the channel: its --bind-host, else the
             * channel's host; a wildcard is no address to connect to, so then the host
             * its admin API is reached on (the same machine) */
            const char *bh = str(sv, "bind_host");
            snprintf(target, sizeof target, "%s", !is_wildcard(bh) ? bh : a.host);
            if (is_wildcard(target) && have_admin && !is_wildcard(admin_host))
                snprintf(target, sizeof target, "%s", admin_host);
            if (is_wildcard(target)) {
                fprintf(out,
                        "    # server \"%s\" left out: it listens on %s and its admin address "
                        "(%s) names no host either; give it --bind-host\n",
                        name, is_wildcard(bh) ? a.host : bh, str(sv, "admin_address"));
                continue;
            }
            ha_addr(target, a.port, srvaddr, sizeof srvaddr);
            if (have_admin) {
                const char *chk = is_wildcard(admin_host) ? target : admin_host;
                snprintf(check, sizeof check, " check port %u addr %s%s%s", admin_port,
                         strchr(chk, ':') ? "[" : "", chk, strchr(chk, ':') ? "]" : "");
            } else {
                /* the channel's port answers /healthz with 404: no check at all */
                snprintf(check, sizeof check, "  # no admin address to check");
            }
            fprintf(out, "    server %s %s%s\n", sname, srvaddr, check);
            written++;
        }
        if (written == 0)
            fprintf(out, "    # no live server: clients get 503 until one is up and this file "
                         "is written again\n");
    }
    return 0;
}

static int cmd_config(int argc, char **argv)
{
    cli_http_opts_t conn = {0};
    cli_lb_opts_t o = {0};
    int c, status;
    cli_cmd_args_t a = {
        "wsx lb haproxy-config", argc, argv, config_longopts, usage_config, &conn, 0};
    while ((c = cli_cmd_next_option(&a, &status)) != 0) {
        if (c == OPT_BIND) {
            if (!*optarg || strchr(optarg, ' ') || strlen(optarg) > 255)
                return cli_cmd_usage_error(a.cmd, "--bind needs a host, got '%s'", optarg);
            o.bind = optarg;
        } else if (c == OPT_BALANCE) {
            if (strcmp(optarg, "roundrobin") && strcmp(optarg, "leastconn"))
                return cli_cmd_usage_error(
                    a.cmd, "--balance must be roundrobin or leastconn, got '%s'", optarg);
            o.balance = optarg;
        }
    }
    if (status)
        return cli_cmd_finish(status);
    if (optind < argc)
        return cli_cmd_usage_error(a.cmd, "unexpected argument '%s'", argv[optind]);
    cli_http_t *h = cli_http_open(&conn);
    if (!h)
        return CLI_EXIT_FAIL;
    static const cli_list_t channels_list = {"/api/v1/channels", "a channel list", "channel",
                                             "channel "};
    json_t *channels = cli_list_all(h, &channels_list, NULL), *resp = NULL;
    int rc = channels ? 0 : CLI_EXIT_FAIL;
    if (rc == 0 && cli_http_api(h, "GET", "/api/v1/servers", NULL, &resp) < 0)
        rc = CLI_EXIT_FAIL;
    json_t *servers = json_object_get(resp, "items");
    if (rc == 0 && !json_is_array(servers)) {
        fprintf(stderr, "wsx: the admin API at %s sent a server list without \"items\"\n",
                cli_http_url(h));
        rc = CLI_EXIT_FAIL;
    }
    if (rc == 0) {
        char why[200];
        o.source = cli_http_url(h);
        if (cli_lb_haproxy_config(stdout, channels, servers, &o, why, sizeof why) < 0) {
            fprintf(stderr, "wsx: %s\n", why);
            rc = CLI_EXIT_FAIL;
        }
    }
    json_decref(channels);
    json_decref(resp);
    cli_http_close(h);
    return cli_cmd_finish(rc);
}

int cli_lb_main(int argc, char **argv)
{
    if (argc < 2)
        return cli_cmd_usage_error("wsx lb", "missing command: haproxy-config");
    const char *sub = argv[1];
    if (cli_cmd_is_help(sub)) {
        fputs(usage_lb, stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(sub, "haproxy-config"))
        return cmd_config(argc - 1, argv + 1);
    return cli_cmd_unknown("wsx lb", "haproxy-config", sub);
}
