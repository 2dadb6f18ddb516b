"""Issue 5, the load balancer: `wsx lb haproxy-config` prints a configuration that
`haproxy -c` accepts, and a real HAProxy (Debian's haproxy 2.6, started here on the
channel's own address) started with it passes WebSocket sessions to the servers of a
cluster (each server on its --bind-host: localcluster.py): with two servers on one
SQLite ODB, clients land on both, the service sees the client's address in
X-Forwarded-For, and a server that leaves (SIGTERM) stops getting new clients while the
other takes them; with three servers on a real PostgreSQL (docs/cluster.md's set-up),
clients land on all three."""
import os
import shutil
import signal
import subprocess
import time

import pytest

from localcluster import pg, servers_by_name, start_cluster, wait_listening, wait_state
from wsxlib import ROOT, WSX_BIN, connect_refused, free_port, unique_name, wait_until
from wsxsession import JsonWs, check_rspok, connections_of, message

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
PROBE_SO = ROOT / "build" / "examples" / "test" / "probe.so"


@pytest.fixture
def haproxy_ready():
    if not os.access(HAPROXY, os.X_OK):
        pytest.fail("haproxy is not installed: run scripts/install-deps")
    if not PROBE_SO.exists():
        pytest.fail(f"{PROBE_SO} is not built: run `make integration` (or make {PROBE_SO})")


