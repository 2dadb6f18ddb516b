"""wsclient - the conformance suite's raw-socket WebSocket client: the upgrade, frames
built by hand (tests/integration/wsxlib.py), sent in one write, frame by frame or in
chops of N octets, and a reader that keeps every frame the server sent until its close
and the end of TCP. Nothing is judged here; conformance.py grades what was recorded."""
import os
import socket
import struct
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from wsxlib import (OP_CLOSE, accept_for, parse_http_head, tcp_connect,  # noqa: E402
                    upgrade_request)

WAIT = 4.0  # how long the server has to answer or to close (ASan, a shared machine)


def fast_mask(payload, key):
    n = len(payload)
    if not n:
        return b""
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def frame(opcode, payload=b"", fin=True, rsv=0):
    """One masked client frame; rsv is the 3-bit RSV value (RSV1 = 4, RSV3 = 1)."""
    if isinstance(payload, str):
        payload = payload.encode()
    b0 = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        hdr = struct.pack("!BB", b0, 0x80 | n)
    elif n < 65536:
        hdr = struct.pack("!BBH", b0, 0x80 | 126, n)
    else:
        hdr = struct.pack("!BBQ", b0, 0x80 | 127, n)
    key = os.urandom(4)
    return hdr + key + fast_mask(payload, key)


class Got:
    """A frame the server sent."""
    __slots__ = ("fin", "rsv", "opcode", "payload")

    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    def key(self):
        return (self.opcode, bytes(self.payload))

    def __repr__(self):
        p = bytes(self.payload)
        shown = p[:24].hex() + ("..." if len(p) > 24 else "")
        return f"op{self.opcode:#x}{'' if self.fin else '(fin=0)'}[{len(p)}:{shown}]"


class ProtocolViolation(Exception):
    """The server sent something no client may accept (a masked frame, RSV bits)."""


class Conn:
    def __init__(self, port, path="/ws", timeout=WAIT):
        self.timeout = timeout
        self.sock = tcp_connect(port, 10)
        req, key = upgrade_request(port, path)
        self.sock.sendall(req)
        head = b""
        while b"\r\n\r\n" not in head:
            b = self.sock.recv(65536)
            if not b:
                raise ConnectionError(f"closed during the handshake: {head!r}")
            head += b
        status, headers, rest = parse_http_head(head)
        if status != 101 or headers.get("sec-websocket-accept") != accept_for(key):
            raise ConnectionError(f"handshake answered {status}: {headers}")
        self.buf = bytearray(rest)
        self.eof = False
        self.close_sent = False
        self.close_got = None  # the server's close frame
        self.partial = None  # a fragmented message from the server, so far

    # --- sending

    def send(self, data, chop=None, pause=0.0):
        """chop: None = one write; N = writes of N octets, `pause` seconds apart."""
        try:
            if chop is None:
                self.sock.sendall(data)
                return
            for i in range(0, len(data), chop):
                self.sock.sendall(data[i:i + chop])
                if pause:
                    time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server failed the connection: what it sent is still read

    def send_frames(self, frames, mode="one"):
        """mode: "one" (all frames in one write), "frame" (one write per frame, a short
        pause between), "octet" (one write per octet), or an int chop size."""
        if mode == "one":
            self.send(b"".join(frames))
        elif mode == "frame":
            for f in frames:
                self.send(f)
                time.sleep(0.02)
        elif mode == "octet":
            self.send(b"".join(frames), 1, 0.0005)
        else:
            self.send(b"".join(frames), mode)

    def send_close(self, payload=b"\x03\xe8"):
        self.close_sent = True
        self.send(frame(OP_CLOSE, payload))

    # --- receiving

    def _fill(self, n, deadline):
        while len(self.buf) < n:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.sock.settimeout(left)
            try:
                b = self.sock.recv(1 << 20)
            except socket.timeout:
                raise TimeoutError
            except ConnectionResetError:
                b = b""
            if not b:
                self.eof = True
                raise EOFError
            self.buf += b

    def recv_frame(self, timeout=None):
        """The next frame; TimeoutError or EOFError when none comes."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        self._fill(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise ProtocolViolation("the server sent a masked frame")
        n, off = b1 & 0x7F, 2
        if n == 126:
            self._fill(4, deadline)
            n, off = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._fill(10, deadline)
            n, off = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._fill(off + n, deadline)
        payload = bytes(self.buf[off:off + n])
        del self.buf[:off + n]
        f = Got(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0x0F, payload)
        if f.rsv:
            raise ProtocolViolation(f"the server set RSV bits: {f!r}")
        if f.opcode == OP_CLOSE:
            self.close_got = f
        return f

    def recv_item(self, timeout=None):
        """The next control frame or whole message: a fragmented message is put together
        (as Autobahn does: a server may fragment what it sends), shown as one frame."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f.opcode >= 0x8:
                return f
            if f.opcode == 0x0:
                if self.partial is None:
                    raise ProtocolViolation("the server sent a continuation with nothing to "
                                            "continue")
                self.partial.payload += f.payload
            elif self.partial is not None:
                raise ProtocolViolation("the server started a message inside another")
            else:
                self.partial = Got(True, 0, f.opcode, f.payload)
            if f.fin:
                m, self.partial = self.partial, None
                return m

    def read(self, n, timeout=None):
        """Up to n frames (stopping early at a close, EOF or the timeout)."""
        out = []
        while len(out) < n and self.close_got is None and not self.eof:
            try:
                f = self.recv_item(timeout)
            except (TimeoutError, EOFError):
                break
            if f.opcode == OP_CLOSE:
                break
            out.append(f)
        return out

    def finish(self, close_first=False, timeout=None):
        """Read to the end: every frame before the server's close, then (having answered
        that close unless we closed first) wait for the server to close TCP. Returns
        (frames, outcome) where outcome is "closed" (close frame, then TCP end),
        "dropped" (TCP end with no close frame), "no-tcp-close" (a close frame but TCP
        stays open) or "timeout" (neither)."""
        if close_first and not self.close_sent:
            self.send_close()
        frames = []
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while self.close_got is None:
            try:
                f = self.recv_item(max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                return frames, "timeout"
            except EOFError:
                return frames, "dropped"
            if f.opcode != OP_CLOSE:
                frames.append(f)
        if not self.close_sent:
            self.send_close(bytes(self.close_got.payload[:2]))
        while not self.eof:
            try:
                f = self.recv_frame(max(0.01, deadline + 2 - time.monotonic()))
                frames.append(f)  # nothing may follow a close: the grader sees it
            except TimeoutError:
                return frames, "no-tcp-close"
            except EOFError:
                break
        return frames, "closed"

    def close_code(self):
        if self.close_got is None or len(self.close_got.payload) < 2:
            return None
        return struct.unpack("!H", self.close_got.payload[:2])[0]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
