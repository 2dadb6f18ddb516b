"""WSX-PROTOCOL.md sections 2, 4, 6 and 7 against the real server: invocations and their
replies, requests the server cannot read (invalid JSON, missing meta.id...) answered with a
clear 400 while the connection stays usable, the gateway service and its allow-list, server
requests (an admin "invoke") answered by the client, what the connections list shows, and
the close codes."""
import json
import struct
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from wsxlib import frame
from wsxsession import (GATEWAY, NOT_ALLOWED, OP_BINARY, OP_CLOSE, OP_TEXT, JsonWs,
                        admin_invoke, check_rspok, check_rsperr, check_server_meta,
                        connections_of, login_then, message, now_iso, pub_client_id_of)
from wsxsession import env  # noqa: F401 - the fixture


# --------------------------------------------------------------------------- invocation

def test_invoke_gets_rspok_with_the_service_output(env):
    ch = env.channel()
    ws, token = login_then(ch)
    data = {"text": "zażółć gęślą jaźń", "list": [1, 2.5, None, True], "nested": {"a": {}}}
    with ws:
        msg = message("invoke-service", data, token=token)
        reply = check_rspok(ws.request(msg), msg["meta"]["id"], data)
        assert set(reply) == {"meta", "data"}, reply
        # a binary frame is parsed as JSON too; the reply is still a text frame
        msg = message("invoke-service", ["in", "binary"], token=token)
        check_rspok(ws.request(msg, OP_BINARY), msg["meta"]["id"], ["in", "binary"])
        ws.close_normally()


@pytest.mark.parametrize("action", ["invoke-service", "anything-else", "zato.ping"])
def test_any_other_action_invokes_the_channel_service(env, action):
    ch = env.channel()
    ws, token = login_then(ch)
    with ws:
        ws.invoke(token, {"action": action}, action=action)


def test_data_defaults_to_an_empty_object(env):
    """No data: the service gets {}; demo.echo returns it (and empty data may be left out)."""
    ch = env.channel()
    ws, token = login_then(ch)
    with ws:
        msg = message("invoke-service", token=token)
        reply = check_rspok(ws.request(msg), msg["meta"]["id"])
        assert reply.get("data", {}) == {}, reply


def test_replies_come_in_the_order_of_the_requests(env):
    ch = env.channel()
    ws, token = login_then(ch)
    with ws:
        msgs = [message("invoke-service", {"n": i}, token=token) for i in range(50)]
        ws.send(b"".join(frame(OP_TEXT, json.dumps(m)) for m in msgs))
        ids = set()
        for i, m in enumerate(msgs):
            reply = check_rspok(ws.recv_json(), m["meta"]["id"], {"n": i})
            ids.add(reply["meta"]["id"])
        assert len(ids) == 50, "every server message has its own meta.id"


def test_zato_style_timestamps_and_ids_are_accepted(env):
    """Timestamps as Zato's clients write them (no fraction, milliseconds with Z) and ids
    with spaces and dots (the JavaScript client's)."""
    ch = env.channel()
    ws, token = login_then(ch)
    with ws:
        for ts, mid in (("2026-11-30T10:00:00", "zato.ws.client.invs.0a1b"),
                        ("2026-11-30T10:00:00.123Z", "My Client.0.8d2c4e1f"),
                        ("2026-11-30T10:00:00.123456", "zwsxc.inv.f00d")):
            msg = message("invoke-service", {"ts": ts}, msg_id=mid, token=token)
            msg["meta"]["timestamp"] = ts
            check_rspok(ws.request(msg), mid, {"ts": ts})


# --------------------------------------------------------------------------- bad requests

