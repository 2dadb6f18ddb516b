"""cases_deflate - the Autobahn|Testsuite case groups 12 and 13 (permessage-deflate,
RFC 7692), written again from their published descriptions and run against a raw echo
channel with permessage_deflate on.

Every case offers what Autobahn's client offers, checks the server's answer, sends
COUNT messages of LEN octets taken one after the other from a test data set (wrapping
around), each compressed as Autobahn's client compresses it (raw deflate, sync flush,
the 4-octet tail removed; a fresh context per message when the answer carries
client_no_context_takeover) and cut into frames of AUTOFRAG octets when AUTOFRAG > 0,
and expects each echo intact before sending the next. The server's compressed
messages are inflated with a fresh inflater per message and the window the answer
allows (server_no_context_takeover and server_max_window_bits are thereby checked:
a back-reference into an earlier message or past the window fails the inflater).
Grade: OK when every echo came back intact and the close was clean (Autobahn's rule);
a server that declines the extension would be UNIMPLEMENTED, which fails here.

Scaled down from Autobahn: 1000 messages per case in Autobahn; here 100 (up to 1 KiB),
30 (4-16 KiB) or 10 (32-128 KiB) messages, the same sizes and fragmentations. The test
data are generated (Autobahn ships files): the same kinds, the same text/binary choice."""
import json
import random
import struct
import time
import zlib

from cases import FAILED, OK, Case, ending, show
from wsclient import Conn, Got, ProtocolViolation, frame
from wsxlib import OP_CLOSE, accept_for, parse_http_head, tcp_connect, upgrade_request

OP_CONT, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
TAIL = b"\x00\x00\xff\xff"

# (payload length, Autobahn's message count, auto-fragment size), in Autobahn's order
MSG_SIZES = [
    (16, 1000, 0), (64, 1000, 0), (256, 1000, 0), (1024, 1000, 0), (4096, 1000, 0),
    (8192, 1000, 0), (16384, 1000, 0), (32768, 1000, 0), (65536, 1000, 0), (131072, 1000, 0),
    (8192, 1000, 256), (16384, 1000, 256), (32768, 1000, 256), (65536, 1000, 256),
    (131072, 1000, 256), (131072, 1000, 1024), (131072, 1000, 4096), (131072, 1000, 32768),
]


def scaled_count(length):
    return 100 if length <= 1024 else 30 if length <= 16384 else 10


# --------------------------------------------------------------------------- test data

def _german_text(rng, n):
    words = ("Habe nun, ach! Philosophie, Juristerei und Medizin, und leider auch Theologie "
             "durchaus studiert, mit heißem Bemühn. Da steh ich nun, ich armer Tor! und bin so "
             "klug als wie zuvor; heiße Magister, heiße Doktor gar und ziehe schon an die zehen "
             "Jahr herauf, herab und quer und krumm meine Schüler an der Nase herum und sehe, "
             "daß wir nichts wissen können! Das will mir schier das Herz verbrennen. FAUST. "
             "MEPHISTOPHELES. Der Tragödie erster Teil. Nacht. Vor dem Tor. Studierzimmer. "
             "Ihr naht euch wieder, schwankende Gestalten, die früh sich einst dem trüben Blick "
             "gezeigt.").split()
    out, size = [], 0
    while size < n:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 12))) + "\n"
        out.append(line)
        size += len(line.encode())
    return "".join(out).encode()[:n]


def _bitmap(rng, n):
    # a 512x512 8-bit grey "photo": smooth gradients with grain, behind a BMP-like header
    head = b"BM" + (n).to_bytes(4, "little") + bytes(48)
    w = 512
    px = bytearray()
    for y in range(w):
        for x in range(w):
            px.append((x * 3 + y * 2 + ((x * y) >> 7) + rng.randint(0, 12)) & 0xFF)
    return (head + bytes(px))[:n]


