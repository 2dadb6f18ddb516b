"""Backpressure (DESIGN.md section 3): a client that sends but never reads.

The server stops reading from a client whose unsent output passes the high-water mark
(the channel's write_queue_high_water, 4 MiB by default), so its memory stays bounded
however much the client pushes, and with the slow consumer policy "close" it closes a
client that stays above the mark for slow_consumer_seconds (1008 queued behind the
backlog; a client that reads nothing loses its TCP connection after the close
timeout). Other clients of the same channel are served all along. test_limits.py
covers the policies further.
"""
import socket
import time

from wsxlib import RawWs, frame, wait_until


def server_rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_client_that_never_reads_is_bounded_then_dropped(wsx, channel):
    ch = channel(ping_interval=1, max_message_size=1 << 20, slow_consumer_seconds=1)
    rss_before = server_rss_kib(wsx.proc.pid)
    hog = RawWs(ch["port"])
    hog.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    msg = frame(0x2, b"\x5a" * 65536)
    hog.sock.settimeout(0.5)
    pushed = 0
    deadline = time.time() + 20
    # push up to 256 MiB of echoes the client never reads; the server must stop
    # taking them (send times out) long before that
    while pushed < (256 << 20) and time.time() < deadline:
        try:
            hog.sock.sendall(msg)
            pushed += len(msg)
        except (socket.timeout, BlockingIOError):
            break
        except (ConnectionResetError, BrokenPipeError):
            break
    assert pushed < (256 << 20), "the server kept reading from a client that never reads"
    grown_mib = (server_rss_kib(wsx.proc.pid) - rss_before) / 1024
    # the high-water mark (4 MiB) plus one message in flight and the allocator's slack
    assert grown_mib < 64, f"server RSS grew by {grown_mib:.0f} MiB for one stalled client"

    # others are served meanwhile
    with RawWs(ch["port"]) as other:
        other.send_frame(0x1, b"still here")
        f = other.recv_message(timeout=10)
        assert (f.opcode, f.payload) == (0x1, b"still here")

    # and the stalled client is cut off: 1 s above the mark, then the close timeout
    def dropped():
        try:
            hog.sock.settimeout(0.2)
            hog.sock.sendall(msg)
            return False
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True

    wait_until(dropped, timeout=15, what="the server to drop the client that never reads")
    hog.sock.close()
