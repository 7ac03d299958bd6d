"""The manufacturer's reports, refused whole or listed line by line, each for its own reason (issue 14:
missing, extra, duplicate, wrong-key, replayed, tampered, wrongly signed)."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from partycard.batches import (
    key_report_decode,
    key_report_encode,
    report_decode,
    report_encode,
    sign_report,
    verify_report,
)
from partycard.cards.models import Card
from partycard.core import clock
from partycard.factory.workshop import SIGNING_LABEL
from partycard.production import services
from partycard.production.errors import ProductionError
from partycard.production.models import Batch, ManufacturerFile
from tests.production.test_round_trip import approve, build, finish, personalise, sign_sods

pytestmark = pytest.mark.django_db


@pytest.fixture
def sealed(world: Any) -> Batch:
    approve()
    batch = next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3)
    return build(batch)


def resign(
    world: Any, data: bytes, change: Any, decode: Any = key_report_decode, encode: Any = key_report_encode
) -> bytes:
    """The manufacturer's report with ``change`` applied, signed again with the manufacturer's own key
    (so only the change, not the signature, can be what is refused)."""
    factory = world.factory()
    report = decode(verify_report(data, trusted=[factory.signing_cert], at=clock.now()))
    return sign_report(
        encode(change(report)),
        store=factory.store,
        signer_label=SIGNING_LABEL,
        signer_cert=factory.signing_cert,
        at=clock.now(),
    )


def refused(data: bytes, *, keys: bool = True) -> list[str]:
    before = (
        ManufacturerFile.objects.count(),
        list(Card.objects.order_by("pk").values_list("state", flat=True)),
    )
    with pytest.raises(ProductionError) as caught:
        if keys:
            services.keys_import(actor=None, data=data, enqueue=False)
        else:
            services.report_import(actor=None, data=data)
    after = (
        ManufacturerFile.objects.count(),
        list(Card.objects.order_by("pk").values_list("state", flat=True)),
    )
    assert after == before  # nothing written
    return caught.value.codes


def test_a_tampered_key_report_is_refused(world: Any, sealed: Batch) -> None:
    data = personalise(world, sealed)
    report = key_report_decode(verify_report(data, trusted=[world.factory().signing_cert], at=clock.now()))
    at = data.find(report.lines[0].number.encode())  # a card number in the signed content
    assert at > 0
    tampered = data[:at] + (b"1" if data[at : at + 1] != b"1" else b"2") + data[at + 1 :]
    assert refused(tampered) == ["signature"]


def test_a_truncated_key_report_is_refused(world: Any, sealed: Batch) -> None:
    data = personalise(world, sealed)
    assert refused(data[: len(data) - 40]) in (["signature"], ["format"])


def test_a_report_signed_by_someone_else_is_refused(world: Any, sealed: Batch) -> None:
    from partycard.core.signing import document_signer_current, pki_directory, pki_keystore_open

    factory = world.factory()
    content = verify_report(personalise(world, sealed), trusted=[factory.signing_cert], at=clock.now())
    ds = document_signer_current(directory=pki_directory(), at=clock.now())
    forged = sign_report(
        content, store=pki_keystore_open(), signer_label=ds.label, signer_cert=ds.certificate, at=clock.now()
    )
    assert refused(forged) == ["signature"]


def test_a_key_report_replayed_is_refused(world: Any, sealed: Batch) -> None:
    data = personalise(world, sealed)
    services.keys_import(actor=None, data=data, enqueue=False)
    assert refused(data) == ["replayed"]
    # The same report id under new bytes (signed again) is a replay too.
    again = resign(world, data, lambda r: dataclasses.replace(r, created_at=clock.now()))
    assert "replayed" in refused(again) or "wrong_state" in refused(again)


def test_a_key_report_about_another_file_is_refused(world: Any, sealed: Batch) -> None:
    data = resign(world, personalise(world, sealed), lambda r: dataclasses.replace(r, batch_sha256="0" * 64))
    assert refused(data) == ["wrong_file"]


def test_duplicate_and_extra_lines_are_refused_each_named(world: Any, sealed: Batch) -> None:
    data = personalise(world, sealed)
    first = key_report_decode(
        verify_report(data, trusted=[world.factory().signing_cert], at=clock.now())
    ).lines[0]
    stranger = dataclasses.replace(first, number="9999999999", chip_serial="FFFF000011112222")
    doubled = resign(world, data, lambda r: dataclasses.replace(r, lines=(*r.lines, first)))
    extra = resign(world, data, lambda r: dataclasses.replace(r, lines=(*r.lines, stranger)))
    assert "duplicate" in refused(doubled)
    assert refused(extra) == ["extra_card"]


def test_a_card_missing_from_the_key_report_is_listed_and_made_again(world: Any, sealed: Batch) -> None:
    data = personalise(world, sealed)
    short = resign(world, data, lambda r: dataclasses.replace(r, lines=r.lines[1:]))
    missing = key_report_decode(
        verify_report(data, trusted=[world.factory().signing_cert], at=clock.now())
    ).lines[0]
    record = services.keys_import(actor=None, data=short, enqueue=False)
    assert record.problems == [{"number": missing.number, "code": "missing"}]
    assert Card.objects.get(number=missing.number).state == "allocated"


def test_a_card_produced_on_another_key_is_listed_and_spoiled(world: Any, sealed: Batch) -> None:
    services.keys_import(actor=None, data=personalise(world, sealed), enqueue=False)
    sign_sods(sealed)
    report = finish(world, sealed)
    lines = report_decode(verify_report(report, trusted=[world.factory().signing_cert], at=clock.now())).lines
    victim = lines[0].number
    swapped = resign(
        world,
        report,
        lambda r: dataclasses.replace(
            r,
            lines=tuple(
                dataclasses.replace(line, aa_fingerprint=hashlib.sha256(b"other").hexdigest())
                if line.number == victim
                else line
                for line in r.lines
            ),
        ),
        decode=report_decode,
        encode=report_encode,
    )
    record = services.report_import(actor=None, data=swapped)
    assert {"number": victim, "code": "wrong_key"} in record.problems
    card = Card.objects.get(number=victim)
    # Back in the queue, and its signed chip's status entry retired: that chip never verifies.
    assert (card.state, card.status_list_id, card.sod_sha256) == ("allocated", None, "")


def test_a_production_report_for_a_batch_not_waiting_is_refused(world: Any, sealed: Batch) -> None:
    services.keys_import(actor=None, data=personalise(world, sealed), enqueue=False)
    sign_sods(sealed)
    report = finish(world, sealed)
    services.report_import(actor=None, data=report)
    assert refused(
        resign(
            world,
            report,
            lambda r: dataclasses.replace(r, report_id="ab" * 16),
            decode=report_decode,
            encode=report_encode,
        ),
        keys=False,
    ) == ["wrong_state"]


def test_only_the_centre_runs_production(world: Any, sealed: Batch, officers: Any) -> None:
    for actor in (officers.province, officers.upper, officers.cell):
        with pytest.raises(ProductionError) as caught:
            services.batches_plan(actor=actor, layout="v1")
        assert caught.value.codes == ["wrong_level"]
        with pytest.raises(ProductionError):
            services.keys_import(
                actor=actor,
                data=personalise(world, sealed) if actor is officers.province else b"x",
                enqueue=False,
            )


def test_a_card_revoked_while_it_was_made_is_listed_and_stays_revoked(world: Any, sealed: Batch) -> None:
    """DOMAIN.md: expulsion ends every card of the member, wherever it is; the manufacturer's report of it
    does not bring it back."""
    from partycard.registry import services as registry
    from partycard.registry.choices import MemberStatus

    services.keys_import(actor=None, data=personalise(world, sealed), enqueue=False)
    sign_sods(sealed)
    card = Card.objects.get(pk=sealed.cards.order_by("seq").first().card_id)
    registry.member_update(
        actor=None, member=card.member, changes={"status": MemberStatus.EXPELLED}, reason="khai trừ"
    )
    card.refresh_from_db()
    assert card.state == "revoked"
    record = services.report_import(actor=None, data=finish(world, sealed))
    assert {"number": card.number, "code": "card_ended"} in record.problems
    card.refresh_from_db()
    assert card.state == "revoked"
    others = Card.objects.filter(pk__in=sealed.cards.values("card_id")).exclude(pk=card.pk)
    assert set(others.values_list("state", flat=True)) == {"produced"}
