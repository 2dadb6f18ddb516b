"""Issue 5 end to end: one cluster for the whole module - a real PostgreSQL, three
`wsx server`s (m1, m2, m3 on --bind-host 127.0.0.2/.3/.4, one cluster secret file,
heartbeats every second) and a real HAProxy configured by `wsx lb haproxy-config` on
the channels' own address (127.0.0.1). What an operator checks after a change made
through any one server's API: every server applies it (its own address accepts, or
refuses, a WebSocket), HAProxy follows, and each server's API agrees; a server killed
with -9 costs the clients nothing, is shown down, and catches up with what changed
meanwhile when it comes back.

(Creating a channel through one server and clients spread over three by HAProxy is
test_lb_haproxy.py's; membership states one by one are test_cluster_membership.py's.)"""
import os
import signal
import socket
import time

import pytest

from localcluster import servers_by_name, start_cluster, wait_listening, wait_state
from test_lb_haproxy import HAPROXY, HAProxy, haproxy_check, lb_config
from wsxlib import (IO_TIMEOUT, PyWsClient, WsxServer, connect_refused, parse_http_head,
                    upgrade_request, wait_until)

CHANNELS = "/api/v1/channels"
LB = "127.0.0.1"  # HAProxy binds the channels' own host; the servers their --bind-host
# A server that did not make a change learns of it by LISTEN/NOTIFY (milliseconds), or
# at worst by its 1 s poll of the config version: 5 s is slack for a loaded machine.
APPLY_TIMEOUT = 5


class Cluster:
    def __init__(self, servers, lb, lb_channel, toggle_channel, pg_url):
        self.servers = servers
        self.a, self.b, self.c = servers
        self.lb = lb
        self.lb_channel = lb_channel  # in HAProxy's configuration, stays active
        self.toggle_channel = toggle_channel  # in HAProxy's configuration, edited, deleted
        self.pg_url = pg_url


