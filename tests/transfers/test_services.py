"""The transfer's services end to end: draft, issue (numbered, signed letter), receive on the member's
e-card, complete (record, case and card follow), and every refusal the rules give."""

from __future__ import annotations

import datetime as dt
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from partycard.audit.models import AuditEvent
from partycard.cards.models import Card
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.credentials.models import Credential, CredentialStatus
from partycard.registry import services as registry
from partycard.registry.models import Member
from partycard.transfers import services
from partycard.transfers.choices import Kind
from partycard.transfers.errors import CardNotAccepted, MemberNotTransferable, StepRefused
from partycard.transfers.letter import letter_verify, root_certificate
from partycard.transfers.models import Transfer, TransferEvent
from partycard.transfers.selectors import temporary_cell, transfer_list
from partycard.transfers.workflow import Problem, State
from tests.transfers.conftest import World, ecard_for

pytestmark = pytest.mark.django_db


def _draft(
    world: World, *, kind: str = Kind.OFFICIAL, to: Any = None, actor: Any = None, **kw: Any
) -> Transfer:
    return services.transfer_create(
        actor=actor or world.hn_cell, member=world.member, kind=kind, to_cell=to or world.tree.hue_cell,
        decided_on=kw.pop("decided_on", timezone.localdate() - dt.timedelta(days=3)),
        reason=kw.pop("reason", "Chuyển công tác về Huế"), **kw,
    )  # fmt: skip


def test_the_round_trip_between_two_provinces_moves_the_member_with_case_and_card(world: World) -> None:
    transfer = _draft(world)
    assert transfer.committee == world.tree.hanoi  # the member leaves the province: its committee introduces
    assert transfer.state == State.DRAFTED
    transfer = services.transfer_issue(actor=world.hn_province, transfer=transfer)
    assert transfer.state == State.ISSUED
    assert transfer.number == "1-GGT/HN"
    assert transfer.letter_pdf[:5] == b"%PDF-"
    assert Member.objects.get(pk=world.member.pk).transfer_in_progress
    transfer = services.transfer_receive(
        actor=world.hue_cell, transfer=transfer, qr=world.ecard.rotating_qr()
    )
    assert transfer.state == State.RECEIVED and transfer.card_number == world.card.number
    transfer = services.transfer_complete(actor=world.hue_cell, transfer=transfer)
    assert transfer.state == State.COMPLETED
    member = Member.objects.get(pk=world.member.pk)
    assert member.organisation == world.tree.hue_cell and not member.transfer_in_progress
    card = Card.objects.get(pk=world.card.pk)
    assert card.member_id == member.pk and card.path == world.tree.hue_cell.path  # the card follows
    # Every step is recorded, by the side that took it, and audited with its officer.
    steps = list(
        TransferEvent.objects.filter(transfer=transfer).values_list("step", "side", "actor__username")
    )
    assert steps == [
        ("create", "sending", "hn-cell"),
        ("issue", "sending", "hn-province"),
        ("receive", "receiving", "hue-cell"),
        ("complete", "receiving", "hue-cell"),
    ]
    audited = AuditEvent.objects.filter(object_type="transfers.transfer", object_id=str(transfer.pk))
    assert list(audited.order_by("seq").values_list("action", "actor")) == [
        ("transfers.create", "hn-cell"),
        ("transfers.issue", "hn-province"),
        ("transfers.receive", "hue-cell"),
        ("transfers.complete", "hue-cell"),
    ]
    # The registry's move is the system's, naming the transfer and the confirming officer.
    moved = AuditEvent.objects.filter(
        object_type="registry.member", object_id=str(member.pk), action="transfer"
    )
    assert "1-GGT/HN" in str(moved.get().changes) and "hue-cell" in str(moved.get().changes)


def test_the_letter_goes_from_the_committee_the_member_leaves_to_its_counterpart(
    world: World, tree: Any
) -> None:
    """[U] docs/procedures.md: between provinces, province to province; within a grassroots organisation,
    the grassroots organisation to the receiving cell."""
    assert services.sending_committee("official", tree.cell_a, tree.hue_cell) == tree.hanoi
    assert services.receiving_committee("official", tree.cell_a, tree.hue_cell) == tree.hue
    assert services.sending_committee("internal", tree.cell_a, tree.cell_b) == tree.school
    assert services.receiving_committee("internal", tree.cell_a, tree.cell_b) == tree.cell_b


