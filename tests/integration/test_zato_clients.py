"""Clients written for Zato work against wsx unchanged: the whole flow of a client that
sends exactly what Zato's Python client (both generations of its message ids) and its
JavaScript client send - login with credentials, invoke the channel's service, invoke a
service through helpers.web-sockets-gateway, a heartbeat PING, a request from the server
(an admin "invoke") answered by the client, and a normal close. See zato_client.py for what
those clients send."""
import asyncio
import re

import pytest

from wsxsession import (GATEWAY, NOT_ALLOWED, TOKEN_RE, admin_invoke, check_rspok,
                        check_rsperr, check_server_meta, pub_client_id_of)
from wsxsession import env  # noqa: F401 - the fixture
from zato_client import ID_STYLES, NodeZatoClient, ZatoPyClient

USER, PASSWORD = "zato-user", "zato client's secret"


def channels(env):
    sec = env.security("basic_auth", username=USER, password=PASSWORD)
    echo = env.channel(security=sec["name"])
    gateway = env.channel(service=GATEWAY, gateway_services=["demo.echo"], security=sec["name"])
    return echo, gateway


@pytest.mark.parametrize("id_style", sorted(ID_STYLES))
def test_python_zato_client_flow(env, wsx, id_style):
    echo, gateway = channels(env)
    style = ID_STYLES[id_style]

    def on_request(msg):
        return {"client_says": msg["data"]}

    async def flow():
        c = ZatoPyClient(echo["ws_url"], f"py-{id_style}", "My Python Client", USER, PASSWORD,
                         on_request, id_style)
        assert await c.connect(), "login refused"
        assert TOKEN_RE.match(c.auth_token), c.auth_token
        auth = c.sent[0]["meta"]
        assert auth["action"] == "create-session" and auth["token"] is None
        assert auth["id"].startswith(style["auth"]), auth

        r = await c.invoke({"hello": "world", "n": [1, 2]})
        assert r is not None, "no answer to invoke-service"
        assert r.is_ok and r.data == {"hello": "world", "n": [1, 2]}, r
        check_rspok(r.msg, c.sent[-1]["meta"]["id"])

        await c.heartbeat()  # the server answers the client's PING "beep"

        pub = await asyncio.to_thread(pub_client_id_of, wsx, echo["id"], f"py-{id_style}")
        answer = await asyncio.to_thread(admin_invoke, wsx, pub, {"from": "admin"}, 5)
        assert answer.status == 200, answer
        assert answer.json() == {"response": {"client_says": {"from": "admin"}}}, answer.json()
        assert len(c.requests_received) == 1, c.requests_received
        rqc = c.requests_received[0]
        check_server_meta(rqc, "zwsx.rqc")
        sent = c.sent[-1]["meta"]
        assert sent["action"] == "client-response" and sent["in_reply_to"] == rqc["meta"]["id"]
        assert sent["id"].startswith(style["response"]), sent

        r = await c.invoke({"after": "the server's request"})
        assert r is not None and r.is_ok, r
        assert await c.close() == 1000

        g = ZatoPyClient(gateway["ws_url"], f"py-gw-{id_style}", "My Python Client", USER,
                         PASSWORD, on_request, id_style)
        assert await g.connect(), "login refused on the gateway channel"
        r = await g.invoke_service("demo.echo", {"via": "gateway"})
        assert r is not None and r.is_ok and r.data == {"via": "gateway"}, r
        assert g.sent[-1]["meta"]["id"].startswith(style["invoke"])
        r = await g.invoke_service("demo.ping", {})
        assert r is not None and r.status == 403 and not r.is_ok, r
        assert check_rsperr(r.msg, 403, g.sent[-1]["meta"]["id"]) == NOT_ALLOWED
        assert await g.close() == 1000

    asyncio.run(flow())


def test_python_zato_client_with_a_wrong_password(env):
    """Login fails: no token, merr, close 1008. (Zato's client hands the merr to its
    request callback - it has no in_reply_to.)"""
    echo, _ = channels(env)
    got = []

    async def flow():
        c = ZatoPyClient(echo["ws_url"], "py-bad", "My Python Client", USER, "wrong",
                         got.append)
        assert not await c.connect(), "a wrong password must not get a token"
        code, reason = await c.wait_closed()
        assert (code, reason) == (1008, "not authorized"), (code, reason)

    asyncio.run(flow())
    assert [m["meta"]["msg_type"] for m in got] == ["zwsx.merr"], got


