"""`wsx connection list|disconnect|invoke` and `wsx channel broadcast`, run as a user
would: exit codes (0 ok, 1 failure with one line on stderr, 2 usage error), messages
that name what is wrong, --help everywhere.

The second part needs clients logged in over the WSX protocol on json channels: the
`Session` client of test_connections_api.py."""
import json
import os
import subprocess

import pytest

from test_connections_api import NO_SUCH_ID, PUB_ID_RE, AsyncCall, Session
from wsxlib import WSX_BIN, unique_name, wait_until

TABLE_HEAD = ["PUB CLIENT ID", "EXT CLIENT ID", "EXT CLIENT NAME", "PEER ADDRESS", "USERNAME",
              "CONNECTION TIME", "LAST SEEN", "SERVER NAME"]


def run(wsx, *args, password=None, timeout=120):
    env = dict(os.environ)
    env.update({"WSX_URL": wsx.url, "WSX_PASSWORD": password or wsx.password})
    return subprocess.run([WSX_BIN, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)


def ok(wsx, *args, **kw):
    r = run(wsx, *args, **kw)
    assert r.returncode == 0, f"wsx {' '.join(args)} exited {r.returncode}: {r.stderr}"
    assert r.stderr == "", r.stderr
    return r


def fails(wsx, *args, status=1, contains=(), **kw):
    """The command must exit with `status`; a failure (1) prints exactly one line on
    stderr, a usage error (2) says what is wrong and where help is."""
    r = run(wsx, *args, **kw)
    assert r.returncode == status, (f"wsx {' '.join(args)} exited {r.returncode}, expected "
                                    f"{status}; stdout {r.stdout!r} stderr {r.stderr!r}")
    assert r.stdout == "", r.stdout
    lines = r.stderr.strip().splitlines()
    if status == 1:
        assert len(lines) == 1, f"expected one line on stderr, got {r.stderr!r}"
    else:
        assert lines and "--help" in lines[-1], r.stderr
    for text in contains:
        assert text in r.stderr, f"{text!r} not in {r.stderr!r}"
    return r


def table(stdout):
    """The rows of a table as lists of cells (cells are separated by 2+ spaces)."""
    import re
    return [re.split(r" {2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


# =========================================================================== any server

@pytest.mark.parametrize("args", [
    ("connection", "--help"),
    ("connection", "list", "--help"),
    ("connection", "disconnect", "--help"),
    ("connection", "invoke", "--help"),
    ("channel", "broadcast", "--help"),
])
def test_help(wsx, args):
    r = ok(wsx, *args)
    assert r.stdout.startswith("usage: wsx "), r.stdout
    assert "--url" in r.stdout, "every command lists the connection options"


def test_top_level_help_lists_connection(wsx):
    assert "connection" in ok(wsx, "--help").stdout
    assert "broadcast" in ok(wsx, "channel", "--help").stdout


@pytest.mark.parametrize("args,contains", [
    (("connection",), "missing command"),
    (("connection", "lsit"), "unknown command 'lsit'"),
    (("connection", "--json"), "comes before options"),
    (("connection", "list"), "missing the CHANNEL"),
    (("connection", "list", "a", "b"), "unexpected argument 'b'"),
    (("connection", "list", "a", "--bogus"), "unknown option '--bogus'"),
    (("connection", "disconnect"), "missing the PUB_CLIENT_ID"),
    (("connection", "invoke", NO_SUCH_ID), "missing required option --data"),
    (("connection", "invoke", NO_SUCH_ID, "--data", "{nope"), "--data is not valid JSON"),
    (("connection", "invoke", NO_SUCH_ID, "--data", "1", "--timeout", "soon"),
     "--timeout needs a number of seconds"),
    (("connection", "invoke", NO_SUCH_ID, "--data"), "'--data' needs a value"),
    (("connection", "list", "a", "--password", "pw"), "--password"),
    (("channel", "broadcast", "a"), "missing required option --data"),
    (("channel", "broadcast", "--data", "1"), "missing the channel NAME"),
    (("channel", "broadcast", "a", "--data", "[1,"), "--data is not valid JSON"),
])
def test_usage_errors_exit_2(wsx, args, contains):
    fails(wsx, *args, status=2, contains=(contains,))


def test_list_of_a_channel_without_clients(wsx, channel):
    ch = channel()
    rows = table(ok(wsx, "connection", "list", ch["name"]).stdout)
    assert rows == [TABLE_HEAD]
    assert json.loads(ok(wsx, "connection", "list", ch["name"], "--json").stdout) == []
    assert json.loads(ok(wsx, "connection", "list", ch["name"], "--json", "--query",
                         "x y&z").stdout) == []


def test_list_unknown_channel(wsx):
    name = unique_name("no-such")
    fails(wsx, "connection", "list", name, contains=(f'no channel named "{name}"',))


def test_disconnect_unknown_connection(wsx):
    fails(wsx, "connection", "disconnect", NO_SUCH_ID,
          contains=(f"no connection {NO_SUCH_ID} on this server",))


def test_invoke_unknown_connection(wsx):
    fails(wsx, "connection", "invoke", NO_SUCH_ID, "--data", '{"a": 1}', "--timeout", "1",
          contains=(f"no connection {NO_SUCH_ID} on this server",))


@pytest.mark.parametrize("timeout", ["0", "-2", "301", "1e9"])
def test_invoke_timeout_range_is_the_servers(wsx, timeout):
    fails(wsx, "connection", "invoke", NO_SUCH_ID, "--data", "1", "--timeout", timeout,
          contains=("timeout must be a number of seconds", "300"))


def test_broadcast_to_a_channel_without_clients(wsx, channel):
    ch = channel()
    r = ok(wsx, "channel", "broadcast", ch["name"], "--data", '{"news": 1}')
    assert r.stdout == f'sent to 0 clients of channel "{ch["name"]}"\n'


def test_broadcast_unknown_channel(wsx):
    name = unique_name("no-such")
    fails(wsx, "channel", "broadcast", name, "--data", "1",
          contains=(f'no channel named "{name}"',))


@pytest.mark.parametrize("args", [
    ("connection", "list", "x"),
    ("connection", "disconnect", NO_SUCH_ID),
    ("connection", "invoke", NO_SUCH_ID, "--data", "1"),
    ("channel", "broadcast", "x", "--data", "1"),
])
def test_wrong_password_fails_with_one_line(wsx, args):
    fails(wsx, *args, password="not-the-password")


# =========================================================================== sessions

@pytest.fixture
def json_channel(channel):
    def make(**fields):
        fields.setdefault("data_format", "json")
        fields.setdefault("new_token_wait_time", 30)
        return channel(**fields)
    return make


@pytest.fixture
def sessions():
    opened = []

    def connect(url, client_id, **kw):
        s = Session(url, client_id, **kw)
        opened.append(s)
        return s

    yield connect
    for s in opened:
        s.close()


def listed(wsx, name, *extra):
    return json.loads(ok(wsx, "connection", "list", name, "--json", *extra).stdout)


def test_list_shows_logged_in_clients(wsx, json_channel, sessions):
    ch = json_channel()
    s1 = sessions(ch["ws_url"], "cli-one", client_name="first client")
    sessions(ch["ws_url"], "cli-two")
    rows = table(ok(wsx, "connection", "list", ch["name"]).stdout)
    assert rows[0] == TABLE_HEAD
    body = sorted(rows[1:], key=lambda r: r[1])
    assert [r[1] for r in body] == ["cli-one", "cli-two"], rows
    one = body[0]
    assert PUB_ID_RE.fullmatch(one[0]), one
    assert one[2] == "first client" and one[3] == s1.address, one
    assert one[4] == "-", "no username: shown as -"
    items = listed(wsx, ch["name"])
    assert sorted(c["ext_client_id"] for c in items) == ["cli-one", "cli-two"]
    assert {c["pub_client_id"] for c in items} == {r[0] for r in body}
    assert [c["ext_client_id"] for c in listed(wsx, ch["name"], "--query", "two")] == ["cli-two"]


def test_disconnect(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "cli-bye")
    [pub_id] = [c["pub_client_id"] for c in listed(wsx, ch["name"])]
    assert ok(wsx, "connection", "disconnect", pub_id).stdout == f"disconnected {pub_id}\n"
    assert s.wait_closed() == (4005, "Disconnected by an administrator")
    wait_until(lambda: listed(wsx, ch["name"]) == [], what="the client to leave the list")
    fails(wsx, "connection", "disconnect", pub_id, contains=("no connection",))


def test_invoke_prints_the_response(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "cli-answers")
    [pub_id] = [c["pub_client_id"] for c in listed(wsx, ch["name"])]
    call = AsyncCall(run, wsx, "connection", "invoke", pub_id, "--data", '{"ask": [1, 2]}',
                     "--timeout", "10")
    rqc = s.recv_rqc()
    assert rqc["data"] == {"ask": [1, 2]}
    s.answer(rqc, {"answer": 42, "text": "zażółć"})
    r = call.get()
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == {"answer": 42, "text": "zażółć"}


def test_invoke_not_answered_fails_after_the_timeout(wsx, json_channel, sessions):
    ch = json_channel()
    s = sessions(ch["ws_url"], "cli-silent")
    [pub_id] = [c["pub_client_id"] for c in listed(wsx, ch["name"])]
    call = AsyncCall(run, wsx, "connection", "invoke", pub_id, "--data", "1", "--timeout", "1.5")
    s.recv_rqc()
    r = call.get()
    assert r.returncode == 1 and r.stdout == "", r
    assert "did not answer within 1.5 s" in r.stderr, r.stderr
    assert call.elapsed >= 1.4


def test_broadcast_reaches_the_channels_clients_only(wsx, json_channel, sessions):
    a, b = json_channel(), json_channel()
    a1, a2 = sessions(a["ws_url"], "cli-bc-1"), sessions(a["ws_url"], "cli-bc-2")
    b1 = sessions(b["ws_url"], "cli-bc-other")
    r = ok(wsx, "channel", "broadcast", a["name"], "--data", '{"news": "hello"}')
    assert r.stdout == f'sent to 2 clients of channel "{a["name"]}"\n'
    for s in (a1, a2):
        assert s.recv_rqc()["data"] == {"news": "hello"}
    b1.expect_nothing(1.0)
