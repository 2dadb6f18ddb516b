"""RFC 6455 on the wire: frames built by hand with struct over a plain socket, and
the close code read from the server's close frame. After the server's close the
test answers it (as a client should) and reads until EOF: the server must close TCP."""
import os
import struct
import threading

import pytest

from wsxlib import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, RSV1, RSV2, RSV3,
                    RawWs, close_payload, frame)

SMALL_MAX = 1000


@pytest.fixture(scope="module")
def port(wsx):
    """A raw demo.echo channel with the default limit (1 MiB)."""
    ch = wsx.create_channel(_path="/rfc")
    yield ch["port"]
    wsx.api("DELETE", f"/api/v1/channels/{ch['id']}")


@pytest.fixture(scope="module")
def small_port(wsx):
    """A channel whose max_message_size is 1000 bytes."""
    ch = wsx.create_channel(_path="/rfc", max_message_size=SMALL_MAX)
    yield ch["port"]
    wsx.api("DELETE", f"/api/v1/channels/{ch['id']}")


@pytest.fixture
def ws(port):
    with RawWs(port, "/rfc") as c:
        yield c


def echo_ok(ws, opcode, payload):
    ws.send_frame(opcode, payload)
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (opcode, payload)


# --------------------------------------------------------------------------- valid traffic

def test_echo_all_length_encodings(ws):
    for n in (0, 1, 125, 126, 127, 65535, 65536, 200_000):
        payload = os.urandom(n)
        echo_ok(ws, OP_BINARY, payload)
        echo_ok(ws, OP_TEXT, b"t" * n)
    ws.send_frame(OP_CLOSE, close_payload(1000))
    ws.expect_close(1000, reply=False)


def test_pipelined_messages_are_answered_in_order(ws):
    msgs = [f"message {i}".encode() for i in range(200)]
    ws.send(b"".join(frame(OP_TEXT, m) for m in msgs))
    for m in msgs:
        assert ws.recv_message().payload == m


def test_frame_split_over_many_writes(ws):
    data = frame(OP_TEXT, b"dribbled " * 50)
    for i in range(0, len(data), 7):
        ws.send(data[i:i + 7])
    assert ws.recv_message().payload == b"dribbled " * 50


def test_fragmented_messages_are_reassembled(ws):
    ws.send_frame(OP_BINARY, b"\x00\x01", fin=False)
    ws.send_frame(OP_CONT, b"", fin=False)
    ws.send_frame(OP_CONT, b"\x02\xff", fin=True)
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (OP_BINARY, b"\x00\x01\x02\xff")
    ws.send_frame(OP_TEXT, b"fra", fin=False)
    ws.send_frame(OP_CONT, b"gmen", fin=False)
    ws.send_frame(OP_CONT, b"ted", fin=True)
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (OP_TEXT, b"fragmented")


@pytest.mark.parametrize("opcode", [OP_TEXT, OP_BINARY])
def test_fragmented_message_starting_with_an_empty_frame(ws, opcode):
    """An empty first fragment is legal (RFC 6455 5.4 puts no lower bound on a
    fragment's length)."""
    ws.send_frame(opcode, b"", fin=False)
    ws.send_frame(OP_CONT, b"abc", fin=True)
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (opcode, b"abc")
    ws.send_frame(opcode, b"", fin=False)
    ws.send_frame(OP_CONT, b"", fin=False)
    ws.send_frame(OP_CONT, b"", fin=True)
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (opcode, b"")


def test_ping_gets_pong_with_the_same_payload(ws):
    for payload in (b"", b"ping!", os.urandom(125)):
        ws.send_frame(OP_PING, payload)
        f = ws.recv_frame()
        assert (f.opcode, f.fin, f.payload) == (OP_PONG, True, payload)


def test_unsolicited_pong_is_ignored(ws):
    ws.send_frame(OP_PONG, b"nobody asked")
    echo_ok(ws, OP_TEXT, b"still fine")


def test_control_frames_between_fragments(ws):
    ws.send_frame(OP_TEXT, b"one ", fin=False)
    ws.send_frame(OP_PING, b"in the middle")
    f = ws.recv_frame()
    assert (f.opcode, f.payload) == (OP_PONG, b"in the middle"), "the pong comes at once"
    ws.send_frame(OP_CONT, b"two ", fin=False)
    ws.send_frame(OP_PONG, b"unsolicited")
    ws.send_frame(OP_PING, b"again")
    ws.send_frame(OP_CONT, b"three", fin=True)
    f = ws.recv_frame()
    assert (f.opcode, f.payload) == (OP_PONG, b"again")
    f = ws.recv_message()
    assert (f.opcode, f.payload) == (OP_TEXT, b"one two three")


