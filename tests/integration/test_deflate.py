"""permessage-deflate (RFC 7692), per channel and off by default: what the 101
answers to each offer, echoes through real clients (Python websockets, Node ws) and
by hand with zlib, RSV1 where it is not allowed (1002), a decompression bomb (1009,
the server's memory stays flat), and the field in the API and the CLI."""
import asyncio
import json
import os
import subprocess
import zlib

import pytest
import websockets

from wsxlib import (NODE_CLIENT, OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, ROOT, RawWs,
                    accept_for, frame, parse_http_head, tcp_connect, upgrade_request)

TAIL = b"\x00\x00\xff\xff"


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


class DeflateWs(RawWs):
    """A hand-made connection that offers `offer` in Sec-WebSocket-Extensions; keeps
    the 101's headers in self.headers."""

    def __init__(self, port, offer, path="/ws"):
        self.sock = tcp_connect(port)
        self.timeout = 20.0
        extra = [("Sec-WebSocket-Extensions", offer)] if offer else []
        req, key = upgrade_request(port, path, extra=extra)
        self.sock.sendall(req)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            b = self.sock.recv(65536)
            assert b, f"the server closed during the handshake: {self.buf!r}"
            self.buf += b
        status, self.headers, self.buf = parse_http_head(self.buf)
        assert status == 101, status
        assert self.headers.get("sec-websocket-accept") == accept_for(key)

    @property
    def extensions(self):
        return self.headers.get("sec-websocket-extensions")


def compress(data, wbits=15):
    c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(TAIL)
    return out[:-4]


def inflate(payload, wbits=15):
    return zlib.decompressobj(-wbits).decompress(payload + TAIL)


# ---- the handshake

@pytest.mark.parametrize("offer, answer", [
    ("permessage-deflate",
     "permessage-deflate; server_no_context_takeover"),
    ("permessage-deflate; client_max_window_bits",
     "permessage-deflate; server_no_context_takeover"),
    ("permessage-deflate; client_no_context_takeover; server_max_window_bits=10",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
     "server_max_window_bits=10"),
    ("permessage-deflate; client_max_window_bits=9; server_no_context_takeover",
     "permessage-deflate; server_no_context_takeover; client_max_window_bits=9"),
    # a declined offer (bad value), then one that is accepted
    ("permessage-deflate; server_max_window_bits=16, permessage-deflate; "
     "client_no_context_takeover",
     "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    ("x-webkit-deflate-frame, permessage-deflate",
     "permessage-deflate; server_no_context_takeover"),
])
def test_offers_and_answers(channel, offer, answer):
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], offer) as ws:
        assert ws.extensions == answer
        ws.send_frame(OP_TEXT, b"still a WebSocket")
        assert ws.recv_message().payload == b"still a WebSocket"


@pytest.mark.parametrize("offer, answer", [
    # the client lets the server choose its window: the cap is answered
    ("permessage-deflate; client_max_window_bits",
     "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"),
    ("permessage-deflate; client_max_window_bits=12; server_max_window_bits=15",
     "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; "
     "client_max_window_bits=10"),
    ("permessage-deflate; client_max_window_bits=9",
     "permessage-deflate; server_no_context_takeover; client_max_window_bits=9"),
    # no client_max_window_bits in the offer: the client's window cannot be capped
    ("permessage-deflate", "permessage-deflate; server_no_context_takeover"),
])
def test_window_cap(channel, offer, answer):
    ch = channel(permessage_deflate=True, deflate_max_window_bits=10)
    assert ch["deflate_max_window_bits"] == 10
    with DeflateWs(ch["port"], offer) as ws:
        assert ws.extensions == answer
        # what the server sends inflates with a 10-bit window (a 15-bit text repeats
        # at 2000 bytes: a larger window would reach back past 1 KiB)
        text = os.urandom(1000).hex().encode() * 3
        bits = int(answer.rsplit("client_max_window_bits=", 1)[1]) \
            if "client_max_window_bits=" in answer else 15
        ws.send_frame(OP_BINARY, compress(text, bits), rsv=4)
        f = ws.recv_frame()
        assert f.rsv == 4
        assert inflate(f.payload, 10) == text


