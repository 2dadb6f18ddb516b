"""What a service sees and what its answers become (WSX-PROTOCOL.md section 4,
docs/services.md), with the probe plugin (tests/integration/plugins/probe.c, built by
make into build/examples/test/probe.so) deployed into the shared server:

- the environment a json channel's service gets: client id and name, attrs, username,
  peer address, X-Forwarded-For, pub_client_id, connection time; and a raw channel's;
- service errors: the service's status and message in zwsx.rsperr, 500 "Internal server
  error" for a status that is not an HTTP status, a negative return, output that is not
  JSON, and a service that was undeployed (the log names it);
- hooks: on_connected gates the token (a refused client gets zwsx.merr and 1008, never a
  token) and on_disconnected runs on every close of a session (client close, admin
  disconnect, token expiry), both observed by another client through broadcasts;
- push: a service's push reaches its caller as a zwsx.rqc; example.notify's push and
  broadcast."""
import asyncio
import json
import os
import select
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import websockets

from wsxlib import IO_TIMEOUT, ROOT, RawWs, accept_for, parse_http_head, tcp_connect, \
    upgrade_request, wait_until
from wsxsession import (OP_BINARY, OP_TEXT, JsonWs, check_rspa, check_rspok, check_rsperr,
                        check_server_meta, connections_of, login_then, message,
                        pub_client_id_of)
from wsxsession import env  # noqa: F401 - the fixture

EXAMPLES = ROOT / "build" / "examples"
PROBE_SO = EXAMPLES / "test" / "probe.so"
NOTIFY_SO = EXAMPLES / "notify.so"
PROBE_SERVICES = ("probe.env", "probe.status", "probe.bad_output", "probe.hook", "probe.push")
INTERNAL = "Internal server error"
HOOK_REFUSED = "refused by the on_connected hook"


def deployed(srv):
    r = srv.api("GET", "/api/v1/services")
    assert r.status == 200, r
    return {s["name"]: s for s in r.json()["items"]}


def deploy(services_dir, src, name):
    """Atomically, as docs/services.md says: a hidden copy, then a rename."""
    tmp = services_dir / f".{name}.tmp"
    shutil.copyfile(src, tmp)
    os.replace(tmp, services_dir / name)


def deploy_and_wait(srv, services_dir, src, name, services):
    deploy(services_dir, src, name)
    wait_until(lambda: all(s in deployed(srv) for s in services),
               what=f"{', '.join(services)} deployed from {name}")


@pytest.fixture(scope="module")
def plugins(wsx):
    """probe.so and notify.so in the shared server's services directory."""
    missing = [str(p) for p in (PROBE_SO, NOTIFY_SO) if not p.exists()]
    if missing:
        pytest.fail(f"plugins not built: {missing}; run `make integration` (or make "
                    f"{' '.join(missing)})")
    sdir = wsx.data_dir / "services"
    assert sdir.is_dir(), f"the server creates {sdir}"
    deploy_and_wait(wsx, sdir, PROBE_SO, "probe.so", PROBE_SERVICES)
    deploy_and_wait(wsx, sdir, NOTIFY_SO, "notify.so", ("example.notify",))
    s = deployed(wsx)["probe.env"]
    assert s["kind"] == "plugin" and s["origin"] == "probe.so", s


def parse_time(s):
    assert isinstance(s, str), s
    t = datetime.fromisoformat(s)
    assert t.tzinfo is None, f"times are UTC without a zone: {s}"
    return t


def utcnow():
    return datetime.utcnow()


# =========================================================================== the environment

async def _env_over_websockets(url, headers, login_meta, wsx, channel_id):
    """Log in with Python websockets (sending `headers` in the upgrade), call the
    channel's service (probe.env) and read the connections list meanwhile."""
    async with websockets.connect(url, extra_headers=headers, ping_interval=None,
                                  compression=None, open_timeout=IO_TIMEOUT) as ws:
        host, port = ws.local_address[:2]
        login = message("create-session", **login_meta)
        await ws.send(json.dumps(login))
        rspa = json.loads(await asyncio.wait_for(ws.recv(), IO_TIMEOUT))
        token = check_rspa(rspa, login["meta"]["id"])
        call = message("invoke-service", {"anything": 1}, token=token)
        await ws.send(json.dumps(call))
        reply = json.loads(await asyncio.wait_for(ws.recv(), IO_TIMEOUT))
        check_rspok(reply, call["meta"]["id"])
        conns = connections_of(wsx, channel_id)
        await ws.close()
    return f"{host}:{port}", rspa, reply["data"], conns


