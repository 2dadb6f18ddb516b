"""Security definitions in the JSON admin API: CRUD of each type, every error with its
field, the 409s (duplicate name, in use by channels), channels that reference a
definition by name (and follow its renames), the new channel fields hook_service and
gateway_services, the server key file - and that no secret ever comes back: not in an
API answer, not in the server's log, not in clear in the ODB file."""
import json
import os
import secrets
import stat
import subprocess
from urllib.parse import quote

import pytest

from wsxlib import WSX_BIN, free_port, unique_name

SEC = "/api/v1/security"
CHANNELS = "/api/v1/channels"
DEF_FIELDS = {"id", "cluster_id", "name", "type", "username", "created_at", "updated_at"}
JWT_SECRET = "0123456789abcdef0123456789abcdef"  # 32 bytes: the shortest accepted


def assert_error(r, status, field=None, code=None, contains=()):
    assert r.status == status, r
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    e = r.error()
    assert isinstance(e.get("code"), str) and e["code"], e
    assert isinstance(e.get("message"), str) and e["message"], e
    if field is not None:
        assert e.get("field") == field, f"expected field {field!r}: {e}"
    if code is not None:
        assert e["code"] == code, e
    for text in contains:
        assert text in e["message"], f"{text!r} not in {e['message']!r}"
    return e


@pytest.fixture
def defs(wsx):
    """Create definitions (and channels using them); all are deleted after the test,
    channels first."""
    made, chans = [], []

    class Maker:
        def create(self, status=201, **fields):
            r = wsx.api("POST", SEC, fields)
            assert r.status == status, r
            if r.status == 201:
                made.append(r.json()["id"])
            return r

        def basic(self, **kw):
            b = {"name": unique_name("basic"), "type": "basic_auth", "username": "alice",
                 "password": "pw-" + secrets.token_hex(8)}
            b.update(kw)
            return self.create(**b).json()

        def jwt(self, **kw):
            b = {"name": unique_name("jwt"), "type": "jwt", "secret": JWT_SECRET}
            b.update(kw)
            return self.create(**b).json()

        def apikey(self, **kw):
            b = {"name": unique_name("key"), "type": "apikey", "key": "k-" + secrets.token_hex(8)}
            b.update(kw)
            return self.create(**b).json()

        def channel(self, status=201, **fields):
            body = {"name": unique_name("sec-ch"),
                    "address": f"ws://127.0.0.1:{free_port()}/s",
                    "service": "demo.echo", "data_format": "raw"}
            body.update(fields)
            r = wsx.api("POST", CHANNELS, body)
            assert r.status == status, r
            if r.status == 201:
                chans.append(r.json()["id"])
            return r

    yield Maker()
    if wsx.alive():
        for cid in chans:
            wsx.api("DELETE", f"{CHANNELS}/{cid}")
        for did in made:
            wsx.api("DELETE", f"{SEC}/{did}")


def check_shape(d, name, type_, username):
    assert set(d) == DEF_FIELDS, f"fields: {sorted(d)}"
    assert isinstance(d["id"], int) and d["id"] > 0
    assert d["cluster_id"] == 1
    assert d["name"] == name
    assert d["type"] == type_
    assert d["username"] == username
    assert d["created_at"] and d["updated_at"]


# --------------------------------------------------------------------------- CRUD

def test_create_each_type_and_read_back(wsx, defs):
    b = defs.basic(name=unique_name("b"), username="alice")
    check_shape(b, b["name"], "basic_auth", "alice")
    j = defs.jwt()
    check_shape(j, j["name"], "jwt", None)
    j2 = defs.jwt(username="svc-1")
    check_shape(j2, j2["name"], "jwt", "svc-1")
    k = defs.apikey()
    check_shape(k, k["name"], "apikey", None)
    for d in (b, j, j2, k):
        r = wsx.api("GET", f"{SEC}/{d['id']}")
        assert r.status == 200, r
        assert r.json() == d


def test_list_search_and_paging(wsx, defs):
    tag = unique_name("lst")
    names = [f"{tag}-c", f"{tag}-A", f"{tag}-b"]
    for n in names:
        defs.apikey(name=n)
    r = wsx.api("GET", f"{SEC}?query={tag}")
    assert r.status == 200, r
    j = r.json()
    assert j["total"] == 3 and j["page"] == 1 and j["page_size"] == 50
    assert [d["name"] for d in j["items"]] == [f"{tag}-A", f"{tag}-b", f"{tag}-c"]
    for d in j["items"]:
        assert set(d) == DEF_FIELDS
    j = wsx.api("GET", f"{SEC}?query={tag}&page=2&page_size=2").json()
    assert [d["name"] for d in j["items"]] == [f"{tag}-c"] and j["total"] == 3
    j = wsx.api("GET", f"{SEC}?query={tag}+-{tag}-b").json()
    assert j["total"] == 2
    assert_error(wsx.api("GET", f"{SEC}?page=0"), 400, field="page")
    assert_error(wsx.api("GET", f"{SEC}?page_size=1001"), 400, field="page_size")


