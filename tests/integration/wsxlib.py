"""wsxlib - what the integration tests share: free ports, the wsx server process,
the admin API and the CLI, raw RFC 6455 frames over plain sockets, and two real
WebSocket clients (Python websockets, Node ws) behind one small synchronous API.

Nothing here sleeps for a fixed time to let something happen: waits poll for the
condition with generous deadlines, because the suite runs on a shared, noisy machine
under ASan."""
import asyncio
import base64
import hashlib
import json
import os
import queue
import random
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WSX_BIN = os.environ.get("WSX_BIN") or str(ROOT / "build" / "asan" / "wsx")
ADMIN_PASSWORD = "integration-admin-pw"
NODE_CLIENT = Path(__file__).resolve().parent / "node" / "client.js"
WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

# Generous deadlines: ASan, two cores, other people's builds.
START_TIMEOUT = 60.0
STOP_TIMEOUT = 60.0
IO_TIMEOUT = 20.0


def wait_until(pred, timeout=IO_TIMEOUT, interval=0.05, what="condition", max_interval=0.5):
    """Poll pred() until it returns a truthy value; return it, or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, max_interval)


# --------------------------------------------------------------------------- ports

_handed_out = set()


def connect_refused(port, host="127.0.0.1", timeout=5.0):
    """True when a TCP connect to host:port is refused (nobody listens)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        try:
            s.connect((host, port))
        except ConnectionRefusedError:
            return True
        except OSError:
            return False
        return False


def port_is_free(port):
    """Nobody listens on 127.0.0.1:port and we could bind it the way the server does
    (SO_REUSEADDR: a connection of an earlier test in TIME_WAIT on that port does not
    stop it; a live client socket on it does)."""
    if not connect_refused(port):
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port():
    """A port in 20000-32000 (below the ephemeral range, so no client connection takes
    it meanwhile) that is free now and was not handed out before in this run."""
    for _ in range(2000):
        p = random.randint(20000, 32000)
        if p in _handed_out:
            continue
        _handed_out.add(p)
        if port_is_free(p):
            return p
    raise RuntimeError("no free port found in 20000-32000")


# --------------------------------------------------------------------------- HTTP

class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def error(self):
        """The {"error": {...}} object of an error answer."""
        j = self.json()
        assert isinstance(j.get("error"), dict), f"not an error object: {j!r}"
        return j["error"]

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