def test_binary_with_invalid_utf8_is_fine(ws):
    echo_ok(ws, OP_BINARY, b"\xff\xfe\xc0\xaf\xed\xa0\x80")
    ws.send_frame(OP_BINARY, b"\xff", fin=False)
    ws.send_frame(OP_CONT, b"\xc0", fin=True)
    assert ws.recv_message().payload == b"\xff\xc0"


def test_utf8_sequence_split_across_fragments_is_valid(ws):
    smile = "\U0001F600".encode()  # F0 9F 98 80
    ws.send_frame(OP_TEXT, b"ab" + smile[:2], fin=False)
    ws.send_frame(OP_CONT, smile[2:3], fin=False)
    ws.send_frame(OP_CONT, smile[3:] + b"cd", fin=True)
    f = ws.recv_message()
    assert (f.opcode, f.payload.decode()) == (OP_TEXT, "ab\U0001F600cd")
    echo_ok(ws, OP_TEXT, "zażółć \u20ac \U0010FFFF".encode())


# --------------------------------------------------------------------------- closing

@pytest.mark.parametrize("code", [1000, 1001, 3000, 4999])
def test_valid_close_code_is_echoed(ws, code):
    ws.send_frame(OP_CLOSE, close_payload(code, b"bye"))
    ws.expect_close(code, reply=False)


def test_empty_close_gets_an_empty_close(ws):
    ws.send_frame(OP_CLOSE, b"")
    f = ws.recv_frame()
    assert (f.opcode, f.payload) == (OP_CLOSE, b""), f
    ws.expect_eof()


def test_server_closes_tcp_even_if_the_client_never_answers(ws):
    ws.send_frame(OP_TEXT, b"\xff")
    ws.expect_close(1007, reply=False)


def test_nothing_is_processed_after_a_close(ws):
    ws.send(frame(OP_CLOSE, close_payload(1000)) + frame(OP_TEXT, b"too late"))
    ws.expect_close(1000, reply=False)


# --------------------------------------------------------------------------- 1002

def test_unmasked_client_frame(ws):
    ws.send_frame(OP_TEXT, b"naked", mask=False)
    ws.expect_close(1002)


@pytest.mark.parametrize("rsv", [RSV1, RSV2, RSV3], ids=["RSV1", "RSV2", "RSV3"])
def test_rsv_bit_set(ws, rsv):
    ws.send_frame(OP_TEXT, b"reserved", rsv=rsv)
    ws.expect_close(1002)


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF],
                         ids=lambda o: f"op{o:#x}")
def test_reserved_opcode(ws, opcode):
    ws.send_frame(opcode, b"?")
    ws.expect_close(1002)


def test_fragmented_control_frame(ws):
    ws.send_frame(OP_PING, b"half a ping", fin=False)
    ws.expect_close(1002)


@pytest.mark.parametrize("opcode", [OP_PING, OP_PONG, OP_CLOSE])
def test_control_frame_with_126_byte_payload(ws, opcode):
    payload = close_payload(1000, b"r" * 124) if opcode == OP_CLOSE else b"p" * 126
    assert len(payload) == 126
    ws.send_frame(opcode, payload)
    ws.expect_close(1002)


def test_continuation_with_nothing_to_continue(ws):
    ws.send_frame(OP_CONT, b"orphan", fin=True)
    ws.expect_close(1002)


@pytest.mark.parametrize("second", [OP_TEXT, OP_BINARY])
def test_new_data_frame_during_a_fragmented_message(ws, second):
    ws.send_frame(OP_TEXT, b"begun", fin=False)
    ws.send_frame(second, b"interloper", fin=True)
    ws.expect_close(1002)


def test_close_payload_of_one_byte(ws):
    ws.send_frame(OP_CLOSE, b"\x03")
    ws.expect_close(1002)


@pytest.mark.parametrize("code", [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])
def test_invalid_close_code(ws, code):
    ws.send_frame(OP_CLOSE, close_payload(code))
    ws.expect_close(1002)


def test_64_bit_length_with_the_top_bit_set(ws):
    hdr = struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 63) + os.urandom(4)
    ws.send(hdr)
    ws.expect_close(1002)


