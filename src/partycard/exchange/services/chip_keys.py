"""Chip keys that failed writes left in the key store: found, reported, and deleted on request, audited.

``chip_image_sign`` generates a case's chip key in the key store before it stores the case's
:class:`ChipImageRecord`, and the store is not part of the database transaction: when the write fails
(or the process dies) the key stays under its label (``chip-case-<id>``, ``-2``, … ``-10``:
:func:`~partycard.exchange.services.chip_images.chip_key_labels`) with nothing pointing to it, and the
retry takes the next label. Such a key was never put on a chip and never signs anything, but it fills the
store (an HSM's slots are counted) and, after ten failures, blocks the case.

A chip key is **in use**, and never deleted, when a chip image record names its label or a card carries
its fingerprint (``Card.chip_key_fingerprint``, the SHA-256 of the DG15 built from its public key). A
card's chip-authentication key (``<label>.ca``, issue 18, :func:`~partycard.chip.image.ca_key_label_of`)
goes with its AA key: in use when the AA key is, orphaned when it is. A key
younger than ``min_age`` is left alone too: its write may still be in progress. Deleting locks the case's
row first, as the signer does while it generates the key and stores the record, so a write in progress
on PostgreSQL is finished before the key is looked at again; SQLite has no row locks, so there the age is
what protects a write in progress. Keys made on the chip at personalisation (``factory``) never enter
the store and are not concerned.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.db import transaction

from partycard.audit.services import audit_record
from partycard.cards.models import Card
from partycard.chip.lds import dg15_build
from partycard.exchange.models import Case, ChipImageRecord
from partycard.exchange.services.chip_images import chip_key_labels
from partycard.trust.keystore import KeyNotFound, KeyStore

__all__ = ["MIN_AGE", "ChipKeyOrphans", "chip_key_orphans", "chip_key_orphans_delete"]

#: How old an unreferenced chip key must be to count as orphaned (a signing takes well under a second).
MIN_AGE = timedelta(minutes=10)
_LABEL = re.compile(r"chip-case-([0-9]{1,18})(?:-[0-9]{1,2})?(?:\.ca)?")
_CA_SUFFIX = ".ca"  # chip.image.ca_key_label_of
_CHUNK = 1000  # labels per database query (an HSM may hold millions of chip keys)


class DeletableKeyStore(KeyStore, Protocol):
    def delete(self, label: str) -> None: ...


@dataclass(frozen=True)
class ChipKeyOrphans:
    """What one look at the store found: ``chip_keys`` labels of the chip-key form, ``in_use`` of them
    referred to, ``recent`` unreferenced but too young to judge, ``orphans`` the rest, and (after
    :func:`chip_key_orphans_delete`) those ``deleted``."""

    chip_keys: int
    in_use: int
    recent: tuple[str, ...]
    orphans: tuple[str, ...]
    deleted: tuple[str, ...] = field(default=())


def _aa_label(label: str) -> str:
    """The AA key's label a chip key goes with: itself, or the one a CA key was made beside."""
    return label.removesuffix(_CA_SUFFIX)


def _case_id(label: str) -> int | None:
    """The case a chip key label names, if the label is one :func:`chip_key_labels` gives that case."""
    match = _LABEL.fullmatch(label)
    if match is None:
        return None
    case_id = int(match.group(1))
    return case_id if _aa_label(label) in chip_key_labels(case_id) else None


def _fingerprint(store: KeyStore, label: str) -> str:
    """The card's ``chip_key_fingerprint`` this key (a CA key: its AA key) would have (chip_images:
    SHA-256 of DG15). Raises KeyNotFound when that AA key is not in the store."""
    return hashlib.sha256(dg15_build(store.public_key(_aa_label(label)))).hexdigest()


def _card_fingerprint(store: KeyStore, label: str) -> str | None:
    """:func:`_fingerprint`, or None for a CA key whose AA key is gone (deleted as an orphan before it)."""
    try:
        return _fingerprint(store, label)
    except KeyNotFound:
        if label.endswith(_CA_SUFFIX):
            return None
        raise