def test_env_of_a_json_session_with_basic_auth(env, wsx, plugins):
    sec = env.security("basic_auth", username="probe-user", password="probe password 1")
    ch = env.channel(service="probe.env", security=sec["name"])
    before = utcnow() - timedelta(seconds=1)  # the same clock; a margin for rounding
    address, rspa, seen, conns = asyncio.run(_env_over_websockets(
        ch["ws_url"], {"X-Forwarded-For": "198.51.100.23, 10.0.0.1"},
        {"username": "probe-user", "secret": "probe password 1", "client_id": "env-client-1",
         "client_name": {"app": "probe", "build": 7}, "attrs": "a=1; b=2\nc=3"},
        wsx, ch["id"]))
    assert seen["channel_id"] == ch["id"], seen
    assert seen["channel_name"] == ch["name"], seen
    assert seen["data_format"] == "json" and seen["is_json"] is True, seen
    assert seen["ext_client_id"] == "env-client-1", seen
    assert seen["ext_client_name"] == "app: probe; build: 7", seen
    assert seen["attrs"] == {"a": "1", "b": "2", "c": "3"}, seen
    assert seen["username"] == "probe-user", seen
    assert seen["peer_address"] == address, f"the client's own socket address is {address}"
    assert seen["peer_forwarded_for"] == "198.51.100.23, 10.0.0.1", seen
    [listed] = conns
    assert seen["pub_client_id"] == listed["pub_client_id"], (seen, listed)
    assert seen["connection_time"] == listed["connection_time"], (seen, listed)
    connected = parse_time(seen["connection_time"])
    login_time = parse_time(rspa["meta"]["timestamp"])
    assert before <= connected <= login_time, \
        f"connected at {connected}: not between the connect ({before}) and the login ({login_time})"
    assert "probe password 1" not in json.dumps(seen)


def test_env_of_a_json_session_without_security(env, wsx, plugins):
    """No definition: the username is "" even when the client sends one; no client id,
    name, attrs or X-Forwarded-For: empty strings and an empty object."""
    ch = env.channel(service="probe.env")
    ws, token = login_then(ch, username="someone", secret="anything")
    with ws:
        seen = ws.invoke(token, {})["data"]
        host, port = ws.sock.getsockname()[:2]
    assert seen["username"] == "", seen
    assert seen["ext_client_id"] == "" and seen["ext_client_name"] == "", seen
    assert seen["attrs"] == {} and seen["peer_forwarded_for"] == "", seen
    assert seen["peer_address"] == f"{host}:{port}", seen
    assert seen["pub_client_id"] and seen["data_format"] == "json", seen


def test_env_client_name_as_a_string_and_attrs_edge_cases(env, wsx, plugins):
    ch = env.channel(service="probe.env")
    ws, token = login_then(ch, client_id="c-2", client_name="plain name; with: colon",
                           attrs="k=v=w\n\n x = y ;;z=")
    with ws:
        seen = ws.invoke(token, {})["data"]
    assert seen["ext_client_name"] == "plain name; with: colon", seen
    # the first "=" splits a pair; spaces around keys and values go (as after the
    # "; " of "a=1; b=2"); empty pairs are skipped
    assert seen["attrs"] == {"k": "v=w", "x": "y", "z": ""}, seen["attrs"]


def raw_ws(port, headers=()):
    """A RawWs whose upgrade carries extra headers."""
    ws = RawWs.__new__(RawWs)
    ws.sock = tcp_connect(port)
    ws.timeout = IO_TIMEOUT
    req, key = upgrade_request(port, extra=headers)
    ws.sock.sendall(req)
    ws.buf = b""
    while b"\r\n\r\n" not in ws.buf:
        b = ws.sock.recv(65536)
        assert b, f"the server closed during the handshake: {ws.buf!r}"
        ws.buf += b
    status, h, ws.buf = parse_http_head(ws.buf)
    assert status == 101 and h.get("sec-websocket-accept") == accept_for(key), (status, h)
    return ws


def raw_env(ch, opcode=OP_TEXT, headers=()):
    """probe.env's answer to one message on a raw channel; also the client's address."""
    with raw_ws(ch["port"], headers) as ws:
        host, port = ws.sock.getsockname()[:2]
        ws.send_frame(opcode, b"not json at all")
        f = ws.recv_message()
        assert f.opcode == opcode, f"answered in a message of the type sent: {f!r}"
        return json.loads(f.payload), f"{host}:{port}"


