"""The PC/SC bridge: a :class:`~partycard.chip.reader.Transport` over a reader that pcscd serves.

Uses pyscard (the maintained Python binding of the PC/SC API, on pcsc-lite here and WinSCard on
Windows) rather than ctypes by hand. The reader is chosen by name, or the first one that holds a card.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from smartcard.CardConnection import CardConnection
from smartcard.Exceptions import CardConnectionException, NoCardException
from smartcard.System import readers as pcsc_readers

from partycard.chip.reader import CardReadError

__all__ = ["PcscTransport", "pcsc_connect", "pcsc_wait_for_card", "reader_names"]


def reader_names() -> list[str]:
    """The readers pcscd knows, by name (empty when pcscd is not running)."""
    try:
        return [str(r) for r in pcsc_readers()]
    except Exception:  # pyscard raises its own error types for "no service"; none is fatal here
        return []


class PcscTransport:
    """Sends APDUs through one connected PC/SC card connection."""

    def __init__(self, connection: CardConnection) -> None:
        self._connection = connection

    def transmit(self, apdu: bytes) -> bytes:
        """Raises CardReadError when the card goes away or the reader fails mid-command."""
        try:
            data, sw1, sw2 = self._connection.transmit(list(apdu))
        except CardConnectionException as e:
            raise CardReadError(f"the reader failed: {e}") from e
        return bytes(data) + bytes((sw1, sw2))


@contextmanager
def pcsc_connect(reader: str | None = None) -> Iterator[PcscTransport]:
    """Connect to the card in ``reader`` (a substring of its name) or in the first reader with a card.

    Raises:
        CardReadError: no such reader, or no card in it.
    """
    available = pcsc_readers() if reader_names() else []
    candidates = [r for r in available if reader is None or reader in str(r)]
    if not candidates:
        named = f" named {reader!r}" if reader else ""
        raise CardReadError(f"no smart card reader{named} (is pcscd running?)")
    failures = []
    for candidate in candidates:
        connection = candidate.createConnection()
        try:
            connection.connect()
        except (NoCardException, CardConnectionException) as e:
            failures.append(f"{candidate}: {e}")
            continue
        try:
            yield PcscTransport(connection)
        finally:
            connection.disconnect()
        return
    raise CardReadError("no card in any reader: " + "; ".join(failures))


def pcsc_wait_for_card(reader: str, timeout: float = 10.0) -> None:
    """Return once a card in ``reader`` can be connected to (pcscd polls readers, so a card just
    inserted is seen some 50-400 ms later).

    Raises:
        CardReadError: still no card after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        try:
            with pcsc_connect(reader):
                return
        except CardReadError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
