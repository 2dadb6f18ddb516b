/* server.c - the control thread: options, ODB, first admin user, workers, the
 * reconciler (on start, after every admin write, on another server's change
 * notification, and once a second so a missed change or a failed bind is picked
 * up), reconnecting to a lost ODB, the admin listener, this
 * server's row in the cluster (registered at start, a heartbeat every
 * --heartbeat-seconds) and a graceful leave on SIGTERM/SIGINT: marked left, stop
 * accepting, --drain-seconds for the clients still connected, then 1001 and exit.
 * SIGHUP reloads the TLS certificates (every wss:// channel's and the admin
 * listener's) and re-reads the ODB. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/admin_api.h"
#include "admin/admin_auth.h"
#include "channel/reconcile.h"
#include "cluster/cluster_client.h"
#include "cluster/cluster_secret.h"
#include "wsx/wsx_auth.h"
#include "wsx/wsx_conns.h"
#include "common/err.h"
#include "common/log.h"
#include "ev/ev.h"
#include "http/http_server.h"
#include "net/limits.h"
#include "net/sock.h"
#include "net/tls.h"
#include "net/worker.h"
#include "security/security.h"
#include "server/member.h"
#include "server/server.h"
#include "service/service.h"

#define RECONCILE_EVERY_MS 1000
#define ADMIN_MAX_BODY (1024 * 1024)
#define DRAIN_DEFAULT_S 5
#define DRAIN_MAX_S 3600
#define HEARTBEAT_MAX_S 3600
/* how often a drain looks whether its last client has gone */
#define DRAIN_CHECK_MS 100

typedef struct server_opts {
    const char *data;
    char odb[4200];
    const char *admin;
    char services[4200];
    char cluster_secret[4200];
    int workers;
    char name[128];
    const char *bind_host; /* NULL: each channel's own host */
    int heartbeat_s;
    int drain_s;
    int quickstart;
    const char *admin_tls_cert, *admin_tls_key; /* both or neither: HTTPS admin */
    limits_cfg_t limits; /* --max-connections, --max-memory, --max-handshakes-per-peer */
} server_opts_t;

static reconciler_t *g_rec;
static ev_timer_t g_tick, g_heartbeat, g_drain;
static ev_io_t g_odb_io; /* the ODB's change notifications (PostgreSQL) */
static odb_t *g_db;
static char g_name[128], g_admin_url[300];
static int g_heartbeat_s = MEMBER_HEARTBEAT_DEFAULT_S, g_drain_s = DRAIN_DEFAULT_S;
static admin_api_t *g_api;
static int g_leaving;          /* a signal came: left the cluster, draining */
static uint64_t g_drain_until; /* ev_now() when the drain ends */
static server_row_t g_me;      /* this server's row, as registered */
static http_server_t *g_http;  /* the admin listener */
static tls_ctx_t *g_admin_tls; /* its certificate (--admin-tls-cert/key), NULL for HTTP */
static const char *g_admin_cert, *g_admin_key;

