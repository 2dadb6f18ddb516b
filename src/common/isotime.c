/* isotime.c - ISO 8601 timestamps with microseconds (see isotime.h). */
#include <string.h>
#include <time.h>

#include "common/isotime.h"

int64_t isotime_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* the last second formatted on this thread: gmtime_r and strftime once a second */
static __thread int64_t t_sec = -1;
static __thread char t_head[20]; /* "YYYY-MM-DDTHH:MM:SS" */

int isotime_format(int64_t t_us, char *out)
{
    int64_t sec = t_us / 1000000, us = t_us % 1000000;
    if (us < 0) {
        us += 1000000;
        sec--;
    }
    if (sec != t_sec) {
        time_t tt = (time_t)sec;
        struct tm tm;
        gmtime_r(&tt, &tm);
        strftime(t_head, sizeof t_head, "%Y-%m-%dT%H:%M:%S", &tm);
        t_sec = sec;
    }
    memcpy(out, t_head, 19);
    out[19] = '.';
    for (int i = 25; i >= 20; i--) {
        out[i] = (char)('0' + us % 10);
        us /= 10;
    }
    out[ISOTIME_LEN] = 0;
    return ISOTIME_LEN;
}

int isotime_now(char *out)
{
    return isotime_format(isotime_now_us(), out);
}
