"""cases - the Autobahn|Testsuite case groups 1-7, 9 and 10, written again from their
published descriptions: each case is an id, Autobahn's description, the grade we
expect (OK / NON-STRICT / INFORMATIONAL) and a function that runs it against a port
and returns (grade, what came back). Autobahn's grading rules, as published:
- a case whose expectation is an echo or a pong passes when exactly those frames come
  back, then a clean close (the server echoes our 1000 and closes TCP);
- a case whose expectation is "the connection is failed immediately" passes when the
  server closes with the expected code or drops TCP, and sends nothing it should not;
  where the server may answer earlier frames first, answering them is OK and failing
  before them is NON-STRICT;
- 2.10/2.11: all ten pongs OK, only some NON-STRICT; 6.4.x: failing at the bad
  fragment/chop OK, only at the end of the message NON-STRICT."""
import time

from wsclient import Conn, frame

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
OK, NON_STRICT, INFO, FAILED = "OK", "NON-STRICT", "INFORMATIONAL", "FAILED"


class Case:
    def __init__(self, cid, desc, run, expected=OK, group=None):
        self.id, self.desc, self.run, self.expected = cid, desc, run, expected
        self.group = group or int(cid.split(".")[0])
        self.result, self.detail, self.seconds = None, "", 0.0

    def passed(self):
        """The grade stated, or better: OK where NON-STRICT was stated."""
        return self.result == self.expected or (self.expected == NON_STRICT and self.result == OK)

    def sort_key(self):
        return tuple(int(x) for x in self.id.split("."))


def show(frames, limit=6):
    s = ", ".join(repr(f) for f in frames[:limit])
    if len(frames) > limit:
        s += f", ... ({len(frames)} frames)"
    return "[" + s + "]"


def ending(c, outcome):
    if outcome == "closed":
        return f"close {c.close_code()} then TCP closed"
    return {"dropped": "TCP dropped without a close frame",
            "no-tcp-close": f"close {c.close_code()} but TCP left open",
            "timeout": "no close and no TCP close"}[outcome]


def echo_case(frames, expected, mode="one", codes=(1000,), close=b"\x03\xe8", timeout=None,
              per_frame=None):
    """Send frames, expect exactly `expected` [(opcode, payload)], then close with
    `close` and expect a clean close with a code in `codes` (None: an empty close)."""
    def run(port):
        c = Conn(port, timeout=timeout or 4.0)
        try:
            if per_frame:
                per_frame(c)
            else:
                c.send_frames(frames, mode)
            got = c.read(len(expected))
            c.send_close(close)
            rest, outcome = c.finish()
            got += rest
            keys = [f.key() for f in got]
            detail = f"got {show(got)}; {ending(c, outcome)}"
            if keys != [(o, bytes(p)) for o, p in expected]:
                return FAILED, "unexpected frames: " + detail
            if outcome != "closed" or c.close_code() not in codes:
                return FAILED, "not a clean close: " + detail
            return OK, detail
        finally:
            c.close()
    return run


def fail_case(frames, before=(), mode="one", codes=(1002,), nonstrict_early=True, setup=None):
    """Send frames; the server must fail the connection: a close with a code in
    `codes` (or a TCP drop). `before`: the frames it may answer first."""
    before = [(o, bytes(p)) for o, p in before]

    def run(port):
        c = Conn(port)
        try:
            if setup:
                setup(c)
            c.send_frames(frames, mode)
            got, outcome = c.finish()
            keys = [f.key() for f in got]
            detail = f"got {show(got)}; {ending(c, outcome)}"
            if outcome in ("timeout", "no-tcp-close"):
                return FAILED, "the connection was not failed: " + detail
            if outcome == "closed" and c.close_code() not in codes:
                return FAILED, f"close code {c.close_code()}, expected {codes}: " + detail
            if keys == before:
                return OK, detail
            if nonstrict_early and before and keys == before[:len(keys)]:
                return NON_STRICT, "failed before answering the earlier frames: " + detail
            return FAILED, "unexpected frames: " + detail
        finally:
            c.close()
    return run


# --------------------------------------------------------------------------- group 1