def test_env_of_a_raw_channel(wsx, channel, plugins):
    """docs/services.md: on raw channels there is no session, so the client ids, the
    username and the attrs are empty; the channel and the peer address are there."""
    ch = channel(service="probe.env", data_format="raw")
    for opcode in (OP_TEXT, OP_BINARY):
        seen, address = raw_env(ch, opcode)
        assert seen["is_binary"] is (opcode == OP_BINARY) and seen["is_json"] is False, seen
        assert seen["data_format"] == "raw" and seen["channel_id"] == ch["id"], seen
        assert seen["channel_name"] == ch["name"], seen
        assert seen["pub_client_id"] == "" and seen["ext_client_id"] == "", seen
        assert seen["ext_client_name"] == "" and seen["username"] == "", seen
        assert seen["attrs"] == {}, seen
        assert seen["peer_address"] == address, seen


def test_env_of_a_raw_channel_has_forwarded_for_and_connection_time(wsx, channel, plugins):
    """include/wsx/service.h: peer_forwarded_for is "the X-Forwarded-For header of the
    upgrade", connection_time "ISO 8601 UTC, when the TCP connection was accepted";
    docs/services.md leaves only the client ids, username and attrs empty on raw
    channels."""
    ch = channel(service="probe.env", data_format="raw")
    before = utcnow() - timedelta(seconds=1)
    seen, _ = raw_env(ch, headers=[("X-Forwarded-For", "203.0.113.9")])
    after = utcnow() + timedelta(seconds=1)
    assert seen["peer_forwarded_for"] == "203.0.113.9", \
        f"the upgrade's X-Forwarded-For is missing from a raw channel's env: {seen}"
    assert seen["connection_time"], f"no connection_time in a raw channel's env: {seen}"
    assert before <= parse_time(seen["connection_time"]) <= after, seen


# =========================================================================== service errors

def call(ws, token, data):
    msg = message("invoke-service", data, token=token)
    return msg["meta"]["id"], ws.request(msg)


@pytest.fixture
def status_session(env, plugins):
    ch = env.channel(service="probe.status")
    ws, token = login_then(ch)
    with ws:
        yield ws, token


@pytest.mark.parametrize("status,text", [
    (401, "who are you?"),
    (404, "no such invoice: 17"),
    (409, "already paid"),
    (422, "amount must be positive: zażółć"),
    (400, "a 400 of the service's own"),
    (503, "try later"),
])
def test_service_error_status_and_message_reach_the_client(status_session, status, text):
    ws, token = status_session
    mid, reply = call(ws, token, {"status": status, "message": text})
    err = check_rsperr(reply, status, mid)
    assert err == text, f"the service's message, unchanged: {err!r}"
    assert set(reply) == {"meta", "data"} and set(reply["data"]) == {"cid"}, reply
    # an error is an answer: the session goes on
    mid, reply = call(ws, token, {"output": {"after": status}})
    check_rspok(reply, mid, {"after": status})


def test_each_error_has_its_own_correlation_id(status_session):
    ws, token = status_session
    cids = set()
    for _ in range(3):
        mid, reply = call(ws, token, {"status": 409, "message": "again"})
        check_rsperr(reply, 409, mid)
        cids.add(reply["data"]["cid"])
    assert len(cids) == 3, f"correlation ids repeat: {cids}"


@pytest.mark.parametrize("case,data", [
    ("status 99", {"status": 99, "message": "below 100"}),
    ("status 600", {"status": 600, "message": "above 599"}),
    ("status 0", {"status": 0, "message": "zero"}),
    ("status -404", {"status": -404, "message": "negative"}),
    ("negative return", {"return": -1}),
    ("negative return after output", {"output": {"half": "done"}, "return": -7}),
])
def test_unexpected_failures_are_500_internal_server_error(status_session, case, data):
    ws, token = status_session
    mid, reply = call(ws, token, data)
    err = check_rsperr(reply, 500, mid)
    assert err == INTERNAL, f"{case}: the client learns nothing more: {err!r}"
    assert data.get("message", "\0") not in json.dumps(reply), reply
    mid, reply = call(ws, token, {"output": [case]})
    check_rspok(reply, mid, [case])


