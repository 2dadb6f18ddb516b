"""The server's log: one key=value event per line, --log-level, and the per-channel
traffic log (log_messages: each message in and out, cut to N bytes, off by default)."""
import re
import subprocess

from wsxlib import OP_BINARY, OP_CLOSE, OP_TEXT, WSX_BIN, RawWs, close_payload, wait_until

EVENT = re.compile(r'^ts=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z level=(debug|info|warn|error) '
                   r'msg="(?:[^"\\]|\\.)*"( .*)?$')


def events(log):
    lines = [ln for ln in log.splitlines() if ln.startswith("ts=")]
    for ln in lines:
        assert EVENT.match(ln), f"not a key=value event: {ln!r}"
    return lines


def test_debug_level_and_line_format(server_factory, tmp_path):
    srv = server_factory(tmp_path / "data", args=["--log-level", "debug"]).start()
    ch = srv.create_channel()
    with RawWs(ch["port"]) as ws:
        ws.send_frame(OP_CLOSE, close_payload(1000))
        ws.expect_close(1000, reply=False)
    wait_until(lambda: any("level=debug" in ln and "connection closed" in ln and
                           "with code 1000" in ln for ln in events(srv.log())),
               what="the debug event of the close")
    assert any("level=info" in ln for ln in events(srv.log()))


def test_warn_level_drops_info(server_factory, tmp_path):
    srv = server_factory(tmp_path / "data", args=["--log-level", "warn"]).start()
    srv.create_channel()
    lines = events(srv.log())
    assert not [ln for ln in lines if " level=info " in ln or " level=debug " in ln], lines


def test_bad_log_level_is_a_usage_error(tmp_path):
    p = subprocess.run([WSX_BIN, "server", "--data", str(tmp_path), "--log-level", "verbose"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert "--log-level must be debug, info, warn or error, got 'verbose'" in p.stderr


def test_traffic_log_cut_to_the_channel_limit(wsx, channel):
    ch = channel(log_messages=4)
    assert ch["log_messages"] == 4
    quiet = channel()
    assert quiet["log_messages"] == 0, "off by default"
    name = ch["name"]
    with RawWs(ch["port"]) as ws:
        ws.send_frame(OP_TEXT, b'he"llo world')
        assert ws.recv_message().payload == b'he"llo world'
        ws.send_frame(OP_BINARY, b"\x00\x01")
        assert ws.recv_message().payload == b"\x00\x01"
    with RawWs(quiet["port"]) as ws:
        ws.send_frame(OP_TEXT, b"not-logged-payload")
        assert ws.recv_message().payload == b"not-logged-payload"

    def mine():
        return [ln for ln in events(wsx.log()) if f'channel="{name}"' in ln]
    wait_until(lambda: len(mine()) == 4, what="four traffic events")
    lines = mine()
    for d in ("in", "out"):
        assert any(f'msg="message" channel="{name}" dir={d} type=text bytes=12 '
                   f'data="he\\"l" truncated=true' in ln for ln in lines), lines
        assert any(f'dir={d} type=binary bytes=2 data="\\x00\\x01"' in ln and
                   "truncated" not in ln for ln in lines), lines
    assert "not-logged-payload" not in wsx.log()

    # switched off by an edit: nothing more is logged
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"log_messages": 0})
    assert r.status == 200 and r.json()["log_messages"] == 0, r
    with RawWs(ch["port"]) as ws:
        ws.send_frame(OP_TEXT, b"after")
        assert ws.recv_message().payload == b"after"
    assert len(mine()) == 4


def test_log_messages_is_validated(wsx):
    r = wsx.api("POST", "/api/v1/channels", {"name": "lm-bad", "address": "ws://127.0.0.1:1/x",
                                             "service": "demo.echo", "log_messages": 70000})
    assert r.status == 400
    assert r.error()["field"] == "log_messages", r
