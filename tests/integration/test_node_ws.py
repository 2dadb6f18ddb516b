"""Node's `ws` through node/client.js in its batch mode (URL and messages on the
command line, replies and the close as JSON lines), and many clients at once. The
lifecycle flows with Node ws as the client are in test_channels_cli.py (the
`clients` fixture runs each with both clients)."""
import asyncio
import base64
import json
import os
import subprocess

import pytest
import websockets

from wsxlib import NODE_CLIENT, ROOT, free_port

pytestmark = pytest.mark.usefixtures("node_ready")


def run_node(url, *messages, timeout=60):
    p = subprocess.run(["node", str(NODE_CLIENT), url, *messages], capture_output=True,
                       text=True, timeout=timeout, cwd=str(ROOT), stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_batch_echo_text_binary_and_100kb(channel):
    ch = channel()
    big = os.urandom(90_000)  # base64 on argv: one argument may hold at most 128 KiB
    text = "ż" * 50_000  # 100 KB of UTF-8
    events = run_node(ch["ws_url"], "hello", "b64:" + base64.b64encode(b"\x00\xff").decode(),
                      text, "b64:" + base64.b64encode(big).decode())
    assert events[0] == {"event": "open"}
    msgs = [e for e in events if e["event"] == "message"]
    assert msgs[0] == {"event": "message", "text": "hello"}
    assert base64.b64decode(msgs[1]["binary"]) == b"\x00\xff"
    assert msgs[2]["text"] == text
    assert base64.b64decode(msgs[3]["binary"]) == big
    assert events[-1]["event"] == "close" and events[-1]["code"] == 1000, events[-1]


def test_batch_over_max_message_size_gets_1009(channel):
    ch = channel(max_message_size=1000)
    events = run_node(ch["ws_url"], "y" * 900, "x" * 2000)
    msgs = [e for e in events if e["event"] == "message"]
    assert msgs == [{"event": "message", "text": "y" * 900}]
    assert events[-1]["event"] == "close" and events[-1]["code"] == 1009, events


def test_batch_refused_on_a_port_nobody_listens_on():
    events = run_node(f"ws://127.0.0.1:{free_port()}/none", "x")
    assert any(e["event"] == "error" and e["code"] == "ECONNREFUSED" for e in events), events
    assert events[-1]["event"] == "close" and events[-1]["code"] == 1006


def test_many_clients_at_once(channel):
    """Node processes and 50 Python connections on one channel at the same time; every
    connection gets its own replies, in order."""
    ch = channel()
    nodes = [subprocess.Popen(["node", str(NODE_CLIENT), ch["ws_url"],
                               *[f"node{i}-{j}" for j in range(30)]],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              cwd=str(ROOT), stdin=subprocess.DEVNULL) for i in range(4)]

    async def one(i):
        async with websockets.connect(ch["ws_url"], ping_interval=None, open_timeout=30,
                                      close_timeout=20) as ws:
            for j in range(20):
                msg = f"py{i}-{j}" if j % 2 else f"py{i}-{j}".encode()
                await ws.send(msg)
                assert await ws.recv() == msg

    async def all_of_them():
        results = await asyncio.wait_for(
            asyncio.gather(*(one(i) for i in range(50)), return_exceptions=True), 120)
        failed = [r for r in results if isinstance(r, BaseException)]
        if failed:
            raise failed[0]

    try:
        asyncio.run(all_of_them())
        for i, p in enumerate(nodes):
            out, err = p.communicate(timeout=60)
            assert p.returncode == 0, err
            events = [json.loads(line) for line in out.splitlines() if line.strip()]
            texts = [e["text"] for e in events if e["event"] == "message"]
            assert texts == [f"node{i}-{j}" for j in range(30)]
            assert events[-1] == {"event": "close", "code": 1000, "reason": ""}
    finally:
        for p in nodes:  # none may outlive the test (and talk to the next server)
            if p.poll() is None:
                p.kill()
            p.communicate()