def basic_auth(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def http_request(base_url, method, path, body=None, headers=None, timeout=IO_TIMEOUT):
    """One HTTP request with urllib; 4xx/5xx answers are returned, not raised."""
    req = urllib.request.Request(base_url + path, data=body, method=method)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Response(r.status, {k.lower(): v for k, v in r.headers.items()}, r.read())
    except urllib.error.HTTPError as e:
        return Response(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


# --------------------------------------------------------------------------- server

class WsxServer:
    """A `wsx server` (or `wsx quickstart`) process on a data directory.

    start() waits for GET /healthz = 200; stop() sends SIGTERM and returns the exit
    status (under ASan a leak makes it non-zero)."""

    def __init__(self, data_dir, admin_port=None, command="server", env_password=ADMIN_PASSWORD,
                 workers=2, log_path=None, odb=None, args=(), extra_args=()):
        self.data_dir = Path(data_dir)
        self.command = command
        self.odb = odb  # --odb URL (None: the default, SQLite in the data directory)
        self.args = list(args)  # more `wsx server` options (--name ...)
        # WSX_ADMIN_PASSWORD for the first start (None: let wsx make one up); the
        # password api() and cli() use, which a test may set after reading it
        self.env_password = env_password
        self.password = env_password
        self.workers = workers
        self.extra_args = list(extra_args)  # more `wsx server` options (--name, ...)
        self.admin_port = admin_port
        self.log_path = Path(log_path) if log_path else self.data_dir.with_name(
            self.data_dir.name + f"-{command}.log")
        self.crashes = []  # tests during which this server died (see conftest.py)
        self.stopped_by_us = False  # stop() or kill() was called on this run
        self.proc = None
        self._log = None
        self._log_start = 0

    @property
    def url(self):
        return f"http://127.0.0.1:{self.admin_port}"

    def argv(self):
        if self.command == "quickstart":
            return [WSX_BIN, "quickstart", "--data", str(self.data_dir)]
        return [WSX_BIN, "server", "--data", str(self.data_dir), "--admin",
                f"127.0.0.1:{self.admin_port}", "--workers", str(self.workers),
                *(["--odb", self.odb] if self.odb else []), *self.args, *self.extra_args]

    def env(self):
        env = dict(os.environ)
        env.pop("WSX_ADMIN_PASSWORD", None)
        if self.env_password is not None:
            env["WSX_ADMIN_PASSWORD"] = self.env_password
        # leaks must fail the test through the exit status
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        return env

    def log(self):
        """This run's output so far (stdout and stderr)."""
        try:
            data = self.log_path.read_bytes()[self._log_start:]
        except OSError:
            return ""
        return data.decode("utf-8", "replace")

    def start(self, timeout=START_TIMEOUT):
        for attempt in range(3):
            if self.admin_port is None or (attempt and self.command == "server"):
                self.admin_port = free_port()
            self._log = open(self.log_path, "ab")
            self._log_start = self._log.tell()
            self.stopped_by_us = False
            self.proc = subprocess.Popen(self.argv(), env=self.env(), stdout=self._log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                if self.healthz_ok():
                    return self
                time.sleep(0.1)
            if self.proc.poll() is None:
                self.kill()
                raise AssertionError(f"wsx {self.command} did not answer /healthz within "
                                     f"{timeout:.0f} s; output:\n{self.log()[-4000:]}")
            out = self.log()
            self._log.close()
            if "cannot listen" in out and self.command == "server" and attempt < 2:
                continue  # someone took the admin port between probe and bind
            raise AssertionError(f"wsx {self.command} exited with {self.proc.returncode} "
                                 f"before it was ready; output:\n{out[-4000:]}")
        raise AssertionError("wsx server could not get an admin port")

    def healthz_ok(self):
        try:
            return http_request(self.url, "GET", "/healthz", timeout=5).status == 200
        except OSError:
            return False

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=STOP_TIMEOUT):
        """SIGTERM, wait, return the exit status (killed with SIGKILL on a hang: -9)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.stopped_by_us = True
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._log:
            self._log.close()
        return self.proc.returncode

    def send_sigterm(self):
        """SIGTERM without waiting (stop() waits and returns the status)."""
        self.stopped_by_us = True
        self.proc.send_signal(signal.SIGTERM)

    def assert_clean_stop(self):
        rc = self.stop()
        assert rc == 0, (f"wsx {self.command} exited with {rc} after SIGTERM (non-zero under "
                         f"ASan means a leak or a sanitizer report); output:\n{self.log()[-8000:]}")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.stopped_by_us = True
            self.proc.kill()
            self.proc.wait()
        if self._log:
            self._log.close()

    def odb_contents(self):
        """Everything the ODB holds, as bytes an operator could read: the SQLite files,
        or a pg_dump of the PostgreSQL database."""
        if self.odb and self.odb.startswith(("postgresql://", "postgres://")):
            return subprocess.run(["pg_dump", "--no-owner", "-d", self.odb], check=True,
                                  capture_output=True, timeout=60).stdout
        data = b""
        for suffix in ("", "-wal"):
            f = self.data_dir / ("wsx.db" + suffix)
            if f.exists():
                data += f.read_bytes()
        return data

    # --- the admin API

    def api(self, method, path, body=None, *, auth=True, password=None, user="admin",
            content_type="application/json", raw=None, headers=None):
        """Call the admin API. body: a JSON value (encoded) or raw: bytes as they are."""
        h = dict(headers or {})
        if auth:
            h["Authorization"] = basic_auth(user, self.password if password is None else password)
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
        if data is not None and content_type:
            h["Content-Type"] = content_type
        return http_request(self.url, method, path, data, h)

    def create_channel(self, **fields):
        """POST a raw demo.echo channel on a free port; returns the 201 JSON plus "port"
        and "ws_url". Retries on another port when a foreign process took the port."""
        for _ in range(5):
            port = free_port()
            path = fields.pop("_path", "/ws")
            body = {"name": fields.get("name") or unique_name("ch"),
                    "address": f"ws://127.0.0.1:{port}{path}", "service": "demo.echo",
                    "data_format": "raw"}
            body.update({k: v for k, v in fields.items() if k != "name"})
            r = self.api("POST", "/api/v1/channels", body)
            assert r.status == 201, r
            ch = r.json()
            if body.get("is_active", True) and ch["state"] != "listening":
                self.api("DELETE", f"/api/v1/channels/{ch['id']}")
                continue
            ch["port"] = port
            ch["ws_url"] = f"ws://127.0.0.1:{port}{path}"
            return ch
        raise AssertionError("could not create a listening channel on a free port")

    def get_channel(self, cid):
        r = self.api("GET", f"/api/v1/channels/{cid}")
        assert r.status == 200, r
        return r.json()

    # --- the CLI

    def cli(self, *args, timeout=120, env=None):
        e = dict(os.environ)
        e.update({"WSX_URL": self.url, "WSX_PASSWORD": self.password})
        e.update(env or {})
        return subprocess.run([WSX_BIN, "channel", *args], env=e, capture_output=True, text=True,
                              timeout=timeout, stdin=subprocess.DEVNULL)


_name_counter = [0]


def unique_name(prefix="ch"):
    _name_counter[0] += 1
    return f"{prefix}-{os.getpid()}-{_name_counter[0]}-{random.randrange(16**6):06x}"


def assert_refused(port, what="the channel's port"):
    """The port must refuse connections now: admin writes are applied before their
    reply returns (DESIGN.md 2), so no wait is needed - but say clearly if a retry
    would have succeeded, to tell a slow apply from a missing one."""
    if connect_refused(port):
        return
    try:
        wait_until(lambda: connect_refused(port), timeout=10, what=f"{what} to refuse")
        late = "it was refused only later: the change was not applied before the reply"
    except AssertionError:
        late = "it still accepts connections 10 s later"
    raise AssertionError(f"{what} (127.0.0.1:{port}) accepted a connection right after the "
                         f"admin reply; {late}")


# --------------------------------------------------------------------------- raw RFC 6455

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
RSV1, RSV2, RSV3 = 4, 2, 1


def mask_bytes(payload, key):
    n = len(payload)
    if n == 0:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True):
    """One client frame built by hand (rsv: RSV1|RSV2|RSV3 bits as 4|2|1)."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    mbit = 0x80 if mask else 0
    if n < 126:
        hdr = struct.pack("!BB", b0, mbit | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, mbit | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, mbit | 127, n)
    if mask:
        key = os.urandom(4)
        return hdr + key + mask_bytes(payload, key)
    return hdr + payload


def close_payload(code, reason=b""):
    return struct.pack("!H", code) + reason


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def upgrade_request(port, path="/ws", method="GET", key=None, version="13", extra=(),
                    omit=()):
    """The bytes of an upgrade request; omit names headers to leave out."""
    key = key or base64.b64encode(os.urandom(16)).decode()
    hdrs = [("Host", f"127.0.0.1:{port}"), ("Upgrade", "websocket"), ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", version)]
    hdrs = [(k, v) for k, v in hdrs if k not in omit] + list(extra)
    head = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs) + "\r\n"
    return head.encode(), key


def tcp_connect(port, timeout=IO_TIMEOUT):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def parse_http_head(data):
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, rest


def read_until_eof(sock, timeout=IO_TIMEOUT, limit=1 << 20):
    """Everything the peer sends until it closes. A reset counts as closed too."""
    sock.settimeout(timeout)
    chunks = []
    deadline = time.monotonic() + timeout
    while True:
        if time.monotonic() > deadline:
            raise AssertionError(f"the server did not close the TCP connection within "
                                 f"{timeout:.0f} s")
        try:
            b = sock.recv(65536)
        except ConnectionResetError:
            break
        except socket.timeout:
            raise AssertionError(f"the server did not close the TCP connection within "
                                 f"{timeout:.0f} s")
        if not b:
            break
        chunks.append(b)
        if sum(map(len, chunks)) > limit:
            raise AssertionError("the server kept sending")
    return b"".join(chunks)


def http_exchange(port, request, timeout=IO_TIMEOUT):
    """Send raw request bytes to a channel port, read the whole answer until the server
    closes; returns (status, headers, body)."""
    with tcp_connect(port, timeout) as s:
        s.sendall(request)
        data = read_until_eof(s, timeout)
    assert data, "the server closed the connection without an HTTP answer"
    status, headers, rest = parse_http_head(data)
    if "content-length" in headers:
        n = int(headers["content-length"])
        assert len(rest) >= n, f"body shorter than Content-Length: {data!r}"
        rest = rest[:n]
    return status, headers, rest


class Frame:
    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    def close_code(self):
        assert self.opcode == OP_CLOSE
        if not self.payload:
            return None
        return struct.unpack("!H", self.payload[:2])[0]

    def __repr__(self):
        return f"<Frame fin={self.fin} rsv={self.rsv} op={self.opcode:#x} {self.payload[:60]!r}>"


class RawWs:
    """A WebSocket connection done by hand: the upgrade, frames with struct."""

    def __init__(self, port, path="/ws", timeout=IO_TIMEOUT):
        self.sock = tcp_connect(port, timeout)
        self.timeout = timeout
        req, key = upgrade_request(port, path)
        self.sock.sendall(req)
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            b = self.sock.recv(65536)
            assert b, f"the server closed during the handshake: {self.buf!r}"
            self.buf += b
        status, headers, self.buf = parse_http_head(self.buf)
        assert status == 101, f"handshake answered {status}, not 101"
        assert headers.get("sec-websocket-accept") == accept_for(key), headers
        assert headers.get("upgrade", "").lower() == "websocket", headers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.sock.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_frame(self, opcode, payload=b"", **kw):
        self.sock.sendall(frame(opcode, payload, **kw))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no frame from the server within {self.timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(65536)
            except socket.timeout:
                raise AssertionError(f"no frame from the server within {self.timeout:.0f} s")
            except ConnectionResetError:
                b = b""
            if not b:
                raise EOFError(f"the server closed TCP (buffered: {self.buf[:100]!r})")
            self.buf += b

    def recv_frame(self, timeout=None):
        """The next frame from the server; server frames must not be masked."""
        deadline = time.monotonic() + (timeout or self.timeout)
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._need(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        assert not b1 & 0x80, "the server sent a masked frame (RFC 6455 5.1)"
        self._need(off + n, deadline)
        payload = self.buf[off:off + n]
        self.buf = self.buf[off + n:]
        return Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload)

    def recv_message(self, timeout=None):
        """The next data frame (the server sends whole messages in one frame)."""
        f = self.recv_frame(timeout)
        assert f.opcode in (OP_TEXT, OP_BINARY), f"expected a data frame, got {f!r}"
        assert f.fin and f.rsv == 0, f
        return f

    def expect_close(self, code, reply=True, timeout=None):
        """The next frame must be a close with `code` (None: an empty close). Then answer
        it (unless reply=False) and check the server closes TCP. Returns the reason."""
        f = self.recv_frame(timeout)
        assert f.opcode == OP_CLOSE, f"expected a close frame with {code}, got {f!r}"
        assert f.fin and f.rsv == 0, f
        got = f.close_code()
        assert got == code, (f"expected close code {code}, got {got} "
                             f"(reason {f.payload[2:]!r})")
        reason = f.payload[2:]
        reason.decode("utf-8")  # a close reason must be UTF-8 (RFC 6455 5.5.1)
        if reply:
            try:
                self.send_frame(OP_CLOSE, f.payload[:2])
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may already have closed after a fatal error
        self.expect_eof()
        return reason

    def expect_eof(self, timeout=None):
        rest = self.buf + read_until_eof(self.sock, timeout or self.timeout)
        self.buf = b""
        assert rest == b"", f"the server sent more after its close frame: {rest[:100]!r}"


# --------------------------------------------------------------------------- clients

class ClientClosed(Exception):
    pass


class PyWsClient:
    """Python websockets 10.4 (asyncio), driven synchronously from a private loop."""
    kind = "python-websockets"

    def __init__(self, url, timeout=IO_TIMEOUT):
        import websockets
        self._websockets = websockets
        self.timeout = timeout
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

        async def connect():
            return await websockets.connect(url, ping_interval=None, max_size=None,
                                            open_timeout=timeout, close_timeout=timeout,
                                            compression=None)
        try:
            self.ws = self._call(connect())
        except BaseException:
            self._stop_loop()
            raise

    def _call(self, coro, timeout=None):
        t = timeout or self.timeout
        return asyncio.run_coroutine_threadsafe(asyncio.wait_for(coro, t), self.loop).result(t + 5)

    def send(self, data):
        try:
            self._call(self.ws.send(data))
        except self._websockets.ConnectionClosed as e:
            raise ClientClosed(e.rcvd.code if e.rcvd else None) from e

    def recv(self, timeout=None):
        """The next message (str for text, bytes for binary); ClientClosed when the
        connection closed instead."""
        try:
            return self._call(self.ws.recv(), timeout)
        except self._websockets.ConnectionClosed as e:
            raise ClientClosed(e.rcvd.code if e.rcvd else None) from e

    def wait_closed(self, timeout=None):
        """Wait for the close; returns the code the server sent (None: none received)."""
        self._call(self.ws.wait_closed(), timeout)
        return self.ws.close_code if self.ws.close_rcvd else None

    def close_normally(self, code=1000):
        """Close from our side; returns the code of the server's answering close."""
        self._call(self.ws.close(code))
        return self.ws.close_code if self.ws.close_rcvd else None

    def _stop_loop(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()

    def close(self):
        try:
            if self.ws.open:
                self._call(self.ws.close(), 10)
        except Exception:
            pass
        self._stop_loop()


class NodeWsClient:
    """Node's `ws` through tests/integration/node/client.js in its interactive mode:
    commands in as JSON lines on stdin, events out as JSON lines on stdout."""
    kind = "node-ws"

    def __init__(self, url, timeout=IO_TIMEOUT):
        self.timeout = timeout
        self.events = queue.Queue()
        self.proc = subprocess.Popen(["node", str(NODE_CLIENT), "--interactive", url],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, cwd=str(ROOT))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.closed = None
        ev = self._next(("open", "error", "close"))
        if ev["event"] != "open":
            self.close()
            if ev.get("code") == "ECONNREFUSED":
                raise ConnectionRefusedError(ev.get("message"))
            raise OSError(f"node ws could not connect: {ev}")

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                self.events.put(json.loads(line))
        self.events.put({"event": "exit"})

    def _next(self, kinds, timeout=None):
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"node ws: no {kinds} event within "
                                     f"{timeout or self.timeout:.0f} s")
            try:
                ev = self.events.get(timeout=left)
            except queue.Empty:
                continue
            if ev["event"] == "exit" and "exit" not in kinds:
                err = self.proc.stderr.read() if self.proc.poll() is not None else ""
                raise AssertionError(f"node ws client exited: {err[-2000:]}")
            if ev["event"] == "close":
                self.closed = ev
            if ev["event"] in kinds:
                return ev
            if ev["event"] == "close" and "message" in kinds:
                raise ClientClosed(ev.get("code"))

    def _cmd(self, obj):
        try:
            self.proc.stdin.write(json.dumps(obj) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise AssertionError("node ws client is gone")

    def send(self, data):
        if self.closed:
            raise ClientClosed(self.closed.get("code"))
        if isinstance(data, bytes):
            self._cmd({"op": "send", "binary": base64.b64encode(data).decode()})
        else:
            self._cmd({"op": "send", "text": data})

    def recv(self, timeout=None):
        ev = self._next(("message",), timeout)
        if "binary" in ev:
            return base64.b64decode(ev["binary"])
        return ev["text"]

    def wait_closed(self, timeout=None):
        if not self.closed:
            self._next(("close",), timeout)
        return self.closed.get("code")

    def close_normally(self, code=1000):
        """Close from our side; returns the code of the server's answering close."""
        self._cmd({"op": "close", "code": code})
        return self.wait_closed()

    def close(self):
        try:
            if self.proc.poll() is None:
                self._cmd({"op": "exit"})
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


CLIENTS = {"python-websockets": PyWsClient, "node-ws": NodeWsClient}
