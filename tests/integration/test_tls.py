"""TLS: wss:// channels (tls_cert/tls_key), the admin listener over HTTPS
(--admin-tls-cert/key), and SIGHUP reloading certificates.

A test CA and server certificates for 127.0.0.1/localhost are made here with Python's
cryptography; every client verifies them against that CA (Python websockets, Node ws
through NODE_EXTRA_CA_CERTS, libcurl in the CLI through --cacert)."""
import asyncio
import datetime
import http.client
import ipaddress
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import time
import warnings

import pytest
import websockets
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wsxlib import (ADMIN_PASSWORD, IO_TIMEOUT, NODE_CLIENT, ROOT, WSX_BIN, WsxServer,
                    basic_auth, connect_refused, free_port, unique_name, wait_until)
from wsxsession import check_rspa, check_rspok, message

# --------------------------------------------------------------------------- test PKI


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _write_key(key, path):
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))


class Pki:
    """A CA and the server certificates it signs, as PEM files in a directory."""

    def __init__(self, d):
        self.dir = d
        now = datetime.datetime.utcnow()
        self.ca_key = ec.generate_private_key(ec.SECP256R1())
        self.ca = (x509.CertificateBuilder().subject_name(_name("wsx test CA"))
                   .issuer_name(_name("wsx test CA")).public_key(self.ca_key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                   .sign(self.ca_key, hashes.SHA256()))
        self.ca_file = d / "ca.pem"
        self.ca_file.write_bytes(self.ca.public_bytes(serialization.Encoding.PEM))

    def issue(self, name):
        """A server certificate for 127.0.0.1 and localhost: (cert path, key path, serial)."""
        now = datetime.datetime.utcnow()
        key = ec.generate_private_key(ec.SECP256R1())
        serial = x509.random_serial_number()
        cert = (x509.CertificateBuilder().subject_name(_name("localhost"))
                .issuer_name(self.ca.subject).public_key(key.public_key()).serial_number(serial)
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=2))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                    False)
                .sign(self.ca_key, hashes.SHA256()))
        cert_path, key_path = self.dir / f"{name}.crt", self.dir / f"{name}.key"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        _write_key(key, key_path)
        return cert_path, key_path, serial


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def client_ctx(pki, **kw):
    ctx = ssl.create_default_context(cafile=str(pki.ca_file))
    for k, v in kw.items():
        setattr(ctx, k, v)
    return ctx


def peer_serial(port, ctx):
    """The serial number of the certificate a new TLS connection to port gets."""
    with socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            return x509.load_der_x509_certificate(s.getpeercert(binary_form=True)).serial_number


# --------------------------------------------------------------------------- channels


@pytest.fixture
def wss_channel(wsx, pki):
    """Create wss:// channels (raw demo.echo unless told) on the shared server with a
    fresh certificate each; deleted after the test."""
    made = []

    def make(cert=None, key=None, expect_state="listening", **fields):
        if cert is None:
            cert, key, _ = pki.issue(unique_name("srv"))
        for _ in range(5):
            port = free_port()
            body = {"name": unique_name("tls"), "address": f"wss://127.0.0.1:{port}/ws",
                    "service": "demo.echo", "data_format": "raw",
                    "tls_cert": str(cert), "tls_key": str(key)}
            body.update(fields)
            r = wsx.api("POST", "/api/v1/channels", body)
            assert r.status == 201, r
            ch = r.json()
            made.append(ch["id"])
            if expect_state == "listening" and ch["state"] != "listening" and \
                    "in use" in ch["state"]:
                continue  # a foreign process took the port
            ch["port"] = port
            ch["wss_url"] = f"wss://127.0.0.1:{port}/ws"
            return ch
        raise AssertionError("no free port for a wss:// channel")

    yield make
    for cid in made:
        if wsx.alive():
            wsx.api("DELETE", f"/api/v1/channels/{cid}")


async def _echo(url, ctx, messages):
    async with websockets.connect(url, ssl=ctx, ping_interval=None, max_size=None,
                                  compression=None, open_timeout=IO_TIMEOUT) as ws:
        out = []
        for m in messages:
            await ws.send(m)
            out.append(await asyncio.wait_for(ws.recv(), IO_TIMEOUT))
        alpn = ws.transport.get_extra_info("ssl_object").selected_alpn_protocol()
        version = ws.transport.get_extra_info("ssl_object").version()
        return out, alpn, version