@pytest.mark.parametrize("offer", [
    "permessage-deflate; server_no_context_takeover; server_no_context_takeover",  # repeated
    "permessage-deflate; server_max_window_bits",  # needs a value
    "permessage-deflate; client_max_window_bits=7",  # out of range
    "permessage-deflate; no_such_param",  # unknown
    "permessage-deflate; server_no_context_takeover=yes",  # takes no value
    "x-webkit-deflate-frame",  # another extension
])
def test_bad_offers_are_declined_not_failed(channel, offer):
    """RFC 7692 5: a server declines an offer it cannot accept; the handshake goes on
    without the extension."""
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], offer) as ws:
        assert ws.extensions is None, ws.headers
        ws.send_frame(OP_TEXT, b"plain")
        assert ws.recv_message().payload == b"plain"
        ws.send_frame(OP_TEXT, compress(b"x" * 100), rsv=4)
        ws.expect_close(1002)


def test_channel_without_deflate_ignores_the_offer_and_refuses_rsv1(channel):
    ch = channel()
    assert ch["permessage_deflate"] is False, "off by default"
    with DeflateWs(ch["port"], "permessage-deflate; client_max_window_bits") as ws:
        assert ws.extensions is None, ws.headers
        ws.send_frame(OP_TEXT, b"hello")
        assert ws.recv_message().payload == b"hello"
        ws.send_frame(OP_TEXT, compress(b"hello" * 30), rsv=4)
        ws.expect_close(1002)


# ---- the data path, by hand

def test_compressed_echo_both_ways(channel):
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        text = ("wsx compresses what it sends " * 200).encode()
        ws.send_frame(OP_TEXT, compress(text), rsv=4)
        f = ws.recv_frame()
        assert f.opcode == OP_TEXT and f.fin and f.rsv == 4, f
        assert len(f.payload) < len(text) // 10
        assert inflate(f.payload) == text
        # an uncompressed message on the same connection is fine too (RFC 7692 6)
        ws.send_frame(OP_BINARY, b"\x00\x01\x02")
        f = ws.recv_frame()
        assert f.opcode == OP_BINARY and f.rsv == 0 and f.payload == b"\x00\x01\x02"
        # a short message is echoed as it is: deflate would not shrink it
        ws.send_frame(OP_TEXT, compress(b"hi"), rsv=4)
        f = ws.recv_frame()
        assert f.rsv == 0 and f.payload == b"hi", f


def test_large_compressed_echoes_with_the_traffic_log(channel):
    """Messages past the worker's kept buffer size (256 KiB), in and out, logged: the
    buffers are given back after each message, never while the message is in use."""
    ch = channel(permessage_deflate=True, log_messages=16, max_message_size=1 << 20)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        for i in range(3):
            text = (f"message {i} " + "large and compressible " * 30000).encode()[:900_000]
            ws.send_frame(OP_TEXT, compress(text), rsv=4)
            f = ws.recv_frame()
            assert f.rsv == 4 and inflate(f.payload) == text
            ws.send_frame(OP_BINARY, text)  # uncompressed in, compressed out
            f = ws.recv_frame()
            assert f.rsv == 4 and inflate(f.payload) == text


