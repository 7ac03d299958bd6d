"""Writes of the lost or damaged card procedure (``loss_*``) and of the recovery of ended members' cards
(``recovery_record``): the only code that changes a ``LossReport`` or a ``CardRecovery``.

Each write checks the report (or member) and the card it names against the actor's scope first
(``core.scope.scope_require``: the same 404 as a missing record), then the workflow at the actor's level,
then changes the rows, their event and audit row in one transaction. The card itself changes only through
``cards.services`` (its lifecycle, status list and e-card follow there), and its e-cards' status is set
through ``credentials.services.credential_status_set`` as well, so that the status list says it at once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, Role, allowed
from partycard.audit.services import audit_record
from partycard.cards.lifecycle import (
    ACTIVE_LIKE,
    HOLDING_STATES,
    CardKind,
    CardLevel,
    CardState,
    CardTransition,
)
from partycard.cards.models import Card
from partycard.cards.selectors import card_actor_levels, card_route
from partycard.cards.services import Allocation, card_transition, cards_allocate
from partycard.core import clock
from partycard.core.scope import role_of, scope_require
from partycard.credentials.models import Credential, CredentialStatus
from partycard.credentials.services import credential_status_set
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.losses.choices import Channel, RecoveryOutcome
from partycard.losses.errors import (
    CardNotReportable,
    LossError,
    MemberStillInParty,
    NothingToRecover,
    PhotoRefused,
    StepRefused,
)
from partycard.losses.models import CardRecovery, LossEvent, LossPhoto, LossReport
from partycard.losses.photos import PhotoProblem, photo_clean
from partycard.losses.workflow import OPEN_STATES, STEPS, Kind, Level, Problem, State, Step, check
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member, Organisation

__all__ = [
    "DAMAGED_NOTE",
    "ENDING_OUTCOME",
    "LOST_NOTE",
    "PHOTOS_REQUIRED",
    "actor_levels",
    "loss_report",
    "loss_step",
    "recovery_record",
]

PHOTOS_REQUIRED = 2  # DOMAIN.md: "the cell collects 2 photos (2×3 cm)"
# The note a report's suspension leaves on the card (cards.Card.note): a refusal reinstates only a card
# its own report suspended, never one the member's record suspended (cards.services.SUSPENDED_ACTIVITIES).
LOST_NOTE, DAMAGED_NOTE = "reported_lost", "reported_damaged"
_NOTE = {Kind.LOST: LOST_NOTE, Kind.DAMAGED: DAMAGED_NOTE}

# DOMAIN.md: "Death: the family keeps the card. Expulsion or removal: the cell recovers the card and sends
# it up." A member who resigned (xin ra khỏi Đảng) is treated as removed: the card is recovered.
ENDING_OUTCOME = {
    MemberStatus.DECEASED: RecoveryOutcome.KEPT_BY_FAMILY,
    MemberStatus.EXPELLED: RecoveryOutcome.RECOVERED,
    MemberStatus.REMOVED: RecoveryOutcome.RECOVERED,
    MemberStatus.RESIGNED: RecoveryOutcome.RECOVERED,
}

_LEVEL_OF: dict[CardLevel, Level] = {
    CardLevel.CELL: Level.CELL,
    CardLevel.GRASSROOTS: Level.GRASSROOTS,
    CardLevel.UPPER: Level.UPPER,
}


def actor_levels(actor: Any, member: Member) -> frozenset[Level]:
    """The levels at which ``actor`` stands for ``member``'s case: the member themself, or the officer
    of the organisation standing at a level of the member's card route (``cards.selectors``). The system
    (``actor=None``: the command line, the demo) stands at every level."""
    if actor is None:
        return frozenset(Level)
    if role_of(actor) == Role.MEMBER:
        return frozenset({Level.MEMBER}) if getattr(actor, "member_id", None) == member.pk else frozenset()
    levels = card_actor_levels(actor, card_route(member.organisation))
    return frozenset(_LEVEL_OF[lv] for lv in levels if lv in _LEVEL_OF)


def _card_for(member: Member, card: Card | None) -> Card:
    """The card reported: the one named (it must be the member's), or the member's card in use (the new
    chip card, else the old 8-digit one)."""
    if card is None:
        held = list(
            Card.objects.filter(member=member, state__in=[s.value for s in ACTIVE_LIKE]).order_by(
                "-created_at"
            )
        )
        held.sort(key=lambda c: c.kind != CardKind.NEW)
        if not held:
            raise CardNotReportable("no_card")
        return held[0]
    if card.member_id != member.pk:
        raise CardNotReportable("not_members")
    return card


def _new_card_held_or_coming(member: Member) -> bool:
    """The member has a new chip card in use or on its way: an old 8-digit card lost now is not reissued
    (the new card replaces it; a member holds one card of each kind in use)."""
    states = [s.value for s in HOLDING_STATES | ACTIVE_LIKE]
    return Card.objects.filter(member=member, kind=CardKind.NEW, state__in=states).exists()


def _ecards_follow(card: Card, *, actor: Any, status: int, reason: str) -> None:
    """The e-cards carrying ``card``'s number take ``status`` now (a revoked one stays revoked)."""
    for credential in Credential.objects.filter(card_number=card.number).exclude(
        status=CredentialStatus.REVOKED
    ):
        credential_status_set(actor=actor, credential=credential, status=status, reason=reason)


def _suspend(card: Card, kind: Kind, *, actor: Any) -> None:
    """The card stops verifying at once (status SUSPENDED, chip and e-card), lost or damaged alike: a
    damaged card's lifecycle state (``damaged``) would still read VALID until replaced, and a card whose
    print or chip failed must not pass at a door meanwhile. The note on the card says which (``LOST_NOTE``,
    ``DAMAGED_NOTE``). A card already suspended (the member's activities are) stays as it is."""
    if card.state in (CardState.ACTIVE, CardState.DAMAGED):
        card_transition(
            actor=actor, card=card.pk, transition=CardTransition.SUSPEND, reason=_NOTE[kind], system=True
        )
    _ecards_follow(card, actor=actor, status=CredentialStatus.SUSPENDED, reason=f"card_{kind.value}")


def _event(report: LossReport, step: Step, before: str, *, actor: Any, org: Any, note: str, at: Any) -> None:
    LossEvent.objects.create(
        report=report, step=step.value, from_state=before, to_state=report.state, organisation=org,
        actor=actor if getattr(actor, "pk", None) else None, note=note[:2000], at=at,
    )  # fmt: skip


def loss_report(
    *,
    actor: Any,
    member: Member,
    kind: Kind | str,
    circumstances: str,
    photos: Sequence[bytes],
    card: Card | None = None,
    good_reason: bool | None = None,
) -> LossReport:
    """Report ``member``'s card lost or damaged, with the two 2×3 cm photos: the card is suspended in its
    status list at once (chip and e-card), and the case waits for the grassroots committee's list.

    Args:
        actor: the member themself (in the app) or the secretary of the member's cell.
        card: the card reported; None: the member's card in use.

    Raises:
        OutOfScope: the member or the card is outside the actor's scope.
        StepRefused: the actor does not stand at a level that reports (the member, their cell).
        CardNotReportable: no such card in use, or it is already reported.
        PhotoRefused: not two JPEG or PNG photos of the right size and shape.
    """
    kind = Kind(kind)
    scope_require(actor, Action.REPORT_LOSS, member, card)
    levels = actor_levels(actor, member)
    problems = check(Step.REPORT, state=None, levels=levels)
    if problems:
        raise StepRefused(problems)
    if len(photos) != PHOTOS_REQUIRED:
        raise PhotoRefused("count")
    try:
        cleaned = [photo_clean(raw) for raw in photos]
    except PhotoProblem as e:
        raise PhotoRefused(e.code) from e
    circumstances = circumstances.strip()
    if not circumstances:
        raise LossError(_("Say how the card was lost or damaged."), field="circumstances")
    by_member = role_of(actor) == Role.MEMBER
    at = clock.now()
    try:
        with transaction.atomic():
            locked = Card.objects.select_for_update().get(pk=_card_for(member, card).pk)
            if locked.state not in ACTIVE_LIKE:
                raise CardNotReportable("state")
            if LossReport.objects.filter(card=locked, state__in=list(OPEN_STATES)).exists():
                raise CardNotReportable("open")
            if locked.kind == CardKind.OLD and _new_card_held_or_coming(member):
                raise CardNotReportable("new_card")
            cell = member.organisation
            report = LossReport(
                member=member, card=locked, organisation=cell, path=cell.path, kind=kind.value,
                circumstances=circumstances, good_reason=good_reason, state=State.REPORTED.value,
                channel=Channel.APP if by_member else Channel.CELL, reported_at=at,
                reported_by=actor if getattr(actor, "pk", None) else None,
            )  # fmt: skip
            report.full_clean(exclude=["member", "card", "organisation", "reported_by"])
            report.save()
            LossPhoto.objects.bulk_create(
                LossPhoto(
                    report=report,
                    content=p.content,
                    sha256=p.sha256,
                    width=p.width,
                    height=p.height,
                    uploaded_at=at,
                    path=cell.path,
                )
                for p in cleaned
            )
            _event(report, Step.REPORT, "", actor=actor, org=None if by_member else cell,
                   note=circumstances, at=at)  # fmt: skip
            audit_record(
                actor=actor,
                action="losses.report",
                obj=report,
                changes={
                    "member": member.pk, "card": locked.number, "kind": kind.value,
                    "channel": report.channel, "photos": [p.sha256 for p in cleaned],
                },
            )  # fmt: skip
            _suspend(locked, kind, actor=actor)
    except IntegrityError as e:  # the one-open-report constraint: reported twice at once
        raise CardNotReportable("open") from e
    report.card.refresh_from_db()  # suspended since it was read
    return report


def _acting_org(actor: Any) -> Organisation | None:
    """The organisation that takes a step: the actor's own (``check`` made sure it stands at the step's
    level on the member's route)."""
    return getattr(actor, "organisation", None)


def _decide(report: LossReport, *, actor: Any, at: Any) -> None:
    """The standing committee's decision (4-TDV): a new card number allocated for the member (the reissue
    enters production like an accepted case's card: ``production`` plans every allocated new card), and
    the old card revoked in its status list for good (chip and e-card)."""
    (number,) = card_numbers_allocate(1)
    member = report.member
    (new,) = cards_allocate(
        actor=actor,
        allocations=[
            Allocation(number=number, case_id=None, member_id=member.pk, path=member.organisation.path)
        ],
        at=at,
    )
    report.new_card = new
    old = Card.objects.get(pk=report.card_id)
    if old.state != CardState.REVOKED:
        card_transition(
            actor=actor,
            card=old.pk,
            transition=CardTransition.REVOKE,
            reason=f"reissued:{number}",
            system=True,
        )
    _ecards_follow(old, actor=actor, status=CredentialStatus.REVOKED, reason="card_reissued")


def _refuse(report: LossReport, *, actor: Any) -> None:
    """A refusal. A lost card's report refused (the card was found, or no loss is accepted) gives the card
    back its validity: it was suspended by this report alone. A damaged card's stays suspended: once
    reported damaged it is not trusted as a credential again (its chip or print may fail); the cell may
    report it again with a better account, and it is recovered when a reissue replaces it."""
    if report.kind != Kind.LOST:
        return
    card = Card.objects.get(pk=report.card_id)
    if card.state == CardState.SUSPENDED and card.note == LOST_NOTE:
        card_transition(actor=actor, card=card.pk, transition=CardTransition.REINSTATE, system=True)
        _ecards_follow(card, actor=actor, status=CredentialStatus.VALID, reason="loss_refused")


def loss_step(
    *,
    actor: Any,
    report: LossReport,
    step: Step | str,
    reason: str = "",
    good_reason: bool | None = None,
    decision_number: str = "",
    on: dt.date | None = None,
) -> LossReport:
    """Take ``step`` on the case at the actor's level: list (grassroots), compile (the upper committee's
    board; it may correct ``good_reason``), decide (its standing committee: the reissue and the old card
    revoked), refuse (with ``reason``), close (the new card was handed over).

    Raises:
        OutOfScope: the report is outside the actor's scope (the same 404 as a missing one).
        StepRefused: the workflow refuses the step now (every reason, coded).
    """
    step = Step(step)
    if step is Step.REPORT:
        raise ValueError("loss_report files a report")
    action = Action.DECIDE_LOSS if STEPS[step].decides else Action.CHANGE_LOSS
    scope_require(actor, action, report)
    reason = reason.strip()
    at = clock.now()
    on = on or clock.today()
    with transaction.atomic():
        locked = (
            LossReport.objects.select_for_update().select_related("member__organisation").get(pk=report.pk)
        )
        levels = actor_levels(actor, locked.member)
        decider = allowed(role_of(actor) or "", Action.DECIDE_LOSS)
        problems = check(step, state=State(locked.state), levels=levels, reason=reason, decider=decider)
        if step is Step.CLOSE and not problems:
            new = Card.objects.filter(pk=locked.new_card_id or 0).values_list("state", flat=True).first()
            if new != CardState.ACTIVE:
                problems.append(Problem("card_not_handed_over"))
        if problems:
            raise StepRefused(problems)
        before = locked.state
        org = _acting_org(actor)
        changes: dict[str, Any] = {"state": [before, STEPS[step].target.value]}
        locked.state = STEPS[step].target.value
        if step is Step.LIST:
            locked.listed_by, locked.listed_on = org, on
        elif step is Step.COMPILE:
            locked.compiled_by, locked.compiled_on = org, on
            if good_reason is not None:
                changes["good_reason"] = [locked.good_reason, good_reason]
                locked.good_reason = good_reason
        elif step is Step.DECIDE:
            locked.decided_by, locked.decided_on = org, on
            locked.decision_number = decision_number.strip()[:50]
            _decide(locked, actor=actor, at=at)
            changes |= {"new_card": locked.new_card.number if locked.new_card else None,
                        "decision_number": locked.decision_number}  # fmt: skip
        elif step is Step.REFUSE:
            locked.decided_by, locked.decided_on, locked.refusal = org, on, reason[:2000]
            changes["reason"] = reason[:2000]
            _refuse(locked, actor=actor)
        locked.save()
        _event(locked, step, before, actor=actor, org=org, note=reason, at=at)
        audit_record(actor=actor, action=f"losses.{step.value}", obj=locked, changes=changes)
    return locked


def recovery_record(
    *, actor: Any, member: Member, card: Card, note: str = "", on: dt.date | None = None
) -> CardRecovery:
    """Record what became of the physical card of a member who died, was expelled or removed, or resigned
    (the card itself was revoked by the status change: ``cards.services.members_cards_follow``). Expelled,
    removed, resigned: the cell recovered it and sends it up (the card becomes ``recovered``, for the
    deciding committee to destroy). Died: the family keeps it (recorded; the card stays revoked).

    Raises:
        OutOfScope: the member or the card is outside the actor's scope.
        MemberStillInParty: the member's status does not end their membership.
        NothingToRecover: the card is not the member's, not revoked, or already recorded.
        CardError: the card's lifecycle refuses the recovery at the actor's level (the cell or the upper
            committee recover cards).
    """
    scope_require(actor, Action.CHANGE_LOSS, member, card)
    outcome = ENDING_OUTCOME.get(MemberStatus(member.status)) if member.status in ENDING_OUTCOME else None
    if outcome is None:
        raise MemberStillInParty()
    at = clock.now()
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if (
            locked.member_id != member.pk
            or locked.state != CardState.REVOKED
            or CardRecovery.objects.filter(card=locked).exists()
        ):
            raise NothingToRecover()
        if outcome == RecoveryOutcome.RECOVERED:
            card_transition(actor=actor, card=locked.pk, transition=CardTransition.RECOVER)
        cell = member.organisation
        recovery = CardRecovery(
            member=member, card=locked, organisation=cell, path=cell.path, outcome=outcome,
            member_status=member.status, note=note.strip()[:1000], recorded_on=on or clock.today(),
            recorded_by=actor if getattr(actor, "pk", None) else None, recorded_at=at,
        )  # fmt: skip
        recovery.save()
        audit_record(
            actor=actor,
            action="losses.recovery",
            obj=recovery,
            changes={"member": member.pk, "card": locked.number, "outcome": outcome, "status": member.status},
        )
    return recovery