def bad_requests(token):
    ts = now_iso()
    return [
        ("invalid JSON", b'{"meta": {"id": "x1", "timestamp": "' + ts.encode() + b'"',
         None, "JSON"),
        ("trailing bytes", json.dumps(message("invoke-service", {}, token=token)).encode()
         + b" x", None, "JSON"),
        ("not an object", b"[1, 2]", None, "object"),
        ("meta missing", json.dumps({"data": {}}).encode(), None, "meta"),
        ("meta not an object", json.dumps({"meta": "x", "data": {}}).encode(), None, "meta"),
        ("meta.id missing", json.dumps({"meta": {"timestamp": ts, "token": token,
                                                 "action": "invoke-service"}}).encode(),
         None, "meta.id"),
        ("meta.id not a string", json.dumps({"meta": {"id": 5, "timestamp": ts, "token": token,
                                                      "action": "invoke-service"}}).encode(),
         None, "meta.id"),
        ("meta.timestamp missing", json.dumps({"meta": {"id": "ts-missing", "token": token,
                                                        "action": "invoke-service"}}).encode(),
         "ts-missing", "meta.timestamp"),
    ]


BAD_CASES = [c[0] for c in bad_requests("t")]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_request_gets_400_and_the_connection_stays_usable(env, case):
    ch = env.channel()
    ws, token = login_then(ch)
    _, payload, reply_to, says = next(c for c in bad_requests(token) if c[0] == case)
    with ws:
        ws.send_frame(OP_TEXT, payload)
        check_rsperr(ws.recv_json(), 400, reply_to, says)
        ws.invoke(token, {"after": case})
        ws.close_normally()


# --------------------------------------------------------------------------- the gateway

def gateway_channel(env):
    return env.channel(service=GATEWAY, gateway_services=["demo.echo"])


def test_gateway_invokes_an_allowed_service(env):
    ch = gateway_channel(env)
    ws, token = login_then(ch)
    with ws:
        ws_reply = ws.invoke(token, {"service": "demo.echo", "request": {"a": [1, 2]}})
        assert ws_reply["data"] == {"a": [1, 2]}, "the gateway returns the target's output"
        ws.invoke(token, {"service": "demo.echo", "request": "a string"})


@pytest.mark.parametrize("target", ["demo.ping", "no.such.service", GATEWAY])
def test_gateway_refuses_a_service_not_on_the_allow_list(env, target):
    ch = gateway_channel(env)
    ws, token = login_then(ch)
    with ws:
        msg = message("invoke-service", {"service": target, "request": {}}, token=token)
        err = check_rsperr(ws.request(msg), 403, msg["meta"]["id"])
        assert err == NOT_ALLOWED, err
        # a service error is an answer, not the end of the session
        ws.invoke(token, {"service": "demo.echo", "request": "still allowed"})


@pytest.mark.parametrize("case,data", [
    ("not an object", "demo.echo"),
    ("service missing", {"request": {}}),
    ("service not a string", {"service": 5, "request": {}}),
    ("an array", ["demo.echo", {}]),
])
def test_gateway_with_bad_input_answers_400(env, case, data):
    ch = gateway_channel(env)
    ws, token = login_then(ch)
    with ws:
        msg = message("invoke-service", data, token=token)
        check_rsperr(ws.request(msg), 400, msg["meta"]["id"])
        ws.invoke(token, {"service": "demo.echo", "request": case})


def test_gateway_allow_list_change_applies_to_live_sessions(env, wsx):
    ch = gateway_channel(env)
    ws, token = login_then(ch)
    with ws:
        ws.invoke(token, {"service": "demo.echo", "request": 1})
        r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"gateway_services": []})
        assert r.status == 200, r
        msg = message("invoke-service", {"service": "demo.echo", "request": 2}, token=token)
        assert check_rsperr(ws.request(msg), 403, msg["meta"]["id"]) == NOT_ALLOWED


# --------------------------------------------------------------------------- server requests