def test_client_context_takeover(channel):
    """A client that keeps its window: the second message refers to the first."""
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        msg = os.urandom(3000)
        for i in range(3):
            z = (c.compress(msg) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
            if i:
                assert len(z) < 100
            ws.send_frame(OP_BINARY, z, rsv=4)
            f = ws.recv_frame()
            got = inflate(f.payload) if f.rsv == 4 else f.payload
            assert got == msg


def test_fragmented_compressed_message(channel):
    """RSV1 on the first frame only; the continuation frames carry the rest of the
    compressed bytes."""
    ch = channel(permessage_deflate=True)
    text = ("fragmented and compressed, " * 100).encode()
    z = compress(text)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        third = len(z) // 3
        ws.send(frame(OP_TEXT, z[:third], fin=False, rsv=4) +
                frame(OP_CONT, z[third:2 * third], fin=False) +
                frame(OP_CONT, z[2 * third:]))
        f = ws.recv_frame()
        assert f.rsv == 4 and inflate(f.payload) == text


@pytest.mark.parametrize("frames, what", [
    ([frame(OP_TEXT, b"ab", fin=False), frame(OP_CONT, b"cd", rsv=4)], "RSV1 on a continuation"),
    ([frame(OP_PING, b"p", rsv=4)], "RSV1 on a ping"),
    ([frame(OP_TEXT, b"x", rsv=2)], "RSV2"),
    ([frame(OP_TEXT, b"x", rsv=1)], "RSV3"),
])
def test_rsv_where_not_allowed_is_1002(channel, frames, what):
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        assert ws.extensions
        ws.send(b"".join(frames))
        ws.expect_close(1002)


def test_corrupt_compressed_data_is_1002(channel):
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        ws.send_frame(OP_BINARY, b"\xff\xff\xff\xff", rsv=4)
        ws.expect_close(1002)


def test_invalid_utf8_inside_compressed_text_is_1007(channel):
    ch = channel(permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        ws.send_frame(OP_TEXT, compress(b"valid so far \xce\xba\xe1\xbd\xb9\xed\xa0\x80 not"),
                      rsv=4)
        ws.expect_close(1007)


def test_decompression_bomb_is_1009_and_memory_stays_flat(wsx, channel):
    """4 KiB that inflate to 4 MiB, on a channel with a 64 KiB limit: 1009, and the
    server never holds more than the limit of it (RSS flat over 40 bombs)."""
    ch = channel(permessage_deflate=True, max_message_size=65536)
    bomb = compress(b"\x00" * (4 << 20))
    assert len(bomb) < 8192, len(bomb)
    # one first, so that the thread buffers exist before the measure
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        ws.send_frame(OP_BINARY, bomb, rsv=4)
        ws.expect_close(1009)
    before = rss_kib(wsx.proc.pid)
    for _ in range(40):
        with DeflateWs(ch["port"], "permessage-deflate") as ws:
            ws.send_frame(OP_BINARY, bomb, rsv=4)
            ws.expect_close(1009)
    grown_mib = (rss_kib(wsx.proc.pid) - before) / 1024
    # 40 bombs of 4 MiB each would be 160 MiB if inflated; a few MiB is allocator noise
    assert grown_mib < 16, f"RSS grew by {grown_mib:.1f} MiB"
    # a message just under the limit still goes through
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        ws.send_frame(OP_BINARY, compress(b"\x00" * 65536), rsv=4)
        f = ws.recv_frame()
        assert (inflate(f.payload) if f.rsv else f.payload) == b"\x00" * 65536


def test_json_channel_session_over_deflate(channel):
    """The session protocol of a json channel, compressed both ways: create-session and
    invoke-service sent compressed, the server's answers come compressed."""
    from wsxsession import check_rspa, check_rspok, message
    ch = channel(data_format="json", permessage_deflate=True)
    with DeflateWs(ch["port"], "permessage-deflate; client_no_context_takeover") as ws:
        def request(msg):
            ws.send_frame(OP_TEXT, compress(json.dumps(msg).encode()), rsv=4)
            f = ws.recv_frame()
            assert f.opcode == OP_TEXT and f.rsv == 4, f
            return json.loads(inflate(f.payload))
        m = message("create-session")
        token = check_rspa(request(m), m["meta"]["id"])
        data = {"text": "compressed both ways " * 20}
        m = message("invoke-service", data, token=token)
        check_rspok(request(m), m["meta"]["id"], data)


# ---- real clients

@pytest.mark.parametrize("cap", [0, 10])
def test_python_websockets_negotiates_and_echoes(channel, cap):
    ch = channel(permessage_deflate=True, deflate_max_window_bits=cap)

    async def run():
        async with websockets.connect(ch["ws_url"], max_size=None) as ws:  # compression="deflate"
            ext = ws.response_headers.get("Sec-WebSocket-Extensions")
            assert ext and ext.startswith("permessage-deflate"), ext
            assert ("client_max_window_bits=10" in ext) == (cap == 10), ext
            text = "zażółć gęślą jaźń " * 5000
            await ws.send(text)
            assert await ws.recv() == text
            blob = os.urandom(100) * 500
            await ws.send(blob)
            assert await ws.recv() == blob
            await ws.send("")
            assert await ws.recv() == ""
    asyncio.run(run())


def test_python_websockets_without_compression(channel):
    ch = channel(permessage_deflate=True)

    async def run():
        async with websockets.connect(ch["ws_url"], compression=None) as ws:
            assert ws.response_headers.get("Sec-WebSocket-Extensions") is None
            await ws.send("plain " * 100)
            assert await ws.recv() == "plain " * 100
    asyncio.run(run())


@pytest.mark.parametrize("cap", [0, 9])
def test_node_ws_with_per_message_deflate(channel, node_ready, cap):
    """Node ws offers client_max_window_bits: with a cap it is answered with it."""
    ch = channel(permessage_deflate=True, deflate_max_window_bits=cap)
    text = "node ws compresses this " * 2000
    env = dict(os.environ, WSX_NODE_DEFLATE="1")
    p = subprocess.run(["node", str(NODE_CLIENT), ch["ws_url"], "short", text,
                        "b64:" + "AAEC" * 1000], capture_output=True, text=True, timeout=60,
                       cwd=str(ROOT), stdin=subprocess.DEVNULL, env=env)
    assert p.returncode == 0, p.stderr
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    assert events[0]["event"] == "open"
    assert events[0]["extensions"].startswith("permessage-deflate"), events[0]
    assert ("client_max_window_bits=9" in events[0]["extensions"]) == (cap == 9), events[0]
    msgs = [e for e in events if e["event"] == "message"]
    assert msgs[0] == {"event": "message", "text": "short"}
    assert msgs[1]["text"] == text
    assert msgs[2]["binary"] == "AAEC" * 1000
    assert events[-1]["event"] == "close" and events[-1]["code"] == 1000, events[-1]


# ---- the field in the API and the CLI

def test_api_field(wsx, channel):
    ch = channel(permessage_deflate=True)
    assert ch["permessage_deflate"] is True
    assert wsx.get_channel(ch["id"])["permessage_deflate"] is True
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"permessage_deflate": False})
    assert r.status == 200 and r.json()["permessage_deflate"] is False, r
    # the change reaches new connections
    with DeflateWs(ch["port"], "permessage-deflate") as ws:
        assert ws.extensions is None
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"deflate_max_window_bits": 8})
    assert r.status == 400 and r.error()["field"] == "deflate_max_window_bits", r
    assert "must be 0 (no cap) or between 9 and 15, got 8" in r.error()["message"], r
    for bad in ("yes", 1, None):
        r = wsx.api("POST", "/api/v1/channels", {
            "name": "deflate-bad", "address": "ws://127.0.0.1:1/ws", "service": "demo.echo",
            "permessage_deflate": bad})
        assert r.status == 400, r
        err = r.error()
        assert err["field"] == "permessage_deflate", err
        assert "permessage_deflate must be true or false" in err["message"], err


