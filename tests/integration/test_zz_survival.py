"""Runs last (files run in name order): after everything the other files did to the
shared server, it still answers. Its clean exit (status 0 under ASan) is checked by
the `wsx` fixture's teardown."""
from wsxlib import PyWsClient, http_request


def test_server_survives_the_whole_session(wsx, channel):
    assert not wsx.crashes, ("the shared server died during the session (restarted after "
                             "each): " + "; ".join(wsx.crashes))
    r = http_request(wsx.url, "GET", "/healthz")
    assert r.status == 200, r
    assert wsx.api("GET", "/api/v1/channels").status == 200
    ch = channel()
    c = PyWsClient(ch["ws_url"])
    try:
        c.send("still serving")
        assert c.recv() == "still serving"
    finally:
        c.close()