static void usage(FILE *f, int quickstart)
{
    if (quickstart)
        fprintf(f, "usage: wsx quickstart [--data DIR] [--log-level LEVEL]\n"
                   "  Creates the admin user and the channel \"demo\" (ws://127.0.0.1:8190/demo,\n"
                   "  service demo.echo, json) if missing, then runs the server.\n"
                   "  --data DIR   data directory (default ./var)\n"
                   "  --log-level LEVEL  debug, info (default), warn or error\n");
    else
        fprintf(f,
                "usage: wsx server [--data DIR] [--odb URL] [--admin HOST:PORT]\n"
                "                  [--workers N] [--name NAME] [--services-dir DIR]\n"
                "                  [--bind-host HOST] [--heartbeat-seconds S] [--drain-seconds S]\n"
                "                  [--cluster-secret-file FILE] [--log-level LEVEL]\n"
                "                  [--admin-tls-cert FILE --admin-tls-key FILE]\n"
                "                  [--max-connections N] [--max-memory BYTES]\n"
                "                  [--max-handshakes-per-peer N]\n"
                "       wsx server list [--json]   the cluster's servers and their states\n"
                "                                  (wsx server list --help)\n"
                "  --data DIR           data directory (default ./var)\n"
                "  --odb URL            the ODB: sqlite:PATH (default sqlite:DIR/wsx.db) or\n"
                "                       postgresql://USER@HOST:PORT/DB, shared by a cluster\n"
                "                       (a password through PGPASSWORD or ~/.pgpass)\n"
                "  --admin HOST:PORT    admin API listener (default 127.0.0.1:8183); the other\n"
                "                       servers and the load balancer's health checks use it\n"
                "  --workers N          worker threads (default: the number of CPUs)\n"
                "  --name NAME          this server's name in the cluster (default: hostname);\n"
                "                       unique in the cluster\n"
                "  --services-dir DIR   service plugins (*.so), loaded at start and hot-deployed\n"
                "                       when they change (default: services in the data\n"
                "                       directory; see docs/services.md)\n"
                "  --bind-host HOST     listen on HOST for every channel instead of the host of\n"
                "                       its address (same port): servers sharing a machine use\n"
                "                       distinct addresses, e.g. 127.0.0.2 and 127.0.0.3\n"
                "  --heartbeat-seconds S  how often this server records that it is alive\n"
                "                       (default 2; give a cluster's servers the same value):\n"
                "                       up within 3 intervals, missed heartbeats within 10, down\n"
                "  --drain-seconds S    on SIGTERM/SIGINT: leave the cluster, stop accepting, let\n"
                "                       connected clients work up to S seconds (default 5; 0: no\n"
                "                       wait), then close them with 1001 and exit. A second\n"
                "                       signal ends the drain at once\n"
                "  --cluster-secret-file FILE  the key the servers of a cluster sign their\n"
                "                       calls to each other with: give every server the same\n"
                "                       file (default DIR/cluster-secret, created with 32\n"
                "                       random bytes, mode 0600, when missing)\n"
                "  --admin-tls-cert FILE, --admin-tls-key FILE  serve the admin API and the web\n"
                "                       admin over HTTPS with this PEM certificate chain and\n"
                "                       key (reloaded on SIGHUP, as the wss:// channels' are)\n"
                "  --log-level LEVEL    the least severe events logged: debug, info (default),\n"
                "                       warn or error; one event per line on stderr, key=value\n"
                "                       (ts=... level=... msg=\"...\")\n"
                "  --max-connections N  TCP connections of all channels together, handshakes\n"
                "                       included (default 0: no limit); beyond, a new one is\n"
                "                       answered 503 and closed at once\n"
                "  --max-memory BYTES   memory budget (K, M or G suffix: 512M): while the\n"
                "                       server's resident size is above it, upgrades get 503;\n"
                "                       connected clients keep working (default 0: none)\n"
                "  --max-handshakes-per-peer N  TCP connections from one IP address that have\n"
                "                       not finished their upgrade; beyond, a new one is closed\n"
                "                       at once (default 256; 0: no limit)\n"
                "  SIGHUP reloads every TLS certificate and key (new connections get them, open\n"
                "  ones keep theirs) and re-reads the ODB\n");
}