def test_raw_echo_over_wss_with_python_websockets(wss_channel, pki):
    ch = wss_channel()
    assert ch["state"] == "listening", ch
    assert ch["tls_cert"].endswith(".crt") and ch["tls_key"].endswith(".key"), ch
    big = os.urandom(300_000)  # many TLS records, both ways
    ctx = client_ctx(pki)
    ctx.set_alpn_protocols(["http/1.1"])
    out, alpn, version = asyncio.run(_echo(ch["wss_url"], ctx, ["hello", b"\x00\xff", big,
                                                                 "ż" * 40_000]))
    assert out == ["hello", b"\x00\xff", big, "ż" * 40_000]
    assert alpn == "http/1.1"
    assert version in ("TLSv1.2", "TLSv1.3"), version


def test_many_messages_in_flight_none_stuck(wss_channel, pki):
    """Messages sent back to back without waiting (several TLS records per read):
    every one comes back, in order (nothing left inside OpenSSL's buffer)."""
    ch = wss_channel()

    async def run():
        async with websockets.connect(ch["wss_url"], ssl=client_ctx(pki), ping_interval=None,
                                      max_size=None, compression=None) as ws:
            msgs = [f"m{i}-" + "x" * (i * 97 % 20000) for i in range(300)]
            for m in msgs:
                await ws.send(m)
            got = [await asyncio.wait_for(ws.recv(), IO_TIMEOUT) for _ in msgs]
            return msgs, got

    msgs, got = asyncio.run(run())
    assert got == msgs


def test_json_session_protocol_over_wss(wss_channel, pki):
    ch = wss_channel(data_format="json")

    async def run():
        async with websockets.connect(ch["wss_url"], ssl=client_ctx(pki), ping_interval=None,
                                      compression=None) as ws:
            login = message("create-session")
            await ws.send(json.dumps(login))
            token = check_rspa(json.loads(await asyncio.wait_for(ws.recv(), IO_TIMEOUT)),
                               login["meta"]["id"])
            req = message("invoke-service", {"hello": "tls"}, token=token)
            await ws.send(json.dumps(req))
            return check_rspok(json.loads(await asyncio.wait_for(ws.recv(), IO_TIMEOUT)),
                               req["meta"]["id"])

    reply = asyncio.run(run())
    assert reply["data"] == {"hello": "tls"}, reply


def _node(url, *messages, ca=None):
    env = dict(os.environ)
    env.pop("NODE_EXTRA_CA_CERTS", None)
    if ca:
        env["NODE_EXTRA_CA_CERTS"] = str(ca)
    p = subprocess.run(["node", str(NODE_CLIENT), url, *messages], capture_output=True,
                       text=True, timeout=60, cwd=str(ROOT), stdin=subprocess.DEVNULL, env=env)
    assert p.returncode == 0, p.stderr
    return [json.loads(line) for line in p.stdout.splitlines() if line.strip()]


def test_node_ws_over_wss_verifying_the_ca(wss_channel, pki, node_ready):
    ch = wss_channel()
    events = _node(ch["wss_url"], "hello", "x" * 70_000, ca=pki.ca_file)
    assert events[0] == {"event": "open"}, events
    msgs = [e for e in events if e["event"] == "message"]
    assert [m["text"] for m in msgs] == ["hello", "x" * 70_000]
    assert events[-1]["event"] == "close" and events[-1]["code"] == 1000, events[-1]
    # the same client without the test CA refuses the server
    events = _node(ch["wss_url"], "hello")
    assert not any(e["event"] == "message" for e in events), events
    assert any(e["event"] == "error" for e in events), events


def test_a_client_not_trusting_the_ca_fails_verification(wss_channel):
    ch = wss_channel()
    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(_echo(ch["wss_url"], ssl.create_default_context(), ["x"]))


def tls_failures(wsx):
    r = wsx.api("GET", "/metrics")
    assert r.status == 200, r
    m = re.search(r'^wsx_handshake_failures_total\{reason="tls"\} (\d+)$', r.body.decode(), re.M)
    assert m, "no tls reason in /metrics"
    return int(m.group(1))


