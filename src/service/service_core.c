/* service_core.c - the wsx_core_t table handed to services, and the per-thread
 * buffers their output is written into. One buffer per nesting depth (the gateway
 * calls a service from inside a call), kept across calls so a warm thread writes a
 * reply without allocating; a buffer that grew past SHRINK_ABOVE is given back at
 * the next call, so one huge reply does not pin memory on every worker. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/err.h"
#include "common/log.h"
#include "service/service_internal.h"
#include "wsx/wsx_conns.h"

#define SHRINK_ABOVE (1u << 20)
#define OUTPUT_MAX ((size_t)1 << 30) /* a channel's max_message_size is at most 1 GiB */

typedef struct outbuf {
    uint8_t *p;
    size_t len, cap;
} outbuf_t;

static __thread outbuf_t *t_bufs; /* [SERVICE_MAX_DEPTH], allocated on first use */
static __thread const char *t_service;
static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

/* A thread's buffers are freed when it exits (the key's destructor). */
static void free_bufs(void *arg)
{
    outbuf_t *b = arg;
    for (int i = 0; i < SERVICE_MAX_DEPTH; i++)
        free(b[i].p);
    free(b);
}

static void make_key(void)
{
    pthread_key_create(&g_key, free_bufs);
}

static outbuf_t *thread_bufs(void)
{
    if (t_bufs)
        return t_bufs;
    pthread_once(&g_once, make_key);
    t_bufs = calloc(SERVICE_MAX_DEPTH, sizeof *t_bufs);
    if (t_bufs)
        pthread_setspecific(g_key, t_bufs);
    return t_bufs;
}

void service_core_reply_begin(wsx_reply_t *reply, unsigned depth)
{
    reply->status = 200;
    reply->output = NULL;
    reply->output_len = 0;
    reply->error_message[0] = 0;
    reply->internal = NULL;
    outbuf_t *bufs = depth < SERVICE_MAX_DEPTH ? thread_bufs() : NULL;
    if (!bufs)
        return; /* reply_write will say ENOMEM */
    outbuf_t *b = &bufs[depth];
    if (b->cap > SHRINK_ABOVE) {
        free(b->p);
        b->p = NULL;
        b->cap = 0;
    }
    b->len = 0;
    reply->internal = b;
}

static int buf_reserve(outbuf_t *b, size_t need)
{
    if (need <= b->cap)
        return 0;
    if (need > OUTPUT_MAX)
        return WSX_ETOOBIG;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < need)
        cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p)
        return WSX_ENOMEM;
    b->p = p;
    b->cap = cap;
    return 0;
}

static int in_buf(const outbuf_t *b, const void *p)
{
    return b->p && (const uint8_t *)p >= b->p && (const uint8_t *)p < b->p + b->cap;
}

static int core_reply_write(wsx_reply_t *reply, const void *data, size_t len)
{
    if (!reply || (!data && len))
        return WSX_SERVICE_EINVAL;
    outbuf_t *b = reply->internal;
    if (!b)
        return WSX_SERVICE_ENOMEM;
    /* output the service pointed at itself comes first: "append" means append to
     * whatever the reply holds */
    if (reply->output != b->p || reply->output_len != b->len) {
        const uint8_t *old = reply->output;
        size_t old_len = old ? reply->output_len : 0;
        if (old_len && in_buf(b, old)) { /* a slice of our own buffer: move it down */
            memmove(b->p, old, old_len);
        } else if (old_len) {
            if (buf_reserve(b, old_len) < 0)
                return WSX_SERVICE_ENOMEM;
            memcpy(b->p, old, old_len);
        }
        b->len = old_len;
    }
    if (len) {
        /* data may point into the buffer, which realloc can move */
        size_t off = in_buf(b, data) ? (size_t)((const uint8_t *)data - b->p) : SIZE_MAX;
        if (len > OUTPUT_MAX - b->len || buf_reserve(b, b->len + len) < 0)
            return WSX_SERVICE_ENOMEM;
        memcpy(b->p + b->len, off == SIZE_MAX ? data : b->p + off, len);
        b->len += len;
    }
    reply->output = b->p;
    reply->output_len = b->len;
    return 0;
}

