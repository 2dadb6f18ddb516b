"""The JSON admin API: authentication, validation (every error names its field),
CRUD, listing, services, health, limits, and the channel `state` the reconciler
reports - including a port held by a foreign process."""
import json
import socket
from urllib.parse import urlencode

import pytest

from wsxlib import (OP_BINARY, OP_TEXT, PyWsClient, RawWs, assert_refused, basic_auth,
                    free_port, http_exchange, http_request, parse_http_head, read_until_eof,
                    tcp_connect, unique_name, upgrade_request, wait_until)

CHANNELS = "/api/v1/channels"
FIELDS = {"id", "cluster_id", "name", "is_active", "address", "service", "hook_service",
          "gateway_services", "security", "data_format", "new_token_wait_time", "token_ttl",
          "ping_interval", "pings_missed_threshold", "max_message_size", "log_messages",
          "tls_cert", "tls_key", "permessage_deflate", "deflate_max_window_bits",
          "max_connections", "slow_consumer_policy", "slow_consumer_seconds",
          "write_queue_high_water", "created_at", "updated_at", "state", "states"}
INT_FIELDS = ["new_token_wait_time", "token_ttl", "ping_interval", "pings_missed_threshold",
              "max_message_size"]


def body(**kw):
    b = {"name": unique_name("api"), "address": f"ws://127.0.0.1:{free_port()}/api",
         "service": "demo.echo", "data_format": "raw"}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not ...}


def port_of(address):
    """The port of ws://HOST:PORT/PATH."""
    return int(address.rsplit(":", 1)[1].split("/")[0])


def assert_error(r, status, field=None, code=None, contains=()):
    assert r.status == status, r
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    e = r.error()
    assert isinstance(e.get("code"), str) and e["code"], e
    assert isinstance(e.get("message"), str) and e["message"], e
    if field is not None:
        assert e.get("field") == field, f"expected field {field!r}: {e}"
        assert field in e["message"] or field == "address", \
            f"the message should name the field {field!r}: {e['message']!r}"
    if code is not None:
        assert e["code"] == code, e
    for text in contains:
        assert text in e["message"], f"{text!r} not in {e['message']!r}"
    return e


@pytest.fixture
def created(wsx):
    """POSTed channel ids, deleted after the test."""
    ids = []
    yield ids
    for cid in ids:
        if wsx.alive():
            wsx.api("DELETE", f"{CHANNELS}/{cid}")


def post(wsx, created, b, status=201):
    r = wsx.api("POST", CHANNELS, b)
    assert r.status == status, r
    if r.status == 201:
        created.append(r.json()["id"])
    return r


# --------------------------------------------------------------------------- auth, health

def test_healthz_needs_no_auth(wsx):
    r = http_request(wsx.url, "GET", "/healthz")
    assert r.status == 200, r
    assert r.json() == {"status": "ok"} or r.json().get("status") == "ok"


@pytest.mark.parametrize("how", ["none", "wrong-password", "unknown-user", "not-basic",
                                 "garbage"])
def test_401_without_valid_credentials(wsx, how):
    headers = {"none": {},
               "not-basic": {"Authorization": "Bearer abc"},
               "garbage": {"Authorization": "Basic !!!notbase64"}}.get(how)
    if headers is not None:
        r = wsx.api("GET", CHANNELS, auth=False, headers=headers)
    elif how == "wrong-password":
        r = wsx.api("GET", CHANNELS, password="not-the-password")
    else:
        r = wsx.api("GET", CHANNELS, user="nobody")
    assert_error(r, 401, code="unauthorized")
    assert r.headers.get("www-authenticate", "").lower().startswith("basic"), r.headers
    # writes are refused too, and nothing is created
    name = unique_name("api-unauth")
    r = wsx.api("POST", CHANNELS, body(name=name), password="not-the-password")
    assert r.status == 401
    assert wsx.api("GET", f"{CHANNELS}?query={name}").json()["total"] == 0


# --------------------------------------------------------------------------- body checks

