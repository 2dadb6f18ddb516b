"""What a hostile or unlucky client must not be able to do to the session layer (the
findings of a review, each a test that failed before its fix): answer an admin invoke
meant for another client, slip past a login when a channel changes its data format,
crash the server by resetting at a ping tick, hold connections with a flood of slow
logins, or leak at shutdown while logins are being checked."""
import json
import socket
import struct
import threading
import time

from wsxlib import OP_TEXT, RawWs, upgrade_request, http_exchange
from wsxsession import (JsonWs, SessionEnv, admin_invoke, env, message,  # noqa: F401
                        pub_client_id_of)

PASSWORD = "pw-1 secret"


def test_a_client_cannot_answer_an_invoke_meant_for_another(env, wsx):
    ch = env.channel()
    with JsonWs(ch["port"]) as a, JsonWs(ch["port"]) as b:
        ta = a.login(client_id="attacker")
        tb = b.login(client_id="victim")
        pub_b = pub_client_id_of(wsx, ch["id"], "victim")
        # ids are a process prefix and a counter: the attacker learns the counter
        rid = a.request(message("invoke-service", {"x": 1}, token=ta))["meta"]["id"]
        prefix, n = rid[:17], int(rid[17:], 16)
        res = {}
        t = threading.Thread(
            target=lambda: res.setdefault("r", admin_invoke(wsx, pub_b, {"q": 1}, timeout=5)))
        t.start()
        rqc = b.recv_json()
        assert rqc["meta"]["msg_type"] == "zwsx.rqc"
        for k in range(1, 40):  # every id near the victim's request's
            a.send_json(message("client-response", {"response": "spoofed"}, token=ta,
                                in_reply_to=f"{prefix}{n + k:012x}"))
        a.request(message("invoke-service", {"sync": 1}, token=ta))  # all of them processed
        b.send_json(message("client-response", {"response": "genuine"}, token=tb,
                            in_reply_to=rqc["meta"]["id"]))
        t.join(10)
        assert res["r"].status == 200, res["r"]
        assert res["r"].json() == {"response": "genuine"}


def test_raw_to_json_closes_the_raw_connections(env, wsx):
    ch = wsx.create_channel()  # raw demo.echo
    env.channel_ids.append(ch["id"])
    ws = RawWs(ch["port"])
    ws.send_frame(OP_TEXT, b"hello")
    assert ws.recv_message().payload == b"hello"
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"data_format": "json"})
    assert r.status == 200 and r.json()["state"] == "listening", r
    ws.expect_close(1001)  # a raw connection has no session to carry on with
    assert wsx.alive()
    with JsonWs(ch["port"]) as j:
        assert j.login().startswith("zwsxt.")


def test_json_to_raw_does_not_skip_the_login(env, wsx):
    sec = env.security("basic_auth", username="alice", password=PASSWORD)
    ch = env.channel(security=sec["name"], new_token_wait_time=30)
    ws = JsonWs(ch["port"])  # upgraded, never logged in
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"data_format": "raw"})
    assert r.status == 200, r
    ws.expect_close(1001)
    # the raw channel checks the upgrade's Authorization header instead
    status, _, _ = http_exchange(ch["port"], upgrade_request(ch["port"], "/ws")[0])
    assert status == 401


def test_clients_resetting_at_a_ping_tick_do_not_crash_the_server(env, wsx):
    """A send that fails with ECONNRESET drops the connection inside the ping tick; the
    tick must not go on to re-arm its timer. (A race: before the fix this crashed the
    server about one run in three.)"""
    ch = env.channel(ping_interval=1)
    conns = []
    for _ in range(300):
        ws = JsonWs(ch["port"])
        ws.send_json(message("create-session"))
        conns.append(ws)
    for ws in conns:
        ws.recv_json()
    time.sleep(0.95)  # the first ping is due about 1 s after each login
    for ws in conns:
        ws.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        ws.sock.close()
    time.sleep(1.2)
    assert wsx.alive()
    with JsonWs(ch["port"]) as ok:
        assert ok.login().startswith("zwsxt.")


def test_a_flood_of_bad_logins_holds_nothing_past_the_wait_time(env, wsx):
    """Argon2id checks queue on one thread; a connection whose check is still waiting
    when its new-token wait time ends is closed like any late login."""
    sec = env.security("basic_auth", username="alice", password=PASSWORD)
    ch = env.channel(security=sec["name"], new_token_wait_time=1)
    flood = [JsonWs(ch["port"]) for _ in range(100)]  # ~5 s of Argon2id checks
    t0 = time.monotonic()
    for ws in flood:
        ws.send_json(message("create-session", username="alice", secret="wrong password"))
    for ws in flood:
        ws.expect_merr_and_close()  # refused, or too late: either way 1008, never held
    took = time.monotonic() - t0
    assert took < 2.5, f"the flood's connections were held {took:.1f} s (wait time 1 s)"
    for ws in flood:
        ws.sock.close()
    with JsonWs(ch["port"]) as good:
        assert good.login(username="alice", secret=PASSWORD).startswith("zwsxt.")


def test_stopping_while_logins_are_being_checked_is_clean(server_factory):
    srv = server_factory().start()
    e = SessionEnv(srv)
    sec = e.security("basic_auth", username="alice", password=PASSWORD)
    ch = e.channel(security=sec["name"], new_token_wait_time=30)
    socks = [JsonWs(ch["port"]) for _ in range(40)]
    for i, ws in enumerate(socks):
        ws.send_json(message("create-session", username="alice", secret=f"wrong {i}"))
    time.sleep(0.2)
    srv.assert_clean_stop()  # exit 0, no sanitizer report, no leak
