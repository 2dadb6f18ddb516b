"""The web admin's server side: login sessions (cookie attributes, CSRF token,
logout, password change), the login rate limit per client address, the pages and
their redirects, the embedded static files (types, ETag, 304), the security headers,
and the endpoints the pages use (free port, this server).

Requests go through http.client, which follows no redirect, so a 302 is seen as
sent. Rate-limited logins come from their own loopback source address (127.x.y.z),
so they do not hold back the other tests, which all come from 127.0.0.1."""
import http.client
import json
import random
import re
import socket
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from wsxlib import (ADMIN_PASSWORD, IO_TIMEOUT, ROOT, basic_auth, free_port, unique_name,
                    wait_until)

CSP = ("default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; "
       "script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
PAGES = ["/zato/channel/web-socket/?cluster=1", "/zato/channel/web-socket/create/?cluster=1",
         "/zato/channel/web-socket/edit/1/?cluster=1",
         "/zato/channel/web-socket/1/connections/?cluster=1", "/zato/security/?cluster=1",
         "/zato/servers/?cluster=1", "/zato/account/password/"]
WEB = ROOT / "web" / "admin"
TYPES = {".html": "text/html; charset=utf-8", ".css": "text/css; charset=utf-8",
         ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
         ".png": "image/png", ".json": "application/json"}
TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # 32 random bytes, base64url


def other_source():
    """A loopback source address of our own (Linux routes all of 127/8 to lo)."""
    return f"127.{random.randint(1, 254)}.{random.randint(0, 254)}.{random.randint(2, 254)}"


class Resp:
    def __init__(self, r):
        self.status = r.status
        self.header_list = [(k.lower(), v) for k, v in r.getheaders()]
        self.headers = dict(self.header_list)
        self.body = r.read()

    def json(self):
        return json.loads(self.body)

    def all(self, name):
        return [v for k, v in self.header_list if k == name]

    def __repr__(self):
        return f"<{self.status} {self.headers} {self.body[:300]!r}>"


class Browser:
    """What a browser would send: the session cookie it got, and the CSRF token the
    page keeps, on every state-changing request."""

    def __init__(self, srv, source=None):
        self.srv = srv
        self.source = source
        self.cookie = None
        self.csrf = None

    def request(self, method, path, body=None, headers=None, cookie=True, csrf=True):
        conn = http.client.HTTPConnection("127.0.0.1", self.srv.admin_port, timeout=IO_TIMEOUT,
                                          source_address=(self.source, 0) if self.source else None)
        h = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if cookie and self.cookie:
            h["Cookie"] = f"wsx_session={self.cookie}"
        if csrf and self.csrf and method not in ("GET", "HEAD"):
            h["X-CSRF-Token"] = self.csrf
        h.update(headers or {})
        try:
            conn.request(method, path, body=data, headers=h)
            return Resp(conn.getresponse())
        finally:
            conn.close()

    def login(self, user="admin", password=None, expect=200):
        r = self.request("POST", "/api/v1/session",
                         {"username": user,
                          "password": self.srv.password if password is None else password})
        assert r.status == expect, r
        if r.status == 200:
            cookie = r.headers["set-cookie"]
            self.cookie = re.match(r"wsx_session=([^;]*);", cookie).group(1)
            self.csrf = r.json()["csrf_token"]
        return r


def assert_login_redirect(r, target):
    assert r.status == 302, r
    loc = urlsplit(r.headers["location"])
    assert loc.path == "/zato/login" and not loc.netloc, r.headers["location"]
    assert parse_qs(loc.query)["next"] == [target], r.headers["location"]


def assert_html_headers(r):
    assert r.headers["content-type"] == "text/html; charset=utf-8", r
    assert r.headers["content-security-policy"] == CSP, r.headers
    assert r.headers["x-content-type-options"] == "nosniff", r.headers
    assert r.headers["referrer-policy"] == "same-origin", r.headers


# ------------------------------------------------------------------ login, logout

def test_login_gives_a_strict_http_only_session_cookie_and_a_csrf_token(wsx):
    b = Browser(wsx)
    r = b.login()
    assert r.json() == {"username": "admin", "csrf_token": b.csrf}
    assert TOKEN.match(b.csrf) and TOKEN.match(b.cookie), (b.csrf, b.cookie)
    assert b.csrf != b.cookie
    cookies = r.all("set-cookie")
    assert len(cookies) == 1, cookies
    attrs = [a.strip() for a in cookies[0].split(";")]
    assert attrs[0] == f"wsx_session={b.cookie}"
    assert set(attrs[1:]) == {"Path=/", "HttpOnly", "SameSite=Strict"}, \
        f"no Secure over plain HTTP, no Max-Age/Expires (a browser session cookie): {attrs}"
    assert ADMIN_PASSWORD.encode() not in r.body

    me = b.request("GET", "/api/v1/session")
    assert me.status == 200 and me.json() == {"username": "admin", "csrf_token": b.csrf}, me
    assert b.request("GET", "/api/v1/channels").status == 200

    # each login is a new session; the one it replaces ends
    old_cookie = b.cookie
    b.login()
    assert b.cookie != old_cookie
    stale = Browser(wsx)
    stale.cookie = old_cookie
    assert stale.request("GET", "/api/v1/session").status == 401


@pytest.mark.parametrize("user,password", [("admin", "not-the-password"),
                                           ("nobody", ADMIN_PASSWORD), ("admin", "")])
def test_wrong_credentials_get_401_and_no_cookie(wsx, user, password):
    b = Browser(wsx, source=other_source())
    r = b.login(user, password, expect=401)
    assert r.json() == {"error": {"code": "unauthorized", "message": "wrong username or password"}}
    assert "set-cookie" not in r.headers
    assert b.request("GET", "/api/v1/session").status == 401


def test_login_body_errors_name_the_field(wsx):
    b = Browser(wsx)
    r = b.request("POST", "/api/v1/session", {"username": "admin"})
    assert r.status == 400 and r.json()["error"]["field"] == "password", r
    r = b.request("POST", "/api/v1/session", {"username": 1, "password": "x"})
    assert r.status == 400 and r.json()["error"]["field"] == "username", r
    r = b.request("POST", "/api/v1/session", None, headers={"Content-Type": "text/plain"})
    assert r.status in (400, 415), r


def test_without_a_valid_session_the_api_answers_401(wsx):
    b = Browser(wsx)
    r = b.request("GET", "/api/v1/channels")
    assert r.status == 401 and r.json()["error"]["code"] == "unauthorized", r
    assert r.headers["www-authenticate"].startswith("Basic"), "scripts still get the challenge"
    # a browser's fetch gets no Basic challenge: it would pop up the browser's own dialog
    r = b.request("GET", "/api/v1/channels", headers={"Sec-Fetch-Mode": "cors"})
    assert r.status == 401 and "www-authenticate" not in r.headers, r
    b.cookie = "A" * 43  # unknown
    r = b.request("GET", "/api/v1/channels")
    assert r.status == 401 and "www-authenticate" not in r.headers, r
    assert b.request("GET", "/api/v1/session").status == 401


def test_logout_ends_the_session_and_clears_the_cookie(wsx):
    b = Browser(wsx)
    b.login()
    r = b.request("DELETE", "/api/v1/session", csrf=False)
    assert r.status == 403 and r.json()["error"]["code"] == "csrf", r
    assert b.request("GET", "/api/v1/session").status == 200, "a refused logout ends nothing"

    r = b.request("DELETE", "/api/v1/session")
    assert r.status == 204, r
    attrs = [a.strip() for a in r.headers["set-cookie"].split(";")]
    assert attrs[0] == "wsx_session=" and "Max-Age=0" in attrs and "Path=/" in attrs, attrs
    # the browser would drop the cookie; someone who kept it gets nothing for it
    assert b.request("GET", "/api/v1/session").status == 401
    assert b.request("GET", "/api/v1/channels").status == 401
    assert_login_redirect(b.request("GET", PAGES[0]), PAGES[0])


# ------------------------------------------------------------------ CSRF

def test_state_changes_with_the_cookie_need_the_sessions_csrf_token(wsx):
    b = Browser(wsx)
    b.login()
    other = Browser(wsx)
    other.login()
    name = unique_name("csrf")
    body = {"name": name, "address": f"ws://127.0.0.1:{free_port()}/csrf",
            "service": "demo.echo", "data_format": "raw"}
    for headers in ({}, {"X-CSRF-Token": "x" * 43}, {"X-CSRF-Token": ""},
                    {"X-CSRF-Token": other.csrf}, {"X-CSRF-Token": b.cookie}):
        r = b.request("POST", "/api/v1/channels", body, headers=headers, csrf=False)
        assert r.status == 403, (headers, r)
        assert r.json() == {"error": {"code": "csrf",
                                      "message": "missing or wrong X-CSRF-Token header"}}
    # a browser says when another site (even another port of this host) sent it
    r = b.request("POST", "/api/v1/channels", body, headers={"Sec-Fetch-Site": "same-site"})
    assert r.status == 403 and r.json()["error"]["code"] == "csrf", r
    lst = b.request("GET", f"/api/v1/channels?query={name}")
    assert lst.status == 200 and lst.json()["total"] == 0, "a refused request created it"

    r = b.request("POST", "/api/v1/channels", body, headers={"Sec-Fetch-Site": "same-origin"})
    assert r.status == 201, r
    cid = r.json()["id"]
    r = b.request("PATCH", f"/api/v1/channels/{cid}", {"is_active": False}, csrf=False)
    assert r.status == 403, r
    assert b.request("PATCH", f"/api/v1/channels/{cid}", {"is_active": False}).status == 200
    assert b.request("DELETE", f"/api/v1/channels/{cid}", csrf=False).status == 403
    assert b.request("DELETE", f"/api/v1/channels/{cid}").status == 204


def test_basic_auth_needs_no_csrf_token(wsx):
    body = {"name": unique_name("basic"), "address": f"ws://127.0.0.1:{free_port()}/b",
            "service": "demo.echo", "data_format": "raw"}
    r = wsx.api("POST", "/api/v1/channels", body)
    assert r.status == 201, r
    assert wsx.api("DELETE", f"/api/v1/channels/{r.json()['id']}").status == 204


# ------------------------------------------------------------------ password

def test_change_of_ones_own_password(server_factory):
    srv = server_factory().start()
    b = Browser(srv)
    b.login()
    elsewhere = Browser(srv)  # the same user in another browser
    elsewhere.login()
    assert srv.api("GET", "/api/v1/channels").status == 200  # Basic, remembered by the server
    new = "a new password ü"
    path = "/api/v1/session/password"

    r = b.request("PUT", path, {"current_password": ADMIN_PASSWORD, "new_password": new},
                  csrf=False)
    assert r.status == 403 and r.json()["error"]["code"] == "csrf", r
    r = b.request("PUT", path, {"current_password": "wrong", "new_password": new})
    assert r.status == 400 and r.json()["error"]["field"] == "current_password", r
    r = b.request("PUT", path, {"current_password": ADMIN_PASSWORD, "new_password": "short"})
    assert r.status == 400 and r.json()["error"]["field"] == "new_password", r
    assert "8" in r.json()["error"]["message"], r
    r = b.request("PUT", path, {"current_password": ADMIN_PASSWORD})
    assert r.status == 400 and r.json()["error"]["field"] == "new_password", r
    r = srv.api("PUT", path, {"current_password": ADMIN_PASSWORD, "new_password": new})
    assert r.status == 401, "the password of a session: log in first"

    r = b.request("PUT", path, {"current_password": ADMIN_PASSWORD, "new_password": new})
    assert r.status == 204, r
    assert ADMIN_PASSWORD.encode() not in srv.log().encode()
    assert new.encode() not in srv.log().encode()

    assert srv.api("GET", "/api/v1/channels").status == 401, "the old password still works"
    assert srv.api("GET", "/api/v1/channels", password=new).status == 200
    Browser(srv).login(password=ADMIN_PASSWORD, expect=401)
    Browser(srv).login(password=new)
    assert b.request("GET", "/api/v1/session").status == 200, "the session that changed it stays"
    assert elsewhere.request("GET", "/api/v1/session").status == 401, \
        "other sessions of the user end with the old password"

    srv.stop()  # the new password is in the ODB, not in memory
    srv.start()
    assert srv.api("GET", "/api/v1/channels", password=new).status == 200


# ------------------------------------------------------------------ rate limit

def test_login_rate_limit_per_address_growing_and_reset_by_a_success(wsx):
    attacker = Browser(wsx, source=other_source())
    for i in range(5):
        attacker.login(password=f"guess-{i}", expect=401)
    t0 = time.monotonic()
    r = attacker.login(expect=429)  # even the right password waits
    assert r.headers["retry-after"] == "1", r.headers
    e = r.json()["error"]
    assert e["code"] == "too_many_attempts" and "1 second" in e["message"], e
    assert "set-cookie" not in r.headers
    assert time.monotonic() - t0 < 1.0, "the 429 must come at once, not after a sleep"

    Browser(wsx, source=other_source()).login()  # another address is not held back
    assert wsx.api("GET", "/api/v1/channels").status == 200  # nor is Basic auth

    time.sleep(1.05)
    attacker.login(password="guess-6", expect=401)
    r = attacker.login(expect=429)
    assert r.headers["retry-after"] == "2", "the delay doubles with each failure"
    time.sleep(2.05)
    attacker.login()  # the window is over: the right password works

    # the success reset the count: five more failures before any wait
    for i in range(5):
        attacker.login(password=f"again-{i}", expect=401)
    assert attacker.login(expect=429).headers["retry-after"] == "1"


def test_a_wrong_current_password_counts_as_a_failed_login(server_factory):
    srv = server_factory().start()
    b = Browser(srv, source=other_source())
    b.login()
    for _ in range(5):
        r = b.request("PUT", "/api/v1/session/password",
                      {"current_password": "guess", "new_password": "long enough"})
        assert r.status == 400, r
    r = b.request("PUT", "/api/v1/session/password",
                  {"current_password": ADMIN_PASSWORD, "new_password": "long enough"})
    assert r.status == 429 and r.headers["retry-after"] == "1", r


# ------------------------------------------------------------------ pages

def test_logged_out_every_page_redirects_to_login_and_back(wsx):
    b = Browser(wsx)
    for page in PAGES:
        assert_login_redirect(b.request("GET", page), page)
    r = b.request("GET", "/zato/login?next=" + quote(PAGES[0], safe=""))
    assert r.status == 200, r
    assert_html_headers(r)
    assert b"<html" in r.body.lower()

    b.login()
    for page in PAGES:
        r = b.request("GET", page)
        assert r.status == 200, (page, r)
        assert_html_headers(r)
        assert r.headers["cache-control"] == "no-cache" and r.headers["etag"], r.headers
    # logged in, the login page sends the browser on, but only within the web admin
    r = b.request("GET", "/zato/login?next=" + quote("/zato/security/?cluster=1", safe=""))
    assert r.status == 302 and r.headers["location"] == "/zato/security/?cluster=1", r
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example", "/api/v1/x"):
        r = b.request("GET", "/zato/login?next=" + quote(evil, safe=""))
        assert r.status == 302, r
        assert r.headers["location"] == "/zato/channel/web-socket/?cluster=1", (evil, r)


def test_pages_need_the_cookie_session_not_basic_auth(wsx):
    """The pages' scripts use the cookie session: a page opened with Basic only (a proxy
    adding it, credentials cached from a URL) goes to the login page, which then shows
    (no redirect loop between the two)."""
    auth = {"Authorization": basic_auth("admin", wsx.password)}
    r = Browser(wsx).request("GET", PAGES[0], headers=auth)
    assert_login_redirect(r, PAGES[0])
    r = Browser(wsx).request("GET", "/zato/login?next=" + PAGES[0], headers=auth)
    assert r.status == 200, r


def test_basic_auth_failures_are_rate_limited_too(server_factory):
    """Guessing over Basic auth is as slow as over the login page: after 5 failures the
    address waits, even with the right password (answered before Argon2id runs); a
    script whose header was verified before is not held back."""
    srv = server_factory().start()
    assert srv.api("GET", "/api/v1/channels").status == 200  # this header is now known
    for i in range(5):
        r = srv.api("GET", "/api/v1/channels", password=f"wrong-{i}")
        assert r.status == 401, r
    r = srv.api("GET", "/api/v1/channels", password="wrong-again")
    assert r.status == 429 and r.error()["code"] == "too_many_attempts", r
    assert int(r.headers["retry-after"]) >= 1
    r = srv.api("GET", "/api/v1/channels", user="nobody", password=srv.password)
    assert r.status == 429, r  # an unverified header waits too
    assert srv.api("GET", "/api/v1/channels").status == 200  # the known one does not
    assert "failed Basic auth from 127.0.0.1" in srv.log()
    assert srv.password not in srv.log()


def test_redirects(wsx):
    b = Browser(wsx)
    for path, where in [("/", "/zato/channel/web-socket/?cluster=1"),
                        ("/zato/", "/zato/channel/web-socket/?cluster=1"),
                        ("/zato", "/zato/channel/web-socket/?cluster=1"),
                        ("/zato/channel/wsx/?cluster=1", "/zato/channel/web-socket/?cluster=1"),
                        ("/zato/channel/wsx/?cluster=2&query=a", "/zato/channel/web-socket/?cluster=2&query=a"),
                        ("/zato/channel/wsx/", "/zato/channel/web-socket/"),
                        ("/zato/security?cluster=1", "/zato/security/?cluster=1"),
                        ("/zato/channel/web-socket/3/connections?cluster=1",
                         "/zato/channel/web-socket/3/connections/?cluster=1")]:
        r = b.request("GET", path)
        assert r.status == 302 and r.headers["location"] == where, (path, r)
    r = b.request("GET", "/zato/no-such-page/")
    assert r.status == 404, r
    assert_html_headers(r)
    r = b.request("POST", "/zato/login", {})
    assert r.status == 405 and r.headers["allow"] == "GET", r


# ------------------------------------------------------------------ static files

def static_files():
    return sorted(p for p in (WEB / "static").rglob("*") if p.is_file())


def test_static_files_are_served_with_their_type_and_revalidated_by_etag(wsx):
    files = static_files()
    assert any(p.suffix == ".css" for p in files) and any(p.suffix == ".js" for p in files)
    b = Browser(wsx)  # no login: the files hold no data, and the login page needs them
    for p in files:
        url = "/zato/static/" + p.relative_to(WEB / "static").as_posix()
        r = b.request("GET", url)
        assert r.status == 200, (url, r)
        assert r.body == p.read_bytes(), f"{url} is not the embedded copy of {p}: rebuild"
        if p.suffix in TYPES:
            assert r.headers["content-type"] == TYPES[p.suffix], (url, r.headers)
        assert r.headers["cache-control"] == "no-cache", r.headers
        assert r.headers["x-content-type-options"] == "nosniff"
        etag = r.headers["etag"]
        assert re.fullmatch(r'"[0-9a-f]{32}"', etag), etag

        again = b.request("GET", url, headers={"If-None-Match": etag})
        assert again.status == 304 and again.body == b"", again
        assert again.headers["etag"] == etag
        weak = b.request("GET", url, headers={"If-None-Match": f'"other", W/{etag}'})
        assert weak.status == 304, weak
        changed = b.request("GET", url, headers={"If-None-Match": '"0123"'})
        assert changed.status == 200 and changed.body == p.read_bytes(), changed
    for missing in ("/zato/static/nope.css", "/zato/static/", "/zato/static/../pages/login.html"):
        assert b.request("GET", missing).status == 404, missing


def test_a_page_is_revalidated_by_etag_after_login(wsx):
    b = Browser(wsx)
    b.login()
    r = b.request("GET", PAGES[0])
    again = b.request("GET", PAGES[0], headers={"If-None-Match": r.headers["etag"]})
    assert again.status == 304 and again.body == b"", again
    b.request("DELETE", "/api/v1/session")
    # logged out, no 304 stands in for the login redirect
    gone = b.request("GET", PAGES[0], headers={"If-None-Match": r.headers["etag"]})
    assert_login_redirect(gone, PAGES[0])


# ------------------------------------------------------------------ what the pages use

def test_free_port_suggests_a_bindable_port_no_channel_uses(wsx, channel):
    b = Browser(wsx)
    b.login()
    for _ in range(3):
        channel()
    used = set()
    page = 1
    while True:
        r = wsx.api("GET", f"/api/v1/channels?page={page}&page_size=1000")
        items = r.json()["items"]
        used |= {int(c["address"].rsplit(":", 1)[1].split("/")[0]) for c in items}
        if len(items) < 1000:
            break
        page += 1
    for _ in range(5):
        r = b.request("GET", "/api/v1/channels/free-port?host=127.0.0.1")
        assert r.status == 200, r
        port = r.json()["port"]
        assert isinstance(port, int) and 1024 <= port <= 65535, r
        assert port not in used, f"port {port} is used by a channel"
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", port))
    # the suggestion makes a channel that listens
    port = b.request("GET", "/api/v1/channels/free-port").json()["port"]
    ch = channel(address=f"ws://127.0.0.1:{port}/suggested")
    assert ch["state"] == "listening", ch

    assert b.request("GET", "/api/v1/channels/free-port?host=::1").status == 200
    r = b.request("GET", "/api/v1/channels/free-port?host=example.com")
    assert r.status == 400 and r.json()["error"]["field"] == "host", r
    assert Browser(wsx).request("GET", "/api/v1/channels/free-port").status == 401


def test_server_describes_itself(wsx):
    b = Browser(wsx)
    b.login()
    r = b.request("GET", "/api/v1/server")
    assert r.status == 200, r
    j = r.json()
    assert set(j) == {"name", "admin_address", "started_at"}, j
    assert j["name"] == socket.gethostname(), j
    assert j["admin_address"] == wsx.url, j
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", j["started_at"]), j
    assert Browser(wsx).request("GET", "/api/v1/server").status == 401
    assert b.request("POST", "/api/v1/server", {}).status == 405
