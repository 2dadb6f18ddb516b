#!/usr/bin/env python3
"""pg.py - a throwaway PostgreSQL for the tests: initdb + pg_ctl in a new temporary
directory, listening on 127.0.0.1 only, on a free port, trusting local connections
(nothing else can reach it), tuned for speed rather than durability (fsync off).

PostgreSQL refuses to run as root: as root, the cluster belongs to an unprivileged
user (WSX_PG_USER, else `wsxtest` made by scripts/install-deps, else `nobody`).

Command line (the Makefile's unit tests):
    pg.py start            prints "DIR URL" (URL: postgresql://wsx@127.0.0.1:PORT/postgres)
    pg.py stop DIR         stops the server and removes DIR
Python (the integration tests): PgCluster().start(), .url(db), .create_database(),
.stop_server() / .start_server() (a restart with a window in between), .destroy()."""
import glob
import os
import pwd
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SUPERUSER = "wsx"
PORT_RANGE = (15000, 19999)  # below wsxlib's 20000-32000 and the ephemeral range


def bindir():
    """Debian keeps initdb and pg_ctl out of PATH, under /usr/lib/postgresql/N/bin."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:
        return os.path.dirname(found[-1])
    initdb = shutil.which("initdb")
    if initdb:
        return os.path.dirname(initdb)
    raise RuntimeError("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql; "
                       "scripts/install-deps does it)")


def run_as_user():
    """The user to run PostgreSQL as, or None to run it as ourselves (not root)."""
    if os.geteuid() != 0:
        return None
    for name in (os.environ.get("WSX_PG_USER"), "wsxtest", "nobody"):
        if not name:
            continue
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user to run PostgreSQL as "
                       "(scripts/install-deps creates `wsxtest`)")


def port_is_free(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class PgCluster:
    def __init__(self, directory=None):
        self.dir = directory
        self.port = None
        self.user = run_as_user()
        self.bin = bindir()
        self._db_counter = 0

    # --- processes

    def _cmd(self, *argv, check=True, timeout=60):
        argv = [os.path.join(self.bin, argv[0]), *argv[1:]]
        if self.user:
            argv = ["runuser", "-u", self.user, "--", *argv]
        r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, cwd="/")
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}{r.stderr}"
                               f"{self.log_tail()}")
        return r

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    def log_tail(self, n=4000):
        try:
            with open(os.path.join(self.dir, "log"), errors="replace") as f:
                return "\nPostgreSQL log:\n" + f.read()[-n:]
        except OSError:
            return ""

    def start(self):
        if self.dir is None:
            self.dir = tempfile.mkdtemp(prefix="wsx-pg-")
        os.chmod(self.dir, 0o700)
        if self.user:
            pw = pwd.getpwnam(self.user)
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        # -N: no fsync of the new files; trust: only this machine's loopback can connect
        self._cmd("initdb", "-D", self.data, "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "-N")
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("\n# wsx tests\nlisten_addresses = '127.0.0.1'\n"
                    f"unix_socket_directories = '{self.dir}'\n"
                    "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                    "max_connections = 200\nshared_buffers = 32MB\n")
        for attempt in range(20):
            port = random.randint(*PORT_RANGE)
            if not port_is_free(port):
                continue
            self.port = port
            try:
                self.start_server()
                return self
            except RuntimeError:
                if attempt == 19 or "could not bind" not in self.log_tail():
                    raise
        raise RuntimeError("no free port for PostgreSQL")

    def start_server(self):
        """Start (again) on the same port; returns when it accepts connections."""
        self._cmd("pg_ctl", "-D", self.data, "-l", os.path.join(self.dir, "log"), "-w", "-t", "60",
                  "-o", f"-p {self.port}", "start")

    def stop_server(self, mode="fast"):
        """Stop the server, keeping its data (start_server brings it back)."""
        self._cmd("pg_ctl", "-D", self.data, "-m", mode, "-w", "-t", "60", "stop")

    def restart(self):
        self.stop_server()
        self.start_server()

    def destroy(self):
        if self.dir and os.path.isdir(self.data):
            self._cmd("pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    # --- databases

    def url(self, db="postgres"):
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{db}"

    def psql(self, sql, db="postgres"):
        """Run SQL with psql; returns its unaligned, tuples-only output."""
        r = subprocess.run(["psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", self.url(db),
                            "-c", sql], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        if r.returncode != 0:
            raise RuntimeError(f"psql failed: {sql}\n{r.stderr}")
        return r.stdout.strip()

    def create_database(self, prefix="wsx"):
        """A new empty database; returns its URL."""
        self._db_counter += 1
        name = f"{prefix}_{os.getpid()}_{self._db_counter}_{random.randrange(16**6):06x}"
        self.psql(f'CREATE DATABASE "{name}"')
        return self.url(name)


def main(argv):
    if len(argv) == 2 and argv[1] == "start":
        c = PgCluster()
        try:
            c.start()
        except Exception:
            c.destroy()
            raise
        print(c.dir, c.url())
        return 0
    if len(argv) == 3 and argv[1] == "stop":
        c = PgCluster(argv[2])
        c.destroy()
        return 0
    sys.stderr.write("usage: pg.py start | pg.py stop DIR\n")
    return 2


if __name__ == "__main__":
    t = time.monotonic()
    rc = main(sys.argv)
    sys.stderr.write(f"pg.py {sys.argv[1] if len(sys.argv) > 1 else ''}: "
                     f"{time.monotonic() - t:.1f} s\n")
    sys.exit(rc)