def test_415_without_json_content_type(wsx):
    b = body()
    for ct in ("text/plain", None):
        r = wsx.api("POST", CHANNELS, raw=json.dumps(b).encode(), content_type=ct)
        assert_error(r, 415)
    assert wsx.api("GET", f"{CHANNELS}?query={b['name']}").json()["total"] == 0


@pytest.mark.parametrize("raw", [b"{bad", b"", b'{"name": "x",}', b"\xff\xfe",
                                 b'{"name": "a", "name": "b"}'])
def test_400_invalid_json(wsx, raw):
    assert_error(wsx.api("POST", CHANNELS, raw=raw), 400)


@pytest.mark.parametrize("value", [[], "a string", 42, None])
def test_400_body_not_an_object(wsx, value):
    assert_error(wsx.api("POST", CHANNELS, raw=json.dumps(value).encode()), 400)


def test_400_unknown_field_is_named(wsx):
    e = assert_error(wsx.api("POST", CHANNELS, body(token_tll=60)), 400, code="unknown_field")
    assert e["field"] == "token_tll" and "token_tll" in e["message"]


@pytest.mark.parametrize("case,field", [
    ("name missing", "name"),
    ("name 201 chars", "name"),
    ("name empty", "name"),
    ("name not a string", "name"),
    ("address missing", "address"),
    ("address invalid", "address"),
    ("address http scheme", "address"),
    ("address no path", "address"),
    ("port 70000", "address"),
    ("port 0", "address"),
    ("service missing", "service"),
    ("service unknown", "service"),
    ("data_format other", "data_format"),
    ("is_active not bool", "is_active"),
    ("security unknown", "security"),
    ("cluster_id 2", "cluster_id"),
])
def test_400_invalid_fields_are_named(wsx, case, field):
    p = free_port()
    b = {"name missing": body(name=...),
         "name 201 chars": body(name="n" * 201),
         "name empty": body(name=""),
         "name not a string": body(name=5),
         "address missing": body(address=...),
         "address invalid": body(address="not an address"),
         "address http scheme": body(address=f"http://127.0.0.1:{p}/x"),
         "address no path": body(address=f"ws://127.0.0.1:{p}"),
         "port 70000": body(address="ws://127.0.0.1:70000/x"),
         "port 0": body(address="ws://127.0.0.1:0/x"),
         "service missing": body(service=...),
         "service unknown": body(service="no.such.service"),
         "data_format other": body(data_format="xml"),
         "is_active not bool": body(is_active="yes"),
         "security unknown": body(security="no-such-definition"),
         "cluster_id 2": body(cluster_id=2)}[case]
    e = assert_error(wsx.api("POST", CHANNELS, b), 400, field=field)
    if case == "port 70000":
        assert "port" in e["message"] and "70000" in e["message"], e


def test_name_of_200_chars_is_fine(wsx, created):
    name = unique_name("n")
    name = name + "n" * (200 - len(name))
    r = post(wsx, created, body(name=name))
    assert r.json()["name"] == name


@pytest.mark.parametrize("field", INT_FIELDS)
@pytest.mark.parametrize("value", [0, -1, "abc", 1.5, True, None, "too big"])
def test_400_bad_numbers_are_named(wsx, field, value):
    if value == "too big":
        value = 2**30 + 1 if field == "max_message_size" else 2**31
    assert_error(wsx.api("POST", CHANNELS, body(**{field: value})), 400, field=field)


def test_data_format_is_json_or_raw(wsx):
    e = assert_error(wsx.api("POST", CHANNELS, body(data_format="xml")), 400,
                     field="data_format")
    assert "json" in e["message"] and "raw" in e["message"]
    b = body(data_format="json")
    r = wsx.api("POST", CHANNELS, b)
    assert r.status == 201, r
    assert r.json()["data_format"] == "json" and r.json()["state"] == "listening"
    assert wsx.api("DELETE", f"{CHANNELS}/{r.json()['id']}").status == 204


def test_413_body_over_1_mib(wsx):
    """A declared body over 1 MiB is refused before it is read (raw socket: urllib
    would stumble over the early answer)."""
    n = 1024 * 1024 + 1
    head = (f"POST {CHANNELS} HTTP/1.1\r\nHost: x\r\nAuthorization: "
            f"{basic_auth('admin', wsx.password)}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {n}\r\n\r\n").encode()
    with tcp_connect(wsx.admin_port) as s:
        s.sendall(head)
        try:
            s.sendall(b" " * n)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = read_until_eof(s)
    status, headers, rest = parse_http_head(data)
    assert status == 413, data[:300]
    assert b"error" in rest
    assert wsx.healthz_ok()


