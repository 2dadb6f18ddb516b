"""Cluster-wide connections (issue 5, item 4): two real `wsx server`s on one ODB (an
SQLite file both open, then a PostgreSQL database), each with its own data directory
and admin port, and the same cluster secret file. Every channel listens on both on one
address (SO_REUSEPORT), so the kernel spreads the clients over the two servers; the
connection list says which server each one is on.

Through server A's admin API: a client on B is listed with server_name B, is
disconnected with 4005, answers an invoke; a broadcast reaches the clients of both.
A server that does not answer (SIGSTOP) is reported as such within about 2 s while
the others are still listed. The internal endpoints answer only a call signed with the
cluster secret: not an unsigned one, not a badly signed one, not an admin's Basic
credentials. The secret shows in no log and no response."""
import base64
import hashlib
import hmac
import json
import os
import signal
import stat
import sys
import time

import pytest

from test_connections_api import AsyncCall, Session, assert_error
from wsxlib import (ADMIN_PASSWORD, ROOT, WsxServer, basic_auth, http_request, unique_name,
                    wait_until)

sys.path.insert(0, str(ROOT / "tests" / "support"))
import pg  # noqa: E402  (tests/support/pg.py: a throwaway PostgreSQL)

CHANNELS = "/api/v1/channels"
CONNS = "/api/v1/connections"
INTERNAL = "/api/v1/internal"


class ClusterServer(WsxServer):
    """A `wsx server` with a name, a shared ODB and a cluster secret file."""

    def __init__(self, data_dir, name, odb, secret_file, **kw):
        super().__init__(data_dir, extra_args=["--name", name, "--odb", odb,
                                               "--cluster-secret-file", str(secret_file)], **kw)
        self.name = name
        self.odb = odb
        self.secret_file = secret_file


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def cluster(request, tmp_path_factory):
    """Servers "srv-a" and "srv-b" on one ODB; A creates the secret file, B is given
    the same one."""
    base = tmp_path_factory.mktemp("cluster")
    postgres = None
    if request.param == "sqlite":
        odb = f"sqlite:{base / 'shared.db'}"
    else:
        postgres = pg.PgCluster().start()
        odb = postgres.create_database()
    secret = base / "cluster-secret"
    try:
        a = ClusterServer(base / "a", "srv-a", odb, secret).start()
        b = ClusterServer(base / "b", "srv-b", odb, secret).start()
    except BaseException:
        if postgres:
            postgres.destroy()
        raise
    servers = {"a": a, "b": b}
    yield servers
    failures = []
    for s in servers.values():
        if s.alive():
            s.proc.send_signal(signal.SIGCONT)  # in case a test left it stopped
            rc = s.stop()
            if rc != 0:
                failures.append(f"{s.name} exited with {rc}:\n{s.log()[-6000:]}")
        elif not s.stopped_by_us:
            failures.append(f"{s.name} died (exit {s.proc.returncode}):\n{s.log()[-6000:]}")
    if postgres:
        postgres.destroy()
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


def secret_of(cluster):
    return cluster["a"].secret_file.read_bytes()


@pytest.fixture
def two_sided(cluster):
    """A json channel created through A, listening on both servers, and clients logged
    in until each server has at least one. Returns (channel, {server: [Session]})."""
    a, b = cluster["a"], cluster["b"]
    opened = []
    ch = a.create_channel(data_format="json", new_token_wait_time=30)
    try:
        # B picks the channel up on its next config poll (once a second)
        wait_until(lambda: b.get_channel(ch["id"])["state"] == "listening",
                   what="server B to listen on the channel")
        by_server = {"srv-a": [], "srv-b": []}
        for i in range(40):
            s = Session(ch["ws_url"], f"cl-{i}-{unique_name('c')}")
            opened.append(s)
            where = wait_until(lambda: server_of(a, ch["id"], s.client_id),
                               what=f"{s.client_id} in the list")
            by_server[where].append(s)
            if by_server["srv-a"] and by_server["srv-b"]:
                break
        assert by_server["srv-a"] and by_server["srv-b"], \
            f"40 clients did not land on both servers: {[(k, len(v)) for k, v in by_server.items()]}"
        yield ch, by_server
    finally:
        for s in opened:
            s.close()
        a.api("DELETE", f"{CHANNELS}/{ch['id']}")


