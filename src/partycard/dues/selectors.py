"""Reads of party dues: a cell's month (its members, each with their payment and the amount to propose),
one payment, a member's own payments, and the statistics of an organisation's children for a month. Each
starts from ``objects.scoped(actor, action)``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.dues.choices import PAID_STATUSES, PaymentStatus
from partycard.dues.liability import owes_dues_of, suspended_owe
from partycard.dues.models import MonthClose, Payment
from partycard.dues.months import month_shift
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Member, Organisation

__all__ = [
    "CellMonth",
    "MonthRow",
    "OrgDues",
    "cell_get",
    "cell_month",
    "dues_summary",
    "month_closed",
    "own_payments",
    "payment_get",
]


def cell_get(actor: Any, code: str, action: str = Action.VIEW_PAYMENT) -> Organisation:
    """The cell with ``code`` if the actor may see its dues (a member-holding organisation); else a 404."""
    cell = get_scoped_or_404(Organisation, actor, action, code=code)
    if not cell.holds_members:
        from django.http import Http404

        raise Http404
    return cell


def payment_get(actor: Any, payment_id: int, action: str = Action.VIEW_PAYMENT) -> Payment:
    """One payment the actor may see (or act on with ``action``); else the 404 of a missing one."""
    return get_scoped_or_404(Payment, actor, action, pk=payment_id)


@dataclass(frozen=True)
class MonthRow:
    """One member of the cell's month: their payment (or None), the amount to propose (this month's, else
    the last month's), and whether they owe dues this month (``liability.owes_dues``)."""

    member: Member
    payment: Payment | None
    proposed: int | None
    owes: bool

    @property
    def paid(self) -> bool:
        return self.payment is not None and self.payment.status in PAID_STATUSES

    @property
    def awaiting(self) -> bool:
        return self.payment is not None and self.payment.status == PaymentStatus.DECLARED


@dataclass(frozen=True)
class CellMonth:
    cell: Organisation
    month: dt.date
    rows: list[MonthRow]

    @property
    def collected(self) -> int:
        return sum(r.payment.amount for r in self.rows if r.paid and r.payment is not None)

    @property
    def paid(self) -> int:
        return sum(1 for r in self.rows if r.paid)

    @property
    def in_arrears(self) -> int:
        return sum(1 for r in self.rows if r.owes and not r.paid)

    @property
    def awaiting(self) -> int:
        return sum(1 for r in self.rows if r.awaiting)


def cell_month(actor: Any, cell: Organisation, month: dt.date) -> CellMonth:
    """The cell's members for ``month`` (its present probationary and official members, and anyone else the
    cell holds a payment of that month), in name order, each with their payment and proposed amount.
    Three queries, whatever the size of the cell."""
    payments = {
        p.member_id: p
        for p in Payment.objects.scoped(actor, Action.VIEW_PAYMENT)
        .filter(cell=cell, month=month)
        .select_related("cell", "recorded_by", "declared_by", "confirmed_by", "refused_by")
    }
    members = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(Q(organisation=cell, status__in=ACTIVE_STATUSES) | Q(pk__in=list(payments)))
        .order_by("name_search", "pk")
    )
    previous = dict(
        Payment.objects.scoped(actor, Action.VIEW_PAYMENT)
        .filter(cell=cell, month=month_shift(month, -1), status__in=PAID_STATUSES)
        .values_list("member_id", "amount")
    )
    suspended = suspended_owe()
    rows = []
    for m in members:
        p = payments.get(m.pk)
        proposed = p.amount if p is not None else previous.get(m.pk)
        owes = m.organisation_id == cell.pk and owes_dues_of(m, month, suspended=suspended)
        rows.append(MonthRow(member=m, payment=p, proposed=proposed, owes=owes))
    return CellMonth(cell=cell, month=month, rows=rows)


def own_payments(actor: Any, *, limit: int = 24) -> QuerySet[Payment]:
    """The actor's own payments (a member's), newest month first."""
    return (
        Payment.objects.scoped(actor, Action.VIEW_PAYMENT)
        .filter(member_id=getattr(actor, "member_id", None) or 0)
        .select_related("cell")
        .order_by("-month")[:limit]
    )


def month_closed(month: dt.date) -> MonthClose | None:
    """The record of ``month`` closed over the whole tree, if it was."""
    return MonthClose.objects.filter(month=month, path="").first()


@dataclass(frozen=True)
class OrgDues:
    """An organisation's dues for a month, its whole subtree counted: the members who owe (present
    probationary and official members), how many paid and how many are in arrears, how many declarations
    await their cell, and the đồng collected (by the cells under it)."""

    organisation: Organisation
    owing: int = 0
    paid: int = 0
    awaiting: int = 0
    collected: int = 0

    @property
    def in_arrears(self) -> int:
        return max(0, self.owing - self.paid)


def dues_summary(actor: Any, root: Organisation, month: dt.date) -> tuple[OrgDues, list[OrgDues]]:
    """``root``'s dues for ``month`` and each of its children's, in the actor's scope (``VIEW_PAYMENT``).

    Three grouped queries whatever the size of the subtree: members by cell, paid payments by the member's
    cell, and payments by the collecting cell; each cell's numbers are added to the child it lies under.
    "Owing" counts the present probationary and official members (the members who owe that month by
    ``liability.owes_dues`` need every record; the month's page of a cell shows them exactly).
    """
    children: Sequence[Organisation] = list(
        Organisation.objects.scoped(actor, Action.VIEW_PAYMENT).filter(parent=root).order_by("code")
    )
    members = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(organisation__path__startswith=root.path, status__in=ACTIVE_STATUSES)
        .values_list("organisation__path")
        .annotate(n=Count("pk"))
    )
    payments = Payment.objects.scoped(actor, Action.VIEW_PAYMENT).filter(month=month)
    paid = (
        payments.filter(
            member__organisation__path__startswith=root.path,
            member__status__in=ACTIVE_STATUSES,
            status__in=PAID_STATUSES,
        )
        .values_list("member__organisation__path")
        .annotate(n=Count("pk"))
    )
    by_cell = (
        payments.filter(path__startswith=root.path)
        .values_list("path")
        .annotate(
            collected=Sum("amount", filter=Q(status__in=PAID_STATUSES)),
            awaiting=Count("pk", filter=Q(status=PaymentStatus.DECLARED)),
        )
    )
    totals = {o.path: {"owing": 0, "paid": 0, "awaiting": 0, "collected": 0} for o in children}
    whole = {"owing": 0, "paid": 0, "awaiting": 0, "collected": 0}

    def add(path: str, what: str, n: int) -> None:
        # The child a cell lies under: the root's path and one more code ("TW.HN." + "HN-BD.").
        whole[what] += n
        head, sep, _rest = path[len(root.path) :].partition(".")
        counts = totals.get(f"{root.path}{head}{sep}")
        if counts is not None:
            counts[what] += n

    for path, n in members:
        add(path, "owing", n)
    for path, n in paid:
        add(path, "paid", n)
    for path, collected, awaiting in by_cell:
        add(path, "collected", int(collected or 0))
        add(path, "awaiting", int(awaiting or 0))
    return OrgDues(root, **whole), [OrgDues(o, **totals[o.path]) for o in children]
