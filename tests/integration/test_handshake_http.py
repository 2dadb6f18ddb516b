"""The opening handshake on a channel's port, by hand: what a request that is not a
valid upgrade gets (WSX-PROTOCOL.md section 1), the head size limit, and the
new_token_wait_time bound on a connection that never upgrades."""
import json
import time

import pytest

from wsxlib import (OP_TEXT, RawWs, accept_for, frame, http_exchange, parse_http_head,
                    tcp_connect, upgrade_request)


@pytest.fixture(scope="module")
def port(wsx):
    ch = wsx.create_channel(_path="/hs")
    yield ch["port"]
    wsx.api("DELETE", f"/api/v1/channels/{ch['id']}")


def assert_json_error(status, headers, body, want_status, want_body):
    assert status == want_status, (status, headers, body)
    assert headers.get("content-type", "").startswith("application/json"), headers
    assert json.loads(body) == want_body, body


def test_rfc_sample_key_gets_the_rfc_accept_value(port):
    req, key = upgrade_request(port, "/hs", key="dGhlIHNhbXBsZSBub25jZQ==")
    with tcp_connect(port) as s:
        s.sendall(req + frame(OP_TEXT, b"right behind the head"))
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(4096)
            assert b, data
            data += b
        status, headers, rest = parse_http_head(data)
        assert status == 101
        assert headers["sec-websocket-accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        assert headers["sec-websocket-accept"] == accept_for(key)
        assert headers["connection"].lower() == "upgrade"
        while len(rest) < 2 + len(b"right behind the head"):
            b = s.recv(4096)
            assert b
            rest += b
        assert rest == bytes([0x81, 21]) + b"right behind the head"


@pytest.mark.parametrize("variant", ["firefox connection list", "mixed case", "lower-case names",
                                     "split connection headers"])
def test_upgrade_header_variants_real_clients_send(port, variant):
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    hdrs = {"firefox connection list": [("Host", "x"), ("Connection", "keep-alive, Upgrade"),
                                        ("Upgrade", "websocket")],
            "mixed case": [("Host", "x"), ("Connection", "upgrade"), ("Upgrade", "WebSocket")],
            "lower-case names": [("host", "x"), ("connection", "Upgrade"), ("upgrade", "websocket")],
            "split connection headers": [("Host", "x"), ("Connection", "keep-alive"),
                                         ("Connection", "Upgrade"), ("Upgrade", "websocket")],
            }[variant]
    hdrs += [("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", "13")]
    req = ("GET /hs HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n").encode()
    with tcp_connect(port) as s:
        s.sendall(req)
        data = s.recv(4096)
    assert data.startswith(b"HTTP/1.1 101 "), data[:200]
    assert b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" in data


def test_version_8_is_accepted(port):
    req, _ = upgrade_request(port, "/hs", version="8")
    with tcp_connect(port) as s:
        s.sendall(req)
        assert s.recv(4096).startswith(b"HTTP/1.1 101 ")


def test_query_string_is_not_part_of_the_path(port):
    with RawWs(port, "/hs?client=1") as ws:
        ws.send_frame(OP_TEXT, b"q")
        assert ws.recv_message().payload == b"q"


@pytest.mark.parametrize("path", ["/", "/hs/", "/HS", "/hsx", "/other"])
def test_wrong_path_is_404(port, path):
    req, _ = upgrade_request(port, path)
    assert_json_error(*http_exchange(port, req), 404, {"error": "Not found"})


@pytest.mark.parametrize("case", ["no key", "short key", "key not base64", "two keys",
                                  "no upgrade header", "no connection header", "plain GET",
                                  "POST", "HTTP/1.0", "garbage"])
def test_bad_upgrade_is_400(port, case):
    if case == "no key":
        req, _ = upgrade_request(port, "/hs", omit=("Sec-WebSocket-Key",))
    elif case == "short key":
        req, _ = upgrade_request(port, "/hs", key="c2hvcnQ=")
    elif case == "key not base64":
        req, _ = upgrade_request(port, "/hs", key="!!!!!!!!!!!!!!!!!!!!!!==")
    elif case == "two keys":
        req, _ = upgrade_request(port, "/hs", extra=[("Sec-WebSocket-Key",
                                                      "dGhlIHNhbXBsZSBub25jZQ==")])
    elif case == "no upgrade header":
        req, _ = upgrade_request(port, "/hs", omit=("Upgrade",))
    elif case == "no connection header":
        req, _ = upgrade_request(port, "/hs", omit=("Connection",))
    elif case == "plain GET":
        req = b"GET /hs HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    elif case == "POST":
        req, _ = upgrade_request(port, "/hs", method="POST")
    elif case == "HTTP/1.0":
        req, _ = upgrade_request(port, "/hs")
        req = req.replace(b"HTTP/1.1", b"HTTP/1.0", 1)
    else:
        req = b"\x16\x03\x01 this is not HTTP\r\n\r\n"
    assert_json_error(*http_exchange(port, req), 400, {"error": "Bad request"})


@pytest.mark.parametrize("version", ["12", "14", "abc", None])
def test_bad_version_is_400_with_the_version_we_speak(port, version):
    if version is None:
        req, _ = upgrade_request(port, "/hs", omit=("Sec-WebSocket-Version",))
    else:
        req, _ = upgrade_request(port, "/hs", version=version)
    status, headers, body = http_exchange(port, req)
    assert_json_error(status, headers, body, 400, {"error": "Bad request"})
    assert headers.get("sec-websocket-version") == "13", headers


def test_head_over_8_kib_is_431(port):
    req, _ = upgrade_request(port, "/hs", extra=[("X-Padding", "p" * 9000)])
    status, headers, body = http_exchange(port, req)
    assert status == 431, (status, body)
    assert headers.get("content-type", "").startswith("application/json")
    # sent slowly, without the final blank line: refused once it passes the limit
    with tcp_connect(port) as s:
        s.sendall(b"GET /hs HTTP/1.1\r\n")
        try:
            for _ in range(10):
                s.sendall(b"X-More: " + b"m" * 1000 + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused before we were done: fine
        data = b""
        s.settimeout(20)
        while True:
            try:
                b = s.recv(4096)
            except ConnectionResetError:
                break
            if not b:
                break
            data += b
        assert data.startswith(b"HTTP/1.1 431 "), data[:200]


def test_head_just_under_8_kib_is_fine(port):
    req, _ = upgrade_request(port, "/hs")
    pad = 8192 - len(req) - len("X-Padding: \r\n") - 1
    req, _ = upgrade_request(port, "/hs", extra=[("X-Padding", "p" * pad)])
    assert len(req) < 8192
    with tcp_connect(port) as s:
        s.sendall(req)
        assert s.recv(4096).startswith(b"HTTP/1.1 101 ")


def test_idle_connection_is_closed_after_new_token_wait_time(wsx, channel):
    """A TCP connection that never sends the upgrade (or only part of it) is closed
    after new_token_wait_time (1 s here; the default is 5 s), while a channel with a
    long wait keeps its idle connection open."""
    quick = channel(new_token_wait_time=1, _path="/idle")
    slow = channel(new_token_wait_time=120, _path="/idle")
    started = time.monotonic()
    silent = tcp_connect(quick["port"])
    partial = tcp_connect(quick["port"])
    partial.sendall(b"GET /idle HTTP/1.1\r\nHost: x\r\n")
    patient = tcp_connect(slow["port"])
    try:
        for s in (silent, partial):
            s.settimeout(30)
            try:
                assert s.recv(4096) == b"", "closed without an answer"
            except ConnectionResetError:
                pass
        elapsed = time.monotonic() - started
        assert elapsed < 5, (f"idle connections were closed after {elapsed:.1f} s, not after "
                             f"the channel's new_token_wait_time of 1 s")
        # the long-wait channel's idle connection is still open: it answers a request
        patient.sendall(upgrade_request(slow["port"], "/idle")[0])
        patient.settimeout(20)
        assert patient.recv(4096).startswith(b"HTTP/1.1 101 "), \
            "an idle connection on a channel with new_token_wait_time 120 was closed early"
    finally:
        for s in (silent, partial, patient):
            s.close()