def group1():
    out = []
    sizes = [0, 125, 126, 127, 128, 65535, 65536]
    for sub, op, byte, kind in ((1, OP_TEXT, b"*", "text"), (2, OP_BINARY, b"\xfe", "binary")):
        for i, n in enumerate(sizes, 1):
            p = byte * n
            out.append(Case(f"1.{sub}.{i}", f"Send {kind} message with payload length {n}.",
                            echo_case([frame(op, p)], [(op, p)])))
        p = byte * 65536
        out.append(Case(f"1.{sub}.8", f"Send {kind} message with payload length 65536, sent "
                        f"in chops of 997 octets.", echo_case([frame(op, p)], [(op, p)], mode=997)))
    return out


# --------------------------------------------------------------------------- group 2

def group2():
    out = []
    add = lambda cid, desc, run, exp=OK: out.append(Case(cid, desc, run, exp))  # noqa: E731
    add("2.1", "Send ping without payload.", echo_case([frame(OP_PING)], [(OP_PONG, b"")]))
    add("2.2", "Send ping with small text payload.",
        echo_case([frame(OP_PING, b"Hello, world!")], [(OP_PONG, b"Hello, world!")]))
    b = b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"
    add("2.3", "Send ping with small binary (non UTF-8) payload.",
        echo_case([frame(OP_PING, b)], [(OP_PONG, b)]))
    add("2.4", "Send ping with binary payload of 125 octets.",
        echo_case([frame(OP_PING, b"\xfe" * 125)], [(OP_PONG, b"\xfe" * 125)]))
    add("2.5", "Send ping with binary payload of 126 octets (control frames are limited to "
        "125): the connection is failed immediately.", fail_case([frame(OP_PING, b"\xfe" * 126)]))
    add("2.6", "Send ping with binary payload of 125 octets, sent in octet-wise chops.",
        echo_case([frame(OP_PING, b"\xfe" * 125)], [(OP_PONG, b"\xfe" * 125)], mode="octet"))
    add("2.7", "Send unsolicited pong without payload: nothing comes back.",
        echo_case([frame(OP_PONG)], []))
    add("2.8", "Send unsolicited pong with payload: nothing comes back.",
        echo_case([frame(OP_PONG, b"unsolicited pong payload")], []))
    add("2.9", "Send unsolicited pong with payload, then ping with payload: only the pong "
        "for the ping comes back.",
        echo_case([frame(OP_PONG, b"unsolicited pong payload"), frame(OP_PING, b"ping payload")],
                  [(OP_PONG, b"ping payload")]))
    for cid, mode, how in (("2.10", "one", ""), ("2.11", "octet", ", sent in octet-wise chops")):
        pings = [f"payload-{i}".encode() for i in range(10)]
        add(cid, f"Send 10 pings with payload{how}: pongs for all of them (Autobahn: all "
            f"OK, fewer NON-STRICT).", ten_pings(pings, mode))
    return out


def ten_pings(pings, mode):
    """All ten pongs, in order: OK; pongs for some of the pings only (Autobahn allows a
    server to answer only the latest ping): NON-STRICT; anything else: FAILED."""
    def run(port):
        c = Conn(port)
        try:
            c.send_frames([frame(OP_PING, p) for p in pings], mode)
            got = c.read(len(pings))
            c.send_close()
            rest, outcome = c.finish()
            got += rest
            detail = f"got {show(got)}; {ending(c, outcome)}"
            if outcome != "closed" or c.close_code() != 1000:
                return FAILED, "not a clean close: " + detail
            keys = [f.key() for f in got]
            want = [(OP_PONG, p) for p in pings]
            if keys == want:
                return OK, detail
            it = iter(want)
            if keys and all(k in it for k in keys):  # an ordered subset of the pongs
                return NON_STRICT, "only some pongs: " + detail
            return FAILED, "unexpected frames: " + detail
        finally:
            c.close()
    return run


# --------------------------------------------------------------------------- group 3

