"""Fixtures of the wsx integration suite.

`wsx` is one server for the whole session (its teardown asserts that SIGTERM ends it
with status 0, so an ASan leak report fails the run); tests that must own a process
(durability, quickstart) start their own with `server_factory`."""
import os
import shutil

import pytest

import wsxlib
from wsxlib import CLIENTS, WSX_BIN, WsxServer

pytest_plugins = ["pg_fixtures"]


def pytest_sessionstart(session):
    if not os.access(WSX_BIN, os.X_OK):
        raise pytest.UsageError(f"wsx binary {WSX_BIN} is missing: run `make build/asan/wsx` "
                                f"or set WSX_BIN")


@pytest.fixture(scope="session")
def node_ready():
    """Node and its `ws` module (npm ci at the repository root installs it)."""
    if not shutil.which("node"):
        pytest.fail("node is not installed (the Node ws tests need it)")
    if not (wsxlib.ROOT / "node_modules" / "ws").is_dir():
        pytest.fail(f"{wsxlib.ROOT}/node_modules/ws is missing: run `npm ci` at the repository "
                    f"root")


@pytest.fixture(scope="session")
def wsx(tmp_path_factory, request):
    """The shared server: 2 workers, admin on a free port, admin password from the env.
    With WSX_TEST_ODB=postgresql its ODB is a database on the session's PostgreSQL (the
    `pg` fixture), so the same tests check the PostgreSQL backend (make integration
    runs a subset that way)."""
    base = tmp_path_factory.mktemp("wsx-session")
    odb = None
    if os.environ.get("WSX_TEST_ODB") == "postgresql":
        odb = request.getfixturevalue("pg").create_database()
    elif os.environ.get("WSX_TEST_ODB"):
        raise pytest.UsageError("WSX_TEST_ODB is postgresql or unset (SQLite)")
    srv = WsxServer(base / "data", odb=odb).start()
    yield srv
    if not srv.alive():
        pytest.fail(f"the session's wsx server died (exit {srv.proc.returncode}); output:\n"
                    f"{srv.log()[-8000:]}", pytrace=False)
    try:
        srv.assert_clean_stop()
    except AssertionError as e:
        pytest.fail(f"stopping the session's server: {e}", pytrace=False)


@pytest.fixture(autouse=True)
def _session_server_survives(request):
    """After each test that used the shared server: if the server died, fail this test
    with its output, and restart it on the same data directory and admin port (the
    channels in the ODB come back on their ports) so one crash does not fail every
    later test."""
    yield
    if "wsx" not in request.fixturenames:
        return
    srv = request.getfixturevalue("wsx")
    if srv.alive():
        return
    rc, out = srv.proc.returncode, srv.log()
    srv.crashes.append(f"{request.node.nodeid} (exit {rc})")
    for attempt in range(3):
        try:
            srv.start()
            break
        except AssertionError as e:
            if attempt == 2:
                pytest.exit(f"the wsx server died during {request.node.nodeid} (exit {rc}) and "
                            f"did not start again: {e}\nIts output before:\n{out[-6000:]}",
                            returncode=1)
    pytest.fail(f"the wsx server died during this test (exit {rc}); it was restarted for the "
                f"next tests. Its output:\n{out[-6000:]}", pytrace=False)


@pytest.fixture
def server_factory(tmp_path):
    """Start private servers; each is stopped at teardown (SIGTERM, exit 0 asserted)
    unless the test stopped or killed it itself."""
    started = []

    def make(data_dir=None, **kw):
        srv = WsxServer(data_dir or (tmp_path / "data"), **kw)
        started.append(srv)
        return srv

    yield make
    failures = []
    for srv in started:
        if srv.proc is None:
            continue
        if srv.alive():
            rc = srv.stop()
            if rc != 0:
                failures.append(f"wsx {srv.command} exited with {rc} after SIGTERM; output:\n"
                                f"{srv.log()[-8000:]}")
        elif not srv.stopped_by_us:
            failures.append(f"wsx {srv.command} died by itself (exit {srv.proc.returncode}); "
                            f"output:\n{srv.log()[-8000:]}")
    if failures:
        pytest.fail("\n\n".join(failures), pytrace=False)


@pytest.fixture
def channel(wsx):
    """Create channels on the shared server (raw, demo.echo, free port); they are
    deleted after the test."""
    made = []

    def make(**fields):
        ch = wsx.create_channel(**fields)
        made.append(ch["id"])
        return ch

    yield make
    for cid in made:
        if wsx.alive():
            wsx.api("DELETE", f"/api/v1/channels/{cid}")


@pytest.fixture(params=sorted(CLIENTS))
def client_cls(request):
    """Each lifecycle test runs once with Python websockets and once with Node ws."""
    if request.param == "node-ws":
        request.getfixturevalue("node_ready")
    return CLIENTS[request.param]


@pytest.fixture
def clients(client_cls):
    """Open clients of the test's kind; closed after the test."""
    opened = []

    def connect(url):
        c = client_cls(url)
        opened.append(c)
        return c

    yield connect
    for c in opened:
        c.close()
