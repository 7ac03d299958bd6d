"""Production end to end with the real manufacturer's command: batch → partycard-factory → key report →
signed chip data → partycard-factory → production report → cards produced, a spoiled card made again."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from partycard.cards.lifecycle import CardLevel, CardState
from partycard.cards.models import Card, CardEvent
from partycard.chip.perso import chip_state_load
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from partycard.production import services
from partycard.production.errors import ProductionError
from partycard.production.models import Batch, BatchCard
from partycard.production.services.building import batch_file_path
from partycard.production.services.reconciling import sod_file_path

pytestmark = pytest.mark.django_db


def approve(layout: str = "v1") -> None:
    services.layout_approve(
        actor=None, layout=layout, proof_sha256=hashlib.sha256(services.layout_proof(layout)).hexdigest()
    )


def build(batch: Batch) -> Batch:
    job = services.batch_release(actor=None, batch=batch, enqueue=False)
    job = job_run(job.pk)
    assert job.status == Job.Status.DONE, job.error
    batch.refresh_from_db()
    return batch


def personalise(world: Any, batch: Batch, *spoil: str) -> bytes:
    args = ["personalise", str(batch_file_path(batch)), "--dir", str(world.factory_dir)]
    for item in spoil:
        args += ["--spoil", item]
    assert world.run_factory(*args) == 0
    return (world.factory_dir / "out" / f"{batch.code}.keys.p7s").read_bytes()


def sign_sods(batch: Batch) -> None:
    job = Job.objects.filter(kind="production.sod", params__batch=batch.pk).order_by("-pk").first()
    assert job is not None
    assert job_run(job.pk).status == Job.Status.DONE
    batch.refresh_from_db()


def finish(world: Any, batch: Batch) -> bytes:
    assert world.run_factory("finish", str(sod_file_path(batch)), "--dir", str(world.factory_dir)) == 0
    return (world.factory_dir / "out" / f"{batch.code}.report.p7s").read_bytes()


def test_release_waits_for_the_approved_proof(world: Any) -> None:
    (batch, *_rest) = services.batches_plan(actor=None, layout="v1")
    with pytest.raises(ProductionError) as refused:
        services.batch_release(actor=None, batch=batch, enqueue=False)
    assert "layout_not_approved" in refused.value.codes
    approve()
    assert build(batch).state == Batch.State.SEALED


def test_batches_are_one_province_each(world: Any) -> None:
    batches = services.batches_plan(actor=None, layout="v1")
    by_code = {
        b.code: {bc.card.path.split(".")[1] for bc in BatchCard.objects.filter(batch=b)} for b in batches
    }
    assert len(batches) == 2  # Hà Nội's three cards and Huế's one
    assert all(len(provinces) == 1 for provinces in by_code.values())
    assert services.batches_plan(actor=None, layout="v1") == []  # nothing waits any more


def test_the_whole_way_with_a_spoiled_card_made_again(world: Any) -> None:
    approve()
    hanoi = next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3)
    build(hanoi)
    numbers = list(
        BatchCard.objects.filter(batch=hanoi).order_by("seq").values_list("card__number", flat=True)
    )
    assert set(Card.objects.filter(number__in=numbers).values_list("state", flat=True)) == {"in_production"}
    spoiled = numbers[1]
    keys = personalise(world, hanoi, f"{spoiled}=in hỏng")
    services.keys_import(actor=None, data=keys, enqueue=False)
    sign_sods(hanoi)
    assert hanoi.state == Batch.State.SOD_SEALED
    assert Card.objects.get(number=spoiled).state == CardState.ALLOCATED  # back in the queue
    report = finish(world, hanoi)
    services.report_import(actor=None, data=report)
    hanoi.refresh_from_db()
    assert (hanoi.state, hanoi.produced, hanoi.spoiled) == (Batch.State.CLOSED, 2, 1)
    for number in (numbers[0], numbers[2]):
        card = Card.objects.get(number=number)
        assert (card.state, card.level, card.holder.level) == (CardState.PRODUCED, CardLevel.CENTRE, 0)
        chip = chip_state_load(world.factory_dir / "chips" / f"{number}.chip")
        # What partycard recorded is the key the chip generated, and the SOD the chip holds.
        assert card.chip_key_fingerprint == hashlib.sha256(chip.files[0x010F]).hexdigest()
        assert card.sod_sha256 == hashlib.sha256(chip.files[0x011D]).hexdigest()
    # The spoiled number is made again in the next batch: the same number on a new chip.
    (again,) = services.batches_plan(actor=None, layout="v1", province=hanoi.province)
    assert list(BatchCard.objects.filter(batch=again).values_list("card__number", flat=True)) == [spoiled]
    build(again)
    services.keys_import(actor=None, data=personalise(world, again), enqueue=False)
    sign_sods(again)
    services.report_import(actor=None, data=finish(world, again))
    card = Card.objects.get(number=spoiled)
    assert card.state == CardState.PRODUCED
    assert list(CardEvent.objects.filter(card=card).values_list("transition", flat=True)) == [
        "allocate",
        "start_production",
        "spoil",
        "start_production",
        "mark_produced",
    ]


def test_a_build_killed_mid_way_resumes_without_duplicates(world: Any) -> None:
    approve()
    hanoi = next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3)
    job = services.batch_release(actor=None, batch=hanoi, enqueue=False)
    assert job.chunk_count == 3  # two chunks of cards (chunk size 2) and the seal
    stopped = job_run(job.pk, stop_after=1)
    assert stopped.status != Job.Status.DONE
    assert Card.objects.filter(state="in_production").count() == 2
    assert job_run(job.pk).status == Job.Status.DONE
    for card in Card.objects.filter(number__in=BatchCard.objects.filter(batch=hanoi).values("card__number")):
        assert CardEvent.objects.filter(card=card, transition="start_production").count() == 1
    keys = personalise(world, hanoi)  # the manufacturer opens it: every card once, the manifest holds
    from partycard.batches import key_report_decode, verify_report
    from partycard.core import clock

    maker = world.factory()
    content = verify_report(keys, trusted=[maker.signing_cert], at=clock.now())
    lines = key_report_decode(content).lines
    assert sorted(line.number for line in lines) == sorted(
        BatchCard.objects.filter(batch=hanoi).values_list("card__number", flat=True)
    )


def test_the_sealed_batch_opens_with_openssl_as_the_manufacturer_would(world: Any, tmp_path: Any) -> None:
    """Independently of our code: ``openssl cms -decrypt`` opens the batch file with the manufacturer's key
    (AuthEnvelopedData, RFC 5083), and ``openssl cms -verify`` checks the Organisation Commission's
    signature inside it against the Party's root (SignedData, RFC 5652); what comes out is the batch."""
    import shutil
    import subprocess

    from partycard.batches import batch_decode

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    approve()
    batch = build(next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3))
    signed = tmp_path / "signed.der"
    subprocess.run(
        [
            "openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(batch_file_path(batch)),
            "-recip", str(world.factory_dir / "certs" / "encryption.pem"),
            "-inkey", str(world.factory_dir / "encryption-key.pem"),
            "-passin", "env:PARTYCARD_FACTORY_PASSPHRASE", "-binary", "-out", str(signed),
        ],
        check=True,
    )  # fmt: skip
    content = subprocess.run(
        [
            "openssl", "cms", "-verify", "-inform", "DER", "-in", str(signed), "-binary",
            "-CAfile", str(world.pki / "root.pem"), "-purpose", "any",
        ],
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    decoded = batch_decode(content)
    assert decoded.code == batch.code
    assert sorted(c.number for c in decoded.cards) == sorted(
        BatchCard.objects.filter(batch=batch).values_list("card__number", flat=True)
    )
    # One flipped byte of the sealed file: AES-GCM's tag no longer authenticates, openssl refuses it.
    tampered = tmp_path / "tampered.p7m"
    data = bytearray(batch_file_path(batch).read_bytes())
    data[-200] ^= 0x01
    tampered.write_bytes(bytes(data))
    refused = subprocess.run(
        [
            "openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(tampered),
            "-recip", str(world.factory_dir / "certs" / "encryption.pem"),
            "-inkey", str(world.factory_dir / "encryption-key.pem"),
            "-passin", "env:PARTYCARD_FACTORY_PASSPHRASE", "-binary", "-out", str(tmp_path / "x"),
        ],
        capture_output=True,
    )  # fmt: skip
    assert refused.returncode != 0


def test_a_card_whose_data_cannot_go_on_a_card_is_left_out_and_listed(world: Any, settings: Any) -> None:
    """In production a member without a photo is not made (the placeholder is the demo's only): the job
    lists the card with the reason, its number stays allocated, and a batch left empty is closed."""
    settings.PARTYCARD = {**settings.PARTYCARD, "CHIP_PLACEHOLDER_PHOTO": False}
    approve()
    hue = next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 1)
    job = services.batch_release(actor=None, batch=hue, enqueue=False)
    job = job_run(job.pk)
    assert (job.status, job.failed) == (Job.Status.DONE, 1)
    assert "Đảng viên chưa có ảnh." in job.failures.get().message_vi
    hue.refresh_from_db()
    assert (hue.state, hue.card_count) == (Batch.State.CLOSED, 0)
    assert not batch_file_path(hue).exists()
    card = Card.objects.get(pk=BatchCard.objects.get(batch=hue).card_id)
    assert card.state == CardState.ALLOCATED


def test_a_card_is_with_the_manufacturer_in_one_batch_at_a_time(world: Any) -> None:
    """The database keeps the rule whatever door a write comes through: a second open row for a card that
    a batch already holds is refused; once the first is closed (spoiled), the card may be planned again."""
    from django.db import IntegrityError, transaction

    (first, *_rest) = services.batches_plan(actor=None, layout="v1")
    row = BatchCard.objects.filter(batch=first).first()
    assert row is not None
    other = Batch.objects.create(
        code="X-1", province=first.province, path=first.path, layout="v1", created_at=first.created_at
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        BatchCard.objects.create(batch=other, card_id=row.card_id, seq=0)
    BatchCard.objects.filter(pk=row.pk).update(outcome=BatchCard.Outcome.SPOILED)
    BatchCard.objects.create(batch=other, card_id=row.card_id, seq=0)
