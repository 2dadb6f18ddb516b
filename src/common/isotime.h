/* isotime.h - wall-clock timestamps in the form the WSX protocol and the admin API
 * use: ISO 8601 UTC with microseconds and no zone, "2026-11-30T10:00:00.123456".
 * Cheap enough for every message: the date part is cached per thread per second. */
#ifndef WSX_ISOTIME_H
#define WSX_ISOTIME_H

#include <stdint.h>

#define ISOTIME_LEN 26 /* characters, without the NUL */

/* Microseconds since the epoch (CLOCK_REALTIME). */
int64_t isotime_now_us(void);

/* Format t_us (microseconds since the epoch) into out[ISOTIME_LEN + 1]. Returns
 * ISOTIME_LEN. Thread-safe. */
int isotime_format(int64_t t_us, char *out);

/* isotime_format(isotime_now_us(), out). */
int isotime_now(char *out);

#endif
