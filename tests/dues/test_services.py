"""The dues services: the cell records, a member declares, the cell confirms or refuses; each audited, each
in scope (the payment, its cell and its member)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from partycard.audit.models import AuditEvent
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope
from partycard.dues import services
from partycard.dues.choices import PaymentStatus
from partycard.dues.errors import AlreadyPaid, MonthNotStarted, NotAwaitingConfirmation, NotInTheCell
from partycard.dues.models import Payment
from partycard.dues.months import month_shift
from tests.dues.conftest import months_ago

pytestmark = pytest.mark.django_db


def test_the_cell_records_a_month_and_a_second_identical_record_changes_nothing(
    officers: Any, members: list[Any], tree: Any
) -> None:
    month = months_ago(0)
    a, b, _ = members
    written = services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=month, amounts={a.pk: 50_000, b.pk: 30_000}
    )
    assert {(p.member_id, p.amount, p.status) for p in written} == {
        (a.pk, 50_000, PaymentStatus.RECORDED), (b.pk, 30_000, PaymentStatus.RECORDED),
    }  # fmt: skip
    p = Payment.objects.get(member=a, month=month)
    assert p.recorded_by == officers.cell and p.recorded_at is not None and p.path == tree.cell_a.path
    assert AuditEvent.objects.filter(action="dues.record", object_id=str(p.pk)).count() == 1
    again = services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=month, amounts={a.pk: 50_000}
    )
    assert again == [] and AuditEvent.objects.filter(action="dues.record").count() == 2  # one a payment
    corrected = services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=month, amounts={a.pk: 55_000}
    )
    assert [c.amount for c in corrected] == [55_000]
    assert Payment.objects.filter(member=a).count() == 1


def test_the_cell_records_only_its_own_members_in_its_scope_for_a_month_begun(
    officers: Any, members: list[Any], tree: Any
) -> None:
    a, _, c = members
    with pytest.raises(NotInTheCell):  # c belongs to cell_b
        services.payments_record(
            actor=officers.grassroots, cell=tree.cell_a, month=months_ago(1), amounts={c.pk: 1}
        )
    with pytest.raises(OutOfScope):  # the secretary of cell_b may not record for cell_a
        services.payments_record(
            actor=officers.other_cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 1}
        )
    with pytest.raises(OutOfScope):  # nor the secretary of cell_a for cell_b's member, through its own cell
        services.payments_record(
            actor=officers.cell, cell=tree.cell_b, month=months_ago(1), amounts={c.pk: 1}
        )
    with pytest.raises(OutOfScope):  # a member id that does not exist
        services.payments_record(
            actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={10**9: 1}
        )
    with pytest.raises(MonthNotStarted):
        services.payments_record(
            actor=officers.cell, cell=tree.cell_a, month=month_shift(months_ago(0), 1), amounts={a.pk: 1}
        )
    with pytest.raises(ValidationError):
        services.payments_record(
            actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 0}
        )
    assert not Payment.objects.exists()


def test_one_payment_per_member_and_month(officers: Any, members: list[Any], tree: Any) -> None:
    a = members[0]
    services.payments_record(actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 1000})
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(
            member=a,
            cell=tree.cell_a,
            path=tree.cell_a.path,
            month=months_ago(1),
            amount=1000,
            status="recorded",
        )


def test_a_member_declares_the_cell_confirms_or_refuses_with_a_reason(
    officers: Any, members: list[Any], member_user: Any
) -> None:
    a, b, _ = members
    declared = services.payment_declare(actor=member_user, member=a, month=months_ago(1), amount=40_000)
    assert declared.status == PaymentStatus.DECLARED and declared.declared_by == member_user
    with pytest.raises(OutOfScope):  # a member declares only their own dues
        services.payment_declare(actor=member_user, member=b, month=months_ago(1), amount=40_000)
    with pytest.raises(OutOfScope):  # the sibling cell's secretary does not confirm it
        services.payment_confirm(actor=officers.other_cell, payment=declared)
    with pytest.raises(OutOfScope):  # nor does the member themselves
        services.payment_confirm(actor=member_user, payment=declared)
    refused = services.payment_refuse(actor=officers.cell, payment=declared, reason="Chưa nhận được tiền")
    assert (refused.status, refused.refusal_reason, refused.refused_by) == (
        PaymentStatus.REFUSED, "Chưa nhận được tiền", officers.cell,
    )  # fmt: skip
    with pytest.raises(NotAwaitingConfirmation):
        services.payment_confirm(actor=officers.cell, payment=refused)
    again = services.payment_declare(actor=member_user, member=a, month=months_ago(1), amount=45_000)
    assert again.pk == declared.pk and again.status == PaymentStatus.DECLARED and again.refusal_reason == ""
    confirmed = services.payment_confirm(actor=officers.cell, payment=again)
    assert confirmed.status == PaymentStatus.CONFIRMED and confirmed.confirmed_by == officers.cell
    with pytest.raises(AlreadyPaid):
        services.payment_declare(actor=member_user, member=a, month=months_ago(1), amount=45_000)
    actions = list(AuditEvent.objects.filter(object_id=str(declared.pk), object_type="dues.payment")
                   .order_by("seq").values_list("action", flat=True))  # fmt: skip
    assert actions == ["dues.declare", "dues.refuse", "dues.declare", "dues.confirm"]


def test_a_refusal_says_why(officers: Any, members: list[Any], member_user: Any) -> None:
    declared = services.payment_declare(actor=member_user, member=members[0], month=months_ago(1), amount=1)
    with pytest.raises((ValidationError, DomainError)):
        services.payment_refuse(actor=officers.cell, payment=declared, reason="   ")
    assert Payment.objects.get(pk=declared.pk).status == PaymentStatus.DECLARED


def test_the_cell_recording_a_declared_month_takes_it_over(
    officers: Any, members: list[Any], member_user: Any, tree: Any
) -> None:
    a = members[0]
    services.payment_declare(actor=member_user, member=a, month=months_ago(1), amount=40_000)
    (p,) = services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 40_000}
    )
    assert p.status == PaymentStatus.RECORDED and Payment.objects.filter(member=a).count() == 1
