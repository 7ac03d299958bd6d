"""Writes of party dues: the cell records its members' payments for a month, a member declares their own,
the cell confirms or refuses a declaration, and a month is closed (its arrears written into the records).

Every write is keyword-only, takes ``actor``, checks the scope of the payment **and** of every record it
points to (``core.scope.scope_require``: the cell and the member; another province's is the same 404 as a
missing one), calls ``full_clean()`` and records its audit rows in the same transaction. ``actor=None`` is
the system (the operator's command line, the month-closing job), acting on the whole tree.

Charter Art. 8(2): a member who "does not pay dues for three months within a year" without good reason is
considered for removal. The months unpaid live in ``Member.dues_unpaid_months`` (read by the exchange's
eligibility rule); this app writes them only through ``registry.services.member_update``, whose hooks
re-evaluate the member's eligibility: a month closed unpaid is added, a payment for it recorded or
confirmed later takes it out again.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record, audit_record_many
from partycard.core import clock
from partycard.core.scope import OutOfScope, scope_require
from partycard.dues.choices import PAID_STATUSES, PaymentStatus
from partycard.dues.errors import (
    AlreadyPaid,
    MonthNotEnded,
    MonthNotStarted,
    NotACell,
    NotAwaitingConfirmation,
    NotInTheCell,
)
from partycard.dues.liability import owes_dues_of, suspended_owe
from partycard.dues.models import MonthClose, Payment
from partycard.dues.months import month_end, month_key, month_start
from partycard.registry.models import Member, Organisation
from partycard.registry.services import member_update

__all__ = [
    "CloseOutcome",
    "arrears_apply",
    "month_close_record",
    "payment_confirm",
    "payment_declare",
    "payment_refuse",
    "payments_record",
]


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _started(month: dt.date, at: dt.datetime) -> dt.date:
    """``month`` as its first day, refused if it has not begun at ``at``."""
    month = month_start(month)
    if month > month_start(timezone.localdate(at)):
        raise MonthNotStarted()
    return month


def _snap(p: Payment) -> dict[str, Any]:
    return {"member": p.member_id, "cell": p.cell_id, "month": month_key(p.month), "amount": p.amount,
            "status": p.status, "reason": p.refusal_reason or None}  # fmt: skip


def _unpaid_set(actor: Any, member: Member, month: dt.date, unpaid: bool, reason: str) -> None:
    """Put ``month`` into (``unpaid``) or take it out of the member's months of dues unpaid, through the
    registry's service (history, audit, the eligibility hooks); nothing when it is already so."""
    key = month_key(month)
    months = list(member.dues_unpaid_months or [])
    if (key in months) == unpaid:
        return
    months = sorted({*months, key}) if unpaid else [m for m in months if m != key]
    member_update(actor=actor, member=member, changes={"dues_unpaid_months": months}, reason=reason)


def _paid_again(actor: Any, payments: list[Payment]) -> None:
    """A month now paid is no longer unpaid (Charter Art. 8(2) counts months *not* paid): a late payment
    recorded or confirmed after the month was closed takes it out of the member's record again."""
    for p in payments:
        member = Member.objects.get(pk=p.member_id)
        _unpaid_set(
            actor, member, p.month, False, _("Dues for %(month)s paid") % {"month": f"{p.month:%m/%Y}"}
        )