def group3():
    out = []
    hello = b"Hello, world!"
    out.append(Case("3.1", "Send small text message with RSV = 1: the connection is failed "
                    "immediately.", fail_case([frame(OP_TEXT, hello, rsv=1)])))
    for cid, rsv, mode, how in (("3.2", 2, "one", ""), ("3.3", 3, "frame", " Frame-wise chops."),
                                ("3.4", 4, "octet", " Octet-wise chops.")):
        out.append(Case(cid, f"Send small text message, then again with RSV = {rsv}, then "
                        f"ping.{how} Echo of the first, then the connection is failed; no pong.",
                        fail_case([frame(OP_TEXT, hello), frame(OP_TEXT, hello, rsv=rsv),
                                   frame(OP_PING, hello)], [(OP_TEXT, hello)], mode)))
    out.append(Case("3.5", "Send small binary message with RSV = 5: failed immediately.",
                    fail_case([frame(OP_BINARY, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5)])))
    out.append(Case("3.6", "Send ping with RSV = 6: failed immediately.",
                    fail_case([frame(OP_PING, hello, rsv=6)])))
    out.append(Case("3.7", "Send close with RSV = 7: failed immediately.",
                    fail_case([frame(OP_CLOSE, b"\x03\xe8", rsv=7)])))
    return out


# --------------------------------------------------------------------------- group 4

def group4():
    out = []
    hello = b"Hello, world!"
    for sub, ops, kind in ((1, (3, 4, 5, 6, 7), "non-control"),
                           (2, (11, 12, 13, 14, 15), "control")):
        for i, op in enumerate(ops, 1):
            cid = f"4.{sub}.{i}"
            payload = b"" if i in (1, 3) else b"reserved opcode payload"
            with_p = "" if not payload else " and non-empty payload"
            if i <= 2:
                out.append(Case(cid, f"Send frame with reserved {kind} opcode = {op}{with_p}: "
                                f"failed immediately.", fail_case([frame(op, payload)])))
            else:
                out.append(Case(cid, f"Send small text message, then frame with reserved {kind} "
                                f"opcode = {op}{with_p}, then ping: echo of the text, then failed; "
                                f"no pong.", fail_case([frame(OP_TEXT, hello), frame(op, payload),
                                                        frame(OP_PING, hello)],
                                                       [(OP_TEXT, hello)])))
    return out


# --------------------------------------------------------------------------- group 5

def group5():
    out = []
    add = lambda cid, desc, run, exp=OK: out.append(Case(cid, desc, run, exp))  # noqa: E731
    f1, f2 = b"fragment1", b"fragment2"
    add("5.1", "Send ping fragmented into 2 fragments: failed immediately.",
        fail_case([frame(OP_PING, f1, fin=False), frame(OP_CONT, f2)]))
    add("5.2", "Send pong fragmented into 2 fragments: failed immediately.",
        fail_case([frame(OP_PONG, f1, fin=False), frame(OP_CONT, f2)]))
    two = [frame(OP_TEXT, f1, fin=False), frame(OP_CONT, f2)]
    for cid, mode, how in (("5.3", "one", ""), ("5.4", "frame", ", each frame sent on its own "
                                                "(SYNC)"), ("5.5", "octet", ", in octet-wise chops")):
        add(cid, f"Send text message fragmented into 2 fragments{how}: echo.",
            echo_case(two, [(OP_TEXT, f1 + f2)], mode))
    withping = [frame(OP_TEXT, f1, fin=False), frame(OP_PING, b"pongme!"), frame(OP_CONT, f2)]
    for cid, mode, how in (("5.6", "one", ""), ("5.7", "octet", ", in octet-wise chops"),
                           ("5.8", "frame", ", each frame sent on its own (SYNC)")):
        add(cid, f"Send text message fragmented into 2 fragments, one ping with payload "
            f"in-between{how}: the pong, then the echo.",
            echo_case(withping, [(OP_PONG, b"pongme!"), (OP_TEXT, f1 + f2)], mode))
    orphan_fin = [frame(OP_CONT, b"non-continuation payload"), frame(OP_TEXT, b"Hello, world!")]
    orphan_nofin = [frame(OP_CONT, b"non-continuation payload", fin=False),
                    frame(OP_TEXT, b"Hello, world!")]
    for base, frames, fin in ((9, orphan_fin, "True"), (12, orphan_nofin, "False")):
        for k, (mode, how) in enumerate((("one", "in one chop"), ("frame", "in per-frame chops"),
                                         ("octet", "in octet-wise chops"))):
            add(f"5.{base + k}", f"Send unfragmented text message after a continuation frame "
                f"with FIN = {fin} where there is nothing to continue, sent {how}: failed "
                f"immediately.", fail_case(frames, mode=mode))
    add("5.15", "Send text message fragmented into 2 fragments, then continuation frame with "
        "FIN = False where there is nothing to continue, then unfragmented text message, all "
        "in one chop: echo of the first message, then failed.",
        fail_case([frame(OP_TEXT, f1, fin=False), frame(OP_CONT, f2),
                   frame(OP_CONT, b"fragment3", fin=False), frame(OP_TEXT, b"fragment4")],
                  [(OP_TEXT, f1 + f2)]))
    rep16 = [frame(OP_CONT, f1, fin=False), frame(OP_CONT, f2),
             frame(OP_TEXT, b"fragment3", fin=False), frame(OP_CONT, b"fragment4")] * 2
    add("5.16", "Repeated 2x: continuation frame with FIN = False (nothing to continue), then "
        "with FIN = True, then text message in 2 fragments: failed immediately.",
        fail_case(rep16))
    rep17 = [frame(OP_CONT, f1), frame(OP_CONT, f2, fin=False),
             frame(OP_TEXT, b"fragment3", fin=False), frame(OP_CONT, b"fragment4")] * 2
    add("5.17", "Repeated 2x: continuation frame with FIN = True (nothing to continue), then "
        "with FIN = False, then text message in 2 fragments: failed immediately.",
        fail_case(rep17))
    add("5.18", "Send text message fragmented into 2 fragments, both frames with opcode text, "
        "in one chop: failed immediately.",
        fail_case([frame(OP_TEXT, f1, fin=False), frame(OP_TEXT, f2)]))
    for cid, mode, how in (("5.19", "one", ""), ("5.20", "frame", " Each frame sent on its "
                                                  "own (SYNC).")):
        add(cid, f"Send text message fragmented into 5 fragments, with 2 pings in-between and "
            f"waits.{how} Both pongs (each before the message ends), then the echo.",
            five_fragments(mode))
    return out