def listing(srv, cid, query=None):
    path = f"{CHANNELS}/{cid}/connections" + (f"?query={query}" if query else "")
    r = srv.api("GET", path)
    assert r.status == 200, r
    j = r.json()
    assert j["total"] == len(j["items"]), j
    return j


def server_of(srv, cid, client_id):
    """The server_name of the client with this ext_client_id, or None."""
    for c in listing(srv, cid)["items"]:
        if c["ext_client_id"] == client_id:
            return c["server_name"]
    return None


def pub_id_of(srv, cid, client_id):
    [c] = [c for c in listing(srv, cid)["items"] if c["ext_client_id"] == client_id]
    return c["pub_client_id"]


def sign(secret, method, target, body=b"", when=None, name="test-peer"):
    when = int(time.time()) if when is None else when
    msg = (f"{method}\n{target}\n{when}\n".encode() + hashlib.sha256(body).hexdigest().encode())
    return f"{name} {when} {hmac.new(secret, msg, hashlib.sha256).hexdigest()}"


def internal(srv, method, target, body=None, headers=None):
    data = json.dumps(body).encode() if body is not None else None
    h = dict(headers or {})
    if data is not None:
        h["Content-Type"] = "application/json"
    return http_request(srv.url, method, target, data, h)


# =========================================================================== the secret

def test_the_secret_file_is_created_0600_with_32_bytes_and_shared(cluster):
    st = os.stat(cluster["a"].secret_file)
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    assert st.st_size == 32


def test_a_secret_file_others_can_read_is_refused(tmp_path, server_factory):
    f = tmp_path / "open-secret"
    f.write_bytes(os.urandom(32))
    f.chmod(0o644)
    srv = server_factory(tmp_path / "d")
    srv.argv = lambda: WsxServer.argv(srv) + ["--cluster-secret-file", str(f)]
    with pytest.raises(AssertionError) as e:
        srv.start(timeout=20)
    assert "chmod 600" in str(e.value) and str(f) in str(e.value), str(e.value)[-2000:]
    srv.stopped_by_us = True


# =========================================================================== through A

def test_the_list_through_either_server_shows_every_servers_clients(cluster, two_sided):
    ch, by_server = two_sided
    want = {s.client_id: name for name, ss in by_server.items() for s in ss}
    for srv in cluster.values():
        j = listing(srv, ch["id"])
        got = {c["ext_client_id"]: c["server_name"] for c in j["items"]}
        assert got == want, (srv.name, got, want)
        # this server first, then the others; each answered
        assert j["servers"] == ([{"name": "srv-a", "ok": True}, {"name": "srv-b", "ok": True}]
                                if srv.name == "srv-a" else
                                [{"name": "srv-b", "ok": True}, {"name": "srv-a", "ok": True}])
        times = [c["connection_time"] for c in j["items"]]
        assert times == sorted(times), "one list in connection order"
    # ?query= reaches the other server too
    b_client = by_server["srv-b"][0]
    j = listing(cluster["a"], ch["id"], b_client.client_id)
    assert [c["ext_client_id"] for c in j["items"]] == [b_client.client_id]
    assert j["items"][0]["server_name"] == "srv-b"


def test_disconnect_through_a_closes_a_client_of_b_with_4005(cluster, two_sided):
    a = cluster["a"]
    ch, by_server = two_sided
    victim = by_server["srv-b"][0]
    pub_id = pub_id_of(a, ch["id"], victim.client_id)
    r = a.api("DELETE", f"{CONNS}/{pub_id}")
    assert r.status == 204 and r.body == b"", r
    code, reason = victim.wait_closed()
    assert (code, reason) == (4005, "Disconnected by an administrator")
    wait_until(lambda: server_of(a, ch["id"], victim.client_id) is None,
               what="the disconnected client to leave the list")
    # now no server has it: 404, after asking both
    e = assert_error(a.api("DELETE", f"{CONNS}/{pub_id}"), 404, code="not_found")
    assert "any of the 2 servers" in e["message"], e
    # the others are untouched
    for s in by_server["srv-a"]:
        assert server_of(a, ch["id"], s.client_id) == "srv-a"