def test_tls_1_1_and_lower_are_refused(wss_channel, pki, wsx):
    ch = wss_channel()
    ctx = client_ctx(pki)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer TLS 1.0/1.1 at all
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    before = tls_failures(wsx)
    with pytest.raises(ssl.SSLError) as e:
        peer_serial(ch["port"], ctx)
    # the server's protocol_version alert (not a client that could not even offer it)
    assert "ALERT_PROTOCOL_VERSION" in str(e.value), e.value
    wait_until(lambda: tls_failures(wsx) == before + 1,
               what="wsx_handshake_failures_total{reason=\"tls\"} to count it")
    # and TLS 1.2 exactly is served
    ctx12 = client_ctx(pki, minimum_version=ssl.TLSVersion.TLSv1_2,
                       maximum_version=ssl.TLSVersion.TLSv1_2)
    assert peer_serial(ch["port"], ctx12) > 0


def test_alpn_http11_is_chosen_and_h2_only_is_refused(wss_channel, pki):
    ch = wss_channel()
    ctx = client_ctx(pki)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    with socket.create_connection(("127.0.0.1", ch["port"]), timeout=IO_TIMEOUT) as raw:
        with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as s:
            assert s.selected_alpn_protocol() == "http/1.1"
    h2 = client_ctx(pki)
    h2.set_alpn_protocols(["h2"])
    with pytest.raises(ssl.SSLError):
        peer_serial(ch["port"], h2)


def test_http_errors_come_back_over_tls(wss_channel, pki):
    """A refused upgrade (wrong path) is answered inside the TLS session, like on ws://."""
    ch = wss_channel()
    with pytest.raises(websockets.exceptions.InvalidStatusCode) as e:
        asyncio.run(_echo(ch["wss_url"].replace("/ws", "/elsewhere"), client_ctx(pki), ["x"]))
    assert e.value.status_code == 404


def test_plain_ws_to_a_wss_port_gets_no_websocket(wss_channel):
    """A client speaking plain HTTP to the TLS port is not upgraded (and the server
    survives it)."""
    ch = wss_channel()
    with socket.create_connection(("127.0.0.1", ch["port"]), timeout=IO_TIMEOUT) as s:
        s.sendall(b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n")
        data = b""
        try:
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    assert b"101" not in data


# --------------------------------------------------------------------------- fields


def test_wss_without_tls_cert_or_key_is_a_400_naming_the_field(wsx, pki):
    cert, key, _ = pki.issue("fields")
    base = {"name": unique_name("tls"), "address": f"wss://127.0.0.1:{free_port()}/ws",
            "service": "demo.echo"}
    r = wsx.api("POST", "/api/v1/channels", base)
    assert r.status == 400 and r.error()["field"] == "tls_cert", r
    assert "tls_cert is required" in r.error()["message"], r
    r = wsx.api("POST", "/api/v1/channels", {**base, "tls_cert": str(cert)})
    assert r.status == 400 and r.error()["field"] == "tls_key", r
    r = wsx.api("POST", "/api/v1/channels", {**base, "tls_cert": "relative.pem",
                                             "tls_key": str(key)})
    assert r.status == 400 and r.error()["field"] == "tls_cert", r
    assert "absolute path" in r.error()["message"], r
    # ws:// takes no certificate: a path there would suggest TLS that is not there
    r = wsx.api("POST", "/api/v1/channels", {**base, "address": base["address"].replace(
        "wss:", "ws:"), "tls_cert": str(cert), "tls_key": str(key)})
    assert r.status == 400 and r.error()["field"] == "tls_cert", r
    assert "only for wss://" in r.error()["message"], r


def test_cli_creates_a_wss_channel(wsx, pki):
    cert, key, _ = pki.issue("cli")
    name = unique_name("tlscli")
    port = free_port()
    p = wsx.cli("create", "--name", name, "--address", f"wss://127.0.0.1:{port}/ws",
                "--service", "demo.echo", "--data-format", "raw", "--tls-cert", str(cert),
                "--tls-key", str(key))
    try:
        assert p.returncode == 0, p.stderr
        g = wsx.cli("get", name)
        assert g.returncode == 0, g.stderr
        assert str(cert) in g.stdout and str(key) in g.stdout, g.stdout
        assert asyncio.run(_echo(f"wss://127.0.0.1:{port}/ws", client_ctx(pki), ["cli"]))[0] == \
            ["cli"]
    finally:
        wsx.cli("delete", name)


def test_missing_or_mismatched_files_put_the_channel_in_error(wss_channel, wsx, pki, tmp_path):
    missing = tmp_path / "nope.crt"
    cert, key, _ = pki.issue("mismatch-a")
    _, other_key, _ = pki.issue("mismatch-b")
    ch = wss_channel(cert=missing, key=key, expect_state="error")
    assert ch["state"].startswith("error: ") and str(missing) in ch["state"], ch
    assert "No such file" in ch["state"], ch
    assert wsx.alive()
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"tls_cert": str(cert),
                                                          "tls_key": str(other_key)})
    assert r.status == 200, r
    st = r.json()["state"]
    assert st.startswith("error: ") and str(other_key) in st and "does not match" in st \
        or "tls_key" in st, st
    r = wsx.api("PATCH", f"/api/v1/channels/{ch['id']}", {"tls_key": str(key)})
    assert r.status == 200 and r.json()["state"] == "listening", r
    assert asyncio.run(_echo(f"wss://127.0.0.1:{ch['port']}/ws", client_ctx(pki),
                             ["fixed"]))[0] == ["fixed"]
    # the key's contents never come back, only its path
    assert "PRIVATE KEY" not in wsx.api("GET", f"/api/v1/channels/{ch['id']}").body.decode()


