"""Reads of transfers: the list and one transfer (both sides see it), its steps, which side the actor stands
on and what they may do next, a member's transfers and temporary cell. Each starts from
``objects.scoped(actor, action)``."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import get_scoped_or_404, role_of, scope_path
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR
from partycard.transfers.choices import Kind
from partycard.transfers.models import Transfer, TransferEvent
from partycard.transfers.workflow import STEPS, Side, State, Step, check

__all__ = [
    "actor_sides",
    "ancestors",
    "grassroots_of",
    "member_transfers",
    "overdue",
    "temporary_cell",
    "transfer_events",
    "transfer_get",
    "transfer_list",
    "transfer_steps",
]


def transfer_list(
    actor: Any, *, state: str = "", kind: str = "", side: str = "", q: str = ""
) -> QuerySet[Transfer]:
    """The transfers the actor may see (either side in their scope), newest first, narrowed by state, kind,
    side ("sending": out of the actor's subtree, "receiving": into it) and a name or letter number."""
    found = Transfer.objects.scoped(actor, Action.VIEW_TRANSFER).select_related(
        "member", "from_cell", "to_cell", "committee"
    )
    if state in {s.value for s in State}:
        found = found.filter(state=state)
    if kind in Kind.values:
        found = found.filter(kind=kind)
    prefix = scope_path(actor)
    if prefix and side == Side.SENDING:
        found = found.filter(path__startswith=prefix)
    elif prefix and side == Side.RECEIVING:
        found = found.filter(to_path__startswith=prefix)
    if q.strip():
        found = found.filter(Q(member__full_name__icontains=q.strip()) | Q(number__iexact=q.strip()))
    return found


def transfer_get(actor: Any, transfer_id: int, action: str = Action.VIEW_TRANSFER) -> Transfer:
    """The transfer, if the actor may see it; else the 404 of a missing one."""
    return get_scoped_or_404(Transfer, actor, action, pk=transfer_id)


def transfer_events(actor: Any, transfer: Transfer) -> QuerySet[TransferEvent]:
    return (
        TransferEvent.objects.scoped(actor, Action.VIEW_TRANSFER)
        .filter(transfer=transfer)
        .order_by("at", "id")
    )


def member_transfers(actor: Any, member: Member) -> QuerySet[Transfer]:
    return transfer_list(actor).filter(member=member)


def actor_sides(actor: Any, transfer: Transfer, *, issuing: bool = False) -> frozenset[Side]:
    """The sides ``actor`` stands on: sending when their subtree holds the sending cell (with ``issuing``:
    the sending committee, which alone issues the letter), receiving when it holds the receiving cell;
    the system (``actor=None``) stands on every side. A member stands on none."""
    if actor is None:
        return frozenset(Side)
    prefix = scope_path(actor)
    if prefix is None:
        return frozenset()
    sending_path = transfer.committee.path if issuing else transfer.path
    sides = set()
    if sending_path.startswith(prefix):
        sides.add(Side.SENDING)
    if transfer.to_path.startswith(prefix):
        sides.add(Side.RECEIVING)
    return frozenset(sides)


def overdue(transfer: Transfer, today: dt.date) -> frozenset[str]:
    """The deadlines of ``transfer`` already passed on ``today`` (a check at read time; the expiry job
    then records it): "start" while drafted, "present" while issued."""
    passed = set()
    if transfer.state == State.DRAFTED and today > transfer.start_deadline:
        passed.add("start")
    if transfer.state == State.ISSUED and transfer.present_deadline and today > transfer.present_deadline:
        passed.add("present")
    return frozenset(passed)


def transfer_steps(actor: Any, transfer: Transfer, today: dt.date) -> list[Step]:
    """The steps the actor may take on ``transfer`` now (the pages' buttons; the services decide)."""
    if actor is None or not allowed(role_of(actor) or "", Action.CHANGE_TRANSFER):
        return []
    steps: list[Step] = []
    for step in STEPS:
        if step == Step.EXPIRE:
            continue
        sides = actor_sides(actor, transfer, issuing=step == Step.ISSUE)
        problems = check(
            transfer.state, step, sides=sides, reason="-", under_inspection=False,
            overdue=overdue(transfer, today),
        )  # fmt: skip
        if not problems:
            steps.append(step)
    return steps


def ancestors(org: Organisation) -> list[Organisation]:
    """``org`` and the organisations above it, top first (from its materialised path)."""
    parts = org.path.split(PATH_SEPARATOR)[:-1]
    prefixes = [PATH_SEPARATOR.join(parts[: n + 1]) + PATH_SEPARATOR for n in range(len(parts))]
    return sorted(Organisation.objects.filter(path__in=prefixes), key=lambda o: len(o.path))


def grassroots_of(cell: Organisation) -> Organisation:
    """The grassroots organisation a cell belongs to (a grassroots cell is its own)."""
    for org in reversed(ancestors(cell)):
        if org.level in (OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.GRASSROOTS_CELL):
            return org
    return cell


def temporary_cell(member: Member, today: dt.date) -> Organisation | None:
    """Where the member is in temporary activity: the receiving cell of their latest completed temporary
    transfer that has not ended (no end date, or one not yet past); their official cell stays the record's
    (docs/procedures.md)."""
    found = (
        Transfer.objects.filter(member=member, kind=Kind.TEMPORARY, state=State.COMPLETED)
        .filter(Q(until__isnull=True) | Q(until__gte=today))
        .select_related("to_cell")
        .order_by("-updated_at")
        .first()
    )
    return found.to_cell if found else None
