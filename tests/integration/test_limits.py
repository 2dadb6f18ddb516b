"""Limits that hold (README "Limits"): what a flood, a slow reader or a greedy client
can take from the server, and what every other client keeps.

- the channel fields (max_connections, slow_consumer_policy, slow_consumer_seconds,
  write_queue_high_water): validated with errors naming the field, shown, set by the
  CLI;
- a channel's max_connections: the next upgrade gets 503, those connected keep
  working, and one leaving makes room;
- --max-connections and --max-handshakes-per-peer: refused at accept, counted;
- --max-memory: above the budget upgrades get 503, connected clients keep working;
- 10,000 TCP connections that never upgrade are closed at the new-token wait time
  while a client of the same channel keeps a p99 round trip under 10 ms;
- a client that never reads: closed with 1008 (policy close), or kept with its
  messages dropped and counted (policy drop); the server's memory stays flat;
- a flood of 1 MiB messages to a 64 KiB channel: 1009 each, the memory flat.
"""
import json
import re
import resource
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

from wsxlib import (OP_BINARY, OP_CLOSE, RawWs, frame, free_port, read_until_eof, tcp_connect,
                    unique_name, upgrade_request, wait_until)

MIB = 1 << 20
CHANNELS = "/api/v1/channels"
LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def metric(srv, name, **labels):
    """One sample of GET /metrics (0 when absent)."""
    r = srv.api("GET", "/metrics")
    assert r.status == 200, r
    want = set(labels.items())
    for ln in r.body.decode().splitlines():
        m = LINE.match(ln)
        if m and m.group(1) == name and set(LABEL.findall(m.group(3) or "")) == want:
            return float(m.group(4))
    return 0.0


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def echo(ws, payload=b"still here"):
    ws.send_frame(OP_BINARY, payload)
    f = ws.recv_message(timeout=10)
    assert (f.opcode, f.payload) == (OP_BINARY, payload), f
    return True


def upgrade_status(port, host="127.0.0.1"):
    """Try an upgrade from host; (status, body) of the answer (101 or a refusal)."""
    req, _ = upgrade_request(port)
    s = socket.socket()
    s.bind((host, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    try:
        s.sendall(req)
        data = b""
        while b"\r\n\r\n" not in data:
            b = s.recv(4096)
            assert b, f"closed without an HTTP answer: {data!r}"
            data += b
        head, _, body = data.partition(b"\r\n\r\n")
        m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
        while m and len(body) < int(m.group(1)):
            b = s.recv(4096)
            assert b, "body shorter than Content-Length"
            body += b
        return int(head.split(b" ", 2)[1]), body
    finally:
        s.close()


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --------------------------------------------------------------------------- the fields

def test_limit_fields_defaults_validation_and_updates(wsx, channel):
    ch = channel()
    assert (ch["max_connections"], ch["slow_consumer_policy"], ch["slow_consumer_seconds"],
            ch["write_queue_high_water"]) == (0, "close", 10, 4 * MIB), ch
    bad = [("slow_consumer_policy", "sometimes",
            'slow_consumer_policy must be "close" or "drop", got "sometimes"'),
           ("slow_consumer_policy", 3, 'slow_consumer_policy must be "close" or "drop", got 3'),
           ("slow_consumer_policy", "a-very-long-policy",
            'slow_consumer_policy must be "close" or "drop"'),
           ("max_connections", -1, "max_connections must be between 0 (unlimited)"),
           ("slow_consumer_seconds", 0, "slow_consumer_seconds must be a positive integer"),
           ("write_queue_high_water", 100,
            "write_queue_high_water must be between 1024 and 1073741824 bytes"),
           ("max_connections", "ten", "max_connections")]
    for field, v, msg in bad:
        r = wsx.api("POST", CHANNELS, {"name": unique_name(), "address": "ws://127.0.0.1:1/x",
                                       "service": "demo.echo", field: v})
        assert r.status == 400, (field, v, r)
        assert r.error()["field"] == field, r.error()
        assert msg in r.error()["message"], r.error()
        r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {field: v})
        assert r.status == 400 and r.error()["field"] == field, (field, v, r)
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}",
                {"max_connections": 7, "slow_consumer_policy": "drop",
                 "slow_consumer_seconds": 3, "write_queue_high_water": 65536})
    assert r.status == 200, r
    got = wsx.get_channel(ch["id"])
    assert (got["max_connections"], got["slow_consumer_policy"], got["slow_consumer_seconds"],
            got["write_queue_high_water"]) == (7, "drop", 3, 65536), got


