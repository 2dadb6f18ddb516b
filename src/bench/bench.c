/* bench.c - `wsx bench`, a WebSocket load generator like redis-benchmark: one
 * thread, one event loop (src/ev), the project's own frame codec, HTTP parser and
 * handshake helper. Three modes: echo (messages/s and round-trip latency), --hold
 * (many idle connections: upgrade rate and server memory per connection) and
 * --churn (connect, upgrade, close, again: handshakes/s). --server-pid adds the
 * server's CPU time and RSS over the measured window. --wsx speaks the session
 * protocol of a json channel on top of any mode (bench_wsx.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h> /* isfinite, NAN: macros, no libm */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench/bench.h"
#include "bench/bench_deflate.h"
#include "bench/bench_wsx.h"
#include "common/isotime.h"
#include "common/err.h"
#include "ev/ev.h"
#include "http/http_parse.h"
#include "net/tls.h"
#include "ws/ws_frame.h"
#include "ws/ws_handshake.h"

#define MAX_HEADERS 32
#define MAX_SIZE (16u << 20) /* -s limit: every connection keeps two copies */
#define MAX_PIPELINE 4096
#define VARIANTS 64        /* message k carries payload window k % VARIANTS */
#define CONNECT_WINDOW 256 /* connects + handshakes in progress at once */
#define HANDSHAKE_TIMEOUT_MS 10000
#define CLOSE_TIMEOUT_MS 2000         /* for the server's close frame and its FIN */
#define CLOSE_PHASE_MS 3000           /* for all connections at the end, plus: */
#define CLOSE_PHASE_PER_CONN_US 500   /* a slow server closes 10,000 in 8 s, not 3 */
#define SETTLE_MS 1000                /* --hold: idle time before reading the RSS */
#define STALL_NS (10ull * 1000000000) /* no echo at all for this long: give up */
#define TICK_MS 50
#define MAX_SOURCES 256               /* --source-addrs */
#define MAX_CLOSE_CODES 16            /* distinct close codes counted */
#define WSX_LOGIN_MAX 160             /* a create-session message */
#define DEFLATE_MSG 1024              /* --deflate: the text each held connection sends */

/* ---- options -------------------------------------------------------------- */

enum { MODE_ECHO, MODE_HOLD, MODE_CHURN };

typedef struct opts {
    const char *url;
    char host[256]; /* for getaddrinfo, without brackets */
    char port[8];
    char authority[300]; /* the Host header: as written in the URL */
    char path[2048];
    int mode;
    int conns;
    size_t size;
    int pipeline;
    double duration;
    uint64_t count; /* 0: run for `duration` */
    int binary;
    double warmup;
    const char *headers[MAX_HEADERS];
    int nheaders;
    int json;
    int server_pid; /* 0: none */
    int wsx;        /* speak the WSX session protocol (a json channel) */
    int tls;        /* wss:// */
    const char *cacert; /* --cacert: verify the server against these CAs */
    const char *source_addrs;
    const char *deflate; /* --hold: offer this, send one compressed message; NULL: none */
} opts_t;

/* ---- a log-linear latency histogram: fixed size, no allocation per sample --- */

/* Values below 128 are exact; above, each power of two has 64 buckets, so a
 * bucket is at most 1/64 (1.6%) wide relative to its value. Nanoseconds. */
#define HIST_BUCKETS (64 * 58 + 64)

typedef struct hist {
    uint64_t count, max;
    uint64_t n[HIST_BUCKETS];
} hist_t;

static unsigned hist_index(uint64_t v)
{
    if (v < 128)
        return (unsigned)v;
    unsigned e = 63 - (unsigned)__builtin_clzll(v); /* >= 7 */
    return (e - 5) * 64 + (unsigned)(v >> (e - 6)) - 64;
}

/* The middle of bucket i. */
static double hist_value(unsigned i)
{
    if (i < 128)
        return i;
    unsigned e = i / 64 + 5;
    uint64_t lo = (uint64_t)(i % 64 + 64) << (e - 6);
    return (double)lo + (double)(1ull << (e - 6)) / 2;
}

