/* log.h - one event per line on stderr, in key=value form:
 *   ts=2026-01-02T03:04:05.678Z level=info msg="channel \"demo\" listening"
 * The message is printf-formatted, then quoted (", \ and control characters
 * escaped), so a line never breaks and a parser splits it on key=. Thread-safe
 * (one fprintf per line). Events below the level set are dropped before any
 * formatting. Never pass a secret to these. */
#ifndef WSX_LOG_H
#define WSX_LOG_H

typedef enum { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR } log_level_t;

/* The lowest level written (default LOG_INFO). Set once at start-up, before the
 * threads that log. */
void log_set_level(log_level_t level);
/* Is an event at this level written? (To skip building costly arguments.) */
int log_enabled(log_level_t level);
/* "debug", "info", "warn" or "error": the level, or -1. */
int log_level_parse(const char *name);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One event carrying a payload, for traffic logs:
 *   ts=... level=info msg="MSG" FIELDS bytes=LEN data="..." [truncated=true]
 * fields: extra key=value pairs, already quoted by the caller ("" for none);
 * data: the first min(len, limit) bytes of the payload, escaped like msg (bytes
 * that are not printable ASCII as \xNN). No allocation: written in pieces under
 * one stderr lock. */
void log_data(log_level_t level, const char *msg, const char *fields, const void *data,
              unsigned long len, unsigned long limit);

/* Escape s[0..n) as a logfmt quoted value's inside into out (cap bytes, always
 * NUL-terminated, cut at a whole escape). Returns the length written. */
unsigned long log_escape(char *out, unsigned long cap, const char *s, unsigned long n);

#endif
