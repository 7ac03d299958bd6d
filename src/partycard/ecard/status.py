"""Revocation for the e-card: the IETF Token Status List (draft-ietf-oauth-status-list).

Each credential carries an index into its signer's status list; the list is a bitstring of ``bits``
bits per credential (1, 2, 4 or 8), zlib-compressed (RFC 1950), signed as a JWT (``typ``
``statuslist+jwt``) or a CWT, and published at a stable URI with a time-to-live. Status values: 0 valid,
1 invalid (revoked: lost, expelled, removed, deceased), 2 suspended.

This module holds the decoded list and its lookup; building, signing and verifying the tokens follow.
Pure: no Django, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from partycard.ecard.errors import StatusListError

__all__ = ["STATUS_INVALID", "STATUS_SUSPENDED", "STATUS_VALID", "StatusList"]

STATUS_VALID = 0x00
STATUS_INVALID = 0x01
STATUS_SUSPENDED = 0x02
_BITS = (1, 2, 4, 8)


@dataclass(frozen=True, slots=True)
class StatusList:
    """A verified, decompressed status list.

    ``statuses`` is the raw bitstring: the status of index *i* is in byte ``i * bits // 8``, starting at
    its least significant bit (the draft's ordering). ``expires_at`` and ``ttl`` say when a verifier must
    fetch it again; past either, a verifier still reads it but says its answer may be stale.
    """

    uri: str
    bits: int
    statuses: bytes
    issued_at: datetime
    expires_at: datetime | None = None
    ttl: timedelta | None = None

    def __post_init__(self) -> None:
        if self.bits not in _BITS:
            raise StatusListError(f"bits must be one of {_BITS}, not {self.bits}")

    def __len__(self) -> int:
        return len(self.statuses) * 8 // self.bits

    def status(self, index: int) -> int:
        """The status at ``index``.

        Raises:
            StatusListError: ``index`` is negative or beyond the list.
        """
        if not 0 <= index < len(self):
            raise StatusListError(f"index {index} is outside the status list of {len(self)} entries")
        position = index * self.bits
        byte = self.statuses[position // 8]
        return (byte >> (position % 8)) & ((1 << self.bits) - 1)

    def stale(self, now: datetime) -> bool:
        """Whether ``now`` is past the list's expiry or its time-to-live after issue."""
        if self.expires_at is not None and now > self.expires_at:
            return True
        return self.ttl is not None and now > self.issued_at + self.ttl
