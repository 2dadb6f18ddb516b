/* test_admin_ratelimit.c - the login rate limit's arithmetic: five free failures,
 * then a doubling delay capped at a minute; per address; reset by a success or an
 * hour without failures. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "admin/admin_ratelimit.h"

Test(admin_ratelimit, delay_is_free_for_five_then_doubles_up_to_a_minute)
{
    /* after the 5th failure the 6th attempt waits 1 s, after the 6th 2 s, ... */
    unsigned long long want[] = {0, 0, 0, 0, 0, 1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000};
    for (unsigned f = 0; f < sizeof want / sizeof want[0]; f++)
        cr_assert_eq(admin_ratelimit_delay_ms(f), want[f], "after %u failures", f);
    cr_assert_eq(admin_ratelimit_delay_ms(1000), 60000);
    cr_assert_eq(admin_ratelimit_delay_ms(~0u), 60000);
}

Test(admin_ratelimit, the_sixth_attempt_waits_and_each_failure_after_waits_longer)
{
    admin_ratelimit_t *rl = admin_ratelimit_new();
    uint64_t t = 1000000;
    for (int i = 0; i < 5; i++) {
        cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 0, "attempt %d is free", i + 1);
        admin_ratelimit_failed(rl, "10.0.0.1", t);
    }
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 1000);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t + 400), 600);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.2", t), 0, "another address is not held");
    t += 1000;
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 0, "the window is over");
    admin_ratelimit_failed(rl, "10.0.0.1", t);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 2000);
    t += 2000;
    admin_ratelimit_failed(rl, "10.0.0.1", t);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 4000);
    admin_ratelimit_succeeded(rl, "10.0.0.1");
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 0, "a success resets");
    admin_ratelimit_failed(rl, "10.0.0.1", t);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "10.0.0.1", t), 0, "and counts from zero again");
    admin_ratelimit_free(rl);
}

Test(admin_ratelimit, an_hour_without_failures_forgets_them)
{
    admin_ratelimit_t *rl = admin_ratelimit_new();
    for (int i = 0; i < 9; i++)
        admin_ratelimit_failed(rl, "::1", 0);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "::1", 0), 16000);
    admin_ratelimit_failed(rl, "::1", ADMIN_RL_FORGET_MS);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "::1", ADMIN_RL_FORGET_MS), 0,
                 "a failure an hour later is the first again");
    admin_ratelimit_free(rl);
}

Test(admin_ratelimit, a_full_table_still_holds_the_latest_attacker)
{
    admin_ratelimit_t *rl = admin_ratelimit_new();
    char addr[32];
    for (int i = 0; i < ADMIN_RL_SLOTS + 10; i++) {
        snprintf(addr, sizeof addr, "10.1.%d.%d", i / 256, i % 256);
        admin_ratelimit_failed(rl, addr, (uint64_t)i);
    }
    for (int i = 0; i < 6; i++)
        admin_ratelimit_failed(rl, "192.0.2.1", 5000);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "192.0.2.1", 5000), 2000);
    admin_ratelimit_free(rl);
}

Test(admin_ratelimit, an_unknown_address_is_limited_like_any_other)
{
    admin_ratelimit_t *rl = admin_ratelimit_new();
    for (int i = 0; i < 5; i++)
        admin_ratelimit_failed(rl, "", 0);
    cr_assert_eq(admin_ratelimit_wait_ms(rl, "", 0), 1000);
    admin_ratelimit_free(rl);
}
