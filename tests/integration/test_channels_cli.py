"""A channel's life driven by `wsx channel ...`, watched by real WebSocket clients:
each flow runs with Python websockets and with Node ws (the `clients` fixture)."""
import json
import os

import pytest

from wsxlib import ClientClosed, assert_refused, free_port, unique_name


def cli_ok(wsx, *args):
    r = wsx.cli(*args)
    assert r.returncode == 0, f"wsx channel {' '.join(args)} exited {r.returncode}: {r.stderr}"
    return r


def cli_fails(wsx, *args, status=1):
    """The command must fail with `status` and exactly one line on stderr."""
    r = wsx.cli(*args)
    assert r.returncode == status, (f"wsx channel {' '.join(args)} exited {r.returncode}, "
                                    f"expected {status}; stdout {r.stdout!r} stderr {r.stderr!r}")
    if status == 1:
        lines = r.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {r.stderr!r}"
    else:
        assert r.stderr.strip(), "a usage error must say what is wrong"
    return r


def cli_create(wsx, name, port, path="/echo", *extra):
    r = cli_ok(wsx, "create", "--name", name, "--address", f"ws://127.0.0.1:{port}{path}",
               "--service", "demo.echo", "--data-format", "raw", *extra)
    assert f'created channel "{name}"' in r.stdout
    return r


def cli_get(wsx, name):
    return json.loads(cli_ok(wsx, "get", name, "--json").stdout)


@pytest.fixture
def cli_channels(wsx):
    """Names to delete after the test, whatever it left behind."""
    names = []
    yield names
    for n in names:
        if wsx.alive():
            wsx.cli("delete", n)


def echo(client, msg):
    client.send(msg)
    got = client.recv()
    assert type(got) is type(msg), f"sent {type(msg).__name__}, got {type(got).__name__} back"
    assert got == msg, f"echo differs: sent {len(msg)} units, got {len(got)}"


def assert_client_refused(clients, url):
    with pytest.raises(OSError):
        clients(url)


# --------------------------------------------------------------------------- the flows

def test_create_with_cli_and_echo(wsx, clients, cli_channels):
    name, port = unique_name("cli-echo"), free_port()
    cli_channels.append(name)
    cli_create(wsx, name, port)
    ch = cli_get(wsx, name)
    assert ch["state"] == "listening" and ch["is_active"] is True
    assert ch["data_format"] == "raw" and ch["service"] == "demo.echo"

    c = clients(f"ws://127.0.0.1:{port}/echo")
    echo(c, "hello, wsx")
    echo(c, "zażółć gęślą jaźń \U0001F600")
    echo(c, bytes(range(256)))
    echo(c, ("0123456789abcdef" * 6400)[:100_000])  # 100 KB text
    echo(c, os.urandom(100_000))  # 100 KB binary
    echo(c, "after the big ones")
    assert c.close_normally(1000) == 1000, "the server answers a client's close with its code"
    c2 = clients(f"ws://127.0.0.1:{port}/echo")
    echo(c2, "the channel serves on after a client left")


def test_inactive_refuses_then_active_echoes(wsx, clients, cli_channels):
    name, port = unique_name("cli-active"), free_port()
    cli_channels.append(name)
    url = f"ws://127.0.0.1:{port}/echo"
    cli_create(wsx, name, port)
    c = clients(url)
    echo(c, "before")

    cli_ok(wsx, "edit", name, "--inactive")
    assert c.wait_closed() == 1001, "an open connection of a channel made inactive gets 1001"
    assert_refused(port, "an inactive channel's port")
    assert_client_refused(clients, url)
    ch = cli_get(wsx, name)
    assert ch["is_active"] is False and ch["state"] == "inactive"

    cli_ok(wsx, "edit", name, "--active")
    assert cli_get(wsx, name)["state"] == "listening"
    c2 = clients(url)
    echo(c2, "active again")
    echo(c2, b"\x00binary\xff")