static void hist_add(hist_t *h, uint64_t v)
{
    h->n[hist_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

/* The value at quantile q (0..1), never above the recorded maximum. */
static double hist_quantile(const hist_t *h, double q)
{
    if (!h->count)
        return 0;
    double r = q * (double)h->count;
    uint64_t rank = (uint64_t)r;
    if ((double)rank < r)
        rank++; /* the ceiling, without libm */
    if (rank < 1)
        rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->n[i];
        if (seen >= rank) {
            double v = hist_value(i);
            return v > (double)h->max ? (double)h->max : v;
        }
    }
    return (double)h->max;
}

/* ---- the server's CPU time and memory, from /proc ---------------------------- */

typedef struct proc_sample {
    int ok;
    double cpu_s; /* utime + stime, all threads */
    long rss_kb;  /* VmRSS */
} proc_sample_t;

static proc_sample_t proc_read(int pid)
{
    proc_sample_t s = {0};
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return s;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* The command name may hold spaces and parentheses: fields restart after the
     * last ')'. The next one is field 3 (state); utime and stime are 14 and 15. */
    char *p = strrchr(buf, ')');
    if (!p)
        return s;
    unsigned long long ut = 0, st = 0;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
        return s;
    s.cpu_s = (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);

    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    if (!f)
        return s;
    s.rss_kb = -1;
    while (fgets(buf, sizeof buf, f))
        if (sscanf(buf, "VmRSS: %ld kB", &s.rss_kb) == 1)
            break;
    fclose(f);
    s.ok = 1;
    return s;
}

static double client_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- the run ----------------------------------------------------------------- */

enum {
    ERR_CONNECT,
    ERR_HANDSHAKE,
    ERR_LOGIN,
    ERR_CLOSED,
    ERR_BAD_ECHO,
    ERR_PROTOCOL,
    ERR_TIMEOUT,
    ERR_N
};
static const char *const err_names[ERR_N] = {"connect",  "handshake", "login",  "closed",
                                             "bad_echo", "protocol",  "timeout"};

enum { PH_CONNECT, PH_SETTLE, PH_WARMUP, PH_MEASURE, PH_DRAIN, PH_CLOSE };

/* C_LOGIN (--wsx): upgraded, create-session sent, waiting for the token. Until
 * C_OPEN a connection counts as connecting. */
enum { C_IDLE, C_CONNECTING, C_HANDSHAKE, C_LOGIN, C_OPEN, C_CLOSING, C_DONE };

typedef struct bench bench_t;

typedef struct conn {
    ev_io_t io;
    ev_timer_t timer; /* handshake or close timeout; churn's retry pause */
    ev_defer_t defer; /* churn: reconnect after the iteration that closed us */
    bench_t *b;
    int state;
    int settled;    /* counted in b->settled (opened once, or failed first) */
    int got_close;  /* the server's close frame arrived */
    int sent_close; /* ours went out */
    uint8_t mask[4];
    uint8_t hdr[WS_FRAME_MAX_HEADER]; /* the header of every data frame we send */
    size_t hdr_len;
    char accept[29]; /* the Sec-WebSocket-Accept we expect */
    uint64_t t_start;

    uint8_t *rbuf;
    size_t rlen, hs_prev;
    uint8_t *wbuf;
    size_t wlen, woff;

    uint8_t *masked; /* the payload pool (--wsx: the invoke message), masked with our
                        key (echo mode) */
    uint8_t *tmpl;   /* --wsx echo: the invoke message in clear, to check replies */
    uint32_t logins; /* --wsx: create-sessions sent, for unique ids */
    uint64_t *ring;  /* send times of the messages in flight, oldest first */
    unsigned rhead, inflight;
    uint64_t sent, recvd; /* message sequence numbers */
    int in_msg;           /* inside a fragmented echo */
    int msg_bad;          /* it differs from what was sent */
    size_t msg_off;       /* bytes of it received so far */
    tls_t *tls;           /* wss://: the connection's TLS session */
    int tls_want_write;   /* a TLS read waits for the socket to be writable */
} conn_t;

struct bench {
    opts_t *o;
    ev_loop_t *loop;
    tls_ctx_t *tls; /* wss:// */
    struct sockaddr_storage addr;
    socklen_t addrlen;
    conn_t *conns;
    int phase;
    int exit_code;
    ev_timer_t tick;
    ev_defer_t pump;

    uint8_t *plain; /* the payload pool in clear: size + 4 * VARIANTS bytes */
    size_t msg_size; /* of every data frame: o->size, or --wsx the invoke message */

    /* --wsx */
    char ts[ISOTIME_LEN + 1]; /* meta.timestamp of every message: the run's start */
    char *text;               /* data.text: o->size letters and digits */
    bench_wsx_layout_t lay;   /* of every connection's invoke message */
    uint64_t pings, pongs;
    uint8_t *zmsg; /* --deflate: the compressed message, in clear */
    size_t zmsg_len;
    uint64_t zechoes; /* --deflate: its echoes received */
    struct {
        uint16_t code;
        uint64_t n;
    } closes[MAX_CLOSE_CODES]; /* close frames the server sent first, by code */
    uint64_t closes_other;     /* past MAX_CLOSE_CODES distinct codes */

    struct sockaddr_storage src[MAX_SOURCES]; /* --source-addrs */
    socklen_t srclen[MAX_SOURCES];
    int nsrc;

    char *request;  /* the upgrade request, with "KEY-GOES-HERE-0123456789" to patch */
    size_t request_len, key_off;
    size_t rcap, wcap;
    uint64_t rng;

    int next_start; /* initial connects not yet started */
    int connecting; /* in C_CONNECTING, C_HANDSHAKE or C_LOGIN */
    int settled;    /* connections that opened once or failed before that */
    int live;       /* connections with an open fd */

    /* counters since the start; the window's figures are differences */
    uint64_t upgrades, msgs, msgs_sent;
    uint64_t errors[ERR_N];
    char first_error[200];

    uint64_t t_first_connect, t_connected, t_phase_end, t_measure, t_end, last_progress;
    uint64_t msgs_at_measure, msgs_sent_at_measure, upgrades_at_measure;
    uint64_t msgs_window, upgrades_window;
    double client_cpu0, client_cpu1;
    proc_sample_t srv_start, srv_end;       /* the measured window */
    proc_sample_t srv_before, srv_upgraded; /* --hold: before connecting, all upgraded */
    proc_sample_t srv_settled;              /* --hold: 1 s after */
    int stalled;
    hist_t hist; /* round trips (echo) or handshakes (churn), in the window */
};

static void conn_start(bench_t *b, conn_t *c);
static void conn_finish(conn_t *c);
static void conn_send_close(conn_t *c, uint16_t code, uint64_t timeout_ms);
static void pump_cb(ev_loop_t *loop, ev_defer_t *d);
static void end_measure(bench_t *b, uint64_t now);

static uint64_t rng_next(bench_t *b)
{
    /* xorshift64*: keys and masks need to be unpredictable to proxies, not to
     * attackers; seeded from getrandom. */
    b->rng ^= b->rng >> 12;
    b->rng ^= b->rng << 25;
    b->rng ^= b->rng >> 27;
    return b->rng * 0x2545F4914F6CDD1Dull;
}

static void note_error(bench_t *b, int kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void note_error(bench_t *b, int kind, const char *fmt, ...)
{
    b->errors[kind]++;
    if (b->first_error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->first_error, sizeof b->first_error, fmt, ap);
    va_end(ap);
}

static int measuring(const bench_t *b)
{
    return b->phase == PH_MEASURE;
}

static int may_send(const bench_t *b)
{
    if (b->phase > PH_MEASURE || b->phase == PH_SETTLE)
        return 0;
    if (b->o->count && b->phase == PH_MEASURE &&
        b->msgs_sent - b->msgs_sent_at_measure >= b->o->count)
        return 0;
    return 1;
}

static void pump_later(bench_t *b)
{
    if (b->next_start < b->o->conns)
        ev_defer(b->loop, &b->pump, pump_cb);
}

/* A connection leaves C_CONNECTING/C_HANDSHAKE/C_LOGIN, opened or failed. */
static void conn_left_handshake(conn_t *c, int opened)
{
    bench_t *b = c->b;
    b->connecting--;
    if (!c->settled) {
        c->settled = 1;
        b->settled++;
    }
    if (opened)
        b->upgrades++;
    if (b->phase == PH_CONNECT && b->settled == b->o->conns) {
        /* the last one: the end of the upgrade phase, to the nanosecond */
        b->t_connected = now_ns();
        if (b->o->mode == MODE_HOLD && b->o->server_pid)
            b->srv_upgraded = proc_read(b->o->server_pid);
    }
    pump_later(b);
}

/* ---- writing -------------------------------------------------------------------- */

/* send()/recv() or, for wss://, the TLS session's equivalents with their
 * conventions (-1 and errno EAGAIN: wait for the socket). */
static ssize_t conn_send(conn_t *c, const void *p, size_t n)
{
    if (!c->tls)
        return send(c->io.fd, p, n, MSG_NOSIGNAL);
    uint32_t want = 0;
    ssize_t r = tls_write(c->tls, p, n, &want);
    if (r >= 0)
        return r;
    if (r != WSX_EAGAIN && !c->b->first_error[0]) /* the caller counts it */
        snprintf(c->b->first_error, sizeof c->b->first_error, "TLS: %s", tls_last_error());
    errno = r == WSX_EAGAIN ? EAGAIN : EPIPE;
    return -1;
}

static ssize_t conn_recv(conn_t *c, void *p, size_t n)
{
    if (!c->tls)
        return recv(c->io.fd, p, n, 0);
    uint32_t want = 0;
    ssize_t r = tls_read(c->tls, p, n, &want);
    c->tls_want_write = r == WSX_EAGAIN && want == EV_WRITE;
    if (r >= 0)
        return r;
    if (r != WSX_EAGAIN && !c->b->first_error[0]) /* the caller counts it */
        snprintf(c->b->first_error, sizeof c->b->first_error, "TLS: %s", tls_last_error());
    errno = r == WSX_EAGAIN ? EAGAIN : ECONNRESET;
    return -1;
}

/* Write what is queued. Returns 0, or -1 when the connection was finished. */
static int conn_flush(conn_t *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = conn_send(c, c->wbuf + c->woff, c->wlen - c->woff);
        if (n > 0) {
            c->woff += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            ev_io_set(c->b->loop, &c->io, EV_READ | EV_WRITE);
            return 0;
        }
        if (c->state != C_CLOSING)
            note_error(c->b, ERR_CLOSED, "send: %s", strerror(errno));
        conn_finish(c);
        return -1;
    }
    c->woff = c->wlen = 0;
    ev_io_set(c->b->loop, &c->io, EV_READ);
    return 0;
}

/* Room for n more bytes at the end of the write buffer, compacting it. */
static uint8_t *wspace(conn_t *c, size_t n)
{
    if (c->woff) {
        memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
        c->wlen -= c->woff;
        c->woff = 0;
    }
    if (c->wlen + n > c->b->wcap)
        return NULL;
    uint8_t *p = c->wbuf + c->wlen;
    c->wlen += n;
    return p;
}

/* Queue a frame with a masked payload: a control frame (close, pong) of n <= 125
 * bytes, or --wsx's create-session. Returns 0, or -1 when the write buffer is
 * full (it is sized for the request plus two control frames and a login). */
static int queue_frame(conn_t *c, int opcode, const uint8_t *payload, size_t n)
{
    uint8_t hdr[WS_FRAME_MAX_HEADER];
    size_t hl = ws_frame_encode_header(hdr, 1, opcode, n, c->mask);
    uint8_t *p = wspace(c, hl + n);
    if (!p)
        return -1;
    memcpy(p, hdr, hl);
    memcpy(p + hl, payload, n);
    ws_frame_unmask(p + hl, n, c->mask, 0); /* masking is the same XOR */
    return 0;
}

static void queue_control(conn_t *c, int opcode, const uint8_t *payload, size_t n)
{
    if (queue_frame(c, opcode, payload, n) < 0)
        note_error(c->b, ERR_PROTOCOL, "%s",
                   opcode == WS_OP_PONG ? "no room to queue a pong (the server is not reading)"
                                        : "no room to queue a close frame");
}

/* Fill the pipeline: send as many messages as are allowed in flight. `now` is
 * their send time. Pre-masked payloads make a message one memcpy. */
static void queue_messages(conn_t *c, uint64_t now)
{
    bench_t *b = c->b;
    size_t size = b->msg_size;
    while (c->inflight < (unsigned)b->o->pipeline && may_send(b)) {
        uint8_t *p = wspace(c, c->hdr_len + size);
        if (!p)
            return;
        memcpy(p, c->hdr, c->hdr_len);
        if (b->o->wsx) {
            /* one message, its sequence number patched in (masked) */
            memcpy(p + c->hdr_len, c->masked, size);
            bench_wsx_set_seq(p + c->hdr_len, &b->lay, c->sent, c->mask);
        } else {
            /* Windows start at multiples of 4, so the key lines up with the pool's. */
            memcpy(p + c->hdr_len, c->masked + 4 * (c->sent % VARIANTS), size);
        }
        c->ring[(c->rhead + c->inflight) % (unsigned)b->o->pipeline] = now;
        c->inflight++;
        c->sent++;
        b->msgs_sent++;
    }
}

/* ---- connecting and the opening handshake ------------------------------------------ */

static void on_conn_timer(ev_loop_t *loop, ev_timer_t *t);
static void on_io(ev_loop_t *loop, ev_io_t *io, uint32_t events);

static void conn_fail(conn_t *c, int kind, const char *fmt, const char *detail)
    __attribute__((format(printf, 3, 0)));

static void conn_fail(conn_t *c, int kind, const char *fmt, const char *detail)
{
    note_error(c->b, kind, fmt, detail);
    conn_finish(c);
}

/* The socket is connected: send the upgrade request with a fresh key. */
static void on_connected(conn_t *c)
{
    bench_t *b = c->b;
    int err = 0;
    socklen_t len = sizeof err;
    if (getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
        err = errno;
    if (err) {
        conn_fail(c, ERR_CONNECT, "connect: %s", strerror(err));
        return;
    }
    uint8_t raw[16];
    uint64_t r0 = rng_next(b), r1 = rng_next(b);
    memcpy(raw, &r0, 8);
    memcpy(raw + 8, &r1, 8);
    char key[25]; /* base64 of 16 bytes: 24 characters and a NUL */
    EVP_EncodeBlock((unsigned char *)key, raw, sizeof raw);
    ws_handshake_accept(wsx_slice(key, 24), c->accept);
    c->state = C_HANDSHAKE;
    c->rlen = c->hs_prev = 0;
    c->woff = c->wlen = 0;
    uint8_t *p = wspace(c, b->request_len);
    memcpy(p, b->request, b->request_len);
    memcpy(p + b->key_off, key, 24);
    conn_flush(c);
}

/* --wsx: the 101 is in; send create-session and wait for the token. */
static void conn_login(conn_t *c)
{
    bench_t *b = c->b;
    char id[32], msg[WSX_LOGIN_MAX];
    snprintf(id, sizeof id, "l%08x.%08x", (unsigned)(c - b->conns), (unsigned)c->logins++);
    int n = bench_wsx_login(msg, sizeof msg, id, b->ts);
    c->state = C_LOGIN;
    if (n < 0 || queue_frame(c, WS_OP_TEXT, (const uint8_t *)msg, (size_t)n) < 0) {
        conn_fail(c, ERR_LOGIN, "%s", "cannot queue the create-session message");
        return;
    }
    conn_flush(c);
}

/* --wsx: the login reply, one text frame. Returns 0 when logged in. */
static int check_login(conn_t *c, const uint8_t *p, size_t n)
{
    bench_t *b = c->b;
    char id[32], token[BENCH_WSX_TOKEN_LEN + 1];
    snprintf(id, sizeof id, "l%08x.%08x", (unsigned)(c - b->conns), (unsigned)c->logins - 1);
    const char *why = bench_wsx_check_login(p, n, id, token);
    if (why) {
        note_error(b, ERR_LOGIN, "create-session: %s", why);
        conn_send_close(c, 1000, CLOSE_TIMEOUT_MS);
        return -1;
    }
    if (b->o->mode == MODE_ECHO) {
        /* this connection's invoke message, now that the token is known */
        bench_wsx_layout_t lay;
        int len = bench_wsx_invoke((char *)c->tmpl, b->msg_size + 1, (uint32_t)(c - b->conns),
                                   b->ts, token, b->text, b->o->size, &lay);
        if (len < 0 || memcmp(&lay, &b->lay, sizeof lay) != 0) {
            note_error(b, ERR_LOGIN, "%s", "the invoke message does not fit its layout");
            conn_send_close(c, 1000, CLOSE_TIMEOUT_MS);
            return -1;
        }
        memcpy(c->masked, c->tmpl, b->msg_size);
        ws_frame_unmask(c->masked, b->msg_size, c->mask, 0);
    }
    return 0;
}

static void conn_opened(conn_t *c, uint64_t now)
{
    bench_t *b = c->b;
    c->state = C_OPEN;
    ev_timer_stop(b->loop, &c->timer);
    conn_left_handshake(c, 1);
    switch (b->o->mode) {
    case MODE_ECHO:
        queue_messages(c, now);
        break;
    case MODE_HOLD:
        if (b->o->deflate) { /* one compressed message (RSV1), then idle */
            size_t at = c->wlen;
            if (queue_frame(c, WS_OP_TEXT, b->zmsg, b->zmsg_len) < 0) {
                note_error(b, ERR_PROTOCOL, "%s", "no room to queue the compressed message");
                break;
            }
            c->wbuf[at] |= 0x40;
            conn_flush(c);
        }
        break;
    case MODE_CHURN:
        if (measuring(b))
            hist_add(&b->hist, now - c->t_start);
        conn_send_close(c, 1000, CLOSE_TIMEOUT_MS);
        break;
    }
}

/* Parse the 101 answer. Returns bytes consumed (> 0), 0 for "need more", or -1
 * when the connection was finished. */
static int parse_upgrade(conn_t *c, uint64_t now)
{
    bench_t *b = c->b;
    http_response_t res;
    int rc = http_parse_response(c->rbuf, c->rlen, c->hs_prev, &res);
    if (rc == WSX_EAGAIN) {
        c->hs_prev = c->rlen;
        if (c->rlen == b->rcap) {
            conn_fail(c, ERR_HANDSHAKE, "%s", "the server's response head is too large");
            return -1;
        }
        return 0;
    }
    if (rc < 0) {
        conn_fail(c, ERR_HANDSHAKE, "%s", "the server's response is not valid HTTP");
        return -1;
    }
    if (res.status != 101) {
        char why[120];
        snprintf(why, sizeof why, "%d %.*s", res.status,
                 (int)(res.reason.len > 80 ? 80 : res.reason.len), (const char *)res.reason.ptr);
        conn_fail(c, ERR_HANDSHAKE, "the server answered %s instead of 101", why);
        return -1;
    }
    const wsx_slice_t *up = http_response_header(&res, "Upgrade");
    const wsx_slice_t *cn = http_response_header(&res, "Connection");
    const wsx_slice_t *acc = http_response_header(&res, "Sec-WebSocket-Accept");
    const char *bad = NULL;
    if (!up || !wsx_slice_ieq(*up, "websocket"))
        bad = "no Upgrade: websocket";
    else if (!cn || !wsx_slice_has_token(*cn, "upgrade"))
        bad = "no Connection: Upgrade";
    else if (!acc || !wsx_slice_eq(*acc, c->accept))
        bad = "a wrong Sec-WebSocket-Accept";
    else if (!b->o->deflate && http_response_header(&res, "Sec-WebSocket-Extensions"))
        bad = "an extension that was not offered";
    else if (b->o->deflate &&
             !bench_deflate_accepted(http_response_header(&res, "Sec-WebSocket-Extensions")))
        bad = "no permessage-deflate (is permessage_deflate on for the channel?)";
    if (bad) {
        conn_fail(c, ERR_HANDSHAKE, "the server's 101 has %s", bad);
        return -1;
    }
    if (b->o->wsx)
        conn_login(c);
    else
        conn_opened(c, now);
    return c->state == C_DONE ? -1 : rc;
}

/* ---- frames from the server -------------------------------------------------------- */

/* A data frame of an echo: check it against what we sent, in order. */
static void echo_done(conn_t *c, uint64_t now);

static void on_data_frame(conn_t *c, const ws_frame_hdr_t *h, const uint8_t *p, uint64_t now)
{
    bench_t *b = c->b;
    size_t size = b->o->size;
    if (c->state != C_OPEN || b->o->mode != MODE_ECHO)
        return; /* after our close frame, or a server talking unprompted */
    if (h->opcode != WS_OP_CONT) {
        if (c->in_msg)
            note_error(b, ERR_PROTOCOL, "%s", "a new message began inside a fragmented one");
        c->in_msg = 1;
        c->msg_off = 0;
        c->msg_bad = h->opcode != (b->o->binary ? WS_OP_BINARY : WS_OP_TEXT);
    } else if (!c->in_msg) {
        note_error(b, ERR_PROTOCOL, "%s", "a continuation frame outside a message");
        return;
    }
    /* Compare piece by piece as the fragments come: no reassembly buffer. */
    size_t n = (size_t)h->payload_len;
    const uint8_t *want = b->plain + 4 * (c->recvd % VARIANTS);
    if (c->msg_off + n > size || memcmp(p, want + c->msg_off, n) != 0)
        c->msg_bad = 1;
    c->msg_off += n;
    if (!h->fin)
        return;
    c->in_msg = 0;
    if (c->msg_off != size)
        c->msg_bad = 1;
    if (c->inflight == 0) {
        note_error(b, ERR_BAD_ECHO, "%s", "a message came back that was not sent");
        return;
    }
    if (c->msg_bad)
        note_error(b, ERR_BAD_ECHO,
                   "echo %" PRIu64 " of a connection differs from the message sent (type, "
                   "length or bytes)",
                   c->recvd);
    echo_done(c, now);
}

/* --wsx: a data frame is the login reply, or the reply to the oldest invoke in
 * flight. The server sends each message as one frame; a fragmented one is
 * reported, not reassembled (no reassembly buffer per connection). */
static void on_wsx_frame(conn_t *c, const ws_frame_hdr_t *h, const uint8_t *p, uint64_t now)
{
    bench_t *b = c->b;
    size_t n = (size_t)h->payload_len;
    int whole = h->fin && h->opcode != WS_OP_CONT;
    if (c->state == C_LOGIN) {
        if (!whole) {
            note_error(b, ERR_LOGIN, "%s", "a fragmented login reply (--wsx reads whole frames)");
            conn_send_close(c, 1000, CLOSE_TIMEOUT_MS);
        } else if (check_login(c, p, n) == 0) {
            conn_opened(c, now);
        }
        return;
    }
    if (c->state != C_OPEN || b->o->mode != MODE_ECHO)
        return; /* after our close frame, or a server talking unprompted */
    if (!whole) {
        note_error(b, ERR_PROTOCOL, "%s", "a fragmented reply (--wsx reads whole frames)");
        return;
    }
    if (c->inflight == 0) {
        note_error(b, ERR_BAD_ECHO, "%s", "a reply came that answers nothing sent");
        return;
    }
    bench_wsx_set_seq(c->tmpl, &b->lay, c->recvd, NULL);
    const char *why = h->opcode != WS_OP_TEXT ? "the reply is not a text message"
                                              : bench_wsx_check_reply(p, n, c->tmpl, &b->lay);
    if (why)
        note_error(b, ERR_BAD_ECHO, "reply %" PRIu64 " of a connection: %s", c->recvd, why);
    echo_done(c, now);
}

/* The oldest message in flight was answered: count it, send the next. */
static void echo_done(conn_t *c, uint64_t now)
{
    bench_t *b = c->b;
    uint64_t sent_at = c->ring[c->rhead];
    c->rhead = (c->rhead + 1) % (unsigned)b->o->pipeline;
    c->inflight--;
    c->recvd++;
    b->msgs++;
    b->last_progress = now;
    if (measuring(b)) {
        hist_add(&b->hist, now - sent_at);
        if (b->o->count && b->msgs - b->msgs_at_measure >= b->o->count) {
            /* -n reached: stop the clock now, close at the next tick */
            end_measure(b, now);
            b->phase = PH_DRAIN;
        }
    }
    queue_messages(c, now);
}

/* A close frame the server sent first (not the answer to ours), by code. */
static void count_close(bench_t *b, uint16_t code)
{
    for (int i = 0; i < MAX_CLOSE_CODES; i++) {
        if (b->closes[i].n && b->closes[i].code != code)
            continue;
        b->closes[i].code = code;
        b->closes[i].n++;
        return;
    }
    b->closes_other++;
}

static uint64_t closes_with(const bench_t *b, uint16_t code)
{
    for (int i = 0; i < MAX_CLOSE_CODES && b->closes[i].n; i++)
        if (b->closes[i].code == code)
            return b->closes[i].n;
    return 0;
}

/* Process the frames in the read buffer. Returns 0, or -1 when finished. */
static int process_frames(conn_t *c, size_t off, uint64_t now)
{
    bench_t *b = c->b;
    while (off < c->rlen && c->state != C_DONE) {
        ws_frame_hdr_t h;
        int rc = ws_frame_decode_header(c->rbuf + off, c->rlen - off, &h);
        if (rc == WSX_EAGAIN)
            break;
        const char *why = "a 64-bit length with its top bit set";
        ws_frame_hdr_t hc = h;
        if (rc >= 0 && b->o->deflate && (h.opcode == WS_OP_TEXT || h.opcode == WS_OP_BINARY))
            hc.rsv &= 3; /* RSV1: a compressed message */
        if (rc < 0 || ws_frame_check_server(&hc, &why) < 0) {
            conn_fail(c, ERR_PROTOCOL, "the server sent a bad frame: %s", why);
            return -1;
        }
        if (h.payload_len > b->rcap - h.header_len) {
            conn_fail(c, ERR_PROTOCOL, "%s",
                      "the server sent a frame larger than any message sent");
            return -1;
        }
        if (h.header_len + h.payload_len > c->rlen - off)
            break;
        uint8_t *p = c->rbuf + off + h.header_len;
        size_t n = (size_t)h.payload_len;
        off += h.header_len + n;
        switch (h.opcode) {
        case WS_OP_TEXT:
        case WS_OP_BINARY:
        case WS_OP_CONT:
            if (b->o->deflate && h.fin)
                b->zechoes++; /* --hold --deflate: the echo of its one message */
            if (b->o->wsx)
                on_wsx_frame(c, &h, p, now);
            else
                on_data_frame(c, &h, p, now);
            break;
        case WS_OP_PING:
            b->pings++;
            if (b->o->wsx) {
                const char *bad = bench_wsx_check_ping(p, n);
                if (bad)
                    note_error(b, ERR_PROTOCOL, "%s", bad);
            }
            /* RFC 6455 5.5.3: the pong echoes the ping's payload */
            if (c->state == C_OPEN || c->state == C_LOGIN) {
                queue_control(c, WS_OP_PONG, p, n);
                b->pongs++;
            }
            break;
        case WS_OP_PONG:
            break;
        case WS_OP_CLOSE: {
            uint16_t code = 1005;
            wsx_slice_t reason = {0};
            if (ws_close_parse(p, n, &code, &reason) < 0)
                note_error(b, ERR_PROTOCOL, "%s", "the server sent a malformed close frame");
            c->got_close = 1;
            if (c->state != C_CLOSING) {
                count_close(b, code);
                note_error(b, ERR_CLOSED, "the server closed a connection with %u %.*s",
                           (unsigned)code, (int)(reason.len > 80 ? 80 : reason.len),
                           reason.ptr ? (const char *)reason.ptr : "");
                conn_send_close(c, code == 1005 ? 1000 : code, CLOSE_TIMEOUT_MS);
            }
            /* now the server closes the TCP connection: wait for its FIN */
            break;
        }
        }
    }
    if (c->state == C_DONE)
        return -1;
    if (off) {
        memmove(c->rbuf, c->rbuf + off, c->rlen - off);
        c->rlen -= off;
    }
    return 0;
}

static void on_eof(conn_t *c)
{
    bench_t *b = c->b;
    if (c->state == C_LOGIN)
        note_error(b, ERR_LOGIN, "%s", "the server closed the connection before the login reply");
    else if (c->state == C_HANDSHAKE)
        note_error(b, ERR_HANDSHAKE, "%s", "the server closed the connection during the handshake");
    else if (!c->got_close)
        note_error(b, ERR_CLOSED, "%s", "the server closed a connection without a close frame");
    conn_finish(c);
}

static void conn_read(conn_t *c)
{
    bench_t *b = c->b;
    for (;;) {
        size_t room = b->rcap - c->rlen;
        ssize_t n = conn_recv(c, c->rbuf + c->rlen, room);
        if (n == 0) {
            on_eof(c);
            return;
        }
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN) {
                if (c->tls_want_write)
                    ev_io_set(b->loop, &c->io, EV_READ | EV_WRITE);
                break;
            }
            if (c->state == C_CLOSING && c->got_close) {
                conn_finish(c); /* a reset after the close handshake: fine */
                return;
            }
            conn_fail(c,
                      c->state == C_HANDSHAKE ? ERR_HANDSHAKE
                      : c->state == C_LOGIN   ? ERR_LOGIN
                                              : ERR_CLOSED,
                      "recv: %s",
                      strerror(errno));
            return;
        }
        c->rlen += (size_t)n;
        uint64_t now = now_ns();
        size_t off = 0;
        if (c->state == C_HANDSHAKE) {
            int used = parse_upgrade(c, now);
            if (used < 0)
                return;
            off = (size_t)used;
        }
        if (c->state != C_HANDSHAKE && process_frames(c, off, now) < 0)
            return;
        if ((size_t)n < room)
            break;
    }
    if (c->wlen > c->woff)
        conn_flush(c);
}

