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

static void vlog(log_level_t level, const char *fmt, va_list ap)
{
    if (!log_enabled(level))
        return;
    char msg[1024], quoted[2 * sizeof msg + 8], ts[32];
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
    int n = vsnprintf(msg, sizeof msg, fmt, ap);
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof msg)
        n = sizeof msg - 1;
    log_escape(quoted, sizeof quoted, msg, (unsigned long)n);
    fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"\n", ts, (long)(tv.tv_usec / 1000),
            names[level], quoted);
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
