"""wsxsession - what the session protocol tests (test_session_*.py) share: json channels
and security definitions made through the admin API and removed after the test, a raw
WebSocket that speaks the envelope of WSX-PROTOCOL.md, message builders, and checks of the
exact shape of every server message.

The raw client (JsonWs) sees every frame: the server's PINGs, its close code and reason,
and lets a test send invalid UTF-8 or oversized frames that a library client would refuse
to send."""
import base64
import hashlib
import hmac
import json
import re
import struct
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from wsxlib import (IO_TIMEOUT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, RawWs,
                    accept_for, parse_http_head, tcp_connect, unique_name, upgrade_request)

TOKEN_RE = re.compile(r"^zwsxt\.[0-9a-f]{32}$")
PUB_ID_RE = re.compile(r"^ws\.[0-9a-f]{24}$")
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")
NOT_AUTHORIZED = "You are not authorized to access this resource"
NOT_ALLOWED = "You are not allowed to access this resource"
GATEWAY = "helpers.web-sockets-gateway"
SECURITY = "/api/v1/security"


# --------------------------------------------------------------------------- admin API

class SessionEnv:
    """Channels (json, demo.echo by default) and security definitions for one test. At
    teardown the channels go first, then the definitions they used."""

    def __init__(self, wsx):
        self.wsx = wsx
        self.channel_ids = []
        self.security_ids = []

    def channel(self, **fields):
        body = {"data_format": "json", "service": "demo.echo"}
        body.update(fields)
        ch = self.wsx.create_channel(**body)
        self.channel_ids.append(ch["id"])
        assert ch["data_format"] == "json", ch
        return ch

    def security(self, type_, **fields):
        body = {"name": unique_name("sec"), "type": type_}
        body.update(fields)
        r = self.wsx.api("POST", SECURITY, body)
        assert r.status == 201, f"creating a {type_} security definition: {r}"
        d = r.json()
        self.security_ids.append(d["id"])
        assert d["name"] == body["name"], d
        return d

    def cleanup(self):
        if not self.wsx.alive():
            return
        for cid in self.channel_ids:
            self.wsx.api("DELETE", f"/api/v1/channels/{cid}")
        for sid in self.security_ids:
            self.wsx.api("DELETE", f"{SECURITY}/{sid}")


@pytest.fixture
def env(wsx):
    e = SessionEnv(wsx)
    yield e
    e.cleanup()


def connections_of(wsx, channel_id):
    """The logged-in connections of a channel (GET /api/v1/channels/{id}/connections)."""
    r = wsx.api("GET", f"/api/v1/channels/{channel_id}/connections")
    assert r.status == 200, r
    j = r.json()
    items = j if isinstance(j, list) else j.get("connections", j.get("items"))
    assert isinstance(items, list), f"no list of connections in {j!r}"
    return items


def pub_client_id_of(wsx, channel_id, ext_client_id):
    conns = [c for c in connections_of(wsx, channel_id) if c.get("ext_client_id") == ext_client_id]
    assert len(conns) == 1, f"expected one connection with client_id {ext_client_id!r}: {conns}"
    pub = conns[0]["pub_client_id"]
    assert PUB_ID_RE.match(pub), pub
    return pub


def admin_invoke(wsx, pub_client_id, request, timeout=5):
    return wsx.api("POST", f"/api/v1/connections/{pub_client_id}/invoke",
                   {"request": request, "timeout": timeout})


# --------------------------------------------------------------------------- messages

def now_iso():
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def new_id(prefix="t"):
    return f"{prefix}.{uuid.uuid4().hex}"


def message(action=None, data=None, msg_id=None, **meta):
    """A client message: meta id and timestamp filled in; action left out when None."""
    m = {"id": msg_id or new_id(), "timestamp": now_iso()}
    if action is not None:
        m["action"] = action
    m.update(meta)
    msg = {"meta": m}
    if data is not None:
        msg["data"] = data
    return msg


def make_jwt(claims, key):
    """An HS256 JWT (RFC 7519 compact form) signed with key."""
    def b64(b):
        return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key.encode() if isinstance(key, str) else key,
                   f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


# --------------------------------------------------------------------------- checks

def check_server_meta(msg, msg_type):
    """The meta every server message has: a server-side id, a UTC timestamp with
    microseconds and no zone (close to now), and msg_type."""
    assert isinstance(msg, dict) and isinstance(msg.get("meta"), dict), msg
    meta = msg["meta"]
    assert meta.get("msg_type") == msg_type, f"expected {msg_type}: {msg}"
    assert isinstance(meta.get("id"), str) and meta["id"], f"meta.id missing: {msg}"
    ts = meta.get("timestamp")
    assert isinstance(ts, str) and TIMESTAMP_RE.match(ts), f"bad meta.timestamp {ts!r}"
    t = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f")
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    assert abs(now - t) < timedelta(seconds=60), f"timestamp {ts} is not UTC now ({now})"
    return meta


def check_rspa(msg, request_id):
    meta = check_server_meta(msg, "zwsx.rspa")
    assert meta.get("status") == 200, msg
    assert meta.get("in_reply_to") == request_id, msg
    assert meta["id"] != request_id, "the server's meta.id must be its own"
    token = msg.get("data", {}).get("token")
    assert isinstance(token, str) and TOKEN_RE.match(token), f"bad token in {msg}"
    return token


def check_rspok(msg, request_id, data=...):
    meta = check_server_meta(msg, "zwsx.rspok")
    assert meta.get("status") == 200, msg
    assert meta.get("in_reply_to") == request_id, msg
    assert meta["id"] != request_id, "the server's meta.id must be its own"
    if data is not ...:
        assert msg.get("data") == data, f"expected data {data!r}: {msg}"
    return msg


