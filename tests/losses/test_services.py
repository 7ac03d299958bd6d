"""The procedure through its services, from the issue's text: "the member reports it in the app (with the
2×3 photo upload), the card is suspended in the status list at once (chip and e-card), … the committee
decides, and the reissue enters production with a new card number; the old card reads revoked from then
on"; and procedure 5: "Death, expulsion, removal, resignation revoke the cards (as today), with the cell's
recovery of the physical card recorded" (DOMAIN.md: "Death: the family keeps the card. Expulsion or
removal: the cell recovers the card and sends it up")."""

from __future__ import annotations

from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.credentials.models import CredentialStatus
from partycard.losses.errors import CardNotReportable, MemberStillInParty, PhotoRefused, StepRefused
from partycard.losses.models import CardRecovery, LossReport
from partycard.losses.services import loss_report, loss_step, recovery_record
from partycard.losses.workflow import Kind, State, Step
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.exchange.conftest import Officers
from tests.factories import card_walk
from tests.losses.conftest import Holder, chip_codes, ecard_codes, photo, photos

pytestmark = pytest.mark.django_db


def _report(holder: Holder, kind: Kind = Kind.LOST) -> LossReport:
    return loss_report(
        actor=holder.user,
        member=holder.member,
        kind=kind,
        circumstances="Mất ví trên xe buýt",
        photos=photos(),
    )


def _through(report: LossReport, officers: Officers, *, decision: str = "12-QĐ/ĐU") -> LossReport:
    report = loss_step(actor=officers.grassroots, report=report, step=Step.LIST)
    report = loss_step(actor=officers.upper, report=report, step=Step.COMPILE, good_reason=True)
    return loss_step(actor=officers.upper, report=report, step=Step.DECIDE, decision_number=decision)


def test_the_card_reads_valid_before_the_report(holder: Holder) -> None:
    assert chip_codes(holder.card) == () and ecard_codes(holder) == ()


@pytest.mark.parametrize("kind", list(Kind))
def test_a_report_suspends_the_card_at_once_chip_and_e_card(holder: Holder, kind: Kind) -> None:
    report = _report(holder, kind)
    assert report.state == State.REPORTED and report.channel == "app" and report.photos.count() == 2
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.SUSPENDED
    assert chip_codes(holder.card) == ("card_suspended",)
    assert ecard_codes(holder) == ("suspended",)
    holder.credential.refresh_from_db()
    assert holder.credential.status == CredentialStatus.SUSPENDED
    assert AuditEvent.objects.filter(action="losses.report", object_id=str(report.pk)).count() == 1


def test_the_whole_way_the_reissue_gets_a_new_number_and_the_old_card_reads_revoked(
    holder: Holder, officers: Officers
) -> None:
    report = _through(_report(holder), officers)
    assert report.state == State.DECIDED and report.decision_number == "12-QĐ/ĐU"
    assert (report.listed_by, report.compiled_by, report.decided_by) == (
        officers.grassroots.organisation, officers.upper.organisation, officers.upper.organisation,
    )  # fmt: skip
    new = report.new_card
    assert new is not None and new.number != holder.card.number
    # The reissue is a new card allocated like an accepted case's, without a case: production plans it.
    assert (new.kind, new.state, new.case_id, new.member_id) == (
        CardKind.NEW, CardState.ALLOCATED, None, holder.member.pk,
    )  # fmt: skip
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.REVOKED
    assert chip_codes(holder.card) == ("card_revoked",)
    assert ecard_codes(holder) == ("revoked",)
    # From then on: the new card handed over supersedes nothing that would bring the old one back.
    new = card_walk(new, officers)
    assert chip_codes(holder.card) == ("card_revoked",)
    report = loss_step(actor=officers.cell, report=report, step=Step.CLOSE)
    assert report.state == State.REISSUED
    assert list(report.events.values_list("step", flat=True)) == [
        "report",
        "list",
        "compile",
        "decide",
        "close",
    ]


def test_close_waits_for_the_new_card_in_the_members_hands(holder: Holder, officers: Officers) -> None:
    report = _through(_report(holder), officers)
    with pytest.raises(StepRefused) as refused:
        loss_step(actor=officers.cell, report=report, step=Step.CLOSE)
    assert [p.code for p in refused.value.problems] == ["card_not_handed_over"]


def test_each_level_takes_only_its_step(holder: Holder, officers: Officers) -> None:
    report = _report(holder)
    for who in (officers.cell, officers.upper):
        with pytest.raises(StepRefused):
            loss_step(actor=who, report=report, step=Step.LIST)
    report = loss_step(actor=officers.grassroots, report=report, step=Step.LIST)
    with pytest.raises(StepRefused):
        loss_step(actor=officers.grassroots, report=report, step=Step.COMPILE)
    # The province (a committee officer, but not the one directly above the grassroots) does not decide.
    report = loss_step(actor=officers.upper, report=report, step=Step.COMPILE)
    with pytest.raises(StepRefused):
        loss_step(actor=officers.province, report=report, step=Step.DECIDE)


def test_a_lost_card_refused_is_valid_again_a_damaged_one_stays_suspended(
    holder: Holder, officers: Officers, make_member: Any
) -> None:
    report = loss_step(actor=officers.upper, report=_report(holder), step=Step.REFUSE, reason="Đã tìm thấy")
    assert report.state == State.REFUSED and report.refusal == "Đã tìm thấy"
    assert chip_codes(holder.card) == () and ecard_codes(holder) == ()
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.ACTIVE
    damaged = _report(holder, Kind.DAMAGED)  # reported again: a new case may be opened once refused
    loss_step(actor=officers.upper, report=damaged, step=Step.REFUSE, reason="Thẻ còn dùng được")
    assert chip_codes(holder.card) == ("card_suspended",)


