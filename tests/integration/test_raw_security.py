"""WSX-PROTOCOL.md section 8: a raw channel with a security definition logs in with the
upgrade request's Authorization header - `Basic base64(user:password)` for basic_auth,
`Bearer <key>` for apikey, `Bearer <jwt>` for jwt. Good credentials: 101 and the
channel's service (demo.echo) answers; missing or wrong ones: HTTP 401 before the
upgrade (no 101, no Sec-WebSocket-Accept), then the server closes the connection."""
import base64
import time

import pytest

from wsxlib import (IO_TIMEOUT, OP_BINARY, OP_TEXT, RawWs, accept_for, frame, parse_http_head,
                    read_until_eof, tcp_connect, upgrade_request)
from wsxsession import make_jwt
from wsxsession import env  # noqa: F401 - the fixture

USER, PASSWORD = "raw-user", "raw pass:with a colon"
API_KEY = "raw-api-key-0f1e2d3c4b5a"
JWT_USER, JWT_KEY = "jwt-raw-user", "raw jwt signing key 0123456789abc"  # 32 bytes


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def upgrade_with(port, authorization=None, after=b""):
    """Send an upgrade request (with this Authorization header, if any) and `after`
    in the same write; returns (socket, status, headers, bytes after the head,
    the whole answer so far, the key)."""
    extra = [("Authorization", authorization)] if authorization is not None else []
    req, key = upgrade_request(port, extra=extra)
    s = tcp_connect(port)
    s.sendall(req + after)
    data = b""
    while b"\r\n\r\n" not in data:
        b = s.recv(65536)
        assert b, f"the server closed without an HTTP answer: {data!r}"
        data += b
    status, headers, rest = parse_http_head(data)
    return s, status, headers, rest, data, key


def expect_upgraded(port, authorization, after=b""):
    """101 with the right accept value: a RawWs over the socket."""
    s, status, headers, rest, data, key = upgrade_with(port, authorization, after)
    assert status == 101, f"good credentials must upgrade: {data!r}"
    assert headers.get("sec-websocket-accept") == accept_for(key), headers
    ws = RawWs.__new__(RawWs)
    ws.sock, ws.timeout, ws.buf = s, IO_TIMEOUT, rest
    return ws


def expect_401(port, authorization, after=b""):
    """HTTP 401 before any upgrade, then the server closes the connection; frames
    sent behind the request are never answered."""
    s, status, headers, rest, data, _ = upgrade_with(port, authorization, after)
    with s:
        data += read_until_eof(s)
    assert status == 401, f"expected 401, got {status}: {data!r}"
    assert data.startswith(b"HTTP/1.1 401 "), data
    assert b"HTTP/1.1 101" not in data and b"sec-websocket-accept" not in data.lower(), \
        f"the server upgraded: {data!r}"
    assert headers.get("www-authenticate", "").lower().startswith("basic"), \
        f"RFC 7235 3.1: a 401 carries WWW-Authenticate: {headers}"
    n = int(headers.get("content-length", "0"))
    assert len(data) - data.index(b"\r\n\r\n") - 4 == n, \
        f"nothing may follow the 401's body (no echo of the frame sent behind): {data!r}"


def echo_works(ws):
    with ws:
        ws.send_frame(OP_TEXT, "zażółć gęślą jaźń")
        f = ws.recv_message()
        assert (f.opcode, f.payload) == (OP_TEXT, "zażółć gęślą jaźń".encode()), f
        ws.send_frame(OP_BINARY, b"\x00\xff\x10")
        f = ws.recv_message()
        assert (f.opcode, f.payload) == (OP_BINARY, b"\x00\xff\x10"), f
        ws.send_frame(0x8, b"\x03\xe8")
        ws.expect_close(1000, reply=False)


@pytest.fixture
def raw_channel(env, channel):
    """Raw demo.echo channels (conftest's `channel`, removed before the definitions
    `env` made, which it is torn down after)."""
    def make(security=None):
        ch = channel(**({"security": security["name"]} if security else {}))
        assert ch["data_format"] == "raw" and ch["state"] == "listening", ch
        return ch
    return make


# =========================================================================== basic_auth

@pytest.fixture
def basic_channel(env, raw_channel):
    return raw_channel(env.security("basic_auth", username=USER, password=PASSWORD))