def five_fragments(mode):
    fr = [f"fragment{i}".encode() for i in range(1, 6)]

    def steps(c):
        c.send_frames([frame(OP_TEXT, fr[0], fin=False), frame(OP_CONT, fr[1], fin=False),
                       frame(OP_PING, b"pongme 1!")], mode)
        time.sleep(0.3)
        c.send_frames([frame(OP_CONT, fr[2], fin=False), frame(OP_CONT, fr[3], fin=False),
                       frame(OP_PING, b"pongme 2!")], mode)
        time.sleep(0.3)
        c.send_frames([frame(OP_CONT, fr[4])], mode)
    return echo_case(None, [(OP_PONG, b"pongme 1!"), (OP_PONG, b"pongme 2!"),
                            (OP_TEXT, b"".join(fr))], per_frame=steps)


# --------------------------------------------------------------------------- group 6

KOSME = bytes.fromhex("cebae1bdb9cf83cebcceb5")


def utf8_case(cid, desc, payload, valid):
    if valid:
        return Case(cid, f"{desc}: valid UTF-8 ({payload.hex() or 'empty'}), in one "
                    f"fragment: echo.", echo_case([frame(OP_TEXT, payload)], [(OP_TEXT, payload)]))
    return Case(cid, f"{desc}: invalid UTF-8 ({payload.hex()}), in one fragment: failed "
                f"immediately.", fail_case([frame(OP_TEXT, payload)], codes=(1007,)))