# --------------------------------------------------------------------------- conflicts

def test_409_duplicate_name_and_port(wsx, created):
    first = post(wsx, created, body()).json()
    port = port_of(first["address"])

    e = assert_error(wsx.api("POST", CHANNELS, body(name=first["name"])), 409,
                     code="duplicate_name", field="name", contains=(first["name"],))
    e = assert_error(wsx.api("POST", CHANNELS, body(address=f"ws://127.0.0.1:{port}/other")),
                     409, code="port_in_use", contains=(str(port), f'"{first["name"]}"'))
    assert e.get("field") == "address"

    # the same conflicts through PATCH on another channel
    second = post(wsx, created, body()).json()
    assert_error(wsx.api("PATCH", f"{CHANNELS}/{second['id']}", {"name": first["name"]}), 409,
                 code="duplicate_name")
    assert_error(wsx.api("PATCH", f"{CHANNELS}/{second['id']}",
                         {"address": f"ws://127.0.0.1:{port}/x"}), 409, code="port_in_use")
    # an inactive channel still holds its port in the ODB
    third = post(wsx, created, body(is_active=False)).json()
    tport = port_of(third["address"])
    assert_error(wsx.api("POST", CHANNELS, body(address=f"ws://127.0.0.1:{tport}/y")), 409,
                 code="port_in_use")


# --------------------------------------------------------------------------- CRUD

def test_create_returns_every_field_and_listens_at_once(wsx, created):
    b = body(max_message_size=5000, new_token_wait_time=7, token_ttl=99, ping_interval=30,
             pings_missed_threshold=3)
    r = post(wsx, created, b)
    ch = r.json()
    assert set(ch) == FIELDS, set(ch) ^ FIELDS
    for k in b:
        assert ch[k] == b[k], k
    assert ch["is_active"] is True and ch["security"] is None and ch["cluster_id"] == 1
    assert ch["state"] == "listening"
    # every server's state of the channel; this server is the cluster's only one
    me = wsx.api("GET", "/api/v1/server").json()["name"]
    [st] = ch["states"]
    assert st["server"] == me and st["state"] == "listening" and st["updated_at"], ch["states"]
    assert isinstance(ch["id"], int) and ch["created_at"] and ch["updated_at"]
    # applied before the reply: a client connects at once
    port = port_of(b["address"])
    with RawWs(port, "/api") as ws:
        ws.send_frame(OP_TEXT, b"now")
        assert ws.recv_message().payload == b"now"
    assert wsx.get_channel(ch["id"]) == ch


def test_defaults(wsx, created):
    ch = post(wsx, created, body()).json()
    assert (ch["new_token_wait_time"], ch["token_ttl"], ch["ping_interval"],
            ch["pings_missed_threshold"], ch["max_message_size"]) == (5, 3600, 45, 2, 1048576)


def test_404_unknown_id(wsx):
    for method, b in (("GET", None), ("PATCH", {"token_ttl": 5}), ("PUT", body()),
                      ("DELETE", None)):
        assert_error(wsx.api(method, f"{CHANNELS}/987654321", b), 404)
    assert_error(wsx.api("GET", f"{CHANNELS}/abc"), 404)
    assert_error(wsx.api("GET", "/api/v1/nothing-here"), 404)


def test_405_wrong_method(wsx):
    assert_error(wsx.api("DELETE", CHANNELS), 405)
    assert_error(wsx.api("POST", "/api/v1/services", {}), 405)


def test_patch_changes_only_what_is_given(wsx, created):
    ch = post(wsx, created, body(token_ttl=100)).json()
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"token_ttl": 200, "max_message_size": 777})
    assert r.status == 200, r
    after = r.json()
    assert after["token_ttl"] == 200 and after["max_message_size"] == 777
    for k in FIELDS - {"token_ttl", "max_message_size", "updated_at"}:
        assert after[k] == ch[k], k
    assert wsx.get_channel(ch["id"]) == after
    # an invalid PATCH changes nothing
    assert_error(wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"token_ttl": 0, "name": "zz"}), 400,
                 field="token_ttl")
    assert wsx.get_channel(ch["id"]) == after