BASIC_GOOD = [
    ("good", basic(USER, PASSWORD)),
    ("scheme in lower case (RFC 7235 2.1)", "basic " + basic(USER, PASSWORD)[6:]),
]
BASIC_BAD = [
    ("no header", None),
    ("wrong password", basic(USER, PASSWORD + "x")),
    ("password prefix", basic(USER, PASSWORD.split(":")[0])),
    ("wrong username", basic("other-user", PASSWORD)),
    ("empty", basic("", "")),
    ("Bearer with the password", "Bearer " + PASSWORD),
    ("no colon", "Basic " + base64.b64encode(USER.encode()).decode()),
    ("not base64", "Basic !!!" + basic(USER, PASSWORD)[6:]),
    ("scheme only", "Basic"),
]


def ids(cases):
    return [c[0] for c in cases]


@pytest.mark.parametrize("case,authorization", BASIC_GOOD, ids=ids(BASIC_GOOD))
def test_basic_auth_good_credentials_upgrade(basic_channel, case, authorization):
    echo_works(expect_upgraded(basic_channel["port"], authorization))


@pytest.mark.parametrize("case,authorization", BASIC_BAD, ids=ids(BASIC_BAD))
def test_basic_auth_bad_credentials_get_401(basic_channel, case, authorization):
    expect_401(basic_channel["port"], authorization)


def test_frames_sent_with_the_upgrade_wait_for_the_check(basic_channel):
    """A client that writes its first message right behind the upgrade request: with
    good credentials it is answered after the 101, with bad ones never."""
    msg = frame(OP_TEXT, "early bird")
    ws = expect_upgraded(basic_channel["port"], basic(USER, PASSWORD), after=msg)
    with ws:
        f = ws.recv_message()
        assert (f.opcode, f.payload) == (OP_TEXT, b"early bird"), f
    expect_401(basic_channel["port"], basic(USER, "wrong"), after=msg)


# =========================================================================== apikey

@pytest.fixture
def apikey_channel(env, raw_channel):
    return raw_channel(env.security("apikey", key=API_KEY))


def test_apikey_bearer_upgrades(apikey_channel):
    echo_works(expect_upgraded(apikey_channel["port"], "Bearer " + API_KEY))


APIKEY_BAD = [
    ("no header", None),
    ("wrong key", "Bearer " + API_KEY[:-1] + "b"),
    ("key prefix", "Bearer " + API_KEY[:-1]),
    ("key with a suffix", "Bearer " + API_KEY + "0"),
    ("empty bearer", "Bearer "),
    ("Basic with the key as password", basic("x", API_KEY)),
    ("the key without a scheme", API_KEY),
]


@pytest.mark.parametrize("case,authorization", APIKEY_BAD, ids=ids(APIKEY_BAD))
def test_apikey_bad_credentials_get_401(apikey_channel, case, authorization):
    expect_401(apikey_channel["port"], authorization)


# =========================================================================== jwt

@pytest.fixture
def jwt_channel(env, raw_channel):
    return raw_channel(env.security("jwt", username=JWT_USER, secret=JWT_KEY))


def test_jwt_bearer_upgrades(jwt_channel):
    token = make_jwt({"sub": JWT_USER, "exp": int(time.time()) + 300}, JWT_KEY)
    echo_works(expect_upgraded(jwt_channel["port"], "Bearer " + token))


def jwt_bad_cases():
    now = int(time.time())
    return [
        ("no header", None),
        ("expired", "Bearer " + make_jwt({"sub": JWT_USER, "exp": now - 30}, JWT_KEY)),
        ("wrong key", "Bearer " + make_jwt({"sub": JWT_USER, "exp": now + 300},
                                           "another key of thirty-two bytes!")),
        ("wrong subject", "Bearer " + make_jwt({"sub": "mallory", "exp": now + 300}, JWT_KEY)),
        ("Basic with the token", basic(JWT_USER, make_jwt({"sub": JWT_USER, "exp": now + 300},
                                                          JWT_KEY))),
        ("not a JWT", "Bearer " + JWT_KEY),
    ]


JWT_BAD = jwt_bad_cases()


@pytest.mark.parametrize("case,authorization", JWT_BAD, ids=ids(JWT_BAD))
def test_jwt_bad_credentials_get_401(jwt_channel, case, authorization):
    expect_401(jwt_channel["port"], authorization)


# =========================================================================== no definition

def test_raw_channel_without_security_ignores_authorization(raw_channel):
    """Without a definition there is nothing to check: any header, or none, upgrades."""
    ch = raw_channel()
    echo_works(expect_upgraded(ch["port"], None))
    echo_works(expect_upgraded(ch["port"], basic("anyone", "anything")))