def test_cli_flag(wsx):
    from wsxlib import free_port, unique_name
    name = unique_name("deflate")
    p = wsx.cli("create", "--name", name, "--address", f"ws://127.0.0.1:{free_port()}/ws",
                "--service", "demo.echo", "--data-format", "raw", "--permessage-deflate", "on")
    assert p.returncode == 0, p.stderr
    p = wsx.cli("get", name, "--json")
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["permessage_deflate"] is True
    p = wsx.cli("edit", name, "--permessage-deflate", "off", "--deflate-max-window-bits", "12")
    assert p.returncode == 0, p.stderr
    p = wsx.cli("get", name, "--json")
    got = json.loads(p.stdout)
    assert got["permessage_deflate"] is False and got["deflate_max_window_bits"] == 12, got
    p = wsx.cli("edit", name, "--deflate-max-window-bits", "16")
    assert p.returncode != 0 and "deflate_max_window_bits" in p.stderr, p.stderr
    p = wsx.cli("get", name)
    assert p.returncode == 0 and "permessage_deflate" in p.stdout, p.stdout
    p = wsx.cli("edit", name, "--permessage-deflate", "maybe")
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert "--permessage-deflate takes on or off, not 'maybe'" in p.stderr
    assert wsx.cli("delete", name).returncode == 0
