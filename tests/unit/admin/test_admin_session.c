/* test_admin_session.c - the web admin's session table (ids, idle expiry, logout,
 * the end of a user's other sessions, CSRF tokens, a full table) and the Cookie
 * header parser. */
#include <criterion/criterion.h>

#include "admin/admin_session.h"

#define H (3600ULL * 1000)

static wsx_slice_t S(const char *s)
{
    return wsx_slice(s, strlen(s));
}

Test(admin_cookie, finds_the_named_cookie_among_others)
{
    const char *cases[][2] = {
        {"wsx_session=abc", "abc"},
        {"a=1; wsx_session=abc; b=2", "abc"},
        {"a=1;wsx_session=abc", "abc"},
        {"  wsx_session = abc  ;", "abc"},
        {"wsx_session=\"abc\"", "abc"},
        {"wsx_session=", ""},
        {"x_wsx_session=no; wsx_session=yes", "yes"},
        {"junk; wsx_session=yes", "yes"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wsx_slice_t v;
        cr_assert_eq(admin_cookie_find(S(cases[i][0]), "wsx_session", &v), 1, "%s", cases[i][0]);
        cr_assert(wsx_slice_eq(v, cases[i][1]), "%s: got %.*s", cases[i][0], (int)v.len, v.ptr);
    }
}

Test(admin_cookie, absent_or_only_similar_names_is_not_found)
{
    const char *cases[] = {"",
                           "a=1",
                           "wsx_sessionx=1",
                           "wsx_sessio=1",
                           "wsx_session",
                           "WSX_SESSION=1",
                           "a=wsx_session=1"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wsx_slice_t v;
        cr_assert_eq(admin_cookie_find(S(cases[i]), "wsx_session", &v), 0, "%s", cases[i]);
    }
}

Test(admin_session, a_created_session_is_found_by_its_cookie_only)
{
    admin_sessions_t *t = admin_sessions_new();
    char c1[ADMIN_SESSION_ID_LEN + 1], c2[ADMIN_SESSION_ID_LEN + 1];
    admin_session_t *a = admin_session_create(t, "admin", 1000, c1);
    admin_session_t *b = admin_session_create(t, "other", 1000, c2);
    cr_assert(a && b && a != b);
    cr_assert_eq(strlen(c1), ADMIN_SESSION_ID_LEN);
    cr_assert_str_neq(c1, c2);
    cr_assert_str_neq(a->csrf, b->csrf);
    cr_assert_str_neq(a->csrf, c1, "the CSRF token must not be the cookie");
    cr_assert_eq(admin_session_find(t, S(c1), 2000), a);
    cr_assert_eq(admin_session_find(t, S(c2), 2000), b);
    cr_assert_str_eq(admin_session_find(t, S(c1), 2000)->username, "admin");
    char wrong[ADMIN_SESSION_ID_LEN + 1];
    memcpy(wrong, c1, sizeof wrong);
    wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
    cr_assert_null(admin_session_find(t, S(wrong), 2000));
    cr_assert_null(admin_session_find(t, wsx_slice(c1, ADMIN_SESSION_ID_LEN - 1), 2000));
    cr_assert_null(admin_session_find(t, S(""), 2000));
    /* the table keeps a hash, not the id */
    cr_assert_null(memmem(a, sizeof *a, c1, ADMIN_SESSION_ID_LEN));
    admin_sessions_free(t);
}

Test(admin_session, ends_after_8_hours_idle_and_each_use_extends_it)
{
    admin_sessions_t *t = admin_sessions_new();
    char c[ADMIN_SESSION_ID_LEN + 1];
    admin_session_create(t, "admin", 0, c);
    cr_assert_not_null(admin_session_find(t, S(c), 3 * H));
    cr_assert_not_null(admin_session_find(t, S(c), 10 * H), "used at 3 h: still live at 10 h");
    cr_assert_null(admin_session_find(t, S(c), 18 * H), "8 h idle: ended");
    cr_assert_null(admin_session_find(t, S(c), 18 * H + 1), "and stays ended");
    admin_sessions_free(t);
}

Test(admin_session, ends_12_hours_after_login_however_much_it_is_used)
{
    admin_sessions_t *t = admin_sessions_new();
    char c[ADMIN_SESSION_ID_LEN + 1];
    admin_session_create(t, "admin", 0, c);
    for (uint64_t at = H; at < 12 * H; at += H) /* a page polling all day */
        cr_assert_not_null(admin_session_find(t, S(c), at), "live at %llu h",
                           (unsigned long long)(at / H));
    cr_assert_null(admin_session_find(t, S(c), 12 * H), "12 h after login: ended");
    admin_sessions_free(t);
}

Test(admin_session, logout_ends_one_session)
{
    admin_sessions_t *t = admin_sessions_new();
    char c1[ADMIN_SESSION_ID_LEN + 1], c2[ADMIN_SESSION_ID_LEN + 1];
    admin_session_t *a = admin_session_create(t, "admin", 0, c1);
    admin_session_create(t, "admin", 0, c2);
    admin_session_end(t, a);
    cr_assert_null(admin_session_find(t, S(c1), 1));
    cr_assert_not_null(admin_session_find(t, S(c2), 1));
    admin_sessions_free(t);
}

Test(admin_session, a_password_change_ends_the_users_other_sessions)
{
    admin_sessions_t *t = admin_sessions_new();
    char mine[ADMIN_SESSION_ID_LEN + 1], other[ADMIN_SESSION_ID_LEN + 1],
        someone[ADMIN_SESSION_ID_LEN + 1];
    admin_session_t *keep = admin_session_create(t, "admin", 0, mine);
    admin_session_create(t, "admin", 0, other);
    admin_session_create(t, "ops", 0, someone);
    cr_assert_eq(admin_session_end_user(t, "admin", keep), 1);
    cr_assert_eq(admin_session_find(t, S(mine), 1), keep);
    cr_assert_null(admin_session_find(t, S(other), 1));
    cr_assert_not_null(admin_session_find(t, S(someone), 1));
    admin_sessions_free(t);
}

Test(admin_session, csrf_token_must_match_exactly)
{
    admin_sessions_t *t = admin_sessions_new();
    char c[ADMIN_SESSION_ID_LEN + 1];
    admin_session_t *s = admin_session_create(t, "admin", 0, c);
    wsx_slice_t good = S(s->csrf);
    cr_assert(admin_session_csrf_ok(s, &good));
    cr_assert_not(admin_session_csrf_ok(s, NULL));
    wsx_slice_t empty = S("");
    cr_assert_not(admin_session_csrf_ok(s, &empty));
    wsx_slice_t cookie = S(c);
    cr_assert_not(admin_session_csrf_ok(s, &cookie));
    wsx_slice_t shorter = wsx_slice(s->csrf, ADMIN_SESSION_ID_LEN - 1);
    cr_assert_not(admin_session_csrf_ok(s, &shorter));
    admin_sessions_free(t);
}

Test(admin_session, a_full_table_drops_the_least_recently_used)
{
    admin_sessions_t *t = admin_sessions_new();
    static char cookies[ADMIN_SESSIONS_MAX][ADMIN_SESSION_ID_LEN + 1];
    for (size_t i = 0; i < ADMIN_SESSIONS_MAX; i++)
        cr_assert_not_null(admin_session_create(t, "admin", 10 + i, cookies[i]));
    admin_session_find(t, S(cookies[0]), 5000); /* the oldest is used again */
    char extra[ADMIN_SESSION_ID_LEN + 1];
    cr_assert_not_null(admin_session_create(t, "admin", 6000, extra));
    cr_assert_not_null(admin_session_find(t, S(extra), 6001));
    cr_assert_not_null(admin_session_find(t, S(cookies[0]), 6001));
    cr_assert_null(admin_session_find(t, S(cookies[1]), 6001), "the least recently used goes");
    cr_assert_not_null(admin_session_find(t, S(cookies[2]), 6001));
    admin_sessions_free(t);
}

Test(admin_session, a_too_long_username_is_refused)
{
    admin_sessions_t *t = admin_sessions_new();
    char name[ADMIN_USERNAME_MAX + 2];
    memset(name, 'u', sizeof name - 1);
    name[sizeof name - 1] = 0;
    char c[ADMIN_SESSION_ID_LEN + 1];
    cr_assert_null(admin_session_create(t, name, 0, c));
    name[ADMIN_USERNAME_MAX] = 0;
    cr_assert_not_null(admin_session_create(t, name, 0, c));
    admin_sessions_free(t);
}