static int parse_opts(int argc, char **argv, server_opts_t *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"odb", required_argument, NULL, 'o'},
        {"admin", required_argument, NULL, 'a'},
        {"workers", required_argument, NULL, 'w'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"services-dir", required_argument, NULL, 's'},
        {"cluster-secret-file", required_argument, NULL, 'c'},
        {"bind-host", required_argument, NULL, 'b'},
        {"heartbeat-seconds", required_argument, NULL, 'H'},
        {"drain-seconds", required_argument, NULL, 'D'},
        {"log-level", required_argument, NULL, 'L'},
        {"admin-tls-cert", required_argument, NULL, 'T'},
        {"admin-tls-key", required_argument, NULL, 'K'},
        {"max-connections", required_argument, NULL, 'C'},
        {"max-memory", required_argument, NULL, 'M'},
        {"max-handshakes-per-peer", required_argument, NULL, 'P'},
        {0, 0, 0, 0}};
    o->quickstart = strcmp(argv[0], "quickstart") == 0;
    o->data = "var";
    o->admin = "127.0.0.1:8183";
    o->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (o->workers < 1)
        o->workers = 1;
    if (gethostname(o->name, sizeof o->name) != 0)
        snprintf(o->name, sizeof o->name, "wsx");
    o->odb[0] = 0;
    o->services[0] = 0;
    o->cluster_secret[0] = 0;
    o->bind_host = NULL;
    o->heartbeat_s = MEMBER_HEARTBEAT_DEFAULT_S;
    o->drain_s = DRAIN_DEFAULT_S;
    o->limits = (limits_cfg_t){.max_handshakes_per_peer = LIMITS_DEFAULT_HANDSHAKES_PER_PEER};
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        if (o->quickstart && c != 'd' && c != 'h' && c != 'L')
            c = '?';
        switch (c) {
        case 'd':
            o->data = optarg;
            break;
        case 'o':
            snprintf(o->odb, sizeof o->odb, "%s", optarg);
            break;
        case 'a':
            o->admin = optarg;
            break;
        case 'w': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 256) {
                fprintf(stderr, "wsx: --workers must be an integer from 1 to 256, got '%s'\n",
                        optarg);
                return 2;
            }
            o->workers = (int)n;
            break;
        }
        case 's':
            snprintf(o->services, sizeof o->services, "%s", optarg);
            break;
        case 'b':
            if (!*optarg || strlen(optarg) >= ODB_HOST_CAP) {
                fprintf(stderr, "wsx: --bind-host needs a host name or address, got '%s'\n",
                        optarg);
                return 2;
            }
            o->bind_host = optarg;
            break;
        case 'H':
        case 'D': {
            int max = c == 'H' ? HEARTBEAT_MAX_S : DRAIN_MAX_S, min = c == 'H';
            char *end;
            long n = strtol(optarg, &end, 10);
            if (!*optarg || *end || n < min || n > max) {
                fprintf(stderr, "wsx: --%s must be an integer from %d to %d, got '%s'\n",
                        c == 'H' ? "heartbeat-seconds" : "drain-seconds", min, max, optarg);
                return 2;
            }
            *(c == 'H' ? &o->heartbeat_s : &o->drain_s) = (int)n;
            break;
        }
        case 'L': {
            int level = log_level_parse(optarg);
            if (level < 0) {
                fprintf(stderr, "wsx: --log-level must be debug, info, warn or error, got '%s'\n",
                        optarg);
                return 2;
            }
            log_set_level((log_level_t)level);
            break;
        }
        case 'C':
        case 'P': {
            char *end;
            errno = 0;
            unsigned long long n = strtoull(optarg, &end, 10);
            if (!*optarg || *end || *optarg == '-' || errno || n > 100000000) {
                fprintf(stderr,
                        "wsx: --%s must be an integer from 0 (no limit) to 100000000, got '%s'\n",
                        c == 'C' ? "max-connections" : "max-handshakes-per-peer", optarg);
                return 2;
            }
            if (c == 'C')
                o->limits.max_connections = n;
            else
                o->limits.max_handshakes_per_peer = (uint32_t)n;
            break;
        }
        case 'M':
            if (limits_parse_bytes(optarg, &o->limits.max_memory) < 0) {
                fprintf(stderr,
                        "wsx: --max-memory must be a number of bytes with an optional K, "
                        "M or G suffix (0: no budget), e.g. 512M, got '%s'\n",
                        optarg);
                return 2;
            }
            break;
        case 'n':
            snprintf(o->name, sizeof o->name, "%s", optarg);
            break;
        case 'c':
            snprintf(o->cluster_secret, sizeof o->cluster_secret, "%s", optarg);
            break;
        case 'T':
            o->admin_tls_cert = optarg;
            break;
        case 'K':
            o->admin_tls_key = optarg;
            break;
        case 'h':
            usage(stdout, o->quickstart);
            return 0;
        default:
            usage(stderr, o->quickstart);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "wsx: unexpected argument '%s'\n", argv[optind]);
        usage(stderr, o->quickstart);
        return 2;
    }
    if (!o->admin_tls_cert != !o->admin_tls_key) {
        fprintf(stderr, "wsx: --admin-tls-cert and --admin-tls-key go together: give both "
                        "(HTTPS) or neither (HTTP)\n");
        return 2;
    }
    if (!o->odb[0])
        snprintf(o->odb, sizeof o->odb, "sqlite:%s/wsx.db", o->data);
    if (!o->services[0])
        snprintf(o->services, sizeof o->services, "%s/services", o->data);
    if (!o->cluster_secret[0])
        snprintf(o->cluster_secret, sizeof o->cluster_secret, "%s/%s", o->data,
                 CLUSTER_SECRET_FILE);
    return -1;
}

