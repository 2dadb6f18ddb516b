/* isotime.h - wall-clock timestamps in the form the WSX protocol and the admin API
 * use: ISO 8601 UTC with microseconds and no zone, "2026-11-30T10:00:00.123456".
 * Cheap enough for every message: the date part is cached per thread per second. */
#ifndef WSX_ISOTIME_H
#define WSX_ISOTIME_H

#include <stddef.h>
#include <stdint.h>

#define ISOTIME_LEN 26 /* characters, without the NUL */

/* Microseconds since the epoch (CLOCK_REALTIME). */
int64_t isotime_now_us(void);

/* Format t_us (microseconds since the epoch) into out[ISOTIME_LEN + 1]. Returns
 * ISOTIME_LEN. Thread-safe. */
int isotime_format(int64_t t_us, char *out);

/* isotime_format(isotime_now_us(), out). */
int isotime_now(char *out);

/* Parse "YYYY-MM-DDTHH:MM:SS" with an optional fraction of 1 to 6 digits and an
 * optional "Z" (UTC either way), the form isotime_format writes, from s[0..len).
 * Returns 0 with *t_us set (microseconds since the epoch), or WSX_EINVAL for
 * anything else (a field out of range included). Pure; thread-safe. */
int isotime_parse(const char *s, size_t len, int64_t *t_us);

#endif