def test_put_replaces_and_keeps_the_secret(wsx, defs):
    j = defs.jwt(username="svc")
    r = wsx.api("PUT", f"{SEC}/{j['id']}", {"name": j["name"] + "-v2"})
    assert r.status == 200, r
    d = r.json()
    assert d["name"] == j["name"] + "-v2"
    assert d["username"] is None, "PUT without username: none"
    assert d["created_at"] == j["created_at"] and d["updated_at"] > j["updated_at"]
    # type may be repeated, not changed
    r = wsx.api("PUT", f"{SEC}/{j['id']}", {"name": j["name"], "type": "jwt",
                                            "secret": JWT_SECRET + "x"})
    assert r.status == 200, r
    b = defs.basic()
    assert_error(wsx.api("PUT", f"{SEC}/{b['id']}", {"name": b["name"]}), 400, field="username",
                 code="required")


def test_patch_changes_only_what_is_given(wsx, defs):
    b = defs.basic(username="alice")
    r = wsx.api("PATCH", f"{SEC}/{b['id']}", {"password": "a-new-password"})
    assert r.status == 200, r
    assert r.json()["name"] == b["name"] and r.json()["username"] == "alice"
    r = wsx.api("PATCH", f"{SEC}/{b['id']}", {"username": "bob", "name": b["name"] + "-r"})
    assert r.status == 200, r
    assert r.json()["username"] == "bob" and r.json()["name"] == b["name"] + "-r"
    assert wsx.api("GET", f"{SEC}/{b['id']}").json()["username"] == "bob"
    j = defs.jwt(username="svc")
    r = wsx.api("PATCH", f"{SEC}/{j['id']}", {"username": None})
    assert r.status == 200 and r.json()["username"] is None, r


def test_delete(wsx, defs):
    k = defs.apikey()
    r = wsx.api("DELETE", f"{SEC}/{k['id']}")
    assert r.status == 204, r
    assert_error(wsx.api("GET", f"{SEC}/{k['id']}"), 404)
    assert_error(wsx.api("DELETE", f"{SEC}/{k['id']}"), 404)
    assert_error(wsx.api("PATCH", f"{SEC}/{k['id']}", {"name": "x"}), 404)
    assert wsx.api("GET", f"{SEC}?query={k['name']}").json()["total"] == 0


# --------------------------------------------------------------------------- errors

def base(**kw):
    b = {"name": unique_name("err"), "type": "basic_auth", "username": "u", "password": "p"}
    b.update(kw)
    return {k: v for k, v in b.items() if v is not ...}


@pytest.mark.parametrize("case,status,field,code", [
    ("name missing", 400, "name", "required"),
    ("name empty", 400, "name", "required"),
    ("name 201 chars", 400, "name", "too_long"),
    ("name not a string", 400, "name", "invalid"),
    ("name control char", 400, "name", "invalid"),
    ("type missing", 400, "type", "required"),
    ("type unknown", 400, "type", "invalid"),
    ("basic without username", 400, "username", "required"),
    ("basic without password", 400, "password", "required"),
    ("basic with secret", 400, "secret", "not_allowed"),
    ("basic empty password", 400, "password", "required"),
    ("username 257 bytes", 400, "username", "too_long"),
    ("apikey with username", 400, "username", "not_allowed"),
    ("apikey without key", 400, "key", "required"),
    ("apikey key not a string", 400, "key", "invalid"),
    ("apikey key 1025 bytes", 400, "key", "too_long"),
    ("jwt without secret", 400, "secret", "required"),
    ("jwt secret 31 bytes", 400, "secret", "too_short"),
    ("jwt with password", 400, "password", "not_allowed"),
    ("unknown field", 400, "passwd", "unknown_field"),
    ("cluster 2", 400, "cluster_id", "invalid"),
])
def test_400_errors_name_the_field(wsx, case, status, field, code):
    b = {"name missing": base(name=...),
         "name empty": base(name=""),
         "name 201 chars": base(name="n" * 201),
         "name not a string": base(name=7),
         "name control char": base(name="a\u0001b"),
         "type missing": base(type=...),
         "type unknown": base(type="basic-auth"),
         "basic without username": base(username=...),
         "basic without password": base(password=...),
         "basic with secret": base(secret=JWT_SECRET),
         "basic empty password": base(password=""),
         "username 257 bytes": base(username="u" * 257),
         "apikey with username": base(type="apikey", password=..., key="k"),
         "apikey without key": base(type="apikey", username=..., password=...),
         "apikey key not a string": base(type="apikey", username=..., password=..., key=5),
         "apikey key 1025 bytes": base(type="apikey", username=..., password=...,
                                       key="k" * 1025),
         "jwt without secret": base(type="jwt", password=...),
         "jwt secret 31 bytes": base(type="jwt", password=..., secret="s" * 31),
         "jwt with password": base(type="jwt", secret=JWT_SECRET),
         "unknown field": base(passwd="x"),
         "cluster 2": base(cluster_id=2)}[case]
    e = assert_error(wsx.api("POST", SEC, b), status, field=field, code=code)
    assert field in e["message"], e
    if "name" in b and isinstance(b["name"], str) and b["name"].isprintable():
        assert wsx.api("GET", f"{SEC}?query={quote(b['name'][:40])}").json()["total"] == 0, \
            "nothing is created on an error"