def test_invoke_through_a_gets_the_answer_of_a_client_of_b(cluster, two_sided):
    a = cluster["a"]
    ch, by_server = two_sided
    s = by_server["srv-b"][0]
    pub_id = pub_id_of(a, ch["id"], s.client_id)
    call = AsyncCall(a.api, "POST", f"{CONNS}/{pub_id}/invoke",
                     {"request": {"op": "where are you"}, "timeout": 10})
    rqc = s.recv_rqc()
    assert rqc["data"] == {"op": "where are you"}, rqc
    s.answer(rqc, {"here": "srv-b"})
    r = call.get()
    assert r.status == 200, r
    assert r.json() == {"response": {"here": "srv-b"}}
    assert call.elapsed < 10, "the answer ends the wait"
    # a client of B that does not answer: B's 504 comes through A
    call = AsyncCall(a.api, "POST", f"{CONNS}/{pub_id}/invoke", {"request": 1, "timeout": 1})
    s.recv_rqc()
    assert_error(call.get(), 504, code="timeout", contains=(pub_id,))


def test_broadcast_through_a_reaches_the_clients_of_both(cluster, two_sided):
    a = cluster["a"]
    ch, by_server = two_sided
    everyone = [s for ss in by_server.values() for s in ss]
    r = a.api("POST", f"{CHANNELS}/{ch['id']}/broadcast", {"data": {"news": 1}})
    assert r.status == 200, r
    assert r.json() == {"sent": len(everyone),
                        "servers": [{"name": "srv-a", "ok": True}, {"name": "srv-b", "ok": True}]}
    for s in everyone:
        assert s.recv_rqc()["data"] == {"news": 1}


