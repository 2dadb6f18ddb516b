"""zato_client - test clients that speak the WSX session protocol the way Zato's own
clients do, so the integration tests prove that clients written for Zato work unchanged.

What Zato's clients send (facts read from Zato 3.2's zato.common.wsx_client, its later
zato-wsx-client form, and the zato-js-client package; the code here is our own):

- Every message is `{"data": {...}, "meta": {...}}`, sent as a text frame. meta has
  `action`, `id`, `timestamp`, `token`, `client_id`, `client_name`. `token` is null until
  login (the Python client sends `"token": null` on create-session), `username`/`secret` are
  null when the client has no credentials.
- Python ids: Zato 3.2 `zato.ws.client.{auth|invs|resp}.<uuid4 hex>`; the later
  zato-wsx-client `zwsxc.{auth|inv|rsp}.<hex of 96 random bits>` (no leading zeros, so
  length varies). JavaScript ids: `<client_name>.<Math.random().toString(16)>`, e.g.
  `My Client.0.8d2c...` (spaces and dots included).
- Timestamps: Python `datetime.utcnow().isoformat()` (`2026-11-30T10:00:00.123456`, no
  zone; the fraction is left out when the microseconds are 0); JavaScript
  `new Date().toISOString()` (`2026-11-30T10:00:00.123Z`).
- `invoke(data)` is action `invoke-service` with `data` = the request dict, sent to the
  channel's service; `invoke_service(name, request)` is `invoke({"service": name,
  "request": request})`, meant for a channel whose service is the gateway
  `helpers.web-sockets-gateway`.
- A message from the server with `meta.in_reply_to` is the answer to that request (the
  client reads `meta.status`; ok when 200, and `data`). Anything else is a request from
  the server: the Python client calls its `on_request_callback` and sends back action
  `client-response` with `meta.in_reply_to` = the request's `meta.id` and
  `data = {"response": <what the callback returned>}`. (It does not look at msg_type, so it
  answers a zwsx.merr too - on a connection the server is closing.)
- The Python client sends a WebSocket PING "beep" as its heartbeat and answers the
  server's PINGs (ws4py does); login is "no response with in_reply_to = the auth id" on
  failure.

ZatoPyClient is the Python client on asyncio + websockets; NodeZatoClient drives
node/zato_client.js (the JavaScript client's messages, on Node's `ws`)."""
import asyncio
import json
import queue
import random
import subprocess
import threading
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[2]
NODE_ZATO_CLIENT = Path(__file__).resolve().parent / "node" / "zato_client.js"

# Message id prefixes of the two generations of Zato's Python client.
ID_STYLES = {
    # Zato 3.2 (zato.common.wsx_client): MSG_PREFIX, uuid4().hex
    "zato3.2": {"auth": "zato.ws.client.auth.", "invoke": "zato.ws.client.invs.",
                "response": "zato.ws.client.resp.", "cid": lambda: uuid.uuid4().hex},
    # zato-wsx-client (2022 and later): MsgPrefix, new_cid() = hex(getrandbits(96))[2:]
    "zwsxc": {"auth": "zwsxc.auth.", "invoke": "zwsxc.inv.", "response": "zwsxc.rsp.",
              "cid": lambda: hex(random.getrandbits(96))[2:]},
}


def zato_utcnow_iso():
    """datetime.utcnow().isoformat(), as Zato's Python client stamps its messages."""
    return datetime.now(timezone.utc).replace(tzinfo=None).isoformat()


class Response:
    """What the Python client's invoke() returns: ResponseFromServer's fields."""

    def __init__(self, msg):
        meta = msg["meta"]
        self.msg = msg
        self.id = meta["id"]
        self.timestamp = meta["timestamp"]
        self.in_reply_to = meta["in_reply_to"]
        self.status = meta["status"]
        self.is_ok = self.status == 200
        self.data = msg.get("data")

    def __repr__(self):
        return f"<Response {self.status} {json.dumps(self.msg)[:300]}>"