# --------------------------------------------------------------------------- 1007

@pytest.mark.parametrize("payload", [
    b"\xff",
    b"abc\xc0\xaf",                # overlong '/'
    b"\xed\xa0\x80",               # a UTF-16 surrogate
    b"\xf4\x90\x80\x80",           # above U+10FFFF
    b"\xe2\x82",                   # truncated at the end of the message
    b"ok\x80",                     # a lone continuation byte
], ids=["ff", "overlong", "surrogate", "above-max", "truncated", "lone-continuation"])
def test_invalid_utf8_in_a_text_frame(ws, payload):
    ws.send_frame(OP_TEXT, payload)
    ws.expect_close(1007)


def test_invalid_utf8_fails_fast_across_fragments(ws):
    """The bad byte is in the 2nd fragment of 3: the close must come before the 3rd
    fragment is sent."""
    ws.send_frame(OP_TEXT, b"valid start ", fin=False)
    ws.send_frame(OP_CONT, b"then \xc3\x28 bad", fin=False)
    ws.expect_close(1007)  # the 3rd fragment was never sent


def test_utf8_truncated_at_the_last_fragment(ws):
    ws.send_frame(OP_TEXT, b"abc", fin=False)
    ws.send_frame(OP_CONT, b"\xf0\x9f\x98", fin=True)
    ws.expect_close(1007)


def test_invalid_utf8_in_the_close_reason(ws):
    ws.send_frame(OP_CLOSE, close_payload(1000, b"bad \xff reason"))
    ws.expect_close(1007)


# --------------------------------------------------------------------------- 1009

def test_message_over_max_size_in_one_frame(small_port):
    with RawWs(small_port, "/rfc") as ws:
        echo_ok(ws, OP_BINARY, b"b" * SMALL_MAX)
        ws.send_frame(OP_TEXT, b"x" * (SMALL_MAX + 1))
        ws.expect_close(1009)


def test_message_over_max_size_across_fragments(small_port):
    with RawWs(small_port, "/rfc") as ws:
        ws.send_frame(OP_BINARY, b"a" * 600, fin=False)
        ws.send_frame(OP_CONT, b"b" * 600, fin=False)
        ws.expect_close(1009)  # refused before the message is complete


def test_fragments_within_max_size_are_fine(small_port):
    with RawWs(small_port, "/rfc") as ws:
        ws.send_frame(OP_TEXT, b"a" * 500, fin=False)
        ws.send_frame(OP_CONT, b"b" * 500, fin=True)
        assert ws.recv_message().payload == b"a" * 500 + b"b" * 500


# --------------------------------------------------------------------------- pings

def test_server_pings_and_closes_4002_when_pings_go_unanswered(channel):
    """ping_interval applies to raw channels (WSX-PROTOCOL.md 8): a client that never
    answers the server's pings is closed with 4002 after pings_missed_threshold misses,
    while one that answers them stays open."""
    ch = channel(ping_interval=1, pings_missed_threshold=2, _path="/rfc")
    silent = RawWs(ch["port"], "/rfc")
    polite = RawWs(ch["port"], "/rfc")
    stop = threading.Event()
    answered = []

    def answer_pings():
        while not stop.is_set():
            try:
                f = polite.recv_frame(timeout=0.3)
            except AssertionError:
                continue  # nothing within 0.3 s
            except EOFError:
                return
            if f.opcode == OP_PING:
                polite.send_frame(OP_PONG, f.payload)
                answered.append(f)
            else:
                answered.append(f)
                return

    t = threading.Thread(target=answer_pings, daemon=True)
    t.start()
    try:
        pings = 0
        while True:
            f = silent.recv_frame(timeout=30)
            if f.opcode != OP_PING:
                break
            pings += 1
        assert f.opcode == OP_CLOSE and f.close_code() == 4002, f
        assert pings >= 1, "the server closed without pinging first"
        silent.send_frame(OP_CLOSE, f.payload[:2])
        silent.expect_eof()
        stop.set()
        t.join(10)
        assert all(a.opcode == OP_PING for a in answered), answered
        # the polite client is still served
        polite.send_frame(OP_TEXT, b"still here")
        while True:
            f = polite.recv_frame()
            if f.opcode != OP_PING:
                break
            polite.send_frame(OP_PONG, f.payload)
        assert (f.opcode, f.payload) == (OP_TEXT, b"still here")
    finally:
        stop.set()
        silent.sock.close()
        polite.sock.close()
