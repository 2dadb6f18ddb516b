"""An acknowledged write survives SIGKILL: 1,000 creates over one keep-alive
connection, the server killed after about 300 were acknowledged, a restart on the
same data directory, and every acknowledged channel must be there; then SQLite's
own integrity check on the ODB file."""
import http.client
import json
import sqlite3
import threading

from wsxlib import basic_auth, wait_until

TOTAL = 1000
KILL_AFTER = 300


def test_acknowledged_creates_survive_sigkill(server_factory, tmp_path):
    data = tmp_path / "data"
    srv = server_factory(data).start()
    acked = {}  # id -> name, filled by the writer as 201s come back
    problems = []

    def writer():
        conn = http.client.HTTPConnection("127.0.0.1", srv.admin_port, timeout=60)
        headers = {"Authorization": basic_auth("admin", srv.password),
                   "Content-Type": "application/json"}
        for i in range(TOTAL):
            name = f"dur-{i:04d}"
            # inactive: nothing binds, so any port number will do
            body = json.dumps({"name": name, "address": f"ws://127.0.0.1:{20000 + i}/d",
                               "service": "demo.echo", "data_format": "raw",
                               "is_active": False})
            try:
                conn.request("POST", "/api/v1/channels", body, headers)
                r = conn.getresponse()
                payload = r.read()
            except (OSError, http.client.HTTPException) as e:
                problems.append(f"request {i}: {e!r}")
                return
            if r.status != 201:
                problems.append(f"request {i}: HTTP {r.status} {payload[:300]!r}")
                return
            acked[json.loads(payload)["id"]] = name

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    wait_until(lambda: len(acked) >= KILL_AFTER or not t.is_alive(), timeout=240,
               interval=0.002, max_interval=0.002, what=f"{KILL_AFTER} acknowledged creates")
    srv.kill()  # SIGKILL in the middle of the stream
    t.join(60)
    assert not t.is_alive(), "the writer hung after the server was killed"
    acknowledged = dict(acked)
    print(f"killed with {len(acknowledged)} of {TOTAL} creates acknowledged")
    assert len(acknowledged) >= KILL_AFTER, f"the writer stopped early: {problems}"
    if len(acknowledged) < TOTAL:
        assert problems, "the writer stopped without an error although requests were left"

    again = server_factory(data).start()  # the same ODB, a new admin port
    assert again.healthz_ok()
    for cid, name in acknowledged.items():
        r = again.api("GET", f"/api/v1/channels/{cid}")
        assert r.status == 200, f"acknowledged channel {cid} ({name}) is gone after SIGKILL: {r}"
        ch = r.json()
        assert ch["name"] == name and ch["is_active"] is False
        assert ch["address"] == f"ws://127.0.0.1:{20000 + int(name[4:])}/d"
        assert ch["state"] == "inactive"
    r = again.api("GET", "/api/v1/channels?query=dur-&page_size=1000")
    assert r.status == 200, r
    listing = r.json()
    assert listing["total"] >= len(acknowledged)
    listed = {i["id"]: i["name"] for i in listing["items"]}
    assert len(listed) == listing["total"]
    missing = {cid: n for cid, n in acknowledged.items() if listed.get(cid) != n}
    assert not missing, f"acknowledged but not listed: {sorted(missing.values())[:20]}"
    assert len(set(listed.values())) == len(listed), "a name appears twice"
    # the ODB still takes writes after the recovery
    r = again.api("POST", "/api/v1/channels", {
        "name": "dur-after", "address": "ws://127.0.0.1:21999/d", "service": "demo.echo",
        "data_format": "raw", "is_active": False})
    assert r.status == 201, r
    again.assert_clean_stop()

    db = sqlite3.connect(str(data / "wsx.db"))
    try:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        (count,) = db.execute("SELECT COUNT(*) FROM channel WHERE name LIKE 'dur-%'").fetchone()
        assert count >= len(acknowledged) + 1
    finally:
        db.close()