/* quickstart: the channel "demo" unless it exists. */
static int ensure_demo(odb_t *db)
{
    channel_t ch;
    if (odb_channel_get_by_name(db, 1, "demo", &ch) == 0)
        return 0;
    channel_defaults(&ch);
    snprintf(ch.name, sizeof ch.name, "demo");
    snprintf(ch.address, sizeof ch.address, "ws://127.0.0.1:8190/demo");
    snprintf(ch.service, sizeof ch.service, "demo.echo");
    snprintf(ch.data_format, sizeof ch.data_format, "json");
    char conflict[CHANNEL_NAME_MAX * 4 + 1] = "";
    int rc = odb_channel_insert(db, &ch, conflict);
    if (rc == WSX_EPORTUSED) {
        log_warn("quickstart: port 8190 is already used by channel \"%s\"; not creating \"demo\"",
                 conflict);
        return 0;
    }
    if (rc == 0)
        log_info("quickstart: created channel \"demo\" on ws://127.0.0.1:8190/demo (demo.echo)");
    return rc;
}

static void on_tick(ev_loop_t *loop, ev_timer_t *t)
{
    /* a lost ODB: one attempt a second; the channels keep serving meanwhile and the
     * admin API answers 503 */
    if (!odb_connected(g_db) && odb_reconnect(g_db) < 0) {
        ev_timer_start(loop, t, RECONCILE_EVERY_MS, on_tick);
        return;
    }
    reconcile_poll(g_rec);
    ev_timer_start(loop, t, RECONCILE_EVERY_MS, on_tick);
}

/* Another server changed the configuration, or the ODB connection broke. */
static void on_odb(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    int n = odb_notifications(g_db);
    if (n > 0)
        reconcile_run(g_rec);
    else if (n < 0)
        log_warn("the ODB connection is lost (%s); reconnecting every second, the channels "
                 "keep serving",
                 odb_error(g_db));
}

/* The row's heartbeat tells the cluster this server is alive (member.h). A row
 * that went missing (a restored ODB, an operator's DELETE) is registered again. */
static void on_heartbeat(ev_loop_t *loop, ev_timer_t *t)
{
    static int failing;
    int rc = odb_server_heartbeat(g_db, g_name);
    if (rc == WSX_ENOTFOUND)
        rc = odb_server_register(g_db, &g_me);
    if (rc < 0 && !failing)
        log_warn("cannot record this server's heartbeat in the ODB: %s (the other servers "
                 "will see it as missing heartbeats, then down)",
                 wsx_strerror(rc));
    else if (rc == 0 && failing)
        log_info("this server's heartbeat is recorded again");
    failing = rc < 0;
    ev_timer_start(loop, t, (uint64_t)g_heartbeat_s * 1000, on_heartbeat);
}

