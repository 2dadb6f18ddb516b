"""`wsx security ...` against the shared server: each type created with its secret from
stdin or from a file, list/get/edit/delete by name, the usage errors (exit 2) and
failures (exit 1, one line), channels given a definition, hook service and gateway
allow-list with `wsx channel`, and that a secret never shows: not in `ps` (the
processes' command lines) while a command waits for it on stdin, not in any output."""
import json
import os
import secrets
import subprocess
import time

import pytest

from wsxlib import WSX_BIN, free_port, unique_name, wait_until

JWT_SECRET = "0123456789abcdef0123456789abcdef"


def run(wsx, *args, input=None, timeout=120, env=None):
    """`wsx ARGS...` with the shared server's URL and admin password in the env."""
    e = dict(os.environ)
    e.update({"WSX_URL": wsx.url, "WSX_PASSWORD": wsx.password})
    for k, v in (env or {}).items():
        if v is None:
            e.pop(k, None)  # None: unset
        else:
            e[k] = v
    return subprocess.run([WSX_BIN, *args], env=e, capture_output=True, text=True,
                          timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)


def ok(wsx, *args, input=None):
    r = run(wsx, *args, input=input)
    assert r.returncode == 0, f"wsx {' '.join(args)} exited {r.returncode}: {r.stderr}"
    return r


def fails(wsx, *args, status=1, input=None):
    """Must exit with `status`; a failure (1) says why in exactly one line."""
    r = run(wsx, *args, input=input)
    assert r.returncode == status, (f"wsx {' '.join(args)} exited {r.returncode}, expected "
                                    f"{status}; stdout {r.stdout!r} stderr {r.stderr!r}")
    lines = r.stderr.strip().splitlines()
    if status == 1:
        assert len(lines) == 1, f"expected one line on stderr, got {r.stderr!r}"
    else:
        assert lines and "try 'wsx security --help'" in r.stderr, r.stderr
    return r


@pytest.fixture
def names(wsx):
    """(kind, name) pairs to delete after the test: channels first."""
    made = []
    yield made
    if not wsx.alive():
        return
    for kind, n in sorted(made, key=lambda m: m[0] != "channel"):
        run(wsx, kind, "delete", "--", n)


def get(wsx, name):
    return json.loads(ok(wsx, "security", "get", name, "--json").stdout)


def test_create_each_type_list_get(wsx, names, tmp_path):
    b, j, k = unique_name("cli-b"), unique_name("cli-j"), unique_name("cli-k")
    names.extend([("security", b), ("security", j), ("security", k)])
    r = ok(wsx, "security", "create", "basic-auth", "--name", b, "--username", "alice",
           "--password-stdin", input="pw-one\n")
    assert f'created security definition "{b}" (basic_auth, id ' in r.stdout
    f = tmp_path / "jwt-secret"
    f.write_text(JWT_SECRET + "\n")
    r = ok(wsx, "security", "create", "jwt", "--name", j, "--secret-file", str(f))
    assert f'created security definition "{j}" (jwt' in r.stdout
    r = ok(wsx, "security", "create", "apikey", "--name", k, "--key-stdin", input="k-123")
    assert f'created security definition "{k}" (apikey' in r.stdout

    d = get(wsx, b)
    assert d["type"] == "basic_auth" and d["username"] == "alice" and d["name"] == b
    assert set(d) == {"id", "cluster_id", "name", "type", "username", "created_at", "updated_at"}
    assert get(wsx, j)["username"] is None

    table = ok(wsx, "security", "list").stdout.splitlines()
    assert table[0].split() == ["NAME", "TYPE", "USERNAME"]
    rows = {line.split()[0]: line.split()[1:] for line in table[1:]}
    assert rows[b] == ["basic_auth", "alice"]
    assert rows[j] == ["jwt", "-"]
    assert rows[k] == ["apikey", "-"]
    listed = json.loads(ok(wsx, "security", "list", "--json", "--query", k).stdout)
    assert [x["name"] for x in listed] == [k]
    text = ok(wsx, "security", "get", b).stdout
    assert f"name: {b}\n" in text and "type: basic_auth\n" in text and "username: alice\n" in text