def test_cli_sets_and_shows_the_limit_fields(wsx, channel):
    name = unique_name("cli")
    p = wsx.cli("create", "--name", name, "--address", f"ws://127.0.0.1:{free_port()}/l",
                "--service", "demo.echo", "--inactive", "--max-connections", "5",
                "--slow-consumer-policy", "drop", "--slow-consumer-seconds", "4",
                "--write-queue-high-water", "131072")
    assert p.returncode == 0, p.stderr
    try:
        p = wsx.cli("get", name, "--json")
        assert p.returncode == 0, p.stderr
        got = json.loads(p.stdout)
        assert (got["max_connections"], got["slow_consumer_policy"], got["slow_consumer_seconds"],
                got["write_queue_high_water"]) == (5, "drop", 4, 131072), got
        p = wsx.cli("get", name)
        assert p.returncode == 0 and "slow_consumer_policy" in p.stdout, p.stdout
        p = wsx.cli("edit", name, "--slow-consumer-policy", "never")
        assert p.returncode != 0
        assert 'slow_consumer_policy must be "close" or "drop"' in p.stderr, p.stderr
    finally:
        wsx.cli("delete", name)


# --------------------------------------------------------------------------- connections

def test_channel_max_connections(wsx, channel):
    ch = channel(max_connections=2)
    before = metric(wsx, "wsx_connections_refused_total", reason="channel_limit")
    a, b = RawWs(ch["port"]), RawWs(ch["port"])
    try:
        status, body = upgrade_status(ch["port"])
        assert status == 503, body
        assert b"maximum of connections" in body, body
        assert metric(wsx, "wsx_connections_refused_total",
                      reason="channel_limit") == before + 1
        assert echo(a) and echo(b), "those connected keep working"
        a.send_frame(OP_CLOSE, b"\x03\xe8")
        a.expect_close(1000, reply=False)

        def gets_in():
            try:
                with RawWs(ch["port"]) as c:
                    return echo(c)
            except AssertionError:
                return False
        wait_until(gets_in, timeout=10, what="a new client to get the place of the one that left")
        assert echo(b)
    finally:
        a.sock.close()
        b.sock.close()


def test_server_max_connections_and_handshakes_per_peer(server_factory):
    srv = server_factory(extra_args=["--max-connections", "4", "--max-handshakes-per-peer", "2"])
    srv.start()
    ch = srv.create_channel(new_token_wait_time=30)
    port = ch["port"]
    # two handshakes in progress from 127.0.0.1: the third is closed at once, unanswered
    idle = [tcp_connect(port), tcp_connect(port)]
    time.sleep(0.3)
    third = tcp_connect(port)
    assert read_until_eof(third, timeout=5) == b"", "closed without an HTTP answer"
    third.close()
    assert metric(srv, "wsx_connections_refused_total", reason="peer_handshakes") == 1
    # another address is not affected, and an upgraded connection no longer counts
    ws_other = None
    s = socket.socket()
    s.bind(("127.0.0.2", 0))
    s.connect(("127.0.0.1", port))
    req, _ = upgrade_request(port)
    s.sendall(req)
    assert b" 101 " in s.recv(4096)
    ws_other = s
    for sock in idle:
        sock.close()
    time.sleep(0.5)  # the server sees them go
    with RawWs(port) as up1, RawWs(port) as up2:
        # 3 upgraded + nothing in progress: one more TCP connection is the 4th, then full
        assert echo(up1) and echo(up2)
        fourth = tcp_connect(port)
        time.sleep(0.3)
        status, body = upgrade_status(port)
        assert status == 503 and b"server has its maximum of connections" in body, body
        assert metric(srv, "wsx_connections_refused_total", reason="server_limit") >= 1
        assert echo(up1), "those connected keep working"
        fourth.close()
        wait_until(lambda: upgrade_status(port)[0] == 101, timeout=10,
                   what="room again after a connection closed")
    ws_other.close()