def test_admin_invoke_is_answered_by_the_client(env, wsx):
    ch = env.channel()
    ws, token = login_then(ch, client_id="answering-client")
    pub = pub_client_id_of(wsx, ch["id"], "answering-client")
    with ws, ThreadPoolExecutor(1) as pool:
        for request, data, expected in (
                ({"question": 42}, {"response": {"answer": [4, 2]}}, {"answer": [4, 2]}),
                ("plain", {"response": "plain back"}, "plain back"),
                ({"q": 2}, {"no": "response key"}, {"no": "response key"})):
            call = pool.submit(admin_invoke, wsx, pub, request, 5)
            rqc = ws.recv_json()
            meta = check_server_meta(rqc, "zwsx.rqc")
            assert rqc.get("data") == request, rqc
            ws.send_json(message("client-response", data, token=token, in_reply_to=meta["id"]))
            r = call.result(30)
            assert r.status == 200, r
            assert r.json() == {"response": expected}, r.json()
        ws.invoke(token, "the session goes on")


def test_admin_invoke_times_out_when_the_client_does_not_answer(env, wsx):
    ch = env.channel()
    ws, token = login_then(ch, client_id="silent-client")
    pub = pub_client_id_of(wsx, ch["id"], "silent-client")
    with ws:
        t0 = time.monotonic()
        r = admin_invoke(wsx, pub, {"hello": "?"}, timeout=1)
        elapsed = time.monotonic() - t0
        assert r.status >= 400, f"an unanswered invoke must fail: {r}"
        assert 0.9 <= elapsed <= 5, f"answered after {elapsed:.2f} s with a 1 s timeout"
        rqc = ws.recv_json()
        check_server_meta(rqc, "zwsx.rqc")
        assert rqc["data"] == {"hello": "?"}
        # a late answer is ignored and the session goes on
        ws.send_json(message("client-response", {"response": "late"}, token=token,
                             in_reply_to=rqc["meta"]["id"]))
        ws.invoke(token, "still here")


def test_connections_list_shows_the_session(env, wsx):
    """client_id, client_name (an object flattened to "k: v; k2: v2") and the username of a
    logged-in connection; a connection that has not logged in is not listed."""
    sec = env.security("basic_auth", username="erin", password="erin's password")
    ch = env.channel(security=sec["name"])
    with JsonWs(ch["port"]) as anonymous:
        ws, _ = login_then(ch, username="erin", secret="erin's password",
                           client_id="listed-client", client_name={"app": "tests", "version": 3})
        with ws:
            conns = connections_of(wsx, ch["id"])
            assert len(conns) == 1, f"only the logged-in connection is listed: {conns}"
            c = conns[0]
            assert c["ext_client_id"] == "listed-client", c
            assert c["ext_client_name"] == "app: tests; version: 3", c
            assert c["username"] == "erin", c
            assert "erin's password" not in json.dumps(conns)
        anonymous.send_frame(OP_CLOSE, struct.pack("!H", 1000))


# --------------------------------------------------------------------------- close codes

def test_client_close_1000_is_echoed(env):
    ch = env.channel()
    ws, _ = login_then(ch)
    with ws:
        assert ws.close_normally() == b""


@pytest.mark.parametrize("logged_in", [False, True], ids=["before login", "after login"])
def test_invalid_utf8_closes_with_1007(env, logged_in):
    ch = env.channel()
    with JsonWs(ch["port"]) as ws:
        token = ws.login() if logged_in else None
        bad = json.dumps(message("invoke-service", {"s": "X"}, token=token)).encode()
        ws.send_frame(OP_TEXT, bad.replace(b"X", b"\xc3\x28"))
        ws.expect_close(1007)


def test_message_over_max_message_size_closes_with_1009(env):
    ch = env.channel(max_message_size=1000)
    ws, token = login_then(ch)
    with ws:
        ws.invoke(token, {"fits": "y" * 600})  # about 800 bytes in all
        ws.send_json(message("invoke-service", {"too big": "x" * 2000}, token=token))
        ws.expect_close(1009)


def test_channel_made_inactive_closes_sessions_with_1001(env, wsx):
    ch = env.channel()
    ws, _ = login_then(ch)
    with ws:
        r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"is_active": False})
        assert r.status == 200, r
        ws.expect_close(1001)

