"""A private PostgreSQL cluster for the replica, PgBouncer and fault tests: a primary made by ``initdb`` in a
temporary directory on a free port, a streaming replica made from it with ``pg_basebackup -R`` on another,
and PgBouncer in transaction mode in front of the primary. The tests stop, restart and pause them at will,
which they must never do to the shared PostgreSQL on port 5432.

PostgreSQL and PgBouncer refuse to run as root: run as root (CI), the servers run as the ``postgres`` user
(``runuser``) on a directory given to it. Without the binaries the tests skip, saying why, except in CI
(``PARTYCARD_REQUIRE_REPLICA=1``), where that fails. Teardown stops every server and removes the files.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest

from .servers import free_port, wait_for_port

__all__ = ["PgBouncer", "PgCluster", "PgNode", "pg_bindir", "pgbouncer_binary", "pgcluster"]

PG_BINDIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
DBNAME = "partycard"


def _require(reason: str) -> None:
    if os.environ.get("PARTYCARD_REQUIRE_REPLICA") == "1":
        pytest.fail(f"PARTYCARD_REQUIRE_REPLICA=1 but {reason}")
    pytest.skip(reason)


def pg_bindir() -> Path:
    """The directory of ``initdb``, ``pg_ctl`` and ``pg_basebackup``, or skip (fail in CI)."""
    for candidate in PG_BINDIRS:
        path = Path(candidate)
        if all((path / tool).exists() for tool in ("initdb", "pg_ctl", "pg_basebackup", "postgres")):
            return path
    _require("no PostgreSQL server binaries (initdb, pg_ctl, pg_basebackup) in " + ", ".join(PG_BINDIRS))
    raise AssertionError  # unreachable: skip and fail raise


def pgbouncer_binary() -> str:
    """Debian's PgBouncer, or skip (fail in CI)."""
    found = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
    )
    if found is None:
        _require("no pgbouncer on this machine (apt-get install pgbouncer)")
        raise AssertionError
    return found


def _server_user() -> str | None:
    """The user the servers run as: ``postgres`` when the tests run as root, else the tests' own."""
    return "postgres" if os.geteuid() == 0 else None


def _as_server_user(command: list[str]) -> list[str]:
    user = _server_user()
    return ["runuser", "-u", user, "--", *command] if user else command


def _run(command: list[str], *, timeout: float = 120) -> str:
    done = subprocess.run(
        _as_server_user(command), capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"
    return done.stdout


@dataclass
class PgNode:
    """One PostgreSQL server of the cluster: its data directory, port and log."""

    name: str
    datadir: Path
    port: int
    log: Path

    def url(self, dbname: str = DBNAME) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def connect(self, dbname: str = DBNAME) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url(dbname), autocommit=True, connect_timeout=5)

    def query(self, statement: str, dbname: str = DBNAME) -> object:
        """The first column of the first row of ``statement`` (autocommit, a connection of its own)."""
        with self.connect(dbname) as connection:
            cursor = connection.execute(statement.encode())
            row = cursor.fetchone() if cursor.description else None
        return row[0] if row else None

    def pid(self) -> int | None:
        pidfile = self.datadir / "postmaster.pid"
        try:
            return int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