def test_edit_address_moves_the_channel(wsx, clients, cli_channels):
    name, old_port, new_port = unique_name("cli-move"), free_port(), free_port()
    cli_channels.append(name)
    cli_create(wsx, name, old_port, "/old")
    c = clients(f"ws://127.0.0.1:{old_port}/old")
    echo(c, "on the old address")

    cli_ok(wsx, "edit", name, "--address", f"ws://127.0.0.1:{new_port}/new")
    assert c.wait_closed() == 1001, "a connection on the old address is closed with 1001"
    assert_refused(old_port, "the old address")
    assert_client_refused(clients, f"ws://127.0.0.1:{old_port}/old")

    c2 = clients(f"ws://127.0.0.1:{new_port}/new")
    echo(c2, "on the new address")
    echo(c2, b"\x01\x02")
    assert cli_get(wsx, name)["address"] == f"ws://127.0.0.1:{new_port}/new"


def test_edit_max_message_size_keeps_connections_open(wsx, clients, cli_channels):
    name, port = unique_name("cli-size"), free_port()
    cli_channels.append(name)
    cli_create(wsx, name, port, "/echo", "--max-message-size", str(1024 * 1024))
    c = clients(f"ws://127.0.0.1:{port}/echo")
    echo(c, "x" * 2000)

    cli_ok(wsx, "edit", name, "--max-message-size", "1000")
    assert cli_get(wsx, name)["max_message_size"] == 1000
    # the same connection: still open, and now under the new limit
    echo(c, "y" * 900)
    echo(c, b"z" * 1000)
    c.send("w" * 2000)
    with pytest.raises(ClientClosed):
        c.recv()
    assert c.wait_closed() == 1009, "a message over max_message_size closes with 1009"

    c2 = clients(f"ws://127.0.0.1:{port}/echo")
    echo(c2, "v" * 900)


def test_rename_keeps_connections_open(wsx, clients, cli_channels):
    name, new_name, port = unique_name("cli-ren"), unique_name("cli-renamed"), free_port()
    cli_channels.extend([name, new_name])
    cli_create(wsx, name, port)
    c = clients(f"ws://127.0.0.1:{port}/echo")
    echo(c, "before rename")
    r = cli_ok(wsx, "edit", name, "--rename", new_name)
    assert new_name in r.stdout
    echo(c, "after rename")
    assert cli_get(wsx, new_name)["address"] == f"ws://127.0.0.1:{port}/echo"
    cli_fails(wsx, "get", name)


def test_delete_closes_and_refuses(wsx, clients, cli_channels):
    name, port = unique_name("cli-del"), free_port()
    cli_channels.append(name)
    url = f"ws://127.0.0.1:{port}/echo"
    cli_create(wsx, name, port)
    c = clients(url)
    echo(c, "soon gone")

    r = cli_ok(wsx, "delete", name)
    assert f'deleted channel "{name}"' in r.stdout
    assert c.wait_closed() == 1001, "an open connection of a deleted channel gets 1001"
    assert_refused(port, "a deleted channel's port")
    assert_client_refused(clients, url)
    r = cli_fails(wsx, "get", name)
    assert name in r.stderr
    cli_fails(wsx, "delete", name)


# --------------------------------------------------------------------------- refusals

def test_duplicate_name_is_refused(wsx, cli_channels):
    name = unique_name("cli-dup")
    cli_channels.append(name)
    cli_create(wsx, name, free_port())
    r = cli_fails(wsx, "create", "--name", name, "--address", f"ws://127.0.0.1:{free_port()}/x",
                  "--service", "demo.echo", "--data-format", "raw")
    assert "name" in r.stderr and name in r.stderr, r.stderr


def test_duplicate_port_is_refused(wsx, cli_channels):
    first, second, port = unique_name("cli-port-a"), unique_name("cli-port-b"), free_port()
    cli_channels.extend([first, second])
    cli_create(wsx, first, port, "/a")
    r = cli_fails(wsx, "create", "--name", second, "--address", f"ws://127.0.0.1:{port}/b",
                  "--service", "demo.echo", "--data-format", "raw")
    assert "port" in r.stderr and str(port) in r.stderr and f'"{first}"' in r.stderr, r.stderr
    # the same through edit: moving another channel onto the port
    cli_create(wsx, second, free_port(), "/b")
    r = cli_fails(wsx, "edit", second, "--address", f"ws://127.0.0.1:{port}/b")
    assert "port" in r.stderr and f'"{first}"' in r.stderr, r.stderr


