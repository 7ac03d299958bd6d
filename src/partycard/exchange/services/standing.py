"""What a change to members does to their exchange cases: they follow the member to their current cell,
their verdicts are stored again in every open campaign, and each open case moves to match the verdict.

Its own module because it needs both the verdicts (``evaluation``) and the transitions (``cases``), which
``cases`` itself builds on: the member-change hook lives above both, so neither imports the other back.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db import transaction

from partycard.audit.services import audit_record_many
from partycard.core import clock
from partycard.exchange import hooks
from partycard.exchange.eligibility import Verdict
from partycard.exchange.models import Campaign, Case
from partycard.exchange.services.cases import cases_transition
from partycard.exchange.services.evaluation import evaluate_members, reasons_vi
from partycard.exchange.workflow import FINAL_STATES, TRANSITIONS, State, Transition
from partycard.registry.models import Member

__all__ = ["case_move_for", "cases_follow_member", "members_reevaluate", "on_members_changed"]

# The states the Centre's acceptance leaves behind: a card number is allocated and the card is being made.
# A refusing reason that appears then cannot reject the case (the workflow rejects only a proposal on its
# way up, or one on hold or returned); the case is held, so that the card is not handed over, until the
# member's record is put right or their membership ends (then the case is cancelled).
_REJECTABLE = TRANSITIONS[Transition.REJECT].sources


def _why(verdict: Verdict) -> str:
    return "; ".join(reasons_vi(verdict))[:500]


def case_move_for(state: State, held_from: State | None, verdict: Verdict) -> Transition | None:
    """The system transition an open case in ``state`` makes for the member's new verdict (None: none).

    An ending reason (death, removal, expulsion, leaving) cancels; a refusing reason rejects; only
    postponing reasons hold; eligible again, a held case resumes. A held case whose reasons become refusing
    is rejected. An accepted case is closed (its card lives on: docs/cards.md), so it never comes here.
    """
    if verdict.eligible:
        return Transition.RESUME if state is State.ON_HOLD else None
    if verdict.ended:
        return Transition.CANCEL
    if verdict.postponed:
        return Transition.HOLD if state in TRANSITIONS[Transition.HOLD].sources else None
    if state is State.ON_HOLD:
        return Transition.REJECT if held_from in _REJECTABLE else None
    if state in _REJECTABLE:
        return Transition.REJECT
    return Transition.HOLD if state in TRANSITIONS[Transition.HOLD].sources else None


def cases_follow_member(member_ids: Sequence[int], *, actor: Any) -> int:
    """Re-point the cases of these members to their current cell (after a transfer); return how many.

    A case keeps its member's cell and path (the scope filter reads them without a join); a transfer
    within the national registry is a change of cell, and the case follows the member (DOMAIN.md). Audited,
    in the caller's transaction.
    """
    if not member_ids:
        return 0
    # Every case of the member, closed ones too: an accepted case is the member's record of the exchange,
    # and the new cell's officers see it (its card follows too: cards.services.members_cards_follow).
    open_cases = list(
        Case.objects.filter(member_id__in=member_ids).only(
            "id", "member_id", "organisation_id", "path", "campaign_id", "state"
        )
    )
    if not open_cases:  # most changes (an import of new members): nothing to follow
        return 0
    cells = {
        pk: (cell_id, path)
        for pk, cell_id, path in Member.objects.filter(pk__in={c.member_id for c in open_cases})
        .values_list("pk", "organisation_id", "organisation__path")
        .order_by()
    }
    moved = [case for case in open_cases if (case.organisation_id, case.path) != cells[case.member_id]]
    if not moved:
        return 0
    now = clock.now()
    audit = []
    counts: Counter[hooks.CaseCount] = Counter()
    with transaction.atomic():
        for case in moved:
            cell_id, path = cells[case.member_id]
            counts[(case.organisation_id, case.campaign_id, case.state)] -= 1
            counts[(cell_id, case.campaign_id, case.state)] += 1
            audit.append(
                (
                    Case._meta.label_lower,
                    str(case.pk),
                    {"organisation": [case.organisation_id, cell_id], "path": [case.path, path]},
                )
            )
            Case.objects.filter(pk=case.pk).update(organisation_id=cell_id, path=path, updated_at=now)
        audit_record_many(actor=actor, action="exchange.follow_member", items=audit)
        hooks.case_counts_changed(counts)
    return len(moved)


def members_reevaluate(member_ids: Sequence[int], *, actor: Any) -> None:
    """After a change to these members: their open cases follow them to their cell, their verdicts are
    stored in every open campaign, and their open cases are held, resumed, rejected or cancelled to match
    (system transitions, audited under ``actor``'s name, in the caller's transaction)."""
    if not member_ids:
        return
    with transaction.atomic():
        cases_follow_member(member_ids, actor=actor)
        for campaign in Campaign.objects.filter(is_open=True):
            verdicts = evaluate_members(campaign, member_ids)
            moves: dict[tuple[Transition, str], list[int]] = {}
            cases = Case.objects.filter(campaign=campaign, member_id__in=member_ids).exclude(
                state__in=FINAL_STATES
            )
            for case in cases.only("id", "member_id", "state", "held_from"):
                verdict = verdicts[case.member_id]
                held_from = State(case.held_from) if case.held_from else None
                move = case_move_for(State(case.state), held_from, verdict)
                if move is not None:
                    reason = "" if move is Transition.RESUME else _why(verdict)
                    moves.setdefault((move, reason), []).append(case.pk)
            for (move, reason), ids in moves.items():
                cases_transition(actor=actor, transition=move, case_ids=ids, reason=reason, system=True)


def on_members_changed(*, member_ids: Sequence[int], actor: Any) -> None:
    """The registry's member-change hook (``registry.hooks``, registered in ``ExchangeConfig``)."""
    members_reevaluate(member_ids, actor=actor)
