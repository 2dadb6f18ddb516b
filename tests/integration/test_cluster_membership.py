"""Issue 5, membership and graceful leave, with two servers on one machine sharing one
SQLite ODB (localcluster.py): each registers itself and heartbeats; GET
/api/v1/servers and `wsx server list` show every server with its state (up, missed
heartbeats, down, left); a channel lists its state on every server; --bind-host puts
each server's listeners on its own address; SIGTERM leaves the cluster, stops
accepting, lets connected clients work for --drain-seconds, then closes them with
1001 while the other server keeps serving."""
import json
import os
import signal
import subprocess
import time

from localcluster import servers_by_name, start_cluster, wait_listening, wait_state
from wsxlib import (WSX_BIN, PyWsClient, connect_refused, http_request, unique_name,
                    wait_until)


def create_channel(srv, port, **fields):
    body = {"name": unique_name("cl"), "address": f"ws://127.0.0.1:{port}/ws",
            "service": "demo.echo", "data_format": "raw"}
    body.update(fields)
    r = srv.api("POST", "/api/v1/channels", body)
    assert r.status == 201, r
    return r.json()


def echo(url, msg=b"hello"):
    c = PyWsClient(url)
    try:
        c.send(msg)
        assert c.recv() == msg
    finally:
        c.close()


def cli(srv, *args):
    env = dict(os.environ, WSX_URL=srv.url, WSX_PASSWORD=srv.password)
    return subprocess.run([WSX_BIN, *args], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_servers_see_each_other_and_bind_on_their_own_hosts(server_factory, tmp_path):
    from wsxlib import free_port
    m1, m2 = start_cluster(server_factory, tmp_path)
    seen = wait_until(lambda: (lambda s: len(s) == 2 and s)(servers_by_name(m1)),
                      what="both servers in GET /api/v1/servers")
    for srv in (m1, m2):
        row = seen[srv.name]
        assert row["state"] == "up", row
        assert row["admin_address"] == srv.url, row
        assert row["bind_host"] == srv.bind_host, row
        assert row["left_at"] is None, row
        assert row["started_at"] <= row["last_heartbeat"], row

    port = free_port()
    ch = create_channel(m1, port)
    assert ch["state"] == "listening", ch
    wait_listening([m2], ch["id"])
    # each server on its --bind-host, the channel's own host left free (for HAProxy)
    echo(f"ws://127.0.0.2:{port}/ws", b"via m1")
    echo(f"ws://127.0.0.3:{port}/ws", b"via m2")
    assert connect_refused(port, "127.0.0.1"), "nobody should listen on the channel's host"

    # the channel's states: one per server, seen from either
    for srv in (m1, m2):
        states = wait_until(lambda: (lambda st: len(st) == 2 and st)(
            srv.get_channel(ch["id"])["states"]), what="two states")
        assert {s["server"]: s["state"] for s in states} == {"m1": "listening",
                                                            "m2": "listening"}, states
        assert all(s["updated_at"] for s in states), states
    # the list carries them too, and a PUT of what GET gave is accepted ("states" is
    # read-only)
    r = m1.api("GET", "/api/v1/channels")
    listed = [c for c in r.json()["items"] if c["id"] == ch["id"]][0]
    assert len(listed["states"]) == 2, listed
    got = m1.get_channel(ch["id"])
    r = m1.api("PUT", f"/api/v1/channels/{ch['id']}", got)
    assert r.status == 200, r


def test_wsx_server_list(server_factory, tmp_path):
    m1, m2 = start_cluster(server_factory, tmp_path)
    wait_until(lambda: len(servers_by_name(m2)) == 2, what="both servers registered")
    p = cli(m2, "server", "list")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0].split()[:3] == ["NAME", "STATE", "ADMIN"], lines
    rows = {ln.split()[0]: ln for ln in lines[1:]}
    assert set(rows) == {"m1", "m2"}, lines
    assert "up" in rows["m1"].split() and m1.url in rows["m1"] and "127.0.0.2" in rows["m1"]
    p = cli(m2, "server", "list", "--json")
    assert p.returncode == 0, p.stderr
    items = json.loads(p.stdout)
    assert sorted(s["name"] for s in items) == ["m1", "m2"], items
    assert all(s["state"] == "up" for s in items), items