def group6():
    out = []
    add = lambda cid, desc, run, exp=OK: out.append(Case(cid, desc, run, exp))  # noqa: E731
    add("6.1.1", "Send text message of length 0: echo.",
        echo_case([frame(OP_TEXT, b"")], [(OP_TEXT, b"")]))
    add("6.1.2", "Send fragmented text message, 3 fragments each of length 0: echo.",
        echo_case([frame(OP_TEXT, b"", fin=False), frame(OP_CONT, b"", fin=False),
                   frame(OP_CONT, b"")], [(OP_TEXT, b"")]))
    add("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0: echo.",
        echo_case([frame(OP_TEXT, b"", fin=False), frame(OP_CONT, b"middle frame payload",
                                                         fin=False), frame(OP_CONT, b"")],
                  [(OP_TEXT, b"middle frame payload")]))
    hello = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    add("6.2.1", "Send a valid UTF-8 text message in one fragment: echo.",
        echo_case([frame(OP_TEXT, hello)], [(OP_TEXT, hello)]))
    cut = len("Hello-µ@".encode())
    add("6.2.2", "Send a valid UTF-8 text message in two fragments, split on a code point "
        "boundary: echo.", echo_case([frame(OP_TEXT, hello[:cut], fin=False),
                                      frame(OP_CONT, hello[cut:])], [(OP_TEXT, hello)]))
    for cid, msg in (("6.2.3", hello), ("6.2.4", KOSME)):
        frames = [frame(OP_TEXT if i == 0 else OP_CONT, msg[i:i + 1], fin=(i == len(msg) - 1))
                  for i in range(len(msg))]
        add(cid, f"Send a valid UTF-8 text message ({msg.hex()}) in fragments of 1 octet, "
            f"frames ending inside code points: echo.", echo_case(frames, [(OP_TEXT, msg)]))
    bad = KOSME + bytes.fromhex("eda080") + b"edited"
    add("6.3.1", f"Send invalid UTF-8 text message unfragmented ({bad.hex()}): failed "
        f"immediately.", fail_case([frame(OP_TEXT, bad)], codes=(1007,)))
    add("6.3.2", "Send the same invalid UTF-8 text message in fragments of 1 octet: failed.",
        fail_case([frame(OP_TEXT if i == 0 else OP_CONT, bad[i:i + 1], fin=(i == len(bad) - 1))
                   for i in range(len(bad))], codes=(1007,)))
    parts_a = (KOSME, bytes.fromhex("f4908080"), b"edited")
    parts_b = (KOSME + b"\xf4", b"\x90", bytes.fromhex("8080") + b"edited")
    add("6.4.1", "Invalid UTF-8 text message in 3 frames, waits between: the 2nd frame "
        "(f4908080, above U+10FFFF) must be refused at once (fail fast), not after the 3rd.",
        fail_fast(parts_a, frames=True))
    add("6.4.2", "As 6.4.1, the 2nd frame carrying only the octet that makes the payload "
        "invalid (f4 | 90 | 8080...): fail fast.", fail_fast(parts_b, frames=True))
    # NON-STRICT expected: wsx checks a frame's UTF-8 once the frame's payload is in,
    # not chop by chop (Autobahn grades failing at the end of the frame NON-STRICT)
    add("6.4.3", "As 6.4.1, but the 3 parts are chops of one frame: fail fast on the 2nd chop "
        "(OK), or once the frame is complete (NON-STRICT).", fail_fast(parts_a, frames=False),
        NON_STRICT)
    add("6.4.4", "As 6.4.2, but the 3 parts are chops of one frame: fail fast on the 2nd chop "
        "(OK), or once the frame is complete (NON-STRICT).", fail_fast(parts_b, frames=False),
        NON_STRICT)

    valid_seqs = [b"hello$world", "hello\u00a2world".encode(), "hello\u20acworld".encode(),
                  "hello\U00024b62world".encode(), KOSME]
    for i, s in enumerate(valid_seqs, 1):
        out.append(utf8_case(f"6.5.{i}", "Some valid UTF-8 sequences", s, True))
    for i in range(1, len(KOSME) + 1):
        pre = KOSME[:i]
        ok = i in (2, 5, 7, 9, 11)
        out.append(utf8_case(f"6.6.{i}", f"κόσμε, its first {i} octets", pre, ok))
    sections = [
        ("6.7", "First possible sequence of a certain length", True,
         ["00", "c280", "e0a080", "f0908080"]),
        ("6.8", "First possible sequence of length 5/6 (not UTF-8)", False,
         ["f888808080", "fc8480808080"]),
        ("6.9", "Last possible sequence of a certain length", True,
         ["7f", "dfbf", "efbfbf", "f48fbfbf"]),
        ("6.10", "Last possible sequence of length 4/5/6 (above U+10FFFF)", False,
         ["f7bfbfbf", "fbbfbfbfbf", "fdbfbfbfbfbf"]),
        ("6.11", "Other boundary conditions", None,
         [("ed9fbf", True), ("ee8080", True), ("efbfbd", True), ("f48fbfbf", True),
          ("f4908080", False)]),
        ("6.12", "Unexpected continuation bytes", False,
         ["80", "bf", "80bf", "80bf80", "80bf80bf", "80bf80bf80", "80bf80bf80bf",
          bytes(range(0x80, 0xBF)).hex()]),  # 80..be, as Autobahn sends it
        ("6.13", "Lonely start characters, each followed by a space", False,
         ["".join(f"{b:02x}20" for b in range(lo, hi)) for lo, hi in  # upper bound excluded,
          ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD))]),  # as Autobahn
        ("6.14", "Sequences with the last continuation byte missing", False,
         ["c0", "e080", "f08080", "f8808080", "fc80808080", "df", "efbf", "f7bfbf",
          "fbbfbfbf", "fdbfbfbfbf"]),
        ("6.15", "Concatenation of incomplete sequences", False,
         ["c0e080f08080f8808080fc80808080dfefbff7bfbffbbfbfbffdbfbfbfbf"]),
        ("6.16", "Impossible bytes", False, ["fe", "ff", "fefeffff"]),
        ("6.17", "Overlong ASCII character '/'", False,
         ["c0af", "e080af", "f08080af", "f8808080af", "fc80808080af"]),
        ("6.18", "Maximum overlong sequences", False,
         ["c1bf", "e09fbf", "f08fbfbf", "f887bfbfbf", "fc83bfbfbfbf"]),
        ("6.19", "Overlong NUL", False,
         ["c080", "e08080", "f0808080", "f880808080", "fc8080808080"]),
        ("6.20", "Single UTF-16 surrogates", False,
         ["eda080", "edadbf", "edae80", "edafbf", "edb080", "edbe80", "edbfbf"]),
        ("6.21", "Paired UTF-16 surrogates", False,
         ["eda080edb080", "eda080edbfbf", "edadbfedb080", "edadbfedbfbf", "edae80edb080",
          "edae80edbfbf", "edafbfedb080", "edafbfedbfbf"]),
        ("6.22", "Non-character code points (valid UTF-8)", True,
         ["efbfbe", "efbfbf"] + [chr(p).encode().hex() for plane in range(1, 17)
                                 for p in (plane * 0x10000 + 0xFFFE, plane * 0x10000 + 0xFFFF)]),
        ("6.23", "Unicode specials (valid UTF-8)", True,
         ["efbfb9", "efbfba", "efbfbb", "efbfbc", "efbfbd", "efbfbe", "efbfbf"]),
    ]
    for sec, desc, valid, seqs in sections:
        for i, s in enumerate(seqs, 1):
            hexs, ok = s if valid is None else (s, valid)
            out.append(utf8_case(f"{sec}.{i}", desc, bytes.fromhex(hexs), ok))
    return out


