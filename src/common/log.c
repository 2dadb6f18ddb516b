/* log.c - key=value lines on stderr: ts, level, and the message quoted. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "common/log.h"

static int g_level = LOG_INFO;

void log_set_level(log_level_t level)
{
    __atomic_store_n(&g_level, (int)level, __ATOMIC_RELAXED);
}

int log_enabled(log_level_t level)
{
    return (int)level >= __atomic_load_n(&g_level, __ATOMIC_RELAXED);
}

static const char *const names[] = {"debug", "info", "warn", "error"};

int log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

unsigned long log_escape(char *out, unsigned long cap, const char *s, unsigned long n)
{
    unsigned long o = 0;
    if (!cap)
        return 0;
    for (unsigned long i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        char e[5];
        unsigned long k;
        if (ch == '"' || ch == '\\') {
            e[0] = '\\', e[1] = (char)ch, k = 2;
        } else if (ch == '\n') {
            e[0] = '\\', e[1] = 'n', k = 2;
        } else if (ch == '\t') {
            e[0] = '\\', e[1] = 't', k = 2;
        } else if (ch < 0x20 || ch == 0x7f) {
            snprintf(e, sizeof e, "\\x%02x", ch);
            k = 4;
        } else {
            e[0] = (char)ch, k = 1;
        }
        if (o + k >= cap)
            break;
        memcpy(out + o, e, k);
        o += k;
    }
    out[o] = 0;
    return o;
}

/* Like log_escape, for payloads: every byte outside printable ASCII as \xNN, so
 * a binary or non-UTF-8 message cannot break the line or its encoding. */
static unsigned long escape_bytes(char *out, unsigned long cap, const unsigned char *s,
                                  unsigned long n, unsigned long *used)
{
    unsigned long o = 0, i;
    for (i = 0; i < n; i++) {
        unsigned char ch = s[i];
        if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
            if (o + 1 >= cap)
                break;
            out[o++] = (char)ch;
        } else if (ch == '"' || ch == '\\') {
            if (o + 2 >= cap)
                break;
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else {
            if (o + 4 >= cap)
                break;
            snprintf(out + o, 5, "\\x%02x", ch);
            o += 4;
        }
    }
    out[o] = 0;
    *used = i;
    return o;
}

static void timestamp(char *ts, size_t cap)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(ts, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + n, cap - n, ".%03ldZ", (long)(tv.tv_usec / 1000));
}

void log_data(log_level_t level, const char *msg, const char *fields, const void *data,
              unsigned long len, unsigned long limit)
{
    if (!log_enabled(level))
        return;
    char ts[40], chunk[4096];
    timestamp(ts, sizeof ts);
    unsigned long shown = len < limit ? len : limit;
    flockfile(stderr);
    log_escape(chunk, sizeof chunk, msg, strlen(msg));
    fprintf(stderr, "ts=%s level=%s msg=\"%s\"%s%s bytes=%lu data=\"", ts, names[level], chunk,
            fields && *fields ? " " : "", fields ? fields : "", len);
    const unsigned char *p = data;
    while (shown) {
        unsigned long used;
        escape_bytes(chunk, sizeof chunk, p, shown, &used);
        fputs(chunk, stderr);
        p += used;
        shown -= used;
    }
    fputs(len > limit ? "\" truncated=true\n" : "\"\n", stderr);
    funlockfile(stderr);
}

static void vlog(log_level_t level, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char msg[1024], quoted[2 * sizeof msg + 8], ts[40];
    timestamp(ts, sizeof ts);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    log_escape(quoted, sizeof quoted, msg, (unsigned long)n);
    fprintf(stderr, "ts=%s level=%s msg=\"%s\"\n", ts, names[level], quoted);
}

#define LOGFN(name, level)                                                                         \
    void name(const char *fmt, ...)                                                                \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, fmt);                                                                         \
        vlog(level, fmt, ap);                                                                      \
        va_end(ap);                                                                                \
    }

LOGFN(log_debug, LOG_DEBUG)
LOGFN(log_info, LOG_INFO)
LOGFN(log_warn, LOG_WARN)
LOGFN(log_error, LOG_ERROR)