def test_status_200_answers_the_output(status_session):
    ws, token = status_session
    for out in ({"a": [1, {"b": None}]}, "text", 3.5, [], None):
        mid, reply = call(ws, token, {"output": out})
        check_rspok(reply, mid, out)


def test_output_that_is_not_json_is_500(env, plugins):
    ch = env.channel(service="probe.bad_output")
    ws, token = login_then(ch)
    with ws:
        for _ in range(2):
            mid, reply = call(ws, token, {"x": 1})
            assert check_rsperr(reply, 500, mid) == INTERNAL
            assert "not JSON" not in json.dumps(reply), reply
        ws.close_normally()


def test_undeployed_service_answers_500_and_the_log_names_it(server_factory, tmp_path):
    """A private server: removing probe.so undeploys every probe service, which the
    shared server's other tests use. Putting the file back serves the channel again."""
    if not PROBE_SO.exists():
        pytest.fail(f"{PROBE_SO} is not built: run `make {PROBE_SO.relative_to(ROOT)}`")
    srv = server_factory(tmp_path / "data").start()
    sdir = tmp_path / "data" / "services"
    deploy_and_wait(srv, sdir, PROBE_SO, "probe.so", PROBE_SERVICES)
    ch = srv.create_channel(service="probe.status", data_format="json")
    ws, token = login_then(ch)
    with ws:
        mid, reply = call(ws, token, {"output": "deployed"})
        check_rspok(reply, mid, "deployed")
        os.unlink(sdir / "probe.so")
        wait_until(lambda: "probe.status" not in deployed(srv), what="probe.status undeployed")
        for _ in range(2):
            mid, reply = call(ws, token, {"output": "gone"})
            assert check_rsperr(reply, 500, mid) == INTERNAL, reply
        lines = [ln for ln in srv.log().splitlines() if "probe.status" in ln]
        assert any("not loaded" in ln or "not deployed" in ln for ln in lines), \
            f"no log line says probe.status is not loaded: {lines}"
        # a file that provides it again serves the same session
        deploy_and_wait(srv, sdir, PROBE_SO, "probe.so", ("probe.status",))
        mid, reply = call(ws, token, {"output": "back"})
        check_rspok(reply, mid, "back")
        ws.close_normally()


# =========================================================================== hooks

class Observer:
    """A logged-in client of a hook channel that collects the server requests
    (zwsx.rqc) the hook's broadcasts bring; with keepalive it invokes the channel's
    service every `keepalive` seconds while waiting, so its own token stays fresh."""

    def __init__(self, ch, client_id):
        self.ws, self.token = login_then(ch, client_id=client_id)
        self.events = []    # not yet matched
        self.history = []   # every event seen
        self.pending = set()  # ids of keep-alive calls not answered yet

    def _read_one(self):
        msg = self.ws.recv_json()
        t = msg.get("meta", {}).get("msg_type")
        if t == "zwsx.rqc":
            check_server_meta(msg, "zwsx.rqc")
            self.events.append(msg["data"])
            self.history.append(msg["data"])
        else:
            mid = msg.get("meta", {}).get("in_reply_to")
            assert mid in self.pending, f"the observer got an unexpected message: {msg}"
            check_rspok(msg, mid)
            self.pending.discard(mid)

    def wait_event(self, match, what, timeout=IO_TIMEOUT, keepalive=None):
        deadline = time.monotonic() + timeout
        next_keep = time.monotonic()
        while True:
            for e in self.events:
                if match(e):
                    self.events.remove(e)
                    return e
            now = time.monotonic()
            if now > deadline:
                raise AssertionError(f"no {what} within {timeout:.0f} s; events: {self.history}")
            if keepalive and now >= next_keep:
                m = message("invoke-service", {"keepalive": True}, token=self.token)
                self.pending.add(m["meta"]["id"])
                self.ws.send_json(m)
                next_keep = now + keepalive
            if self.ws.buf or select.select([self.ws.sock], [], [], 0.1)[0]:
                self._read_one()

    def close(self):
        self.ws.sock.close()


def connected(pub):
    return lambda e: e.get("event") == "connected" and e.get("pub_client_id") == pub


def disconnected(pub):
    return lambda e: e.get("event") == "disconnected" and e.get("pub_client_id") == pub


