"""Writes to the registry. Each is one transaction, validates first, keeps history and the member counters.

Nothing else saves an Organisation or a Member (STYLE.md rule 2). The audit log (access issue) hooks in
here, in the same transactions. Each write checks the actor's scope on the object it changes and on every
organisation it points to (``core.scope.scope_require``), so no door (page, admin, API, import, job) can
write outside it, whatever choices its form offered.

A write that creates or changes members ends with ``hooks.members_changed``, in its transaction: the apps
above the registry react there (the exchange re-evaluates the cases, credentials revoke e-cards; the list,
in order, is in ``registry/hooks.py``).
"""

from __future__ import annotations

import operator
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import reduce
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record, audit_record_many, diff, snapshot
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import OutOfScope, scope_path, scope_require
from partycard.core.text import fold
from partycard.registry.choices import ACTIVE_STATUSES, ALLOWED_CHILDREN, OrgLevel
from partycard.registry.hooks import member_counts_changed, members_changed, members_moved, organisation_moved
from partycard.registry.models import Ethnicity, Member, Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR
from partycard.registry.search_index import search_index_move, search_index_refresh

__all__ = [
    "check_dissolvable",
    "check_parent",
    "member_counts_adjust",
    "member_create",
    "member_transfer",
    "member_update",
    "members_update_many",
    "organisation_create",
    "organisation_move",
    "organisation_update",
    "organisations_recount",
    "subtree_totals_recount",
]


def _level_label(level: int) -> str:
    return str(OrgLevel(level).label)


def check_parent(*, level: int, parent: Organisation | None) -> None:
    """Refuse a parent whose level may not hold ``level`` (``choices.ALLOWED_CHILDREN``)."""
    if parent is None:
        if level != OrgLevel.CENTRE:
            raise DomainError(_("Only the Centre has no parent organisation."), field="parent")
        return
    if level not in ALLOWED_CHILDREN[parent.level]:
        raise DomainError(
            _("A %(child)s cannot be placed under a %(parent)s.")
            % {"child": _level_label(level), "parent": _level_label(parent.level)},
            field="parent",
        )


@transaction.atomic
def organisation_create(
    *, actor: Any, code: str, name: str, level: int, parent: Organisation | None
) -> Organisation:
    """Create an organisation under ``parent`` (in the actor's scope) if the tree allows that level there."""
    if parent is None and actor is not None and scope_path(actor) != "":
        raise OutOfScope("parent")  # only who holds the whole tree may add a root
    scope_require(actor, Action.ADD_ORGANISATION, parent, field="parent")
    check_parent(level=level, parent=parent)
    path = (parent.path if parent else "") + code + PATH_SEPARATOR
    org = Organisation(code=code, name=name, level=level, parent=parent, path=path, name_search=fold(name))
    org.full_clean()
    org._history_user = actor  # type: ignore[attr-defined]
    org.save()
    audit_record(actor=actor, action="create", obj=org, changes=diff({}, snapshot(org)))
    return org


ORGANISATION_EDITABLE = frozenset({"name", "dissolved_on"})