def lb_config(srv, *args):
    env = dict(os.environ, WSX_URL=srv.url, WSX_PASSWORD=srv.password)
    return subprocess.run([WSX_BIN, "lb", "haproxy-config", *args], env=env,
                          capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


def haproxy_check(path):
    p = subprocess.run([HAPROXY, "-c", "-f", str(path)], capture_output=True, text=True,
                       timeout=60)
    out = p.stdout + p.stderr
    assert p.returncode == 0, f"haproxy -c refused the configuration:\n{out}\n" \
                              f"{path.read_text()}"
    assert "Configuration file is valid" in out, out
    assert "[WARNING]" not in out and "[ALERT]" not in out, out
    return out


def create_channel(srv, port, **fields):
    body = {"name": unique_name("lb"), "address": f"ws://127.0.0.1:{port}/ws",
            "service": "demo.echo", "data_format": "raw"}
    body.update(fields)
    r = srv.api("POST", "/api/v1/channels", body)
    assert r.status == 201, r
    return r.json()


def test_haproxy_accepts_the_configuration(server_factory, tmp_path, haproxy_ready):
    m1, m2 = start_cluster(server_factory, tmp_path)
    wait_state(m1, "m2", "up")
    p = lb_config(m1)
    assert p.returncode == 1 and "no active ws:// channel" in p.stderr, (p.returncode, p.stderr)
    assert p.stdout == ""

    raw = create_channel(m1, free_port())
    js = create_channel(m1, free_port(), data_format="json")
    off = create_channel(m1, free_port(), is_active=False)
    for args in ((), ("--balance", "leastconn"), ("--bind", "0.0.0.0")):
        p = lb_config(m1, *args)
        assert p.returncode == 0, p.stderr
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(p.stdout)
        haproxy_check(cfg)
        text = p.stdout
        for ch in (raw, js):
            assert f"frontend wsx_channel_{ch['id']}\n" in text, text
        assert f"wsx_channel_{off['id']}" not in text, "an inactive channel has no frontend"
        port = int(raw["address"].rsplit(":", 1)[1].split("/")[0])
        assert f"server m1 127.0.0.2:{port} check port {m1.admin_port} addr 127.0.0.1" in text
        assert f"server m2 127.0.0.3:{port} check port {m2.admin_port} addr 127.0.0.1" in text
        assert "option forwardfor" in text and "timeout tunnel 1h" in text
    assert "balance roundrobin" in lb_config(m1).stdout
    assert "balance leastconn" in lb_config(m1, "--balance", "leastconn").stdout
    assert f"bind 0.0.0.0:{port}\n" in lb_config(m1, "--bind", "0.0.0.0").stdout
    assert f"bind 127.0.0.1:{port}\n" in lb_config(m1).stdout


class HAProxy:
    def __init__(self, cfg, log):
        self.log_path = log
        self._log = open(log, "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", str(cfg)], stdout=self._log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def log(self):
        return self.log_path.read_text(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


def session(port, client_id):
    """A JsonWs through HAProxy on 127.0.0.1:port, logged in as client_id; returns
    (ws, token)."""
    ws = JsonWs(port)
    msg = message("create-session", client_id=client_id)
    reply = ws.request(msg)
    assert reply["meta"]["msg_type"] == "zwsx.rspa", reply
    return ws, reply["data"]["token"]


def probe_env(ws, token):
    msg = message("invoke-service", {"who": "am I"}, token=token)
    return check_rspok(ws.request(msg), msg["meta"]["id"])["data"]


def owners(servers, cid):
    """{ext_client_id: server_name} of the channel's connections, from every server's
    own list (each lists at least the connections it holds)."""
    seen = {}
    for srv in servers:
        if srv.alive():
            for c in connections_of(srv, cid):
                seen[c["ext_client_id"]] = c["server_name"]
    return seen


def test_haproxy_balances_websockets_over_the_cluster(server_factory, tmp_path, haproxy_ready):
    m1, m2 = start_cluster(server_factory, tmp_path, plugins=[PROBE_SO],
                           extra_args=["--drain-seconds", "60"])
    for srv in (m1, m2):
        wait_until(lambda: srv.api("GET", "/api/v1/services").status == 200 and any(
            s["name"] == "probe.env" for s in srv.api("GET", "/api/v1/services").json()["items"]),
            what=f"probe.env deployed on {srv.name}")
    wait_state(m1, "m2", "up")
    port = free_port()
    ch = create_channel(m1, port, data_format="json", service="probe.env")
    wait_listening([m1, m2], ch["id"])
    p = lb_config(m1)
    assert p.returncode == 0, p.stderr
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(p.stdout)
    lb = HAProxy(cfg, tmp_path / "haproxy.log")
    clients = []
    try:
        wait_until(lambda: not connect_refused(port, "127.0.0.1"), timeout=30,
                   what="HAProxy to listen on the channel's address")
        for i in range(4):
            ws, token = session(port, f"lb-{i}")
            clients.append((ws, token))
            env = probe_env(ws, token)
            # HAProxy's option forwardfor: the client's own address, as HAProxy saw it
            assert env["peer_forwarded_for"] == "127.0.0.1", env
            assert env["ext_client_id"] == f"lb-{i}", env
        seen = wait_until(lambda: (lambda o: len(o) == 4 and o)(owners([m1, m2], ch["id"])),
                          what="the four clients in the connections lists")
        assert sorted(seen.values()) == ["m1", "m1", "m2", "m2"], \
            f"round robin should put two clients on each server: {seen}"

        # m1 leaves: its clients keep working during the drain, new ones go to m2
        m1.send_sigterm()
        wait_until(lambda: connect_refused(port, "127.0.0.2"), timeout=10,
                   what="m1 to stop accepting")
        for i in range(4, 8):
            ws, token = session(port, f"lb-{i}")
            clients.append((ws, token))
            assert probe_env(ws, token)["ext_client_id"] == f"lb-{i}"
        seen = owners([m2], ch["id"])
        assert all(seen.get(f"lb-{i}") == "m2" for i in range(4, 8)), seen
        for ws, token in clients[:4]:
            probe_env(ws, token)  # m1's clients too, during the drain
        assert lb.proc.poll() is None, lb.log()
    finally:
        for ws, _ in clients:
            ws.sock.close()
        lb.stop()
    if m1.alive():
        m1.proc.send_signal(signal.SIGTERM)  # end the drain
    assert m1.proc.wait(60) == 0, m1.log()[-4000:]


@pytest.fixture
def postgres():
    cluster = pg.PgCluster()
    cluster.start()
    yield cluster
    cluster.destroy()


def test_three_servers_on_postgresql_behind_haproxy(server_factory, tmp_path, haproxy_ready,
                                                    postgres):
    """docs/cluster.md end to end: three servers on one PostgreSQL database, a channel
    created through one, `wsx server list`, the generated configuration in a real
    HAProxy, and clients spread over the three."""
    servers = start_cluster(server_factory, tmp_path, n=3, plugins=[PROBE_SO],
                            odb_url=postgres.create_database())
    m1 = servers[0]
    wait_until(lambda: {s["state"] for s in servers_by_name(m1).values()} == {"up"} and
               len(servers_by_name(m1)) == 3, what="three servers up")
    env = dict(os.environ, WSX_URL=m1.url, WSX_PASSWORD=m1.password)
    p = subprocess.run([WSX_BIN, "server", "list"], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    assert sorted(ln.split()[0] for ln in p.stdout.splitlines()[1:]) == ["m1", "m2", "m3"], \
        p.stdout
    for srv in servers:
        wait_until(lambda: any(s["name"] == "probe.env"
                               for s in srv.api("GET", "/api/v1/services").json()["items"]),
                   what=f"probe.env deployed on {srv.name}")
    port = free_port()
    ch = create_channel(servers[1], port, data_format="json", service="probe.env")
    wait_listening(servers, ch["id"])
    states = {s["server"]: s["state"] for s in m1.get_channel(ch["id"])["states"]}
    assert states == {"m1": "listening", "m2": "listening", "m3": "listening"}, states
    p = lb_config(m1)
    assert p.returncode == 0, p.stderr
    cfg = tmp_path / "haproxy.cfg"
    cfg.write_text(p.stdout)
    haproxy_check(cfg)
    lb = HAProxy(cfg, tmp_path / "haproxy.log")
    clients = []
    try:
        wait_until(lambda: not connect_refused(port, "127.0.0.1"), timeout=30,
                   what="HAProxy to listen on the channel's address")
        for i in range(6):
            ws, token = session(port, f"pg-{i}")
            clients.append(ws)
            assert probe_env(ws, token)["peer_forwarded_for"] == "127.0.0.1"
        seen = wait_until(lambda: (lambda o: len(o) == 6 and o)(owners(servers, ch["id"])),
                          what="the six clients in the connections lists")
        assert sorted(seen.values()) == ["m1", "m1", "m2", "m2", "m3", "m3"], seen
    finally:
        for ws in clients:
            ws.sock.close()
        lb.stop()
