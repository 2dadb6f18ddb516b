/* admin_login.c - authentication of admin requests (Basic or session cookie with
 * CSRF token) and the session endpoints. Passwords are checked with Argon2id on
 * the control thread (~75 ms); the rate limit refuses a closed address before that
 * work, at once, rather than sleeping. */
#include "admin/admin_login.h"

#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/admin_auth.h"
#include "admin/admin_reply.h"
#include "common/err.h"
#include "common/log.h"

#define PASSWORD_MIN_CHARS 8
#define PASSWORD_MAX_BYTES 1024

enum { AUTH_BASIC = 1, AUTH_SESSION = 2 };

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int state_changing(const http_request_t *req)
{
    return !(wsx_slice_eq(req->method, "GET") || wsx_slice_eq(req->method, "HEAD") ||
             wsx_slice_eq(req->method, "OPTIONS"));
}

/* The session named by the request's cookie, or NULL. */
static admin_session_t *cookie_session(admin_api_t *api, const http_request_t *req)
{
    const wsx_slice_t *h = http_request_header(req, "Cookie");
    wsx_slice_t v;
    if (!h || !api->sessions || !admin_cookie_find(*h, ADMIN_SESSION_COOKIE, &v))
        return NULL;
    return admin_session_find(api->sessions, v, now_ms());
}

static int rate_limited(admin_api_t *api, http_reply_t *out);

/* AUTH_BASIC, AUTH_SESSION (*session set), WSX_EAUTH, or WSX_EBUSY (the address is
 * in its penalty window: a 429 is in *out). An Authorization header decides alone:
 * wrong Basic credentials do not fall back on a cookie. Basic failures count
 * against the address like failed web logins, and a blocked address is answered
 * before Argon2id runs, so guessing over Basic is as slow as over the login page. */
static int authenticate(admin_api_t *api, const http_request_t *req, admin_session_t **session,
                        http_reply_t *out)
{
    *session = NULL;
    const wsx_slice_t *auth = http_request_header(req, "Authorization");
    if (auth) {
        if (admin_auth_known(auth)) {
            admin_ratelimit_succeeded(api->ratelimit, http_server_peer(out));
            return AUTH_BASIC;
        }
        if (rate_limited(api, out) < 0)
            return WSX_EBUSY;
        const char *peer = http_server_peer(out);
        if (admin_auth_check(api->db, auth) == 0) {
            admin_ratelimit_succeeded(api->ratelimit, peer);
            return AUTH_BASIC;
        }
        admin_ratelimit_failed(api->ratelimit, peer, now_ms());
        log_warn("admin API: failed Basic auth from %s", peer[0] ? peer : "an unknown address");
        return WSX_EAUTH;
    }
    *session = cookie_session(api, req);
    return *session ? AUTH_SESSION : WSX_EAUTH;
}

/* A browser's request (it sends Sec-Fetch-* headers, or it holds our cookie): a 401
 * for it must not carry WWW-Authenticate, or the browser pops up its own Basic
 * dialog over the web admin's login page. */
static int from_browser(const http_request_t *req)
{
    const wsx_slice_t *c = http_request_header(req, "Cookie");
    wsx_slice_t v;
    return http_request_header(req, "Sec-Fetch-Mode") ||
           (c && admin_cookie_find(*c, ADMIN_SESSION_COOKIE, &v));
}

static void reply_unauthorized(const http_request_t *req, http_reply_t *out)
{
    if (!from_browser(req))
        http_reply_add_header(out, "WWW-Authenticate: Basic realm=\"wsx\"");
    admin_reply_error(out, 401, "unauthorized", NULL,
                      "missing or wrong credentials: use HTTP Basic auth with an admin user, "
                      "or log in with POST /api/v1/session");
}

/* A browser says where a request comes from: a state-changing one started by
 * another site (even another port of this host) is refused, whatever it carries. */
static int cross_site(const http_request_t *req)
{
    const wsx_slice_t *site = http_request_header(req, "Sec-Fetch-Site");
    return site && !wsx_slice_ieq(*site, "same-origin") && !wsx_slice_ieq(*site, "none");
}

static void reply_csrf(http_reply_t *out)
{
    admin_reply_error(out, 403, "csrf", NULL, "missing or wrong X-CSRF-Token header");
}