def test_reported_twice_is_refused_while_the_case_is_open(holder: Holder, officers: Officers) -> None:
    _report(holder)
    with pytest.raises(CardNotReportable):
        loss_report(
            actor=officers.cell, member=holder.member, kind=Kind.LOST, circumstances="x", photos=photos()
        )


def test_the_cell_reports_for_the_member_and_the_photos_are_checked(
    holder: Holder, officers: Officers
) -> None:
    with pytest.raises(PhotoRefused):
        loss_report(
            actor=officers.cell, member=holder.member, kind=Kind.LOST, circumstances="x", photos=[photo()]
        )
    with pytest.raises(PhotoRefused):
        loss_report(
            actor=officers.cell, member=holder.member, kind=Kind.LOST, circumstances="x",
            photos=[photo(), b"not an image"],
        )  # fmt: skip
    assert not LossReport.objects.exists()
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.ACTIVE  # a refused report suspends nothing
    report = loss_report(
        actor=officers.cell,
        member=holder.member,
        kind=Kind.DAMAGED,
        circumstances="Thẻ bị gãy",
        photos=photos(),
    )
    assert report.channel == "cell"
    # The damaged card is suspended too, and its note says why.
    holder.card.refresh_from_db()
    assert (holder.card.state, holder.card.note) == (CardState.SUSPENDED, "reported_damaged")
    assert holder.card.events.order_by("at", "pk").last().transition == "suspend"


def test_the_grassroots_does_not_report_and_another_cell_cannot(holder: Holder, officers: Officers) -> None:
    from partycard.core.scope import OutOfScope

    with pytest.raises(StepRefused):
        loss_report(
            actor=officers.grassroots,
            member=holder.member,
            kind=Kind.LOST,
            circumstances="x",
            photos=photos(),
        )
    with pytest.raises(OutOfScope):
        loss_report(
            actor=officers.other_cell,
            member=holder.member,
            kind=Kind.LOST,
            circumstances="x",
            photos=photos(),
        )


# ---- procedure 5 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "outcome", "card_state"),
    [
        (MemberStatus.EXPELLED, "recovered", CardState.RECOVERED),
        (MemberStatus.REMOVED, "recovered", CardState.RECOVERED),
        (MemberStatus.RESIGNED, "recovered", CardState.RECOVERED),
        (MemberStatus.DECEASED, "kept_by_family", CardState.REVOKED),
    ],
)
def test_the_cells_recovery_is_recorded(
    holder: Holder, officers: Officers, status: str, outcome: str, card_state: CardState
) -> None:
    registry.member_update(actor=officers.upper, member=holder.member, changes={"status": status}, reason="x")
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.REVOKED  # as today: the status change revokes it
    assert chip_codes(holder.card) == ("card_revoked",) and ecard_codes(holder) == ("revoked",)
    holder.member.refresh_from_db()
    recovery = recovery_record(
        actor=officers.cell, member=holder.member, card=holder.card, note="Biên bản 01"
    )
    assert recovery.outcome == outcome
    holder.card.refresh_from_db()
    assert holder.card.state == card_state
    assert chip_codes(holder.card) == ("card_revoked",)  # never valid again
    assert AuditEvent.objects.filter(action="losses.recovery", object_id=str(recovery.pk)).count() == 1
    from partycard.losses.errors import NothingToRecover

    with pytest.raises(NothingToRecover):  # recorded once
        recovery_record(actor=officers.cell, member=holder.member, card=holder.card)


def test_no_recovery_of_a_member_still_in_the_party(holder: Holder, officers: Officers) -> None:
    with pytest.raises(MemberStillInParty):
        recovery_record(actor=officers.cell, member=holder.member, card=holder.card)
    assert not CardRecovery.objects.exists()
    assert Card.objects.get(pk=holder.card.pk).state == CardState.ACTIVE


def test_the_reissue_enters_production_with_its_new_number(holder: Holder, officers: Officers) -> None:
    """The Centre's next batch plan takes the reissued card like every allocated new card."""
    from partycard.production.models import BatchCard
    from partycard.production.services import batches_plan

    report = _through(_report(holder), officers)
    batches_plan(actor=officers.centre, layout="v1")
    planned = BatchCard.objects.get(card=report.new_card)
    assert planned.batch.province == officers.province.organisation
    assert not BatchCard.objects.filter(card=holder.card).exists()  # never the old one


def test_an_old_card_is_not_reissued_when_the_new_one_is_in_use(holder: Holder, officers: Officers) -> None:
    """A member holds one card of each kind in use; the new chip card replaces the old 8-digit one."""
    old = Card.objects.get(member=holder.member, kind=CardKind.OLD)
    with pytest.raises(CardNotReportable):
        loss_report(
            actor=officers.cell,
            member=holder.member,
            card=old,
            kind=Kind.LOST,
            circumstances="x",
            photos=photos(),
        )
    assert Card.objects.get(pk=old.pk).state == CardState.ACTIVE


def test_an_old_card_is_reissued_when_no_new_one_is_held(
    make_member: Any, officers: Officers, authority: Any
) -> None:
    member = make_member(full_name="Lê Văn Cũ", old_card_number="22334455")
    report = loss_report(
        actor=officers.cell, member=member, kind=Kind.LOST, circumstances="x", photos=photos()
    )
    assert report.card.kind == CardKind.OLD and report.card.state == CardState.SUSPENDED
    report = _through(report, officers)
    assert report.new_card is not None and report.new_card.kind == CardKind.NEW
    assert Card.objects.get(pk=report.card_id).state == CardState.REVOKED