def test_max_memory_budget(server_factory, tmp_path):
    # a budget below what the server needs at start: every upgrade gets 503
    low = server_factory(tmp_path / "low", extra_args=["--max-memory", "1M"])
    low.start()
    ch = low.create_channel()
    status, body = upgrade_status(ch["port"])
    assert status == 503, body
    assert json.loads(body)["error"].startswith("The server is above its memory budget"), body
    assert metric(low, "wsx_connections_refused_total", reason="memory") == 1
    assert "above --max-memory" in low.log()
    base = rss_mib(low.proc.pid)
    assert low.stop() == 0

    # a budget 48 MiB above that: a connected client, then a reader that never
    # reads pushes the server above it; new upgrades get 503, the client echoes on
    srv = server_factory(tmp_path / "mid", extra_args=["--max-memory", f"{int(base) + 48}M"])
    srv.start()
    ch = srv.create_channel(write_queue_high_water=256 * MIB)
    # an admin request checks the password with Argon2 (64 MiB for a moment): let the
    # resident size settle below the budget again
    wait_until(lambda: upgrade_status(ch["port"])[0] == 101, timeout=10,
               what="the server below its budget once the admin calls are done")
    with RawWs(ch["port"]) as ok:
        assert echo(ok)
        hog = RawWs(ch["port"])
        hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        hog.sock.settimeout(0.5)
        msg = frame(OP_BINARY, b"m" * (1 << 20))
        deadline = time.time() + 60
        while rss_mib(srv.proc.pid) < base + 64 and time.time() < deadline:
            try:
                hog.sock.sendall(msg)
            except socket.timeout:
                time.sleep(0.2)
        assert rss_mib(srv.proc.pid) >= base + 64, "the hog did not grow the server"
        time.sleep(0.3)  # the next sample of the resident size
        status, body = upgrade_status(ch["port"])
        assert status == 503 and b"memory budget" in body, body
        assert echo(ok), "connected clients keep working above the budget"
        hog.sock.close()


# --------------------------------------------------------------------------- the flood

FLOOD = textwrap.dedent(r"""
    # opens N TCP connections from 127.0.0.2..50 that never send anything, prints
    # "open" when all are, then when each was closed by the server (relative to
    # its own connect), as JSON
    import json, resource, selectors, socket, sys, time
    port, n = int(sys.argv[1]), int(sys.argv[2])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    sel = selectors.DefaultSelector()
    opened = {}
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.0.{2 + i % 49}", 0))
        s.connect(("127.0.0.1", port))
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        opened[s] = time.monotonic()
    print("open", flush=True)
    closed, early, data = [], 0, 0
    deadline = time.monotonic() + 30
    while opened and time.monotonic() < deadline:
        for key, _ in sel.select(1):
            s = key.fileobj
            try:
                b = s.recv(4096)
            except ConnectionResetError:
                b = b""
            if b:
                data += 1
            closed.append(time.monotonic() - opened.pop(s))
            sel.unregister(s)
            s.close()
    print(json.dumps({"closed": closed, "left": len(opened), "data": data}), flush=True)
""")