def test_a_stopped_server_is_reported_within_2_s_and_the_others_still_listed(cluster,
                                                                             two_sided):
    a, b = cluster["a"], cluster["b"]
    ch, by_server = two_sided
    b.proc.send_signal(signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        j = listing(a, ch["id"])
        took = time.monotonic() - t0
        assert j["servers"] == [{"name": "srv-a", "ok": True},
                                {"name": "srv-b", "ok": False, "error": "no answer in 2 s"}], j
        assert {c["ext_client_id"] for c in j["items"]} == \
            {s.client_id for s in by_server["srv-a"]}
        assert 1.9 <= took < 4.5, f"the list took {took:.1f} s"
        # a broadcast: A's clients get it, B is named
        r = a.api("POST", f"{CHANNELS}/{ch['id']}/broadcast", {"data": "b is asleep"})
        assert r.json() == {"sent": len(by_server["srv-a"]),
                            "servers": [{"name": "srv-a", "ok": True},
                                        {"name": "srv-b", "ok": False,
                                         "error": "no answer in 2 s"}]}, r
        for s in by_server["srv-a"]:
            assert s.recv_rqc()["data"] == "b is asleep"
        # a connection A does not have may be on B: 502 naming it, not 404
        assert_error(a.api("DELETE", f"{CONNS}/ws.0123456789abcdef01234567"), 502,
                         code="servers_unavailable", contains=('"srv-b"', "no answer in 2 s"))
        # the owner's answer settles an invoke: no waiting for B's timeout
        mine = by_server["srv-a"][0]
        pub_a = [c["pub_client_id"] for c in j["items"] if c["ext_client_id"] == mine.client_id][0]
        call = AsyncCall(a.api, "POST", f"{CONNS}/{pub_a}/invoke", {"request": "ping",
                                                                     "timeout": 10})
        mine.answer(mine.recv_rqc(), "pong")
        assert call.get().json() == {"response": "pong"}
        assert call.elapsed < 1.9, f"the invoke waited {call.elapsed:.1f} s for the stopped server"
        # while B sleeps A's loop is not blocked: /healthz answers at once
        call = AsyncCall(a.api, "GET", f"{CHANNELS}/{ch['id']}/connections")
        time.sleep(0.3)
        t1 = time.monotonic()
        assert http_request(a.url, "GET", "/healthz").status == 200
        assert time.monotonic() - t1 < 1.0, "the admin loop waited for the stopped server"
        assert call.get().status == 200
    finally:
        b.proc.send_signal(signal.SIGCONT)
    # awake again: answered (B may still act on the calls it got while stopped: a
    # call that timed out is unknown, not undone)
    wait_until(lambda: listing(a, ch["id"])["servers"][1]["ok"], what="B to answer again")


# =========================================================================== internal

def test_internal_endpoints_answer_only_a_valid_signature(cluster, two_sided):
    a, b = cluster["a"], cluster["b"]
    ch, by_server = two_sided
    secret = secret_of(cluster)
    target = f"{INTERNAL}/channels/{ch['id']}/connections"
    admin = basic_auth("admin", ADMIN_PASSWORD)
    other_secret = os.urandom(32)
    refused = {
        "no signature": {},
        "an admin's Basic credentials": {"Authorization": admin},
        "Basic and a forged signature": {"Authorization": admin,
                                         "X-Wsx-Cluster": "srv-a 1 " + "0" * 64},
        "a forged signature": {"X-Wsx-Cluster": f"srv-a {int(time.time())} " + "ab" * 32},
        "another secret": {"X-Wsx-Cluster": sign(other_secret, "GET", target)},
        "60 s old": {"X-Wsx-Cluster": sign(secret, "GET", target, when=int(time.time()) - 60)},
        "60 s ahead": {"X-Wsx-Cluster": sign(secret, "GET", target, when=int(time.time()) + 60)},
        "another path": {"X-Wsx-Cluster": sign(secret, "GET", target + "x")},
        "another method": {"X-Wsx-Cluster": sign(secret, "POST", target)},
        "not the header's shape": {"X-Wsx-Cluster": "hello"},
    }
    for what, headers in refused.items():
        r = internal(a, "GET", target, headers=headers)
        e = assert_error(r, 401, code="unauthorized")
        assert "X-Wsx-Cluster" in e["message"], (what, e)
        assert "basic" not in r.headers.get("www-authenticate", "").lower(), \
            f"{what}: a 401 here must not invite Basic credentials"
    r = internal(a, "GET", target, headers={"X-Wsx-Cluster": sign(secret, "GET", target,
                                                                   when=int(time.time()) - 60)})
    assert "30 s" in r.error()["message"], r
    # signed with the cluster secret: this server's clients only, in the old shape
    for srv in (a, b):
        r = internal(srv, "GET", target, headers={"X-Wsx-Cluster": sign(secret, "GET", target)})
        assert r.status == 200, r
        j = r.json()
        assert set(j) == {"items", "total"}, j
        assert {c["ext_client_id"] for c in j["items"]} == \
            {s.client_id for s in by_server[srv.name]}
    # a body is signed too: a changed body is refused, the signed one answered
    bt = f"{INTERNAL}/channels/{ch['id']}/broadcast"
    body = json.dumps({"data": "from a peer"}).encode()
    r = http_request(b.url, "POST", bt, json.dumps({"data": "changed"}).encode(),
                     {"Content-Type": "application/json",
                      "X-Wsx-Cluster": sign(secret, "POST", bt, body)})
    assert_error(r, 401, code="unauthorized", contains=("signature does not match",))
    r = http_request(b.url, "POST", bt, body, {"Content-Type": "application/json",
                                                "X-Wsx-Cluster": sign(secret, "POST", bt, body)})
    assert r.status == 200 and r.json() == {"sent": len(by_server["srv-b"])}, r
    for s in by_server["srv-b"]:
        assert s.recv_rqc()["data"] == "from a peer"
    for s in by_server["srv-a"]:
        s.expect_nothing(0.3)
    # local only: a connection of A is not found through B's internal endpoint
    pub_a = pub_id_of(a, ch["id"], by_server["srv-a"][0].client_id)
    dt = f"{INTERNAL}/connections/{pub_a}"
    assert_error(internal(b, "DELETE", dt, headers={"X-Wsx-Cluster": sign(secret, "DELETE", dt)}),
                 404, code="not_found", contains=("on this server",))
    # an unknown internal path, signed: 404; a signature never opens the public API
    ut = f"{INTERNAL}/nothing"
    assert_error(internal(a, "GET", ut, headers={"X-Wsx-Cluster": sign(secret, "GET", ut)}), 404)
    pt = f"{CHANNELS}/{ch['id']}/connections"
    assert_error(internal(a, "GET", pt, headers={"X-Wsx-Cluster": sign(secret, "GET", pt)}), 401)


def test_the_secret_shows_in_no_log_and_no_answer(cluster, two_sided):
    a, b = cluster["a"], cluster["b"]
    ch, _ = two_sided
    secret = secret_of(cluster)
    forms = [secret, secret.hex().encode(), secret.hex().upper().encode(),
             base64.b64encode(secret), base64.urlsafe_b64encode(secret).rstrip(b"=")]
    answers = [a.api("GET", f"{CHANNELS}/{ch['id']}/connections").body,
               a.api("POST", f"{CHANNELS}/{ch['id']}/broadcast", {"data": 0}).body,
               a.api("GET", "/api/v1/server").body,
               http_request(a.url, "GET", f"{INTERNAL}/channels/{ch['id']}/connections").body]
    for srv in (a, b):
        log = srv.log_path.read_bytes()
        assert b"refused a server-to-server call" in log or srv is b, "the refusals are logged"
        for f in forms:
            assert f not in log, f"the secret is in {srv.name}'s log"
    for body in answers:
        for f in forms:
            assert f not in body, body[:300]


def test_a_server_with_another_secret_is_reported_not_skipped(cluster, two_sided, tmp_path):
    """A server given another secret file: A's calls to it are refused, and A says so.
    (It leaves the cluster when it stops, so the other tests do not see it.)"""
    a = cluster["a"]
    ch, by_server = two_sided
    c = ClusterServer(tmp_path / "c", "srv-c", a.odb, tmp_path / "other-secret").start()
    try:
        r = a.api("GET", f"{CHANNELS}/{ch['id']}/connections")
        j = r.json()
        [entry] = [s for s in j["servers"] if s["name"] == "srv-c"]
        assert entry["ok"] is False, j
        assert entry["error"].startswith("answered 401:"), entry
        assert "--cluster-secret-file" in entry["error"], entry
        # A and B still answer with their clients
        assert {x["name"] for x in j["servers"] if x["ok"]} == {"srv-a", "srv-b"}
        assert len(j["items"]) == sum(len(v) for v in by_server.values())
    finally:
        assert c.stop() == 0, c.log()[-4000:]


# =========================================================================== sealed secrets

def test_a_jwt_definition_made_on_a_serves_logins_on_b(cluster):
    """The key that seals JWT secrets comes from the cluster secret, so B opens the
    definition A wrote, and its channel listens on B too (not 'error: its security
    definition cannot be read')."""
    a, b = cluster["a"], cluster["b"]
    key = "k" * 40
    r = a.api("POST", "/api/v1/security", {"name": unique_name("jwt"), "type": "jwt",
                                           "secret": key})
    assert r.status == 201, r
    sec = r.json()
    ch = a.create_channel(data_format="json", security=sec["name"])
    try:
        wait_until(lambda: b.get_channel(ch["id"])["state"] == "listening",
                   what="server B to open the JWT secret and listen")
        states = {s["server"]: s["state"] for s in a.get_channel(ch["id"])["states"]}
        assert states == {"srv-a": "listening", "srv-b": "listening"}, states
    finally:
        a.api("DELETE", f"{CHANNELS}/{ch['id']}")
        a.api("DELETE", f"/api/v1/security/{sec['id']}")
