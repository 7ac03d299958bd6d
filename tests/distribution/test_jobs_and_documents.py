"""Bulk distribution as resumable jobs (a send killed mid-way resumes with each card moved once and one
event each), the issuance register (PDF and .xlsx, cells as values), the destruction minutes, the re-route."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from typing import Any

import openpyxl
import pytest
from django.db import transaction
from django.test import Client

from partycard.cards.lifecycle import CardKind, CardLevel, CardState
from partycard.cards.models import Card, CardEvent
from partycard.cards.services import REROUTE, CardError
from partycard.core.scope import OutOfScope
from partycard.distribution import storage
from partycard.distribution.choices import HandOverMethod, ShipmentState
from partycard.distribution.jobs import Send
from partycard.distribution.models import (
    DestroyedCard,
    DestructionRecord,
    IssuanceRegister,
    Shipment,
    ShipmentCard,
)
from partycard.distribution.services import (
    destruction_start,
    handover_record,
    meeting_open,
    register_start,
    reroute_ship,
    shipment_receive,
    shipments_send,
)
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.services import job_run
from partycard.registry import services as registry
from tests.distribution.conftest import produced
from tests.distribution.test_way_down import walk_down

pytestmark = pytest.mark.django_db


def text_of_pdf(content: bytes, tmp_path: Any) -> str:
    pdf = tmp_path / "doc.pdf"
    pdf.write_bytes(content)
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_a_send_killed_mid_way_resumes_without_a_duplicate_or_a_missing_card(
    officers: Any, tree: Any, members: list[Any]
) -> None:
    cards = produced(members)  # five cards, two per chunk: three chunks
    outcome = shipments_send(actor=officers.centre, from_org=tree.centre, chunk=2, run=False)
    job = outcome.job
    assert job is not None and job.chunk_count == 3
    (shipment,) = outcome.shipments
    assert shipment.state == ShipmentState.PACKING

    job = job_run(job.pk, stop_after=1)  # chunk 0 commits
    assert job.chunks_done == 1 and Job.objects.get(pk=job.pk).status != Job.Status.DONE
    # The worker is killed inside chunk 1: its transaction never commits (its cards moved, then rolled back).
    with pytest.raises(RuntimeError), transaction.atomic():
        Send().run_chunk(Job.objects.get(pk=job.pk), 1)
        assert ShipmentCard.objects.filter(shipment=shipment).count() == 4  # it had got this far
        raise RuntimeError("killed")
    assert ShipmentCard.objects.filter(shipment=shipment).count() == 2
    assert Shipment.objects.get(pk=shipment.pk).state == ShipmentState.PACKING  # not receivable yet
    job = job_run(job.pk, take_over=True)  # resumed: chunks 1 and 2 only
    assert job.status == Job.Status.DONE and job.succeeded == 5 and job.failed == 0
    assert sorted(JobChunk.objects.filter(job=job).values_list("index", flat=True)) == [0, 1, 2]
    shipment.refresh_from_db()
    assert (shipment.state, shipment.count_sent, shipment.count_pending) == (ShipmentState.SENT, 5, 0)
    assert sorted(ShipmentCard.objects.filter(shipment=shipment).values_list("card_id", flat=True)) == sorted(
        c.pk for c in cards
    )
    for card in cards:
        assert CardEvent.objects.filter(card=card, transition="send").count() == 1
        assert Card.objects.get(pk=card.pk).state == CardState.IN_TRANSIT
    # A third run does nothing more.
    job_run(job.pk, take_over=True)
    assert CardEvent.objects.filter(card__in=cards, transition="send").count() == 5

    # The receipt, as a job of two-card chunks, killed after the first and resumed.
    received = shipment_receive(actor=officers.province, code=shipment.code, counted=5, chunk=2, run=False)
    assert received.state == ShipmentState.RECEIVING
    receive_job = Job.objects.get(pk=received.job_id)
    job_run(receive_job.pk, stop_after=1)
    assert Shipment.objects.get(pk=shipment.pk).count_received == 2
    job_run(receive_job.pk, take_over=True)
    shipment.refresh_from_db()
    assert (shipment.state, shipment.count_received) == (ShipmentState.RECEIVED, 5)
    assert CardEvent.objects.filter(card__in=cards, transition="receive").count() == 5


def test_the_issuance_register_lists_every_card_and_keeps_text_as_text(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any, tmp_path: Any
) -> None:
    """Regulation 06-QĐ/TW: the committee directly above the grassroots keeps the register. A member whose
    name begins with '=' stays a name in the workbook, never a formula."""
    formula = '=HYPERLINK("http://x","Bấm")'
    members[4] = registry.member_update(actor=None, member=members[4], changes={"full_name": formula})
    cards = produced(members)
    walk_down(officers, tree)
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    handover_record(actor=officers.cell, meeting=meeting, card=cards[0], method=HandOverMethod.PAPER)

    register = register_start(actor=officers.upper, committee=tree.ba_dinh)
    assert register.rows == 5 and register.pdf_sha256 and register.xlsx_sha256
    # On disk, hashes in the database.
    assert storage.file_read(register.pdf_file, register.pdf_sha256) is not None
    login(client, officers.upper)
    xlsx = client.get(f"/phan-phoi/so-phat-the/{register.pk}/xlsx/")
    assert xlsx.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(xlsx.content))
    sheet = book.active
    rows = [r for r in sheet.iter_rows(min_row=4, values_only=True)]
    assert sorted(r[1] for r in rows) == sorted(c.number for c in cards)
    names = {r[1]: r[2] for r in rows}
    assert names[cards[4].number] == formula
    cell = next(c for c in sheet.iter_rows(min_row=4) for c in c if c.value == formula)
    assert cell.data_type == "s" and cell.quotePrefix  # a string cell: never evaluated
    import zipfile

    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as z:
        assert "<f>" not in z.read("xl/worksheets/sheet1.xml").decode()
    handed = {r[1]: r[6] for r in rows}
    assert handed[cards[0].number] is not None and handed[cards[1].number] is None

    pdf = client.get(f"/phan-phoi/so-phat-the/{register.pk}/pdf/")
    text = text_of_pdf(pdf.content, tmp_path)
    for name in ("Nguyễn Thị Ánh Hồng", "Trần Văn Đức", "Lê Hoàng Yến", "Phạm Quốc Việt"):
        assert name in text
    assert "SỔ PHÁT THẺ ĐẢNG VIÊN" in text and "Đảng bộ phường Ba Đình" in text
    # A file changed on disk is not served.
    (storage.root() / register.pdf_file).write_bytes(b"%PDF-1.4 forged")
    assert client.get(f"/phan-phoi/so-phat-the/{register.pk}/pdf/").status_code == 404
    # Another province's committee officer gets the same 404.
    login(client, officers.hue_upper)
    assert client.get(f"/phan-phoi/so-phat-the/{register.pk}/xlsx/").status_code == 404


def test_the_destruction_minutes_list_exactly_the_destroyed_cards(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any, tmp_path: Any
) -> None:
    cards = produced(members)
    walk_down(officers, tree)
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    for card in cards[:3]:  # three handed over, their old cards taken back; two not at this meeting
        handover_record(actor=officers.cell, meeting=meeting, card=card, method=HandOverMethod.PAPER)
    recovered = set(Card.objects.filter(state=CardState.RECOVERED).values_list("number", flat=True))
    assert len(recovered) == 3 and all(len(n) == 8 for n in recovered)  # the old 8-digit cards

    record = destruction_start(
        actor=officers.upper, committee=tree.ba_dinh, destroyed_on=dt.date(2026, 9, 10),
        council="Nguyễn Văn Chủ Trì — Phó Bí thư\nLê Thị Thư Ký — Ủy viên", chunk=2,
    )  # fmt: skip
    assert record.count == 3 and record.sha256
    destroyed = set(DestroyedCard.objects.filter(record=record).values_list("card__number", flat=True))
    assert destroyed == recovered
    assert set(Card.objects.filter(state=CardState.DESTROYED).values_list("number", flat=True)) == recovered
    login(client, officers.upper)
    text = text_of_pdf(client.get(f"/phan-phoi/huy-the/{record.pk}/bien-ban.pdf").content, tmp_path)
    assert "BIÊN BẢN HỦY THẺ ĐẢNG VIÊN" in text and "10/09/2026" in text and "Lê Thị Thư Ký" in text
    listed = {n for n in recovered if n in text}
    assert listed == recovered
    others = {c.number for c in Card.objects.exclude(number__in=recovered)}
    assert not any(n in text for n in others)  # exactly the destroyed cards
    for card in cards[:3]:
        assert card.member.full_name in text
    for card in cards[3:]:
        assert card.member.full_name not in text
    assert "Tổng số thẻ đã hủy: 3." in text
    # Nothing left to destroy; a cell secretary may not destroy at all.
    from partycard.distribution.errors import NothingToDo, NotStandingHere

    with pytest.raises(NothingToDo):
        destruction_start(actor=officers.upper, committee=tree.ba_dinh, destroyed_on=dt.date(2026, 9, 11),
                          council="x")  # fmt: skip
    with pytest.raises(NotStandingHere):
        destruction_start(actor=officers.cell, committee=tree.cell_a, destroyed_on=dt.date(2026, 9, 11),
                          council="x")  # fmt: skip
    assert DestructionRecord.objects.count() == 1


def test_a_card_whose_member_moved_while_it_travelled_goes_back_up_and_down_the_new_way(
    officers: Any, tree: Any, members: list[Any]
) -> None:
    """The member moves from cell_a (school, Ba Đình) to cell_b (the same school) while the card sits at
    cell_a: cell_a sends it back up to the school, the lowest organisation on both ways, which sends it to
    cell_b."""
    (card,) = produced(members[:1])
    walk_down(officers, tree)
    registry.member_transfer(actor=None, member=members[0], to_cell=tree.cell_b, reason="chuyển sinh hoạt")
    with pytest.raises((CardError, OutOfScope)):  # sending on is refused: off its way (and out of scope)
        from partycard.cards.services import card_send

        card_send(actor=officers.cell, card=card.pk)
    shipment = reroute_ship(actor=officers.cell, number=card.number)
    assert (shipment.from_org, shipment.to_org, shipment.to_level) == (
        tree.cell_a,
        tree.school,
        CardLevel.GRASSROOTS,
    )
    event = CardEvent.objects.filter(card=card).last()
    assert (event.transition, event.reason, event.holder_id) == ("send", REROUTE, tree.school.pk)
    shipment_receive(actor=officers.grassroots, code=shipment.code, counted=1)
    (onward,) = shipments_send(actor=officers.grassroots, from_org=tree.school).shipments
    assert onward.to_org == tree.cell_b
    from partycard.accounts.models import User
    from partycard.accounts.roles import Role

    secretary_b = officers.other_cell
    assert isinstance(secretary_b, User) and secretary_b.role == Role.CELL_SECRETARY
    shipment_receive(actor=secretary_b, code=onward.code, counted=1)
    moved = Card.objects.get(pk=card.pk)
    assert (moved.state, moved.holder_id, moved.kind) == (CardState.RECEIVED, tree.cell_b.pk, CardKind.NEW)
    # Another province's officer cannot re-route a card they do not hold.
    with pytest.raises(Exception) as refused:
        reroute_ship(actor=officers.hue_cell, number=card.number)
    assert getattr(refused.value, "http_status", None) == 404


def test_the_register_job_page_and_commands(
    officers: Any, tree: Any, members: list[Any], tmp_path: Any
) -> None:
    """``partycard distribution`` is thin over the services: send, receive, register, destroy."""
    from django.core.management import call_command

    produced(members[:2])
    out = io.StringIO()
    call_command("distribution", "send", "--as", officers.centre.username, stdout=out)
    code = Shipment.objects.get(from_org=tree.centre).code
    assert code in out.getvalue()
    call_command(
        "distribution", "receive", code, "--counted", "2", "--as", officers.province.username, stdout=out
    )
    assert Shipment.objects.get(code=code).state == ShipmentState.RECEIVED
    call_command("distribution", "register", tree.ba_dinh.code, "--out", str(tmp_path), stdout=out)
    register = IssuanceRegister.objects.get()
    assert (tmp_path / f"so-phat-the-{register.pk}.xlsx").exists()


def test_destroying_the_recovered_cards_from_the_page_asks_for_a_ticked_box(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any
) -> None:
    """Issue 15: "a confirmation step for irreversible actions": destroyed cards are gone for good, so the
    page's form carries a required box, and a POST without it destroys nothing."""
    cards = produced(members)
    walk_down(officers, tree)
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    handover_record(actor=officers.cell, meeting=meeting, card=cards[0], method=HandOverMethod.PAPER)
    assert Card.objects.filter(state=CardState.RECOVERED).count() == 1
    login(client, officers.upper)
    url = "/phan-phoi/huy-the/?to_chuc=HN-BD"
    page = client.get(url).content.decode()
    assert 'name="confirmed"' in page and "Tôi xác nhận: thao tác này không thể hoàn tác." in page
    data = {"to_chuc": "HN-BD", "destroyed_on": "10/09/2026", "council": "Nguyễn Văn Chủ Trì — Phó Bí thư"}
    refused = client.post(url, data).content.decode()
    assert "Hãy đánh dấu ô xác nhận" in refused
    assert not DestructionRecord.objects.exists()
    assert Card.objects.filter(state=CardState.RECOVERED).count() == 1
    client.post(url, {**data, "confirmed": "on"})
    assert DestructionRecord.objects.get().count == 1
    assert Card.objects.filter(state=CardState.DESTROYED).count() == 1
