/* test_isotime.c - reading back the timestamps wsx writes: the round trip through
 * isotime_format, the calendar's edges, and the strings a row must never be
 * mistaken for. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/err.h"
#include "common/isotime.h"

static int parse(const char *s, int64_t *t)
{
    return isotime_parse(s, strlen(s), t);
}

Test(isotime_parse, epoch_and_known_instant)
{
    int64_t t = -1;
    cr_assert_eq(parse("1970-01-01T00:00:00.000000", &t), 0);
    cr_assert_eq(t, 0);
    /* date -u -d 2026-11-30T10:00:00 +%s = 1796032800 */
    cr_assert_eq(parse("2026-11-30T10:00:00.123456", &t), 0);
    cr_assert_eq(t, 1796032800LL * 1000000 + 123456);
}

Test(isotime_parse, round_trip_of_format)
{
    char buf[ISOTIME_LEN + 1];
    int64_t samples[] = {0,
                         1,
                         999999,
                         951782400000000LL /* 2000-02-29 */,
                         1709164800123456LL /* 2024-02-29 */,
                         4102444799999999LL};
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        int64_t t = -1;
        isotime_format(samples[i], buf);
        cr_assert_eq(parse(buf, &t), 0, "%s", buf);
        cr_assert_eq(t, samples[i], "%s read back as %lld", buf, (long long)t);
    }
}

Test(isotime_parse, short_fraction_zulu_and_no_fraction)
{
    int64_t t;
    cr_assert_eq(parse("1970-01-01T00:00:01.5", &t), 0);
    cr_assert_eq(t, 1500000);
    cr_assert_eq(parse("1970-01-01T00:00:01Z", &t), 0);
    cr_assert_eq(t, 1000000);
    cr_assert_eq(parse("1970-01-02T00:00:00", &t), 0);
    cr_assert_eq(t, 86400LL * 1000000);
}

Test(isotime_parse, refused)
{
    const char *bad[] = {"",
                         "2026-11-30",
                         "2026-11-30 10:00:00",         /* a space, not T */
                         "2026-13-01T00:00:00",         /* month */
                         "2026-02-29T00:00:00",         /* not a leap year */
                         "1900-02-29T00:00:00",         /* neither */
                         "2026-04-31T00:00:00",         /* April has 30 */
                         "2026-11-30T24:00:00",         /* hour */
                         "2026-11-30T10:60:00",         /* minute */
                         "2026-11-30T10:00:00.",        /* empty fraction */
                         "2026-11-30T10:00:00.1234567", /* 7 digits */
                         "2026-11-30T10:00:00+01:00",   /* another zone */
                         "2026-11-30T10:00:00Zjunk",
                         "2O26-11-30T10:00:00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 42;
        cr_assert_eq(parse(bad[i], &t), WSX_EINVAL, "\"%s\" should be refused", bad[i]);
        cr_assert_eq(t, 42, "\"%s\": output written on failure", bad[i]);
    }
}

Test(isotime_parse, reads_only_len_bytes)
{
    int64_t t;
    const char *s = "1970-01-01T00:00:02.000000 and more";
    cr_assert_eq(isotime_parse(s, 26, &t), 0);
    cr_assert_eq(t, 2000000);
}