def _pdf(rng, n):
    # text objects around compressed (so incompressible) streams, as in a PDF
    out = bytearray(b"%PDF-1.4\n")
    obj = 1
    while len(out) < n:
        body = rng.randbytes(rng.randint(2000, 12000))
        out += (f"{obj} 0 obj\n<< /Length {len(body)} /Filter /FlateDecode >>\nstream\n"
                .encode() + body + b"\nendstream\nendobj\n")
        out += f"{obj + 1} 0 obj\n<< /Type /Page /Parent 3 0 R /Contents {obj} 0 R >>\nendobj\n" \
            .encode()
        obj += 2
    return bytes(out[:n])


def _json(rng, n):
    recs, size = [], 0
    while size < n:
        r = {"id": len(recs), "guid": "%032x" % rng.getrandbits(128),
             "isActive": rng.random() < 0.5, "balance": "$%d.%02d" % (rng.randint(1000, 4000),
                                                                      rng.randint(0, 99)),
             "age": rng.randint(20, 70), "eyeColor": rng.choice(["blue", "brown", "green"]),
             "name": rng.choice(["Ayers Ortiz", "Mcknight Ward", "Leona Banks"]),
             "tags": [rng.choice(["lorem", "ipsum", "dolor", "sit", "amet", "esse"])
                      for _ in range(5)],
             "friends": [{"id": i, "name": rng.choice(["Kerr Ross", "Rosa Page"])}
                         for i in range(3)]}
        recs.append(r)
        size += len(json.dumps(r)) + 2
    return json.dumps(recs, indent=1).encode()[:n]


def _html(rng, n):
    out, size = ["<!DOCTYPE html>\n<html><head><title>data1</title></head><body>\n"], 0
    while size < n:
        s = (f'<div class="row"><a href="/item/{rng.randint(1, 99999)}">Item '
             f'{rng.randint(1, 999)}</a><span class="price">{rng.randint(1, 500)}.00</span>'
             f'<p>{rng.choice(["Lorem ipsum dolor sit amet", "consectetur adipiscing elit"])}'
             f"</p></div>\n")
        out.append(s)
        size += len(s)
    return "".join(out).encode()[:n]


# (id, Autobahn's description, binary?, generator); sizes about Autobahn's files
TESTDATA = [
    ("gutenberg_faust", "Human readable text, Goethe's Faust I (German)", True,
     lambda r: _german_text(r, 222_000)),
    ("lena512", "Lena Picture, Bitmap 512x512 bw", True, lambda r: _bitmap(r, 263_000)),
    ("ooms", "A larger PDF", True, lambda r: _pdf(r, 300_000)),
    ("json_data1", "Large JSON data file", False, lambda r: _json(r, 200_000)),
    ("html_data1", "Large HTML file", False, lambda r: _html(r, 200_000)),
]
_data = {}


def testdata(name):
    if name not in _data:
        gen = next(t[3] for t in TESTDATA if t[0] == name)
        _data[name] = gen(random.Random(name))
        if name in ("json_data1", "html_data1"):
            _data[name].decode("ascii")  # sent as text cut anywhere: must stay UTF-8
    return _data[name]


# --------------------------------------------------------------------------- the client

def offer_string(req_nct, req_bits):
    """Autobahn's PerMessageDeflateOffer(requestNoContextTakeover, requestMaxWindowBits)
    with its defaults acceptNoContextTakeover and acceptMaxWindowBits."""
    s = "permessage-deflate; client_no_context_takeover; client_max_window_bits"
    if req_nct:
        s += "; server_no_context_takeover"
    if req_bits:
        s += f"; server_max_window_bits={req_bits}"
    return s


def parse_answer(ext):
    """The server's Sec-WebSocket-Extensions answer -> dict of parameters, or None."""
    if not ext:
        return None
    parts = [p.strip() for p in ext.split(";")]
    if parts[0] != "permessage-deflate" or "," in ext:
        raise ProtocolViolation(f"unexpected extensions answer {ext!r}")
    params = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        if k in params:
            raise ProtocolViolation(f"parameter repeated in the answer {ext!r}")
        params[k.strip()] = v.strip().strip('"') or True
    return params


