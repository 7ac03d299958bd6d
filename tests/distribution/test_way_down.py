"""The whole way of new cards: Centre → province → the committee above the grassroots → grassroots → cell
(Directive 51-CT/TW: the cards go back down the tree), received by each next level's officer with the
count checked; then the cell's meeting (Regulation 06-QĐ/TW: the cell hands the card over at its next
meeting), on a signed paper receipt or confirmed by the member on their phone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.cards.lifecycle import CardKind, CardLevel, CardState, CardTransition
from partycard.cards.models import Card, CardEvent
from partycard.core.scope import OutOfScope
from partycard.distribution.choices import HandOverMethod, IncidentKind, ShipmentState
from partycard.distribution.errors import NotTheReceiver, UnknownNumbers
from partycard.distribution.models import HandOver, Shipment, ShipmentIncident
from partycard.distribution.services import (
    handover_confirm,
    handover_record,
    meeting_open,
    shipment_receive,
    shipments_send,
)
from tests.distribution.conftest import produced

pytestmark = pytest.mark.django_db

# Who sends at each leg, who receives, and where the cards then are (tests/conftest.py's Hà Nội branch).
LEGS = [
    ("centre", "province", "hanoi", CardLevel.PROVINCE),
    ("province", "upper", "ba_dinh", CardLevel.UPPER),
    ("upper", "grassroots", "school", CardLevel.GRASSROOTS),
    ("grassroots", "cell", "cell_a", CardLevel.CELL),
]


def walk_down(officers: Any, tree: Any) -> list[Shipment]:
    """Send and receive every leg, the count matching; the shipments, top first."""
    shipments = []
    for sender, receiver, where, _level in LEGS:
        sender_user = getattr(officers, sender)
        from_org = sender_user.organisation
        (shipment,) = shipments_send(actor=sender_user, from_org=from_org).shipments
        assert shipment.to_org == getattr(tree, where) and shipment.state == ShipmentState.SENT
        received = shipment_receive(
            actor=getattr(officers, receiver), code=shipment.code, counted=shipment.count_sent
        )
        assert received.state == ShipmentState.RECEIVED
        shipments.append(received)
    return shipments


def test_cards_go_down_every_level_and_into_the_members_hands(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any
) -> None:
    cards = produced(members[:3])
    shipments = walk_down(officers, tree)
    assert [s.count_sent for s in shipments] == [3, 3, 3, 3]
    assert [s.count_received for s in shipments] == [3, 3, 3, 3]
    assert not ShipmentIncident.objects.exists()
    for card in Card.objects.filter(pk__in=[c.pk for c in cards]):
        assert (card.state, card.level, card.holder_id) == (
            CardState.RECEIVED,
            CardLevel.CELL,
            tree.cell_a.pk,
        )
        # One send and one receive per leg, each by the level whose turn it was.
        moves = list(
            CardEvent.objects.filter(card=card, transition__in=["send", "receive"]).values_list(
                "transition", "level"
            )
        )
        assert moves == [(t, lv.value) for *_x, lv in LEGS for t in ("send", "receive")]

    import datetime as dt

    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    paper = handover_record(actor=officers.cell, meeting=meeting, card=cards[0], method=HandOverMethod.PAPER)
    phone = handover_record(actor=officers.cell, meeting=meeting, card=cards[1], method=HandOverMethod.PHONE)
    kept = handover_record(
        actor=officers.cell, meeting=meeting, card=cards[2], method=HandOverMethod.PAPER, old_card_taken=False
    )
    assert paper.confirmed_at is not None and kept.confirmed_at is not None and phone.confirmed_at is None

    def state(member: Any, kind: str) -> str:
        return Card.objects.get(member=member, kind=kind).state

    # Paper: the new card in use now; the old one replaced and taken back at the same meeting.
    assert state(members[0], CardKind.NEW) == CardState.ACTIVE
    assert state(members[0], CardKind.OLD) == CardState.RECOVERED
    # Not taken back at the meeting: replaced (it stops verifying), still to recover.
    assert state(members[2], CardKind.OLD) == CardState.SUPERSEDED
    # Phone: nothing happens until the member confirms.
    assert state(members[1], CardKind.NEW) == CardState.RECEIVED
    assert state(members[1], CardKind.OLD) == CardState.ACTIVE

    member_user = User.objects.create_user("dv1", password="x", role=Role.MEMBER, member=members[1])
    other_user = User.objects.create_user("dv0", password="x", role=Role.MEMBER, member=members[0])
    with pytest.raises(OutOfScope):  # another member may not confirm it
        handover_confirm(actor=other_user, handover_id=phone.pk)
    with pytest.raises(OutOfScope):  # nor the cell's secretary: the member's own word
        handover_confirm(actor=officers.cell, handover_id=phone.pk)
    assert state(members[1], CardKind.NEW) == CardState.RECEIVED

    login(client, member_user)
    page = client.get("/phan-phoi/the-cua-toi/").content.decode()
    assert cards[1].number in page and "05/09/2026" in page
    response = client.post("/phan-phoi/the-cua-toi/", {"handover": phone.pk})
    assert response.status_code == 302
    assert state(members[1], CardKind.NEW) == CardState.ACTIVE
    assert state(members[1], CardKind.OLD) == CardState.RECOVERED
    confirmed = HandOver.objects.get(pk=phone.pk)
    assert confirmed.confirmed_by_id == member_user.pk
    event = CardEvent.objects.get(card=cards[1], transition=CardTransition.HAND_OVER)
    assert event.actor_id == officers.cell.pk  # the cell's step (lifecycle), completed by the member's word
    confirmation = AuditEvent.objects.get(action="distribution.handover_confirm", object_id=str(phone.pk))
    assert confirmation.actor_id == member_user.pk
    assert audit_verify().ok


def test_another_member_sees_nothing_to_confirm_and_cannot_post_it(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any
) -> None:
    import datetime as dt

    (card,) = produced(members[:1])
    walk_down(officers, tree)
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    phone = handover_record(actor=officers.cell, meeting=meeting, card=card, method=HandOverMethod.PHONE)
    intruder = User.objects.create_user("dv9", password="x", role=Role.MEMBER, member=members[4])
    login(client, intruder)
    assert card.number not in client.get("/phan-phoi/the-cua-toi/").content.decode()
    assert client.post("/phan-phoi/the-cua-toi/", {"handover": phone.pk}).status_code == 404
    assert Card.objects.get(pk=card.pk).state == CardState.RECEIVED


def test_a_count_that_differs_is_recorded_and_a_missing_card_stays_in_transit(
    officers: Any, tree: Any, members: list[Any]
) -> None:
    cards = produced(members[:4])
    (shipment,) = shipments_send(actor=officers.centre, from_org=tree.centre).shipments
    with pytest.raises(UnknownNumbers):  # a "missing" card that is not on the shipment
        shipment_receive(
            actor=officers.province, code=shipment.code, counted=3, missing_numbers=["0000000000"]
        )
    received = shipment_receive(
        actor=officers.province,
        code=shipment.code.lower().replace("-", " "),  # typed from the label, loosely
        counted=3,
        missing_numbers=[cards[3].number],
        extra_numbers=["9999999999"],
    )
    assert (received.count_sent, received.counted, received.count_received) == (4, 3, 3)
    incidents = {i.kind: i for i in ShipmentIncident.objects.filter(shipment=shipment)}
    assert set(incidents) == {IncidentKind.COUNT_MISMATCH, IncidentKind.MISSING_CARD, IncidentKind.EXTRA_CARD}
    assert (
        incidents[IncidentKind.COUNT_MISMATCH].expected,
        incidents[IncidentKind.COUNT_MISMATCH].counted,
    ) == (4, 3)
    assert incidents[IncidentKind.MISSING_CARD].numbers == [cards[3].number]
    assert incidents[IncidentKind.EXTRA_CARD].numbers == ["9999999999"]
    assert incidents[IncidentKind.MISSING_CARD].by == officers.province
    assert Card.objects.get(pk=cards[3].pk).state == CardState.IN_TRANSIT
    assert all(Card.objects.get(pk=c.pk).state == CardState.RECEIVED for c in cards[:3])
    assert AuditEvent.objects.filter(
        action="distribution.shipment_receive", object_id=str(shipment.pk)
    ).exists()


def test_another_province_cannot_receive_a_shipment_and_learns_nothing(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any
) -> None:
    """Huế's officers get the same 404 as for a code that does not exist; Hà Nội's province officer is in
    the scope of a shipment to Ba Đình but is not its receiver."""
    produced(members[:2])
    (to_hanoi,) = shipments_send(actor=officers.centre, from_org=tree.centre).shipments
    hue_officer = User.objects.create_user("hue-province", password="x", role=Role.COMMITTEE_OFFICER,
                                           organisation=tree.hue)  # fmt: skip
    for outsider in (hue_officer, officers.hue_upper, officers.hue_cell):
        with pytest.raises(OutOfScope):
            shipment_receive(actor=outsider, code=to_hanoi.code, counted=2)
    assert Shipment.objects.get(pk=to_hanoi.pk).state == ShipmentState.SENT
    login(client, hue_officer)
    missing = client.post("/phan-phoi/nhan/", {"code": "ABCDE-FGHJK-0", "counted": 2}).content.decode()
    refused = client.post("/phan-phoi/nhan/", {"code": to_hanoi.code, "counted": 2}).content.decode()
    assert "Đảng bộ thành phố Hà Nội" not in refused

    def strip(page: str, code: str) -> str:  # the echoed code and the CSRF tokens aside, the same answer
        return re.sub(r'value="[A-Za-z0-9]{64}"', "", page.replace(code, ""))

    assert "No shipment has this code." in missing or "Không có lô thẻ nào mang mã này." in missing
    assert strip(missing, "ABCDE-FGHJK-0") == strip(refused, to_hanoi.code)
    assert client.get(f"/phan-phoi/lo/{to_hanoi.code}/").status_code == 404
    assert client.get(f"/phan-phoi/lo/{to_hanoi.code}/nhan.pdf").status_code == 404

    shipment_receive(actor=officers.province, code=to_hanoi.code, counted=2)
    (to_ba_dinh,) = shipments_send(actor=officers.province, from_org=tree.hanoi).shipments
    with pytest.raises(NotTheReceiver):  # above it, in scope, but not the organisation it was sent to
        shipment_receive(actor=officers.province, code=to_ba_dinh.code, counted=2)


def test_the_label_carries_the_code_as_qr_and_text(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any, tmp_path: Any
) -> None:
    import subprocess

    produced(members[:2])
    (shipment,) = shipments_send(actor=officers.centre, from_org=tree.centre).shipments
    login(client, officers.province)
    response = client.get(f"/phan-phoi/lo/{shipment.code}/nhan.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "label.pdf"
    pdf.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert shipment.code in text and "Đảng bộ thành phố Hà Nội" in text and "Số thẻ: 2" in text
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded


def test_the_meeting_pages_and_the_receipt_to_sign(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any, tmp_path: Any
) -> None:
    """The cell secretary opens the meeting, prints the receipt (one line per member, Vietnamese names exact)
    and records the hand-overs on the page; a sibling cell's secretary gets a 404."""
    import subprocess

    cards = produced(members[:2])
    walk_down(officers, tree)
    login(client, officers.cell)
    response = client.post("/phan-phoi/hop-chi-bo/", {"to_chuc": tree.cell_a.code, "held_on": "05/09/2026"})
    assert response.status_code == 302
    meeting_url = response["Location"]
    page = client.get(meeting_url).content.decode()
    assert all(c.member.full_name in page for c in cards)
    pdf = client.get(meeting_url + "danh-sach-nhan-the.pdf")
    path = tmp_path / "receipt.pdf"
    path.write_bytes(pdf.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "Nguyễn Thị Ánh Hồng" in text and "Trần Văn Đức" in text and "Ký nhận" in text
    response = client.post(meeting_url, {f"method-{cards[0].pk}": "paper", f"old-{cards[0].pk}": "1"})
    assert response.status_code == 302
    assert Card.objects.get(pk=cards[0].pk).state == CardState.ACTIVE
    assert Card.objects.get(pk=cards[1].pk).state == CardState.RECEIVED  # not at this meeting
    login(client, officers.other_cell)
    assert client.get(meeting_url).status_code == 404
    assert client.post(meeting_url, {f"method-{cards[1].pk}": "paper"}).status_code == 404
    assert Card.objects.get(pk=cards[1].pk).state == CardState.RECEIVED


def test_the_pages_send_and_receive(
    officers: Any, tree: Any, members: list[Any], client: Client, login: Any
) -> None:
    """The Centre sends from its page; Hà Nội sees the shipment to receive, opens it from the label's QR
    (``?ma=CODE``) and receives it with a count that differs (the discrepancy is shown)."""
    produced(members[:2])
    login(client, officers.centre)
    page = client.get("/phan-phoi/").content.decode()
    assert "Đảng bộ thành phố Hà Nội" in page
    assert client.post("/phan-phoi/gui/", {}).status_code == 302
    shipment = Shipment.objects.get(from_org=tree.centre)
    assert shipment.state == ShipmentState.SENT
    login(client, officers.province)
    assert shipment.code in client.get("/phan-phoi/").content.decode()
    assert shipment.code in client.get(f"/phan-phoi/nhan/?ma={shipment.code}").content.decode()
    response = client.post(
        "/phan-phoi/nhan/", {"code": shipment.code, "counted": 1, "missing": "", "extra": ""}
    )
    assert response.status_code == 302 and response["Location"] == f"/phan-phoi/lo/{shipment.code}/"
    detail = client.get(response["Location"]).content.decode()
    assert "2 → 1" in detail
    assert Shipment.objects.get(pk=shipment.pk).state == ShipmentState.RECEIVED
