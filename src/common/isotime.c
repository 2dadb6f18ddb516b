/* isotime.c - ISO 8601 timestamps with microseconds (see isotime.h). */
#include <string.h>
#include <time.h>

#include "common/err.h"
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

/* n decimal digits at s as a number; -1 if one is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard
 * Hinnant's days_from_civil): no timegm, whose TZ and range vary by libc. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int isotime_parse(const char *s, size_t len, int64_t *t_us)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    if (len < 19)
        return WSX_EINVAL;
    for (size_t i = 0; i < 19; i++)
        if (shape[i] != 'd' && s[i] != shape[i])
            return WSX_EINVAL;
    int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
    int h = digits(s + 11, 2), mi = digits(s + 14, 2), se = digits(s + 17, 2);
    if (y < 0 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59 || se < 0 ||
        se > 59)
        return WSX_EINVAL;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
        return WSX_EINVAL;
    size_t i = 19;
    int64_t us = 0;
    if (i < len && s[i] == '.') {
        size_t n = 0;
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++, n++)
            us = us * 10 + (s[i] - '0');
        if (n < 1 || n > 6)
            return WSX_EINVAL;
        for (; n < 6; n++)
            us *= 10;
    }
    if (i < len && s[i] == 'Z')
        i++;
    if (i != len)
        return WSX_EINVAL;
    int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    *t_us = secs * 1000000 + us;
    return 0;
}