int service_core_reply_keep(wsx_reply_t *reply, const uint8_t *input, size_t input_len)
{
    if (!reply->output || !reply->output_len) {
        reply->output = NULL;
        reply->output_len = 0;
        return 0;
    }
    outbuf_t *b = reply->internal;
    if (b && reply->output == b->p && reply->output_len == b->len)
        return 0;
    const uint8_t *o = reply->output;
    if (input && o >= input && reply->output_len <= input_len &&
        (size_t)(o - input) <= input_len - reply->output_len)
        return 0; /* a slice of the input: zero copy (demo.echo) */
    return core_reply_write(reply, NULL, 0) < 0 ? WSX_ENOMEM : 0;
}

/* Cut a message to fit cap bytes without splitting a UTF-8 sequence. */
static void copy_text(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap) {
        n = cap - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = 0;
}

static void core_reply_error(wsx_reply_t *reply, int status, const char *message)
{
    if (!reply)
        return;
    reply->status = status;
    reply->output = NULL;
    reply->output_len = 0;
    copy_text(reply->error_message, sizeof reply->error_message, message ? message : "");
}

static int map_err(int rc)
{
    switch (rc) {
    case 0:
        return 0;
    case WSX_ENOTFOUND:
        return WSX_SERVICE_ENOTFOUND;
    case WSX_ENOMEM:
        return WSX_SERVICE_ENOMEM;
    default:
        return WSX_SERVICE_EINVAL;
    }
}

static int core_push(const char *pub_client_id, const char *json, size_t len)
{
    if (!pub_client_id || !json)
        return WSX_SERVICE_EINVAL;
    return map_err(wsx_conns_push(pub_client_id, json, len));
}

static int core_broadcast(int64_t channel_id, const char *json, size_t len)
{
    if (!json)
        return WSX_SERVICE_EINVAL;
    return map_err(wsx_conns_broadcast(channel_id, json, len, NULL));
}

static int core_disconnect(const char *pub_client_id, int code, const char *reason)
{
    /* codes a server may send: 1000, 1001, 1008, 1011 and the application's 4000-4999 */
    if (!pub_client_id || !(code == 1000 || code == 1001 || code == 1008 || code == 1011 ||
                            (code >= 4000 && code <= 4999)))
        return WSX_SERVICE_EINVAL;
    return map_err(wsx_conns_disconnect(pub_client_id, (uint16_t)code, reason ? reason : ""));
}

const char *service_core_enter(const char *name)
{
    const char *prev = t_service;
    t_service = name;
    return prev;
}

static void core_log(int level, const char *message)
{
    /* one event, one line: a plugin's newlines would forge the next log line */
    char line[900];
    copy_text(line, sizeof line, message ? message : "");
    for (char *p = line; *p; p++)
        if ((unsigned char)*p < 0x20)
            *p = ' ';
    const char *who = t_service ? t_service : "?";
    if (level >= 3)
        log_error("service %s: %s", who, line);
    else if (level == 2)
        log_warn("service %s: %s", who, line);
    else
        log_info("service %s: %s", who, line);
}

static void core_now_iso(char *buf, size_t cap)
{
    if (!buf || !cap)
        return;
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000);
}

static const wsx_core_t g_core = {
    .abi_version = WSX_SERVICE_ABI_VERSION,
    .reply_write = core_reply_write,
    .reply_error = core_reply_error,
    .push = core_push,
    .broadcast = core_broadcast,
    .disconnect = core_disconnect,
    .log = core_log,
    .now_iso = core_now_iso,
};

const wsx_core_t *service_core(void)
{
    return &g_core;
}
