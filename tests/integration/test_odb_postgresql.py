"""Servers on a PostgreSQL ODB (--odb postgresql://...): the admin API and CLI work
on it, its password never shows, two servers see each other's changes, and both
ride out a PostgreSQL restart - the API answers 503 while the ODB is away, the
channels keep serving their clients, and changes propagate again once it is back.
(The whole admin API suite also runs on PostgreSQL: WSX_TEST_ODB=postgresql, see
the Makefile's integration target.)"""
import os
import subprocess
import time

from wsxlib import WSX_BIN, PyWsClient, free_port, unique_name, wait_until

CHANNELS = "/api/v1/channels"


def with_password(url, password):
    """url with a password in its user part (trust auth lets it be ignored)."""
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{password}@{host}"


def state_on(pg, url, server, cid):
    """What `server` recorded of channel cid, read from the ODB as an operator would."""
    return pg.psql(f"SELECT state FROM channel_state WHERE server_name = '{server}' AND "
                   f"channel_id = {int(cid)}", db=url)


def echo(client, text):
    client.send(text.encode())
    got = client.recv()
    return got.decode() if isinstance(got, bytes) else got


def test_admin_api_and_cli_on_postgresql(server_factory, pg, pg_url, tmp_path):
    secret_url = with_password(pg_url, "hunter2-odb")
    srv = server_factory(tmp_path / "a", odb=secret_url).start()
    ch = srv.create_channel()
    assert ch["state"] == "listening"
    c = PyWsClient(ch["ws_url"])
    try:
        assert echo(c, "over postgres") == "over postgres"
    finally:
        c.close()
    r = srv.cli("list", "--json")
    assert r.returncode == 0, r.stderr
    assert ch["name"] in r.stdout
    # the rows are where an operator with psql finds them
    assert pg.psql(f"SELECT name FROM channel WHERE id = {ch['id']}", db=pg_url) == ch["name"]
    assert pg.psql("SELECT MAX(version) FROM schema_version", db=pg_url) == "7"
    assert "hunter2-odb" not in srv.log(), "the ODB password is never logged"
    assert "***@127.0.0.1" in srv.log(), "the log names the ODB, password masked"

    # a restart finds its channels in PostgreSQL
    assert srv.stop() == 0
    srv.start()
    again = srv.get_channel(ch["id"])
    assert again["state"] == "listening"
    c = PyWsClient(ch["ws_url"])
    try:
        assert echo(c, "still there") == "still there"
    finally:
        c.close()


def test_unreachable_odb_is_refused_at_start(tmp_path):
    env = dict(os.environ, WSX_ADMIN_PASSWORD="x")
    t = time.monotonic()
    r = subprocess.run([WSX_BIN, "server", "--data", str(tmp_path / "a"), "--admin",
                        f"127.0.0.1:{free_port()}", "--workers", "1", "--odb",
                        "postgresql://wsx:hunter2@127.0.0.1:1/none"],
                       env=env, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert time.monotonic() - t < 30
    assert "cannot open the ODB postgresql://wsx:***@127.0.0.1:1/none" in r.stderr, r.stderr
    assert "hunter2" not in r.stderr + r.stdout


def test_survives_a_postgresql_restart(server_factory, pg_private, tmp_path):
    pg = pg_private
    url = pg.create_database()
    a = server_factory(tmp_path / "a", odb=url, args=["--name", "srv-a"]).start()
    b = server_factory(tmp_path / "b", odb=url, args=["--name", "srv-b"]).start()

    # a channel made through A is served by B too (same port: SO_REUSEPORT)
    ch = a.create_channel()
    wait_until(lambda: state_on(pg, url, "srv-b", ch["id"]) == "listening", timeout=10,
               what="server B listening on the channel made through A")
    client = PyWsClient(ch["ws_url"])
    assert echo(client, "before") == "before"

    pg.stop_server()
    try:
        for srv in (a, b):
            r = wait_until(lambda: (lambda r: r if r.status == 503 else None)(
                srv.api("GET", CHANNELS)), timeout=10, what="503 while the ODB is down")
            e = r.error()
            assert e["code"] == "odb_unavailable", e
            assert "unreachable" in e["message"] and "keeps serving" in e["message"], e
            assert srv.api("POST", CHANNELS, {"name": "x"}).status == 503
            assert srv.healthz_ok(), "the process itself is fine"
        # the channel keeps serving: the client connected before, and a new one
        assert echo(client, "during") == "during"
        late = PyWsClient(ch["ws_url"])
        try:
            assert echo(late, "new during") == "new during"
        finally:
            late.close()
        time.sleep(2.5)  # a few reconnection attempts fail meanwhile; nothing breaks
        assert echo(client, "still during") == "still during"
    finally:
        pg.start_server()

    for srv in (a, b):
        wait_until(lambda: srv.api("GET", CHANNELS).status == 200, timeout=15,
                   what="the API back once the ODB is")
        assert "ODB connection restored" in srv.log()
    assert echo(client, "after") == "after"

    # changes made after the restart reach the other server: LISTEN was renewed
    ch2 = a.create_channel(name=unique_name("after"))
    wait_until(lambda: b.get_channel(ch2["id"])["state"] == "listening", timeout=10,
               what="B applying a channel created through A after the restart")
    r = b.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": False})
    assert r.status == 200, r
    wait_until(lambda: a.get_channel(ch["id"])["state"] == "inactive", timeout=10,
               what="A applying B's change")
    assert client.wait_closed() == 1001, "the client's channel was made inactive everywhere"
    client.close()
    assert state_on(pg, url, "srv-a", ch["id"]) == "inactive"
