"""GET /metrics on the admin listener: the Prometheus text format (0.0.4), behind the
admin credentials, with counters that follow what clients do on a channel, and an
output that `promtool check metrics` (Debian's prometheus package) accepts."""
import re
import shutil
import socket
import subprocess

import pytest

from wsxlib import (OP_CLOSE, OP_TEXT, RawWs, close_payload, frame, http_exchange,
                    upgrade_request, wait_until)

LINE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape(wsx):
    r = wsx.api("GET", "/metrics")
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    return r.body.decode("utf-8")


def samples(text):
    """{(name, frozenset(labels.items())): value} of every sample line."""
    out = {}
    for ln in text.splitlines():
        if not ln or ln.startswith("#"):
            continue
        m = LINE.match(ln)
        assert m, f"not a sample line: {ln!r}"
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(s, name, default=None, **labels):
    return s.get((name, frozenset(labels.items())), default)


def test_metrics_needs_admin_credentials(wsx):
    assert wsx.api("GET", "/metrics", auth=False).status == 401
    assert wsx.api("GET", "/metrics", password="not-the-password").status == 401
    assert wsx.api("POST", "/metrics", raw=b"").status == 405


def test_channel_counters_follow_the_traffic(wsx, channel):
    ch = channel()
    name = ch["name"]
    before = samples(scrape(wsx))
    # a channel that never had a connection is listed with zeros
    assert value(before, "wsx_connections_accepted_total", channel=name) == 0
    assert value(before, "wsx_connections_open", channel=name) == 0
    closes_1000 = value(before, "wsx_closes_total", 0, code="1000")

    payloads = [b"a", b"hello", b"x" * 300]
    with RawWs(ch["port"]) as ws:
        for p in payloads:
            ws.send_frame(OP_TEXT, p)
            assert ws.recv_message().payload == p
        mid = samples(scrape(wsx))
        assert value(mid, "wsx_connections_open", channel=name) == 1
        assert value(mid, "wsx_connections_accepted_total", channel=name) == 1
        assert value(mid, "wsx_messages_received_total", channel=name) == 3
        assert value(mid, "wsx_messages_sent_total", channel=name) == 3
        total = sum(len(p) for p in payloads)
        assert value(mid, "wsx_received_bytes_total", channel=name) == total
        assert value(mid, "wsx_sent_bytes_total", channel=name) == total
        # one service call in 16 is timed, the first one included
        assert value(mid, "wsx_service_duration_seconds_count", channel=name,
                     service="demo.echo") == 1
        assert value(mid, "wsx_service_duration_seconds_bucket", channel=name,
                     service="demo.echo", le="+Inf") == 1
        assert value(mid, "wsx_service_duration_seconds_sum", channel=name,
                     service="demo.echo") > 0
        for i in range(14):
            ws.send_frame(OP_TEXT, b"%d" % i)
            ws.recv_message()
        s = samples(scrape(wsx))
        assert value(s, "wsx_service_duration_seconds_count", channel=name,
                     service="demo.echo") == 2, "the 17th call is timed"
        assert value(s, "wsx_messages_received_total", channel=name) == 17
        ws.send_frame(OP_CLOSE, close_payload(1000))
        ws.expect_close(1000, reply=False)

    def closed():
        s = samples(scrape(wsx))
        return (value(s, "wsx_connections_open", channel=name) == 0 and
                value(s, "wsx_closes_total", 0, code="1000") == closes_1000 + 1)
    wait_until(closed, what="the close counted and the gauge back to 0")

    # the channel's counters outlive the channel itself
    assert wsx.api("DELETE", f"/api/v1/channels/{ch['id']}").status == 204
    after = samples(scrape(wsx))
    assert value(after, "wsx_connections_accepted_total", channel=name) == 1
    assert value(after, "wsx_messages_received_total", channel=name) == 17
    assert value(after, "wsx_connections_open", channel=name) == 0


def test_handshake_failures_by_reason(wsx, channel):
    ch = channel()
    before = samples(scrape(wsx))
    req, _ = upgrade_request(ch["port"], path="/elsewhere")
    assert http_exchange(ch["port"], req)[0] == 404
    req, _ = upgrade_request(ch["port"], version="12")
    assert http_exchange(ch["port"], req)[0] == 400
    after = samples(scrape(wsx))
    for reason in ("not_found", "bad_version"):
        assert (value(after, "wsx_handshake_failures_total", reason=reason) ==
                value(before, "wsx_handshake_failures_total", reason=reason) + 1), reason
    assert (value(after, "wsx_connections_accepted_total", channel=ch["name"]) == 2)
    assert value(after, "wsx_connections_open", channel=ch["name"]) == 0


def test_write_queue_bytes_of_a_client_that_does_not_read(wsx, channel):
    ch = channel(max_message_size=1 << 20)
    s = socket.create_connection(("127.0.0.1", ch["port"]))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    req, _ = upgrade_request(ch["port"])
    s.sendall(req)
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(1)
    assert b" 101 " in head
    s.settimeout(0.5)
    msg = frame(OP_TEXT, b"q" * (256 * 1024))
    stuck = []

    def queued():
        if not stuck:  # feed echoes the client never reads, until the server stops reading
            try:
                s.sendall(msg)
            except socket.timeout:
                stuck.append(1)
        return value(samples(scrape(wsx)), "wsx_write_queue_bytes", 0, channel=ch["name"]) > 0
    try:
        wait_until(queued, what="bytes queued for a client that does not read")
    finally:
        s.close()
    wait_until(lambda: value(samples(scrape(wsx)), "wsx_write_queue_bytes", 0,
                             channel=ch["name"]) == 0, what="the queue gone with the client")


def test_promtool_accepts_a_real_scrape(wsx, channel):
    promtool = shutil.which("promtool")
    if not promtool:
        pytest.fail("promtool is missing: scripts/install-deps installs Debian's prometheus")
    ch = channel()
    with RawWs(ch["port"]) as ws:
        ws.send_frame(OP_TEXT, b"ping")
        ws.recv_message()
        text = scrape(wsx)
    p = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 0 and not p.stdout.strip() and not p.stderr.strip(), (
        p.stdout, p.stderr)
    # every family is there, each with its HELP and TYPE
    for fam, typ in [("wsx_connections_open", "gauge"),
                     ("wsx_connections_accepted_total", "counter"),
                     ("wsx_connections_refused_total", "counter"),
                     ("wsx_messages_received_total", "counter"),
                     ("wsx_messages_sent_total", "counter"),
                     ("wsx_received_bytes_total", "counter"),
                     ("wsx_sent_bytes_total", "counter"),
                     ("wsx_handshake_failures_total", "counter"),
                     ("wsx_closes_total", "counter"),
                     ("wsx_service_duration_seconds", "histogram"),
                     ("wsx_odb_errors_total", "counter"),
                     ("wsx_write_queue_bytes", "gauge")]:
        assert f"# TYPE {fam} {typ}\n" in text, fam
        assert f"# HELP {fam} " in text, fam
    assert "integration-admin-pw" not in text