def join(wsx, ch, client_id, **meta):
    """Log in on a hook channel; returns (ws, token, pub_client_id). The hook's
    broadcast of this login reaches the new client too, after its token; the time the
    hook ran is not after the token reply's."""
    ws = JsonWs(ch["port"])
    login = message("create-session", client_id=client_id, **meta)
    rspa = ws.request(login)
    token = check_rspa(rspa, login["meta"]["id"])
    pub = pub_client_id_of(wsx, ch["id"], client_id)
    own = ws.recv_json()
    check_server_meta(own, "zwsx.rqc")
    at = own["data"].pop("at")
    assert own["data"] == {"event": "connected", "pub_client_id": pub,
                           "ext_client_id": client_id}, own
    hook_ran, replied = hook_time(at), parse_time(rspa["meta"]["timestamp"])
    assert hook_ran <= replied, f"on_connected ran at {at}, after the token reply ({replied})"
    return ws, token, pub


def hook_time(at):
    """core->now_iso's text (ISO 8601 UTC, microseconds) as a naive UTC datetime."""
    assert isinstance(at, str) and len(at) >= 26, at
    t = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return t.replace(tzinfo=None) if t.tzinfo is None else \
        (t - t.utcoffset()).replace(tzinfo=None)


@pytest.fixture
def observed(env, wsx, plugins):
    """A factory of hook channels (demo.echo, hook probe.hook) with an observer
    logged in on each."""
    made = []

    def make(**fields):
        ch = env.channel(hook_service="probe.hook", **fields)
        obs = Observer(ch, "observer")
        made.append(obs)
        obs_pub = pub_client_id_of(wsx, ch["id"], "observer")
        obs.wait_event(connected(obs_pub), "the observer's own connected event",
                       keepalive=0.5)
        return ch, obs
    yield make
    for o in made:
        o.close()


def test_on_connected_runs_at_login_and_can_refuse_it(wsx, observed):
    ch, obs = observed()
    ws, token, pub = join(wsx, ch, "second")
    with ws:
        e = obs.wait_event(connected(pub), "the connected event of the second client")
        assert e["ext_client_id"] == "second", "the hook saw the login's client_id"
        ws.invoke(token, "logged in")

        # the hook refuses "blocked": zwsx.merr and 1008, never a token
        with JsonWs(ch["port"]) as blocked:
            blocked.send_json(message("create-session", client_id="blocked"))
            blocked.expect_merr_and_close(HOOK_REFUSED)
        ids = [c["ext_client_id"] for c in connections_of(wsx, ch["id"])]
        assert sorted(ids) == ["observer", "second"], f"a refused client is not listed: {ids}"

        # a refused client was never logged in: no event about it, before or after
        third, _, third_pub = join(wsx, ch, "third")
        with third:
            obs.wait_event(connected(third_pub), "the third client's connected event")
            assert not [e for e in obs.history if e.get("ext_client_id") == "blocked"], \
                obs.history
            # the second client heard of the third (a broadcast reaches every session)
            heard = ws.recv_json()
            check_server_meta(heard, "zwsx.rqc")
            heard["data"].pop("at", None)
            assert heard["data"] == {"event": "connected", "pub_client_id": third_pub,
                                     "ext_client_id": "third"}, heard
            ws.invoke(token, "the others go on")


def test_on_connected_refusal_with_credentials(env, wsx, plugins):
    """With a security definition, the hook runs after the credentials were accepted
    (it sees the username), and its refusal still wins."""
    sec = env.security("apikey", key="hook-key-123456")
    ch = env.channel(hook_service="probe.hook", security=sec["name"])
    with JsonWs(ch["port"]) as ws:
        ws.send_json(message("create-session", secret="hook-key-123456", client_id="blocked"))
        ws.expect_merr_and_close(HOOK_REFUSED)
    with JsonWs(ch["port"]) as ws:
        ws.send_json(message("create-session", secret="wrong key", client_id="fine"))
        ws.expect_merr_and_close("not authorized")
    ws, token, _ = join(wsx, ch, "fine", secret="hook-key-123456")
    with ws:
        ws.invoke(token, "in")