def test_node_zato_client_flow(env, wsx, node_ready):
    echo, gateway = channels(env)
    c = NodeZatoClient(echo["ws_url"], "node-client-1", "My JS Client", USER, PASSWORD)
    try:
        ev = c.next_event(("session", "close"))
        assert ev["event"] == "session", f"login refused: {c.log}"
        assert TOKEN_RE.match(ev["token"]), ev
        auth = next(e["msg"] for e in c.log if e["event"] == "sent")
        assert auth["meta"]["id"].startswith("My JS Client.0."), auth
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", auth["meta"]["timestamp"])

        c.command(op="invoke", service="demo.echo", request={"hello": "node"})
        mid = c.next_event(("sent",))["msg"]["meta"]["id"]
        resp = c.next_event(("response",))
        assert resp["id"] == mid
        check_rspok(resp["msg"], mid, {"service": "demo.echo", "request": {"hello": "node"}})

        c.command(op="ping", data="beep")
        assert c.next_event(("pong",))["data"] == "beep"

        pub = pub_client_id_of(wsx, echo["id"], "node-client-1")
        r = admin_invoke(wsx, pub, {"from": "admin"}, 5)
        assert r.status == 200, r
        assert r.json() == {"response": {"answered_by": "My JS Client",
                                         "request": {"from": "admin"}}}, r.json()
        check_server_meta(c.next_event(("request",))["msg"], "zwsx.rqc")

        c.command(op="close", code=1000)
        assert c.next_event(("close",))["code"] == 1000
    finally:
        c.close()

    g = NodeZatoClient(gateway["ws_url"], "node-client-2", "My JS Client", USER, PASSWORD)
    try:
        assert g.next_event(("session", "close"))["event"] == "session", g.log
        g.command(op="invoke", service="demo.echo", request={"via": "gateway"})
        mid = g.next_event(("sent",))["msg"]["meta"]["id"]
        check_rspok(g.next_event(("response",))["msg"], mid, {"via": "gateway"})
        g.command(op="invoke", service="demo.ping", request={})
        mid = g.next_event(("sent",))["msg"]["meta"]["id"]
        assert check_rsperr(g.next_event(("response",))["msg"], 403, mid) == NOT_ALLOWED
        g.command(op="close", code=1000)
        assert g.next_event(("close",))["code"] == 1000
    finally:
        g.close()


@pytest.mark.parametrize("client", sorted(ID_STYLES) + ["node"])
def test_zato_clients_without_credentials(env, client, request):
    """On a channel without a security definition Zato's clients log in with
    `"username": null, "secret": null` (and the Python ones `"token": null`; the later one
    `"attrs": null` and `"in_reply_to": null` on every message): null means absent."""
    ch = env.channel()
    if client == "node":
        request.getfixturevalue("node_ready")
        c = NodeZatoClient(ch["ws_url"], "anon-node", "Anonymous JS")
        try:
            assert c.next_event(("session", "close"))["event"] == "session", c.log
            auth = next(e["msg"] for e in c.log if e["event"] == "sent")["meta"]
            assert auth["username"] is None and auth["secret"] is None, auth
            c.command(op="invoke", service="demo.echo", request=None)
            mid = c.next_event(("sent",))["msg"]["meta"]["id"]
            check_rspok(c.next_event(("response",))["msg"], mid,
                        {"service": "demo.echo", "request": None})
        finally:
            c.close()
        return

    async def flow():
        c = ZatoPyClient(ch["ws_url"], f"anon-{client}", "Anonymous Python", id_style=client)
        assert await c.connect(), "login without credentials refused"
        meta = c.sent[0]["meta"]
        assert meta["token"] is None and meta["username"] is None and meta["secret"] is None
        r = await c.invoke({"anonymous": True})
        assert r is not None and r.is_ok and r.data == {"anonymous": True}, r
        assert await c.close() == 1000

    asyncio.run(flow())
