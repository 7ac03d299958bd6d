"""Issue 14's round trip, end to end with the real parts: accepted cards → a batch sealed to the
manufacturer → ``partycard-factory personalise`` (chip keys generated on the chip) → the key report
reconciled → the SODs signed over those keys → ``partycard-factory finish`` → the production report
reconciled → shipments down the tree, each received by the next level → the hand-over at the cell's
meeting → the old card recovered and destroyed with its minutes; then ``partycard read-card --can`` on
the personalised chip, over pcscd and the virtual reader, reads VALID with PACE and chip authentication
(layout v2, a batch /2: issue 18); without the CAN it reads nothing but EF.CardAccess."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.chip.perso import chip_state_load
from partycard.credentials import publishing
from partycard.distribution.choices import HandOverMethod
from partycard.distribution.models import DestroyedCard
from partycard.distribution.services import (
    destruction_start,
    handover_record,
    meeting_open,
    shipment_receive,
    shipments_send,
)
from partycard.exchange.models import Campaign
from partycard.production import services
from partycard.production.models import Batch, BatchCard
from tests.cards.test_read_card_expelled import _read
from tests.pcsc import pcsc_reader, vpcd_inserted
from tests.production.test_round_trip import approve, build, finish, personalise, sign_sods

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader"]


def test_from_the_batch_to_the_members_hand_and_a_valid_read(
    world: Any, officers: Any, tree: Any, pcsc_reader: str, tmp_path: Path
) -> None:
    publishing.caches_clear()
    Campaign.objects.create(code="dot-2026", name="Đợt đổi thẻ 2026", cut_off=dt.date(2026, 6, 30))
    approve("v2")
    hanoi = next(b for b in services.batches_plan(actor=officers.centre, layout="v2") if b.card_count == 3)
    build(hanoi)
    services.keys_import(actor=officers.centre, data=personalise(world, hanoi), enqueue=False)
    sign_sods(hanoi)
    services.report_import(actor=officers.centre, data=finish(world, hanoi))
    hanoi.refresh_from_db()
    assert (hanoi.state, hanoi.produced) == (Batch.State.CLOSED, 3)

    # Down the tree: each level sends what it holds, the next level's officer receives with the count.
    legs = [
        (officers.centre, officers.province),
        (officers.province, officers.upper),
        (officers.upper, officers.grassroots),
    ]
    for sender, receiver in legs:
        (shipment,) = shipments_send(actor=sender, from_org=sender.organisation).shipments
        shipment_receive(actor=receiver, code=shipment.code, counted=shipment.count_sent)
    to_cells = shipments_send(actor=officers.grassroots, from_org=officers.grassroots.organisation).shipments
    to_a = next(s for s in to_cells if s.to_org == tree.cell_a)
    shipment_receive(actor=officers.cell, code=to_a.code, counted=to_a.count_sent)

    # The cell's meeting: Nguyễn Thị Thanh Hương signs the paper receipt and gives back her old card.
    member = world.cards[0].member
    new_card = Card.objects.get(member=member, kind=CardKind.NEW)
    assert new_card.state == CardState.RECEIVED
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, held_on=dt.date(2026, 9, 5))
    handover_record(actor=officers.cell, meeting=meeting, card=new_card, method=HandOverMethod.PAPER)
    new_card.refresh_from_db()
    old_card = Card.objects.get(member=member, kind=CardKind.OLD)
    assert (new_card.state, old_card.state) == (CardState.ACTIVE, CardState.RECOVERED)

    # The deciding committee destroys the recovered old card, with the minutes.
    record = destruction_start(
        actor=officers.upper,
        committee=tree.ba_dinh,
        destroyed_on=dt.date(2026, 9, 20),
        council="Nguyễn Văn A, Trần Thị B",
        run=True,
    )
    old_card.refresh_from_db()
    assert old_card.state == CardState.DESTROYED
    assert DestroyedCard.objects.filter(record=record, card=old_card).exists()

    # The card the factory made, in the member's hand: read over PC/SC, offline, with the CAN printed on
    # it, PACE and chip authentication (its DG14's key, generated on the chip), it is VALID.
    chip_file = world.factory_dir / "chips" / f"{new_card.number}.chip"
    can = BatchCard.objects.get(batch=hanoi, card=new_card).can
    assert len(can) == 6
    with vpcd_inserted(lambda: chip_state_load(chip_file), pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, can=can)
    assert (status, verdict["outcome"], verdict["reasons"]) == (0, "valid", []), verdict
    with vpcd_inserted(lambda: chip_state_load(chip_file), pcsc_reader):
        status, closed = _read(pcsc_reader, tmp_path)
    assert [r["code"] for r in closed["reasons"]] == ["pace_required"], closed
    assert verdict["holder"]["full_name"] == "Nguyễn Thị Thanh Hương"