static void on_io(ev_loop_t *loop, ev_io_t *io, uint32_t events)
{
    conn_t *c = (conn_t *)((char *)io - offsetof(conn_t, io));
    if (c->state == C_CONNECTING) {
        on_connected(c);
        return;
    }
    if ((events & EV_WRITE) && c->wlen > c->woff && conn_flush(c) < 0)
        return;
    if ((events & EV_READ) || (c->tls_want_write && (events & EV_WRITE)))
        conn_read(c);
}

/* ---- opening, closing, reopening ---------------------------------------------------- */

/* Send a close frame and wait up to timeout_ms for the server's close frame and FIN. */
static void conn_send_close(conn_t *c, uint16_t code, uint64_t timeout_ms)
{
    if (c->sent_close)
        return;
    if (c->state == C_LOGIN)
        conn_left_handshake(c, 0); /* it never opened */
    uint8_t payload[2] = {(uint8_t)(code >> 8), (uint8_t)code};
    queue_control(c, WS_OP_CLOSE, payload, 2);
    c->sent_close = 1;
    c->state = C_CLOSING;
    ev_timer_start(c->b->loop, &c->timer, timeout_ms, on_conn_timer);
    conn_flush(c);
}

static void reconnect_cb(ev_loop_t *loop, ev_defer_t *d)
{
    conn_t *c = (conn_t *)((char *)d - offsetof(conn_t, defer));
    if (c->state == C_DONE && c->b->phase <= PH_MEASURE)
        conn_start(c->b, c);
}

