"""`wsx quickstart`: the admin user with a generated password (printed once, kept in
DATA/admin-password with mode 0600) and the channel "demo" on the fixed address
ws://127.0.0.1:8190/demo (demo.echo, json: the WSX session protocol; below the ephemeral
range 32768-60999, so no client connection of another test can hold it), admin API on
127.0.0.1:8183."""
import json
import stat

import pytest

from wsxlib import PyWsClient, connect_refused, port_is_free

ADMIN_PORT, DEMO_PORT = 8183, 8190
DEMO_URL = f"ws://127.0.0.1:{DEMO_PORT}/demo"


def require_fixed_ports():
    for port, what in ((ADMIN_PORT, "the admin API"), (DEMO_PORT, "the demo channel")):
        if not port_is_free(port):
            owner = "something listens there" if not connect_refused(port) else "cannot bind it"
            pytest.fail(f"port {port} ({what} of `wsx quickstart`, fixed) is busy - {owner}; "
                        f"stop whatever uses it (another `wsx quickstart`?) and run again")


def login(c):
    c.send(json.dumps({"meta": {"id": "login-1", "timestamp": "2026-11-30T00:00:00",
                                "action": "create-session"}}))
    r = json.loads(c.recv())
    assert r["meta"]["msg_type"] == "zwsx.rspa", r
    return r["data"]["token"]


def invoke(c, token, data):
    c.send(json.dumps({"meta": {"id": "call-1", "timestamp": "2026-11-30T00:00:01",
                                "action": "invoke-service", "token": token}, "data": data}))
    r = json.loads(c.recv())
    assert (r["meta"]["msg_type"], r["meta"]["in_reply_to"]) == ("zwsx.rspok", "call-1"), r
    return r["data"]


def demo_channels(srv):
    r = srv.api("GET", "/api/v1/channels?query=demo")
    assert r.status == 200, r
    return [c for c in r.json()["items"] if c["name"] == "demo"]


def test_quickstart(server_factory, tmp_path):
    require_fixed_ports()
    data = tmp_path / "qs"
    srv = server_factory(data, command="quickstart", admin_port=ADMIN_PORT, env_password=None)
    srv.start()

    pw_file = data / "admin-password"
    assert stat.S_IMODE(pw_file.stat().st_mode) == 0o600
    password = pw_file.read_text().strip()
    assert len(password) >= 16
    out = srv.log()
    assert out.count(password) == 1, "the generated password is printed exactly once"
    srv.password = password

    (demo,) = demo_channels(srv)
    assert demo["address"] == DEMO_URL
    assert (demo["service"], demo["data_format"]) == ("demo.echo", "json")
    assert demo["is_active"] is True and demo["state"] == "listening"
    r = srv.api("GET", "/api/v1/channels", password="wrong")
    assert r.status == 401

    c = PyWsClient(DEMO_URL)
    try:
        token = login(c)
        assert invoke(c, token, {"hello": "demo"}) == {"hello": "demo"}
        assert invoke(c, token, [1, 2, 3]) == [1, 2, 3]
    finally:
        c.close()

    r = srv.cli("list", "--json")
    assert r.returncode == 0, r.stderr
    assert "demo" in [c["name"] for c in json.loads(r.stdout)]
    srv.assert_clean_stop()

    # a second start on the same directory: the same password, still one "demo"
    again = server_factory(data, command="quickstart", admin_port=ADMIN_PORT,
                           env_password=None)
    again.password = password
    again.start()
    assert password not in again.log(), "the password is printed only when it is created"
    assert pw_file.read_text().strip() == password
    assert len(demo_channels(again)) == 1
    c = PyWsClient(DEMO_URL)
    try:
        assert invoke(c, login(c), "still there") == "still there"
    finally:
        c.close()
    again.assert_clean_stop()