@transaction.atomic
def organisation_update(*, actor: Any, organisation: Organisation, changes: dict[str, Any]) -> Organisation:
    """Rename or dissolve an organisation. Code and level never change; the parent changes by a move."""
    refused = set(changes) - ORGANISATION_EDITABLE
    if refused:
        raise DomainError(
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(refused))},
            field=sorted(refused)[0],
        )
    scope_require(actor, Action.CHANGE_ORGANISATION, organisation)
    current = Organisation.objects.select_for_update().get(pk=organisation.pk)
    before = snapshot(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if current.dissolved_on is not None and before["dissolved_on"] is None:
        check_dissolvable(current)
    current.name_search = fold(current.name)
    current.full_clean()
    current._history_user = actor  # type: ignore[attr-defined]
    current.save()
    audit_record(actor=actor, action="change", obj=current, changes=diff(before, snapshot(current)))
    return (
        current  # no member changed: nothing to tell registry/hooks.py (a member's standing ignores its cell)
    )


def check_dissolvable(org: Organisation) -> None:
    """An organisation is dissolved only once it is empty: its members moved on and its child
    organisations dissolved or moved (otherwise they would hang under a body that no longer exists)."""
    if Member.objects.filter(organisation__path__startswith=org.path, status__in=ACTIVE_STATUSES).exists():
        raise DomainError(
            _("%(name)s still has members: transfer them before dissolving it.") % {"name": org.name},
            field="dissolved_on",
            code=ErrorCode.CONFLICT,
        )
    if Organisation.objects.filter(parent=org, dissolved_on__isnull=True).exists():
        raise DomainError(
            _("%(name)s still has organisations under it: dissolve or move them first.") % {"name": org.name},
            field="dissolved_on",
            code=ErrorCode.CONFLICT,
        )


@transaction.atomic
def organisation_move(*, actor: Any, organisation: Organisation, new_parent: Organisation) -> int:
    """Move ``organisation`` and its whole subtree under ``new_parent``; return how many paths changed.

    One UPDATE rewrites the path prefix of the subtree; every rewritten organisation gets a history row,
    so the tree as it was on any date can be read back (as when communes merged on 1/7/2025).
    """
    scope_require(actor, Action.CHANGE_ORGANISATION, organisation)
    scope_require(actor, Action.CHANGE_ORGANISATION, new_parent, field="parent")
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    new_parent = Organisation.objects.select_for_update().get(pk=new_parent.pk)
    check_parent(level=organisation.level, parent=new_parent)
    old_prefix = organisation.path
    if new_parent.path.startswith(old_prefix):
        raise DomainError(
            _("%(name)s cannot be moved into its own subtree.") % {"name": organisation.name},
            field="parent",
            code=ErrorCode.CONFLICT,
        )
    if new_parent.pk == organisation.parent_id:
        return 0
    old_parent_name = organisation.parent.name if organisation.parent else ""
    new_prefix = new_parent.path + organisation.code + PATH_SEPARATOR
    subtree = Organisation.objects.filter(path__startswith=old_prefix)
    changed = subtree.update(path=Concat(Value(new_prefix), Substr("path", len(old_prefix) + 1)))
    Organisation.objects.filter(pk=organisation.pk).update(parent=new_parent)
    search_index_move(path_prefix=new_prefix)  # the members' committee, if the move changed it
    # The commune-level committees the subtree left and joined count it no more, or now.
    subtree_totals_recount(_ancestor_paths(old_prefix)[:-1] + _ancestor_paths(new_prefix)[:-1])
    reason = _("moved from %(old)s to %(new)s") % {"old": old_parent_name, "new": new_parent.name}
    moved = list(Organisation.objects.filter(path__startswith=new_prefix))
    Organisation.history.bulk_history_create(
        moved, update=True, default_user=actor, default_change_reason=reason
    )
    # The counts of the subtree leave its old ancestors for the new (reports' counters).
    organisation_moved(organisation_id=organisation.pk, old_path=old_prefix, new_path=new_prefix)
    audit_record(
        actor=actor,
        action="move",
        obj=organisation,
        changes={
            "parent_id": [organisation.parent_id, new_parent.pk],
            "path": [old_prefix, new_prefix],
            "subtree_size": [changed, changed],
        },
    )
    return changed


def _adjust_counts(deltas: dict[int, int]) -> None:
    """Change the member counters by ``deltas`` (organisation id → change) and tell who counts by
    organisation (``hooks.member_counts_changed``), in the caller's transaction."""
    live = {org: n for org, n in deltas.items() if n}
    member_counts_adjust(live)
    member_counts_changed(deltas=live)


def member_counts_adjust(deltas: dict[int, int]) -> None:
    """Add ``deltas`` (organisation id → change in probationary and official members) to the counters:
    each organisation's own, and the subtree total of every commune-level committee above it."""
    deltas = {pk: d for pk, d in deltas.items() if d}
    if not deltas:
        return
    for delta, ids in _by_delta(deltas).items():
        Organisation.objects.filter(pk__in=ids).update(member_count=F("member_count") + delta)
    above: Counter[str] = Counter()
    for pk, path in Organisation.objects.filter(pk__in=deltas).values_list("pk", "path"):
        for prefix in _ancestor_paths(path):
            above[prefix] += deltas[pk]
    for delta, paths in _by_delta(above).items():
        Organisation.objects.filter(level=OrgLevel.COMMUNE, path__in=paths).update(
            subtree_members=F("subtree_members") + delta
        )


def _by_delta(deltas: Mapping[Any, int]) -> dict[int, list[Any]]:
    """The keys grouped by their change, in order: one UPDATE per distinct change, rows in a fixed order."""
    grouped: dict[int, list[Any]] = {}
    for key in sorted(deltas):
        if deltas[key]:
            grouped.setdefault(deltas[key], []).append(key)
    return grouped


def _ancestor_paths(path: str) -> list[str]:
    """The paths of ``path`` and of every organisation above it."""
    codes = path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)
    return [PATH_SEPARATOR.join(codes[: i + 1]) + PATH_SEPARATOR for i in range(len(codes))]


