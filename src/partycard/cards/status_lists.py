"""Taking and flipping status-list entries: the one writer of ``StatusListRecord`` (chip cards and e-cards).

Each write locks the list's row (``select_for_update``): two issuers never share an index, two flips
never lose one another. The e-card's credentials and the chip card's signed data name an entry by the
list's URI and the index (draft-ietf-oauth-status-list §6.2, the ``status_list`` claim).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction

from partycard.cards.models import StatusListRecord
from partycard.ecard import status as status_format

__all__ = [
    "status_entries_set",
    "status_entry_set",
    "status_index_take",
    "status_indexes_take",
    "status_list_current",
    "status_list_uri",
]


def status_list_uri(record_id: int) -> str:
    """The stable URL a status list is published at (what chip cards and credentials name)."""
    base = str(settings.PARTYCARD.get("PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/api/v1/status-lists/{record_id}"


def _list_for(signer_label: str) -> StatusListRecord:
    """The signer's open status list, locked; a new one when the last is full."""
    record = (
        StatusListRecord.objects.select_for_update().filter(signer_label=signer_label).order_by("-id").first()
    )
    if record is None or record.full:
        bits, size = 2, int(settings.PARTYCARD.get("STATUS_LIST_SIZE", 1 << 20))
        record = StatusListRecord.objects.create(
            signer_label=signer_label, bits=bits, size=size, packed=bytes(size * bits // 8)
        )
        record = StatusListRecord.objects.select_for_update().get(pk=record.pk)
    return record


@transaction.atomic
def status_index_take(signer_label: str, *, value: int = status_format.STATUS_VALID) -> tuple[int, int]:
    """A fresh entry in ``signer_label``'s open list, set to ``value``: (list id, index).

    An index is never handed out twice, even after a rollback of the caller (the list row is locked
    until the caller's transaction ends, and the counter moves only if it commits).
    """
    record = _list_for(signer_label)
    index = record.next_index
    record.next_index += 1
    fields = ["next_index", "updated_at"]
    if _entry_set(record, index, value):
        fields += ["packed", "version"]
    record.save(update_fields=fields)
    return record.pk, index


@transaction.atomic
def status_indexes_take(signer_label: str, count: int, *, value: int) -> list[tuple[int, int]]:
    """``count`` fresh entries in ``signer_label``'s lists, each set to ``value``: (list id, index) each.

    What a production batch reserves for its cards at once: the list row (a quarter of a megabyte at the
    default size) is read, flipped in memory and written once per list, not once per card.
    """
    taken: list[tuple[int, int]] = []
    while len(taken) < count:
        record = _list_for(signer_label)
        packed = bytearray(record.packed)
        here = min(count - len(taken), record.size - record.next_index)
        for index in range(record.next_index, record.next_index + here):
            if status_format.status_list_get(packed, index, record.bits) != value:
                status_format.status_list_set(packed, index, value, record.bits)
            taken.append((record.pk, index))
        record.next_index += here
        record.packed, record.version = bytes(packed), record.version + 1
        record.save(update_fields=["next_index", "packed", "version", "updated_at"])
    return taken


@transaction.atomic
def status_entries_set(entries: Iterable[tuple[int, int, int]]) -> int:
    """Set many entries ``(list id, index, value)``: each list locked, flipped and written once; how
    many entries changed (a list whose entries all held their value keeps its version)."""
    by_list: dict[int, list[tuple[int, int]]] = {}
    for list_id, index, value in entries:
        by_list.setdefault(list_id, []).append((index, value))
    changed = 0
    for list_id in sorted(by_list):  # one lock order for every writer
        record = StatusListRecord.objects.select_for_update().get(pk=list_id)
        packed = bytearray(record.packed)
        flips = 0
        for index, value in by_list[list_id]:
            if status_format.status_list_get(packed, index, record.bits) != value:
                status_format.status_list_set(packed, index, value, record.bits)
                flips += 1
        if flips:
            record.packed, record.version = bytes(packed), record.version + 1
            record.save(update_fields=["packed", "version", "updated_at"])
        changed += flips
    return changed


def _entry_set(record: StatusListRecord, index: int, value: int) -> bool:
    """Set entry ``index`` of a locked ``record`` in memory, bumping its version; False (and nothing
    changed) if the entry already holds ``value``. The caller saves the record."""
    if status_format.status_list_get(record.packed, index, record.bits) == value:
        return False
    packed = bytearray(record.packed)
    status_format.status_list_set(packed, index, value, record.bits)
    record.packed, record.version = bytes(packed), record.version + 1
    return True


@transaction.atomic
def status_entry_set(list_id: int, index: int, value: int) -> bool:
    """Set one entry; False if it already held ``value`` (the list's version then stays)."""
    record = StatusListRecord.objects.select_for_update().get(pk=list_id)
    if not _entry_set(record, index, value):
        return False
    record.save(update_fields=["packed", "version", "updated_at"])
    return True


def status_list_current(record: StatusListRecord, *, at: datetime) -> status_format.StatusList:
    """The list as the server holds it now: authoritative, so never stale (the API's own verifier)."""
    return status_format.StatusList(
        uri=status_list_uri(record.pk), bits=record.bits, statuses=bytes(record.packed), issued_at=at
    )