def test_limits_that_fit(wsx, defs):
    n = unique_name("n")
    defs.basic(name=n + "x" * (200 - len(n)), username="u" * 256,
               password="p" * 1024)
    defs.jwt(secret="s" * 32)


def test_400_415_405_404(wsx, defs):
    assert_error(wsx.api("POST", SEC, raw=b"{bad"), 400, code="invalid_json")
    assert_error(wsx.api("POST", SEC, raw=b"[]"), 400)
    assert_error(wsx.api("POST", SEC, raw=json.dumps(base()).encode(), content_type="text/plain"),
                 415)
    r = wsx.api("DELETE", SEC)
    assert_error(r, 405)
    assert "GET" in r.headers.get("allow", "")
    k = defs.apikey()
    r = wsx.api("POST", f"{SEC}/{k['id']}", base())
    assert_error(r, 405)
    assert "PATCH" in r.headers.get("allow", "")
    assert_error(wsx.api("GET", f"{SEC}/999999999"), 404)
    assert_error(wsx.api("GET", f"{SEC}/abc"), 404)
    assert_error(wsx.api("GET", f"{SEC}/0"), 404)
    assert wsx.api("GET", SEC, auth=False).status == 401
    assert wsx.api("POST", SEC, base(), password="wrong").status == 401


def test_409_duplicate_name(wsx, defs):
    a = defs.apikey()
    e = assert_error(wsx.api("POST", SEC, base(name=a["name"])), 409, field="name",
                     code="duplicate_name", contains=(a["name"],))
    b = defs.apikey()
    assert_error(wsx.api("PATCH", f"{SEC}/{b['id']}", {"name": a["name"]}), 409, field="name")
    assert e


def test_type_cannot_change(wsx, defs):
    b = defs.basic()
    assert_error(wsx.api("PATCH", f"{SEC}/{b['id']}", {"type": "jwt", "secret": JWT_SECRET}),
                 400, field="type", contains=("basic_auth",))
    assert wsx.api("GET", f"{SEC}/{b['id']}").json()["type"] == "basic_auth"


# --------------------------------------------------------------------------- channels

def test_channels_reference_a_definition_by_name(wsx, defs):
    d = defs.jwt()
    ch = defs.channel(security=d["name"]).json()
    assert ch["security"] == d["name"]
    # a rename of the definition keeps the channel on it
    new = d["name"] + "-renamed"
    assert wsx.api("PATCH", f"{SEC}/{d['id']}", {"name": new}).status == 200
    assert wsx.get_channel(ch["id"])["security"] == new
    # detach, attach another
    k = defs.apikey()
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"security": k["name"]})
    assert r.status == 200 and r.json()["security"] == k["name"], r
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"security": None})
    assert r.status == 200 and r.json()["security"] is None, r


def test_unknown_security_is_refused(wsx, defs):
    name = unique_name("no-such-def")
    e = assert_error(defs.channel(status=400, security=name), 400, field="security",
                     code="not_found", contains=(name, "GET /api/v1/security"))
    assert e
    ch = defs.channel().json()
    assert_error(wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"security": name}), 400,
                 field="security")


def test_409_in_use_names_the_channels(wsx, defs):
    d = defs.basic()
    c1 = defs.channel(security=d["name"]).json()
    c2 = defs.channel(security=d["name"]).json()
    e = assert_error(wsx.api("DELETE", f"{SEC}/{d['id']}"), 409, code="in_use",
                     contains=(f'security definition "{d["name"]}" is used by channels',
                               f'"{c1["name"]}"', f'"{c2["name"]}"'))
    assert e
    assert wsx.api("GET", f"{SEC}/{d['id']}").status == 200, "still there"
    for c in (c1, c2):
        assert wsx.api("PATCH", f"{CHANNELS}/{c['id']}", {"security": None}).status == 200
    assert wsx.api("DELETE", f"{SEC}/{d['id']}").status == 204