static void retry_timer_cb(ev_loop_t *loop, ev_timer_t *t)
{
    conn_t *c = (conn_t *)((char *)t - offsetof(conn_t, timer));
    reconnect_cb(loop, &c->defer);
}

/* Close the socket. Never frees: conns live in one array for the whole run. A
 * churning connection starts again after this loop iteration (so no stale event
 * of this batch reaches its new socket), or 100 ms later after a failure. */
static void conn_finish(conn_t *c)
{
    bench_t *b = c->b;
    int was = c->state;
    if (was == C_DONE || was == C_IDLE)
        return;
    if (was == C_CONNECTING || was == C_HANDSHAKE || was == C_LOGIN)
        conn_left_handshake(c, 0);
    ev_timer_stop(b->loop, &c->timer);
    if (c->tls) {
        tls_free(c->tls);
        c->tls = NULL;
    }
    ev_io_close(b->loop, &c->io);
    c->state = C_DONE;
    b->live--;
    if (b->o->mode == MODE_CHURN && b->phase <= PH_MEASURE) {
        if (c->got_close)
            ev_defer(b->loop, &c->defer, reconnect_cb);
        else
            ev_timer_start(b->loop, &c->timer, 100, retry_timer_cb);
    }
}

static void on_conn_timer(ev_loop_t *loop, ev_timer_t *t)
{
    conn_t *c = (conn_t *)((char *)t - offsetof(conn_t, timer));
    if (c->state == C_CONNECTING || c->state == C_HANDSHAKE)
        note_error(c->b, ERR_TIMEOUT, "no 101 within %d s", HANDSHAKE_TIMEOUT_MS / 1000);
    else if (c->state == C_LOGIN)
        note_error(c->b, ERR_TIMEOUT, "no login reply within %d s of connecting",
                   HANDSHAKE_TIMEOUT_MS / 1000);
    else if (c->state == C_CLOSING)
        note_error(c->b, ERR_TIMEOUT, "%s", "the server did not finish a close handshake in time");
    conn_finish(c);
}