def subtree_totals_recount(paths: Iterable[str] | None = None) -> int:
    """Recompute the subtree totals of the commune-level committees (all, or those at ``paths``) from the
    organisations' own counters; return how many were wrong. One pass over the organisations in Python:
    the same on both databases, a second or so for the ~300,000 of the country."""
    wanted = None if paths is None else set(paths)
    communes = Organisation.objects.filter(level=OrgLevel.COMMUNE)
    if wanted is not None:
        communes = communes.filter(path__in=wanted)
    stored = dict(communes.values_list("path", "subtree_members"))
    if not stored:
        return 0
    totals = dict.fromkeys(stored, 0)
    below = Organisation.objects.filter(member_count__gt=0)
    if wanted is not None:
        below = below.filter(reduce(operator.or_, (Q(path__startswith=p) for p in stored)))
    for path, n in below.values_list("path", "member_count").iterator(chunk_size=20_000):
        for prefix in _ancestor_paths(path):
            if prefix in totals:
                totals[prefix] += n
    wrong: dict[int, list[str]] = {}
    for path, n in totals.items():
        if stored[path] != n:
            wrong.setdefault(n, []).append(path)
    for n, paths_of_n in wrong.items():
        Organisation.objects.filter(path__in=paths_of_n).update(subtree_members=n)
    return sum(len(p) for p in wrong.values())


def _validated(member: Member) -> None:
    member.name_search = fold(member.full_name)
    member.full_clean()  # the single-record rules and the unique constraints, each error on its field


@transaction.atomic
def member_create(*, actor: Any, data: dict[str, Any]) -> Member:
    """Create a member record in a cell of the actor's scope, after every single-record and uniqueness rule
    has passed."""
    member = Member(**data)
    if member.organisation_id is not None:
        scope_require(actor, Action.ADD_MEMBER, Organisation(pk=member.organisation_id), field="organisation")
    elif actor is not None:
        raise OutOfScope("organisation")
    _validated(member)
    member._history_user = actor  # type: ignore[attr-defined]
    member.save()
    search_index_refresh(member_ids=[member.pk])
    if member.status in ACTIVE_STATUSES:
        _adjust_counts({member.organisation_id: +1})
    audit_record(actor=actor, action="create", obj=member, changes=diff({}, snapshot(member)))
    members_changed(member_ids=[member.pk], actor=actor)  # what reacts: registry/hooks.py
    return member


def _history_start(current: Member) -> None:
    """Records loaded in bulk (the seed's COPY) have no history row: keep the state before the first
    change, so that the member's timeline can show what that change was."""
    if not Member.history.filter(id=current.pk).exists():
        Member.history.bulk_history_create(
            [current], default_date=current.created_at, default_change_reason=_("Loaded in bulk")
        )
        # simple_history would credit the request's user with it; nobody made this row by hand.
        Member.history.filter(id=current.pk).update(history_user=None)