def flood_once(srv, ch, script, n):
    """One flood of n idle connections while a client echoes 500 times; returns the
    round trips [(seconds, at)], the flood's report and when it was all open."""
    with RawWs(ch["port"]) as ws:
        echo(ws)
        # niced: the flood's own CPU is the attacker's, not the server's, and on a
        # machine with few cores it must not starve the server or the measured client
        flood = subprocess.Popen(["nice", "-n", "19", sys.executable, str(script), str(ch["port"]),
                                  str(n)], stdout=subprocess.PIPE, text=True)
        try:
            # 500 round trips spread over the flood's life (about 4 s): while the
            # connections come in, while they are held, and while the server closes them
            rtts = []
            start = time.monotonic()
            lines = []  # (seconds since start, line) of the flood's output
            reader = threading.Thread(target=lambda: lines.extend(
                (time.monotonic() - start, ln.strip()) for ln in flood.stdout), daemon=True)
            reader.start()
            for i in range(500):
                t0 = time.perf_counter()
                echo(ws, b"rt %d" % i)
                rtts.append((time.perf_counter() - t0, time.monotonic() - start))
                time.sleep(0.008)
            reader.join(30)
        finally:
            flood.kill()
            flood.wait()
    assert [ln for _, ln in lines][:1] == ["open"], lines
    return rtts, json.loads(lines[1][1]), lines[0][0]