def test_each_side_sees_the_transfer_and_acts_only_on_its_own_steps(world: World) -> None:
    transfer = _draft(world)
    for officer in (world.hn_cell, world.hn_province, world.hue_cell, world.hue_province):
        assert list(transfer_list(officer)) == [transfer]
    with pytest.raises(OutOfScope):  # the sending cell's secretary does not sign for the province
        services.transfer_issue(actor=world.hn_cell, transfer=transfer)
    with pytest.raises(OutOfScope):  # nor the receiving side
        services.transfer_issue(actor=world.hue_province, transfer=transfer)
    services.transfer_issue(actor=world.hn_province, transfer=transfer)
    with pytest.raises(OutOfScope):  # receiving is the receiving side's
        services.transfer_receive(actor=world.hn_province, transfer=transfer, qr=world.ecard.rotating_qr())
    with pytest.raises(OutOfScope):  # cancelling the sending side's
        services.transfer_cancel(actor=world.hue_cell, transfer=transfer, reason="Không nhận")
    assert Transfer.objects.get(pk=transfer.pk).state == State.ISSUED


def test_an_officer_of_a_third_organisation_sees_nothing(world: World, tree: Any) -> None:
    from tests.transfers.conftest import officer

    transfer = _draft(world)
    other_cell = officer("hn-cell-b", "cell_secretary", tree.cell_b)
    assert not transfer_list(other_cell).exists()
    with pytest.raises(OutOfScope):
        services.transfer_cancel(actor=other_cell, transfer=transfer, reason="x")


def test_a_member_under_inspection_is_not_transferred_and_is_told_why(world: World) -> None:
    registry.member_update(actor=None, member=world.member, changes={"under_inspection": True})
    with pytest.raises(MemberNotTransferable, match=r"kiểm tra|inspection"):
        _draft(world)
    registry.member_update(actor=None, member=world.member, changes={"under_inspection": False})
    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))
    services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr=world.ecard.rotating_qr())
    registry.member_update(actor=None, member=world.member, changes={"under_inspection": True})
    with pytest.raises(StepRefused) as refused:
        services.transfer_complete(actor=world.hue_cell, transfer=transfer)
    assert refused.value.problems == [Problem.UNDER_INSPECTION]
    assert Member.objects.get(pk=world.member.pk).organisation == world.tree.cell_a


def test_the_e_card_must_be_valid_and_this_members(world: World, make_member: Any) -> None:
    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))
    other = make_member(full_name="Lê Thị Khác", citizen_id="001180012399", gender="F")
    _, other_ecard = ecard_for(other)
    with pytest.raises(CardNotAccepted, match=r"valid card of the member|thẻ"):
        services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr=other_ecard.rotating_qr())
    stale = world.ecard.rotating_qr(datetime.now(UTC) - timedelta(minutes=10))  # a screenshot, too old
    with pytest.raises(CardNotAccepted):
        services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr=stale)
    Credential.objects.filter(pk=world.ecard.credential.pk).update(status=CredentialStatus.REVOKED)
    with pytest.raises(CardNotAccepted):
        services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr=world.ecard.rotating_qr())
    with pytest.raises(CardNotAccepted):
        services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr="")
    assert Transfer.objects.get(pk=transfer.pk).state == State.ISSUED


def test_the_signed_letter_verifies_and_a_tampered_one_does_not(world: World) -> None:
    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))
    root = root_certificate()
    assert root is not None
    at = datetime.now(UTC)
    pdf, signature = bytes(transfer.letter_pdf), bytes(transfer.letter_signature)
    check = letter_verify(pdf, signature, root=root, at=at)
    assert check.ok and check.number == "1-GGT/HN"
    tampered = pdf.replace(b"Chuy", b"Chuz", 1) if b"Chuy" in pdf else pdf[:-10] + b"0" * 10
    assert tampered != pdf
    assert letter_verify(tampered, signature, root=root, at=at).reason == "digest_mismatch"
    spoiled = signature[:-5] + bytes(5)
    assert not letter_verify(pdf, spoiled, root=root, at=at).ok
    assert letter_verify(pdf, b"not cms", root=root, at=at).reason == "malformed"


def test_temporary_transfer_keeps_the_official_cell_and_records_the_temporary_one(world: World) -> None:
    until = timezone.localdate() + dt.timedelta(days=200)
    transfer = services.transfer_issue(
        actor=world.hn_province, transfer=_draft(world, kind=Kind.TEMPORARY, until=until)
    )
    services.transfer_receive(actor=world.hue_cell, transfer=transfer, qr=world.ecard.rotating_qr())
    services.transfer_complete(actor=world.hue_cell, transfer=transfer)
    member = Member.objects.get(pk=world.member.pk)
    assert member.organisation == world.tree.cell_a and not member.transfer_in_progress
    assert temporary_cell(member, timezone.localdate()) == world.tree.hue_cell
    assert temporary_cell(member, until + dt.timedelta(days=1)) is None