def check_rsperr(msg, status, request_id=None, message_contains=None):
    """zwsx.rsperr with `status`; in_reply_to = request_id (None: must be absent);
    data {"cid": "<correlation id>"}. Returns meta.error_message."""
    meta = check_server_meta(msg, "zwsx.rsperr")
    assert meta.get("status") == status, f"expected status {status}: {msg}"
    if request_id is None:
        assert "in_reply_to" not in meta, f"in_reply_to must be left out: {msg}"
    else:
        assert meta.get("in_reply_to") == request_id, msg
    err = meta.get("error_message")
    assert isinstance(err, str) and err, f"error_message missing: {msg}"
    if message_contains is not None:
        assert message_contains.lower() in err.lower(), \
            f"{message_contains!r} not in error_message {err!r}"
    cid = msg.get("data", {}).get("cid") if isinstance(msg.get("data"), dict) else None
    assert isinstance(cid, str) and cid, f"data.cid missing: {msg}"
    return err


def check_merr(msg):
    meta = check_server_meta(msg, "zwsx.merr")
    assert meta.get("status") == 403, msg
    assert "in_reply_to" not in meta, msg  # WSX-PROTOCOL.md section 2: status only
    assert msg.get("data") == NOT_AUTHORIZED, msg
    return msg


def check_server_ping(payload):
    """A server PING's payload: compact JSON {"meta":{"id","timestamp","msg_type"}}."""
    assert len(payload) < 125, f"ping payload of {len(payload)} bytes"
    assert b" " not in payload and b"\n" not in payload, f"not compact JSON: {payload!r}"
    obj = json.loads(payload)
    assert set(obj) == {"meta"}, obj
    assert set(obj["meta"]) == {"id", "timestamp", "msg_type"}, obj
    check_server_meta(obj, "zwsx.rqc")
    return obj


# --------------------------------------------------------------------------- raw client

class JsonWs(RawWs):
    """RawWs speaking the envelope. upgrade_delay: seconds between the TCP connect and
    the upgrade request (to test that the login timer starts at accept)."""

    def __init__(self, port, path="/ws", timeout=IO_TIMEOUT, upgrade_delay=0.0):
        if not upgrade_delay:
            super().__init__(port, path, timeout)
        else:
            self.sock = tcp_connect(port, timeout)
            self.timeout = timeout
            time.sleep(upgrade_delay)
            req, key = upgrade_request(port, path)
            self.sock.sendall(req)
            self.buf = b""
            while b"\r\n\r\n" not in self.buf:
                b = self.sock.recv(65536)
                assert b, f"the server closed during the handshake: {self.buf!r}"
                self.buf += b
            status, headers, self.buf = parse_http_head(self.buf)
            assert status == 101, f"handshake answered {status}, not 101"
            assert headers.get("sec-websocket-accept") == accept_for(key), headers
        self.pings = []  # payloads of the server's PINGs seen by recv_json

    def send_json(self, obj, opcode=OP_TEXT):
        self.send_frame(opcode, json.dumps(obj).encode())

    def recv_json(self, timeout=None, answer_pings=True):
        """The next message as JSON. Server PINGs on the way are recorded and, unless
        answer_pings is False, answered with a PONG echoing them. Messages must come as
        text frames (Zato's JavaScript client JSON.parse()s event.data)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            f = self.recv_frame(max(0.01, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                self.pings.append(f.payload)
                if answer_pings:
                    self.send_frame(OP_PONG, f.payload)
                continue
            assert f.opcode != OP_CLOSE, (f"expected a message, got a close "
                                          f"{f.close_code()} {f.payload[2:]!r}")
            assert f.opcode == OP_TEXT, f"server messages must be text frames: {f!r}"
            assert f.fin and f.rsv == 0, f
            return json.loads(f.payload)

    def request(self, msg, opcode=OP_TEXT):
        """Send msg, return the reply."""
        self.send_json(msg, opcode)
        return self.recv_json()

    def login(self, **meta):
        """create-session (with meta such as username, secret, client_id); returns the
        token after checking the rspa."""
        msg = message("create-session", **meta)
        return check_rspa(self.request(msg), msg["meta"]["id"])

    def invoke(self, token, data, action="invoke-service", **meta):
        msg = message(action, data, token=token, **meta)
        return check_rspok(self.request(msg), msg["meta"]["id"])

    def expect_merr_and_close(self, reason=None):
        """zwsx.merr, then a close frame 1008 (with `reason` if given), then EOF."""
        check_merr(self.recv_json(answer_pings=False))
        got = self.expect_close(1008)
        if reason is not None:
            assert got == reason.encode(), f"close reason {got!r}, expected {reason!r}"

    def close_normally(self):
        self.send_frame(OP_CLOSE, struct.pack("!H", 1000))
        return self.expect_close(1000, reply=False)


def login_then(ch, **meta):
    """A JsonWs on channel ch, logged in; returns (ws, token)."""
    ws = JsonWs(ch["port"])
    try:
        return ws, ws.login(**meta)
    except BaseException:
        ws.sock.close()
        raise


__all__ = ["env", "SessionEnv", "JsonWs", "connections_of", "pub_client_id_of", "admin_invoke",
           "message", "new_id", "now_iso", "make_jwt", "check_server_meta", "check_rspa",
           "check_rspok", "check_rsperr", "check_merr", "check_server_ping", "login_then",
           "TOKEN_RE", "PUB_ID_RE", "TIMESTAMP_RE", "NOT_AUTHORIZED", "NOT_ALLOWED", "GATEWAY",
           "SECURITY", "OP_BINARY", "OP_TEXT", "OP_PING", "OP_PONG", "OP_CLOSE"]
