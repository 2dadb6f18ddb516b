/* metrics.c - per-worker and per-channel counters, and their rendering in the
 * Prometheus text exposition format 0.0.4. Workers only store to their own
 * slots; the control thread creates the channel blocks, sums the slots and
 * renders them, so no lock is taken anywhere on the data path. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "metrics/metrics.h"
#include "net/limits.h"
#include "net/worker.h"

struct mx_block {
    int64_t id;
    char name[801];
    char service[256];
    uint64_t queued; /* scrape-time sum of the workers' write queues */
    uint64_t upgraded; /* atomic: connections holding one of max_connections */
    mx_block_t *next;
    mx_chan_t slot[]; /* one per worker */
};

/* Upper bounds of the latency buckets, in ns (the last bucket is +Inf). */
static const uint64_t lat_bounds_ns[MX_LAT_BUCKETS] = {
    10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000,
    100000000, 1000000000};
static const char *const lat_bounds_txt[MX_LAT_BUCKETS] = {
    "1e-05", "2.5e-05", "5e-05", "0.0001", "0.00025", "0.0005",
    "0.001", "0.0025", "0.005", "0.01", "0.1", "1"};

static const char *const hs_reason[MX_HS_N] = {"not_found",    "bad_version", "bad_request",
                                               "unauthorized", "too_large",   "busy",
                                               "timeout",      "tls"};
static const char *const ref_reason[MX_REF_N] = {"fd_limit",        "no_memory",     "server_limit",
                                                 "peer_handshakes", "channel_limit", "memory"};

static mx_worker_t *g_workers;
static int g_n;
static mx_block_t *g_blocks;
static uint64_t g_odb_errors;
static __thread mx_chan_t t_dummy_chan;     /* slots for threads that are no worker */
static __thread mx_worker_t *t_dummy_worker; /* (unit tests), lazily allocated */

int metrics_open_take(mx_block_t *b, uint32_t max)
{
    if (!b)
        return 1;
    uint64_t n = __atomic_add_fetch(&b->upgraded, 1, __ATOMIC_RELAXED);
    if (max && n > max) {
        __atomic_sub_fetch(&b->upgraded, 1, __ATOMIC_RELAXED);
        return 0;
    }
    return 1;
}

void metrics_open_release(mx_block_t *b)
{
    if (b)
        __atomic_sub_fetch(&b->upgraded, 1, __ATOMIC_RELAXED);
}

int metrics_init(int nworkers)
{
    g_workers = aligned_alloc(64, sizeof *g_workers * (size_t)(nworkers > 0 ? nworkers : 1));
    if (!g_workers)
        return WSX_ENOMEM;
    memset(g_workers, 0, sizeof *g_workers * (size_t)(nworkers > 0 ? nworkers : 1));
    g_n = nworkers;
    return 0;
}

void metrics_free(void)
{
    while (g_blocks) {
        mx_block_t *next = g_blocks->next;
        free(g_blocks);
        g_blocks = next;
    }
    free(g_workers);
    g_workers = NULL;
    g_n = 0;
}

mx_block_t *metrics_channel(int64_t id, const char *name, const char *service)
{
    mx_block_t *b;
    for (b = g_blocks; b; b = b->next)
        if (b->id == id)
            break;
    if (!b) {
        size_t size = sizeof *b + sizeof(mx_chan_t) * (size_t)(g_n > 0 ? g_n : 1);
        size = (size + 63) & ~(size_t)63;
        if (!(b = aligned_alloc(64, size)))
            return NULL;
        memset(b, 0, size);
        b->id = id;
        b->next = g_blocks;
        g_blocks = b;
    }
    snprintf(b->name, sizeof b->name, "%s", name);
    snprintf(b->service, sizeof b->service, "%s", service ? service : "");
    return b;
}

mx_chan_t *metrics_slot(mx_block_t *b, int worker)
{
    if (!b || worker < 0 || worker >= g_n)
        return &t_dummy_chan;
    return &b->slot[worker];
}

mx_worker_t *metrics_worker(int worker)
{
    if (worker >= 0 && worker < g_n)
        return &g_workers[worker];
    if (!t_dummy_worker) {
        static mx_worker_t shared; /* only if even this allocation fails */
        t_dummy_worker = calloc(1, sizeof *t_dummy_worker);
        if (!t_dummy_worker)
            t_dummy_worker = &shared;
    }
    return t_dummy_worker;
}

