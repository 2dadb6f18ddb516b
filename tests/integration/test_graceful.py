"""Graceful operations and the process model (issue 6, item 7; docs/architecture.md,
"Process model").

- SIGTERM while a service call is running: the call finishes and its answer reaches
  the client before the 1001 close, with no drain and with one.
- A plugin that crashes the process (SIGSEGV inside a .so) while the admin API is
  writing: the process dies, but every write that was acknowledged is in the ODB
  after a restart, SQLite's integrity check passes, and the restarted server serves.
"""
import http.client
import json
import shutil
import sqlite3
import threading
import time
from pathlib import Path

from wsxlib import PyWsClient, basic_auth, wait_until

ROOT = Path(__file__).resolve().parents[2]
PROBE_SO = ROOT / "build" / "examples" / "test" / "probe.so"


def start_with_probe(server_factory, data, *args):
    srv = server_factory(data, args=list(args))
    (data / "services").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROBE_SO, data / "services" / "probe.so")
    srv.start()
    wait_until(lambda: any(s["name"] == "probe.sleep"
                           for s in srv.api("GET", "/api/v1/services").json()["items"]),
               what="probe.so loaded")
    return srv


def test_sigterm_waits_for_a_service_call_in_flight_without_drain(server_factory, tmp_path):
    srv = start_with_probe(server_factory, tmp_path / "data", "--drain-seconds", "0")
    ch = srv.create_channel(service="probe.sleep")
    c = PyWsClient(ch["ws_url"])
    try:
        c.send(b"1500")  # the service sleeps 1.5 s, then answers its input
        time.sleep(0.4)
        srv.send_sigterm()
        assert c.recv(timeout=10) == b"1500", "the call in flight was answered"
        assert c.wait_closed(timeout=10) == 1001
    finally:
        c.close()
    srv.assert_clean_stop()


def test_sigterm_during_a_drain_keeps_serving_until_the_client_leaves(server_factory, tmp_path):
    srv = start_with_probe(server_factory, tmp_path / "data", "--drain-seconds", "30")
    ch = srv.create_channel(service="probe.sleep")
    c = PyWsClient(ch["ws_url"])
    try:
        c.send(b"800")
        time.sleep(0.2)
        srv.send_sigterm()
        assert c.recv(timeout=10) == b"800"
        c.send(b"10")  # still served during the drain
        assert c.recv(timeout=10) == b"10"
        assert c.close_normally() == 1000
    finally:
        c.close()
    t0 = time.monotonic()
    srv.assert_clean_stop()  # its last client gone, the drain ends early
    assert time.monotonic() - t0 < 20


def test_a_crashing_plugin_cannot_lose_or_corrupt_acknowledged_writes(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = start_with_probe(server_factory, data)
    crash = srv.create_channel(service="probe.crash", name="crash-channel")
    acked = {}
    errors = []

    def writer():
        conn = http.client.HTTPConnection("127.0.0.1", srv.admin_port, timeout=30)
        headers = {"Authorization": basic_auth("admin", srv.password),
                   "Content-Type": "application/json"}
        for i in range(2000):
            body = json.dumps({"name": f"seg-{i:04d}", "address": f"ws://127.0.0.1:{22000 + i}/s",
                               "service": "demo.echo", "data_format": "raw",
                               "is_active": False})
            try:
                conn.request("POST", "/api/v1/channels", body, headers)
                r = conn.getresponse()
                payload = r.read()
            except (OSError, http.client.HTTPException) as e:
                errors.append(repr(e))
                return
            if r.status != 201:
                errors.append(f"HTTP {r.status}: {payload[:200]!r}")
                return
            acked[json.loads(payload)["id"]] = f"seg-{i:04d}"

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    wait_until(lambda: len(acked) >= 100 or not t.is_alive(), timeout=120,
               what="100 acknowledged creates")
    c = PyWsClient(crash["ws_url"])
    try:
        c.send(b"crash")
        srv.proc.wait(timeout=30)  # the plugin took the whole process down
    finally:
        c.close()
    srv.stopped_by_us = True  # an expected death: the fixture must not report it
    assert srv.proc.returncode != 0
    t.join(60)
    assert not t.is_alive()
    assert errors, "the writer saw the server go away"
    print(f"crashed with {len(acked)} creates acknowledged")

    db = sqlite3.connect(str(data / "wsx.db"))
    try:
        # as the crash left the file (WAL included), before any restart repairs it
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        names = {r[0] for r in db.execute("SELECT name FROM channel WHERE name LIKE 'seg-%'")}
    finally:
        db.close()
    missing = sorted(set(acked.values()) - names)
    assert not missing, f"acknowledged but lost: {missing[:20]}"

    again = server_factory(data).start()
    for cid, name in list(acked.items())[-20:]:
        r = again.api("GET", f"/api/v1/channels/{cid}")
        assert r.status == 200 and r.json()["name"] == name, r
    ch = again.create_channel()
    c = PyWsClient(ch["ws_url"])
    try:
        c.send(b"after the crash")
        assert c.recv() == b"after the crash"
    finally:
        c.close()
    again.assert_clean_stop()