def test_edit_and_delete(wsx, names, tmp_path):
    j = unique_name("cli-e")
    names.append(("security", j + "-2"))
    names.append(("security", j))
    ok(wsx, "security", "create", "jwt", "--name", j, "--username", "svc", "--secret-stdin",
       input=JWT_SECRET)
    before = get(wsx, j)
    r = ok(wsx, "security", "edit", j, "--name", j + "-2", "--secret-stdin",
           input=JWT_SECRET + "-v2")
    assert f'updated security definition "{j}-2"' in r.stdout
    after = get(wsx, j + "-2")
    assert after["id"] == before["id"] and after["updated_at"] > before["updated_at"]
    ok(wsx, "security", "edit", j + "-2", "--username", "")
    assert get(wsx, j + "-2")["username"] is None
    fails(wsx, "security", "edit", j + "-2", "--password-stdin", input="x")  # not a jwt's field
    fails(wsx, "security", "get", j)  # the old name is gone
    r = ok(wsx, "security", "delete", j + "-2")
    assert f'deleted security definition "{j}-2"' in r.stdout
    fails(wsx, "security", "delete", j + "-2")


def test_names_with_spaces_and_dashes(wsx, names):
    n = unique_name("-dash") + " with -words"
    names.append(("security", n))
    ok(wsx, "security", "create", "apikey", "--name", n, "--key-stdin", input="k")
    d = json.loads(ok(wsx, "security", "get", "--json", "--", n).stdout)  # "--": NAME follows
    assert d["name"] == n
    ok(wsx, "security", "edit", "--username", "", "--", n)


def test_delete_in_use_names_the_channel(wsx, names):
    d, c = unique_name("cli-used"), unique_name("cli-ch")
    names.extend([("security", d), ("channel", c)])
    ok(wsx, "security", "create", "apikey", "--name", d, "--key-stdin", input="k")
    ok(wsx, "channel", "create", "--name", c, "--address", f"ws://127.0.0.1:{free_port()}/x",
       "--service", "demo.echo", "--data-format", "raw", "--security", d,
       "--hook-service", "demo.echo", "--gateway-services", "demo.echo,other.svc")
    ch = json.loads(ok(wsx, "channel", "get", c, "--json").stdout)
    assert ch["security"] == d
    assert ch["hook_service"] == "demo.echo"
    assert ch["gateway_services"] == ["demo.echo", "other.svc"]
    text = ok(wsx, "channel", "get", c).stdout
    assert f"security: {d}\n" in text and "hook_service: demo.echo\n" in text

    r = fails(wsx, "security", "delete", d)
    assert f'"{d}" is used by channel "{c}"' in r.stderr, r.stderr
    ok(wsx, "channel", "edit", c, "--security", "", "--hook-service", "",
       "--gateway-services", "")
    ch = json.loads(ok(wsx, "channel", "get", c, "--json").stdout)
    assert ch["security"] is None and ch["hook_service"] is None and ch["gateway_services"] == []
    ok(wsx, "security", "delete", d)

    r = fails(wsx, "channel", "edit", c, "--security", unique_name("nope"))
    assert "GET /api/v1/security" in r.stderr
    fails(wsx, "channel", "edit", c, "--hook-service", "no.such.service")
    fails(wsx, "channel", "edit", c, "--gateway-services", "a,,b")


@pytest.mark.parametrize("args,stdin,needle", [
    (("create",), None, "missing the type"),
    (("create", "ldap", "--name", "x"), None, "unknown type 'ldap'"),
    (("create", "apikey", "--key-stdin"), "k", "--name"),
    (("create", "basic-auth", "--name", "x", "--password-stdin"), "p", "--username"),
    (("create", "apikey", "--name", "x"), None, "--key-stdin"),
    (("create", "jwt", "--name", "x", "--password-stdin"), "p", "--secret-stdin"),
    (("create", "apikey", "--name", "x", "--username", "u", "--key-stdin"), "k", "no username"),
    (("create", "apikey", "--name", "x", "--key-stdin", "--key-file", "/dev/null"), "k", "one"),
    (("create", "basic-auth", "--name", "x", "--username", "u", "--password", "SEEKRIT"), None,
     "--password-stdin"),
    (("create", "jwt", "--name", "x", "--secret", "SEEKRIT"), None, "--secret-stdin"),
    (("create", "apikey", "--name", "x", "--key", "SEEKRIT"), None, "--key-stdin"),
    (("edit", "x"), None, "nothing to change"),
    (("get",), None, "missing the definition's NAME"),
    (("delete", "a", "b"), None, "unexpected argument"),
    (("list", "--bogus"), None, "unknown option '--bogus'"),
    (("frobnicate",), None, "unknown command"),
])
def test_usage_errors_exit_2(wsx, args, stdin, needle):
    r = fails(wsx, "security", *args, status=2, input=stdin)
    assert needle in r.stderr, r.stderr
    assert "SEEKRIT" not in r.stderr + r.stdout, "a refused secret option is not echoed"