def fail_fast(parts, frames):
    """Send part 1, wait, part 2, wait (the close should come here), part 3. OK: failed
    with 1007 right after part 2; NON-STRICT: only after part 3."""
    def run(port):
        c = Conn(port)
        try:
            if frames:
                chunks = [frame(OP_TEXT, parts[0], fin=False), frame(OP_CONT, parts[1], fin=False),
                          frame(OP_CONT, parts[2])]
            else:
                whole = frame(OP_TEXT, b"".join(parts))
                h = len(whole) - len(b"".join(parts))
                a, b = h + len(parts[0]), h + len(parts[0]) + len(parts[1])
                chunks = [whole[:a], whole[a:b], whole[b:]]
            c.send(chunks[0])
            early = c.read(1, timeout=0.5)
            if early or c.close_got is not None or c.eof:
                return FAILED, f"after the valid first part: {show(early)}, close {c.close_code()}"
            c.send(chunks[1])
            c.read(1, timeout=1.0)
            fast = c.close_got is not None or c.eof
            if not fast:
                c.send(chunks[2])
            got, outcome = c.finish()
            detail = (f"{'failed at the 2nd part' if fast else 'not failed at the 2nd part'}; "
                      f"got {show(got)}; {ending(c, outcome)}")
            if got or outcome in ("timeout", "no-tcp-close") or \
                    (outcome == "closed" and c.close_code() != 1007):
                return FAILED, detail
            return (OK if fast else NON_STRICT), detail
        finally:
            c.close()
    return run


# --------------------------------------------------------------------------- group 7