@pytest.fixture(scope="module")
def cluster(pg, tmp_path_factory):
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail("haproxy is not installed: run scripts/install-deps")
    base = tmp_path_factory.mktemp("scenarios")
    started = []

    def factory(data, **kw):
        srv = WsxServer(data, **kw)
        started.append(srv)
        return srv

    lb = None
    failures = []
    try:
        url = pg.create_database()
        servers = start_cluster(factory, base, n=3, odb_url=url, extra_args=[
            "--cluster-secret-file", str(base / "cluster-secret"), "--heartbeat-seconds", "1",
            "--drain-seconds", "1"])
        a = servers[0]
        wait_until(lambda: [s["state"] for s in servers_by_name(a).values()] == ["up"] * 3,
                   what="three servers up")
        lb_ch, toggle_ch = a.create_channel(), a.create_channel()
        for ch in (lb_ch, toggle_ch):
            wait_listening(servers, ch["id"], timeout=APPLY_TIMEOUT)
        p = lb_config(a)
        assert p.returncode == 0, p.stderr
        cfg = base / "haproxy.cfg"
        cfg.write_text(p.stdout)
        haproxy_check(cfg)
        lb = HAProxy(cfg, base / "haproxy.log")
        for ch in (lb_ch, toggle_ch):
            wait_until(lambda: not connect_refused(ch["port"], LB), what="HAProxy to listen")
        yield Cluster(servers, lb, lb_ch, toggle_ch, url)
        if lb.proc.poll() is not None:
            failures.append(f"HAProxy died:\n{lb.log()[-4000:]}")
    finally:
        if lb:
            lb.stop()
        for s in started:
            if s.alive():
                rc = s.stop()
                if rc != 0:
                    failures.append(f"{s.name} exited with {rc}:\n{s.log()[-6000:]}")
            elif s.proc is not None and not s.stopped_by_us:
                failures.append(f"{s.name} died (exit {s.proc.returncode}):\n{s.log()[-6000:]}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


# --------------------------------------------------------------------------- helpers

def echo(host, port, text="hello"):
    """A WebSocket to host:port on the channel's path; the demo.echo channel answers."""
    c = PyWsClient(f"ws://{host}:{port}/ws", timeout=10)
    try:
        c.send(text)
        assert c.recv() == text
    finally:
        c.close()


def accepts(host, port):
    return not connect_refused(port, host, timeout=2)


def upgrade_status(port, host=LB):
    """The HTTP status of a WebSocket upgrade request to host:port (through HAProxy:
    101 when a server took it, 503 when every server refused the connection)."""
    with socket.create_connection((host, port), timeout=IO_TIMEOUT) as s:
        s.settimeout(IO_TIMEOUT)
        s.sendall(upgrade_request(port)[0])
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            assert chunk, f"closed without an HTTP answer: {data!r}"
            data += chunk
    return parse_http_head(data)[0]


def states(srv, cid):
    return {s["server"]: s["state"] for s in srv.get_channel(cid)["states"]}


def wait_everywhere(servers, port, listening, what):
    """Wait until every server's own address accepts (listening) or refuses a TCP
    connection on port."""
    for srv in servers:
        wait_until(lambda: accepts(srv.bind_host, port) == listening, timeout=APPLY_TIMEOUT,
                   interval=0.01, what=f"{srv.name} ({srv.bind_host}:{port}) to {what}")


# --------------------------------------------------------------------------- scenarios

def test_a_channel_created_through_one_server_listens_on_every_server(cluster):
    ch = cluster.a.create_channel()
    assert ch["state"] == "listening", ch
    # m1 applied its own change before answering 201
    assert accepts(cluster.a.bind_host, ch["port"]), "m1 answered 201 before listening"
    wait_everywhere(cluster.servers, ch["port"], True, "listen")
    for srv in cluster.servers:
        echo(srv.bind_host, ch["port"], f"via {srv.name}")
    assert connect_refused(ch["port"], LB), "no server binds the channel's own host"
    for srv in cluster.servers:
        wait_until(lambda: states(srv, ch["id"]) == dict.fromkeys(("m1", "m2", "m3"),
                                                                    "listening"),
                   timeout=APPLY_TIMEOUT, what=f"three listening states seen from {srv.name}")


def test_inactive_refused_everywhere_active_served_deleted_gone(cluster):
    a, b, c = cluster.servers
    ch = cluster.toggle_channel
    port = ch["port"]
    echo(LB, port, "through haproxy")

    r = b.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": False})
    assert r.status == 200, r
    assert r.json()["state"] == "inactive", r
    assert connect_refused(port, b.bind_host), "m2 answered before it stopped listening"
    wait_everywhere(cluster.servers, port, False, "refuse")
    assert upgrade_status(port) == 503, "HAProxy found a server for an inactive channel"
    for srv in cluster.servers:
        wait_until(lambda: states(srv, ch["id"]) == dict.fromkeys(("m1", "m2", "m3"),
                                                                    "inactive"),
                   timeout=APPLY_TIMEOUT, what=f"three inactive states seen from {srv.name}")

    r = b.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": True})
    assert r.status == 200 and r.json()["state"] == "listening", r
    wait_everywhere(cluster.servers, port, True, "listen again")
    for srv in cluster.servers:
        echo(srv.bind_host, port, f"{srv.name} again")
    for i in range(3):  # round robin: likely one client per server
        echo(LB, port, f"through haproxy again {i}")

    r = c.api("DELETE", f"{CHANNELS}/{ch['id']}")
    assert r.status == 204, r
    assert connect_refused(port, c.bind_host), "m3 answered before it stopped listening"
    wait_everywhere(cluster.servers, port, False, "refuse the deleted channel")
    assert upgrade_status(port) == 503, "HAProxy found a server for a deleted channel"
    for srv in cluster.servers:
        assert srv.api("GET", f"{CHANNELS}/{ch['id']}").status == 404, srv.name
        listed = srv.api("GET", CHANNELS).json()["items"]
        assert ch["id"] not in [x["id"] for x in listed], srv.name


def test_kill_9_one_server_then_it_catches_up(cluster):
    a, b, c = cluster.servers
    port = cluster.lb_channel["port"]
    for i in range(3):
        echo(LB, port, f"before {i}")
    c.kill()  # SIGKILL: no leave, its row just stops moving
    assert c.proc.returncode == -signal.SIGKILL
    killed = time.monotonic()
    # HAProxy has not noticed yet (health checks every 2 s): a refused connection
    # is retried on another server, so every new client gets through
    for i in range(6):
        echo(LB, port, f"after the kill {i}")
    assert connect_refused(port, c.bind_host)

    for srv in (a, b):
        wait_state(srv, "m3", "down", timeout=30)
    assert time.monotonic() - killed > 5, "down only once 10 heartbeats are missed"
    assert {n: s["state"] for n, s in servers_by_name(b).items()} == {
        "m1": "up", "m2": "up", "m3": "down"}
    # a channel's per-server states do not pass m3's last report off as current
    st = {x["server"]: x for x in a.get_channel(cluster.lb_channel["id"])["states"]}
    assert st["m3"]["state"] == "unknown: the server is down", st
    assert (st["m3"]["reported"], st["m3"]["server_state"]) == ("listening", "down"), st
    assert st["m1"]["state"] == "listening" and st["m1"]["server_state"] == "up", st

    # changed while m3 is down: a new channel, and the HAProxy channel's echo served
    new = b.create_channel()
    wait_everywhere([a, b], new["port"], True, "listen on the channel made while m3 is down")
    assert connect_refused(new["port"], c.bind_host)
    echo(LB, port, "m3 still down")

    c.start()  # the same name, data directory and ODB
    # it reconciles before its admin API answers: the new channel is there already
    assert accepts(c.bind_host, new["port"]), "m3 came back without the new channel"
    echo(c.bind_host, new["port"], "m3 caught up")
    echo(c.bind_host, port, "m3 serves its old channel too")
    wait_state(a, "m3", "up", timeout=10)
    wait_until(lambda: states(a, new["id"]) == dict.fromkeys(("m1", "m2", "m3"), "listening"),
               timeout=APPLY_TIMEOUT, what="m3's state of the new channel")
    # the row is the same server again, not a second one
    assert sorted(servers_by_name(a)) == ["m1", "m2", "m3"]
