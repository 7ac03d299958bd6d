"""Case transitions: one at a time or in bulk, each checked against ``workflow.check``, audited.

A bulk transition (approve 5,000 cases) is cut into chunks by the job runner; each chunk is one call of
:func:`cases_transition`, one transaction: the cases that may move move, and each that may not is reported
with why. The rows are locked (``SELECT … FOR UPDATE``) so that two officers acting at once cannot both
move one case. The per-case work is in Python; the writes are a handful of statements per chunk (grouped
updates, one insert of events, one audit append) — that is what makes a chunk cheap. Each chunk also tells
who counts cases by cell (``hooks.case_counts_changed``: the progress report's counters), once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction

from partycard.accounts.roles import Action, Role
from partycard.audit.services import audit_record_many
from partycard.cards.services import Allocation, cards_allocate
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import role_of
from partycard.exchange import hooks
from partycard.exchange.eligibility import Verdict, evaluate
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.exchange.services.evaluation import (
    FACT_FIELDS,
    facts_from_values,
    reason_vi,
    verdicts_from_values,
)
from partycard.exchange.wording import problems_worded
from partycard.exchange.workflow import (
    TRANSITIONS,
    Level,
    Problem,
    State,
    Transition,
    check,
    gettext_noop,
    target_state,
)
from partycard.jobs.services import Failure
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member
from partycard.registry.selectors import commune_paths_below

__all__ = [
    "BulkOutcome",
    "CaseError",
    "actor_levels",
    "case_propose",
    "case_transition",
    "cases_propose",
    "cases_transition",
    "home_level",
]

_GRASSROOTS = frozenset({OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.GRASSROOTS_CELL})
_CELLS = frozenset({OrgLevel.CELL, OrgLevel.GRASSROOTS_CELL})


class CaseError(DomainError):
    """A single transition refused; ``problems`` says every reason, in Vietnamese and English."""

    http_status = 409

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = problems_worded(problems)
        super().__init__("; ".join(p.message_en for p in self.problems), code=ErrorCode.WORKFLOW)


@dataclass
class BulkOutcome:
    succeeded: list[int] = field(default_factory=list)  # case ids (member ids for proposals)
    failures: list[Failure] = field(default_factory=list)  # what the job records, worded
    problems: dict[int, list[Problem]] = field(default_factory=dict)  # the same, with their codes

    def refuse(self, target_id: int, problems: list[Problem]) -> None:
        worded = problems_worded(problems)
        self.failures.append(_failure(target_id, worded))
        self.problems[target_id] = worded


def home_level(actor: Any) -> Level | None:
    """The level an officer acts at, from their role and their organisation's level (None: none).

    The one role × organisation-level table: a cell secretary at a cell, a grassroots officer at a
    grassroots organisation, a committee officer at the commune level (the committee directly above the
    grassroots, ``ALLOWED_CHILDREN``), a committee officer at a committee directly under the Centre at
    the provincial level, a central administrator at the Centre (one placed lower acts at no level).
    """
    role = role_of(actor)
    org = getattr(actor, "organisation", None)
    if role == Role.CENTRAL_ADMIN:
        return Level.CENTRE if org is None or org.level == OrgLevel.CENTRE else None
    if org is None:
        return None
    if role == Role.CELL_SECRETARY and org.level in _CELLS:
        return Level.CELL
    if role == Role.GRASSROOTS_OFFICER and org.level in _GRASSROOTS:
        return Level.GRASSROOTS
    if role == Role.COMMITTEE_OFFICER and org.level == OrgLevel.COMMUNE:
        return Level.UPPER
    if role == Role.COMMITTEE_OFFICER and org.level == OrgLevel.CENTRAL_COMMITTEE:
        return Level.PROVINCE
    return None


def _inner_communes(org: Any) -> tuple[str, ...]:
    """The paths of the commune-level committees below ``org``: none in a province; in the Army or Public
    Security, the tiers under a military region or a department (``choices.ALLOWED_CHILDREN``). One query
    per organisation object, kept on it (an actor acting on a chunk of cases asks once)."""
    cached: tuple[str, ...] | None = getattr(org, "_inner_commune_paths", None)
    if cached is None:
        cached = tuple(commune_paths_below(org))
        org._inner_commune_paths = cached
    return cached


def actor_levels(actor: Any, cell_path: str) -> frozenset[Level]:
    """The levels at which ``actor`` stands for a member of the cell at ``cell_path``.

    The grassroots organisation is the one ancestor-or-self of the cell at a grassroots level, so an
    officer's :func:`home_level` applies to the cell when their organisation's path is a prefix of the
    cell's (for a secretary: is the cell's). The committee above the grassroots is the **nearest**
    commune-level ancestor (the Army and Public Security nest them): a committee officer acts at the upper
    level only if no commune-level committee lies between them and the cell (one query per officer, for
    the committees below theirs). The secretary of a grassroots cell (chi bộ cơ sở) acts for the cell and
    the grassroots.
    """
    level = home_level(actor)
    if level is None:
        return frozenset()
    if level is Level.CENTRE:
        return frozenset({Level.CENTRE})
    org = actor.organisation
    if not cell_path.startswith(org.path) or (level is Level.CELL and org.path != cell_path):
        return frozenset()
    if level is Level.UPPER and any(cell_path.startswith(inner) for inner in _inner_communes(org)):
        return frozenset()  # a committee further up: the nearer one decides
    if level is Level.CELL and org.level == OrgLevel.GRASSROOTS_CELL:
        return frozenset({Level.CELL, Level.GRASSROOTS})
    return frozenset({level})


def _failure(target_id: int, problems: Sequence[Problem]) -> Failure:
    return Failure(
        target_id, " ".join(p.message_vi for p in problems), " ".join(p.message_en for p in problems)
    )


_NOT_FOUND = Problem("not_found", gettext_noop("No such case in your scope."))


# The case columns a transition reads or writes (the rest stay unloaded: a chunk loads 1,000 cases).
_CASE_FIELDS = (
    "id",
    "campaign_id",
    "member_id",
    "organisation_id",
    "path",
    "state",
    "returned_to",
    "held_from",
    "note",
    "card_number",
)


def _locked_cases(ids: Sequence[int], actor: Any, system: bool) -> dict[int, Case]:
    qs = Case.objects.all() if system else Case.objects.scoped(actor, Action.CHANGE_CASE)
    qs = qs.select_for_update(of=("self",)).only(*_CASE_FIELDS).order_by("pk")
    return {c.pk: c for c in qs.filter(pk__in=ids)}


def _verdicts(member_ids: Sequence[int], campaign: Campaign) -> dict[int, Verdict]:
    rows = Member.objects.filter(pk__in=member_ids).values(*FACT_FIELDS)
    return verdicts_from_values(rows, campaign.rules())


def _explained(problems: list[Problem], verdict: Verdict | None) -> list[Problem]:
    """The workflow's problems, with every eligibility reason after ``not_eligible`` (why not, in full)."""
    out: list[Problem] = []
    for p in problems:
        out.append(p)
        if p.code == "not_eligible" and verdict is not None:
            out += [Problem(r.code.value, r.message_en, (), reason_vi(r)) for r in verdict.reasons]
    return out