# --------------------------------------------------------------------------- SIGHUP


def test_sighup_reloads_the_certificate_and_open_connections_keep_going(wss_channel, wsx, pki,
                                                                         tmp_path):
    c1, k1, serial1 = pki.issue("reload-1")
    cert, key = tmp_path / "live.crt", tmp_path / "live.key"
    shutil.copy(c1, cert)
    shutil.copy(k1, key)
    ch = wss_channel(cert=cert, key=key)
    ctx = client_ctx(pki)
    assert peer_serial(ch["port"], ctx) == serial1

    async def connect():
        return await websockets.connect(ch["wss_url"], ssl=ctx, ping_interval=None,
                                        compression=None)

    loop = asyncio.new_event_loop()
    old = loop.run_until_complete(connect())
    try:
        loop.run_until_complete(old.send("before"))
        assert loop.run_until_complete(asyncio.wait_for(old.recv(), IO_TIMEOUT)) == "before"

        c2, k2, serial2 = pki.issue("reload-2")
        shutil.copy(c2, cert)
        shutil.copy(k2, key)
        assert peer_serial(ch["port"], ctx) == serial1, "no reload before SIGHUP"
        wsx.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: peer_serial(ch["port"], ctx) == serial2,
                   what="a new connection to see the new certificate after SIGHUP")
        loop.run_until_complete(old.send("after"))
        assert loop.run_until_complete(asyncio.wait_for(old.recv(), IO_TIMEOUT)) == "after"

        # a reload that fails keeps the certificate in use and says why
        cert.write_text("not a certificate\n")
        wsx.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "certificate reload failed" in wsx.log(),
                   what="the failed reload to be logged")
        assert peer_serial(ch["port"], ctx) == serial2
        assert wsx.get_channel(ch["id"])["state"] == "listening"
        loop.run_until_complete(old.send("still"))
        assert loop.run_until_complete(asyncio.wait_for(old.recv(), IO_TIMEOUT)) == "still"
    finally:
        loop.run_until_complete(old.close())
        loop.close()
    assert "BEGIN PRIVATE KEY" not in wsx.log()
    assert wsx.alive()


def test_sighup_rereads_the_odb(server_factory):
    """A change written into the ODB behind the server's back (no config version
    bump, so the once-a-second poll does not see it) is applied at SIGHUP."""
    srv = server_factory().start()
    ch = srv.create_channel()
    assert connect_refused(ch["port"]) is False
    db = sqlite3.connect(str(srv.data_dir / "wsx.db"), timeout=10)
    try:
        with db:
            db.execute("UPDATE channel SET is_active = 0 WHERE id = ?", (ch["id"],))
    finally:
        db.close()
    time.sleep(2.5)  # two polls: they see the same config version and do nothing
    assert connect_refused(ch["port"]) is False, "the poll should not have noticed"
    srv.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: connect_refused(ch["port"]), what="SIGHUP to apply the ODB's change")
    assert srv.get_channel(ch["id"])["state"] == "inactive"
    assert "received SIGHUP" in srv.log()