/* The CSRF rules for an authenticated request: 0 when it may go on, else -1 with
 * a 403 in *out. */
static int csrf_check(const http_request_t *req, const admin_session_t *session, http_reply_t *out)
{
    if (!state_changing(req))
        return 0;
    if (cross_site(req) ||
        (session && !admin_session_csrf_ok(session, http_request_header(req, "X-CSRF-Token")))) {
        reply_csrf(out);
        return -1;
    }
    return 0;
}

int admin_login_check_api(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    admin_session_t *session;
    int rc = authenticate(api, req, &session, out);
    if (rc == WSX_EBUSY)
        return -1;
    if (rc < 0) {
        reply_unauthorized(req, out);
        return -1;
    }
    return csrf_check(req, session, out);
}

/* Pages need the cookie session the pages' scripts use: accepting Basic here too
 * (a proxy adding it, credentials cached from a URL) would send the browser round
 * between a page whose API calls want the cookie and a login page that says it is
 * logged in. */
int admin_login_page_ok(admin_api_t *api, const http_request_t *req)
{
    return cookie_session(api, req) != NULL;
}

static void set_cookie(admin_api_t *api, http_reply_t *out, const char *value, int clear)
{
    http_reply_add_header(out, "Set-Cookie: %s=%s; Path=/;%s HttpOnly; SameSite=Strict%s",
                          ADMIN_SESSION_COOKIE, value, clear ? " Max-Age=0;" : "",
                          api->tls ? "; Secure" : "");
}

/* 429 when the client's address is in its penalty window: 0 when it may try. */
static int rate_limited(admin_api_t *api, http_reply_t *out)
{
    uint64_t wait = admin_ratelimit_wait_ms(api->ratelimit, http_server_peer(out), now_ms());
    if (wait == 0)
        return 0;
    unsigned long s = (unsigned long)((wait + 999) / 1000);
    http_reply_add_header(out, "Retry-After: %lu", s);
    admin_reply_error(out, 429, "too_many_attempts", NULL,
                      "too many failed logins from this address: try again in %lu second%s", s,
                      s == 1 ? "" : "s");
    return -1;
}

/* A string member of a body: 0 with *out set, or -1 with a 400 naming the field.
 * Passwords are checked for length here; their bytes are never quoted back. */
static int string_field(json_t *j, const char *field, size_t max, const char **out_s,
                        http_reply_t *out)
{
    const json_t *v = json_object_get(j, field);
    if (!json_is_string(v)) {
        admin_reply_error(out, 400, v ? "invalid" : "required", field, "%s is %s: give a string",
                          field, v ? "not a string" : "missing");
        return -1;
    }
    if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v)) {
        admin_reply_error(out, 400, "invalid", field,
                          "%s must be at most %zu bytes, without NUL characters", field, max);
        return -1;
    }
    *out_s = json_string_value(v);
    return 0;
}

static void reply_session(admin_session_t *s, int status, http_reply_t *out)
{
    admin_reply_json(out, status,
                     json_pack("{s:s, s:s}", "username", s->username, "csrf_token", s->csrf));
}

static void login(admin_api_t *api, const http_request_t *req, wsx_slice_t body, http_reply_t *out)
{
    if (cross_site(req)) { /* another site must not log a browser in either */
        reply_csrf(out);
        return;
    }
    if (rate_limited(api, out) < 0)
        return;
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_SECRET, out);
    if (!j)
        return;
    const char *user, *password;
    if (!json_is_object(j)) {
        admin_reply_error(out, 400, "invalid", NULL,
                          "send a JSON object: {\"username\": ..., \"password\": ...}");
    } else if (string_field(j, "username", ADMIN_USERNAME_MAX, &user, out) == 0 &&
               string_field(j, "password", PASSWORD_MAX_BYTES, &password, out) == 0) {
        const char *peer = http_server_peer(out);
        if (admin_auth_verify(api->db, user, password) < 0) {
            admin_ratelimit_failed(api->ratelimit, peer, now_ms());
            log_warn("web admin: failed login from %s", peer[0] ? peer : "an unknown address");
            admin_reply_error(out, 401, "unauthorized", NULL, "wrong username or password");
        } else {
            admin_ratelimit_succeeded(api->ratelimit, peer);
            /* a new id at each login: an id set before it (fixation) is worthless */
            admin_session_t *old = cookie_session(api, req);
            if (old)
                admin_session_end(api->sessions, old);
            char cookie[ADMIN_SESSION_ID_LEN + 1];
            admin_session_t *s = admin_session_create(api->sessions, user, now_ms(), cookie);
            if (s) {
                set_cookie(api, out, cookie, 0);
                reply_session(s, 200, out);
            } else { /* string_field bounds the name: not expected */
                admin_reply_error(out, 500, "internal", NULL, "cannot start a session");
            }
            sodium_memzero(cookie, sizeof cookie);
        }
    }
    json_decref(j);
}

