"""The rule the server applies to a check-in the secretary's phone scanned offline and sends later.

The phone's verdict is never trusted alone: the phone sends the QR text exactly as scanned and the time it
scanned it, and the server verifies that text again (``verify.qr.QrVerifier`` with the server's trust list
and its own status lists: signature, signer, validity, status, the device proof) **as of the scan time**,
so that the rotating QR's window is
judged against the moment it was shown (ecard/device.py: the window of that moment ± 1), not against the
moment of syncing. A scan time is a claim of the phone, so it is bounded:

* not later than the server's clock plus :data:`CLOCK_SKEW` (a phone's clock may be a little ahead);
* not earlier than the server's clock minus the sync delay (``PARTYCARD["MEETING_SYNC_DAYS"]``, 7 days
  by default): a check-in kept longer than that on a phone is refused, so an old capture cannot be
  replayed into a later sync;
* inside the meeting: not before it opened nor after it closed (each with :data:`CLOCK_SKEW`).

The status is the server's **current** one (its own lists, fresher than any phone's): a card revoked
between the scan and the sync is refused, and the secretary records the member by hand if they were
indeed present. The member is the one the credential's card number names, and must be in the meeting's
cell now (whatever member id the phone sent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

__all__ = ["CLOCK_SKEW", "Refusal", "max_sync_delay", "refusal", "scan_time_refusal"]

#: How far the phone's clock may be ahead of the server's, or a scan outside the meeting's open period.
CLOCK_SKEW = timedelta(minutes=5)


def max_sync_delay() -> timedelta:
    """How long a check-in may wait on a phone before it is synced (``PARTYCARD["MEETING_SYNC_DAYS"]``)."""
    return timedelta(days=int(settings.PARTYCARD.get("MEETING_SYNC_DAYS", 7)))


@dataclass(frozen=True)
class Refusal:
    """Why one check-in was refused: a stable code and a sentence for the secretary."""

    code: str
    message: str


_MESSAGES: dict[str, Any] = {
    "scan_in_future": _("The phone's clock is ahead: the scan time is later than now."),
    "sync_too_late": _("The check-in waited on the phone longer than allowed before syncing."),
    "before_meeting": _("The scan time is before the meeting opened."),
    "after_meeting": _("The scan time is after the meeting closed."),
}


def refusal(code: str, message: Any = None) -> Refusal:
    return Refusal(code, str(message if message is not None else _MESSAGES[code]))


def scan_time_refusal(
    scanned_at: datetime, *, opened_at: datetime, closed_at: datetime | None, received_at: datetime
) -> Refusal | None:
    """Why a check-in scanned at ``scanned_at`` and received at ``received_at`` is refused, or None."""
    if scanned_at > received_at + CLOCK_SKEW:
        return refusal("scan_in_future")
    if received_at - scanned_at > max_sync_delay():
        return refusal("sync_too_late")
    if scanned_at < opened_at - CLOCK_SKEW:
        return refusal("before_meeting")
    if closed_at is not None and scanned_at > closed_at + CLOCK_SKEW:
        return refusal("after_meeting")
    return None