static void conn_start(bench_t *b, conn_t *c)
{
    c->state = C_CONNECTING;
    c->got_close = c->sent_close = 0;
    c->rlen = c->hs_prev = c->wlen = c->woff = 0;
    c->in_msg = 0;
    c->inflight = 0;
    c->rhead = 0;
    c->sent = c->recvd = 0;
    c->t_start = now_ns();
    if (!b->t_first_connect)
        b->t_first_connect = c->t_start;
    b->connecting++;
    int fd = socket(b->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        note_error(b, ERR_CONNECT, "socket: %s", strerror(errno));
        c->state = C_IDLE;
        conn_left_handshake(c, 0);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    b->live++;
    c->tls_want_write = 0;
    if (b->tls && !(c->tls = tls_client_new(b->tls, fd, b->o->host))) {
        c->io.fd = fd;
        conn_fail(c, ERR_CONNECT, "%s", "out of memory for a TLS session");
        return;
    }
    if (ev_io_start(b->loop, &c->io, fd, EV_WRITE, on_io) < 0) {
        c->io.fd = fd;
        conn_fail(c, ERR_CONNECT, "epoll: %s", strerror(errno));
        return;
    }
    ev_timer_start(b->loop, &c->timer, HANDSHAKE_TIMEOUT_MS, on_conn_timer);
    if (b->nsrc) {
        /* --source-addrs, round robin by connection. The port is chosen at
         * connect(), per destination, not at bind(): so each source address has
         * the whole ephemeral range for this target. */
        int i = (int)((c - b->conns) % b->nsrc);
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
        if (bind(fd, (struct sockaddr *)&b->src[i], b->srclen[i]) < 0) {
            int e = errno;
            conn_fail(c, ERR_CONNECT, "bind to a --source-addrs address: %s", strerror(e));
            return;
        }
    }
    if (connect(fd, (struct sockaddr *)&b->addr, b->addrlen) < 0 && errno != EINPROGRESS) {
        int e = errno;
        conn_fail(c, ERR_CONNECT, "connect: %s", strerror(e));
    }
    /* else writable when connected (or failed): on_io -> on_connected */
}

static void pump_cb(ev_loop_t *loop, ev_defer_t *d)
{
    bench_t *b = (bench_t *)((char *)d - offsetof(bench_t, pump));
    while (b->next_start < b->o->conns && b->connecting < CONNECT_WINDOW && b->phase <= PH_MEASURE)
        conn_start(b, &b->conns[b->next_start++]);
}

/* ---- phases -------------------------------------------------------------------------- */

static void begin_measure(bench_t *b, uint64_t now)
{
    b->phase = PH_MEASURE;
    b->t_measure = now;
    b->t_phase_end = now + (uint64_t)(b->o->duration * 1e9);
    b->msgs_at_measure = b->msgs;
    b->msgs_sent_at_measure = b->msgs_sent;
    b->upgrades_at_measure = b->upgrades;
    b->last_progress = now;
    b->client_cpu0 = client_cpu_s();
    if (b->o->server_pid)
        b->srv_start = proc_read(b->o->server_pid);
}

static void end_measure(bench_t *b, uint64_t now)
{
    b->t_end = now;
    b->msgs_window = b->msgs - b->msgs_at_measure;
    b->upgrades_window = b->upgrades - b->upgrades_at_measure;
    b->client_cpu1 = client_cpu_s();
    if (b->o->server_pid)
        b->srv_end = proc_read(b->o->server_pid);
}

static void begin_close(bench_t *b, uint64_t now)
{
    uint64_t ms = CLOSE_PHASE_MS + (uint64_t)b->o->conns * CLOSE_PHASE_PER_CONN_US / 1000;
    b->phase = PH_CLOSE;
    b->t_phase_end = now + (ms + 2 * TICK_MS) * 1000000; /* after the connections' own timers */
    for (int i = 0; i < b->o->conns; i++) {
        conn_t *c = &b->conns[i];
        if (c->state == C_OPEN)
            conn_send_close(c, 1000, ms);
        else if (c->state == C_CONNECTING || c->state == C_HANDSHAKE || c->state == C_LOGIN)
            conn_finish(c);
        else if (c->state == C_DONE && b->o->mode == MODE_CHURN)
            ev_timer_stop(b->loop, &c->timer); /* a pending retry */
    }
}

static void on_tick(ev_loop_t *loop, ev_timer_t *t)
{
    bench_t *b = (bench_t *)((char *)t - offsetof(bench_t, tick));
    uint64_t now = now_ns();
    switch (b->phase) {
    case PH_CONNECT:
        if (b->settled < b->o->conns)
            break;
        if (b->upgrades == 0) { /* nothing answered: the target is unreachable */
            b->exit_code = 1;
            begin_close(b, now);
            break;
        }
        if (b->o->mode == MODE_HOLD) {
            b->phase = PH_SETTLE;
            b->t_phase_end = now + (uint64_t)SETTLE_MS * 1000000;
        } else {
            b->phase = PH_WARMUP;
            b->t_phase_end = now + (uint64_t)(b->o->warmup * 1e9);
        }
        break;
    case PH_SETTLE:
        if (now < b->t_phase_end)
            break;
        begin_measure(b, now);
        b->srv_settled = b->srv_start;
        break;
    case PH_WARMUP:
        if (now >= b->t_phase_end)
            begin_measure(b, now);
        break;
    case PH_MEASURE: {
        int done = 0;
        if (b->o->mode == MODE_ECHO && now - b->last_progress > STALL_NS) {
            b->stalled = done = 1;
            note_error(b, ERR_TIMEOUT, "no echo at all for %llu s: stopped",
                       (unsigned long long)(STALL_NS / 1000000000));
        } else if (b->o->mode == MODE_ECHO && b->live == 0) {
            done = 1; /* every connection is gone */
        } else if (!b->o->count && now >= b->t_phase_end) {
            done = 1;
        }
        if (!done)
            break;
        end_measure(b, now);
        begin_close(b, now);
        break;
    }
    case PH_DRAIN: /* -n was reached (and measured) in the middle of an iteration */
        begin_close(b, now);
        break;
    case PH_CLOSE:
        if (b->live > 0 && now < b->t_phase_end)
            break;
        for (int i = 0; i < b->o->conns; i++)
            if (b->conns[i].state != C_DONE && b->conns[i].state != C_IDLE) {
                note_error(b, ERR_TIMEOUT, "%s",
                           "the server did not finish a close handshake in time");
                conn_finish(&b->conns[i]);
            }
        ev_loop_stop(loop);
        return;
    }
    ev_timer_start(loop, t, TICK_MS, on_tick);
}

/* ---- the report ---------------------------------------------------------------------- */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.6g", v);
    else
        printf("null");
}

static const char *mode_name(int mode)
{
    return mode == MODE_HOLD ? "hold" : mode == MODE_CHURN ? "churn" : "echo";
}

