"""The admin API's connection endpoints (issue item 5):

    GET    /api/v1/channels/{id}/connections?query=Q
    POST   /api/v1/channels/{id}/broadcast              {"data": ANY} -> {"sent": N, "servers"}
    DELETE /api/v1/connections/{pub_client_id}          -> 204, the client sees 4005
    POST   /api/v1/connections/{pub_client_id}/invoke   {"request": ANY, "timeout": S}

The first part runs against any server: authentication, 404s, 405s, every 400 of the
bodies, an empty list, a broadcast that reaches nobody, and the deferred reply path of
the admin HTTP server.

The second part needs clients logged in over the WSX protocol on a `json` channel:
`Session` below is that client (WSX-PROTOCOL.md 2, 3, 6)."""
import asyncio
import json
import re
import socket
import threading
import time
from datetime import datetime, timedelta
from urllib.parse import quote

import pytest

from wsxlib import IO_TIMEOUT, basic_auth, tcp_connect, unique_name, wait_until

CHANNELS = "/api/v1/channels"
CONNS = "/api/v1/connections"
CONN_FIELDS = {"pub_client_id", "ext_client_id", "ext_client_name", "peer_address",
               "peer_forwarded_for", "local_address", "server_name", "connection_time",
               "last_seen", "username", "channel_id"}
NO_SUCH_ID = "ws.0123456789abcdef01234567"
PUB_ID_RE = re.compile(r"ws\.[0-9a-f]{24}")


def assert_error(r, status, code=None, field=None, contains=()):
    assert r.status == status, r
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    e = r.error()
    assert isinstance(e.get("message"), str) and e["message"], e
    if code is not None:
        assert e.get("code") == code, e
    if field is not None:
        assert e.get("field") == field, f"expected field {field!r}: {e}"
        assert field in e["message"], f"the message should name {field!r}: {e['message']!r}"
    for text in contains:
        assert text in e["message"], f"{text!r} not in {e['message']!r}"
    return e


def list_path(cid, query=None):
    return f"{CHANNELS}/{cid}/connections" + (f"?query={quote(query)}" if query is not None
                                              else "")


def invoke(wsx, pub_id, body, **kw):
    return wsx.api("POST", f"{CONNS}/{pub_id}/invoke", body, **kw)


def unused_channel_id(wsx):
    """An id no channel has: above every id the server lists."""
    ids = [c["id"] for c in wsx.api("GET", f"{CHANNELS}?page_size=1000").json()["items"]]
    return max(ids, default=0) + 1000


# =========================================================================== any server

@pytest.mark.parametrize("method,path,body", [
    ("GET", f"{CHANNELS}/1/connections", None),
    ("POST", f"{CHANNELS}/1/broadcast", {"data": 1}),
    ("DELETE", f"{CONNS}/{NO_SUCH_ID}", None),
    ("POST", f"{CONNS}/{NO_SUCH_ID}/invoke", {"request": 1}),
])
def test_401_without_credentials(wsx, method, path, body):
    for kw in ({"auth": False}, {"password": "not-the-password"}):
        r = wsx.api(method, path, body, **kw)
        assert_error(r, 401, code="unauthorized")
        assert r.headers.get("www-authenticate", "").lower().startswith("basic"), r.headers


def test_list_of_a_channel_without_sessions_is_empty(wsx, channel):
    ch = channel()
    for q in (None, "", "anything"):
        r = wsx.api("GET", list_path(ch["id"], q))
        assert r.status == 200, r
        # a server alone reports itself as the one server asked
        assert r.json() == {"items": [], "total": 0,
                            "servers": [{"name": socket.gethostname(), "ok": True}]}


def test_list_404_for_an_unknown_channel(wsx):
    cid = unused_channel_id(wsx)
    assert_error(wsx.api("GET", list_path(cid)), 404, code="not_found", contains=(str(cid),))