class ZatoPyClient:
    """Zato's Python WebSocket client, on asyncio.

    on_request_callback(request_msg) -> value: called for each request from the server
    (a message without meta.in_reply_to); its value goes back as data.response.
    `sent` keeps every message sent (as dicts), `requests_received` every server request,
    so tests can check both sides."""

    def __init__(self, address, client_id, client_name, username=None, secret=None,
                 on_request_callback=None, id_style="zato3.2", wait_time=5.0):
        self.address = address
        self.client_id = client_id
        self.client_name = client_name
        self.username = username
        self.secret = secret
        self.on_request_callback = on_request_callback or (lambda msg: None)
        self.style = ID_STYLES[id_style]
        self.id_style = id_style
        self.wait_time = wait_time
        self.auth_token = None
        self.is_authenticated = False
        self.ws = None
        self.sent = []
        self.requests_received = []
        self.responses_received = {}
        self._arrived = None
        self._reader = None

    def _new_id(self, kind):
        return self.style[kind] + self.style["cid"]()

    def _serialize(self, action, msg_id, data=None, **extra_meta):
        if self.id_style == "zato3.2":
            # zato 3.2: a plain dict, data first, meta with these six keys
            meta = {"action": action, "id": msg_id, "timestamp": zato_utcnow_iso(),
                    "token": self.auth_token, "client_id": self.client_id,
                    "client_name": self.client_name}
        else:
            # zato-wsx-client: ClientMeta's fields in their order, unset ones null
            meta = {"id": msg_id, "action": action, "attrs": None,
                    "timestamp": zato_utcnow_iso(), "client_id": self.client_id,
                    "client_name": self.client_name, "token": self.auth_token,
                    "username": None, "secret": None, "in_reply_to": None}
        meta.update(extra_meta)
        msg = {"data": dict(data or {}), "meta": meta}
        self.sent.append(msg)
        return json.dumps(msg)

    # --- connection

    async def connect(self, heartbeat=None):
        """Open the WebSocket and log in (create-session). Returns True when the server
        sent a token; False when it did not (it closed the connection, or no answer
        within wait_time)."""
        self.ws = await websockets.connect(self.address, ping_interval=heartbeat,
                                           compression=None, max_size=None, open_timeout=20,
                                           close_timeout=10)
        self._arrived = asyncio.Condition()
        self._reader = asyncio.create_task(self._read_loop())
        request_id = self._new_id("auth")
        await self.ws.send(self._serialize("create-session", request_id,
                                           username=self.username, secret=self.secret))
        response = await self._wait_for_response(request_id, self.wait_time)
        if response is None or not response.is_ok:
            return False  # (Zato's client would fail on the missing data.token)
        self.auth_token = response.data["token"]
        self.is_authenticated = True
        return True

    async def _read_loop(self):
        try:
            async for raw in self.ws:
                msg = json.loads(raw)
                meta = msg.get("meta") or {}
                in_reply_to = meta.get("in_reply_to")
                if in_reply_to:
                    self.responses_received[in_reply_to] = Response(msg)
                else:
                    self.requests_received.append(msg)
                    answer = self.on_request_callback(msg)
                    response_id = self._new_id("response")
                    try:
                        await self.ws.send(self._serialize("client-response", response_id,
                                                           {"response": answer},
                                                           in_reply_to=meta.get("id")))
                    except websockets.ConnectionClosed:
                        pass
                async with self._arrived:
                    self._arrived.notify_all()
        except websockets.ConnectionClosed:
            pass
        finally:
            async with self._arrived:
                self._arrived.notify_all()

    async def _wait_for_response(self, request_id, timeout):
        deadline = time.monotonic() + timeout
        async with self._arrived:
            while request_id not in self.responses_received:
                left = deadline - time.monotonic()
                if left <= 0 or self._reader.done():
                    return None
                try:
                    await asyncio.wait_for(self._arrived.wait(), left)
                except asyncio.TimeoutError:
                    return None
        return self.responses_received.pop(request_id)

    # --- the client's API

    async def invoke(self, data, timeout=None):
        """Invoke the channel's service with `data` (a dict); the Response, or None when
        nothing answered in time."""
        if self.username and not self.is_authenticated:
            raise RuntimeError("Client is not authenticated")
        request_id = self._new_id("invoke")
        await self.ws.send(self._serialize("invoke-service", request_id, data))
        return await self._wait_for_response(request_id, timeout or self.wait_time)

    async def invoke_service(self, service_name, request, timeout=None):
        """Invoke a service through the channel's gateway service."""
        return await self.invoke({"service": service_name, "request": request}, timeout)

    async def heartbeat(self, payload=b"beep"):
        """One PING as the client's heartbeat sends it; returns once its PONG arrived."""
        waiter = await self.ws.ping(payload)
        await asyncio.wait_for(waiter, 10)

    async def close(self, code=1000):
        """Close from our side; returns the code of the server's answering close."""
        await self.ws.close(code)
        if self._reader:
            await asyncio.wait_for(self._reader, 10)
        return self.ws.close_code if self.ws.close_rcvd else None

    async def wait_closed(self, timeout=10):
        """Wait until the server closes; returns (code, reason) of its close frame."""
        await asyncio.wait_for(self.ws.wait_closed(), timeout)
        if self.ws.close_rcvd is None:
            return None, None
        return self.ws.close_rcvd.code, self.ws.close_rcvd.reason


class NodeZatoClient:
    """node/zato_client.js: the messages of Zato's JavaScript client over Node's `ws`.
    Events come as JSON lines on its stdout, commands go as JSON lines to its stdin."""

    def __init__(self, address, client_id, client_name, username=None, secret=None,
                 timeout=20.0):
        self.timeout = timeout
        self.events = queue.Queue()
        self.log = []  # every event, in order
        config = {"client_id": client_id, "client_name": client_name, "username": username,
                  "secret": secret}
        self.proc = subprocess.Popen(["node", str(NODE_ZATO_CLIENT), address, json.dumps(config)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                ev = json.loads(line)
                self.log.append(ev)
                self.events.put(ev)
        self.events.put({"event": "exit"})

    def next_event(self, kinds, timeout=None):
        """The next event whose kind is in `kinds`; others are skipped (still in log)."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"node zato client: no {kinds} event within "
                                     f"{timeout or self.timeout:.0f} s; events: {self.log}")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev["event"] in kinds:
                return ev
            if ev["event"] == "exit":
                err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                raise AssertionError(f"node zato client exited: {err[-2000:]}; events: "
                                     f"{self.log}")

    def command(self, **cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def close(self):
        try:
            if self.proc.poll() is None:
                self.command(op="exit")
                self.proc.wait(10)
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except Exception:
                pass