/* During a drain: over when its time is up or its last client has gone. */
static void on_drain(ev_loop_t *loop, ev_timer_t *t)
{
    size_t left = workers_connections();
    if (left == 0 || ev_now(loop) >= g_drain_until) {
        if (left)
            log_info("drain over: closing %zu connection(s) with 1001", left);
        else
            log_info("drain over: no client left");
        ev_loop_stop(loop);
        return;
    }
    ev_timer_start(loop, t, DRAIN_CHECK_MS, on_drain);
}

/* The first SIGTERM/SIGINT: a graceful leave (DESIGN.md 7). The row says "left" at
 * once, so the others stop counting on this server; the listening sockets close,
 * so new clients are refused here and the load balancer sends them to another
 * server; connected clients keep working for the drain. A second signal, or a
 * drain of 0 s, stops now. */
/* SIGHUP: the certificates again, from the same files (new connections get the
 * new ones; open ones keep theirs; a failed load keeps the one in use), and the
 * ODB re-read now rather than at the next poll. */
static void reload(void)
{
    log_info("received SIGHUP: reloading the TLS certificates and the configuration");
    if (g_admin_tls) {
        char err[600];
        tls_ctx_t *ctx = tls_ctx_load(g_admin_cert, g_admin_key, err, sizeof err);
        if (!ctx) {
            log_warn("admin listener: certificate reload failed, keeping the one in use: %s", err);
        } else {
            char fp[65];
            tls_ctx_fingerprint(ctx, fp);
            http_server_set_tls(g_http, ctx);
            tls_ctx_free(g_admin_tls); /* its connections hold their own references */
            g_admin_tls = ctx;
            log_info("admin listener: certificate %s loaded (SHA-256 %s)", g_admin_cert, fp);
        }
    }
    reconcile_reload_tls(g_rec);
    if (reconcile_run(g_rec) < 0) /* the reload stays due: the next run that reads the ODB */
        log_warn("SIGHUP: the ODB did not answer; the channels' certificates are reloaded "
                 "when it does");
}

static void on_signal(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    struct signalfd_siginfo si;
    if (read(io->fd, &si, sizeof si) != sizeof si)
        return;
    if (si.ssi_signo == SIGHUP) {
        reload();
        return;
    }
    if (g_leaving) {
        log_info("received signal %u again: ending the drain now", si.ssi_signo);
        ev_loop_stop(loop);
        return;
    }
    g_leaving = 1;
    if (g_api)
        g_api->leaving = 1; /* /healthz answers 503: the load balancer takes us out */
    ev_timer_stop(loop, &g_heartbeat);
    int rc = odb_server_leave(g_db, g_name);
    if (rc < 0)
        log_warn("cannot mark this server as left in the ODB: %s (the others will see it "
                 "down once its heartbeat is old)",
                 wsx_strerror(rc));
    reconcile_stop_accepting(g_rec);
    if (g_drain_s == 0) {
        log_info("received signal %u: left the cluster, stopped accepting; shutting down",
                 si.ssi_signo);
        ev_loop_stop(loop);
        return;
    }
    log_info("received signal %u: left the cluster and stopped accepting; connected clients "
             "have %d s before 1001 (a second signal ends the wait)",
             si.ssi_signo, g_drain_s);
    g_drain_until = ev_now(loop) + (uint64_t)g_drain_s * 1000;
    ev_timer_start(loop, &g_drain, 0, on_drain);
}

static void stop_loop(ev_loop_t *loop, void *arg)
{
    ev_loop_stop(loop);
}

