/* test_member.c - a server's state from its heartbeat: the boundaries of up,
 * missed heartbeats and down at 3 and 10 intervals, a graceful leave, and rows a
 * broken or skewed server could leave behind. */
#include <criterion/criterion.h>

#include "common/isotime.h"
#include "server/member.h"

#define S 1000000LL /* a second in microseconds */

static const int64_t now = 1796032800LL * S; /* 2026-11-30T10:00:00 */

/* The state of a server whose last heartbeat was age_us before now. */
static member_state_t aged(int64_t age_us, int interval)
{
    char beat[ISOTIME_LEN + 1];
    isotime_format(now - age_us, beat);
    return member_state(beat, NULL, now, interval);
}

Test(member, fresh_heartbeat_is_up)
{
    cr_assert_eq(aged(0, 2), MEMBER_UP);
    cr_assert_eq(aged(1 * S, 2), MEMBER_UP);
}

Test(member, boundaries_at_three_and_ten_intervals)
{
    cr_assert_eq(aged(6 * S, 2), MEMBER_UP, "3 x 2 s is still up");
    cr_assert_eq(aged(6 * S + 1, 2), MEMBER_MISSED);
    cr_assert_eq(aged(20 * S, 2), MEMBER_MISSED, "10 x 2 s is still missed heartbeats");
    cr_assert_eq(aged(20 * S + 1, 2), MEMBER_DOWN);
    cr_assert_eq(aged(3600 * S, 2), MEMBER_DOWN);
}

Test(member, interval_scales_the_boundaries)
{
    cr_assert_eq(aged(14 * S, 5), MEMBER_UP);
    cr_assert_eq(aged(16 * S, 5), MEMBER_MISSED);
    cr_assert_eq(aged(51 * S, 5), MEMBER_DOWN);
    cr_assert_eq(aged(7 * S, 0), MEMBER_MISSED, "an interval under 1 s means the default, 2 s");
}

Test(member, left_wins_over_a_fresh_heartbeat)
{
    char beat[ISOTIME_LEN + 1];
    isotime_format(now, beat);
    cr_assert_eq(member_state(beat, "2026-11-30T09:59:59.000000", now, 2), MEMBER_LEFT);
    cr_assert_eq(member_state(beat, "", now, 2), MEMBER_UP, "\"\" is no left_at");
}

Test(member, unreadable_heartbeat_is_down_future_one_is_up)
{
    cr_assert_eq(member_state(NULL, NULL, now, 2), MEMBER_DOWN);
    cr_assert_eq(member_state("yesterday", NULL, now, 2), MEMBER_DOWN);
    cr_assert_eq(aged(-30 * S, 2), MEMBER_UP, "a clock ahead of ours");
}

Test(member, names_and_liveness)
{
    cr_assert_str_eq(member_state_name(MEMBER_UP), "up");
    cr_assert_str_eq(member_state_name(MEMBER_MISSED), "missed heartbeats");
    cr_assert_str_eq(member_state_name(MEMBER_DOWN), "down");
    cr_assert_str_eq(member_state_name(MEMBER_LEFT), "left");
    cr_assert(member_is_live(MEMBER_UP));
    cr_assert(member_is_live(MEMBER_MISSED));
    cr_assert(!member_is_live(MEMBER_DOWN));
    cr_assert(!member_is_live(MEMBER_LEFT));
}