def test_list_400_for_an_undecodable_query(wsx, channel):
    ch = channel()
    for q in ("%zz", "%4", "a%00b", "x" * 1100):
        assert_error(wsx.api("GET", f"{CHANNELS}/{ch['id']}/connections?query={q}"), 400,
                     field="query")


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/channels/{cid}/connections", "GET"),
    ("DELETE", "/channels/{cid}/connections", "GET"),
    ("GET", "/channels/{cid}/broadcast", "POST"),
    ("GET", "/connections/" + NO_SUCH_ID, "DELETE"),
    ("POST", "/connections/" + NO_SUCH_ID, "DELETE"),
    ("GET", "/connections/" + NO_SUCH_ID + "/invoke", "POST"),
])
def test_405_says_which_method(wsx, channel, method, path, allow):
    ch = channel()
    r = wsx.api(method, "/api/v1" + path.format(cid=ch["id"]), {} if method == "POST" else None)
    assert_error(r, 405, code="method_not_allowed")
    assert r.headers.get("allow") == allow, r.headers


def test_broadcast_to_a_channel_without_sessions_sends_nothing(wsx, channel):
    ch = channel()
    for data in ({"hello": [1, 2]}, "text", 0, None, []):
        r = wsx.api("POST", f"{CHANNELS}/{ch['id']}/broadcast", {"data": data})
        assert r.status == 200, r
        assert r.json() == {"sent": 0, "servers": [{"name": socket.gethostname(), "ok": True}]}


def test_broadcast_404_for_an_unknown_channel(wsx):
    cid = unused_channel_id(wsx)
    assert_error(wsx.api("POST", f"{CHANNELS}/{cid}/broadcast", {"data": 1}), 404,
                 code="not_found", contains=(str(cid),))


@pytest.mark.parametrize("body,field,code", [
    ({}, "data", "required"),
    ({"request": 1}, "request", "unknown_field"),
    ({"data": 1, "timeout": 5}, "timeout", "unknown_field"),
    ([1], None, "invalid"),
    ("data", None, "invalid"),
])
def test_broadcast_400_bad_bodies(wsx, channel, body, field, code):
    ch = channel()
    assert_error(wsx.api("POST", f"{CHANNELS}/{ch['id']}/broadcast", body), 400, code=code,
                 field=field)


def test_broadcast_400_invalid_json_and_415(wsx, channel):
    ch = channel()
    path = f"{CHANNELS}/{ch['id']}/broadcast"
    assert_error(wsx.api("POST", path, raw=b'{"data": '), 400, code="invalid_json")
    assert_error(wsx.api("POST", path, raw=b'{"data": 1}', content_type="text/plain"), 415)


@pytest.mark.parametrize("pub_id", [NO_SUCH_ID, "ws.nothex", "x" * 200])
def test_disconnect_404_for_an_unknown_connection(wsx, pub_id):
    e = assert_error(wsx.api("DELETE", f"{CONNS}/{pub_id}"), 404, code="not_found")
    assert e["message"] == f"no connection {pub_id[:64]} on this server", e


@pytest.mark.parametrize("body,field,code", [
    ({}, "request", "required"),
    ({"timeout": 2}, "request", "required"),
    ({"request": 1, "timeout": 0}, "timeout", "out_of_range"),
    ({"request": 1, "timeout": -1}, "timeout", "out_of_range"),
    ({"request": 1, "timeout": 300.5}, "timeout", "out_of_range"),
    ({"request": 1, "timeout": 301}, "timeout", "out_of_range"),
    ({"request": 1, "timeout": "5"}, "timeout", "invalid"),
    ({"request": 1, "timeout": True}, "timeout", "invalid"),
    ({"request": 1, "timeout": None}, "timeout", "invalid"),
    ({"request": 1, "data": 2}, "data", "unknown_field"),
    ([{"request": 1}], None, "invalid"),
    (42, None, "invalid"),
])
def test_invoke_400_bad_bodies(wsx, body, field, code):
    """The body is checked before the connection is looked up: a bad request is a bad
    request whoever it is for."""
    e = assert_error(invoke(wsx, NO_SUCH_ID, body), 400, code=code, field=field)
    if field == "timeout":
        assert "300" in e["message"] and "seconds" in e["message"], e


