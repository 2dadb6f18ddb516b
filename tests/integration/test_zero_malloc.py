"""Zero malloc on the steady-state message paths: raw echo, and json invocations of the
WSX session protocol (envelope parse, token check, service call, reply envelope).

The release binary runs under an LD_PRELOAD library (tests/tools/alloccount.c) that
counts malloc/calloc/realloc calls per thread and dumps the counts on SIGUSR2. After a
warm-up, thousands of messages (small and 4 KiB, one and several in flight) must not add
a single allocation on the worker thread. Self-contained: it does not use conftest's
server fixture because it needs the release build and the preload library.
"""
import asyncio
import contextlib
import base64
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
import websockets

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WSX = os.path.join(ROOT, "build", "wsx")
PRELOAD = os.path.join(ROOT, "build", "tests", "alloccount.so")
PASSWORD = "alloc-test-pw"


def free_port():
    import random
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port")


def api(admin, method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{admin}{path}", method=method)
    req.add_header("Authorization", "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode())
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data, timeout=10) as r:
        return r.status, json.loads(r.read() or b"null")


def read_counts(proc, path):
    if os.path.exists(path):
        os.unlink(path)
    proc.send_signal(signal.SIGUSR2)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(path) and os.path.getsize(path) > 0:
            time.sleep(0.05)
            counts = {}
            with open(path) as f:
                for line in f:
                    tid, n = line.split()
                    counts[int(tid)] = int(n)
            return counts
        time.sleep(0.02)
    raise AssertionError("the allocation counter did not answer SIGUSR2")


def thread_ids(pid, name):
    out = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/comm") as f:
            if f.read().strip() == name:
                out.append(int(tid))
    return out


async def echo_burst(url, sizes, count, inflight):
    async with websockets.connect(url, max_size=None, compression=None) as ws:
        for size in sizes:
            payload_t = "x" * size
            payload_b = bytes(range(256)) * (size // 256) + bytes(size % 256)
            sent = 0
            while sent < count:
                n = min(inflight, count - sent)
                for i in range(n):
                    await ws.send(payload_t if i % 2 == 0 else payload_b)
                for i in range(n):
                    got = await ws.recv()
                    assert got == (payload_t if i % 2 == 0 else payload_b)
                sent += n


@contextlib.contextmanager
def counted_server(tmp_path):
    """The release server with the allocation counter, one worker; yields (proc, admin
    port, counts file) and stops it with SIGTERM."""
    assert os.path.exists(WSX), "build/wsx missing: make build/wsx"
    assert os.path.exists(PRELOAD), "build/tests/alloccount.so missing"
    admin = free_port()
    counts_file = str(tmp_path / "counts")
    env = dict(os.environ, WSX_ADMIN_PASSWORD=PASSWORD, LD_PRELOAD=PRELOAD, ALLOCCOUNT_FILE=counts_file)
    proc = subprocess.Popen([WSX, "server", "--data", str(tmp_path / "data"), "--workers", "1",
                             "--admin", f"127.0.0.1:{admin}"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 20
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin}/healthz", timeout=1)
                break
            except OSError:
                assert proc.poll() is None, proc.stderr.read().decode()
                assert time.time() < deadline, "server did not start"
                time.sleep(0.05)
        yield proc, admin, counts_file
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise


def test_steady_state_echo_does_not_allocate(tmp_path):
    port = free_port()
    with counted_server(tmp_path) as (proc, admin, counts_file):
        status, ch = api(admin, "POST", "/api/v1/channels",
                         {"name": "alloc", "address": f"ws://127.0.0.1:{port}/alloc",
                          "service": "demo.echo", "data_format": "raw"})
        assert status == 201 and ch["state"] == "listening"
        url = f"ws://127.0.0.1:{port}/alloc"
        workers = thread_ids(proc.pid, "wsx-worker-0")
        assert len(workers) == 1
        worker = workers[0]

        async def scenario():
            async with websockets.connect(url, max_size=None, compression=None) as ws:
                # warm-up: the worker's shared buffers reach their working size
                for size in (20, 4096, 32768):
                    for _ in range(50):
                        await ws.send(b"w" * size)
                        assert await ws.recv() == b"w" * size
                before = read_counts(proc, counts_file)
                for size in (20, 4096):
                    for inflight in (1, 8):
                        msgs = [os.urandom(size) for _ in range(inflight)]
                        for _ in range(1000 // inflight):
                            for m in msgs:
                                await ws.send(m)
                            for m in msgs:
                                assert await ws.recv() == m
                for _ in range(500):
                    await ws.send("t" * 25)
                    assert await ws.recv() == "t" * 25
                after = read_counts(proc, counts_file)
                return before, after

        before, after = asyncio.run(scenario())
        # the counter really counts on the worker: accepting our connection allocated
        assert before.get(worker, 0) > 0, f"no allocation ever counted on the worker: {before}"
        delta = after.get(worker, 0) - before.get(worker, 0)
        assert delta == 0, f"{delta} allocations on the worker thread during 4,500 echoes"


def test_steady_state_json_invocations_do_not_allocate(tmp_path):
    port = free_port()
    with counted_server(tmp_path) as (proc, admin, counts_file):
        status, ch = api(admin, "POST", "/api/v1/channels",
                         {"name": "alloc-json", "address": f"ws://127.0.0.1:{port}/j",
                          "service": "demo.echo", "data_format": "json"})
        assert status == 201 and ch["state"] == "listening"
        url = f"ws://127.0.0.1:{port}/j"
        (worker,) = thread_ids(proc.pid, "wsx-worker-0")
        seq = iter(range(10**9))

        def envelope(token, data):
            return json.dumps({"meta": {"id": f"m{next(seq)}", "timestamp": "2026-11-30T10:00:00.000001",
                                        "action": "invoke-service", "token": token},
                               "data": data})

        async def scenario():
            async with websockets.connect(url, max_size=None, compression=None) as ws:
                await ws.send(json.dumps({"meta": {"id": "login", "timestamp": "2026-11-30T10:00:00",
                                                   "action": "create-session"}}))
                token = json.loads(await ws.recv())["data"]["token"]
                small = {"order": 12345, "items": ["a", "b"], "note": "zażółć"}
                big = {"blob": "x" * 4096, "n": [1.5, -2, True, None]}
                for data in (small, big, {"blob": "y" * 32768}):  # warm-up
                    for _ in range(50):
                        await ws.send(envelope(token, data))
                        assert json.loads(await ws.recv())["data"] == data
                before = read_counts(proc, counts_file)
                for data in (small, big):
                    for inflight in (1, 8):
                        for _ in range(1000 // inflight):
                            for _ in range(inflight):
                                await ws.send(envelope(token, data))
                            for _ in range(inflight):
                                r = json.loads(await ws.recv())
                                assert r["meta"]["msg_type"] == "zwsx.rspok" and r["data"] == data
                after = read_counts(proc, counts_file)
                return before, after

        before, after = asyncio.run(scenario())
        assert before.get(worker, 0) > 0, f"no allocation ever counted on the worker: {before}"
        delta = after.get(worker, 0) - before.get(worker, 0)
        assert delta == 0, f"{delta} allocations on the worker thread during 4,000 invocations"