class DeflateConn(Conn):
    """wsclient.Conn with an extension offer: RSV1 is allowed on the first frame of a
    server message when permessage-deflate was agreed, and such a message is inflated
    once whole."""

    def __init__(self, port, offer, path="/ws", timeout=10.0):
        self.timeout = timeout
        self.sock = tcp_connect(port, 10)
        req, key = upgrade_request(port, path, extra=[("Sec-WebSocket-Extensions", offer)])
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
        self.answer = headers.get("sec-websocket-extensions")
        self.params = parse_answer(self.answer)
        self.buf = bytearray(rest)
        self.eof = False
        self.close_sent = False
        self.close_got = None
        self.partial = None
        self.partial_z = False
        if self.params is not None:
            p = self.params
            self.server_bits = int(p.get("server_max_window_bits", 15))
            self.client_bits = int(p["client_max_window_bits"]) \
                if p.get("client_max_window_bits", True) is not True else 15
            self.client_nct = "client_no_context_takeover" in p
            self.server_nct = "server_no_context_takeover" in p
            self._new_compressor()
            self.inflater = None

    def _new_compressor(self):
        # zlib has no raw 8-bit deflate; 9 never matches further back than 250 octets
        self.comp = zlib.compressobj(6, zlib.DEFLATED, -max(self.client_bits, 9))

    def compress(self, data):
        if self.client_nct:
            self._new_compressor()
        z = self.comp.compress(data) + self.comp.flush(zlib.Z_SYNC_FLUSH)
        assert z.endswith(TAIL)
        return z[:-4]

    def inflate(self, payload):
        # a fresh inflater when the server said it takes no context over (the check)
        if self.inflater is None or self.server_nct:
            self.inflater = zlib.decompressobj(-self.server_bits)
        try:
            return self.inflater.decompress(payload + TAIL)
        except zlib.error as e:
            raise ProtocolViolation(f"the server's compressed message does not inflate with "
                                    f"a {self.server_bits}-bit window"
                                    f"{' and no context' if self.server_nct else ''}: {e}")

    def recv_frame(self, timeout=None):
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
        allowed = 4 if (self.params is not None and f.opcode in (OP_TEXT, OP_BINARY)) else 0
        if f.rsv & ~allowed:
            raise ProtocolViolation(f"the server set RSV bits it may not: {f!r}")
        if f.opcode == OP_CLOSE:
            self.close_got = f
        return f

    def recv_item(self, timeout=None):
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f.opcode >= 0x8:
                return f
            if f.opcode == OP_CONT:
                if self.partial is None:
                    raise ProtocolViolation("a continuation with nothing to continue")
                self.partial.payload += f.payload
            elif self.partial is not None:
                raise ProtocolViolation("the server started a message inside another")
            else:
                self.partial = Got(True, 0, f.opcode, f.payload)
                self.partial_z = bool(f.rsv & 4)
            if f.fin:
                m, self.partial = self.partial, None
                if self.partial_z:
                    m.payload = self.inflate(bytes(m.payload))
                if m.opcode == OP_TEXT:
                    try:
                        bytes(m.payload).decode("utf-8")
                    except UnicodeDecodeError:
                        raise ProtocolViolation("the server sent a text message that is not "
                                                "UTF-8")
                return m

    def message_frames(self, opcode, data, autofrag):
        """One message as Autobahn's client sends it: compressed, then cut into frames
        of `autofrag` octets (0: one frame), RSV1 on the first."""
        z = self.compress(data)
        if not autofrag or len(z) <= autofrag:
            return [frame(opcode, z, rsv=4)]
        chunks = [z[i:i + autofrag] for i in range(0, len(z), autofrag)]
        return [frame(opcode if i == 0 else OP_CONT, c, fin=(i == len(chunks) - 1),
                      rsv=4 if i == 0 else 0) for i, c in enumerate(chunks)]