static void report(bench_t *b)
{
    opts_t *o = b->o;
    double window = b->t_end > b->t_measure ? (double)(b->t_end - b->t_measure) / 1e9 : 0;
    uint64_t primary = o->mode == MODE_ECHO ? b->msgs_window : b->upgrades_window;
    double rate = window > 0 ? (double)primary / window : 0;
    double p50 = hist_quantile(&b->hist, 0.50) / 1e3, p99 = hist_quantile(&b->hist, 0.99) / 1e3;
    double lmax = (double)b->hist.max / 1e3;
    uint64_t errors = 0;
    for (int i = 0; i < ERR_N; i++)
        errors += b->errors[i];
    int srv = o->server_pid && b->srv_start.ok && b->srv_end.ok;
    double srv_cpu = srv ? b->srv_end.cpu_s - b->srv_start.cpu_s : NAN;
    double per_cpu = srv && srv_cpu > 0 ? (double)primary / srv_cpu : NAN;
    double cli_cpu = b->client_cpu1 - b->client_cpu0;

    /* --hold: the upgrade phase and the memory of the idle connections */
    uint64_t held = b->upgrades;
    double conn_s = b->t_connected > b->t_first_connect
                        ? (double)(b->t_connected - b->t_first_connect) / 1e9
                        : 0;
    double up_rate = conn_s > 0 ? (double)held / conn_s : 0;
    int hsrv = o->mode == MODE_HOLD && o->server_pid && b->srv_before.ok && b->srv_upgraded.ok &&
               b->srv_settled.ok;
    double up_cpu = hsrv ? b->srv_upgraded.cpu_s - b->srv_before.cpu_s : NAN;
    double up_per_cpu = hsrv && up_cpu > 0 ? (double)held / up_cpu : NAN;
    double bytes_per_conn =
        hsrv && held ? (double)(b->srv_settled.rss_kb - b->srv_before.rss_kb) * 1024 / (double)held
                     : NAN;

    if (o->mode == MODE_HOLD) {
        rate = up_rate;
        per_cpu = up_per_cpu;
    }
    double srv_pct = srv && window > 0 ? 100 * srv_cpu / window : NAN;

    if (o->json) {
        printf("{\"mode\":\"%s\",\"url\":", mode_name(o->mode));
        json_str(o->url);
        printf(",\"wsx\":%s,\"connections\":%d,\"size\":%zu,\"message_size\":%zu,\"pipeline\":%d,"
               "\"binary\":%s,\"warmup_s\":",
               o->wsx ? "true" : "false", o->conns, o->size, b->msg_size, o->pipeline,
               o->binary ? "true" : "false");
        json_num(o->mode == MODE_HOLD ? 0 : o->warmup);
        printf(",\"window_s\":");
        json_num(window);
        printf(",\"messages\":%" PRIu64 ",\"msgs_per_s\":", b->msgs_window);
        json_num(window > 0 ? (double)b->msgs_window / window : 0);
        printf(",\"handshakes\":%" PRIu64 ",\"handshakes_per_s\":", b->upgrades_window);
        json_num(window > 0 ? (double)b->upgrades_window / window : 0);
        printf(",\"rate\":");
        json_num(rate);
        printf(",\"latency_us\":{\"of\":\"%s\",\"p50\":",
               o->mode == MODE_CHURN ? (o->wsx ? "handshake_and_login" : "handshake")
                                     : "round_trip");
        json_num(p50);
        printf(",\"p99\":");
        json_num(p99);
        printf(",\"max\":");
        json_num(lmax);
        printf("},\"errors\":{");
        for (int i = 0; i < ERR_N; i++)
            printf("\"%s\":%" PRIu64 ",", err_names[i], b->errors[i]);
        printf("\"total\":%" PRIu64 "},\"first_error\":", errors);
        if (b->first_error[0])
            json_str(b->first_error);
        else
            printf("null");
        printf(",\"pings\":%" PRIu64 ",\"pongs\":%" PRIu64 ",\"closed_by_server\":{", b->pings,
               b->pongs);
        for (int i = 0; i < MAX_CLOSE_CODES && b->closes[i].n; i++)
            printf("%s\"%u\":%" PRIu64, i ? "," : "", (unsigned)b->closes[i].code, b->closes[i].n);
        printf("%s\"other\":%" PRIu64 "},\"missed_pings_closes\":%" PRIu64,
               b->closes[0].n ? "," : "", b->closes_other, closes_with(b, 4002));
        printf(",\"client_cpu_s\":");
        json_num(cli_cpu);
        printf(",\"server\":");
        if (o->server_pid) {
            printf("{\"pid\":%d,\"cpu_s\":", o->server_pid);
            json_num(srv_cpu);
            printf(",\"per_cpu_s\":");
            json_num(per_cpu);
            printf(",\"%s_per_cpu_s\":", o->mode == MODE_ECHO ? "msgs" : "handshakes");
            json_num(per_cpu);
            printf(",\"cpu_pct\":");
            json_num(srv_pct);
            printf(",\"rss_kb_start\":%ld,\"rss_kb_end\":%ld}", b->srv_start.rss_kb,
                   b->srv_end.rss_kb);
        } else {
            printf("null");
        }
        if (o->mode == MODE_HOLD) {
            /* with --wsx, "upgraded" counts the logged-in sessions */
            printf(",\"hold\":{\"connections\":%d,\"upgraded\":%" PRIu64 ",\"connect_s\":",
                   o->conns, held);
            json_num(conn_s);
            printf(",\"upgrades_per_s\":");
            json_num(up_rate);
            printf(",\"server_cpu_s\":");
            json_num(up_cpu);
            printf(",\"upgrades_per_cpu_s\":");
            json_num(up_per_cpu);
            printf(",\"rss_kb_before\":%ld,\"rss_kb_settled\":%ld,\"bytes_per_conn\":",
                   b->srv_before.rss_kb, b->srv_settled.rss_kb);
            json_num(bytes_per_conn);
            if (o->deflate)
                printf(",\"deflate_echoes\":%" PRIu64, b->zechoes);
            printf(",\"held_s\":");
            json_num(window);
            printf(",\"server_cpu_pct_held\":");
            json_num(srv_pct);
            printf("}");
        }
        printf(",\"stalled\":%s,\"exit\":%d}\n", b->stalled ? "true" : "false", b->exit_code);
        return;
    }

    printf("wsx bench %s%s %s: %d connection%s", mode_name(o->mode), o->wsx ? " --wsx" : "",
           o->url, o->conns, o->conns == 1 ? "" : "s");
    if (o->mode == MODE_ECHO && o->wsx)
        printf(", %zu-byte invokes (data.text %zu bytes), pipeline %d", b->msg_size, o->size,
               o->pipeline);
    else if (o->mode == MODE_ECHO)
        printf(", %zu-byte %s messages, pipeline %d", o->size, o->binary ? "binary" : "text",
               o->pipeline);
    if (o->mode == MODE_HOLD)
        printf(", held %.1f s\n", window);
    else
        printf(", %.2f s measured after %.1f s warmup\n", window, o->warmup);
    if (o->mode == MODE_ECHO) {
        printf("  messages     %" PRIu64 " = %.0f msg/s\n", b->msgs_window, rate);
        printf("  round trip   p50 %.1f us, p99 %.1f us, max %.1f us\n", p50, p99, lmax);
    } else if (o->mode == MODE_CHURN) {
        printf("  handshakes   %" PRIu64 " = %.0f handshakes/s (connect, upgrade, close)\n",
               b->upgrades_window, rate);
        printf("  handshake    p50 %.1f us, p99 %.1f us, max %.1f us (connect to %s)\n", p50, p99,
               lmax, o->wsx ? "the login reply" : "101");
    } else {
        printf("  %s %" PRIu64 " of %d in %.2f s = %.0f %s/s\n",
               o->wsx ? "logged in   " : "upgraded    ", held, o->conns, conn_s, up_rate,
               o->wsx ? "logins" : "upgrades");
    }
    if (b->pings || o->wsx)
        printf("  pings        %" PRIu64 " received, %" PRIu64 " pongs sent\n", b->pings, b->pongs);
    if (b->closes[0].n || b->closes_other) {
        printf("  closed by server first:");
        for (int i = 0; i < MAX_CLOSE_CODES && b->closes[i].n; i++)
            printf(" %u x %" PRIu64, (unsigned)b->closes[i].code, b->closes[i].n);
        if (b->closes_other)
            printf(" others x %" PRIu64, b->closes_other);
        printf("%s\n", closes_with(b, 4002) ? " (4002: pings missed)" : "");
    }
    printf("  errors       %" PRIu64, errors);
    if (errors) {
        const char *sep = " (";
        for (int i = 0; i < ERR_N; i++)
            if (b->errors[i]) {
                printf("%s%s %" PRIu64, sep, err_names[i], b->errors[i]);
                sep = ", ";
            }
        printf("); first: %s", b->first_error);
    }
    printf("\n  client cpu   %.2f s\n", cli_cpu);
    if (o->server_pid) {
        if (o->mode == MODE_HOLD) {
            printf("  server cpu   %.2f s for the upgrades = %.0f upgrades per cpu-s; %.2f s "
                   "while holding = %.2f%% of one core\n",
                   up_cpu, up_per_cpu, srv_cpu, srv_pct);
            printf("  server rss   %ld kB -> %ld kB with %" PRIu64
                   " idle connections = %.0f bytes per connection\n",
                   b->srv_before.rss_kb, b->srv_settled.rss_kb, held, bytes_per_conn);
            if (o->deflate)
                printf("  deflate      %" PRIu64 " of %" PRIu64
                       " connections got the echo of their compressed message\n",
                       b->zechoes, held);
        } else {
            printf("  server cpu   %.2f s = %.0f %s per cpu-s (pid %d)\n", srv_cpu, per_cpu,
                   o->mode == MODE_ECHO ? "msgs" : "handshakes", o->server_pid);
            printf("  server rss   %ld kB -> %ld kB\n", b->srv_start.rss_kb, b->srv_end.rss_kb);
        }
    }
}