def test_invoke_400_invalid_json_and_415(wsx):
    path = f"{CONNS}/{NO_SUCH_ID}/invoke"
    assert_error(wsx.api("POST", path, raw=b"{"), 400, code="invalid_json")
    assert_error(wsx.api("POST", path, raw=b'{"request": 1}', content_type="text/plain"), 415)


@pytest.mark.parametrize("body", [{"request": {"a": 1}}, {"request": None, "timeout": 0.5},
                                  {"request": "x", "timeout": 300}])
def test_invoke_404_for_an_unknown_connection(wsx, body):
    e = assert_error(invoke(wsx, NO_SUCH_ID, body), 404, code="not_found")
    assert e["message"] == f"no connection {NO_SUCH_ID} on this server", e


def read_http_responses(sock, n, timeout=IO_TIMEOUT):
    """Read n whole HTTP responses (Content-Length framed) from sock: [(status, body)]."""
    buf, out = b"", []
    deadline = time.monotonic() + timeout
    while len(out) < n:
        while b"\r\n\r\n" in buf:
            head, rest = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            length = next(int(line.split(":", 1)[1]) for line in lines
                          if line.lower().startswith("content-length:"))
            if len(rest) < length:
                break
            out.append((int(lines[0].split()[1]), rest[:length]))
            buf = rest[length:]
        if len(out) >= n:
            break
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        b = sock.recv(65536)
        assert b, f"the server closed after {len(out)} of {n} responses"
        buf += b
    return out


def test_pipelined_requests_behind_an_invoke_are_answered_in_order(wsx):
    """The invoke's reply goes through the deferred path of the HTTP server; requests
    pipelined behind it on the same connection wait for it, then are answered."""
    auth = basic_auth("admin", wsx.password)
    body = json.dumps({"request": {"x": 1}}).encode()
    req = (f"POST {CONNS}/{NO_SUCH_ID}/invoke HTTP/1.1\r\nHost: t\r\nAuthorization: {auth}\r\n"
           f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body
    req += b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    req += (f"DELETE {CONNS}/{NO_SUCH_ID} HTTP/1.1\r\nHost: t\r\nAuthorization: {auth}\r\n"
            f"\r\n").encode()
    with tcp_connect(wsx.admin_port) as s:
        s.sendall(req)
        got = read_http_responses(s, 3)
    assert [status for status, _ in got] == [404, 200, 404], got
    assert json.loads(got[0][1])["error"]["message"].startswith("no connection"), got
    assert json.loads(got[1][1])["status"] == "ok", got


# =========================================================================== sessions

def now_iso():
    return datetime.utcnow().strftime("%Y-%m-%dT%H:%M:%S.%f")


class Session:
    """A WebSocket client logged in over the WSX protocol (WSX-PROTOCOL.md 3): it sends
    `create-session` with its client_id/client_name and keeps the token of the
    `zwsx.rspa`. recv_json() returns the next server message; answer(rqc, X) sends the
    `client-response` to a `zwsx.rqc` with data {"response": X} (section 6).
    Python websockets answers the server's pings by itself."""

    _n = 0

    def __init__(self, url, client_id, client_name="integration test", headers=None,
                 login=True, timeout=IO_TIMEOUT):
        import websockets
        self._websockets = websockets
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.client_id = client_id
        async def connect():  # made inside the loop: websockets binds it to the current loop
            return await websockets.connect(url, ping_interval=None, max_size=None,
                                            open_timeout=timeout, close_timeout=timeout,
                                            compression=None, extra_headers=headers or {})
        try:
            self.ws = self._call(connect())
        except BaseException:
            self._stop_loop()
            raise
        host, port = self.ws.local_address[:2]
        self.address = f"{host}:{port}"  # what the server sees as peer_address
        self.token = None
        if login:
            self.login(client_name)

    def _call(self, coro, timeout=None):
        t = timeout or self.timeout
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, t), self.loop).result(t + 5)

    def _next_id(self):
        Session._n += 1
        return f"it-{Session._n}-{time.monotonic_ns()}"

    def send_json(self, meta, data=None):
        meta = {"id": self._next_id(), "timestamp": now_iso(), **meta}
        if self.token and "token" not in meta:
            meta["token"] = self.token
        msg = {"meta": meta}
        if data is not None:
            msg["data"] = data
        self._call(self.ws.send(json.dumps(msg)))
        return meta["id"]

    def recv_json(self, timeout=None):
        return json.loads(self._call(self.ws.recv(), timeout))

    def expect_nothing(self, seconds=1.0):
        """No message arrives within `seconds`."""
        try:
            msg = self._call(self.ws.recv(), seconds)
        except (asyncio.TimeoutError, TimeoutError):
            return
        raise AssertionError(f"{self.client_id} got an unexpected message: {msg[:300]!r}")

    def login(self, client_name):
        mid = self.send_json({"action": "create-session", "client_id": self.client_id,
                              "client_name": client_name}, {})
        reply = self.recv_json()
        meta = reply.get("meta", {})
        assert meta.get("msg_type") == "zwsx.rspa", f"login refused: {reply}"
        assert meta.get("status") == 200 and meta.get("in_reply_to") == mid, reply
        self.token = reply["data"]["token"]
        assert re.fullmatch(r"zwsxt\.[0-9a-f]{32}", self.token), self.token

    def recv_rqc(self, timeout=None):
        msg = self.recv_json(timeout)
        assert msg["meta"].get("msg_type") == "zwsx.rqc", f"expected a zwsx.rqc: {msg}"
        assert msg["meta"].get("id") and msg["meta"].get("timestamp"), msg
        return msg

    def answer(self, rqc, response):
        self.send_json({"action": "client-response", "in_reply_to": rqc["meta"]["id"]},
                       {"response": response})

    def wait_closed(self, timeout=None):
        """Wait for the server's close; returns (code, reason)."""
        self._call(self.ws.wait_closed(), timeout)
        return self.ws.close_code, self.ws.close_reason

    def _stop_loop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def close(self):
        if self.loop.is_closed():
            return  # closed before (a test may close a client itself)
        try:
            if self.ws.open:
                self._call(self.ws.close(), 10)
        except Exception:
            pass
        self._stop_loop()


