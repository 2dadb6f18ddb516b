/* test_log.c - the log's line format (ts=, level=, msg="..." with escapes, one
 * line per event whatever the message holds) and the level filter. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

/* Run fn with stderr sent to a temporary file; return what it wrote. */
static char captured[8192];
static const char *capture(void (*fn)(void))
{
    fflush(stderr);
    int saved = dup(2);
    FILE *tmp = tmpfile();
    cr_assert_not_null(tmp);
    dup2(fileno(tmp), 2);
    fn();
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    size_t n = fread(captured, 1, sizeof captured - 1, tmp);
    captured[n] = 0;
    fclose(tmp);
    return captured;
}

static void one_info(void)
{
    log_info("channel \"%s\" on %s\nsecond line\\", "demo", "ws://x");
}

Test(log, key_value_line_with_the_message_quoted)
{
    log_set_level(LOG_INFO);
    const char *out = capture(one_info);
    cr_assert(strncmp(out, "ts=", 3) == 0, "%s", out);
    cr_assert_eq(out[3 + 23], 'Z', "%s", out); /* 2026-01-02T03:04:05.678Z */
    const char *rest = strstr(out, " level=info msg=\"channel \\\"demo\\\" on ws://x\\nsecond "
                                   "line\\\\\"\n");
    cr_assert_not_null(rest, "%s", out);
    cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "one line: %s", out);
}

static void all_levels(void)
{
    log_debug("d-event");
    log_info("i-event");
    log_warn("w-event");
    log_error("e-event");
}

Test(log, level_filter)
{
    log_set_level(LOG_WARN);
    const char *out = capture(all_levels);
    cr_assert_null(strstr(out, "d-event"));
    cr_assert_null(strstr(out, "i-event"));
    cr_assert_not_null(strstr(out, "level=warn msg=\"w-event\""), "%s", out);
    cr_assert_not_null(strstr(out, "level=error msg=\"e-event\""), "%s", out);
    log_set_level(LOG_DEBUG);
    out = capture(all_levels);
    cr_assert_not_null(strstr(out, "level=debug msg=\"d-event\""), "%s", out);
    log_set_level(LOG_INFO);
    cr_assert(!log_enabled(LOG_DEBUG));
    cr_assert(log_enabled(LOG_INFO));
}

Test(log, level_names)
{
    cr_assert_eq(log_level_parse("debug"), LOG_DEBUG);
    cr_assert_eq(log_level_parse("info"), LOG_INFO);
    cr_assert_eq(log_level_parse("warn"), LOG_WARN);
    cr_assert_eq(log_level_parse("error"), LOG_ERROR);
    cr_assert_eq(log_level_parse("INFO"), -1);
    cr_assert_eq(log_level_parse("warning"), -1);
    cr_assert_eq(log_level_parse(""), -1);
}

Test(log, escape_control_bytes_and_cut_at_a_whole_escape)
{
    char out[64];
    cr_assert_eq(log_escape(out, sizeof out, "a\x01\tb\x7f", 5), 12);
    cr_assert_str_eq(out, "a\\x01\\tb\\x7f");
    /* room for 'a' and not all of \" : the escape is left out whole */
    cr_assert_eq(log_escape(out, 3, "a\"b", 3), 1);
    cr_assert_str_eq(out, "a");
}

static void traffic(void)
{
    log_data(LOG_INFO, "message", "channel=\"c\" dir=in", "ab\"\x00\xff" "cdef", 9, 5);
    log_data(LOG_INFO, "message", "", "xy", 2, 16);
    log_data(LOG_DEBUG, "hidden", "", "zz", 2, 16);
}

Test(log, data_cut_to_the_limit_and_escaped_byte_by_byte)
{
    log_set_level(LOG_INFO);
    const char *out = capture(traffic);
    cr_assert_not_null(strstr(out, " level=info msg=\"message\" channel=\"c\" dir=in bytes=9 "
                                   "data=\"ab\\\"\\x00\\xff\" truncated=true\n"),
                       "%s", out);
    cr_assert_not_null(strstr(out, " level=info msg=\"message\" bytes=2 data=\"xy\"\n"), "%s", out);
    cr_assert_null(strstr(out, "hidden"), "%s", out);
}