@transaction.atomic
def member_update(*, actor: Any, member: Member, changes: dict[str, Any], reason: str = "") -> Member:
    """Apply ``changes`` to ``member``; history records who changed what, counters follow the cell.

    The member must be in the actor's scope, and so must a new cell it moves to.
    """
    scope_require(actor, Action.CHANGE_MEMBER, member)
    current = Member.objects.select_for_update().get(pk=member.pk)
    was_active, old_org = current.status in ACTIVE_STATUSES, current.organisation_id
    before = snapshot(current)
    _history_start(current)
    for name, value in changes.items():
        setattr(current, name, value)
    if current.organisation_id != old_org:
        new_org = Organisation(pk=current.organisation_id) if current.organisation_id else None
        scope_require(actor, Action.CHANGE_MEMBER, new_org, field="organisation")
    _validated(current)
    current._history_user = actor  # type: ignore[attr-defined]
    current._change_reason = reason  # type: ignore[attr-defined]
    current.save()
    search_index_refresh(member_ids=[current.pk])
    now_active = current.status in ACTIVE_STATUSES
    if old_org != current.organisation_id or was_active != now_active:
        deltas = {old_org: -int(was_active)}
        deltas[current.organisation_id] = deltas.get(current.organisation_id, 0) + int(now_active)
        _adjust_counts(deltas)
    audit_record(actor=actor, action="change", obj=current, changes=diff(before, snapshot(current)))
    members_moved(moves=[(current.pk, old_org, current.organisation_id)], actor=actor)
    members_changed(member_ids=[current.pk], actor=actor)  # what reacts: registry/hooks.py
    return current


UPDATE_MANY_BATCH = 1000  # members locked, checked and written together (one query per lookup per batch)
_HISTORY_REASON_MAX = 100  # simple_history's change-reason column


@transaction.atomic
def members_update_many(*, actor: Any, changes: Mapping[int, Mapping[str, Any]], reason: str) -> int:
    """Apply ``changes`` (member id → {field: value}) in one transaction, all or nothing: the offline
    review's and the party-database sync's accepted changes (issue 17). Each member is checked as
    :func:`member_update` checks one (scope of the member and of a new cell, every single-record rule, the
    unique numbers); history carries ``reason`` (e.g. "Rà soát ngoại tuyến bởi …"), the audit one row per
    member. A member id that no longer exists is skipped, as before.

    In batches of ``UPDATE_MANY_BATCH``, so that half a million members take minutes, not hours: each batch
    is locked (``select_for_update``) and read in one query, validated without a query per member (the
    foreign keys and unique numbers are checked for the batch at once), written with one ``bulk_update``,
    its history rows, audit rows and search entries in bulk, and the counters and the hooks
    (``members_moved``, ``members_changed``) told once per batch.

    Returns the number of members changed.

    Raises:
        OutOfScope: a member, or a cell one moves to, is outside the actor's scope (nothing is written).
        ValidationError: a member breaks a rule (the first such member's errors; nothing is written).
    """
    wanted = {int(pk): dict(c) for pk, c in changes.items() if c}
    ids = sorted(wanted)
    count = 0
    for start in range(0, len(ids), UPDATE_MANY_BATCH):
        count += _update_batch(actor, ids[start : start + UPDATE_MANY_BATCH], wanted, reason)
    return count