@pytest.fixture
def json_channel(channel):
    """Create json channels (logins must happen within new_token_wait_time: 30 s)."""
    def make(**fields):
        fields.setdefault("data_format", "json")
        fields.setdefault("new_token_wait_time", 30)
        return channel(**fields)
    return make


@pytest.fixture
def sessions():
    """Open Session clients; closed after the test."""
    opened = []

    def connect(url, client_id=None, **kw):
        s = Session(url, client_id or unique_name("client"), **kw)
        opened.append(s)
        return s

    yield connect
    for s in opened:
        s.close()


def list_conns(wsx, cid, query=None):
    r = wsx.api("GET", list_path(cid, query))
    assert r.status == 200, r
    j = r.json()
    assert j["total"] == len(j["items"]), j
    return j["items"]


def parse_time(s):
    t = datetime.fromisoformat(s)
    assert t.tzinfo is None, f"times are UTC without a zone (WSX-PROTOCOL.md 2): {s}"
    return t


class AsyncCall:
    """An admin API call in a thread, for calls that wait for a client."""

    def __init__(self, fn, *args, **kw):
        self.result = None
        self.error = None
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._run, args=(fn, args, kw), daemon=True)
        self.thread.start()

    def _run(self, fn, args, kw):
        try:
            self.result = fn(*args, **kw)
        except BaseException as e:  # noqa: BLE001 - re-raised in get()
            self.error = e
        self.elapsed = time.monotonic() - self.started

    def get(self, timeout=IO_TIMEOUT + 30):
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the admin API call did not return"
        if self.error:
            raise self.error
        return self.result