@transaction.atomic
def payments_record(
    *, actor: Any, cell: Organisation, month: dt.date, amounts: Mapping[int, int], note: str = ""
) -> list[Payment]:
    """The cell records what it collected for ``month``: ``amounts`` maps a member's id to the đồng paid.

    A member with no payment yet gets one (recorded by the cell); one already recorded with another amount
    is corrected; a member's declaration is replaced by the cell's record (the cell collected it); a
    payment already recorded with the same amount is left as it is. Returns the payments written.

    Raises:
        OutOfScope: the cell or a member is outside the actor's scope for recording dues.
        NotACell: ``cell`` holds no members.
        NotInTheCell: a member is not (now) a member of ``cell``.
        MonthNotStarted: ``month`` is after the current month.
        ValidationError: an amount is not a whole number of đồng within reason.
    """
    scope_require(actor, Action.CHANGE_PAYMENT, cell, field="cell")
    if not cell.holds_members:
        raise NotACell()
    at = clock.now()
    month = _started(month, at)
    members = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=list(amounts))}
    if len(members) != len(set(amounts)):
        raise OutOfScope("member")
    scope_require(actor, Action.CHANGE_PAYMENT, *members.values(), field="member")
    if any(m.organisation_id != cell.pk for m in members.values()):
        raise NotInTheCell()
    existing = {
        p.member_id: p
        for p in Payment.objects.select_for_update().filter(member_id__in=list(members), month=month)
    }
    written: list[Payment] = []
    audits = []
    for member_id, amount in sorted(amounts.items()):
        payment = existing.get(member_id)
        before = _snap(payment) if payment else {}
        if payment is not None and payment.status in PAID_STATUSES and payment.amount == amount:
            continue
        if payment is None:
            payment = Payment(member_id=member_id, cell=cell, path=cell.path, month=month)
        elif payment.cell_id != cell.pk:
            # The payment is the books of the cell that collected it; another cell does not rewrite it.
            raise NotInTheCell()
        payment.amount = amount
        payment.status = PaymentStatus.RECORDED
        payment.refusal_reason = ""
        payment.note = note[:200]
        payment.recorded_by, payment.recorded_at = _who(actor), at
        payment.full_clean()
        payment.save()
        after = _snap(payment)
        audits.append(
            (
                "dues.payment",
                str(payment.pk),
                {k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
            )
        )
        written.append(payment)
    if audits:
        audit_record_many(actor=actor, action="dues.record", items=audits)
    _paid_again(actor, written)
    return written


@transaction.atomic
def payment_declare(*, actor: Any, member: Member, month: dt.date, amount: int, note: str = "") -> Payment:
    """A member declares their own payment for ``month``: it waits for the cell's confirmation (and counts
    as paid only then). A refused or pending declaration is replaced by the new one.

    Raises:
        OutOfScope: ``member`` is not the actor's own record (or the actor may not declare).
        MonthNotStarted: ``month`` is after the current month.
        AlreadyPaid: the cell already holds the month as paid.
        ValidationError: the amount is not a whole number of đồng within reason.
    """
    scope_require(actor, Action.CLAIM_PAYMENT, member, field="member")
    at = clock.now()
    month = _started(month, at)
    member = Member.objects.select_related("organisation").get(pk=member.pk)
    payment = Payment.objects.select_for_update().filter(member=member, month=month).first()
    if payment is not None and payment.status in PAID_STATUSES:
        raise AlreadyPaid()
    before = _snap(payment) if payment else {}
    if payment is None:
        payment = Payment(member=member, cell=member.organisation, path=member.organisation.path, month=month)
    payment.amount = amount
    payment.status = PaymentStatus.DECLARED
    payment.note = note.strip()[:200]
    payment.refusal_reason = ""
    payment.refused_by, payment.refused_at = None, None
    payment.declared_by, payment.declared_at = _who(actor), at
    payment.full_clean()
    payment.save()
    after = _snap(payment)
    audit_record(
        actor=actor, action="dues.declare", obj=payment,
        changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v},
    )  # fmt: skip
    return payment


def _decided(actor: Any, payment: Payment) -> Payment:
    """The declaration re-read under a lock, its cell and member in the actor's scope, still awaiting."""
    scope_require(actor, Action.CHANGE_PAYMENT, payment)
    payment = Payment.objects.select_for_update().select_related("cell", "member").get(pk=payment.pk)
    scope_require(actor, Action.CHANGE_PAYMENT, payment, payment.cell, field="cell")
    scope_require(actor, Action.CHANGE_PAYMENT, payment.member, field="member")
    if payment.status != PaymentStatus.DECLARED:
        raise NotAwaitingConfirmation()
    return payment


@transaction.atomic
def payment_confirm(*, actor: Any, payment: Payment) -> Payment:
    """The cell confirms a member's declared payment: it counts as paid from now on (and a month already
    closed unpaid is taken out of the member's arrears).

    Raises:
        OutOfScope: the payment, its cell or its member is outside the actor's scope.
        NotAwaitingConfirmation: it is not a declaration awaiting the cell.
    """
    payment = _decided(actor, payment)
    payment.status = PaymentStatus.CONFIRMED
    payment.confirmed_by, payment.confirmed_at = _who(actor), clock.now()
    payment.full_clean()
    payment.save()
    audit_record(
        actor=actor, action="dues.confirm", obj=payment, changes={"status": ["declared", "confirmed"]}
    )
    _paid_again(actor, [payment])
    return payment


