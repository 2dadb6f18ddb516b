"""The server process itself, each test on a private server: the first admin user,
a clean SIGTERM (exit 0, so no ASan leak report) with and without traffic, open
connections closed with 1001 on shutdown, channels back after a restart, and a busy
admin port refused with a clear message."""
import socket
import stat
import subprocess

from wsxlib import WSX_BIN, PyWsClient, free_port


def echo_once(url, msg="ping"):
    c = PyWsClient(url)
    try:
        c.send(msg)
        assert c.recv() == msg
    finally:
        c.close()


def test_sigterm_on_an_idle_server_exits_0(server_factory):
    srv = server_factory().start()
    srv.create_channel()
    srv.assert_clean_stop()


def test_sigterm_after_traffic_exits_0(server_factory):
    """One echo, one client close, then SIGTERM: a leak of anything the data plane
    allocated makes the ASan build exit non-zero."""
    srv = server_factory().start()
    ch = srv.create_channel()
    echo_once(ch["ws_url"])
    srv.assert_clean_stop()


def test_sigterm_closes_open_connections_with_1001(server_factory):
    srv = server_factory().start()
    ch = srv.create_channel()
    c = PyWsClient(ch["ws_url"])
    try:
        c.send(b"before shutdown")
        assert c.recv() == b"before shutdown"
        srv.send_sigterm()
        assert c.wait_closed() == 1001, "server shutting down: close code 1001"
    finally:
        c.close()
    srv.assert_clean_stop()


def test_channels_listen_again_after_a_restart(server_factory, tmp_path):
    srv = server_factory(tmp_path / "data").start()
    active = srv.create_channel()
    inactive = srv.create_channel(is_active=False)
    srv.assert_clean_stop()
    again = server_factory(tmp_path / "data").start()
    assert again.get_channel(active["id"])["state"] == "listening"
    assert again.get_channel(inactive["id"])["state"] == "inactive"
    echo_once(active["ws_url"], "back again")


def test_admin_password_file_when_no_env(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data, env_password=None).start()
    pw_file = data / "admin-password"
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    password = pw_file.read_text().strip()
    assert srv.log().count(password) == 1
    srv.password = password
    assert srv.api("GET", "/api/v1/channels").status == 200
    assert srv.api("GET", "/api/v1/channels", password=password + "x").status == 401


def test_busy_admin_port_fails_clearly(tmp_path):
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
        s.listen(1)
        p = subprocess.run([WSX_BIN, "server", "--data", str(tmp_path / "data"), "--admin",
                            f"127.0.0.1:{port}", "--workers", "1"], capture_output=True,
                           text=True, timeout=60, env={"WSX_ADMIN_PASSWORD": "x",
                                                       "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert f"127.0.0.1:{port}" in p.stderr and "admin" in p.stderr, p.stderr


def test_the_server_registers_itself_and_keeps_a_heartbeat(server_factory):
    """DESIGN.md 7: each server has a row in `server` (name, admin address) whose
    heartbeat moves while it runs (every --heartbeat-seconds, 2 s by default)."""
    import sqlite3
    import time

    srv = server_factory().start()

    def row():
        db = sqlite3.connect(f"file:{srv.data_dir / 'wsx.db'}?mode=ro", uri=True, timeout=10)
        try:
            return db.execute("SELECT name, admin_address, last_heartbeat FROM server").fetchall()
        finally:
            db.close()

    (first,) = row()
    assert first[0] == socket.gethostname()
    assert first[1] == srv.url
    deadline = time.time() + 25
    while time.time() < deadline:
        (now,) = row()
        if now[2] != first[2]:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"the heartbeat did not move in 25 s: {first[2]}")
    assert now[2] > first[2], "the heartbeat went backwards"
    srv.assert_clean_stop()