int server_main(int argc, char **argv)
{
    server_opts_t o;
    int rc = parse_opts(argc, argv, &o);
    if (rc >= 0)
        return rc;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (mkdir(o.data, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "wsx: cannot create the data directory %s: %s\n", o.data, strerror(errno));
        return 1;
    }
    char admin_host[256];
    uint16_t admin_port;
    if (sock_split_hostport(o.admin, admin_host, sizeof admin_host, &admin_port) < 0) {
        fprintf(stderr, "wsx: --admin must be HOST:PORT, got '%s'\n", o.admin);
        return 2;
    }
    if (admin_auth_init() < 0) {
        fprintf(stderr, "wsx: cannot initialise libsodium\n");
        return 1;
    }
    char err[512];
    /* the cluster secret (cluster_secret.h), never logged: it signs server-to-server
     * calls, and the key that seals JWT secrets is derived from it, so every server
     * of a cluster opens the definitions any of them wrote */
    static cluster_secret_t secret;
    if (cluster_secret_load(o.cluster_secret, &secret, err, sizeof err) < 0) {
        fprintf(stderr, "wsx: %s\n", err);
        return 1;
    }
    if (security_key_derive(secret.key, secret.len) < 0) {
        fprintf(stderr, "wsx: the cluster secret %s is too short to derive keys from\n",
                o.cluster_secret);
        return 1;
    }
    odb_t *db = NULL;
    char odb_shown[sizeof o.odb];
    odb_url_redact(o.odb, odb_shown, sizeof odb_shown);
    if ((rc = odb_open(o.odb, &db, err, sizeof err)) < 0) {
        fprintf(stderr, "wsx: cannot open the ODB %s: %s\n", odb_shown, err);
        return 1;
    }
    if ((rc = admin_auth_bootstrap(db, o.data)) < 0 || (o.quickstart && (rc = ensure_demo(db)) < 0)) {
        fprintf(stderr, "wsx: cannot prepare the ODB: %s\n", wsx_strerror(rc));
        odb_close(db);
        return 1;
    }
    char *admin_url = g_admin_url;
    if (o.admin_tls_cert) {
        char terr[600];
        g_admin_cert = o.admin_tls_cert;
        g_admin_key = o.admin_tls_key;
        if (!(g_admin_tls = tls_ctx_load(g_admin_cert, g_admin_key, terr, sizeof terr))) {
            fprintf(stderr, "wsx: cannot serve the admin API over HTTPS: %s\n", terr);
            odb_close(db);
            return 1;
        }
    }
    snprintf(g_admin_url, sizeof g_admin_url, "%s://%s", g_admin_tls ? "https" : "http", o.admin);
    snprintf(g_name, sizeof g_name, "%s", o.name);
    g_db = db;
    g_heartbeat_s = o.heartbeat_s;
    g_drain_s = o.drain_s;
    memset(&g_me, 0, sizeof g_me);
    snprintf(g_me.name, sizeof g_me.name, "%s", o.name);
    snprintf(g_me.admin_address, sizeof g_me.admin_address, "%s", admin_url);
    snprintf(g_me.bind_host, sizeof g_me.bind_host, "%s", o.bind_host ? o.bind_host : "");
    isotime_now(g_me.started_at);
    if ((rc = odb_server_register(db, &g_me)) < 0) {
        fprintf(stderr, "wsx: cannot register this server (\"%s\") in the ODB: %s\n", o.name,
                wsx_strerror(rc));
        odb_close(db);
        return 1;
    }

    /* SIGINT/SIGTERM arrive through a signalfd; block them before any thread */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int afd = sock_listen(admin_host, admin_port, 0, err, sizeof err);
    if (afd < 0) {
        fprintf(stderr, "wsx: cannot listen on %s for the admin API: %s\n", o.admin, err);
        odb_close(db);
        return 1;
    }
    /* plugins before the workers and the channels, so a channel's first message
     * finds its service */
    ev_loop_t *loop = ev_loop_new();
    if (!loop || service_registry_init() < 0) {
        fprintf(stderr, "wsx: out of memory\n");
        return 1;
    }
    if (service_registry_start(loop, o.services) < 0) {
        fprintf(stderr, "wsx: cannot watch the services directory %s (see the log above)\n",
                o.services);
        return 1;
    }
    wsx_conns_init(o.name);
    if (limits_start(&o.limits) < 0) {
        fprintf(stderr, "wsx: cannot start the memory sampler\n");
        return 1;
    }
    if (o.limits.max_memory && limits_rss() > o.limits.max_memory)
        log_warn("the server's resident size (%llu bytes) is already above --max-memory "
                 "(%llu bytes): WebSocket upgrades get 503 until it is below",
                 (unsigned long long)limits_rss(), (unsigned long long)o.limits.max_memory);
    if (wsx_auth_start() < 0 || workers_start(o.workers) < 0) {
        fprintf(stderr, "wsx: cannot start the workers\n");
        return 1;
    }
    g_rec = reconcile_new(db, o.name);
    if (!g_rec) {
        fprintf(stderr, "wsx: out of memory\n");
        return 1;
    }
    reconcile_set_bind_host(g_rec, o.bind_host);
    reconcile_run(g_rec);
    admin_api_t api = {.db = db, .rec = g_rec, .loop = loop, .server_name = g_name,
                       .admin_url = g_admin_url, .sessions = admin_sessions_new(),
                       .ratelimit = admin_ratelimit_new(), .heartbeat_s = o.heartbeat_s,
                       .cluster_secret = &secret,
                       .cluster = cluster_client_new(loop, &secret, g_name),
                       .tls = g_admin_tls != NULL};
    memcpy(api.started_at, g_me.started_at, sizeof api.started_at - 1); /* ISOTIME_LEN */
    g_api = &api;
    if (!api.sessions || !api.ratelimit || !api.cluster) {
        fprintf(stderr, "wsx: out of memory\n");
        return 1;
    }
    http_server_t *http = http_server_new(loop, afd, ADMIN_MAX_BODY, admin_api_handle, &api);
    g_http = http;
    if (http && g_admin_tls)
        http_server_set_tls(http, g_admin_tls);
    int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    ev_io_t sig_io;
    if (!http || sfd < 0 || ev_io_start(loop, &sig_io, sfd, EV_READ, on_signal) < 0) {
        fprintf(stderr, "wsx: cannot start the admin listener\n");
        return 1;
    }
    ev_timer_start(loop, &g_tick, RECONCILE_EVERY_MS, on_tick);
    int lfd = odb_listen_fd(db);
    if (lfd >= 0 && ev_io_start(loop, &g_odb_io, lfd, EV_READ, on_odb) < 0) {
        fprintf(stderr, "wsx: cannot watch the ODB for changes\n");
        return 1;
    }
    ev_timer_start(loop, &g_heartbeat, (uint64_t)o.heartbeat_s * 1000, on_heartbeat);
    log_info("wsx server \"%s\": %d worker(s), admin API on %s, ODB %s%s%s", o.name, o.workers,
             admin_url, odb_shown, o.bind_host ? ", channels bound on " : "",
             o.bind_host ? o.bind_host : "");
    printf("wsx: ready, admin API on %s\n", admin_url);

    ev_loop_run(loop);

    http_server_free(http);
    g_http = NULL;
    tls_ctx_free(g_admin_tls);
    g_admin_tls = NULL;
    /* calls to other servers still out are answered "stopping" by the last loop run */
    cluster_client_free(api.cluster);
    admin_sessions_free(api.sessions);
    admin_ratelimit_free(api.ratelimit);
    g_api = NULL;
    reconcile_close_all(g_rec);
    workers_stop();
    wsx_auth_stop();  /* its last answers land in the stopped workers' queues */
    workers_free();   /* which run them here, releasing the connections they held */
    limits_stop();
    service_registry_stop(); /* no worker runs a plugin any more */
    ev_timer_stop(loop, &g_tick);
    if (lfd >= 0)
        ev_io_stop(loop, &g_odb_io);
    ev_timer_stop(loop, &g_heartbeat);
    ev_timer_stop(loop, &g_drain);
    ev_io_stop(loop, &sig_io);
    close(sfd);
    /* closing their sessions, the workers posted answers to this loop (an admin invoke's
     * "closed"): run them before freeing it, so no caller waits and nothing leaks */
    if (ev_post(loop, stop_loop, NULL) == 0)
        ev_loop_run(loop);
    ev_loop_free(loop);
    reconcile_free(g_rec);
    odb_close(db);
    cluster_secret_wipe(&secret);
    log_info("stopped");
    return 0;
}
