"""Orphaned chip keys (issue 18): a failed write leaves a chip key no record refers to; ``partycard
chip-keys orphans`` lists it, ``--delete`` deletes it with an audit row, and a key in use (named by a chip
image record, or carried by a card's fingerprint) or too young to judge is never deleted."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command

from partycard.audit.models import AuditEvent
from partycard.cards.models import Card
from partycard.chip.lds import dg15_build
from partycard.core import clock, signing
from partycard.core.signing import pki_keystore_open
from partycard.exchange.models import Case, ChipImageRecord
from partycard.exchange.services import chip_image_sign
from partycard.exchange.services import chip_images as chip_images_module
from partycard.exchange.services.chip_images import chip_key_labels
from partycard.exchange.services.chip_keys import chip_key_orphans, chip_key_orphans_delete
from tests.exchange.conftest import Officers, card_holder
from tests.exchange.test_chip_signing import _case

pytestmark = pytest.mark.django_db

AUTHORITY_KEYS = ["ds-1", "root", "trustlist-1"]


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    signing._trust_cache.clear()
    call_command("pki", "init", stdout=io.StringIO())
    return tmp_path


@pytest.fixture
def accepted(officers: Officers, campaign: Any, make_member: Any) -> Case:
    return _case(officers, campaign, card_holder(make_member, full_name="Trần Văn Bình", gender="M"))


def _failed_write(case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign ``case`` with the database write failing after the chip key was generated."""

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    with monkeypatch.context() as patch:
        patch.setattr(chip_images_module, "audit_record", broken)
        with pytest.raises(RuntimeError):
            chip_image_sign(actor=None, case=case)


def _command(*args: str) -> str:
    out = io.StringIO()
    call_command("chip_keys", "orphans", *args, stdout=out)
    return out.getvalue()


def test_a_failed_write_leaves_an_orphan_that_is_listed_then_deleted_and_audited(
    authority: Path, accepted: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    _failed_write(accepted, monkeypatch)
    record = chip_image_sign(actor=None, case=accepted)  # the retry: the next label
    orphan, used = chip_key_labels(accepted.pk)[:2]
    assert record.chip_key_label == used
    store = pki_keystore_open()
    # Each attempt made the AA key and, beside it, the chip-authentication key (issue 18: "<label>.ca").
    assert store.labels() == sorted([*AUTHORITY_KEYS, orphan, f"{orphan}.ca", used, f"{used}.ca"])
    orphan_key = store.public_key(orphan)

    found = chip_key_orphans(store=store, now=clock.now(), min_age=timedelta(0))
    assert (found.chip_keys, found.in_use, found.orphans, found.recent) == (
        4,
        2,
        (orphan, f"{orphan}.ca"),
        (),
    )
    # Just made: with the default age it is too young to judge (its write might still be running).
    young = chip_key_orphans(store=store, now=clock.now())
    assert (young.orphans, young.recent) == ((), (orphan, f"{orphan}.ca"))
    assert "2 too recent to judge, 0 orphaned" in _command()

    listed = _command("--min-age", "0")
    assert f"orphaned: {orphan}" in listed
    assert f"orphaned: {orphan}.ca" in listed
    assert "chip keys: 4 in the store, 2 in use, 0 too recent to judge, 2 orphaned" in listed
    assert orphan in pki_keystore_open().labels()  # listing deletes nothing
    assert not AuditEvent.objects.filter(action="exchange.chip_key_delete").exists()

    deleted = _command("--min-age", "0", "--delete")
    assert f"deleted: {orphan}" in deleted and "2 orphaned, 2 deleted" in deleted
    after = pki_keystore_open()
    # The keys in use (the card's AA and CA keys) and the authority's stay.
    assert after.labels() == sorted([*AUTHORITY_KEYS, used, f"{used}.ca"])
    aa_event, ca_event = AuditEvent.objects.filter(action="exchange.chip_key_delete").order_by("seq")
    fingerprint = hashlib.sha256(dg15_build(orphan_key)).hexdigest()
    assert aa_event.object_id == ca_event.object_id == str(accepted.pk)
    assert aa_event.changes == {"chip_key_label": [orphan, None], "chip_key_fingerprint": [fingerprint, None]}
    assert ca_event.changes == {"chip_key_label": [f"{orphan}.ca", None]}
    after.sign(used, b"still signs")
    assert "0 orphaned, 0 deleted" in _command("--min-age", "0", "--delete")


def test_a_key_a_card_carries_is_never_deleted_even_without_its_record(
    authority: Path, accepted: Case
) -> None:
    record = chip_image_sign(actor=None, case=accepted)
    card = Card.objects.get(case=accepted)
    store = pki_keystore_open()
    public = store.public_key(record.chip_key_label)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert card.chip_key_fingerprint == hashlib.sha256(dg15_build(public)).hexdigest()
    ChipImageRecord.objects.filter(pk=record.pk).delete()  # the record gone: the card still holds the key
    result = chip_key_orphans_delete(actor=None, store=store, now=clock.now() + timedelta(days=1))
    assert (result.in_use, result.orphans, result.deleted) == (2, (), ())  # the AA key and its CA key
    assert record.chip_key_label in store.labels() and f"{record.chip_key_label}.ca" in store.labels()


def test_only_chip_key_labels_are_considered(authority: Path) -> None:
    store = pki_keystore_open()
    for label in ("chip-case-x", "chip-case-7-11", "checkpoint-1", "chip-case-7-2"):
        store.generate(label)
    later = clock.now() + timedelta(days=1)
    found = chip_key_orphans(store=store, now=later)
    # chip-case-7-11 is no label chip_key_labels gives (ten attempts): not ours to judge.
    assert found.orphans == ("chip-case-7-2",) and found.chip_keys == 1
    chip_key_orphans_delete(actor=None, store=store, now=later)
    assert store.labels() == sorted([*AUTHORITY_KEYS, "checkpoint-1", "chip-case-7-11", "chip-case-x"])
    event = AuditEvent.objects.get(action="exchange.chip_key_delete")
    assert (event.object_type, event.object_id) == ("exchange.case", "7")  # no such case: named by id