def deflate_case(offers, expected_answer, data_name, length, count, autofrag):
    binary = next(t[2] for t in TESTDATA if t[0] == data_name)
    opcode = OP_BINARY if binary else OP_TEXT

    def run(port):
        data = testdata(data_name)
        offer = ", ".join(offers)
        c = DeflateConn(port, offer)
        try:
            if c.params is None:
                return FAILED, f"UNIMPLEMENTED: the server declined {offer!r}"
            if c.answer != expected_answer:
                return FAILED, f"answered {c.answer!r}, expected {expected_answer!r}"
            ptr, wire_out, wire_in = 0, 0, 0
            for i in range(count):
                end = ptr + length
                msg = data[ptr:end] if end <= len(data) else \
                    data[ptr:] + data[:end - len(data)]
                ptr = end % len(data)
                frames = c.message_frames(opcode, msg, autofrag)
                wire_out += sum(len(f) for f in frames)
                c.send_frames(frames)
                got = c.read(1)
                if len(got) != 1 or got[0].opcode != opcode or bytes(got[0].payload) != msg:
                    g = got[0] if got else None
                    why = ("no echo" if g is None else
                           f"type {g.opcode:#x}" if g.opcode != opcode else
                           f"length {len(g.payload)}, expected {len(msg)}"
                           if len(g.payload) != len(msg) else "different content")
                    return FAILED, (f"message {i}: {why}; close {c.close_code()}")
                wire_in += len(got[0].payload)
            c.send_close()
            rest, outcome = c.finish()
            if rest or outcome != "closed" or c.close_code() != 1000:
                return FAILED, f"after {count} echoes: {show(rest)}; {ending(c, outcome)}"
            ratio = 100.0 * wire_out / (count * length)
            return OK, (f"{count} echoes intact; answer {c.answer!r}; client sent "
                        f"{ratio:.0f}% of the payload octets; {ending(c, outcome)}")
        finally:
            c.close()
    return run


# Autobahn 13.x: (client offers as (requestNoContextTakeover, requestMaxWindowBits)), in
# Autobahn's order; and the answer wsx gives (always server_no_context_takeover).
DEFLATE_PARAMS = [
    [(False, 0)],
    [(True, 0)],
    [(False, 8)],
    [(False, 15)],
    [(True, 8)],
    [(True, 15)],
    [(True, 8), (True, 0), (False, 0)],
]


def wsx_answer(req_nct, req_bits):
    """What wsx answers to the first of these offers: it always compresses without
    context takeover, and accepts the client's client_no_context_takeover."""
    s = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    if req_bits:
        s += f"; server_max_window_bits={req_bits}"
    return s


def _desc(length, count, autofrag):
    return (f"Send {count} compressed messages each of payload size {length}, auto-fragment "
            f"to {autofrag} octets (Autobahn: 1000)")


def group12():
    out = []
    for j, (name, desc, binary, _) in enumerate(TESTDATA, 1):
        for i, (length, _, autofrag) in enumerate(MSG_SIZES, 1):
            n = scaled_count(length)
            out.append(Case(
                f"12.{j}.{i}",
                f"{desc} ({'binary' if binary else 'utf8'}): {_desc(length, n, autofrag)}. "
                f"Use default permessage-deflate offer: echo intact.",
                deflate_case([offer_string(False, 0)], wsx_answer(False, 0), name, length, n,
                             autofrag)))
    return out


def group13():
    out = []
    for j, offers in enumerate(DEFLATE_PARAMS, 1):
        shown = ", ".join(f"({nct}, {bits})" for nct, bits in offers)
        for i, (length, _, autofrag) in enumerate(MSG_SIZES, 1):
            n = scaled_count(length)
            out.append(Case(
                f"13.{j}.{i}",
                f"Large JSON data file (utf8): {_desc(length, n, autofrag)}. Client offers "
                f"(requestNoContextTakeover, requestMaxWindowBits): [{shown}]: echo intact.",
                deflate_case([offer_string(*o) for o in offers], wsx_answer(*offers[0]),
                             "json_data1", length, n, autofrag)))
    return out


def all_cases():
    cases = group12() + group13()
    for c in cases:
        c.deflate = True  # run against the permessage_deflate channel
    return cases