def _existing(model: Any, field_name: str, values: Iterable[str]) -> set[str]:
    """Which of ``values`` some row of ``model`` holds in ``field_name``, asked ``_CHUNK`` at a time."""
    pending = list(values)
    found: set[str] = set()
    for start in range(0, len(pending), _CHUNK):
        chunk = pending[start : start + _CHUNK]
        found.update(model.objects.filter(**{f"{field_name}__in": chunk}).values_list(field_name, flat=True))
    return found


def _age(store: KeyStore, label: str, now: datetime) -> timedelta | None:
    """How old the key is, if the store can tell (the file store can; a PKCS#11 token cannot)."""
    created_at = getattr(store, "created_at", None)
    if created_at is None:
        return None
    try:
        return now - created_at(label)
    except KeyNotFound:
        return None


def chip_key_orphans(*, store: KeyStore, now: datetime, min_age: timedelta = MIN_AGE) -> ChipKeyOrphans:
    """Every chip key in ``store`` that nothing refers to and is older than ``min_age``. Reads only.

    Raises:
        KeyStoreError: the store cannot be read.
    """
    chip = [label for label in store.labels() if _case_id(label) is not None]
    recorded = _existing(ChipImageRecord, "chip_key_label", {_aa_label(label) for label in chip})
    unreferenced = [label for label in chip if _aa_label(label) not in recorded]
    fingerprints = {label: _card_fingerprint(store, label) for label in unreferenced}
    carded = _existing(Card, "chip_key_fingerprint", (f for f in fingerprints.values() if f is not None))
    unused = [label for label in unreferenced if fingerprints[label] not in carded]
    recent: list[str] = []
    orphans: list[str] = []
    for label in unused:
        age = _age(store, label, now)
        (recent if age is not None and age < min_age else orphans).append(label)
    return ChipKeyOrphans(
        chip_keys=len(chip),
        in_use=len(chip) - len(unused),
        recent=tuple(recent),
        orphans=tuple(orphans),
    )


def chip_key_orphans_delete(
    *, actor: Any, store: DeletableKeyStore, now: datetime, min_age: timedelta = MIN_AGE
) -> ChipKeyOrphans:
    """Delete every orphaned chip key (:func:`chip_key_orphans`), one audit row each
    (``exchange.chip_key_delete``: the label and the key's fingerprint), checked again under the case's
    row lock just before; a key found in use meanwhile is kept.

    The audit row is committed before the key is deleted: a crash between the two leaves the key, which
    the next run finds and deletes again, never a deletion without its row.

    Args:
        actor: who asked (None: the system, the command line).

    Raises:
        KeyStoreError: the store cannot be read or refuses a deletion (those before are done).
    """
    found = chip_key_orphans(store=store, now=now, min_age=min_age)
    deleted: list[str] = []
    for label in found.orphans:
        case_id = _case_id(label)
        assert case_id is not None  # chip_key_orphans keeps only labels that name a case
        with transaction.atomic():
            # chip_images._sign holds this row while it generates the key and stores the record.
            case = Case.objects.select_for_update().filter(pk=case_id).first()
            if ChipImageRecord.objects.filter(chip_key_label=_aa_label(label)).exists():
                continue
            try:
                store.public_key(label)
                fingerprint = _card_fingerprint(store, label)
            except KeyNotFound:
                continue  # deleted meanwhile by another run
            if fingerprint is not None and Card.objects.filter(chip_key_fingerprint=fingerprint).exists():
                continue
            changes: dict[str, Any] = {"chip_key_label": [label, None]}
            if not label.endswith(_CA_SUFFIX):
                changes["chip_key_fingerprint"] = [fingerprint, None]
            if case is not None:
                audit_record(actor=actor, action="exchange.chip_key_delete", obj=case, changes=changes)
            else:
                audit_record(
                    actor=actor,
                    action="exchange.chip_key_delete",
                    object_type="exchange.case",
                    object_id=str(case_id),
                    changes=changes,
                )
        with contextlib.suppress(KeyNotFound):  # another run deleted it first: gone either way
            store.delete(label)
        deleted.append(label)
    return ChipKeyOrphans(
        chip_keys=found.chip_keys,
        in_use=found.in_use,
        recent=found.recent,
        orphans=found.orphans,
        deleted=tuple(deleted),
    )
