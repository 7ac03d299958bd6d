"""``partycard meeting checkin`` over the real PC/SC stack (pcscd + vpcd, skipped with the reason where it
is missing): the member's chip card, signed for their accepted case and handed over, is read, verified
(passive and active authentication, the server's status list) and its holder recorded present, once; the
card of a member of another cell, or a revoked card, is refused."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partycard.cards.models import Card
from partycard.chip.applet import Applet
from partycard.core import clock
from partycard.core.signing import pki_keystore_open
from partycard.credentials import publishing
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services.chip_images import record_applet
from partycard.meetings.models import Attendance
from partycard.meetings.services import meeting_open
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.exchange.conftest import Officers, campaign, card_holder, officers
from tests.exchange.test_chip_signing import _case
from tests.factories import card_walk
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["campaign", "officers", "pcsc_reader"]


def _checkin(meeting_id: int, reader: str, can: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(
            "meeting", "checkin", "--meeting", str(meeting_id), "--reader", reader, "--can", can, stdout=out
        )
    except SystemExit as e:
        return int(e.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_a_chip_card_checks_its_holder_in_once(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, tree: Any,
    pcsc_reader: str,
) -> None:  # fmt: skip
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())
    member = card_holder(make_member, full_name="Vũ Thị Chip", gender="F", citizen_id="001180055555")
    case = _case(officers, campaign, member)
    call_command("card", "sign", str(case.pk), stdout=io.StringIO())
    record = ChipImageRecord.objects.get(case=case)
    card_walk(Card.objects.get(case=case), officers)  # handed over at the cell's meeting: in use
    store = pki_keystore_open()

    def chip() -> Applet:
        return record_applet(record, store)

    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())
    other = meeting_open(actor=officers.other_cell, cell=tree.cell_b, title="Chi bộ 2", starts_at=clock.now())
    with vpcd_inserted(chip, pcsc_reader):
        first = _checkin(meeting.pk, pcsc_reader, record.can)
        second = _checkin(meeting.pk, pcsc_reader, record.can)
        elsewhere = _checkin(other.pk, pcsc_reader, record.can)
    assert first[0] == 0 and "Vũ Thị Chip: đã điểm danh" in first[1], first
    assert second[0] == 0 and "trước đó" in second[1], second
    assert elsewhere[0] == 1, elsewhere  # not a member of cell B
    attendance = Attendance.objects.get()
    assert (attendance.meeting_id, attendance.member_id, attendance.method) == (meeting.pk, member.pk, "chip")

    registry.member_update(
        actor=officers.upper, member=member, changes={"status": MemberStatus.EXPELLED}, reason="khai trừ"
    )
    publishing.caches_clear()
    later = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt 2", starts_at=clock.now())
    with vpcd_inserted(chip, pcsc_reader):
        status, out = _checkin(later.pk, pcsc_reader, record.can)
    assert status == 1 and "card_revoked" in out, out
    assert Attendance.objects.count() == 1