def test_cli_routes_server_words():
    """`wsx server list` asks a server; `wsx server --help` documents both forms."""
    p = subprocess.run([WSX_BIN, "server", "--help"], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0
    for opt in ("wsx server list", "--bind-host", "--heartbeat-seconds", "--drain-seconds"):
        assert opt in p.stdout, (opt, p.stdout)
    p = subprocess.run([WSX_BIN, "server", "list", "--help"], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode == 0 and "missed heartbeats" in p.stdout, p.stdout
    p = subprocess.run([WSX_BIN, "server", "--drain-seconds", "soon"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "--drain-seconds must be an integer" in p.stderr, p.stderr
    p = subprocess.run([WSX_BIN, "server", "--heartbeat-seconds", "0"], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 2 and "--heartbeat-seconds must be an integer" in p.stderr, p.stderr


def test_heartbeat_then_missed_then_down(server_factory, tmp_path):
    """--heartbeat-seconds 1: the row moves every second; a killed server is missed
    heartbeats after 3 s and down after 10 s."""
    m1, m2 = start_cluster(server_factory, tmp_path, extra_args=["--heartbeat-seconds", "1"])
    first = servers_by_name(m1)["m2"]["last_heartbeat"]
    wait_until(lambda: servers_by_name(m1)["m2"]["last_heartbeat"] > first, timeout=10,
               what="m2's heartbeat to move within a few seconds")
    m2.kill()
    killed = time.monotonic()
    wait_state(m1, "m2", "missed heartbeats", timeout=20)
    assert time.monotonic() - killed > 1.5, "missed heartbeats only after 3 intervals"
    wait_state(m1, "m2", "down", timeout=30)
    assert time.monotonic() - killed > 7, "down only after 10 intervals"
    assert servers_by_name(m1)["m1"]["state"] == "up"


def test_graceful_leave(server_factory, tmp_path):
    """SIGTERM: the row says left, the channel's port refuses new clients at once, a
    connected client keeps its echoes during the drain, /healthz answers 503, then
    1001 and exit 0; the other server serves throughout."""
    from wsxlib import free_port
    m1, m2 = start_cluster(server_factory, tmp_path, extra_args=["--drain-seconds", "8"])
    port = free_port()
    ch = create_channel(m1, port)
    wait_listening([m2], ch["id"])
    c = PyWsClient(f"ws://127.0.0.2:{port}/ws")
    try:
        c.send(b"before")
        assert c.recv() == b"before"
        m1.send_sigterm()
        sent = time.monotonic()
        wait_until(lambda: connect_refused(port, "127.0.0.2"), timeout=5,
                   what="m1 to stop accepting")
        wait_state(m2, "m1", "left", timeout=5)
        assert servers_by_name(m2)["m1"]["left_at"], servers_by_name(m2)["m1"]
        assert http_request(m1.url, "GET", "/healthz").status == 503
        for i in range(3):  # the drain: the client still talks to m1
            c.send(f"during {i}".encode())
            assert c.recv() == f"during {i}".encode()
        assert time.monotonic() - sent < 8, "the checks took the whole drain"
        echo(f"ws://127.0.0.3:{port}/ws", b"m2 serves")
        assert c.wait_closed() == 1001
        assert time.monotonic() - sent > 7, "1001 came before the drain was over"
    finally:
        c.close()
    assert m1.proc.wait(60) == 0, m1.log()[-4000:]
    assert "left the cluster" in m1.log()
    states = {s["server"]: s["state"] for s in m2.get_channel(ch["id"])["states"]}
    assert states == {"m1": "stopped", "m2": "listening"}, states
    echo(f"ws://127.0.0.3:{port}/ws", b"m2 still serves")
    assert servers_by_name(m2)["m2"]["state"] == "up"


def test_drain_ends_with_the_last_client_or_a_second_signal(server_factory, tmp_path):
    from wsxlib import free_port
    (m1,) = start_cluster(server_factory, tmp_path, n=1, extra_args=["--drain-seconds", "120"])
    port = free_port()
    create_channel(m1, port)
    c = PyWsClient(f"ws://127.0.0.2:{port}/ws")
    try:
        m1.send_sigterm()
        wait_until(lambda: "left the cluster" in m1.log(), what="the leave to start")
        time.sleep(0.5)
        assert m1.alive(), "it should wait for its client"
        m1.proc.send_signal(signal.SIGTERM)
        assert c.wait_closed(timeout=20) == 1001
    finally:
        c.close()
    assert m1.proc.wait(60) == 0
    # no client at all: the drain is over at once
    m1.start()
    begin = time.monotonic()
    m1.send_sigterm()
    assert m1.proc.wait(60) == 0
    assert time.monotonic() - begin < 30, "a drain without clients should not wait 120 s"
