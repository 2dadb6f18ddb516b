"""localcluster - two or three `wsx server`s on this machine, one cluster: each with its
own --name (m1, m2, ...), admin port and --bind-host (127.0.0.2, 127.0.0.3, ...), so they
share every channel's port on distinct addresses. Their ODB is either one SQLite file in
a shared data directory (WAL; one admin password and sealing key; the others see a
change through the config version they poll every second), or a PostgreSQL database
(odb_url) with a data directory per server, as on separate machines."""
import shutil
import sys

from wsxlib import ROOT, wait_until

sys.path.insert(0, str(ROOT / "tests" / "support"))
import pg  # noqa: E402  (tests/support/pg.py: a throwaway PostgreSQL)


def start_cluster(server_factory, tmp_path, n=2, extra_args=(), plugins=(), odb_url=None):
    """Start n servers (in order, so the first creates the ODB) and return them.
    plugins: .so files copied into each services directory first."""
    servers = []
    for i in range(n):
        name = f"m{i + 1}"
        data = tmp_path / ("data" if odb_url is None else f"data-{name}")
        (data / "services").mkdir(parents=True, exist_ok=True)
        for so in plugins:
            shutil.copy(so, data / "services" / so.name)
        odb = ["--odb", odb_url] if odb_url else []
        srv = server_factory(data, log_path=tmp_path / f"{name}.log",
                             extra_args=["--name", name, "--bind-host", bind_host(i), *odb,
                                         *extra_args])
        srv.name = name
        srv.bind_host = bind_host(i)
        servers.append(srv.start())
    return servers


def bind_host(i):
    return f"127.0.0.{i + 2}"


def servers_by_name(srv):
    """GET /api/v1/servers on srv, as {name: item}."""
    r = srv.api("GET", "/api/v1/servers")
    assert r.status == 200, r
    body = r.json()
    assert body["total"] == len(body["items"]), body
    return {s["name"]: s for s in body["items"]}


def wait_state(srv, name, state, timeout=30):
    """Wait until srv's GET /api/v1/servers shows server `name` in `state`."""
    return wait_until(lambda: (servers_by_name(srv).get(name) or {}).get("state") == state,
                      timeout=timeout, what=f"server {name} to be '{state}' seen from "
                                            f"{srv.name}")


def wait_listening(servers, cid, timeout=30):
    """Wait until every server says the channel is listening on it (its own "state")."""
    for srv in servers:
        wait_until(lambda: srv.get_channel(cid)["state"] == "listening", timeout=timeout,
                   what=f"channel {cid} to listen on {srv.name}")
