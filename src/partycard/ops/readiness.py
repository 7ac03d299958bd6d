"""Readiness: can this server do its work now? Four checks, each bounded in time, none ever raising.

* ``database``: a ``SELECT 1`` under a short statement timeout (PostgreSQL), on this process's own
  connection;
* ``worker``: some background worker beat within ``HEARTBEAT_STALE_PERIODS`` sweep periods
  (``ops.models.WorkerHeartbeat``, written by every worker's sweep thread, ``jobs.sweeper``);
* ``trust_list``: the published trust list verifies against the root and is not past its next update (nor
  older than ``TRUST_LIST_MAX_AGE_SECONDS`` when that is set): what verifiers download and the verify
  endpoint judges with (``core.signing.trust_material``);
* ``key_store``: the signing key store opens and lists its keys, without signing; and, when the audit key
  is on an HSM (``PARTYCARD_AUDIT_PKCS11_MODULE``), its PKCS#11 session answers.

The checks run on a few threads of their own (the database ones on one thread, so a process holds one
extra connection) and the answer waits at most ``READY_TIMEOUT`` seconds: a hung database or HSM gives
"timeout", not a hung probe. Results carry a reason code, never an exception's text or any record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from partycard.audit.checkpoint import audit_keystore_open
from partycard.core import clock
from partycard.core.signing import SigningUnavailable, pki_directory, pki_keystore_open, trust_material
from partycard.ops.selectors import heartbeat_latest
from partycard.trust.errors import TrustError

__all__ = ["CHECKS", "CheckResult", "Readiness", "readiness", "readiness_connections_close"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckResult:
    """One check's answer: ``reason`` is a stable code when it failed ("" when ok)."""

    name: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    required: bool = True


@dataclass(frozen=True)
class Readiness:
    """Every check's answer; ``ok`` if every required check passed."""

    checks: tuple[CheckResult, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks if c.required)


