"""The tests' own Django on the private cluster of ``pgcluster.py``: ``default`` pointed at its primary (or
at PgBouncer in front of it), and a ``replica`` alias at its standby, for the length of a test module.

The test database on the shared server is made first (``django_db_setup``), then the connection settings
are pointed elsewhere and put back afterwards, so that the rest of the run is not affected. The tests run
with ``transaction=True``: the replica sees committed rows only, and the flush after each test empties
the private primary (and, by replication, the replica).
"""

from __future__ import annotations

import contextlib
import copy
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

from django.db import connections

from .pgcluster import DBNAME, PgCluster

__all__ = ["REPLICA", "clone_test_database", "migrate", "pointed_at", "routed_settings"]

REPLICA = "replica"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"


def migrate(url: str, **env: str) -> None:
    """``partycard migrate`` on ``url`` in a process of its own (the test settings)."""
    environment = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "partycard.cli", "migrate", "--no-input", "-v", "0"],
        env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def clone_test_database(cluster: PgCluster) -> None:
    """The shared test database as migrated (schema, triggers, reference rows) copied to the private
    primary with ``pg_dump | pg_restore``: seconds, where migrating again takes a minute."""
    s = connections.settings["default"]
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    source = f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    dump = subprocess.run(
        [str(cluster.bindir / "pg_dump"), "-Fc", "--no-owner", "-d", source],
        capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    assert dump.returncode == 0, dump.stderr.decode()
    restore = subprocess.run(
        [str(cluster.bindir / "pg_restore"), "--no-owner", "--exit-on-error", "-d", cluster.primary.url()],
        input=dump.stdout, capture_output=True, timeout=300, check=False,
    )  # fmt: skip
    assert restore.returncode == 0, restore.stderr.decode()


def _forget(alias: str) -> None:
    with contextlib.suppress(AttributeError):
        delattr(connections._connections, alias)  # type: ignore[attr-defined]  # this thread's wrapper


@contextlib.contextmanager
def pointed_at(
    cluster: PgCluster,
    *,
    port: int | None = None,
    replica: bool = True,
    options: dict[str, Any] | None = None,
    pgbouncer: bool = False,
) -> Iterator[None]:
    """``default`` on the cluster's primary (or ``port``: PgBouncer's, with ``pgbouncer`` its options as
    settings/base.py sets them), ``replica`` on its standby."""
    default = connections.settings["default"]
    keys = ("HOST", "PORT", "NAME", "USER", "PASSWORD", "OPTIONS", "DISABLE_SERVER_SIDE_CURSORS")
    saved = {k: copy.deepcopy(default.get(k)) for k in keys}
    connections.close_all()
    default.update(
        HOST="127.0.0.1",
        PORT=str(port or cluster.primary.port),
        NAME=DBNAME,
        USER="postgres",
        PASSWORD="",
        OPTIONS={**(default.get("OPTIONS") or {}), **(options or {})},
    )
    if pgbouncer:
        default["DISABLE_SERVER_SIDE_CURSORS"] = True
        default["OPTIONS"]["prepare_threshold"] = None
    if replica and cluster.replica is not None:
        standby = copy.deepcopy(default)
        standby.update(PORT=str(cluster.replica.port), TEST={**standby["TEST"], "MIRROR": "default"})
        standby["OPTIONS"] = {**standby["OPTIONS"], "connect_timeout": 2}
        connections.settings[REPLICA] = standby
    try:
        yield
    finally:
        connections.close_all()
        if REPLICA in connections.settings:
            del connections.settings[REPLICA]
        _forget(REPLICA)
        for key, value in saved.items():
            if value is None:
                default.pop(key, None)
            else:
                default[key] = value


def routed_settings(settings: Any, **partycard: Any) -> None:
    """The settings block of settings/base.py with ``DATABASE_REPLICA_URL`` set: the router and the
    read-your-writes middleware (pytest-django's ``settings``: put back after the test)."""
    settings.DATABASE_ROUTERS = ["partycard.core.db_router.ReplicaRouter"]
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(middleware.index(AUTH_MIDDLEWARE) + 1, "partycard.core.db_router.ReplicaMiddleware")
    settings.MIDDLEWARE = middleware
    settings.PARTYCARD = {
        **settings.PARTYCARD,
        "REPLICA_MAX_LAG_SECONDS": 30.0,
        "REPLICA_RETRY_SECONDS": 0.0,
        **partycard,
    }
