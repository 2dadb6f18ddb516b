"""Service plugins hot-deployed into a running server (DESIGN.md 4, docs/services.md).

A private server starts with an empty services directory. example.hello (built by make
from examples/services/hello.c) is copied in and serves a raw channel; while a client
invokes it in a tight loop, the file is atomically replaced by version 2: no call may
fail, the connection stays open, and version 2's answers appear (and version 1's never
come back). A file of garbage and a plugin of another ABI version, dropped in its
place, are refused with a log line naming the file while version 2 keeps answering.
Removing the file undeploys the service (the channel naming it can still be edited).
The plugins are built by `make integration`
(build/examples/)."""
import json
import os
import shutil
import threading
import time

import pytest

from wsxlib import OP_TEXT, ROOT, RawWs, free_port, unique_name, wait_until

EXAMPLES = ROOT / "build" / "examples"
HELLO_V1 = EXAMPLES / "hello.so"
HELLO_V2 = EXAMPLES / "test" / "hello-v2.so"
WRONG_ABI = EXAMPLES / "test" / "wrong-abi.so"


@pytest.fixture(scope="module", autouse=True)
def plugins_built():
    missing = [str(p) for p in (HELLO_V1, HELLO_V2, WRONG_ABI) if not p.exists()]
    if missing:
        pytest.fail(f"plugins not built: {missing}; run `make integration` (or make "
                    f"examples {' '.join(missing)})")


def deploy(services_dir, src, name):
    """The atomic way docs/services.md describes: copy under a hidden name, then mv."""
    tmp = services_dir / f".{name}.tmp"
    if isinstance(src, bytes):
        tmp.write_bytes(src)
    else:
        shutil.copyfile(src, tmp)
    os.replace(tmp, services_dir / name)


def services(srv):
    r = srv.api("GET", "/api/v1/services")
    assert r.status == 200, r
    return {s["name"]: s for s in r.json()["items"]}


def hello(ws, who):
    ws.send_frame(OP_TEXT, who)
    f = ws.recv_message()
    assert f.opcode == OP_TEXT, f
    answer = json.loads(f.payload)
    assert answer["hello"] == who, answer
    return answer["version"]


def log_count(srv, text):
    return srv.log().count(text)


def test_hot_deploy_replace_refuse_and_remove(server_factory, tmp_path):
    srv = server_factory(tmp_path / "data").start()
    sdir = tmp_path / "data" / "services"
    assert sdir.is_dir(), "the server creates DATA/services"
    assert list(sdir.iterdir()) == []
    assert "example.hello" not in services(srv)

    port = free_port()
    body = {"name": unique_name("hello"), "address": f"ws://127.0.0.1:{port}/ws",
            "service": "example.hello", "data_format": "raw"}
    r = srv.api("POST", "/api/v1/channels", body)
    assert r.status == 400 and r.error()["field"] == "service", \
        f"a channel may only name a deployed service: {r}"

    # version 1, dropped into the running server
    deploy(sdir, HELLO_V1, "hello.so")
    s = wait_until(lambda: services(srv).get("example.hello"), what="example.hello deployed")
    assert s["origin"] == "hello.so" and s["kind"] == "plugin" and s["version"] == "1", s
    assert services(srv)["demo.echo"]["origin"] == "built-in"

    r = srv.api("POST", "/api/v1/channels", body)
    assert r.status == 201, r
    assert r.json()["state"] == "listening", r

    with RawWs(port) as ws, RawWs(port) as idle:
        assert hello(ws, "alice") == 1
        # an empty message: example.hello greets the peer address from its environment
        ws.send_frame(OP_TEXT, b"")
        host, cport = ws.sock.getsockname()[:2]
        assert json.loads(ws.recv_message().payload) == {"hello": f"{host}:{cport}",
                                                         "version": 1}
        assert hello(idle, "idle") == 1

        # a client invokes in a tight loop while version 2 replaces version 1
        versions, errors, stop = [], [], threading.Event()

        def loop():
            i = 0
            try:
                while not stop.is_set():
                    versions.append(hello(ws, f"client-{i}"))
                    i += 1
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(repr(e))

        t = threading.Thread(target=loop, daemon=True)
        t.start()
        wait_until(lambda: len(versions) >= 200 or errors, what="200 calls to version 1")
        deploy(sdir, HELLO_V2, "hello.so")
        wait_until(lambda: 2 in versions or errors, what="version 2's answers")
        seen = len(versions)
        wait_until(lambda: len(versions) >= seen + 200 or errors, what="200 more calls")
        stop.set()
        t.join(30)
        assert not t.is_alive(), "the client loop hung"
        assert not errors, f"a call failed during the hot deploy: {errors}"
        first_v2 = versions.index(2)
        assert set(versions[:first_v2]) == {1} and set(versions[first_v2:]) == {2}, \
            "answers must switch from version 1 to version 2 once"
        assert len(versions) - first_v2 >= 200
        assert hello(idle, "idle") == 2, "a connection idle during the deploy was kept"
        s = services(srv)["example.hello"]
        assert s["version"] == "2" and s["origin"] == "hello.so", s
        assert "service plugin hello.so replaced" in srv.log()

        # garbage, then another ABI version, in its place: refused, version 2 serves
        for bad in (b"this is not a shared object\n" * 20, WRONG_ABI):
            before = log_count(srv, "service plugin hello.so refused")
            deploy(sdir, bad, "hello.so")
            wait_until(lambda: log_count(srv, "service plugin hello.so refused") > before,
                       what="the refusal in the log")
            assert hello(ws, "after-refusal") == 2
            assert services(srv)["example.hello"]["version"] == "2"
        log = srv.log()
        assert "not a shared object" in log, log[-2000:]
        assert "ABI version 2 != 1" in log, log[-2000:]

        # a plugin of another ABI under its own name is refused too, and loads nothing
        deploy(sdir, WRONG_ABI, "fixture.so")
        wait_until(lambda: "service plugin fixture.so refused" in srv.log(),
                   what="fixture.so refused")
        assert "fixture.answer" not in services(srv)

        # removing the file undeploys the service: calls fail with 1011 from then on
        os.unlink(sdir / "hello.so")
        wait_until(lambda: "example.hello" not in services(srv), what="example.hello removed")
        ws.send_frame(OP_TEXT, "gone?")
        ws.expect_close(1011)

    # the channel still names it, and can still be edited while the plugin is away
    cid = r.json()["id"]
    r = srv.api("PATCH", f"/api/v1/channels/{cid}", {"is_active": False})
    assert r.status == 200 and r.json()["state"] == "inactive", r
    r = srv.api("PATCH", f"/api/v1/channels/{cid}", {"service": "example.nothing"})
    assert r.status == 400 and r.error()["field"] == "service", r