def cases_transition(
    *,
    actor: Any,
    transition: Transition,
    case_ids: Sequence[int],
    reason: str = "",
    return_to: Level | None = None,
    system: bool = False,
    job_id: int | None = None,
) -> BulkOutcome:
    """Move every case of ``case_ids`` that may move; report each that may not, and why.

    ``system`` is for eligibility changes (hold, resume, cancel): it acts at ``Level.SYSTEM`` on any case;
    ``actor`` is then who made the member change, for the audit log.
    """
    outcome = BulkOutcome()
    reason = reason.strip()[:500]
    with transaction.atomic():
        cases = _locked_cases(case_ids, actor, system)
        needs_verdict = TRANSITIONS[transition].needs_eligible  # the table says which steps ask it
        verdicts: dict[int, Verdict] = {}
        if needs_verdict and cases:
            by_campaign: dict[int, list[int]] = defaultdict(list)
            for c in cases.values():
                by_campaign[c.campaign_id].append(c.member_id)
            campaigns = Campaign.objects.in_bulk(list(by_campaign))
            for cid, mids in by_campaign.items():
                verdicts.update(_verdicts(mids, campaigns[cid]))
        movers: list[tuple[Case, State]] = []
        for case_id in dict.fromkeys(case_ids):
            case = cases.get(case_id)
            if case is None:
                outcome.refuse(case_id, [_NOT_FOUND])
                continue
            levels = frozenset({Level.SYSTEM}) if system else actor_levels(actor, case.path)
            problems = check(
                transition,
                state=State(case.state),
                actor_levels=levels,
                eligible=case.member_id not in verdicts or verdicts[case.member_id].eligible,
                reason=reason,
                returned_to=Level(case.returned_to) if case.returned_to else None,
                return_to=return_to,
                has_card_number=bool(case.card_number),
            )
            if problems:
                outcome.refuse(case_id, _explained(problems, verdicts.get(case.member_id)))
                continue
            movers.append((case, _target(case, transition)))
        if movers:
            _apply(
                movers, transition=transition, actor=actor, reason=reason, return_to=return_to, job_id=job_id
            )
        outcome.succeeded = [c.pk for c, _ in movers]
    return outcome


