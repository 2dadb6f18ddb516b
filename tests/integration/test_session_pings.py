"""WSX-PROTOCOL.md section 5a: after login the server PINGs every ping_interval seconds
with a compact JSON payload (meta id, timestamp, msg_type zwsx.rqc) and waits for the PONG;
an answered ping keeps the session and extends the token, pings_missed_threshold
consecutive misses close with 4002 "Pings missed". Client PINGs get PONGs.

A raw client: libraries answer PINGs in their protocol layer, and the tests need both to
see every PING and to leave them unanswered."""
import time

from wsxsession import OP_CLOSE, OP_PING, OP_PONG, check_server_ping, login_then
from wsxsession import env  # noqa: F401 - the fixture


def test_answered_pings_keep_the_session_past_its_ttl(env):
    """ping_interval 1 s, token_ttl 2 s, no messages from the client for 4.5 s, only PONGs:
    the session lives on and the token still works."""
    ch = env.channel(ping_interval=1, token_ttl=2)
    ws, token = login_then(ch)
    with ws:
        start = time.monotonic()
        seen = []
        while time.monotonic() - start < 4.5:
            try:
                f = ws.recv_frame(timeout=0.3)
            except AssertionError as e:
                if "no frame" not in str(e):
                    raise
                continue  # nothing within 0.3 s
            assert f.opcode == OP_PING, f"expected only PINGs while idle, got {f!r}"
            check_server_ping(f.payload)
            seen.append(f.payload)
            ws.send_frame(OP_PONG, f.payload)
        assert len(seen) >= 3, f"{len(seen)} pings in 4.5 s with ping_interval 1"
        assert len(set(seen)) == len(seen), "each ping has its own id"
        ws.invoke(token, "alive after 4.5 s on pings alone")
        ws.close_normally()


def test_ignored_pings_close_with_4002(env):
    """ping_interval 1 s, threshold 2, PINGs never answered: close 4002 "Pings missed"
    after two misses (~3 s), even though the token is valid for an hour."""
    ch = env.channel(ping_interval=1, pings_missed_threshold=2, token_ttl=3600)
    ws, _ = login_then(ch)
    with ws:
        t0 = time.monotonic()
        pings = []
        while True:
            f = ws.recv_frame(timeout=10)
            if f.opcode != OP_PING:
                break
            check_server_ping(f.payload)
            pings.append(f.payload)
        elapsed = time.monotonic() - t0
        assert f.close_code() == 4002, f"expected close 4002, got {f!r}"
        assert f.payload[2:] == b"Pings missed", f.payload
        ws.send_frame(OP_CLOSE, f.payload[:2])
        ws.expect_eof()
    assert len(pings) >= 2, f"closed after {len(pings)} ping(s); the threshold is 2 misses"
    assert 1.5 <= elapsed <= 6.0, f"closed after {elapsed:.2f} s, expected ~3 s"


def test_client_ping_gets_a_pong(env):
    ch = env.channel()
    ws, token = login_then(ch)
    with ws:
        ws.send_frame(OP_PING, b"beep")
        f = ws.recv_frame()
        assert (f.opcode, f.payload) == (OP_PONG, b"beep"), f
        ws.invoke(token, "after a ping")