def test_put_replaces_the_whole_channel(wsx, created):
    ch = post(wsx, created, body(token_ttl=100, max_message_size=5000)).json()
    new = body()
    r = wsx.api("PUT", f"{CHANNELS}/{ch['id']}", new)
    assert r.status == 200, r
    after = r.json()
    assert after["id"] == ch["id"]
    for k in new:
        assert after[k] == new[k], k
    assert wsx.get_channel(ch["id"]) == after
    # what GET returns can be PUT back as it is (read-only fields are ignored)
    again = dict(after, token_ttl=4321)
    r = wsx.api("PUT", f"{CHANNELS}/{ch['id']}", again)
    assert r.status == 200 and r.json()["token_ttl"] == 4321, r
    after = r.json()
    # PUT needs every required field
    assert_error(wsx.api("PUT", f"{CHANNELS}/{ch['id']}", {"name": unique_name("put")}), 400)
    assert wsx.get_channel(ch["id"]) == after


def test_delete_204_then_404(wsx, created):
    b = body()
    ch = post(wsx, created, b).json()
    port = port_of(b["address"])
    r = wsx.api("DELETE", f"{CHANNELS}/{ch['id']}")
    assert r.status == 204 and r.body == b"", r
    assert_refused(port, "a deleted channel's port")
    assert_error(wsx.api("GET", f"{CHANNELS}/{ch['id']}"), 404)
    assert_error(wsx.api("DELETE", f"{CHANNELS}/{ch['id']}"), 404)
    # the name and the port are free again
    post(wsx, created, body(name=b["name"], address=b["address"]))


# --------------------------------------------------------------------------- listing

def test_list_query_terms_and_paging(wsx, created):
    tag = unique_name("lst").replace("-", "")
    names = [f"{tag}-alpha-one", f"{tag}-alpha-two", f"{tag}-beta-one", f"{tag}-Gamma"]
    for n in names:
        post(wsx, created, body(name=n, is_active=False))

    def listing(q, **params):
        r = wsx.api("GET", f"{CHANNELS}?" + urlencode({"query": q, **params}))
        assert r.status == 200, r
        return r.json()

    j = listing(tag)
    assert j["total"] == 4 and [i["name"] for i in j["items"]] == sorted(names, key=str.lower)
    assert {i["state"] for i in j["items"]} == {"inactive"}
    assert set(j["items"][0]) == FIELDS
    assert {i["name"] for i in listing(f"{tag} alpha")["items"]} == set(names[:2])
    assert {i["name"] for i in listing(f"{tag} one")["items"]} == {names[0], names[2]}
    assert {i["name"] for i in listing(f"{tag} -alpha")["items"]} == set(names[2:])
    assert {i["name"] for i in listing(f"{tag} -alpha -beta")["items"]} == {names[3]}
    assert {i["name"] for i in listing(f"{tag} gamma")["items"]} == {names[3]}, \
        "terms match case-insensitively"
    assert listing(f"{tag} nothing-matches")["total"] == 0

    seen = []
    for page in (1, 2, 3):
        j = listing(tag, page=page, page_size=2)
        assert (j["total"], j["page"], j["page_size"]) == (4, page, 2)
        seen += [i["name"] for i in j["items"]]
    assert seen == sorted(names, key=str.lower), "pages follow each other without gaps"
    assert listing(tag, page=3, page_size=2)["items"] == []

    for k, v in (("page", "0"), ("page_size", "-1"), ("page", "x"), ("page_size", "1001"),
                 ("query", "%"), ("query", "%zz")):
        assert_error(wsx.api("GET", f"{CHANNELS}?{k}={v}"), 400, field=k)


@pytest.mark.parametrize("page,page_size", [("9223372036854775807", "50"),
                                            ("184467440737095517", "1000"),
                                            ("99999999999999999999", "1")])