def _target(case: Case, transition: Transition) -> State:
    return target_state(
        transition,
        returned_to=Level(case.returned_to) if case.returned_to else None,
        held_from=State(case.held_from) if case.held_from else None,
    )


def _apply(
    movers: list[tuple[Case, State]],
    *,
    transition: Transition,
    actor: Any,
    reason: str,
    return_to: Level | None,
    job_id: int | None,
) -> None:
    now = clock.now()
    numbers = iter(card_numbers_allocate(len(movers))) if transition is Transition.ACCEPT else None
    before: list[str] = []
    audit = []
    counts: Counter[hooks.CaseCount] = Counter()
    for case, target in movers:
        before.append(case.state)
        counts[(case.organisation_id, case.campaign_id, case.state)] -= 1
        counts[(case.organisation_id, case.campaign_id, target.value)] += 1
        changes: dict[str, Any] = {"state": [case.state, target]}
        case.state = target
        case.updated_at = now
        if transition is Transition.RETURN:
            case.returned_to = return_to.value if return_to else ""
        elif transition is Transition.RESUBMIT:
            case.returned_to = ""
        if transition is Transition.HOLD:
            case.held_from = before[-1]
        elif transition is Transition.RESUME:
            case.held_from = ""
        if reason:
            case.note = reason
        if numbers is not None:
            case.card_number = next(numbers)
            changes["card_number"] = [None, case.card_number]
        if reason:
            changes["reason"] = reason
        audit.append((Case._meta.label_lower, str(case.pk), changes))
    cases = [case for case, _ in movers]
    who = actor if getattr(actor, "pk", None) else None
    if connection.vendor == "postgresql":
        _write_postgres(
            cases,
            before,
            transition=transition,
            actor_id=who.pk if who else None,
            reason=reason,
            job_id=job_id,
            at=now,
        )
    else:
        groups: dict[tuple[str, str, str, str], list[int]] = defaultdict(list)
        for case in cases:
            groups[(case.state, case.returned_to, case.held_from, case.note)].append(case.pk)
        for (state, returned_to, held_from, note), ids in groups.items():
            Case.objects.filter(pk__in=ids).update(
                state=state, returned_to=returned_to, held_from=held_from, note=note, updated_at=now
            )
        if numbers is not None:
            Case.objects.bulk_update(cases, ["card_number"], batch_size=1000)
        CaseEvent.objects.bulk_create(
            (
                CaseEvent(
                    case_id=case.pk,
                    transition=transition.value,
                    from_state=was,
                    to_state=case.state,
                    actor=who,
                    reason=reason,
                    job_id=job_id,
                    at=now,
                )
                for case, was in zip(cases, before, strict=True)
            ),
            batch_size=2000,
        )
    audit_record_many(actor=actor, action=f"exchange.{transition.value}", items=audit)
    hooks.case_counts_changed(counts)
    if numbers is not None:  # the case ends here; the card begins (cards/lifecycle.py)
        cards_allocate(
            actor=actor,
            allocations=[
                Allocation(number=str(c.card_number), case_id=c.pk, member_id=c.member_id, path=c.path)
                for c in cases
            ],
            at=now,
        )