def test_list_shows_a_logged_in_client_with_its_fields(wsx, json_channel, sessions):
    ch = json_channel()
    before = datetime.utcnow() - timedelta(seconds=5)
    s = sessions(ch["ws_url"], "client-list-1", client_name="the list test",
                 headers={"X-Forwarded-For": "203.0.113.7"})
    items = list_conns(wsx, ch["id"])
    assert len(items) == 1, items
    c = items[0]
    assert set(c) == CONN_FIELDS, f"fields differ: {sorted(set(c) ^ CONN_FIELDS)}"
    assert PUB_ID_RE.fullmatch(c["pub_client_id"]), c
    assert c["ext_client_id"] == "client-list-1"
    assert c["ext_client_name"] == "the list test"
    assert c["peer_address"] == s.address, (c["peer_address"], s.address)
    assert c["peer_forwarded_for"] == "203.0.113.7"
    assert c["local_address"] == f"127.0.0.1:{ch['port']}"
    assert c["server_name"] == socket.gethostname()
    assert c["username"] == "", "no security definition: no username"
    assert c["channel_id"] == ch["id"] and isinstance(c["channel_id"], int)
    connected, seen = parse_time(c["connection_time"]), parse_time(c["last_seen"])
    assert before <= connected <= datetime.utcnow() + timedelta(seconds=5), c
    assert seen >= connected, c
    # a connection that has not logged in is not a session
    other = sessions(ch["ws_url"], "not-logged-in", login=False)
    assert other.token is None
    assert [x["ext_client_id"] for x in list_conns(wsx, ch["id"])] == ["client-list-1"]


def test_list_is_per_channel_and_query_filters_by_ext_client_id(wsx, json_channel, sessions):
    a, b = json_channel(), json_channel()
    for cid in ("alpha-1", "alpha-2", "beta-1"):
        sessions(a["ws_url"], cid)
    sessions(b["ws_url"], "alpha-other-channel")

    def ids(cid, q=None):
        return sorted(c["ext_client_id"] for c in list_conns(wsx, cid, q))

    assert ids(a["id"]) == ["alpha-1", "alpha-2", "beta-1"]
    assert ids(b["id"]) == ["alpha-other-channel"]
    assert ids(a["id"], "alpha") == ["alpha-1", "alpha-2"]
    assert ids(a["id"], "ALPHA") == ["alpha-1", "alpha-2"], "the match ignores case"
    assert ids(a["id"], "beta") == ["beta-1"]
    assert ids(a["id"], "-2") == ["alpha-2"]
    assert ids(a["id"], "zzz") == []


