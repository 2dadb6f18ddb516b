"""Hardening regressions: what a hostile or unlucky client must not be able to do to
the server.

- a huge frame announced after the server's close is dropped, not buffered;
- a channel switched off and on while clients connect and reset at once does not
  leave a freed listener in the event loop;
- out of file descriptors, the accept loop does not spin (or flood the log) and the
  server recovers when descriptors come back;
- a query value that is not UTF-8 still gets a JSON error naming its field;
- an admin keep-alive connection open at SIGTERM is freed (exit 0 under ASan);
- pipelined admin requests are all answered, also when an answer got stuck;
- unknown users and wrong passwords are refused alike, and a long
  WSX_ADMIN_PASSWORD is taken whole.
"""
import os
import resource
import selectors
import socket
import statistics
import struct
import threading
import time

from wsxlib import (OP_BINARY, OP_CLOSE, OP_TEXT, RawWs, basic_auth, http_request,
                    parse_http_head, tcp_connect, unique_name, upgrade_request, wait_until)

CHANNELS = "/api/v1/channels"
MIB = 1 << 20


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def cpu_ticks(pid):
    """utime + stime of the whole process, in clock ticks (/proc/PID/stat 14 and 15)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # fields[0] is field 3 (state)


def echoes(port, payload=b"hardened"):
    with RawWs(port, timeout=10) as ws:
        ws.send_frame(OP_BINARY, payload)
        f = ws.recv_message()
        assert (f.opcode, f.payload) == (OP_BINARY, payload), f
    return True


def echoes_now(port):
    """echoes() for wait_until: False instead of an error while it cannot serve yet."""
    try:
        return echoes(port)
    except (OSError, EOFError, AssertionError):
        return False


def assert_json_error(r, status, field):
    assert r.status == status, r
    assert r.body, f"{status} with an empty body: the error was lost"
    assert r.headers.get("content-type", "").startswith("application/json"), r.headers
    e = r.error()
    assert e.get("field") == field, f"expected field {field!r}: {e}"
    assert isinstance(e.get("message"), str) and e["message"], e
    return e


def read_http_answers(sock, n, timeout=20):
    """Read n HTTP answers (each with a Content-Length) from a keep-alive connection;
    returns [(status, headers, body)]. Fails when the server stops answering."""
    deadline = time.monotonic() + timeout
    buf, answers = b"", []
    while True:
        while b"\r\n\r\n" in buf:
            status, headers, rest = parse_http_head(buf)
            length = int(headers["content-length"])
            if len(rest) < length:
                break
            answers.append((status, headers, rest[:length]))
            buf = rest[length:]
            if len(answers) == n:
                return answers
        left = deadline - time.monotonic()
        if left <= 0:
            why = f"nothing more within {timeout:.0f} s"
            break
        sock.settimeout(left)
        try:
            b = sock.recv(65536)
        except socket.timeout:
            why = f"nothing more within {timeout:.0f} s"
            break
        except ConnectionResetError:
            b = b""
        if not b:
            why = "then the server closed the connection"
            break
        buf += b
    raise AssertionError(f"got {len(answers)} of {n} answers on the connection: {why} "
                         f"(buffered: {buf[:80]!r})")


# --------------------------------------------------------------------------- 1. after our close

def test_huge_frame_after_the_servers_close_is_dropped_not_buffered(wsx, channel):
    """Once the server sent its close (1007 here) only the peer's close frame matters:
    a 2^40-byte frame announced then must make it drop the connection, not buffer the
    payload until its close timeout."""
    ch = channel()
    pid = wsx.proc.pid
    with RawWs(ch["port"]) as ws:
        ws.send_frame(OP_TEXT, b"\xff\xfe")
        f = ws.recv_frame()
        assert f.opcode == OP_CLOSE and f.close_code() == 1007, f
        rss_before = peak = rss_kib(pid)
        chunk = os.urandom(MIB)
        total = 40 * MIB
        sent = 0
        how = None
        t0 = time.monotonic()
        ws.sock.settimeout(5)
        try:
            # a masked binary frame header announcing 2^40 bytes, then the payload
            ws.sock.sendall(struct.pack("!BBQ", 0x82, 0x80 | 127, 1 << 40) + os.urandom(4))
            while sent < total:
                ws.sock.sendall(chunk)
                sent += len(chunk)
                peak = max(peak, rss_kib(pid))
        except (ConnectionResetError, BrokenPipeError) as e:
            how = f"send failed after {sent // MIB} MiB: {e!r}"
        except socket.timeout:
            pass  # it stopped reading; it must still close (below)
        if how is None:
            # everything went out (or the server stopped reading): it must close anyway
            ws.sock.settimeout(10)
            try:
                rest = ws.sock.recv(65536)
                assert rest == b"", f"the server sent more after its close: {rest[:80]!r}"
            except ConnectionResetError:
                pass
            except socket.timeout:
                raise AssertionError(f"the server still holds the connection 10 s after "
                                     f"taking {sent // MIB} MiB of a frame it announced "
                                     f"after its own close")
            how = f"EOF after {sent // MIB} MiB"
        elapsed = time.monotonic() - t0
        peak = max(peak, rss_kib(pid))
    grown_mib = (peak - rss_before) / 1024
    assert elapsed < 10, f"the connection was dropped only after {elapsed:.1f} s ({how})"
    assert grown_mib < 24, (f"server RSS grew by {grown_mib:.0f} MiB while a closing client "
                            f"streamed {sent // MIB} MiB of a 2^40-byte frame ({how}): "
                            f"it buffered the frame")
    assert wsx.healthz_ok()
    assert echoes(ch["port"])


# --------------------------------------------------------------------------- 2. toggle + resets

def test_toggling_a_channel_while_clients_connect_and_reset(wsx, channel):
    """PATCH is_active off/on 40 times while 3 threads connect to the channel and reset
    at once: a listener freed inside the epoll batch that still holds its event is a
    use-after-free (ASan kills the server)."""
    ch = channel()
    port = ch["port"]
    stop = threading.Event()
    attempts = [0, 0, 0]

    def storm(i):
        linger = struct.pack("ii", 1, 0)
        while not stop.is_set():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            s.settimeout(2)
            try:
                s.connect(("127.0.0.1", port))
            except OSError:
                pass  # refused while inactive, or a slow accept
            finally:
                s.close()  # SO_LINGER 0: a reset
            attempts[i] += 1

    threads = [threading.Thread(target=storm, args=(i,), daemon=True) for i in range(3)]
    for t in threads:
        t.start()
    try:
        deadline = time.monotonic() + 30
        for i in range(40):
            for active in (False, True):
                r = wsx.api("PATCH", f"{CHANNELS}/{ch['id']}", {"is_active": active})
                assert r.status == 200, f"toggle {i} is_active={active}: {r}"
                assert r.json()["state"] == ("listening" if active else "inactive"), r
            assert time.monotonic() < deadline, f"only {i + 1} toggles in 30 s"
    finally:
        stop.set()
        for t in threads:
            t.join(10)
    assert sum(attempts) > 40, f"the storm hardly ran: {attempts} connects"
    assert wsx.alive(), f"the server died (exit {wsx.proc.returncode})"
    assert http_request(wsx.url, "GET", "/healthz").status == 200
    assert wsx.get_channel(ch["id"])["state"] == "listening"
    wait_until(lambda: echoes_now(port), timeout=15, what="the toggled channel to echo")


# --------------------------------------------------------------------------- 3. out of fds

FD_LIMIT = 64
FD_LOG_WORDS = ("file descriptors", "open files", "file table")


def settle(socks, timeout):
    """Each socket sent an upgrade request: sort them into upgraded (101), closed by the
    server, and still waiting when the time is up."""
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    upgraded, closed = [], []
    deadline = time.monotonic() + timeout
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            s = key.fileobj
            try:
                b = s.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                b = b""
            if not b:
                sel.unregister(s)
                closed.append(s)
                continue
            bufs[s] += b
            if b"\r\n\r\n" in bufs[s]:
                sel.unregister(s)
                status, _, _ = parse_http_head(bufs[s])
                assert status == 101, f"an upgrade was answered {status}: {bufs[s][:200]!r}"
                upgraded.append(s)
    waiting = [k.fileobj for k in sel.get_map().values()]
    sel.close()
    return upgraded, closed, waiting


def test_out_of_file_descriptors_the_server_neither_spins_nor_floods_the_log(server_factory):
    """With RLIMIT_NOFILE 64 and 80 clients: the connections it cannot take are
    accepted and closed (a spare descriptor), so a level-triggered accept does not
    wake the worker forever; at most a warning now and then; and the channel serves
    again once descriptors are free."""
    srv = server_factory(workers=1).start()
    ch = srv.create_channel()
    pid = srv.proc.pid
    assert echoes(ch["port"])  # the worker has accepted once (and made its spare)
    in_use = len(os.listdir(f"/proc/{pid}/fd"))
    assert in_use < FD_LIMIT - 20, f"the server already uses {in_use} descriptors"
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))

    socks = []
    try:
        for _ in range(80):
            s = tcp_connect(ch["port"], timeout=5)
            socks.append(s)
            s.sendall(upgrade_request(ch["port"])[0])
        upgraded, closed, waiting = settle(socks, timeout=5)
        assert upgraded, "no connection was upgraded"
        assert len(upgraded) < 80, (f"all 80 were upgraded: the descriptor limit was not "
                                    f"reached ({in_use} in use, limit {FD_LIMIT})")

        t0, c0 = time.monotonic(), cpu_ticks(pid)
        time.sleep(2)
        t1, c1 = time.monotonic(), cpu_ticks(pid)
        cpu_s = (c1 - c0) / os.sysconf("SC_CLK_TCK")
        assert srv.alive(), f"the server died out of descriptors:\n{srv.log()[-4000:]}"
        assert cpu_s < 0.5, (f"out of descriptors, the idle server used {cpu_s:.2f} s of CPU in "
                             f"{t1 - t0:.1f} s (upgraded {len(upgraded)}, closed {len(closed)}, "
                             f"left waiting in the backlog {len(waiting)}): its accept loop "
                             f"spins")
        noisy = [l for l in srv.log().splitlines() if any(w in l for w in FD_LOG_WORDS)]
        assert len(noisy) < 100, (f"{len(noisy)} log lines about descriptors, e.g. "
                                  f"{noisy[:3]!r}")
    finally:
        for s in socks:
            s.close()
    # descriptors are back: a new client is served
    wait_until(lambda: echoes_now(ch["port"]), timeout=20,
               what="the channel to echo again after the descriptors came back")
    assert srv.healthz_ok()


# --------------------------------------------------------------------------- 4. page=%FF

def test_undecodable_page_gets_a_json_error_naming_page(wsx):
    """%FF decodes to a byte that is not UTF-8: the message quoting it must still be
    valid JSON, not an empty body."""
    e = assert_json_error(wsx.api("GET", f"{CHANNELS}?page=%FF"), 400, "page")
    assert "page" in e["message"], e
    assert_json_error(wsx.api("GET", f"{CHANNELS}?page=99999999999999999999"), 400, "page")
    assert_json_error(wsx.api("GET", f"{CHANNELS}?page_size=%C3"), 400, "page_size")
    assert wsx.healthz_ok()


# --------------------------------------------------------------------------- 5. keep-alive at exit

def test_admin_keepalive_connection_open_at_sigterm_exits_0(server_factory):
    """The admin connection is freed at shutdown (under ASan a leaked one makes the
    exit status non-zero)."""
    srv = server_factory().start()
    s = tcp_connect(srv.admin_port)
    try:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        [(status, headers, _)] = read_http_answers(s, 1)
        assert status == 200
        assert "close" not in headers.get("connection", "").lower(), headers
        srv.assert_clean_stop()
    finally:
        s.close()


# --------------------------------------------------------------------------- 6. pipelining

def test_two_pipelined_admin_requests_are_both_answered(wsx):
    with tcp_connect(wsx.admin_port) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 2)
        answers = read_http_answers(s, 2)
        assert [a[0] for a in answers] == [200, 200]
        # and the connection still serves
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_http_answers(s, 1)[0][0] == 200


def test_pipelined_requests_behind_a_stuck_answer_are_answered(server_factory):
    """~60 pipelined listings arrive in one read while the client does not read: their
    answers (~5 MiB) outgrow the socket buffers and one gets stuck (EAGAIN). When it
    drains, the requests still waiting in the server's buffer must be answered,
    although no new bytes come in to wake the connection for reading."""
    srv = server_factory().start()
    for i in range(150):  # inactive: the ports are never bound
        r = srv.api("POST", CHANNELS, {"name": unique_name("pipelined").ljust(190, "x"),
                                       "address": f"ws://127.0.0.1:{40000 + i}/ws",
                                       "service": "demo.echo", "data_format": "raw",
                                       "is_active": False})
        assert r.status == 201, r
    listing = srv.api("GET", f"{CHANNELS}?page_size=1000")
    assert listing.status == 200 and listing.json()["total"] == 150, listing
    req = (f"GET {CHANNELS}?page_size=1000 HTTP/1.1\r\nHost: x\r\n"
           f"Authorization: {basic_auth('admin', srv.password)}\r\n\r\n").encode()
    n = 8000 // len(req)  # all of them fit in the server's first read (8 KiB)
    assert n * len(listing.body) > 4 * MIB, "too little to get an answer stuck"
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    try:
        s.connect(("127.0.0.1", srv.admin_port))
        s.sendall(req * n)
        time.sleep(0.5)  # not reading yet: let the answers back up
        answers = read_http_answers(s, n, timeout=10)
        assert all(a[0] == 200 for a in answers), [a[0] for a in answers]
        assert all(a[2] == listing.body for a in answers), "an answer differs"
    finally:
        s.close()


# --------------------------------------------------------------------------- 7. auth

def test_unknown_user_and_wrong_password_both_get_401(wsx):
    """Both refused the same way; an unknown user also costs a password verification
    (the dummy hash), so the answer time does not tell which users exist. The timing
    check is generous: without the dummy hash an unknown user is answered ~100 times
    faster than a wrong password (a lookup against an Argon2id verification)."""
    unknown, wrong = [], []
    for _ in range(5):
        for user, times in (("nobody-such", unknown), ("admin", wrong)):
            t0 = time.monotonic()
            r = wsx.api("GET", CHANNELS, user=user, password="definitely-wrong")
            times.append(time.monotonic() - t0)
            assert r.status == 401, (user, r)
            assert r.error().get("code") == "unauthorized", r
            assert r.headers.get("www-authenticate", "").lower().startswith("basic"), r.headers
        # a good request between rounds: more than 5 failures in a row would (rightly)
        # put this address in the login penalty window (test_web_session.py)
        assert wsx.api("GET", CHANNELS).status == 200
    assert http_request(wsx.url, "GET", "/healthz").status == 200
    assert wsx.api("GET", CHANNELS).status == 200
    u, w = statistics.median(unknown), statistics.median(wrong)
    assert u >= 0.2 * w, (f"an unknown user is refused in {u * 1000:.1f} ms, a wrong password "
                          f"in {w * 1000:.1f} ms: the timing tells which users exist")


def test_long_admin_password_from_the_env_is_used_whole(server_factory):
    """A 200-character WSX_ADMIN_PASSWORD must be the password, not its first 63
    characters."""
    password = "p" * 63 + "-" + "long-password-" * 10
    srv = server_factory(env_password=password).start()
    assert srv.api("GET", CHANNELS).status == 200
    assert srv.api("GET", CHANNELS, password=password[:63]).status == 401