def test_huge_page_numbers(wsx, page, page_size):
    """A page far past the end is an empty page or a 400 naming `page` - never a crash."""
    try:
        r = wsx.api("GET", f"{CHANNELS}?page={page}&page_size={page_size}")
    except OSError as e:
        raise AssertionError(f"the admin API dropped the request (did the server die?): {e}")
    if r.status == 200:
        assert r.json()["items"] == []
    else:
        assert_error(r, 400, field="page")
    assert wsx.healthz_ok()


def test_services_lists_demo_echo(wsx):
    r = wsx.api("GET", "/api/v1/services")
    assert r.status == 200, r
    names = [s["name"] for s in r.json()["items"]]
    assert "demo.echo" in names


# --------------------------------------------------------------------------- state

def test_state_says_listening_or_inactive(wsx, created):
    ch = post(wsx, created, body()).json()
    assert ch["state"] == "listening"
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": False})
    assert r.status == 200 and r.json()["state"] == "inactive", r
    assert wsx.get_channel(ch["id"])["state"] == "inactive"
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": True})
    assert r.status == 200 and r.json()["state"] == "listening", r
    ch2 = post(wsx, created, body(is_active=False)).json()
    assert ch2["state"] == "inactive"


def test_port_held_by_a_foreign_process(wsx, created, channel):
    other = channel()  # a healthy channel that must keep working throughout
    port = free_port()
    foreign = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    foreign.bind(("127.0.0.1", port))
    foreign.listen(8)
    try:
        r = post(wsx, created, body(address=f"ws://127.0.0.1:{port}/f"))
        ch = r.json()
        assert ch["state"].startswith("error"), ch["state"]
        assert wsx.get_channel(ch["id"])["state"].startswith("error")
        # the server keeps running and serving the other channels
        assert wsx.healthz_ok()
        c = PyWsClient(other["ws_url"])
        try:
            c.send("still here")
            assert c.recv() == "still here"
        finally:
            c.close()
    finally:
        foreign.close()
    # once the foreign socket is gone the reconciler (every second) binds it
    wait_until(lambda: wsx.get_channel(ch["id"])["state"] == "listening", timeout=30,
               what="the channel to become listening after the port was freed")
    c = PyWsClient(f"ws://127.0.0.1:{port}/f")
    try:
        c.send(b"\x00bound at last")
        assert c.recv() == b"\x00bound at last"
    finally:
        c.close()


def test_address_change_on_the_same_port(wsx, created):
    """Only the path changes: connections on the old path get 1001, the old path
    answers 404, the new one works - on the same port, at once."""
    b = body()
    port = port_of(b["address"])
    ch = post(wsx, created, b).json()
    c = PyWsClient(f"ws://127.0.0.1:{port}/api")
    try:
        c.send("old path")
        assert c.recv() == "old path"
        r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"address": f"ws://127.0.0.1:{port}/moved"})
        assert r.status == 200 and r.json()["state"] == "listening", r
        assert c.wait_closed() == 1001
    finally:
        c.close()
    status, _, _ = http_exchange(port, upgrade_request(port, "/api")[0])
    assert status == 404
    with RawWs(port, "/moved") as ws:
        ws.send_frame(OP_TEXT, b"new path")
        assert ws.recv_message().payload == b"new path"


def test_max_message_size_change_applies_to_open_connections_both_ways(wsx, created):
    b = body(max_message_size=1000)
    port = port_of(b["address"])
    ch = post(wsx, created, b).json()
    with RawWs(port, "/api") as ws:
        ws.send_frame(OP_BINARY, b"a" * 1000)
        assert ws.recv_message().payload == b"a" * 1000
        r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"max_message_size": 5000})
        assert r.status == 200, r
        ws.send_frame(OP_BINARY, b"b" * 3000)  # over the old limit, under the new one
        assert ws.recv_message().payload == b"b" * 3000
        r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"max_message_size": 100})
        assert r.status == 200, r
        ws.send_frame(OP_TEXT, b"c" * 100)
        assert ws.recv_message().payload == b"c" * 100
        ws.send_frame(OP_TEXT, b"d" * 101)
        ws.expect_close(1009)