def test_disconnect_closes_with_4005(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "to-disconnect")
    keep = sessions(ch["ws_url"], "to-keep")
    [pub_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"], "to-disconnect")]
    r = wsx.api("DELETE", f"{CONNS}/{pub_id}")
    assert r.status == 204 and r.body == b"", r
    code, reason = s.wait_closed()
    assert code == 4005, (code, reason)
    assert reason == "Disconnected by an administrator"
    wait_until(lambda: [c["ext_client_id"] for c in list_conns(wsx, ch["id"])] == ["to-keep"],
               what="the disconnected client to leave the list")
    assert_error(wsx.api("DELETE", f"{CONNS}/{pub_id}"), 404, code="not_found")
    # the other client is untouched: it still answers an invoke
    [keep_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"])]
    call = AsyncCall(invoke, wsx, keep_id, {"request": "still there?"})
    keep.answer(keep.recv_rqc(), "yes")
    assert call.get().json() == {"response": "yes"}


@pytest.mark.parametrize("request_value,response", [
    ({"op": "status", "args": [1, 2]}, {"ok": True, "items": [1, 2]}),
    ("plain text", "text back"),
    (None, None),
])
def test_invoke_answered_by_the_client(wsx, json_channel, sessions, request_value, response):
    ch = json_channel()
    s = sessions(ch["ws_url"], "invoke-me")
    [pub_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"])]
    call = AsyncCall(invoke, wsx, pub_id, {"request": request_value, "timeout": 10})
    rqc = s.recv_rqc()
    assert rqc.get("data") == request_value, rqc
    s.answer(rqc, response)
    r = call.get()
    assert r.status == 200, r
    assert r.json() == {"response": response}
    assert call.elapsed < 10, "the answer should end the wait, not the timeout"


def test_invoke_answer_without_response_key_returns_data(wsx, json_channel, sessions):
    """WSX-PROTOCOL.md 6: data.response if present, else data."""
    ch = json_channel()
    s = sessions(ch["ws_url"], "invoke-raw-data")
    [pub_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"])]
    call = AsyncCall(invoke, wsx, pub_id, {"request": 1})
    rqc = s.recv_rqc()
    s.send_json({"action": "client-response", "in_reply_to": rqc["meta"]["id"]}, {"n": 2})
    assert call.get().json() == {"response": {"n": 2}}


def test_invoke_not_answered_times_out_with_504_and_blocks_nothing(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "silent")
    [pub_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"])]
    call = AsyncCall(invoke, wsx, pub_id, {"request": {"q": 1}, "timeout": 2})
    s.recv_rqc()  # received, never answered
    # the admin loop is not blocked meanwhile
    t0 = time.monotonic()
    assert wsx.api("GET", list_path(ch["id"])).status == 200
    assert time.monotonic() - t0 < 1.5, "the admin API stalled while an invoke waited"
    r = call.get()
    assert_error(r, 504, code="timeout", contains=(pub_id, "2 s"))
    assert 1.9 <= call.elapsed < 2 + 10, call.elapsed
    # the client that did not answer stays connected
    assert [c["pub_client_id"] for c in list_conns(wsx, ch["id"])] == [pub_id]


def test_invoke_of_a_client_that_closes_before_answering_is_410(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "leaves")
    [pub_id] = [c["pub_client_id"] for c in list_conns(wsx, ch["id"])]
    call = AsyncCall(invoke, wsx, pub_id, {"request": 1, "timeout": 20})
    s.recv_rqc()
    s.close()
    r = call.get()
    assert_error(r, 410, code="closed", contains=(pub_id,))
    assert call.elapsed < 15, "the close should end the wait, not the timeout"


def test_broadcast_reaches_every_logged_in_client_of_the_channel_only(wsx, json_channel,
                                                                      sessions):
    a, b = json_channel(), json_channel()
    a1, a2 = sessions(a["ws_url"], "bc-a1"), sessions(a["ws_url"], "bc-a2")
    b1 = sessions(b["ws_url"], "bc-b1")
    lurker = sessions(a["ws_url"], "bc-not-logged-in", login=False)
    data = {"event": "news", "n": [1, 2, 3], "text": "zażółć"}
    r = wsx.api("POST", f"{CHANNELS}/{a['id']}/broadcast", {"data": data})
    assert r.status == 200, r
    assert r.json()["sent"] == 2, r
    ids = set()
    for s in (a1, a2):
        msg = s.recv_rqc()
        assert msg["data"] == data, msg
        ids.add(msg["meta"]["id"])
    assert len(ids) == 2, "each message has its own meta.id"
    b1.expect_nothing(1.0)
    lurker.expect_nothing(0.5)
    # and the other way round
    r = wsx.api("POST", f"{CHANNELS}/{b['id']}/broadcast", {"data": "to b"})
    assert r.json()["sent"] == 1, r
    assert b1.recv_rqc()["data"] == "to b"
    a1.expect_nothing(0.5)
    a2.expect_nothing(0.5)


def test_stopping_the_server_while_an_invoke_waits_exits_cleanly(server_factory):
    """The workers answer a pending invoke with "closed" as they close its session; the
    server must run those answers before it frees its loop (under ASan a leak or a use
    after free makes the exit status non-zero)."""
    srv = server_factory().start()
    ch = srv.create_channel(data_format="json", new_token_wait_time=30)
    s = Session(ch["ws_url"], "waits-at-shutdown")
    try:
        [pub_id] = [c["pub_client_id"] for c in list_conns(srv, ch["id"])]
        call = AsyncCall(invoke, srv, pub_id, {"request": 1, "timeout": 60})
        s.recv_rqc()
        rc = srv.stop()
        assert rc == 0, f"wsx exited with {rc}; output:\n{srv.log()[-6000:]}"
        try:
            call.get(30)  # any answer, or the connection closed: it does not hang
        except OSError:
            pass
    finally:
        s.close()