class _Failed(Exception):
    """A check's failure with its reason code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


_DEFAULTS: dict[str, Any] = {  # settings/base.py's, for a settings override that leaves them out
    "READY_TIMEOUT": 2.0,
    "READY_DB_STATEMENT_MS": 500,
    "READY_REQUIRED": ["database", "worker", "trust_list", "key_store"],
    "HEARTBEAT_STALE_PERIODS": 3.0,
    "JOB_SWEEP_SECONDS": 15.0,
    "TRUST_LIST_MAX_AGE_SECONDS": 0.0,
}


def _settings() -> dict[str, Any]:
    return {**_DEFAULTS, **settings.PARTYCARD}


@contextlib.contextmanager
def _bounded_queries() -> Iterator[None]:
    """This thread's connection, its queries cut off after ``READY_DB_STATEMENT_MS`` on PostgreSQL (a
    transaction-local ``statement_timeout``). On SQLite no transaction: the settings make every transaction
    take the write lock (IMMEDIATE), which a probe must never wait for.

    Raises:
        _Failed: the database cannot be reached or the query failed or timed out.
    """
    connection = connections[DEFAULT_DB_ALIAS]
    connection.close_if_unusable_or_obsolete()  # as a request does at its start
    try:
        if connection.vendor == "postgresql":
            with transaction.atomic(), connection.cursor() as cursor:
                timeout = int(_settings()["READY_DB_STATEMENT_MS"])
                cursor.execute("SELECT set_config('statement_timeout', %s, true)", [str(timeout)])
                yield
        else:
            yield
    except DatabaseError as e:
        connection.close()  # reconnect at the next probe
        raise _Failed("database_unreachable") from e


def _database_check(at: dt.datetime) -> None:
    with _bounded_queries(), connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _worker_check(at: dt.datetime) -> None:
    window = float(_settings()["HEARTBEAT_STALE_PERIODS"]) * float(_settings()["JOB_SWEEP_SECONDS"])
    with _bounded_queries():
        latest = heartbeat_latest()
    if latest is None:
        raise _Failed("no_heartbeat")
    if latest < at - dt.timedelta(seconds=window):
        raise _Failed("heartbeat_stale")


def _trust_list_check(at: dt.datetime) -> None:
    try:
        trust = trust_material(at=at).trust
    except SigningUnavailable as e:
        raise _Failed(e.reason) from e
    if trust.stale:
        raise _Failed("trust_list_stale")
    max_age = float(_settings()["TRUST_LIST_MAX_AGE_SECONDS"])
    if max_age and (at - trust.issued_at).total_seconds() > max_age:
        raise _Failed("trust_list_too_old")


def _key_store_check(at: dt.datetime) -> None:
    keys = pki_directory() / "keys"
    if not keys.is_dir():  # pki_keystore_open would create it: a probe changes nothing
        raise _Failed("key_store_missing")
    try:
        pki_keystore_open().labels()
        if os.environ.get("PARTYCARD_AUDIT_PKCS11_MODULE"):
            audit_keystore_open().labels()  # the HSM session: one call on it, no signature
    except SigningUnavailable as e:
        raise _Failed(e.reason) from e
    except (TrustError, OSError) as e:
        raise _Failed("key_store_unreachable") from e


#: name → (check, runs on the database thread)
CHECKS: dict[str, tuple[Callable[[dt.datetime], None], bool]] = {
    "database": (_database_check, True),
    "worker": (_worker_check, True),
    "trust_list": (_trust_list_check, False),
    "key_store": (_key_store_check, False),
}

_pools: dict[int, tuple[ThreadPoolExecutor, ThreadPoolExecutor]] = {}
_pools_lock = threading.Lock()


def _threads() -> tuple[ThreadPoolExecutor, ThreadPoolExecutor]:
    """This process's threads: the database one, the others. Per process, since a server that forks its
    workers after a probe ran would hand them pools whose threads did not survive the fork."""
    pid = os.getpid()
    with _pools_lock:
        pools = _pools.get(pid)
        if pools is None:
            pools = (
                ThreadPoolExecutor(max_workers=1, thread_name_prefix="partycard-ready-db"),
                ThreadPoolExecutor(max_workers=2, thread_name_prefix="partycard-ready"),
            )
            _pools.clear()
            _pools[pid] = pools
        return pools


def _run(name: str, check: Callable[[dt.datetime], None], at: dt.datetime) -> CheckResult:
    start = time.perf_counter()
    try:
        check(at)
    except _Failed as e:
        return CheckResult(name, False, e.reason, time.perf_counter() - start)
    except Exception as e:  # never a 500 from a probe: the failure is the answer
        logger.warning("readiness check %s failed unexpectedly: %s", name, type(e).__name__)
        return CheckResult(name, False, "error", time.perf_counter() - start)
    return CheckResult(name, True, "", time.perf_counter() - start)


def readiness(*, at: dt.datetime | None = None, names: Iterable[str] | None = None) -> Readiness:
    """Run the checks ``names`` (default all) at once and wait for them, at most ``READY_TIMEOUT``
    seconds. A check in ``READY_REQUIRED`` decides the overall answer; the others are only reported."""
    at = at or clock.now()
    timeout = float(_settings()["READY_TIMEOUT"])
    required = set(_settings()["READY_REQUIRED"])
    wanted = [n for n in (names or CHECKS) if n in CHECKS]
    database_thread, other_threads = _threads()
    futures: dict[str, Future[CheckResult]] = {}
    for name in wanted:
        check, on_database = CHECKS[name]
        pool = database_thread if on_database else other_threads
        futures[name] = pool.submit(_run, name, check, at)
    futures_wait(futures.values(), timeout=timeout)
    results = []
    for name in wanted:
        future = futures[name]
        if future.done():
            result = future.result()
        else:
            future.cancel()  # still queued behind a hung one: never runs
            result = CheckResult(name, False, "timeout", timeout)
        results.append(
            CheckResult(result.name, result.ok, result.reason, result.seconds, required=name in required)
        )
    return Readiness(tuple(results))


def readiness_connections_close() -> None:
    """Close the database connection the checks' thread keeps (at shutdown; a test dropping its database)."""
    pools = _pools.get(os.getpid())
    if pools is not None:
        pools[0].submit(connections.close_all).result(timeout=10)