@transaction.atomic
def payment_refuse(*, actor: Any, payment: Payment, reason: str) -> Payment:
    """The cell refuses a member's declared payment, saying why; the month stays unpaid.

    Raises:
        OutOfScope: the payment, its cell or its member is outside the actor's scope.
        NotAwaitingConfirmation: it is not a declaration awaiting the cell.
        ValidationError: no reason given.
    """
    payment = _decided(actor, payment)
    payment.status = PaymentStatus.REFUSED
    payment.refusal_reason = reason.strip()[:300]
    payment.refused_by, payment.refused_at = _who(actor), clock.now()
    payment.full_clean()
    payment.save()
    audit_record(
        actor=actor, action="dues.refuse", obj=payment,
        changes={"status": ["declared", "refused"], "reason": [None, payment.refusal_reason]},
    )  # fmt: skip
    return payment


# ---- closing a month ---------------------------------------------------------------------------------


@dataclass
class CloseOutcome:
    """What closing a slice of members did: ids put in arrears, ids taken out, ids left alone (their cell
    keeps no dues here yet), and refusals by id."""

    added: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    removed: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def arrears_apply(*, actor: Any, month: dt.date, path: str, low: int, high: int) -> CloseOutcome:
    """Close ``month`` for the members with ``low < id <= high`` in the subtree ``path`` ("" the whole
    tree): each who owed dues that month (``liability.owes_dues``) and has no payment the cell stands
    behind (``PAID_STATUSES``) gets the month in ``Member.dues_unpaid_months``; each who paid has it taken
    out. Idempotent: a month already so is left alone, so running a slice again changes nothing.

    With ``DUES_CLOSE_ONLY_KEEPING_CELLS`` (default True), a member whose cell recorded no payment at all
    for the month is left alone (``CloseOutcome.skipped``): no record here is not proof of no payment, so a
    cell that does not keep its dues here does not put all its members in arrears.

    Runs in the caller's transaction (a job's chunk); each member in a savepoint, so one record that its
    own rules refuse (``Member.clean``) is reported, not fatal.
    """
    if month_end(month) >= clock.today():
        raise MonthNotEnded()
    suspended = suspended_owe()
    members = Member.objects.filter(pk__gt=low, pk__lte=high, organisation__path__startswith=path).only(
        "pk", "status", "date_admitted", "activities_suspended", "dues_unpaid_months", "organisation_id"
    )
    candidates = [m for m in members.order_by("pk") if owes_dues_of(m, month, suspended=suspended)]
    paid = set(
        Payment.objects.filter(
            member_id__in=[m.pk for m in candidates], month=month, status__in=PAID_STATUSES
        ).values_list("member_id", flat=True)
    )
    key, label = month_key(month), f"{month:%m/%Y}"
    outcome = CloseOutcome()
    if settings.PARTYCARD.get("DUES_CLOSE_ONLY_KEEPING_CELLS", True):
        keeping = set(
            Payment.objects.filter(
                cell_id__in={m.organisation_id for m in candidates}, month=month, status__in=PAID_STATUSES
            ).values_list("cell_id", flat=True)
        )
        outcome.skipped = [m.pk for m in candidates if m.organisation_id not in keeping]
        candidates = [m for m in candidates if m.organisation_id in keeping]
    for member in candidates:
        unpaid = member.pk not in paid
        if (key in (member.dues_unpaid_months or [])) == unpaid:
            continue
        reason = (_("Dues for %(month)s not paid") if unpaid else _("Dues for %(month)s paid")) % {
            "month": label
        }
        try:
            with transaction.atomic():
                _unpaid_set(actor, Member.objects.get(pk=member.pk), month, unpaid, reason)
        except ValidationError as e:
            outcome.refused[member.pk] = "; ".join(e.messages)
            continue
        (outcome.added if unpaid else outcome.removed).append(member.pk)
    return outcome


@transaction.atomic
def month_close_record(*, actor: Any, month: dt.date, path: str, job_id: int | None) -> MonthClose:
    """Record that ``month`` was closed (once a month; closing again updates when and by whom)."""
    if month_end(month) >= clock.today():
        raise MonthNotEnded()
    if path:
        scope_require(actor, Action.CHANGE_PAYMENT, Organisation.objects.get(path=path), field="organisation")
    row, created = MonthClose.objects.update_or_create(
        month=month,
        path=path,
        defaults={"job_id": job_id, "closed_by": _who(actor), "closed_at": clock.now()},
    )
    audit_record(
        actor=actor, action="dues.close_month", obj=row,
        changes={"month": month_key(month), "path": path or None, "job": job_id, "again": not created},
    )  # fmt: skip
    return row