class PgCluster:
    """A primary and (on ``add_replica``) a streaming replica, each a ``pg_ctl``-managed server."""

    def __init__(self) -> None:
        self.bindir = pg_bindir()
        self.root = Path(tempfile.mkdtemp(prefix="partycard-pgcluster-"))
        self.root.chmod(0o755)
        self._chown(self.root)
        self.primary = PgNode("primary", self.root / "primary", free_port(), self.root / "primary.log")
        self.replica: PgNode | None = None

    def _chown(self, path: Path) -> None:
        user = _server_user()
        if user:
            record = pwd.getpwnam(user)
            os.chown(path, record.pw_uid, record.pw_gid)

    def _tool(self, name: str) -> str:
        return str(self.bindir / name)

    def _touch_log(self, node: PgNode) -> None:
        node.log.touch()
        self._chown(node.log)

    def init_primary(self) -> PgNode:
        """``initdb`` (trust on loopback, replication included), WAL for a hot standby, start, and make the
        application's database."""
        node = self.primary
        _run([self._tool("initdb"), "-D", str(node.datadir), "-U", "postgres", "--auth=trust",
              "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
        with (node.datadir / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {node.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.root}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nwal_keep_size = '256MB'\n"
                "timezone = 'UTC'\nfsync = off\nmax_connections = 60\nshared_buffers = '32MB'\n"
            )
        with (node.datadir / "pg_hba.conf").open("a") as hba:
            hba.write("\nhost replication all 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 trust\n")
        self._touch_log(node)
        self.start(node)
        node.query(f"CREATE DATABASE {DBNAME}", dbname="postgres")
        return node

    def add_replica(self) -> PgNode:
        """A hot standby streaming from the primary: ``pg_basebackup -R`` writes its ``primary_conninfo``
        and ``standby.signal``; it listens on a port of its own."""
        node = PgNode("replica", self.root / "replica", free_port(), self.root / "replica.log")
        _run([self._tool("pg_basebackup"), "-h", "127.0.0.1", "-p", str(self.primary.port), "-U", "postgres",
              "-D", str(node.datadir), "-R", "-X", "stream", "-c", "fast", "--no-sync"])  # fmt: skip
        with (node.datadir / "postgresql.auto.conf").open("a") as conf:
            conf.write(f"\nport = {node.port}\n")
        self._touch_log(node)
        self.replica = node
        self.start(node)
        self.wait_replica_caught_up()
        return node

    def start(self, node: PgNode) -> None:
        _run([self._tool("pg_ctl"), "start", "-w", "-t", "60", "-D", str(node.datadir), "-l", str(node.log)])
        deadline = time.monotonic() + 30
        while True:
            try:
                node.query("SELECT 1", dbname="postgres")
                return
            except psycopg.OperationalError:
                assert time.monotonic() < deadline, node.log.read_text()[-3000:]
                time.sleep(0.1)

    def stop(self, node: PgNode, mode: str = "fast") -> None:
        """``pg_ctl stop -m fast`` (sessions ended, clean shutdown) or ``immediate`` (as a crash)."""
        if node.pid() is None:
            return
        _run([self._tool("pg_ctl"), "stop", "-w", "-t", "60", "-m", mode, "-D", str(node.datadir)])

    def restart(self, node: PgNode, mode: str = "fast") -> None:
        self.stop(node, mode)
        self.start(node)

    def wait_replica_caught_up(self, timeout: float = 30) -> None:
        """Until the replica has replayed everything the primary has written by now."""
        assert self.replica is not None
        target = self.primary.query("SELECT pg_current_wal_lsn()")
        deadline = time.monotonic() + timeout
        while not self.replica.query(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            assert time.monotonic() < deadline, "the replica did not catch up"
            time.sleep(0.05)

    def close(self) -> None:
        """Stop every server (immediate if a clean stop fails) and remove the files; nothing left running."""
        for node in (self.replica, self.primary):
            if node is None or node.pid() is None:
                continue
            try:
                self.stop(node, "fast")
            except (AssertionError, subprocess.TimeoutExpired):
                pid = node.pid()
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGQUIT)
                    time.sleep(1)
        shutil.rmtree(self.root, ignore_errors=True)


PGBOUNCER_INI = """\
[databases]
{dbname} = host=127.0.0.1 port={pg_port} dbname={dbname}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = trust
auth_file = {dir}/userlist.txt
pool_mode = transaction
default_pool_size = {pool}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 200
ignore_startup_parameters = extra_float_digits,options
logfile = {dir}/pgbouncer.log
pidfile = {dir}/pgbouncer.pid
admin_users = postgres
"""


@dataclass
class PgBouncer:
    port: int
    pool: int
    directory: Path
    env: dict[str, str] = field(default_factory=dict)  # the environment of the processes a test starts

    def url(self, dbname: str = DBNAME) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"


@contextlib.contextmanager
def pgbouncer(primary: PgNode, *, pool: int = 2) -> Iterator[PgBouncer]:
    """PgBouncer in transaction mode on a free port in front of ``primary``, with ``pool`` server
    connections at most (fewer than the clients the tests start); stopped on exit."""
    binary = pgbouncer_binary()
    directory = Path(tempfile.mkdtemp(prefix="partycard-pgbouncer-"))
    directory.chmod(0o755)
    user = _server_user()
    port = free_port()
    (directory / "userlist.txt").write_text('"postgres" ""\n')
    ini = directory / "pgbouncer.ini"
    ini.write_text(
        PGBOUNCER_INI.format(dbname=DBNAME, pg_port=primary.port, port=port, pool=pool, dir=directory)
    )
    if user:
        record = pwd.getpwnam(user)
        for path in (directory, directory / "userlist.txt", ini):
            os.chown(path, record.pw_uid, record.pw_gid)
    log = directory / "stderr.log"
    process = subprocess.Popen(
        _as_server_user([binary, str(ini)]),
        stdout=subprocess.DEVNULL, stderr=log.open("ab"), start_new_session=True,
    )  # fmt: skip
    try:
        wait_for_port(port, process, log, timeout=30)
        yield PgBouncer(port, pool, directory)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def pgcluster(*, replica: bool = True) -> Iterator[PgCluster]:
    """A started private primary (and replica), stopped and removed on exit."""
    cluster = PgCluster()
    try:
        cluster.init_primary()
        if replica:
            cluster.add_replica()
        yield cluster
    finally:
        cluster.close()
