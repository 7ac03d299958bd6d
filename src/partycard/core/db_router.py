"""Reads of reports, lists and verification look-ups on a PostgreSQL streaming replica; everything else, and
every write, on the primary (docs/operations.md, "Read replicas and PgBouncer").

Django routes per model, but whether a read may be a little behind depends on the page, not the model: a
view opts in with ``replica_reads()`` (a context manager and a decorator), and only inside it does
``ReplicaRouter.db_for_read`` answer ``replica``. Even then the primary answers when

- the read is inside a transaction on the primary (what it wrote is not on the replica yet);
- the model is the login's own (sessions, users, two-factor devices, lock-outs): a lagging replica would log
  the officer out;
- the officer wrote within the lag: ``ReplicaMiddleware`` keeps the primary's WAL position after a request
  that wrote in the session, and the replica serves that officer only once it has replayed past it
  (read-your-writes);
- the replica is more than ``REPLICA_MAX_LAG_SECONDS`` behind, or unreachable (a warning, then the primary
  for ``REPLICA_RETRY_SECONDS`` before it is tried again). A replica down is slower reads, never an error.

The replica's position and lag cost one query, made once per request (or per ``replica_reads()`` block
outside a request) and only when the request reads something the replica may serve.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse

__all__ = [
    "REPLICA",
    "SESSION_KEY",
    "ReplicaMiddleware",
    "ReplicaRouter",
    "lsn_parse",
    "replica_reads",
]

logger = logging.getLogger(__name__)

REPLICA = "replica"
SESSION_KEY = "_partycard_primary_lsn"
# The login's own models: always the primary (a session or a device a few ms behind is a logged-out officer).
PRIMARY_ONLY_APPS = frozenset(
    {"sessions", "auth", "accounts", "axes", "otp_totp", "django_otp", "contenttypes"}
)
_WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE", "COPY")

# The replica's position and lag, and whether the primary has replayed it: one query on the replica.
# When it has replayed all it received (an idle primary), it is not behind whatever the age of its last
# transaction; else its lag is the age of the last transaction it replayed.
_STATUS_SQL = (
    "SELECT pg_last_wal_replay_lsn()::text, CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() "
    "THEN 0 ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8"
)


def lsn_parse(text: str) -> int:
    """A PostgreSQL WAL position (``16/B374D848``) as a number, to compare."""
    high, _, low = text.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


@dataclass
class _ReadState:
    """What one request (or one ``replica_reads()`` block) knows: the least WAL position the replica must
    have replayed for this reader (read-your-writes), fetched lazily, and the verdict once asked."""

    min_lsn: Callable[[], int | None] = lambda: None
    usable: bool | None = None
    wrote: bool = False
    primary: Any = None  # the primary's connection wrapper of this thread, once asked


_eligible: ContextVar[bool] = ContextVar("partycard_replica_eligible", default=False)
_state: ContextVar[_ReadState | None] = ContextVar("partycard_replica_state", default=None)

# After a failure the replica is left alone until this monotonic time (per process).
_down_until = 0.0
_down_lock = threading.Lock()


def _replica_configured() -> bool:
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica_reads() -> Iterator[None]:
    """Let the reads inside go to the replica when it is fresh enough (see the module). As a decorator on a
    view: ``@replica_reads()``. Outside a request (a command), the replica is checked once per block."""
    eligible = _eligible.set(True)
    state = _state.set(_ReadState()) if _state.get() is None else None
    try:
        yield
    finally:
        if state is not None:
            _state.reset(state)
        _eligible.reset(eligible)


def _replica_usable(state: _ReadState) -> bool:
    """Whether the replica may serve this reader now: reachable, within the lag bound, and past the
    reader's own last write. Asked once per state."""
    global _down_until
    if state.usable is not None:
        return state.usable
    state.usable = False
    if time.monotonic() < _down_until:
        return False
    options = settings.PARTYCARD
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(_STATUS_SQL)
            lsn_text, lag = cursor.fetchone()
    except DatabaseError as e:
        with _down_lock:
            _down_until = time.monotonic() + float(options.get("REPLICA_RETRY_SECONDS", 5))
        # The error's class only: a connection error's text names hosts, never people, but keep it short.
        logger.warning("read replica unreachable, reading from the primary: %s", type(e).__name__)
        with contextlib.suppress(DatabaseError):
            connections[REPLICA].close()
        return False
    if lsn_text is None:  # not a standby (pg_last_wal_replay_lsn() is NULL on a primary)
        logger.warning("the read replica is not in recovery, reading from the primary")
        return False
    replayed = lsn_parse(lsn_text)
    if float(lag) > float(options.get("REPLICA_MAX_LAG_SECONDS", 30)):
        return False
    wanted = state.min_lsn()
    state.usable = wanted is None or replayed >= wanted
    return state.usable


class ReplicaRouter:
    """``DATABASE_ROUTERS`` entry when ``DATABASE_REPLICA_URL`` is set (settings/base.py)."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str:
        if not _eligible.get() or model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        state = _state.get()
        if state is None or state.wrote or state.usable is False:
            return DEFAULT_DB_ALIAS
        if state.primary is None:
            if not _replica_configured():
                return DEFAULT_DB_ALIAS
            state.primary = connections[DEFAULT_DB_ALIAS]  # this thread's: looked up once per request
        if state.primary.in_atomic_block:  # a transaction on the primary sees its own writes
            return DEFAULT_DB_ALIAS
        return REPLICA if _replica_usable(state) else DEFAULT_DB_ALIAS

    def db_for_write(self, model: type[Any], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if obj1._state.db in aliases and obj2._state.db in aliases else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # a standby is read-only: its schema is the primary's


class ReplicaMiddleware:
    """Read-your-writes for the officer who just wrote: after a request that changed rows on the primary
    (an INSERT, UPDATE or DELETE went through it, whatever the method), keep the primary's WAL position in
    the signed-in officer's session; the router reads that officer's pages from the replica only once it
    has replayed past it. Within the request itself, reads after its first write stay on the primary.

    After ``SessionMiddleware`` and ``AuthenticationMiddleware``. The session is read only when the request
    asks the replica something.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _ReadState(min_lsn=lambda: _session_lsn(request))
        token = _state.set(state)
        try:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(_write_watch(state)):
                response = self.get_response(request)
            if state.wrote and _signed_in(request):
                _remember_primary_lsn(request)
        finally:
            _state.reset(token)
        return response


def _write_watch(state: _ReadState) -> Callable[..., Any]:
    def watch(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if not state.wrote and isinstance(sql, str) and sql.lstrip()[:6].upper().startswith(_WRITES):
            state.wrote = True  # from now on this request reads the primary: it must see what it wrote
        return execute(sql, params, many, context)

    return watch


def _signed_in(request: HttpRequest) -> bool:
    """Only a signed-in officer's session carries the position: an anonymous request (a verifier's) never
    makes a session row."""
    user = getattr(request, "user", None)
    return hasattr(request, "session") and bool(getattr(user, "is_authenticated", False))


def _session_lsn(request: HttpRequest) -> int | None:
    session = getattr(request, "session", None)
    value = session.get(SESSION_KEY) if session is not None else None
    return int(value) if isinstance(value, int) else None


def _remember_primary_lsn(request: HttpRequest) -> None:
    """The primary's WAL position now (at or past this request's commits, with synchronous_commit on)."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (lsn_text,) = cursor.fetchone()
    except DatabaseError:
        return  # the primary went away after the write: the request's own error says so
    request.session[SESSION_KEY] = lsn_parse(lsn_text)