def test_an_internal_transfer_stays_within_the_grassroots_organisation(world: World, tree: Any) -> None:
    with pytest.raises(DomainError, match=r"same grassroots|cùng"):
        _draft(world, kind=Kind.INTERNAL)  # Huế is another grassroots organisation
    with pytest.raises(DomainError):
        _draft(world, kind=Kind.OFFICIAL, to=tree.cell_b)  # same grassroots: that is an internal transfer
    transfer = _draft(world, kind=Kind.INTERNAL, to=tree.cell_b)
    assert transfer.committee == tree.school
    transfer = services.transfer_issue(actor=world.hn_grassroots, transfer=transfer)
    assert transfer.number == "1-GGT/HN-BD-01"
    services.transfer_receive(actor=world.hn_grassroots, transfer=transfer, qr=world.ecard.rotating_qr())
    services.transfer_complete(actor=world.hn_grassroots, transfer=transfer)
    assert Member.objects.get(pk=world.member.pk).organisation == tree.cell_b


def test_one_open_transfer_per_member_and_a_reason_to_cancel(world: World) -> None:
    transfer = _draft(world)
    with pytest.raises(MemberNotTransferable):
        _draft(world)
    with pytest.raises(StepRefused) as refused:
        services.transfer_cancel(actor=world.hn_cell, transfer=transfer, reason="  ")
    assert refused.value.problems == [Problem.REASON_REQUIRED]
    services.transfer_cancel(actor=world.hn_cell, transfer=transfer, reason="Đổi ý")
    assert _draft(world).state == State.DRAFTED  # a new one may start


def test_refusal_by_the_receiving_side_ends_the_letter(world: World) -> None:
    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))
    services.transfer_refuse(actor=world.hue_cell, transfer=transfer, reason="Không đúng nơi cư trú")
    transfer.refresh_from_db()
    assert transfer.state == State.REFUSED and transfer.closing_reason == "Không đúng nơi cư trú"
    assert not Member.objects.get(pk=world.member.pk).transfer_in_progress


def test_deadlines_refuse_late_steps_and_the_job_expires_them(world: World) -> None:
    # DOMAIN.md: start within 60 working days of the decision.
    with pytest.raises(DomainError, match="60"):
        _draft(world, decided_on=timezone.localdate() - dt.timedelta(days=120))
    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))
    # ... present the letter within 30 (working) days: a day after the deadline it is refused, then expired.
    late = datetime.combine(
        transfer.present_deadline + dt.timedelta(days=1), dt.time(9), tzinfo=timezone.get_current_timezone()
    )
    with pytest.raises(StepRefused) as refused:
        services.transfer_receive(
            actor=world.hue_cell, transfer=transfer, qr=world.ecard.rotating_qr(), at=late
        )
    assert Problem.DEADLINE_PASSED in refused.value.problems
    on_time = datetime.combine(transfer.present_deadline, dt.time(9), tzinfo=timezone.get_current_timezone())
    assert services.transfers_expire(at=on_time) == 0
    assert services.transfers_expire(at=late) == 1
    transfer.refresh_from_db()
    assert transfer.state == State.EXPIRED
    assert not Member.objects.get(pk=world.member.pk).transfer_in_progress
    assert TransferEvent.objects.filter(transfer=transfer, step="expire", actor=None).exists()


def test_an_sd_jwt_presentation_disclosing_the_card_number_is_accepted(world: World) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    from partycard.core import clock
    from partycard.ecard.sdjwt import sdjwt_present

    transfer = services.transfer_issue(actor=world.hn_province, transfer=_draft(world))

    def present(disclose: list[str], nonce: str = "n-1") -> str:
        return sdjwt_present(
            world.ecard.credential.sd_jwt, disclose=disclose, audience="https://chi-bo.example/",
            nonce=nonce, issued_at=clock.now(),
            sign=lambda data: world.ecard.key.sign(data, ec.ECDSA(hashes.SHA256())),
        )  # fmt: skip

    def receive(text: str) -> Transfer:
        return services.transfer_receive(
            actor=world.hue_cell,
            transfer=transfer,
            sd_jwt=text,
            audience="https://chi-bo.example/",
            nonce="n-1",
        )

    with pytest.raises(CardNotAccepted):  # the card number withheld: nothing says it is this member's card
        receive(present(["membership"]))
    with pytest.raises(CardNotAccepted):  # bound to another page's challenge
        receive(present(["card_number"], nonce="n-2"))
    assert receive(present(["card_number"])).card_number == world.card.number
