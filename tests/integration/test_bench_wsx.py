"""`wsx bench --wsx` against a real server: it logs in, invokes demo.echo and checks
every reply; in --hold it answers the server's JSON pings (no 4002), and when it is
frozen past the ping threshold it reports the 4002 closes; --source-addrs spreads
the connections over the given local addresses; --hold --deflate sends one compressed
message per connection."""
import json
import signal
import subprocess
import time

from wsxlib import WSX_BIN, unique_name


def bench(*args, timeout=60):
    r = subprocess.run([WSX_BIN, "bench", *args], capture_output=True, text=True,
                       timeout=timeout)
    return r.returncode, r.stdout, r.stderr


def json_channel(wsx, **fields):
    return wsx.create_channel(name=unique_name("bj"), data_format="json", token_ttl=3600,
                              **fields)


def test_echo_logs_in_and_every_invoke_is_answered(wsx):
    ch = json_channel(wsx)
    rc, out, err = bench("--url", ch["ws_url"], "--wsx", "-c", "4", "-n", "400", "--warmup",
                         "0.2", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["wsx"] is True
    assert r["messages"] == 400
    assert r["errors"]["total"] == 0, r["first_error"]
    # the envelope: meta with id, timestamp, action, token, and the data object
    assert r["message_size"] > 150


def test_a_raw_channel_fails_the_login(wsx):
    ch = wsx.create_channel(name=unique_name("braw"))
    rc, out, err = bench("--url", ch["ws_url"], "--wsx", "-c", "2", "-d", "0.5")
    assert rc == 1
    assert "create-session" in err


def test_hold_answers_json_pings(wsx):
    ch = json_channel(wsx, ping_interval=1, pings_missed_threshold=1)
    rc, out, err = bench("--url", ch["ws_url"], "--wsx", "--hold", "20", "-d", "3.5", "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["hold"]["upgraded"] == 20
    assert r["pings"] >= 20 * 2, r
    assert r["pongs"] == r["pings"]
    assert r["missed_pings_closes"] == 0
    assert r["errors"]["total"] == 0, r["first_error"]


def test_a_frozen_client_gets_4002_and_the_report_counts_it(wsx):
    ch = json_channel(wsx, ping_interval=1, pings_missed_threshold=1)
    p = subprocess.Popen([WSX_BIN, "bench", "--url", ch["ws_url"], "--wsx", "--hold", "5",
                          "-d", "6", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    try:
        time.sleep(1.0)  # logged in (5 logins take milliseconds)
        p.send_signal(signal.SIGSTOP)
        time.sleep(3.2)  # two pings unanswered: the second ping time finds one missed
        p.send_signal(signal.SIGCONT)
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    r = json.loads(out)
    assert r["closed_by_server"].get("4002") == 5, r
    assert r["missed_pings_closes"] == 5


def test_source_addrs_spread_the_connections(wsx):
    ch = json_channel(wsx)
    p = subprocess.Popen([WSX_BIN, "bench", "--url", ch["ws_url"], "--wsx", "--hold", "6",
                          "-d", "3", "--source-addrs", "127.0.0.2,127.0.0.3"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        ss = subprocess.run(["ss", "-tnH", "state", "established", f"dport = :{ch['port']}"],
                            capture_output=True, text=True, timeout=10).stdout
        out, err = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 0, err
    sources = sorted(line.split()[2].rsplit(":", 1)[0] for line in ss.splitlines())
    assert sources == ["127.0.0.2"] * 3 + ["127.0.0.3"] * 3, ss


def test_hold_with_deflate_sends_one_compressed_message_each(wsx, channel):
    """--deflate (the bench's memory of compressed connections): every held connection
    sends one compressed message and gets its echo; a channel without permessage_deflate
    is reported as a handshake error, not measured as if compressed."""
    ch = channel(permessage_deflate=True)
    rc, out, err = bench("--url", ch["ws_url"], "--hold", "20", "-d", "0.5",
                         "--deflate", "permessage-deflate", "--server-pid", str(wsx.proc.pid),
                         "--json")
    assert rc == 0, err
    r = json.loads(out)
    assert r["errors"]["total"] == 0, r["first_error"]
    assert r["hold"]["upgraded"] == 20 and r["hold"]["deflate_echoes"] == 20, r["hold"]
    plain = channel()
    rc, out, err = bench("--url", plain["ws_url"], "--hold", "3", "-d", "0.2",
                         "--deflate", "permessage-deflate", "--json")
    assert rc == 1, (rc, out, err)
    assert "the server's 101 has no permessage-deflate" in err, err
    rc, out, err = bench("--url", ch["ws_url"], "--deflate", "permessage-deflate")
    assert rc == 2 and "--deflate measures held raw connections" in err, err