static void logout(admin_api_t *api, const http_request_t *req, http_reply_t *out)
{
    admin_session_t *s = cookie_session(api, req);
    if (s && csrf_check(req, s, out) < 0)
        return;
    if (s)
        admin_session_end(api->sessions, s);
    set_cookie(api, out, "", 1);
    out->status = 204;
}

static void change_password(admin_api_t *api, const http_request_t *req, wsx_slice_t body,
                            http_reply_t *out)
{
    admin_session_t *s = cookie_session(api, req);
    if (!s) {
        reply_unauthorized(req, out);
        return;
    }
    if (csrf_check(req, s, out) < 0 || rate_limited(api, out) < 0)
        return;
    json_t *j = admin_parse_body(req, body, ADMIN_BODY_SECRET, out);
    if (!j)
        return;
    const char *cur, *neu;
    if (!json_is_object(j)) {
        admin_reply_error(out, 400, "invalid", NULL,
                          "send a JSON object: {\"current_password\": ..., \"new_password\": ...}");
    } else if (string_field(j, "current_password", PASSWORD_MAX_BYTES, &cur, out) == 0 &&
               string_field(j, "new_password", PASSWORD_MAX_BYTES, &neu, out) == 0) {
        size_t chars = 0; /* characters, not bytes: UTF-8 lead bytes */
        for (const char *p = neu; *p; p++)
            chars += ((unsigned char)*p & 0xC0) != 0x80;
        const char *peer = http_server_peer(out);
        int rc;
        if (chars < PASSWORD_MIN_CHARS) {
            admin_reply_error(out, 400, "too_short", "new_password",
                              "new_password must have at least %d characters", PASSWORD_MIN_CHARS);
        } else if (admin_auth_verify(api->db, s->username, cur) < 0) {
            /* a stolen cookie must not become a way to guess the password */
            admin_ratelimit_failed(api->ratelimit, peer, now_ms());
            admin_reply_error(out, 400, "wrong_password", "current_password",
                              "current_password is not your password");
        } else if (strcmp(cur, neu) == 0) {
            admin_reply_error(out, 400, "invalid", "new_password",
                              "new_password is the same as the current one: choose another");
        } else if ((rc = admin_auth_set_password(api->db, s->username, neu)) < 0) {
            admin_reply_error(out, 500, "odb_error", NULL, "cannot store the new password: %s",
                              wsx_strerror(rc));
        } else {
            admin_ratelimit_succeeded(api->ratelimit, peer);
            size_t n = admin_session_end_user(api->sessions, s->username, s);
            log_info("web admin: user \"%s\" changed their password (%zu other session%s ended)",
                     s->username, n, n == 1 ? "" : "s");
            out->status = 204;
        }
    }
    json_decref(j);
}

int admin_login_route(admin_api_t *api, const http_request_t *req, wsx_slice_t rest,
                      wsx_slice_t body, http_reply_t *out)
{
    if (wsx_slice_eq(rest, "session")) {
        if (wsx_slice_eq(req->method, "POST")) {
            login(api, req, body, out);
        } else if (wsx_slice_eq(req->method, "GET")) {
            admin_session_t *s = cookie_session(api, req);
            if (s)
                reply_session(s, 200, out);
            else
                reply_unauthorized(req, out);
        } else if (wsx_slice_eq(req->method, "DELETE")) {
            logout(api, req, out);
        } else {
            admin_reply_method(out, "GET, POST, DELETE");
        }
        return 1;
    }
    if (wsx_slice_eq(rest, "session/password")) {
        if (wsx_slice_eq(req->method, "PUT"))
            change_password(api, req, body, out);
        else
            admin_reply_method(out, "PUT");
        return 1;
    }
    return 0;
}