def group7():
    out = []
    add = lambda cid, desc, run, exp=OK: out.append(Case(cid, desc, run, exp))  # noqa: E731
    hello = b"Hello World!"
    close1000 = frame(OP_CLOSE, b"\x03\xe8")
    add("7.1.1", "Send a message followed by a close frame: the echo, then a clean close.",
        close_case([frame(OP_TEXT, hello), close1000], [(OP_TEXT, hello)]))
    add("7.1.2", "Send two close frames: a clean close; the second close is ignored.",
        close_case([close1000, close1000], []))
    add("7.1.3", "Send a ping after the close frame: a clean close, no pong.",
        close_case([close1000, frame(OP_PING, hello)], []))
    add("7.1.4", "Send a text message after the close frame: a clean close, no echo.",
        close_case([close1000, frame(OP_TEXT, hello)], []))
    add("7.1.5", "Send message fragment 1, then a close, then fragment 2: a clean close, no "
        "message.", close_case([frame(OP_TEXT, b"fragment1", fin=False), close1000,
                                frame(OP_CONT, b"fragment2")], []))
    big = b"BAsd7&jh23" * 26214 + b"BAsd"
    add("7.1.6", "Send a 256 KiB message, then a close, then a ping: outcome implementation "
        "defined (the echo and the pong may come back), then a clean close.",
        informational([frame(OP_TEXT, big), close1000, frame(OP_PING, hello)]), INFO)
    add("7.3.1", "Send a close frame with payload length 0 (no code, no reason): a clean close.",
        close_case([frame(OP_CLOSE, b"")], [], codes=(None, 1000)))
    add("7.3.2", "Send a close frame with payload length 1: protocol error (1002) or dropped "
        "TCP.", fail_case([frame(OP_CLOSE, b"\x03")]))
    add("7.3.3", "Send a close frame with payload length 2 (a code, 1000): a clean close.",
        close_case([close1000], []))
    add("7.3.4", "Send a close frame with a code and a reason: a clean close.",
        close_case([frame(OP_CLOSE, b"\x03\xe8" + hello)], []))
    add("7.3.5", "Send a close frame with a code and a reason of the maximum length (123): a "
        "clean close.", close_case([frame(OP_CLOSE, b"\x03\xe8" + b"*" * 123)], []))
    add("7.3.6", "Send a close frame with a code and a reason of 124 octets (payload 126, too "
        "long): protocol error (1002) or dropped TCP.",
        fail_case([frame(OP_CLOSE, b"\x03\xe8" + b"*" * 124)]))
    bad = KOSME + bytes.fromhex("eda080") + b"edited"
    add("7.5.1", "Send a close frame with an invalid UTF-8 reason: 1002 or 1007, or dropped "
        "TCP.", fail_case([frame(OP_CLOSE, b"\x03\xe8" + bad)], codes=(1002, 1007)))
    valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]
    for i, code in enumerate(valid, 1):
        add(f"7.7.{i}", f"Send a close frame with the valid close code {code}: a clean close with "
            f"{code} echoed or 1000.", close_case([frame(OP_CLOSE, code.to_bytes(2, "big"))], [],
                                                  codes=(code, 1000)))
    invalid = [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999]
    for i, code in enumerate(invalid, 1):
        add(f"7.9.{i}", f"Send a close frame with the invalid close code {code}: protocol error "
            f"(1002) or dropped TCP.", fail_case([frame(OP_CLOSE, code.to_bytes(2, "big"))]))
    for i, code in enumerate((5000, 65535), 1):
        add(f"7.13.{i}", f"Send a close frame with the close code {code} (outside every range "
            f"RFC 6455 defines): implementation defined.",
            informational([frame(OP_CLOSE, code.to_bytes(2, "big"))], answer=True), INFO)
    return out


def close_case(frames, expected, codes=(1000,)):
    """The client's frames include its close: expect `expected`, then the server's close
    (a code in `codes`) and the end of TCP."""
    expected = [(o, bytes(p)) for o, p in expected]

    def run(port):
        c = Conn(port)
        try:
            c.close_sent = True
            c.send_frames(frames)
            got, outcome = c.finish()
            detail = f"got {show(got)}; {ending(c, outcome)}"
            if [f.key() for f in got] != expected:
                return FAILED, "unexpected frames: " + detail
            if outcome != "closed" or c.close_code() not in codes:
                return FAILED, "not a clean close: " + detail
            return OK, detail
        finally:
            c.close()
    return run