@pytest.mark.parametrize("how,code,reason", [
    ("client close", 1000, b""),
    ("admin disconnect", 4005, b"Disconnected by an administrator"),
    ("token expiry", 1008, b"token expired"),
])
def test_on_disconnected_runs_on_every_close(wsx, observed, how, code, reason):
    """The leaving client closes its side as a real client does (the hook runs when the
    server drops the connection); meanwhile the observer, which must stay logged in on
    a channel whose token_ttl is 2 s for the expiry case, keeps its own token alive."""
    ch, obs = observed(**({"token_ttl": 2} if how == "token expiry" else {}))
    ws, token, pub = join(wsx, ch, f"leaving-{code}")
    obs.wait_event(connected(pub), "the connected event", keepalive=0.5)

    def leave():
        try:
            if how == "client close":
                return ws.close_normally()
            return ws.expect_close(code, timeout=10)
        finally:
            ws.sock.close()

    t0 = time.monotonic()
    if how == "admin disconnect":
        r = wsx.api("DELETE", f"/api/v1/connections/{pub}")
        assert r.status == 204, r
    with ThreadPoolExecutor(1) as pool:
        left = pool.submit(leave)
        e = obs.wait_event(disconnected(pub), f"the disconnected event ({how})", keepalive=0.5)
        elapsed = time.monotonic() - t0
        assert left.result(IO_TIMEOUT) == reason
    assert elapsed < (4.0 if how == "token expiry" else 2.0), \
        f"the hook ran {elapsed:.2f} s after the {how}"
    assert e["code"] == code, e
    assert e["ext_client_id"] == f"leaving-{code}", "the hook still sees the env"
    assert isinstance(e["reason"], str) and e["reason"], e
    wait_until(lambda: [c["ext_client_id"] for c in connections_of(wsx, ch["id"])]
               == ["observer"], what="the closed session to leave the list")


# =========================================================================== push

def collect(ws, n):
    """The next n messages, in the order they come."""
    return [ws.recv_json() for _ in range(n)]


def test_push_reaches_the_caller(env, wsx, plugins):
    ch = env.channel(service="probe.push")
    ws, token = login_then(ch, client_id="pushed-to")
    other, other_token = login_then(ch, client_id="bystander")
    with ws, other:
        for data in ({"news": [1, 2, "three"]}, "just a string"):
            msg = message("invoke-service", data, token=token)
            ws.send_json(msg)
            got = collect(ws, 2)
            oks = [m for m in got if m["meta"].get("msg_type") == "zwsx.rspok"]
            rqcs = [m for m in got if m["meta"].get("msg_type") == "zwsx.rqc"]
            assert len(oks) == 1 and len(rqcs) == 1, got
            check_rspok(oks[0], msg["meta"]["id"], {"pushed": True})
            meta = check_server_meta(rqcs[0], "zwsx.rqc")
            assert rqcs[0]["data"] == data, rqcs[0]
            assert "in_reply_to" not in meta and "status" not in meta, meta
            assert meta["id"] != msg["meta"]["id"]
        # a push goes to the one connection: the other client got nothing
        m = message("invoke-service", {"mine": 1}, token=other_token)
        other.send_json(m)
        got = collect(other, 2)
        assert [g["meta"]["msg_type"] for g in got].count("zwsx.rqc") == 1, got
        assert all(g["data"] == {"mine": 1} for g in got if g["meta"]["msg_type"] == "zwsx.rqc")


def test_example_notify_pushes_to_the_caller_and_broadcasts(env, wsx, plugins):
    """examples/services/notify.c: the caller gets {"notification": DATA} pushed, every
    logged-in client of the channel gets {"from": PUB_CLIENT_ID, "said": DATA}, and the
    call answers {"queued": true}."""
    ch = env.channel(service="example.notify")
    ws, token = login_then(ch, client_id="notifier")
    other, _ = login_then(ch, client_id="listener")
    pub = pub_client_id_of(wsx, ch["id"], "notifier")
    data = {"text": "hello, channel", "n": 3}
    with ws, other:
        msg = message("invoke-service", data, token=token)
        ws.send_json(msg)
        got = collect(ws, 3)
        oks = [m for m in got if m["meta"].get("msg_type") == "zwsx.rspok"]
        assert len(oks) == 1, got
        check_rspok(oks[0], msg["meta"]["id"], {"queued": True})
        rqcs = [m["data"] for m in got if m["meta"].get("msg_type") == "zwsx.rqc"]
        for m in got:
            check_server_meta(m, m["meta"].get("msg_type"))
        assert sorted(rqcs, key=json.dumps) == sorted(
            [{"notification": data}, {"from": pub, "said": data}], key=json.dumps), rqcs
        heard = other.recv_json()
        check_server_meta(heard, "zwsx.rqc")
        assert heard["data"] == {"from": pub, "said": data}, heard