def _write_postgres(
    cases: list[Case],
    before: list[str],
    *,
    transition: Transition,
    actor_id: int | None,
    reason: str,
    job_id: int | None,
    at: Any,
) -> None:
    """The cases' new columns and their events in two statements, whatever the chunk's size: each column
    goes as one array (``unnest``). The ORM's grouped updates, ``bulk_update`` (a ``CASE WHEN`` per row, for
    the card numbers) and per-row insert parameters took most of a 1,000-case chunk."""
    case_table, event_table = Case._meta.db_table, CaseEvent._meta.db_table
    numbered = transition is Transition.ACCEPT
    columns = ["state", "returned_to", "held_from", "note"] + (["card_number"] if numbered else [])
    # Plain str: psycopg would dump an enum member by its name, not its value.
    arrays = [[None if (v := getattr(case, name)) is None else str(v) for case in cases] for name in columns]
    # Table and column names come from the models; every value is a parameter.
    update = (
        f"UPDATE {case_table} AS c SET "  # noqa: S608
        + ", ".join(f"{name} = v.{name}" for name in columns)
        + ", updated_at = %s FROM unnest(%s::bigint[], "
        + ", ".join("%s::text[]" for _ in columns)
        + f") AS v(id, {', '.join(columns)}) WHERE c.id = v.id"
    )
    insert = (
        f"INSERT INTO {event_table} "  # noqa: S608
        "(case_id, transition, from_state, to_state, actor_id, reason, job_id, at) "
        "SELECT v.case_id, %s, v.from_state, v.to_state, %s, %s, %s, %s "
        "FROM unnest(%s::bigint[], %s::text[], %s::text[]) WITH ORDINALITY "
        "AS v(case_id, from_state, to_state, n) ORDER BY v.n"
    )
    ids = [case.pk for case in cases]
    with connection.cursor() as cursor:
        cursor.execute(update, [at, ids, *arrays])
        cursor.execute(
            insert,
            [
                transition.value,
                actor_id,
                reason,
                job_id,
                at,
                ids,
                before,
                [str(case.state) for case in cases],
            ],
        )


def case_transition(
    *, actor: Any, case: Case, transition: Transition, reason: str = "", return_to: Level | None = None
) -> Case:
    """One transition of one case, or :class:`CaseError` with every reason it was refused."""
    outcome = cases_transition(
        actor=actor, transition=transition, case_ids=[case.pk], reason=reason, return_to=return_to
    )
    if outcome.failures:
        raise CaseError(outcome.problems[case.pk])
    return Case.objects.get(pk=case.pk)


def cases_propose(
    *, actor: Any, campaign: Campaign, member_ids: Sequence[int], job_id: int | None = None
) -> BulkOutcome:
    """The cell proposes its eligible members; each refused one is reported (not eligible, already has a
    case, not in the secretary's cell, campaign closed)."""
    outcome = BulkOutcome()
    with transaction.atomic():
        members = {
            m.pk: m
            for m in Member.objects.scoped(actor, Action.VIEW_MEMBER)
            .select_for_update(of=("self",))
            .select_related("organisation")
            .filter(pk__in=member_ids)
        }
        existing = set(
            Case.objects.filter(campaign=campaign, member_id__in=member_ids).values_list(
                "member_id", flat=True
            )
        )
        rules, today = campaign.rules(), clock.today()
        new: list[Case] = []
        for member_id in dict.fromkeys(member_ids):
            member = members.get(member_id)
            if member is None:
                outcome.refuse(member_id, [_NOT_FOUND])
                continue
            verdict = evaluate(facts_from_values(vars(member)), rules, today=today)
            problems = check(
                Transition.PROPOSE,
                state=State.PROPOSED if member_id in existing else None,
                actor_levels=actor_levels(actor, member.organisation.path),
                eligible=verdict.eligible,
            )
            if not campaign.is_open:
                problems.append(Problem("closed", gettext_noop("The campaign is closed.")))
            if problems:
                outcome.refuse(member_id, _explained(problems, verdict))
                continue
            new.append(
                Case(
                    campaign=campaign,
                    member=member,
                    organisation=member.organisation,
                    path=member.organisation.path,
                    state=State.PROPOSED,
                )
            )
        created = Case.objects.bulk_create(new, batch_size=2000)
        now = clock.now()
        who = actor if getattr(actor, "pk", None) else None
        CaseEvent.objects.bulk_create(
            CaseEvent(
                case=c,
                transition=Transition.PROPOSE.value,
                to_state=State.PROPOSED,
                actor=who,
                job_id=job_id,
                at=now,
            )
            for c in created
        )
        audit_record_many(
            actor=actor,
            action="exchange.propose",
            items=(
                (
                    Case._meta.label_lower,
                    str(c.pk),
                    {"member": c.member_id, "campaign": campaign.pk, "state": [None, State.PROPOSED.value]},
                )
                for c in created
            ),
        )
        hooks.case_counts_changed(
            Counter((c.organisation_id, campaign.pk, State.PROPOSED.value) for c in created)
        )
        outcome.succeeded = [c.member_id for c in created]
    return outcome


def case_propose(*, actor: Any, campaign: Campaign, member: Member) -> Case:
    outcome = cases_propose(actor=actor, campaign=campaign, member_ids=[member.pk])
    if outcome.failures:
        raise CaseError(outcome.problems[member.pk])
    return Case.objects.get(campaign=campaign, member=member)
