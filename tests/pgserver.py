"""A throwaway PostgreSQL server for the test suite, and the databases the fixtures make in it.

With PANEL_TEST_ENGINE=postgresql the suite needs a server: PANEL_TEST_PG_URL names one
(`postgresql://user@host:port/` with the right to create databases), or else `start()` makes a
cluster under /tmp with Debian's binaries (/usr/lib/postgresql/<n>/bin), listening on 127.0.0.1
only, on a free port, trust auth on loopback, fsync off. Postgres refuses to run as root, so as
root the server runs as the `postgres` OS user. No server means the run fails, never skips.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

URL_ENV = "PANEL_TEST_PG_URL"
HOW_TO_GET_IT = ("install Debian's PostgreSQL server (apt-get install postgresql) or run .ci/run, "
                 f"or point {URL_ENV} at a server where this user may create databases")


class NoServer(RuntimeError):
    """PostgreSQL was asked for and cannot be had: the test run must fail."""


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise NoServer(f"no PostgreSQL server binaries (/usr/lib/postgresql/*/bin/initdb): {HOW_TO_GET_IT}")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """One initdb'd cluster in a temporary directory, started with pg_ctl and stopped at the end."""

    def __init__(self) -> None:
        self.bindir = _bindir()
        self.root = Path(tempfile.mkdtemp(prefix="panel-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.root, user="postgres", group="postgres")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise NoServer(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}{done.stderr}{log}")

    def start(self) -> str:
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--locale=C.UTF-8", "--no-sync")
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n")  # loopback only, nothing else
        with open(self.data / "postgresql.conf", "a") as conf:
            conf.write(f"\nlisten_addresses = '127.0.0.1'\n"
                       f"unix_socket_directories = '{self.root}'\nmax_connections = 300\n"
                       "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n")
        # PostgreSQL cannot be given port 0, so the port is chosen here, and another process (a
        # second run on the same machine) can bind it first: then choose again.
        for attempt in range(3):
            try:
                self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                          "-o", f"-p {self.port}", "start")
                return self.url
            except NoServer as e:
                if attempt == 2 or "already in use" not in str(e):
                    raise
                self.port = _free_port()
                self.url = f"postgresql://postgres@127.0.0.1:{self.port}/"
        raise AssertionError("unreachable")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


def server_url() -> str:
    """The server this run uses: PANEL_TEST_PG_URL, set by `start()` or by whoever runs pytest."""
    url = os.environ.get(URL_ENV)
    if not url:
        raise NoServer(f"{URL_ENV} is not set and no server was started: {HOW_TO_GET_IT}")
    return url if url.endswith("/") else url + "/"


def admin():
    """An autocommit connection to the server's `postgres` database (CREATE/DROP DATABASE)."""
    import psycopg  # the `postgres` extra; SQLite runs do without it

    try:
        return psycopg.connect(server_url() + "postgres", autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as e:
        raise NoServer(f"cannot connect to PostgreSQL at {server_url()}: {e}\n{HOW_TO_GET_IT}") from e


def database_url(name: str) -> str:
    return server_url() + name


def create(name: str, template: str | None = None) -> str:
    """A new database (a copy of `template` if given); returns its URL."""
    from psycopg import sql

    with admin() as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if template:
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name),
                                                                        sql.Identifier(template)))
        else:
            con.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    return database_url(name)


def drop(name: str) -> None:
    """Drop a database, ending any connection a test (or a server it started) left open."""
    from psycopg import sql

    with admin() as con:
        con.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
