/* log.h - one line per event on stderr: time, level, message. Thread-safe (one
 * fprintf per line). Never pass a secret to these. */
#ifndef WSX_LOG_H
#define WSX_LOG_H

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
