"""WSX-PROTOCOL.md section 3.4-3.5: every message after login carries the connection's
token; a missing, wrong or foreign token gets zwsx.merr and a 1008 close. The token
expires token_ttl seconds after login and the server closes the connection then, without
waiting for traffic; each invocation moves the expiry to now + token_ttl."""
import time

import pytest

from wsxsession import check_merr, login_then, message
from wsxsession import env  # noqa: F401 - the fixture


@pytest.mark.parametrize("case,token", [
    ("missing", ...),
    ("wrong", "zwsxt." + "0123456789abcdef" * 2),
    ("not a token", "token"),
    ("empty", ""),
    ("with a suffix", None),  # the real token + "0"
])
def test_bad_token_after_login_gets_merr_and_1008(env, case, token):
    ch = env.channel()
    ws, real = login_then(ch)
    with ws:
        meta = {}
        if token is None:
            meta["token"] = real + "0"
        elif token is not ...:
            meta["token"] = token
        ws.send_json(message("invoke-service", {"x": 1}, **meta))
        ws.expect_merr_and_close()


def test_token_of_another_connection_is_refused(env):
    """A token belongs to the connection it was issued on."""
    ch = env.channel()
    a, token_a = login_then(ch)
    b, token_b = login_then(ch)
    with a, b:
        a.send_json(message("invoke-service", {"x": 1}, token=token_b))
        a.expect_merr_and_close()
        b.invoke(token_b, "b is unaffected")
        b.close_normally()


def test_token_expires_without_traffic(env):
    """token_ttl 1 s: the server closes with 1008 "token expired" about 1 s after login,
    on its own."""
    ch = env.channel(token_ttl=1)
    ws, _ = login_then(ch)
    with ws:
        t0 = time.monotonic()
        reason = ws.expect_close(1008)
        elapsed = time.monotonic() - t0
    assert reason == b"token expired", reason
    assert 0.7 <= elapsed <= 3.0, f"closed {elapsed:.2f} s after login, expected ~1 s"


def test_invocations_keep_extending_the_token(env):
    """token_ttl 2 s, an invocation every 0.5 s for 5 s: the session outlives twice its TTL,
    then expires about 2 s after the last invocation."""
    ch = env.channel(token_ttl=2)
    ws, token = login_then(ch)
    with ws:
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < 5.0:
            ws.invoke(token, {"n": i})
            i += 1
            time.sleep(0.5)
        last = time.monotonic()
        reason = ws.expect_close(1008)
        quiet = time.monotonic() - last
    assert i >= 8, f"only {i} invocations in 5 s"
    assert reason == b"token expired", reason
    assert 1.5 <= quiet <= 4.0, (f"closed {quiet:.2f} s after the last invocation; expected "
                                 f"~2 s (the TTL counted from the last invocation)")


def test_merr_has_the_exact_shape(env):
    """zwsx.merr: status 403, the fixed sentence as data, a server id and timestamp."""
    ch = env.channel()
    ws, _ = login_then(ch)
    with ws:
        ws.send_json(message("invoke-service", {}, token="zwsxt." + "f" * 32))
        msg = check_merr(ws.recv_json())
        assert set(msg) == {"meta", "data"}, msg
        ws.expect_close(1008)