def test_help_everywhere(wsx):
    for sub in ((), ("create",), ("list",), ("get",), ("edit",), ("delete",)):
        r = run(wsx, "security", *sub, "--help")
        assert r.returncode == 0, (sub, r.stderr)
        assert r.stdout.startswith("usage: wsx security"), r.stdout[:100]
    assert "--password-stdin" in run(wsx, "security", "--help").stdout


def test_secret_input_failures(wsx, tmp_path):
    n = unique_name("cli-bad")
    r = fails(wsx, "security", "create", "apikey", "--name", n, "--key-stdin", input="")
    assert "empty" in r.stderr
    r = fails(wsx, "security", "create", "apikey", "--name", n, "--key-stdin",
              input="k" * 1025)
    assert "longer than 1024 bytes" in r.stderr
    r = fails(wsx, "security", "create", "apikey", "--name", n, "--key-file",
              str(tmp_path / "missing"))
    assert "cannot read the key file" in r.stderr
    r = fails(wsx, "security", "create", "jwt", "--name", n, "--secret-stdin", input="short")
    assert "at least 32 bytes" in r.stderr and "short" not in r.stderr.replace("too_short", "")
    assert json.loads(ok(wsx, "security", "list", "--json", "--query", n).stdout) == []


def test_admin_password_file_option(wsx, names, tmp_path):
    n = unique_name("cli-adm")
    names.append(("security", n))
    pw = tmp_path / "admin-pw"
    pw.write_text(wsx.password + "\n")
    r = run(wsx, "security", "create", "apikey", "--name", n, "--key-stdin",
            "--admin-password-file", str(pw), input="k", env={"WSX_PASSWORD": None})
    assert r.returncode == 0, r.stderr
    pw.write_text("wrong\n")
    r = run(wsx, "security", "list", "--admin-password-file", str(pw),
            env={"WSX_PASSWORD": None})
    assert r.returncode == 1 and "credentials" in r.stderr, r.stderr
    # here --password-file is a definition's password: list says which option to use
    r = run(wsx, "security", "list", "--password-file", str(pw), env={"WSX_PASSWORD": None})
    assert r.returncode == 2 and "--admin-password-file" in r.stderr, r.stderr


def _cmdlines():
    out = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    out.append((int(pid), f.read()))
            except OSError:
                pass
    return out


def test_no_secret_in_ps_or_any_output(wsx, names):
    n = unique_name("cli-ps")
    names.append(("security", n))
    secret = f"PSWD-{secrets.token_hex(16)}"
    e = dict(os.environ, WSX_URL=wsx.url, WSX_PASSWORD=wsx.password)
    p = subprocess.Popen([WSX_BIN, "security", "create", "basic-auth", "--name", n,
                          "--username", "alice", "--password-stdin"], env=e,
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # the command runs and waits for its stdin: look at every process's argv (what
        # `ps` shows) while it does
        wait_until(lambda: any(pid == p.pid and b"--password-stdin" in cl
                               for pid, cl in _cmdlines()), what="the CLI process to run")
        time.sleep(0.2)
        for pid, cl in _cmdlines():
            assert secret.encode() not in cl, f"the secret is in the command line of pid {pid}"
        out, err = p.communicate(input=secret.encode() + b"\n", timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    outputs = [out.decode(), err.decode()]
    for args in (("list",), ("list", "--json"), ("get", n), ("get", n, "--json")):
        r = ok(wsx, "security", *args)
        outputs += [r.stdout, r.stderr]
    r = ok(wsx, "security", "edit", n, "--password-stdin", input=secret + "-2")
    outputs += [r.stdout, r.stderr]
    for text in outputs:
        assert secret not in text, f"the secret is in the CLI's output: {text[:300]!r}"
    assert secret not in wsx.log(), "the secret is in the server's log"