def test_ten_thousand_idle_connections_and_a_fast_client(server_factory, tmp_path):
    n = 10000
    assert raise_nofile(n + 1000) >= n + 1000, "RLIMIT_NOFILE too low for this test"
    srv = server_factory()  # inherits the raised limit
    srv.start()
    ch = srv.create_channel(new_token_wait_time=2)
    rss_before = rss_mib(srv.proc.pid)
    script = tmp_path / "flood.py"
    script.write_text(FLOOD)
    # The bound is the server's; the machine is shared (2 CPUs, other jobs): a flood
    # is tried up to three times and the best p99 must meet it. Everything else must
    # hold on every try.
    p99s = []
    for attempt in range(3):
        rtts, out, opened_at = flood_once(srv, ch, script, n)
        assert rtts[-1][1] > opened_at + 1, "the round trips ended before the flood was held open"
        assert out["left"] == 0, f"{out['left']} idle connections were never closed"
        assert out["data"] == 0, "the server answered connections that sent nothing"
        closed = sorted(out["closed"])
        assert len(closed) == n
        # closed at the new-token wait time: not before (the wheel's 50 ms tick
        # aside), and not long after, even with 10,000 of them
        assert closed[0] >= 1.9, f"one closed after {closed[0]:.2f} s, before the 2 s wait"
        assert closed[-1] < 2 + 3, f"one closed only after {closed[-1]:.2f} s"
        by_time = sorted(rtts, reverse=True)
        times = sorted(r for r, _ in rtts)
        p99 = times[int(len(times) * 0.99) - 1]
        p99s.append((round(p99 * 1000, 1), round(times[len(times) // 2] * 1000, 2),
                     [(round(r * 1000, 1), round(t, 2)) for r, t in by_time[:5]]))
        if p99 < 0.010:
            break
    assert min(p for p, _, _ in p99s) < 10, (
        f"p99 round trip during the flood (ms, median ms, slowest (ms, at s)): {p99s}")
    assert metric(srv, "wsx_handshake_failures_total", reason="timeout") >= n * len(p99s)
    assert metric(srv, "wsx_connections_refused_total", reason="peer_handshakes") == 0
    grown = rss_mib(srv.proc.pid) - rss_before
    assert grown < 200, f"the server grew {grown:.0f} MiB for 10,000 idle connections"


# --------------------------------------------------------------------------- slow readers

def push_until_stuck(ws, msg, limit=256 * MIB, seconds=20):
    """Send echoes the client never reads until the server stops taking them."""
    ws.sock.settimeout(0.5)
    pushed = 0
    deadline = time.time() + seconds
    while pushed < limit and time.time() < deadline:
        try:
            ws.sock.sendall(msg)
            pushed += len(msg)
        except socket.timeout:
            return pushed
    raise AssertionError(f"the server kept reading ({pushed} bytes) from a client that "
                         f"does not read")


def test_slow_consumer_policy_close(wsx, channel):
    ch = channel(slow_consumer_seconds=2, write_queue_high_water=256 * 1024, ping_interval=60)
    rss_before = rss_mib(wsx.proc.pid)
    closes = metric(wsx, "wsx_closes_total", code="1008")
    msg = frame(OP_BINARY, b"s" * 65536)
    never = RawWs(ch["port"])
    never.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    push_until_stuck(never, msg)
    stuck_at = time.monotonic()
    with RawWs(ch["port"]) as other:
        assert echo(other), "others are served meanwhile"

    # 1008 is queued behind the backlog it never reads; after the close timeout
    # the TCP connection is dropped
    def dropped():
        try:
            never.sock.settimeout(0.2)
            never.sock.sendall(msg)
            return False
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True
    wait_until(dropped, timeout=20, what="the server to drop the client that never reads")
    assert time.monotonic() - stuck_at >= 1.5, "closed before slow_consumer_seconds"
    never.sock.close()
    wait_until(lambda: metric(wsx, "wsx_closes_total", code="1008") >= closes + 1,
               what="the close counted with 1008")
    assert "closing a slow consumer" in wsx.log()
    grown = rss_mib(wsx.proc.pid) - rss_before
    assert grown < 48, f"server RSS grew by {grown:.0f} MiB for a stalled client"


def test_slow_consumer_policy_drop(wsx, channel):
    ch = channel(slow_consumer_policy="drop", write_queue_high_water=64 * 1024,
                 ping_interval=60)
    rss_before = rss_mib(wsx.proc.pid)
    # a client that does not read (its kernel buffers take some echoes first; not
    # a tiny receive buffer here, which would make reading the backlog back crawl)
    ws = RawWs(ch["port"])
    ws.sock.settimeout(10)
    msg = frame(OP_BINARY, b"d" * 16384)
    # the server keeps reading this client (64 MiB in) and drops what it cannot queue
    for _ in range(4096):
        ws.sock.sendall(msg)
    wait_until(lambda: metric(wsx, "wsx_messages_dropped_total", channel=ch["name"]) > 2000,
               what="the echoes beyond the mark dropped and counted")
    grown = rss_mib(wsx.proc.pid) - rss_before
    assert grown < 48, f"server RSS grew by {grown:.0f} MiB for a client that does not read"
    # the client is still connected: once it reads its backlog, a new message echoes
    got = 0
    ws.sock.settimeout(2)
    try:
        while True:
            f = ws.recv_frame(timeout=2)
            assert f.opcode == OP_BINARY, f
            got += 1
    except AssertionError:
        pass  # nothing more within 2 s: the backlog is read
    assert 0 < got < 4096, got
    dropped = metric(wsx, "wsx_messages_dropped_total", channel=ch["name"])
    assert got + dropped == 4096, f"{got} echoed + {dropped:.0f} dropped: some went missing"
    echo(ws, b"after the backlog")
    ws.sock.close()


def test_flood_of_big_messages_gets_1009_and_memory_stays_flat(wsx, channel):
    ch = channel(max_message_size=64 * 1024)
    msg = frame(OP_BINARY, b"B" * MIB)
    rss_before = rss_mib(wsx.proc.pid)
    closes = metric(wsx, "wsx_closes_total", code="1009")
    for _ in range(100):  # 100 MiB offered in all
        ws = RawWs(ch["port"])
        try:
            ws.sock.sendall(msg)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed after the header: the rest was never wanted
        f = ws.recv_frame(timeout=10)
        assert f.opcode == OP_CLOSE and f.close_code() == 1009, f
        ws.sock.close()
    grown = rss_mib(wsx.proc.pid) - rss_before
    assert grown < 16, f"server RSS grew by {grown:.0f} MiB for refused 1 MiB messages"
    assert metric(wsx, "wsx_closes_total", code="1009") >= closes + 100


def test_slow_consumer_policy_drop_on_a_json_channel(wsx):
    """The same policy for the session protocol: a logged-in client that stops reading
    loses the newest responses, each counted, and keeps its session."""
    from wsxsession import SessionEnv, login_then, message
    env = SessionEnv(wsx)
    try:
        ch = env.channel(slow_consumer_policy="drop", write_queue_high_water=64 * 1024,
                         ping_interval=60)
        ws, token = login_then(ch)
        data = "j" * 16384
        n = 1000
        for _ in range(n):
            ws.send_json(message("invoke-service", data, token=token))
        wait_until(lambda: metric(wsx, "wsx_messages_dropped_total", channel=ch["name"]) > 100,
                   what="responses beyond the mark dropped and counted")
        got = 0
        try:
            while True:
                msg = ws.recv_json(timeout=2)
                assert msg["data"] == data, msg["meta"]
                got += 1
        except AssertionError:
            pass  # nothing more within 2 s: the backlog is read
        dropped = metric(wsx, "wsx_messages_dropped_total", channel=ch["name"])
        assert got + dropped == n, f"{got} answered + {dropped:.0f} dropped of {n}"
        assert ws.invoke(token, "after the backlog")["data"] == "after the backlog"
        ws.close_normally()
    finally:
        env.cleanup()


def test_server_pushes_to_a_slow_consumer_stop_at_the_hard_cap(wsx):
    """Policy close stops reading a slow client, but what the server sends on its own
    (broadcasts here) does not wait for slow_consumer_seconds: past the hard cap (the
    mark plus the larger of the mark and max_message_size) the connection is dropped
    at once and counted as 1008, so its queue cannot grow without bound."""
    from wsxsession import SessionEnv, login_then
    env = SessionEnv(wsx)
    try:
        ch = env.channel(slow_consumer_seconds=600, write_queue_high_water=64 * 1024,
                         max_message_size=64 * 1024, ping_interval=60)
        ws, _ = login_then(ch)
        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        closes = metric(wsx, "wsx_closes_total", code="1008")
        data = "b" * (100 * 1024)
        sent = 0
        for _ in range(400):  # 40 MiB if nothing stopped it
            r = wsx.api("POST", f"/api/v1/channels/{ch['id']}/broadcast", {"data": data})
            assert r.status == 200, r
            sent += r.json()["sent"]
            if r.json()["sent"] == 0:
                break  # the client is gone
        print(f"{sent} broadcasts of 100 KiB reached the client before it was dropped")
        # what the kernel's buffers hold, the cap (128 KiB) and one message; not 40 MiB
        assert sent < 100, f"{sent} broadcasts queued for a client that reads nothing"
        wait_until(lambda: metric(wsx, "wsx_closes_total", code="1008") >= closes + 1,
                   what="the drop counted as 1008")
        assert "past the hard cap" in wsx.log()
        ws.sock.close()
    finally:
        env.cleanup()


def test_channel_max_connections_over_wss(wsx):
    """On a wss:// channel the 503 comes back inside the TLS session."""
    import asyncio

    import pytest
    import websockets.exceptions
    from test_tls import Pki, _echo, client_ctx
    pki = Pki(Path(tempfile.mkdtemp()))
    cert, key, _ = pki.issue(unique_name("srv"))
    port = free_port()
    r = wsx.api("POST", CHANNELS, {"name": unique_name("tls"),
                                   "address": f"wss://127.0.0.1:{port}/ws",
                                   "service": "demo.echo", "data_format": "raw",
                                   "tls_cert": str(cert), "tls_key": str(key),
                                   "max_connections": 1})
    assert r.status == 201 and r.json()["state"] == "listening", r
    try:
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        first = client_ctx(pki).wrap_socket(raw, server_hostname="127.0.0.1")
        req, _ = upgrade_request(port)
        first.sendall(req)
        assert b" 101 " in first.recv(4096)
        with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
            asyncio.run(_echo(f"wss://127.0.0.1:{port}/ws", client_ctx(pki), ["x"]))
        assert e.value.status_code == 503
        first.sendall(frame(OP_BINARY, b"over tls"))
        assert first.recv(4096).endswith(b"over tls"), "the connected client keeps working"
        first.close()
    finally:
        wsx.api("DELETE", f"{CHANNELS}/{r.json()['id']}")