def test_json_is_the_default_data_format(wsx, cli_channels):
    name = unique_name("cli-json")
    cli_channels.append(name)
    r = wsx.cli("create", "--name", name, "--address", f"ws://127.0.0.1:{free_port()}/j",
                "--service", "demo.echo")
    assert r.returncode == 0, r.stderr
    r = wsx.cli("get", name, "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["data_format"] == "json"
    r = cli_fails(wsx, "create", "--name", unique_name("cli-xml"), "--address",
                  f"ws://127.0.0.1:{free_port()}/x", "--service", "demo.echo",
                  "--data-format", "xml")
    assert "data_format" in r.stderr, r.stderr


def test_invalid_values_are_refused_with_the_field(wsx, cli_channels):
    name = unique_name("cli-bad")
    cli_channels.append(name)
    ok = ["--name", name, "--address", f"ws://127.0.0.1:{free_port()}/b", "--service",
          "demo.echo", "--data-format", "raw"]
    r = cli_fails(wsx, "create", *ok, "--max-message-size", "0")
    assert "max_message_size" in r.stderr
    r = cli_fails(wsx, "create", *ok[:2], "--address", "http://127.0.0.1:1/x", *ok[4:])
    assert "address" in r.stderr
    r = cli_fails(wsx, "create", *ok[:4], "--service", "no.such.service", *ok[6:])
    assert "service" in r.stderr
    cli_fails(wsx, "create", *ok, "--token-ttl", "abc", status=2)


# --------------------------------------------------------------------------- reading

def test_list_and_get(wsx, cli_channels):
    tag = unique_name("cli-list")
    names = [f"{tag}-alpha", f"{tag}-beta"]
    cli_channels.extend(names)
    ports = [free_port(), free_port()]
    for n, p in zip(names, ports):
        cli_create(wsx, n, p)
    cli_ok(wsx, "edit", names[1], "--inactive")

    table = cli_ok(wsx, "list", "--query", tag).stdout.splitlines()
    assert table[0].split()[:2] == ["NAME", "ACTIVE"]
    rows = {line.split()[0]: line for line in table[1:]}
    assert set(rows) == set(names)
    assert "listening" in rows[names[0]] and "inactive" in rows[names[1]]

    items = json.loads(cli_ok(wsx, "list", "--json", "--query", f"{tag} -beta").stdout)
    assert [i["name"] for i in items] == [names[0]]
    everything = json.loads(cli_ok(wsx, "list", "--json").stdout)
    assert set(names) <= {i["name"] for i in everything}

    text = cli_ok(wsx, "get", names[0]).stdout
    assert f"name: {names[0]}" in text
    assert f"address: ws://127.0.0.1:{ports[0]}/echo" in text
    assert "state: listening" in text
    ch = cli_get(wsx, names[1])
    assert ch["name"] == names[1] and ch["is_active"] is False


def test_usage_errors_exit_2(wsx):
    r = wsx.cli()
    assert r.returncode == 2 and r.stderr.strip()
    cli_fails(wsx, "create", "--name", "x", "--address", "ws://127.0.0.1:20000/x", status=2)
    cli_fails(wsx, "edit", "somename", "--name", "other", status=2)
    cli_fails(wsx, "edit", "somename", status=2)
    cli_fails(wsx, "list", "--no-such-option", status=2)
    cli_fails(wsx, "frobnicate", status=2)
    cli_fails(wsx, "edit", "x", "--active", "--inactive", status=2)
    assert wsx.cli("--help").returncode == 0


def test_unknown_channel_and_bad_password_exit_1(wsx):
    missing = unique_name("cli-missing")
    for cmd in (["get", missing], ["edit", missing, "--inactive"], ["delete", missing]):
        r = cli_fails(wsx, *cmd)
        assert missing in r.stderr
    r = wsx.cli("list", env={"WSX_PASSWORD": "wrong"})
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