void metrics_odb_error(void)
{
    __atomic_fetch_add(&g_odb_errors, 1, __ATOMIC_RELAXED);
}

void metrics_latency(mx_chan_t *s, uint64_t ns)
{
    int i = 0;
    while (i < MX_LAT_BUCKETS && ns > lat_bounds_ns[i])
        i++;
    MX_ADD(s->lat[i], 1);
    MX_ADD(s->lat_sum_ns, ns);
    MX_ADD(s->lat_count, 1);
}

void metrics_add_queued(mx_block_t *b, uint64_t n)
{
    if (b)
        __atomic_fetch_add(&b->queued, n, __ATOMIC_RELAXED);
}

/* ---- rendering ---- */

typedef struct sbuf {
    char *p;
    size_t len, cap;
    int oom;
} sbuf_t;

__attribute__((format(printf, 2, 3))) static void put(sbuf_t *s, const char *fmt, ...)
{
    if (s->oom)
        return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(s->p + s->len, s->cap - s->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            s->oom = 1;
            return;
        }
        if ((size_t)n < s->cap - s->len) {
            s->len += (size_t)n;
            return;
        }
        size_t cap = s->cap * 2 + (size_t)n + 1;
        char *np = realloc(s->p, cap);
        if (!np) {
            s->oom = 1;
            return;
        }
        s->p = np;
        s->cap = cap;
    }
}

/* A label value: backslash, double quote and newline escaped (format 0.0.4). */
static void put_label(sbuf_t *s, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\')
            put(s, "\\\\");
        else if (*v == '"')
            put(s, "\\\"");
        else if (*v == '\n')
            put(s, "\\n");
        else
            put(s, "%c", *v);
    }
}

