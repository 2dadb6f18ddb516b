/* metrics.h - the counters behind GET /metrics. Each worker writes only its own
 * slots (plain 64-bit fields, relaxed atomic stores, no read-modify-write shared
 * with another thread); the control thread sums the slots at scrape time with
 * relaxed loads. Per-channel counters live in a block per channel id that the
 * control thread creates on first use and keeps until exit, so a closed
 * listener's totals never vanish. Nothing here allocates on the message path. */
#ifndef WSX_METRICS_H
#define WSX_METRICS_H

#include <stddef.h>
#include <stdint.h>

/* Why an upgrade request was not answered with 101. */
enum {
    MX_HS_NOT_FOUND,     /* 404: wrong path */
    MX_HS_BAD_VERSION,   /* 400: Sec-WebSocket-Version not 13 */
    MX_HS_BAD_REQUEST,   /* 400: anything else malformed */
    MX_HS_UNAUTHORIZED,  /* 401: raw channel credentials */
    MX_HS_TOO_LARGE,     /* 431: request head too large */
    MX_HS_BUSY,          /* 503: too many logins in progress */
    MX_HS_TIMEOUT,       /* no complete request within the new-token wait */
    MX_HS_TLS,           /* wss://: the TLS handshake failed (old protocol, a client
                            refusing our certificate, not TLS at all) */
    MX_HS_N
};
/* Why a connection was refused: before any HTTP (closed at accept: out of file
 * descriptors or memory, --max-connections, --max-handshakes-per-peer), or with
 * 503 before the upgrade (the channel's max_connections, --max-memory). */
enum {
    MX_REF_FD_LIMIT,
    MX_REF_NO_MEMORY,
    MX_REF_SERVER_LIMIT,
    MX_REF_PEER_HANDSHAKES,
    MX_REF_CHANNEL_LIMIT,
    MX_REF_MEMORY,
    MX_REF_N
};

#define MX_LAT_BUCKETS 12 /* service latency, see metrics.c for the bounds */

/* One channel's counters on one worker; a cache line apart from the next. */
typedef struct mx_chan {
    int64_t open; /* WebSocket connections open now */
    uint64_t accepted, msgs_in, bytes_in, msgs_out, bytes_out;
    uint64_t lat[MX_LAT_BUCKETS + 1]; /* last: +Inf */
    uint64_t lat_sum_ns, lat_count;
    uint64_t calls; /* service calls, timed or not (see mx_call_start) */
    uint64_t dropped; /* data messages to slow consumers dropped (policy drop) */
} __attribute__((aligned(64))) mx_chan_t;

typedef struct mx_block mx_block_t;

/* Per-worker counters that are not per channel. */
typedef struct mx_worker {
    uint64_t hs_fail[MX_HS_N];
    uint64_t refused[MX_REF_N];
    uint64_t closes[5000]; /* by close code; 0: codes outside 1000..4999 */
} __attribute__((aligned(64))) mx_worker_t;

/* Single-writer increment: only the owning thread ever stores to p. */
#define MX_ADD(p, n) __atomic_store_n(&(p), __atomic_load_n(&(p), __ATOMIC_RELAXED) + (n), __ATOMIC_RELAXED)

/* A monotonic clock for service latencies (vDSO: no system call). */
#include <time.h>
static inline uint64_t mx_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One service call in MX_LAT_SAMPLE is timed (the 1st, the 17th, ...): two clock
 * reads per message cost the raw echo path about 4% of its CPU, one in 16 is lost
 * in the noise, and the histogram keeps the distribution's shape. */
#define MX_LAT_SAMPLE 16

/* Around a service call: the start time when this call is timed, else 0. */
void metrics_latency(mx_chan_t *s, uint64_t ns);
static inline uint64_t mx_call_start(mx_chan_t *s)
{
    uint64_t n = __atomic_load_n(&s->calls, __ATOMIC_RELAXED) + 1;
    __atomic_store_n(&s->calls, n, __ATOMIC_RELAXED);
    return n % MX_LAT_SAMPLE == 1 ? mx_now_ns() : 0;
}
static inline void mx_call_end(mx_chan_t *s, uint64_t t0)
{
    if (t0)
        metrics_latency(s, mx_now_ns() - t0);
}

/* Control thread, before the workers start: room for n workers. 0 or WSX_ENOMEM. */
int metrics_init(int nworkers);
void metrics_free(void);
/* Control thread: the block of channel id (created on first use), with its label
 * names set to name and service (copied). NULL only when out of memory. */
mx_block_t *metrics_channel(int64_t id, const char *name, const char *service);
/* Worker thread: its slot in block b (NULL-safe: NULL when b is NULL). */
mx_chan_t *metrics_slot(mx_block_t *b, int worker);
/* Worker thread i's own counters. */
mx_worker_t *metrics_worker(int worker);
/* Worker thread: take one of the channel's max_connections (0: no limit) for an
 * upgrade. 1 if taken (give it back with metrics_open_release), 0 if all are in
 * use. The count is the channel's, over every worker: one atomic per block. */
int metrics_open_take(mx_block_t *b, uint32_t max);
void metrics_open_release(mx_block_t *b);
/* Any thread: an ODB call failed. */
void metrics_odb_error(void);
/* Control thread: add the bytes queued for writing on a channel (a scrape-time
 * walk of each worker's connections; the workers call it). */
void metrics_add_queued(mx_block_t *b, uint64_t n);

/* Control thread: render every metric in the Prometheus text format 0.0.4
 * (malloc'd into *out, NUL-terminated). 0 or WSX_ENOMEM. */
int metrics_render(char **out, size_t *len);

#endif
