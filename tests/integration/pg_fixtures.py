"""PostgreSQL fixtures of the integration suite (a pytest plugin that conftest.py
loads): a throwaway PostgreSQL from tests/support/pg.py, started in a second or two
as an unprivileged user on a free loopback port, and a fresh database per test."""
import sys

import pytest

import wsxlib

sys.path.insert(0, str(wsxlib.ROOT / "tests" / "support"))
from pg import PgCluster  # noqa: E402


@pytest.fixture(scope="session")
def pg():
    """One PostgreSQL for the session. pg.create_database() returns the URL of a new
    empty database; pg.psql(sql, db) runs SQL. Tests must not stop it: a test that
    restarts PostgreSQL uses pg_private."""
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def pg_url(pg):
    """The URL of a fresh, empty database on the session's PostgreSQL."""
    return pg.create_database()


@pytest.fixture
def pg_private():
    """A PostgreSQL of this test's own, which it may stop (stop_server), start again
    (start_server, same port and data) or restart."""
    cluster = PgCluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()