def informational(frames, answer=False):
    """Record what the server does; any orderly outcome is INFORMATIONAL, but a server
    that neither closes nor drops the connection still fails. answer: our close was not
    a valid one, so answer the server's close as a client must."""
    def run(port):
        c = Conn(port)
        try:
            c.close_sent = not answer
            c.send_frames(frames)
            got, outcome = c.finish()
            detail = f"got {show(got)}; {ending(c, outcome)}"
            if outcome in ("timeout", "no-tcp-close"):
                return FAILED, detail
            return INFO, detail
        finally:
            c.close()
    return run


# --------------------------------------------------------------------------- group 9

def group9():
    out = []
    KB, MB = 1 << 10, 1 << 20
    sizes = [64 * KB, 256 * KB, 1 * MB, 4 * MB, 8 * MB, 16 * MB]
    hs = lambda n: f"{n // MB} MiB" if n >= MB else f"{n // KB} KiB"  # noqa: E731
    for sub, op, kind in ((1, OP_TEXT, "text"), (2, OP_BINARY, "binary")):
        for i, n in enumerate(sizes, 1):
            p = (b"*" if op == OP_TEXT else b"\xfe") * n
            out.append(Case(f"9.{sub}.{i}", f"Send {kind} message with payload of {hs(n)}: echo.",
                            echo_case([frame(op, p)], [(op, p)], timeout=60)))
    frags = [64, 256, KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, MB, 4 * MB]
    for sub, op, kind in ((3, OP_TEXT, "text"), (4, OP_BINARY, "binary")):
        for i, fs in enumerate(frags, 1):
            out.append(Case(f"9.{sub}.{i}", f"Send fragmented {kind} message of 4 MiB in "
                            f"fragments of {fs} octets: echo.", fragmented(op, 4 * MB, fs)))
    chops = [64, 128, 256, 512, 1024, 2048]
    for sub, op, kind in ((5, OP_TEXT, "text"), (6, OP_BINARY, "binary")):
        for i, ch in enumerate(chops, 1):
            p = (b"*" if op == OP_TEXT else b"\xfe") * MB
            out.append(Case(f"9.{sub}.{i}", f"Send {kind} message of 1 MiB in chops of {ch} "
                            f"octets: echo.", echo_case([frame(op, p)], [(op, p)], mode=ch,
                                                        timeout=60)))
    rt = [0, 16, 64, 256, 1024, 4096]
    for sub, op, kind in ((7, OP_TEXT, "text"), (8, OP_BINARY, "binary")):
        for i, n in enumerate(rt, 1):
            out.append(Case(f"9.{sub}.{i}", f"Send 1000 {kind} messages of {n} octets one after "
                            f"the other: 1000 echoes (round-trip time not measured here).",
                            round_trips(op, n)))
    return out


def fragmented(op, total, fsize):
    kind = b"*" if op == OP_TEXT else b"\xfe"
    chunk = kind * fsize

    def run(port):
        n = total // fsize
        frames = [frame(op if i == 0 else OP_CONT, chunk, fin=(i == n - 1)) for i in range(n)]
        return echo_case(frames, [(op, kind * total)], timeout=60)(port)
    return run


def round_trips(op, size):
    payload = (b"*" if op == OP_TEXT else b"\xfe") * size

    def run(port):
        c = Conn(port, timeout=10)
        try:
            for i in range(1000):
                c.send(frame(op, payload))
                got = c.read(1)
                if [f.key() for f in got] != [(op, payload)]:
                    return FAILED, f"message {i}: got {show(got)}, close {c.close_code()}"
            c.send_close()
            rest, outcome = c.finish()
            if rest or outcome != "closed" or c.close_code() != 1000:
                return FAILED, f"after 1000 echoes: {show(rest)}; {ending(c, outcome)}"
            return OK, f"1000 echoes; {ending(c, outcome)}"
        finally:
            c.close()
    return run


# --------------------------------------------------------------------------- group 10

def group10():
    p = b"*" * 65536
    frames = [frame(OP_TEXT if i == 0 else OP_CONT, p[i:i + 1300], fin=(i + 1300 >= len(p)))
              for i in range(0, len(p), 1300)]
    assert len(frames) == 51
    return [Case("10.1.1", "Send text message with payload of length 65536 auto-fragmented "
                 "into frames of 1300 octets (51 frames): echo.",
                 echo_case(frames, [(OP_TEXT, p)]))]


def all_cases():
    cases = group1() + group2() + group3() + group4() + group5() + group6() + group7() + \
        group9() + group10()
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    return cases
