/* test_wsx_session.c - the pure parts of the session protocol: tokens and client
 * ids, message ids, and the arithmetic of the token TTL and the session's timer. */
#include <criterion/criterion.h>
#include <regex.h>
#include <string.h>

#include "../../../src/wsx/wsx_session.c"

static int matches(const char *s, const char *re)
{
    regex_t r;
    cr_assert_eq(regcomp(&r, re, REG_EXTENDED | REG_NOSUB), 0);
    int ok = regexec(&r, s, 0, NULL, 0) == 0;
    regfree(&r);
    return ok;
}

Test(session_ids, token_and_pub_client_id_formats)
{
    uint8_t rnd[28];
    for (int i = 0; i < 28; i++)
        rnd[i] = (uint8_t)(i * 37 + 5);
    char token[WSX_TOKEN_LEN + 1], pub[WSX_PUB_ID_LEN + 1];
    make_ids(rnd, token, pub);
    cr_assert(matches(token, "^zwsxt\\.[0-9a-f]{32}$"), "token %s", token);
    cr_assert(matches(pub, "^ws\\.[0-9a-f]{24}$"), "pub %s", pub);
    /* the hex is the bytes, in order: the first byte 0x05 */
    cr_assert_eq(strncmp(token + 6, "052a", 4), 0, "token %s", token);
    cr_assert_eq(strlen(token), WSX_TOKEN_LEN);
    cr_assert_eq(strlen(pub), WSX_PUB_ID_LEN);
}

Test(session_ids, tokens_from_the_csprng_differ)
{
    char a[WSX_TOKEN_LEN + 1], b[WSX_TOKEN_LEN + 1], pa[WSX_PUB_ID_LEN + 1], pb[WSX_PUB_ID_LEN + 1];
    uint8_t r1[28], r2[28];
    randombytes_buf(r1, sizeof r1);
    randombytes_buf(r2, sizeof r2);
    make_ids(r1, a, pa);
    make_ids(r2, b, pb);
    cr_assert_neq(strcmp(a, b), 0);
    cr_assert_neq(strcmp(pa, pb), 0);
}

Test(session_ids, message_ids_are_unique_and_well_formed)
{
    char prev[WSX_ID_LEN + 1] = "", id[WSX_ID_LEN + 1];
    for (int i = 0; i < 1000; i++) {
        wsx_session_new_id(id);
        cr_assert(matches(id, "^zwsx\\.[0-9a-f]{24}$"), "id %s", id);
        cr_assert_neq(strcmp(prev, id), 0);
        memcpy(prev, id, sizeof id);
    }
}

Test(session_ttl, the_timer_fires_at_the_first_deadline)
{
    cr_assert_eq(due_in(1000, 5000, 9000), 4000);  /* ping first */
    cr_assert_eq(due_in(1000, 9000, 3000), 2000);  /* token expiry first */
    cr_assert_eq(due_in(1000, 1000, 3000), 0);     /* due now */
    cr_assert_eq(due_in(5000, 1000, 3000), 0);     /* overdue: fire at once */
}

Test(session_ttl, expiry_extends_from_now_and_saturates)
{
    cr_assert_eq(expiry(1000, 3600 * 1000ull), 3601000);
    /* each invocation moves it to now + ttl, not old expiry + ttl */
    uint64_t e = expiry(1000, 2000);
    e = expiry(1500, 2000);
    cr_assert_eq(e, 3500);
    /* the largest TTL the API allows (2^31-1 s) cannot wrap */
    cr_assert_eq(expiry(UINT64_MAX - 10, 2147483647ull * 1000), UINT64_MAX);
    cr_assert_gt(expiry(123456789, 2147483647ull * 1000), 123456789);
}