# --------------------------------------------------------------------------- admin HTTPS


class HttpsWsxServer(WsxServer):
    """A wsx server whose admin listener is HTTPS, with clients trusting the test CA."""
    cafile = None

    @property
    def url(self):
        return f"https://127.0.0.1:{self.admin_port}"

    def request(self, method, path, body=None, headers=None):
        ctx = ssl.create_default_context(cafile=str(self.cafile))
        conn = http.client.HTTPSConnection("127.0.0.1", self.admin_port, context=ctx,
                                           timeout=IO_TIMEOUT)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def healthz_ok(self):
        try:
            return self.request("GET", "/healthz")[0] == 200
        except OSError:
            return False


def test_admin_over_https(server_factory, pki, tmp_path):
    cert, key, serial1 = pki.issue("admin")
    srv = server_factory(extra_args=["--admin-tls-cert", str(cert), "--admin-tls-key", str(key)])
    srv.__class__ = HttpsWsxServer
    srv.cafile = pki.ca_file
    srv.start()
    # the web admin's login: its cookie is Secure over TLS
    status, headers, body = srv.request(
        "POST", "/api/v1/session",
        json.dumps({"username": "admin", "password": ADMIN_PASSWORD}).encode(),
        {"Content-Type": "application/json"})
    assert status == 200, body
    cookie = headers["set-cookie"]
    assert "wsx_session=" in cookie and "; Secure" in cookie and "HttpOnly" in cookie, cookie
    # the API with Basic auth
    status, _, body = srv.request("GET", "/api/v1/channels",
                                  headers={"Authorization": basic_auth("admin", ADMIN_PASSWORD)})
    assert status == 200, body
    # plain HTTP to the HTTPS port gets nothing useful
    with socket.create_connection(("127.0.0.1", srv.admin_port), timeout=IO_TIMEOUT) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = s.recv(4096)
        except ConnectionResetError:
            data = b""
        assert b"200 OK" not in data

    # the CLI with --cacert, and with WSX_CACERT
    env = {k: v for k, v in os.environ.items() if k not in ("WSX_URL", "WSX_CACERT")}
    env["WSX_PASSWORD"] = ADMIN_PASSWORD
    p = subprocess.run([WSX_BIN, "channel", "list", "--url", srv.url, "--cacert",
                        str(pki.ca_file)], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([WSX_BIN, "server", "list", "--url", srv.url], env={**env, "WSX_CACERT":
                                                                 str(pki.ca_file)},
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    # without the CA, curl refuses the server
    p = subprocess.run([WSX_BIN, "channel", "list", "--url", srv.url], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0 and "cannot reach the admin API" in p.stderr, p.stderr

    # SIGHUP reloads the admin certificate too
    def admin_serial():
        ctx = ssl.create_default_context(cafile=str(pki.ca_file))
        return peer_serial(srv.admin_port, ctx)
    assert admin_serial() == serial1
    c2, k2, serial2 = pki.issue("admin-2")
    shutil.copy(c2, cert)
    shutil.copy(k2, key)
    srv.proc.send_signal(signal.SIGHUP)
    wait_until(lambda: admin_serial() == serial2, what="the admin listener's new certificate")


def test_admin_tls_flags_go_together(tmp_path, pki):
    cert, key, _ = pki.issue("half")
    p = subprocess.run([WSX_BIN, "server", "--data", str(tmp_path / "d"), "--admin",
                        f"127.0.0.1:{free_port()}", "--admin-tls-cert", str(cert)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "--admin-tls-key" in p.stderr, p.stderr
    p = subprocess.run([WSX_BIN, "server", "--data", str(tmp_path / "d"), "--admin",
                        f"127.0.0.1:{free_port()}", "--admin-tls-cert", str(tmp_path / "none"),
                        "--admin-tls-key", str(key)],
                       capture_output=True, text=True, timeout=60,
                       env={**os.environ, "WSX_ADMIN_PASSWORD": ADMIN_PASSWORD})
    assert p.returncode == 1 and str(tmp_path / "none") in p.stderr, p.stderr