def _update_batch(actor: Any, ids: list[int], wanted: dict[int, dict[str, Any]], reason: str) -> int:
    """One batch of :func:`members_update_many` (in its transaction)."""
    if actor is not None:  # member_update's first check, for the batch: the members themselves
        inside = Member.objects.scoped(actor, Action.CHANGE_MEMBER).filter(pk__in=ids).count()
        if inside != Member.objects.filter(pk__in=ids).count():
            raise OutOfScope()
    members = list(
        Member.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if not members:
        return 0
    _history_start_many(members)
    befores = {m.pk: snapshot(m) for m in members}
    old = {m.pk: (m.organisation_id, m.status in ACTIVE_STATUSES) for m in members}
    fields: set[str] = set()
    for member in members:
        for name, value in wanted[member.pk].items():
            setattr(member, name, value)
            fields.add(Member._meta.get_field(name).name)
    new_orgs = {m.organisation_id for m in members if m.organisation_id != old[m.pk][0]}
    if new_orgs:
        if None in new_orgs:
            raise (
                OutOfScope("organisation")
                if actor is not None
                else DomainError(_("A member belongs to a party cell."), field="organisation")
            )
        scope_require(
            actor, Action.CHANGE_MEMBER, *(Organisation(pk=pk) for pk in new_orgs), field="organisation"
        )
        cells = Organisation.objects.in_bulk(list(new_orgs))
        for member in members:
            if member.organisation_id in new_orgs:
                if member.organisation_id not in cells:
                    raise ValidationError({"organisation": [_("No such record.")]})
                member.organisation = cells[member.organisation_id]
    _validated_many(members, fields)
    now = clock.now()
    for member in members:
        member.updated_at = now
        member._history_user = actor  # type: ignore[attr-defined]
        member._change_reason = reason[:_HISTORY_REASON_MAX]  # type: ignore[attr-defined]
    fields |= {"name_search", "updated_at"}
    _bulk_write(members, sorted(fields))
    Member.history.bulk_history_create(
        members,
        update=True,
        default_user=actor,
        default_change_reason=reason[:_HISTORY_REASON_MAX],
        default_date=now,
    )
    ids_written = [m.pk for m in members]
    # The search entries are made of these fields only (search_index.search_index_refresh): a change of
    # phone or occupation leaves them as they are.
    indexed = ("full_name", "organisation_id", "status", "gender", "date_of_birth")
    search_index_refresh(
        member_ids=[m.pk for m in members if any(befores[m.pk][k] != getattr(m, k) for k in indexed)]
    )
    deltas: Counter[int] = Counter()
    moves = []
    for member in members:
        old_org, was_active = old[member.pk]
        now_active = member.status in ACTIVE_STATUSES
        if old_org != member.organisation_id or was_active != now_active:
            deltas[old_org] -= int(was_active)
            deltas[member.organisation_id] += int(now_active)
        moves.append((member.pk, old_org, member.organisation_id))
    if any(deltas.values()):
        _adjust_counts(dict(deltas))
    audit_record_many(
        actor=actor,
        action="change",
        items=((Member._meta.label_lower, str(m.pk), _changed(befores[m.pk], snapshot(m))) for m in members),
    )
    members_moved(moves=moves, actor=actor)
    members_changed(member_ids=ids_written, actor=actor)  # what reacts: registry/hooks.py
    return len(members)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``audit.diff`` of the fields whose values differ (the same answer; the others are not converted)."""
    keys = [k for k in after if before.get(k) != after[k]]
    return diff({k: before.get(k) for k in keys}, {k: after[k] for k in keys})


def _bulk_write(members: list[Member], fields: list[str]) -> None:
    """``bulk_update`` of ``fields``; on PostgreSQL one ``UPDATE … FROM (VALUES …)`` per batch instead of
    Django's ``CASE WHEN`` per field and row, whose building takes most of a large batch's time."""
    if connection.vendor != "postgresql":
        Member.objects.bulk_update(members, fields, batch_size=UPDATE_MANY_BATCH)
        return
    columns: list[Any] = [Member._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    row = "(" + ", ".join(["%s"] * (len(columns) + 1)) + ")"
    params: list[Any] = []
    for member in members:
        params.append(member.pk)
        params.extend(f.get_db_prep_save(getattr(member, f.attname), connection) for f in columns)
    names = ", ".join(quote(f.column) for f in columns)
    sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}::{f.db_type(connection)}" for f in columns)
    table = quote(Member._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS m SET {sets} FROM (VALUES {', '.join([row] * len(members))}) "  # noqa: S608
            f"AS v(id, {names}) WHERE m.id = v.id",
            params,
        )


def _history_start_many(members: list[Member]) -> None:
    """:func:`_history_start` for a batch: one query to find the records loaded in bulk, one insert."""
    has = set(Member.history.filter(id__in=[m.pk for m in members]).values_list("id", flat=True).distinct())
    fresh = [m for m in members if m.pk not in has]
    for member in fresh:
        member._history_user = None  # type: ignore[attr-defined]  # nobody made this row by hand
        member._history_date = member.created_at  # type: ignore[attr-defined]
    if fresh:
        Member.history.bulk_history_create(fresh, default_change_reason=_("Loaded in bulk"))
    for member in fresh:
        del member._history_date  # type: ignore[attr-defined]


def _validated_many(members: list[Member], changed: set[str]) -> None:
    """``_validated`` for a batch: ``full_clean`` without its per-member queries (the foreign keys'
    existence and the unique numbers), which are checked here for the whole batch at once.

    Raises:
        ValidationError: the first member (in id order) that breaks a rule, with its errors by field.
    """
    ethnicities = set(Ethnicity.objects.values_list("code", flat=True)) if "ethnicity" in changed else None
    for member in members:
        member.name_search = fold(member.full_name)
        member.full_clean(
            exclude=["organisation", "ethnicity"], validate_unique=False, validate_constraints=False
        )
        if ethnicities is not None and member.ethnicity_id not in ethnicities:
            raise ValidationError({"ethnicity": [_("No such record.")]})
    batch = {m.pk for m in members}
    for name in ("citizen_id", "file_number", "old_card_number"):
        if name not in changed:
            continue
        holders: dict[str, int] = {}
        message = Member._meta.get_field(name).error_messages["unique"]  # type: ignore[union-attr]
        for member in members:
            value = getattr(member, name)
            if value:
                if value in holders:
                    raise ValidationError({name: [message]})
                holders[value] = member.pk
        taken = (
            Member.objects.filter(**{f"{name}__in": list(holders)}).exclude(pk__in=batch).exists()
            if holders
            else False
        )
        if taken:
            raise ValidationError({name: [message]})


@transaction.atomic
def member_transfer(*, actor: Any, member: Member, to_cell: Organisation, reason: str) -> Member:
    """Move ``member`` to another cell: a transfer of membership (chuyển sinh hoạt đảng) within the
    national registry. The transfer in progress ends; the record, with its history, stays the member's
    own, and their exchange case and card follow them (``registry.hooks.members_changed``).

    DOMAIN.md: "A transfer is **not** leaving the Party: in a national registry it is a change of cell, and
    the member's record, exchange case and card follow them"; "a member under inspection or complaint
    review is not transferred". The member and the destination cell must both be in the actor's scope.

    Raises:
        OutOfScope: the member or the destination is outside the actor's scope.
        DomainError: the member is not active, is under inspection, or is already in that cell; or the
            destination does not hold members (``Member.clean``).
    """
    scope_require(actor, Action.CHANGE_MEMBER, member)
    scope_require(actor, Action.CHANGE_MEMBER, to_cell, field="organisation")
    current = Member.objects.select_for_update().get(pk=member.pk)
    if current.status not in ACTIVE_STATUSES:
        raise DomainError(
            _("Only a probationary or official member is transferred."),
            field="status",
            code=ErrorCode.CONFLICT,
        )
    if current.under_inspection:
        raise DomainError(
            _("A member under inspection or complaint review is not transferred."),
            field="under_inspection",
            code=ErrorCode.CONFLICT,
        )
    if current.organisation_id == to_cell.pk:
        raise DomainError(
            _("The member already belongs to %(name)s.") % {"name": to_cell.name},
            field="organisation",
            code=ErrorCode.CONFLICT,
        )
    old_org = current.organisation_id
    before = snapshot(current)
    _history_start(current)
    current.organisation = to_cell
    current.transfer_in_progress = False
    _validated(current)
    current._history_user = actor  # type: ignore[attr-defined]
    current._change_reason = reason[:100]  # type: ignore[attr-defined]
    current.save()
    search_index_refresh(member_ids=[current.pk])
    _adjust_counts({old_org: -1, to_cell.pk: +1})
    changes = diff(before, snapshot(current))
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=actor, action="transfer", obj=current, changes=changes)
    members_moved(moves=[(current.pk, old_org, to_cell.pk)], actor=actor)
    members_changed(member_ids=[current.pk], actor=actor)
    return current


def organisations_recount() -> int:
    """Recompute every organisation's member counter from the members; return how many were wrong.

    The counters are kept by the services; this repairs them after raw SQL work (seed) or a restore.
    """
    from django.db.models import Count, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    live = (
        Member.objects.filter(organisation=OuterRef("pk"), status__in=ACTIVE_STATUSES)
        .order_by()
        .values("organisation")
        .annotate(n=Count("id"))
        .values("n")
    )
    with transaction.atomic():
        wrong = (
            Organisation.objects.annotate(live=Coalesce(Subquery(live), 0))
            .exclude(member_count=F("live"))
            .update(member_count=Coalesce(Subquery(live), 0))
        )
        return wrong + subtree_totals_recount()