static void family(sbuf_t *s, const char *name, const char *type, const char *help)
{
    put(s, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t ld(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* The sum over workers of the field at byte offset off of each channel slot. */
static uint64_t chan_sum(const mx_block_t *b, size_t off)
{
    uint64_t t = 0;
    for (int w = 0; w < g_n; w++)
        t += ld((const uint64_t *)((const char *)&b->slot[w] + off));
    return t;
}

static void chan_family(sbuf_t *s, const char *name, const char *type, const char *help,
                        size_t off)
{
    family(s, name, type, help);
    for (const mx_block_t *b = g_blocks; b; b = b->next) {
        put(s, "%s{channel=\"", name);
        put_label(s, b->name);
        if (off == offsetof(mx_chan_t, open))
            put(s, "\"} %lld\n", (long long)(int64_t)chan_sum(b, off));
        else
            put(s, "\"} %llu\n", (unsigned long long)chan_sum(b, off));
    }
}

static void queue_walk(void);

int metrics_render(char **out, size_t *len)
{
    sbuf_t s = {0};
    s.cap = 4096;
    if (!(s.p = malloc(s.cap)))
        return WSX_ENOMEM;
    s.p[0] = 0;
    queue_walk();

    chan_family(&s, "wsx_connections_open", "gauge", "WebSocket connections open now.",
                offsetof(mx_chan_t, open));
    chan_family(&s, "wsx_connections_accepted_total", "counter", "TCP connections accepted.",
                offsetof(mx_chan_t, accepted));
    chan_family(&s, "wsx_messages_received_total", "counter",
                "WebSocket data messages received from clients.", offsetof(mx_chan_t, msgs_in));
    chan_family(&s, "wsx_received_bytes_total", "counter",
                "Payload bytes of the data messages received.", offsetof(mx_chan_t, bytes_in));
    chan_family(&s, "wsx_messages_sent_total", "counter",
                "WebSocket data messages sent to clients.", offsetof(mx_chan_t, msgs_out));
    chan_family(&s, "wsx_sent_bytes_total", "counter", "Payload bytes of the data messages sent.",
                offsetof(mx_chan_t, bytes_out));

    family(&s, "wsx_write_queue_bytes", "gauge",
           "Bytes queued for writing that the kernel has not taken yet.");
    for (const mx_block_t *b = g_blocks; b; b = b->next) {
        put(&s, "wsx_write_queue_bytes{channel=\"");
        put_label(&s, b->name);
        put(&s, "\"} %llu\n", (unsigned long long)ld(&b->queued));
    }

    chan_family(&s, "wsx_messages_dropped_total", "counter",
                "Data messages to slow consumers dropped (slow_consumer_policy drop).",
                offsetof(mx_chan_t, dropped));
    family(&s, "wsx_connections_refused_total", "counter",
           "Connections refused, by reason: closed at accept (fd_limit, no_memory, "
           "server_limit, peer_handshakes) or answered 503 before the upgrade "
           "(channel_limit, memory).");
    for (int r = 0; r < MX_REF_N; r++) {
        uint64_t t = 0;
        for (int w = 0; w < g_n; w++)
            t += ld(&g_workers[w].refused[r]);
        put(&s, "wsx_connections_refused_total{reason=\"%s\"} %llu\n", ref_reason[r],
            (unsigned long long)t);
    }
    family(&s, "wsx_handshake_failures_total", "counter",
           "WebSocket upgrade requests not answered with 101, by reason.");
    for (int r = 0; r < MX_HS_N; r++) {
        uint64_t t = 0;
        for (int w = 0; w < g_n; w++)
            t += ld(&g_workers[w].hs_fail[r]);
        put(&s, "wsx_handshake_failures_total{reason=\"%s\"} %llu\n", hs_reason[r],
            (unsigned long long)t);
    }
    family(&s, "wsx_closes_total", "counter",
           "WebSocket connections ended, by close code (1006: no close frame; "
           "0: a code outside 1000-4999).");
    for (int code = 0; code < 5000; code++) {
        uint64_t t = 0;
        for (int w = 0; w < g_n; w++)
            t += ld(&g_workers[w].closes[code]);
        if (t)
            put(&s, "wsx_closes_total{code=\"%d\"} %llu\n", code, (unsigned long long)t);
    }

    family(&s, "wsx_service_duration_seconds", "histogram",
           "Time spent in a channel's service per message (one call in 16 is timed).");
    for (const mx_block_t *b = g_blocks; b; b = b->next) {
        uint64_t cum = 0;
        for (int i = 0; i <= MX_LAT_BUCKETS; i++) {
            cum += chan_sum(b, offsetof(mx_chan_t, lat) + sizeof(uint64_t) * (size_t)i);
            put(&s, "wsx_service_duration_seconds_bucket{channel=\"");
            put_label(&s, b->name);
            put(&s, "\",service=\"");
            put_label(&s, b->service);
            put(&s, "\",le=\"%s\"} %llu\n", i < MX_LAT_BUCKETS ? lat_bounds_txt[i] : "+Inf",
                (unsigned long long)cum);
        }
        /* the count is the +Inf bucket, so the two agree within one scrape */
        uint64_t sum = chan_sum(b, offsetof(mx_chan_t, lat_sum_ns));
        put(&s, "wsx_service_duration_seconds_sum{channel=\"");
        put_label(&s, b->name);
        put(&s, "\",service=\"");
        put_label(&s, b->service);
        put(&s, "\"} %.9f\n", (double)sum / 1e9);
        put(&s, "wsx_service_duration_seconds_count{channel=\"");
        put_label(&s, b->name);
        put(&s, "\",service=\"");
        put_label(&s, b->service);
        put(&s, "\"} %llu\n", (unsigned long long)cum);
    }

    family(&s, "wsx_resident_memory_bytes", "gauge",
           "The server's resident memory (what --max-memory is compared with).");
    put(&s, "wsx_resident_memory_bytes %llu\n", (unsigned long long)limits_rss_now());
    family(&s, "wsx_memory_budget_bytes", "gauge",
           "--max-memory: above it upgrades get 503 (0: no budget).");
    put(&s, "wsx_memory_budget_bytes %llu\n", (unsigned long long)limits_max_memory());
    family(&s, "wsx_odb_errors_total", "counter", "Operational database calls that failed.");
    put(&s, "wsx_odb_errors_total %llu\n", (unsigned long long)ld(&g_odb_errors));

    if (s.oom) {
        free(s.p);
        return WSX_ENOMEM;
    }
    *out = s.p;
    *len = s.len;
    return 0;
}

/* Ask the workers to add up their write queues into each block's `queued`. */
static void queue_walk(void)
{
    for (mx_block_t *b = g_blocks; b; b = b->next)
        __atomic_store_n(&b->queued, 0, __ATOMIC_RELAXED);
    if (g_n > 0)
        workers_queued();
}