def test_hook_service_and_gateway_services(wsx, defs):
    ch = defs.channel(hook_service="demo.echo", gateway_services=["demo.echo", "x.y"]).json()
    assert ch["hook_service"] == "demo.echo"
    assert ch["gateway_services"] == ["demo.echo", "x.y"]
    plain = defs.channel().json()
    assert plain["hook_service"] is None and plain["gateway_services"] == []
    r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"hook_service": None, "gateway_services": []})
    assert r.status == 200, r
    assert r.json()["hook_service"] is None and r.json()["gateway_services"] == []
    assert_error(wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"hook_service": "no.such.svc"}), 400,
                 field="hook_service", contains=("no.such.svc", "GET /api/v1/services"))
    for bad in ("a,b", ["a b"], [""], [1], ["x" * 256]):
        assert_error(wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"gateway_services": bad}), 400,
                     field="gateway_services")


# --------------------------------------------------------------------------- no secret anywhere

def test_no_secret_in_any_answer_log_or_odb_file(wsx, defs):
    pw, jwt_secret, key = (f"PW-{secrets.token_hex(12)}", f"JWTSECRET-{secrets.token_hex(16)}",
                           f"APIKEY-{secrets.token_hex(12)}")
    pw2 = f"PW2-{secrets.token_hex(12)}"
    # jansson quotes a bad token of up to 20 characters in its error text
    short = f"S{secrets.token_hex(5)}"
    bodies = []

    def call(method, path, body=None, raw=None):
        r = wsx.api(method, path, body, raw=raw)
        bodies.append(r.body)
        return r

    b = call("POST", SEC, {"name": unique_name("nsb"), "type": "basic_auth", "username": "u",
                           "password": pw}).json()
    j = call("POST", SEC, {"name": unique_name("nsj"), "type": "jwt", "secret": jwt_secret}).json()
    k = call("POST", SEC, {"name": unique_name("nsk"), "type": "apikey", "key": key}).json()
    defs_ids = [b["id"], j["id"], k["id"]]
    call("PATCH", f"{SEC}/{b['id']}", {"password": pw2})
    call("PUT", f"{SEC}/{j['id']}", {"name": j["name"], "secret": jwt_secret})
    for i in defs_ids:
        call("GET", f"{SEC}/{i}")
    call("GET", SEC)
    # refusals that involve a secret: the wrong field, a wrong type, too short, bad JSON
    call("POST", SEC, {"name": unique_name("x"), "type": "jwt", "password": pw})
    call("POST", SEC, {"name": unique_name("x"), "type": "jwt", "secret": pw})
    call("POST", SEC, {"name": unique_name("x"), "type": "apikey", "key": [key]})
    call("PATCH", f"{SEC}/{k['id']}", {"type": "jwt", "secret": jwt_secret})
    call("POST", SEC, raw=('{"name": "x", "type": "apikey", "key": "' + short + '}').encode())
    call("POST", SEC, raw=('{"name": "x", "type": "apikey", "key": ' + short + '}').encode())
    call("POST", SEC, raw=('{"name": "x", "type": "apikey", "key": "' + short + '" x}').encode())
    ch = defs.channel(security=b["name"])
    bodies.append(ch.body)
    call("DELETE", f"{SEC}/{b['id']}")  # 409 in use
    wsx.api("DELETE", f"{CHANNELS}/{ch.json()['id']}")

    odb = wsx.odb_contents()
    assert b"$argon2id$" in odb, "the ODB was read (it holds the hashes)"
    for s in (pw, pw2, jwt_secret, key, short):
        for body in bodies:
            assert s.encode() not in body, f"a secret came back in an answer: {body[:300]!r}"
        assert s not in wsx.log(), "a secret is in the server's log"
        assert s.encode() not in odb, "a secret is in clear in the ODB"
    for i in defs_ids:
        wsx.api("DELETE", f"{SEC}/{i}")


def test_sealed_jwt_secrets_survive_a_restart(server_factory, tmp_path):
    """The sealing key is derived from the cluster secret (DATA/cluster-secret by
    default), so a restart, like another server of the cluster, opens what was sealed."""
    srv = server_factory(tmp_path / "keyed").start()
    r = srv.api("POST", SEC, {"name": "j", "type": "jwt", "secret": JWT_SECRET})
    assert r.status == 201, r
    ch = srv.create_channel(data_format="json", security="j")
    assert ch["state"] == "listening", ch
    assert srv.stop() == 0
    srv.start()
    assert srv.api("GET", f"{SEC}/{r.json()['id']}").json()["name"] == "j"
    r = srv.api("GET", f"/api/v1/channels/{ch['id']}")
    assert r.json()["state"] == "listening", r  # its JWT secret opened again