/* ---- options ------------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: wsx bench --url ws://HOST:PORT/PATH [options]\n"
            "\n"
            "A WebSocket load generator. Echo mode (the default) keeps -p messages in flight on\n"
            "each of -c connections and checks every echo against what was sent. In every\n"
            "mode a server PING gets a PONG echoing its payload; the report counts pings and\n"
            "the close codes of closes the server started (4002: pings missed).\n"
            "\n"
            "  --url URL              the target, ws://HOST[:PORT][/PATH] or wss://... (required)\n"
            "      --cacert FILE      wss://: verify the server against the PEM CA certificates\n"
            "                         in FILE (without it the certificate is not checked)\n"
            "  -c, --connections N    connections (default 100)\n"
            "  -s, --size BYTES       message size (default 20)\n"
            "  -p, --pipeline N       messages in flight per connection (default 1)\n"
            "  -d, --duration SECS    measured time (default 10)\n"
            "  -n, --count N          measure N messages instead of a duration\n"
            "      --binary           binary messages (default: text, printable ASCII)\n"
            "      --warmup SECS      unmeasured time after connecting (default 1)\n"
            "      --hold N           open N idle connections, report the upgrade rate and\n"
            "                         (with --server-pid) server memory per connection, hold\n"
            "                         them for --duration, close\n"
            "      --churn            each connection loops: connect, upgrade, close; report\n"
            "                         handshakes/s\n"
            "      --header 'K: V'    an extra request header (repeatable)\n"
            "      --deflate OFFER    with --hold: offer permessage-deflate (e.g.\n"
            "                         'permessage-deflate'), and have each connection send one\n"
            "                         compressed 1 KiB text message and get its echo before\n"
            "                         idling: the memory of a compressed connection\n"
            "      --server-pid PID   report the server's CPU time and RSS from /proc\n"
            "      --wsx              speak the WSX session protocol (a json channel): after\n"
            "                         the upgrade, create-session and wait for the token\n"
            "                         (--hold and --churn count logged-in sessions); echo mode\n"
            "                         invokes the channel's service (demo.echo) with\n"
            "                         {\"seq\":..,\"text\":<-s letters>} and checks each reply is\n"
            "                         the zwsx.rspok to that id with that data\n"
            "      --source-addrs A,B,..  bind each connection to one of these local addresses\n"
            "                         in turn (e.g. 127.0.0.1,127.0.0.2): more than one\n"
            "                         source's ephemeral ports towards one target\n"
            "      --json             one JSON object instead of text\n"
            "  -h, --help             this text\n"
            "\n"
            "Exit status: 0 run completed (its errors are in the report), 1 target not\n"
            "reachable, 2 usage error.\n");
}

static int bad_usage(const char *fmt, const char *arg) __attribute__((format(printf, 1, 0)));

static int bad_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "wsx bench: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(wsx bench --help shows the options)\n");
    return 2;
}

static int parse_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

static int whole(double v)
{
    return v == (double)(int64_t)v;
}

static int parse_url(opts_t *o)
{
    const char *u = o->url;
    o->tls = strncmp(u, "wss://", 6) == 0;
    if (!o->tls && strncmp(u, "ws://", 5) != 0)
        return bad_usage("%s: the URL must start with ws:// or wss://", u);
    const char *a = u + (o->tls ? 6 : 5);
    size_t alen = strcspn(a, "/?#");
    if (alen == 0 || alen >= sizeof o->authority)
        return bad_usage("%s: no host in the URL", u);
    memcpy(o->authority, a, alen);
    o->authority[alen] = 0;
    const char *rest = a + alen;
    size_t plen = strcspn(rest, "#");
    if (plen + 2 > sizeof o->path)
        return bad_usage("%s: the path is too long", u);
    if (plen == 0 || rest[0] != '/') {
        o->path[0] = '/';
        memcpy(o->path + 1, rest, plen);
        o->path[plen + 1] = 0;
    } else {
        memcpy(o->path, rest, plen);
        o->path[plen] = 0;
    }
    const char *colon;
    if (o->authority[0] == '[') {
        const char *close = strchr(o->authority, ']');
        if (!close)
            return bad_usage("%s: unclosed [ in the host", u);
        size_t hl = (size_t)(close - o->authority - 1);
        memcpy(o->host, o->authority + 1, hl);
        o->host[hl] = 0;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (!colon && close[1])
            return bad_usage("%s: junk after the host", u);
    } else {
        colon = strrchr(o->authority, ':');
        size_t hl = colon ? (size_t)(colon - o->authority) : strlen(o->authority);
        memcpy(o->host, o->authority, hl);
        o->host[hl] = 0;
    }
    if (colon) {
        double port;
        if (parse_num(colon + 1, 1, 65535, &port) < 0 || !whole(port))
            return bad_usage("%s: the port must be a number from 1 to 65535", u);
        snprintf(o->port, sizeof o->port, "%d", (int)port);
    } else {
        strcpy(o->port, o->tls ? "443" : "80");
    }
    if (!o->host[0])
        return bad_usage("%s: no host in the URL", u);
    return 0;
}

#define HELP_SHOWN (-1)

/* Fill o from argv. Returns 0, 2 (usage error, said on stderr) or HELP_SHOWN. */
static int parse_opts(int argc, char **argv, opts_t *o)
{
    enum { O_URL = 256, O_BINARY, O_WARMUP, O_HOLD, O_CHURN, O_HEADER, O_JSON, O_PID, O_WSX,
           O_SRC, O_CACERT, O_DEFLATE };
    static const struct option longs[] = {
        {"url", required_argument, 0, O_URL},
        {"connections", required_argument, 0, 'c'},
        {"size", required_argument, 0, 's'},
        {"pipeline", required_argument, 0, 'p'},
        {"duration", required_argument, 0, 'd'},
        {"count", required_argument, 0, 'n'},
        {"binary", no_argument, 0, O_BINARY},
        {"warmup", required_argument, 0, O_WARMUP},
        {"hold", required_argument, 0, O_HOLD},
        {"churn", no_argument, 0, O_CHURN},
        {"header", required_argument, 0, O_HEADER},
        {"json", no_argument, 0, O_JSON},
        {"server-pid", required_argument, 0, O_PID},
        {"wsx", no_argument, 0, O_WSX},
        {"source-addrs", required_argument, 0, O_SRC},
        {"cacert", required_argument, 0, O_CACERT},
        {"deflate", required_argument, 0, O_DEFLATE},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    *o = (opts_t){.conns = 100, .size = 20, .pipeline = 1, .duration = 10, .warmup = 1};
    int have_c = 0, have_d = 0, hold = 0;
    double v;
    optind = 1;
    opterr = 0;
    int ch;
    while ((ch = getopt_long(argc, argv, ":c:s:p:d:n:h", longs, NULL)) != -1) {
        switch (ch) {
        case O_URL:
            o->url = optarg;
            break;
        case 'c':
            if (parse_num(optarg, 1, 1000000, &v) < 0 || !whole(v))
                return bad_usage("-c %s: connections must be a whole number from 1 to 1000000",
                                 optarg);
            o->conns = (int)v;
            have_c = 1;
            break;
        case 's':
            if (parse_num(optarg, 0, MAX_SIZE, &v) < 0 || !whole(v))
                return bad_usage("-s %s: the size must be a whole number of bytes, at most 16 MiB",
                                 optarg);
            o->size = (size_t)v;
            break;
        case 'p':
            if (parse_num(optarg, 1, MAX_PIPELINE, &v) < 0 || !whole(v))
                return bad_usage("-p %s: the pipeline must be a whole number from 1 to 4096",
                                 optarg);
            o->pipeline = (int)v;
            break;
        case 'd':
            if (parse_num(optarg, 0.05, 86400, &v) < 0)
                return bad_usage("-d %s: the duration must be from 0.05 to 86400 seconds", optarg);
            o->duration = v;
            have_d = 1;
            break;
        case 'n':
            if (parse_num(optarg, 1, 1e15, &v) < 0 || !whole(v))
                return bad_usage("-n %s: the count must be a whole number of messages", optarg);
            o->count = (uint64_t)v;
            break;
        case O_BINARY:
            o->binary = 1;
            break;
        case O_WARMUP:
            if (parse_num(optarg, 0, 3600, &v) < 0)
                return bad_usage("--warmup %s: must be from 0 to 3600 seconds", optarg);
            o->warmup = v;
            break;
        case O_HOLD:
            if (parse_num(optarg, 1, 1000000, &v) < 0 || !whole(v))
                return bad_usage("--hold %s: must be a whole number of connections", optarg);
            hold = (int)v;
            break;
        case O_CHURN:
            o->mode = MODE_CHURN;
            break;
        case O_HEADER:
            if (o->nheaders == MAX_HEADERS)
                return bad_usage("--header %s: at most 32 extra headers", optarg);
            if (!strchr(optarg, ':') || optarg[0] == ':' || strpbrk(optarg, "\r\n"))
                return bad_usage("--header '%s': write it as 'Name: value'", optarg);
            o->headers[o->nheaders++] = optarg;
            break;
        case O_JSON:
            o->json = 1;
            break;
        case O_DEFLATE: {
            static char line[512];
            if (strncmp(optarg, "permessage-deflate", 18) != 0 || strpbrk(optarg, "\r\n") ||
                strlen(optarg) > sizeof line - 40)
                return bad_usage("--deflate '%s': an offer starting with permessage-deflate",
                                 optarg);
            if (o->nheaders == MAX_HEADERS)
                return bad_usage("--deflate %s: at most 32 extra headers", optarg);
            snprintf(line, sizeof line, "Sec-WebSocket-Extensions: %s", optarg);
            o->headers[o->nheaders++] = line;
            o->deflate = optarg;
            break;
        }
        case O_PID:
            if (parse_num(optarg, 1, 1 << 30, &v) < 0 || !whole(v))
                return bad_usage("--server-pid %s: not a process id", optarg);
            o->server_pid = (int)v;
            break;
        case O_WSX:
            o->wsx = 1;
            break;
        case O_SRC:
            o->source_addrs = optarg;
            break;
        case O_CACERT:
            o->cacert = optarg;
            break;
        case 'h':
            usage(stdout);
            return HELP_SHOWN;
        case ':':
            return bad_usage("%s needs a value", argv[optind - 1]);
        default:
            return bad_usage("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return bad_usage("unexpected argument %s", argv[optind]);
    if (!o->url)
        return bad_usage("%s", "--url ws://HOST:PORT/PATH is required");
    if (have_d && o->count)
        return bad_usage("%s", "give either -d (a duration) or -n (a count), not both");
    if (hold && o->mode == MODE_CHURN)
        return bad_usage("%s", "--hold and --churn are different runs: give one");
    if (hold && have_c && o->conns != hold)
        return bad_usage("%s", "--hold N opens N connections: leave out -c");
    if (o->count && o->mode != MODE_ECHO && !hold)
        return bad_usage("%s", "-n counts echoed messages: not with --churn");
    if (hold) {
        if (o->count)
            return bad_usage("%s", "-n counts echoed messages: not with --hold");
        o->mode = MODE_HOLD;
        o->conns = hold;
    }
    if (o->wsx && o->binary)
        return bad_usage("%s", "--wsx sends JSON text messages: not with --binary");
    if (o->deflate && (!hold || o->wsx))
        return bad_usage("%s", "--deflate measures held raw connections: give --hold N, not --wsx");
    if (o->server_pid && kill(o->server_pid, 0) < 0 && errno == ESRCH) {
        char pid[16];
        snprintf(pid, sizeof pid, "%d", o->server_pid);
        return bad_usage("--server-pid %s: there is no such process", pid);
    }
    return parse_url(o);
}

/* ---- setup ----------------------------------------------------------------------------- */

static int raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return 0;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && (rlim_t)need > rl.rlim_cur) {
        fprintf(stderr,
                "wsx bench: %d connections need %d file descriptors, the limit is %llu: raise it "
                "(ulimit -n)\n",
                need - 32, need, (unsigned long long)rl.rlim_cur);
        return -1;
    }
    return 0;
}

/* --source-addrs: a comma-separated list of numeric addresses of the target's
 * family. Returns 0, or 2 after saying what is wrong. */
static int parse_sources(bench_t *b)
{
    const char *s = b->o->source_addrs;
    while (s && *s) {
        size_t n = strcspn(s, ",");
        char one[INET6_ADDRSTRLEN + 1];
        if (n == 0 || n >= sizeof one)
            return bad_usage("--source-addrs %s: a comma-separated list of IP addresses",
                             b->o->source_addrs);
        memcpy(one, s, n);
        one[n] = 0;
        if (b->nsrc == MAX_SOURCES)
            return bad_usage("--source-addrs: at most 256 addresses%s", "");
        struct sockaddr_storage *sa = &b->src[b->nsrc];
        memset(sa, 0, sizeof *sa);
        if (b->addr.ss_family == AF_INET) {
            struct sockaddr_in *a = (struct sockaddr_in *)sa;
            a->sin_family = AF_INET;
            if (inet_pton(AF_INET, one, &a->sin_addr) != 1)
                return bad_usage("--source-addrs: %s is not an IPv4 address (the target is IPv4)",
                                 one);
            b->srclen[b->nsrc] = sizeof *a;
        } else {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;
            a->sin6_family = AF_INET6;
            if (inet_pton(AF_INET6, one, &a->sin6_addr) != 1)
                return bad_usage("--source-addrs: %s is not an IPv6 address (the target is IPv6)",
                                 one);
            b->srclen[b->nsrc] = sizeof *a;
        }
        b->nsrc++;
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

static int build_request(bench_t *b)
{
    opts_t *o = b->o;
    size_t cap = 512 + strlen(o->path) + strlen(o->authority);
    for (int i = 0; i < o->nheaders; i++)
        cap += strlen(o->headers[i]) + 2;
    b->request = malloc(cap);
    if (!b->request)
        return -1;
    int n = snprintf(b->request, cap,
                     "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ",
                     o->path, o->authority);
    b->key_off = (size_t)n;
    n += snprintf(b->request + n, cap - (size_t)n, "%s\r\n", "KEY-GOES-HERE-0123456789");
    for (int i = 0; i < o->nheaders; i++)
        n += snprintf(b->request + n, cap - (size_t)n, "%s\r\n", o->headers[i]);
    n += snprintf(b->request + n, cap - (size_t)n, "\r\n");
    b->request_len = (size_t)n;
    return 0;
}

/* Buffers for every connection, and the payload pool. Allocated once. */
static int alloc_conns(bench_t *b)
{
    opts_t *o = b->o;
    int echo = o->mode == MODE_ECHO;
    b->msg_size = o->size;
    if (o->wsx) {
        /* the invoke message's layout, the same for every connection: fixed-width
         * ids and a token of fixed length */
        isotime_now(b->ts);
        b->text = malloc(o->size + 1);
        if (!b->text)
            return -1;
        static const char alnum[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        for (size_t i = 0; i < o->size; i++)
            b->text[i] = alnum[(rng_next(b) >> 32) % (sizeof alnum - 1)];
        b->text[o->size] = 0;
        char token[BENCH_WSX_TOKEN_LEN + 1];
        memset(token, '0', BENCH_WSX_TOKEN_LEN);
        token[BENCH_WSX_TOKEN_LEN] = 0;
        size_t cap = o->size + 512;
        char *tmp = malloc(cap);
        int len = tmp ? bench_wsx_invoke(tmp, cap, 0, b->ts, token, b->text, o->size, &b->lay) : -1;
        free(tmp);
        if (len < 0)
            return -1;
        b->msg_size = (size_t)len;
    }
    size_t frame = WS_FRAME_MAX_HEADER + b->msg_size;
    /* --wsx: a reply is the message's data plus a meta of about 150 bytes */
    b->rcap = echo ? (size_t)o->pipeline * (frame + (o->wsx ? 512 : 0)) + 4096 : 4096;
    if (b->rcap < 16384 && echo)
        b->rcap = 16384;
    size_t wdata = echo ? (size_t)o->pipeline * frame : 0;
    b->wcap = (wdata > b->request_len ? wdata : b->request_len) + 2 * (WS_FRAME_MAX_HEADER + 125) +
              (o->wsx ? WS_FRAME_MAX_HEADER + WSX_LOGIN_MAX : 0);
    if (o->deflate) {
        if (!(b->zmsg = bench_deflate_message(DEFLATE_MSG, &b->zmsg_len)))
            return -1;
        b->wcap += WS_FRAME_MAX_HEADER + b->zmsg_len;
    }
    size_t pool = o->size + 4 * VARIANTS;

    b->conns = calloc((size_t)o->conns, sizeof *b->conns);
    if (!b->conns)
        return -1;
    if (echo && !o->wsx) {
        b->plain = malloc(pool);
        if (!b->plain)
            return -1;
        for (size_t i = 0; i < pool; i++) {
            uint64_t r = rng_next(b);
            /* text: printable ASCII (space to '~'); binary: any byte */
            b->plain[i] = o->binary ? (uint8_t)(r >> 32) : (uint8_t)(' ' + (r >> 32) % 95);
        }
    }
    for (int i = 0; i < o->conns; i++) {
        conn_t *c = &b->conns[i];
        c->b = b;
        c->io.fd = -1;
        c->rbuf = malloc(b->rcap);
        c->wbuf = malloc(b->wcap);
        if (!c->rbuf || !c->wbuf)
            return -1;
        uint32_t m = (uint32_t)rng_next(b);
        memcpy(c->mask, &m, 4);
        c->hdr_len = ws_frame_encode_header(c->hdr, 1, o->binary ? WS_OP_BINARY : WS_OP_TEXT,
                                            b->msg_size, c->mask);
        if (echo && o->wsx) {
            /* filled at login, when the token is known */
            c->tmpl = malloc(b->msg_size + 1);
            c->masked = malloc(b->msg_size);
            c->ring = malloc((size_t)o->pipeline * sizeof *c->ring);
            if (!c->tmpl || !c->masked || !c->ring)
                return -1;
        } else if (echo) {
            c->masked = malloc(pool);
            c->ring = malloc((size_t)o->pipeline * sizeof *c->ring);
            if (!c->masked || !c->ring)
                return -1;
            memcpy(c->masked, b->plain, pool);
            ws_frame_unmask(c->masked, pool, c->mask, 0);
        }
    }
    return 0;
}

static void free_all(bench_t *b)
{
    if (b->conns)
        for (int i = 0; i < b->o->conns; i++) {
            free(b->conns[i].rbuf);
            free(b->conns[i].wbuf);
            free(b->conns[i].masked);
            free(b->conns[i].ring);
            free(b->conns[i].tmpl);
        }
    free(b->text);
    for (int i = 0; b->conns && i < b->o->conns; i++)
        if (b->conns[i].tls)
            tls_free(b->conns[i].tls);
    tls_ctx_free(b->tls);
    free(b->conns);
    free(b->plain);
    free(b->request);
    free(b->zmsg);
    if (b->loop)
        ev_loop_free(b->loop);
}

int bench_main(int argc, char **argv)
{
    opts_t o;
    int rc = parse_opts(argc, argv, &o);
    if (rc == HELP_SHOWN)
        return 0;
    if (rc)
        return rc;
    if (raise_nofile(o.conns + 32) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);

    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int gai = getaddrinfo(o.host, o.port, &hints, &ai);
    if (gai) {
        fprintf(stderr, "wsx bench: cannot resolve %s: %s\n", o.host, gai_strerror(gai));
        return 1;
    }

    bench_t *b = calloc(1, sizeof *b);
    if (!b) {
        freeaddrinfo(ai);
        fprintf(stderr, "wsx bench: out of memory\n");
        return 1;
    }
    b->o = &o;
    memcpy(&b->addr, ai->ai_addr, ai->ai_addrlen);
    b->addrlen = ai->ai_addrlen;
    freeaddrinfo(ai);
    if ((rc = parse_sources(b)) != 0) {
        free(b);
        return rc;
    }
    if (getrandom(&b->rng, sizeof b->rng, 0) != sizeof b->rng || !b->rng)
        b->rng = now_ns() | 1;

    if (o.tls) {
        char terr[300];
        if (!(b->tls = tls_client_ctx(o.cacert, terr, sizeof terr))) {
            fprintf(stderr, "wsx bench: %s\n", terr);
            free(b);
            return 1;
        }
    }
    b->loop = ev_loop_new();
    if (!b->loop || build_request(b) < 0 || alloc_conns(b) < 0) {
        fprintf(stderr, "wsx bench: out of memory for %d connections\n", o.conns);
        free_all(b);
        free(b);
        return 1;
    }
    if (o.mode == MODE_HOLD && o.server_pid)
        b->srv_before = proc_read(o.server_pid);
    b->phase = PH_CONNECT;
    pump_cb(b->loop, &b->pump);
    ev_timer_start(b->loop, &b->tick, TICK_MS, on_tick);
    if (ev_loop_run(b->loop) < 0)
        fprintf(stderr, "wsx bench: the event loop failed: %s\n", strerror(errno));

    if (b->upgrades == 0) {
        fprintf(stderr, "wsx bench: cannot reach %s: %s\n", o.url,
                b->first_error[0] ? b->first_error : "no connection was upgraded");
        rc = 1;
    } else {
        if (!b->t_end) /* ended early: report what there is */
            end_measure(b, now_ns());
        report(b);
        rc = b->exit_code;
    }
    fflush(stdout);
    free_all(b);
    free(b);
    return rc;
}
