"""A real PostgreSQL for the test session: Debian's binaries, a temp cluster, a free port.

``initdb`` into a temp dir, ``pg_ctl start`` on 127.0.0.1 with the unix socket in the same dir,
trust auth for one superuser. PostgreSQL refuses to run as root, so under root the cluster
belongs to the ``postgres`` user (or ``nobody``) and is started with ``runuser``. Tests skip,
saying why, only where the binaries are missing (install Debian's ``postgresql`` package).

Use it from a test module with ``from fakes.pg import pg_server, pg_url  # noqa: F401``:
one server per session however many modules import it.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

SUPERUSER = "careerbot"
MISSING = ("PostgreSQL binaries not found (looked for /usr/lib/postgresql/*/bin/initdb and "
           "initdb on PATH): apt-get install -y postgresql")


def find_bindir() -> Path | None:
    """The newest Debian PostgreSQL bin dir, else the one holding ``initdb`` on PATH."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parent.parent.name) if
                   Path(p).parent.parent.name.isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """One throwaway cluster; ``url(db)`` gives a plain ``postgresql://`` URL."""

    def __init__(self, bindir: Path):
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="careerbot-pg-"))
        self.datadir = self.root / "db"
        self.log = self.root / "server.log"
        self.port = 0
        self.owner = _cluster_owner()
        if self.owner:
            os.chmod(self.root, 0o755)
            uid, gid = pwd.getpwnam(self.owner)[2:4]
            os.chown(self.root, uid, gid)

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.owner:
            cmd = ["runuser", "-u", self.owner, "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              cwd=self.root, check=False)

    def start(self) -> None:
        got = self._run("initdb", "-D", str(self.datadir), "-A", "trust", "-U", SUPERUSER,
                        "-E", "UTF8", "--no-sync")
        if got.returncode:
            raise RuntimeError(f"initdb failed: {got.stderr.strip()}")
        for _ in range(3):  # the free port may be taken between probe and bind
            self.port = free_port()
            opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                    "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                    "-c max_connections=200")
            got = self._run("pg_ctl", "-D", str(self.datadir), "-o", opts, "-l",
                            str(self.log), "-w", "-t", "60", "start")
            if got.returncode == 0:
                return
        log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        raise RuntimeError(f"pg_ctl start failed: {got.stderr.strip()}\n{log}")

    def stop(self) -> None:
        if self.datadir.exists():
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its plain ``postgresql://`` URL."""
        import psycopg

        name = name or f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _cluster_owner() -> str | None:
    """initdb refuses root: under root, hand the cluster to an unprivileged user."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no 'postgres' or 'nobody' user to own the cluster")


_server: PostgresServer | None = None


def shared_server() -> PostgresServer:
    """The session's server, started on first use and stopped at session end (or exit)."""
    global _server
    if _server is None:
        bindir = find_bindir()
        if bindir is None:
            pytest.skip(MISSING)
        server = PostgresServer(bindir)
        try:
            server.start()
        except BaseException:
            server.stop()
            raise
        _server = server
        atexit.register(stop_shared_server)
    return _server


def stop_shared_server() -> None:
    global _server
    if _server is not None:
        _server.stop()
        _server = None


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    """The running PostgreSQL of this session."""
    yield shared_server()
    stop_shared_server()


@pytest.fixture
def pg_url(pg_server: PostgresServer) -> str:
    """A fresh, empty database (plain ``postgresql://`` URL, as users write it)."""
    return pg_server.create_database()
