"""The status lists of a verifier without the database: the signed tokens ``partycard status-lists publish``
writes into ``PARTYCARD_PKI_DIR/status/``, held in memory, each verified as an offline reader verifies it
(``verify/status.py``: a trust-list signer of the ``EC`` type, not revoked, valid, inside its key usage
period; a list older than the one held refused) and read again when its file changes.

The folder is looked at (one ``scandir``, no reads) at most every ``check_seconds``; a changed file is read
and verified then, and every file again when the trust list changes. A token that does not verify is
logged and skipped: the list held before stays (a half-copied or forged file never replaces a good list),
and its own ``ttl`` turns the verdicts to "cannot tell" once it is too old — never green on old data.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from partycard.core.signing import TrustMaterial
from partycard.ecard.errors import StatusListError
from partycard.ecard.status import StatusList
from partycard.verify.status import StatusListCache

__all__ = ["StatusFolder"]

log = logging.getLogger(__name__)

_SUFFIXES = (".jwt", ".cwt")


@dataclass(frozen=True, slots=True)
class _Seen:
    """What identifies a file's version without reading it."""

    mtime_ns: int
    size: int
    inode: int


class StatusFolder:
    """The verified status lists of one folder, by URI.

    Args:
        directory: the folder of tokens (``<id>.jwt``, or ``<id>.cwt``).
        check_seconds: how often the folder is looked at for changed files.
        clock: monotonic seconds (a parameter for the tests).
    """

    def __init__(
        self, directory: Path, *, check_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.directory = directory
        self.check_seconds = check_seconds
        self._clock = clock
        self._checked_at: float | None = None
        self._material: TrustMaterial | None = None
        self._seen: dict[str, _Seen] = {}
        self._cache = StatusListCache()
        self._by_uri: dict[str, StatusList] = {}
        self._uri_of: dict[str, str] = {}  # file name → the URI of the list it gave
        self._lock = threading.Lock()

    def lookup(self, uri: str, *, material: TrustMaterial, at: datetime) -> StatusList | None:
        """The list held for ``uri`` (None: no file gives it), after a look at the folder if one is due."""
        checked_at = self._checked_at
        if (
            checked_at is None
            or self._clock() - checked_at >= self.check_seconds
            or self._material is None
            or material.trust is not self._material.trust
        ):
            self.refresh(material=material, at=at)
        return self._by_uri.get(uri)

    def refresh(self, *, material: TrustMaterial, at: datetime) -> None:
        """Look at the folder now: read and verify each new or changed file (each file, if ``material`` is
        another trust list than last time)."""
        with self._lock:
            now = self._clock()
            if (
                self._checked_at is not None
                and now - self._checked_at < self.check_seconds
                and self._material is not None
                and material.trust is self._material.trust
            ):
                return  # another thread has just looked
            again = self._material is None or material.trust is not self._material.trust
            try:
                entries = [
                    e for e in os.scandir(self.directory) if e.name.endswith(_SUFFIXES) and e.is_file()
                ]
            except OSError:
                entries = []  # no folder (yet): no list, verdicts say "status_unknown"
            for entry in sorted(entries, key=lambda e: e.name):
                stat = entry.stat()
                seen = _Seen(stat.st_mtime_ns, stat.st_size, stat.st_ino)
                if not again and self._seen.get(entry.name) == seen:
                    continue
                if not self._load(Path(entry.path), material=material, at=at) and again:
                    # Under another trust list a list that no longer verifies (its signer revoked) goes.
                    self._by_uri.pop(self._uri_of.pop(entry.name, ""), None)
                self._seen[entry.name] = seen
            self._material = material
            self._checked_at = now

    def _load(self, path: Path, *, material: TrustMaterial, at: datetime) -> bool:
        """Read, verify and hold one token; False (logged) if refused."""
        try:
            raw = path.read_bytes()
            if path.suffix == ".jwt":
                status_list = self._cache.update_jwt(
                    raw.decode("ascii").strip(), trust=material.trust, root=material.root, now=at
                )
            else:
                status_list = self._cache.update_cwt(raw, trust=material.trust, root=material.root, now=at)
        except (StatusListError, UnicodeDecodeError, OSError) as e:
            log.warning("status list file %s refused: %s", path.name, e)
            return False
        self._by_uri[status_list.uri] = status_list
        self._uri_of[path.name] = status_list.uri
        return True
