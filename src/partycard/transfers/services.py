"""Writes of transfers: draft, issue the introduction letter (numbered, generated, signed), receive the
member on their e-card, complete (the member's record, case and card follow), cancel, refuse, expire.

Each is one transaction with its step row and its audit row. The actor must see the transfer
(``scope_require`` on the two-sided scope: 404 otherwise) and stand on the side whose step it is
(``workflow.STEPS``; a step of the other side is the same 404). DOMAIN.md: "a member under inspection or
complaint review is not transferred" (refused, with the reason, at creation, issue and completion); "a
transfer is not leaving the Party: the member's record, exchange case and card follow them" — completion
moves the member with ``registry.services.member_transfer``, whose hooks carry the case and the card.

That service requires one actor with both the member and the destination in scope; in a transfer between
provinces neither side's officer has both. So each side checks its own steps here, and the move itself is
made as the system (``actor=None``) once the receiving side's checks pass, with the confirming officer
named in the transfer's own step and audit row (and in the registry's change reason).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.cards.selectors import card_in_use
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.core.scope import OutOfScope, scope_require
from partycard.core.signing import SigningUnavailable
from partycard.credentials.models import Credential, CredentialStatus
from partycard.credentials.publishing import verdict_for
from partycard.registry import services as registry
from partycard.registry.choices import ACTIVE_STATUSES, OrgLevel
from partycard.registry.models import Member, Organisation
from partycard.transfers import deadlines, documents
from partycard.transfers.choices import Kind
from partycard.transfers.errors import (
    CardNotAccepted,
    DestinationInvalid,
    LetterUnsigned,
    MemberNotTransferable,
    StepRefused,
    problem_message,
)
from partycard.transfers.letter import letter_sign, letter_signer, signer_name
from partycard.transfers.models import Transfer, TransferEvent
from partycard.transfers.numbering import letter_number, letter_number_take
from partycard.transfers.selectors import actor_sides, ancestors, grassroots_of, overdue
from partycard.transfers.workflow import OPEN_STATES, STEPS, Problem, Side, State, Step, check
from partycard.trust.keystore import KeyStore

__all__ = [
    "receiving_committee",
    "sending_committee",
    "transfer_cancel",
    "transfer_complete",
    "transfer_create",
    "transfer_issue",
    "transfer_receive",
    "transfer_refuse",
    "transfers_expire",
]


def _days(name: str, default: int) -> int:
    return int(settings.PARTYCARD.get(name, default))


def _today(at: datetime) -> dt.date:
    return timezone.localdate(at)


def sending_committee(kind: str, from_cell: Organisation, to_cell: Organisation) -> Organisation:
    """The committee that introduces the member out and signs the letter.

    [U] An internal transfer is the grassroots organisation's own; otherwise the highest organisation
    above the sending cell that the member leaves (the first one, from the top, that does not hold the
    receiving cell): the province for a transfer to another province, the commune committee within a
    province, the grassroots organisation within a commune (docs/procedures.md).
    """
    if kind == Kind.INTERNAL:
        return grassroots_of(from_cell)
    for org in ancestors(from_cell):
        if org.level == OrgLevel.CENTRE:
            continue
        if not to_cell.path.startswith(org.path):
            return org
    return from_cell


def receiving_committee(kind: str, from_cell: Organisation, to_cell: Organisation) -> Organisation:
    """To whom the letter is addressed: the sending committee's counterpart on the receiving side (the
    highest organisation above the receiving cell that does not hold the sending cell: the other province's
    committee for a transfer between provinces); the receiving cell itself for an internal transfer."""
    if kind == Kind.INTERNAL:
        return to_cell
    for org in ancestors(to_cell):
        if org.level != OrgLevel.CENTRE and not from_cell.path.startswith(org.path):
            return org
    return to_cell


def _record(
    transfer: Transfer, *, step: str, state_from: str, side: str, actor: Any, at: datetime, note: str = ""
) -> None:
    """The step's row and its audit row, in the writer's transaction."""
    TransferEvent.objects.create(
        transfer=transfer, step=step, state_from=state_from, state_to=transfer.state, side=side,
        actor=actor, actor_name=getattr(actor, "username", "") if actor else "", at=at, note=note[:300],
        path=transfer.path, to_path=transfer.to_path,
    )  # fmt: skip
    audit_record(
        actor=actor,
        action=f"transfers.{step}",
        obj=transfer,
        changes={
            "state": [state_from or None, transfer.state],
            "member_id": transfer.member_id,
            "number": transfer.number,
            "side": side,
            **({"note": note} if note else {}),
        },
    )


def _problems_raise(problems: Iterable[Problem]) -> None:
    problems = list(problems)
    if Problem.WRONG_SIDE in problems:
        raise OutOfScope()  # each side acts only on its own steps: the other side's are not there for it
    if problems:
        raise StepRefused(problems)


def _locked(actor: Any, transfer: Transfer) -> Transfer:
    """The transfer, in the actor's scope for changing transfers (404 otherwise), locked for the step."""
    scope_require(actor, Action.CHANGE_TRANSFER, transfer)
    return Transfer.objects.select_for_update().select_related("committee", "member").get(pk=transfer.pk)


def _step(
    actor: Any,
    current: Transfer,
    step: Step,
    at: datetime,
    *,
    reason: str = "",
    under_inspection: bool = False,
) -> str:
    """Check ``step`` by ``actor`` on the locked ``current`` and move it; return the state it left."""
    sides = actor_sides(actor, current, issuing=step == Step.ISSUE)
    _problems_raise(
        check(
            current.state, step, sides=sides, reason=reason, under_inspection=under_inspection,
            overdue=overdue(current, _today(at)),
        )
    )  # fmt: skip
    before = current.state
    current.state = STEPS[step].target.value
    current.updated_at = at
    return before


def _in_progress(member: Member, value: bool, reason: str) -> None:
    """Keep the member's "membership transfer in progress" standing (the exchange postpones such members,
    ``exchange.eligibility``) in step with the letter: set while a letter is out, cleared when it ends."""
    if member.transfer_in_progress != value:
        registry.member_update(
            actor=None, member=member, changes={"transfer_in_progress": value}, reason=reason[:100]
        )


@transaction.atomic
def transfer_create(
    *,
    actor: Any,
    member: Member,
    kind: str,
    to_cell: Organisation,
    decided_on: dt.date,
    reason: str,
    until: dt.date | None = None,
    at: datetime | None = None,
) -> Transfer:
    """Draft a transfer of ``member`` (in the actor's scope) to ``to_cell`` (anywhere, for an official or
    temporary transfer; in the member's grassroots organisation for an internal one).

    Raises:
        OutOfScope: the member is outside the actor's scope, or the role may not change transfers.
        MemberNotTransferable: not an active member, under inspection or complaint review, or a transfer
            of theirs is already open.
        DestinationInvalid: the destination does not fit.
        DomainError: no reason, a decision dated in the future, or one whose start deadline has passed.
    """
    at = at or clock.now()
    today = _today(at)
    scope_require(actor, Action.CHANGE_TRANSFER, member, field="member")
    current = Member.objects.select_for_update().select_related("organisation").get(pk=member.pk)
    if current.status not in ACTIVE_STATUSES:
        raise MemberNotTransferable(_("Only a probationary or official member is transferred."))
    if current.under_inspection:
        raise MemberNotTransferable(problem_message(Problem.UNDER_INSPECTION))
    if Transfer.objects.filter(member=current, state__in=[s.value for s in OPEN_STATES]).exists():
        raise MemberNotTransferable(_("The member already has a transfer in progress."))
    if kind not in Kind.values:
        raise DomainError(_("Choose the kind of transfer."), field="kind")
    destination = Organisation.objects.get(pk=to_cell.pk)
    source = current.organisation
    if not destination.holds_members or destination.dissolved_on is not None:
        raise DestinationInvalid(_("The destination must be a party cell that is not dissolved."))
    if destination.pk == source.pk:
        raise DestinationInvalid(_("The member already belongs to %(name)s.") % {"name": destination.name})
    same_grassroots = grassroots_of(source).pk == grassroots_of(destination).pk
    if kind == Kind.INTERNAL and not same_grassroots:
        raise DestinationInvalid(
            _("An internal transfer is between cells of the same grassroots party organisation.")
        )
    if kind != Kind.INTERNAL and same_grassroots:
        raise DestinationInvalid(
            _("Both cells are in the same grassroots party organisation: make it an internal transfer.")
        )
    if not reason.strip():
        raise DomainError(_("Give the reason."), field="reason")
    if decided_on > today:
        raise DomainError(_("The decision's date cannot be in the future."), field="decided_on")
    start_by = deadlines.start_deadline(decided_on, _days("TRANSFER_START_WORKING_DAYS", 60))
    if today > start_by:
        raise DomainError(
            _("The transfer had to start by %(date)s (60 working days after the decision).")
            % {"date": start_by.strftime("%d/%m/%Y")},
            field="decided_on",
        )
    if until is not None and (kind != Kind.TEMPORARY or until <= decided_on):
        raise DomainError(_("Only a temporary transfer has an end date, after the decision."), field="until")
    transfer = Transfer(
        member=current, kind=kind, from_cell=source, to_cell=destination,
        committee=sending_committee(kind, source, destination), path=source.path, to_path=destination.path,
        state=State.DRAFTED.value, reason=reason.strip(), decided_on=decided_on, start_deadline=start_by,
        until=until, created_by=actor, created_at=at, updated_at=at,
    )  # fmt: skip
    transfer.full_clean(exclude=["letter_pdf", "letter_signature"])
    transfer.save()
    _record(
        transfer, step="create", state_from="", side=Side.SENDING, actor=actor, at=at, note=transfer.reason
    )
    return transfer


def _place(committee: Organisation) -> str:
    """The place line's name: the province's (or committee's) name without its "Đảng bộ …" title."""
    top = next((o for o in ancestors(committee) if o.level == OrgLevel.CENTRAL_COMMITTEE), committee)
    name = top.name
    for title in ("Đảng bộ thành phố ", "Đảng bộ tỉnh ", "Đảng bộ "):
        if name.startswith(title):
            return name[len(title) :]
    return name


@transaction.atomic
def transfer_issue(
    *, actor: Any, transfer: Transfer, at: datetime | None = None, store: KeyStore | None = None
) -> Transfer:
    """Issue the introduction letter: the next number of the sending committee's year, the PDF, and the
    document signer's signature over it; the present deadline starts. The sending committee's officers
    (or those above) issue it.

    Raises:
        OutOfScope: not visible to the actor, or the actor is not at (or above) the sending committee.
        StepRefused: not drafted, the start deadline passed, or the member is under inspection.
        LetterUnsigned: nothing can sign now.
    """
    at = at or clock.now()
    current = _locked(actor, transfer)
    member = Member.objects.select_for_update().get(pk=current.member_id)
    before = _step(actor, current, Step.ISSUE, at, under_inspection=member.under_inspection)
    today = _today(at)
    seq = letter_number_take(committee=current.committee, year=today.year)
    current.letter_year, current.letter_seq = today.year, seq
    current.number = letter_number(seq, current.committee)
    current.issued_on = today
    current.present_deadline = deadlines.present_deadline(today, _days("TRANSFER_PRESENT_WORKING_DAYS", 30))
    card = card_in_use(member)
    parents = [o for o in ancestors(current.committee) if o.level != OrgLevel.CENTRE]
    data = documents.LetterData(
        committee=current.committee.name, parent=parents[-2].name if len(parents) > 1 else "",
        number=current.number, place=_place(current.committee), issued_on=today, kind=current.kind,
        member=member.full_name, date_of_birth=member.date_of_birth, member_status=member.status,
        card_number=card.number if card else "", file_number=member.file_number or "",
        from_cell=current.from_cell.name, to_cell=current.to_cell.name,
        to_committee=receiving_committee(current.kind, current.from_cell, current.to_cell).name,
        reason=current.reason, decided_on=current.decided_on, present_by=current.present_deadline,
        until=current.until, signer="",
    )  # fmt: skip
    try:
        signer = letter_signer(at)
        pdf = documents.letter_pdf(replace(data, signer=signer_name(signer.certificate)))
        signed = letter_sign(pdf, number=current.number, at=at, signer=signer, store=store)
    except SigningUnavailable as e:
        raise LetterUnsigned(e.message) from e
    current.letter_pdf, current.letter_signature, current.letter_sha256 = pdf, signed.signature, signed.sha256
    current.save()
    _in_progress(member, True, f"Chuyển sinh hoạt đảng {current.number}")
    _record(current, step=Step.ISSUE, state_from=before, side=Side.SENDING, actor=actor, at=at)
    return current


def _vietnamese() -> bool:
    return (get_language() or settings.LANGUAGE_CODE).startswith("vi")


@transaction.atomic
def transfer_receive(
    *,
    actor: Any,
    transfer: Transfer,
    qr: str | None = None,
    sd_jwt: str | None = None,
    audience: str | None = None,
    nonce: str | None = None,
    at: datetime | None = None,
) -> Transfer:
    """The receiving cell receives the member: the letter presented in time, and the member's e-card shown
    and checked here, the rotating QR (PC1R) or an SD-JWT presentation with its key binding to ``audience``
    and ``nonce`` (``verify``): valid now, and **this** member's card in use.

    Raises:
        OutOfScope: not visible, or the actor is not on the receiving side.
        StepRefused: not issued, or the present deadline passed.
        CardNotAccepted: no e-card, an invalid one, or not this member's valid card.
    """
    at = at or clock.now()
    current = _locked(actor, transfer)
    before = _step(actor, current, Step.RECEIVE, at)
    qr, sd_jwt = (qr or "").strip() or None, (sd_jwt or "").strip() or None
    if (qr is None) == (sd_jwt is None) or (sd_jwt is not None and not (audience and nonce)):
        raise CardNotAccepted(_("Scan the member's e-card (its QR code), or paste its presentation."))
    try:
        verdict = verdict_for(qr=qr, sd_jwt=sd_jwt, audience=audience, nonce=nonce, at=at)
    except SigningUnavailable as e:
        raise CardNotAccepted(e.message) from e
    if not verdict.ok:
        words = "; ".join(r.message_vi if _vietnamese() else r.message_en for r in verdict.reasons)
        raise CardNotAccepted(_("The e-card is not valid: %(reasons)s") % {"reasons": words})
    number = verdict.holder.get("card_number", "")
    member = Member.objects.get(pk=current.member_id)
    card = card_in_use(member)
    valid = Credential.objects.filter(
        member=member, card_number=number, status=CredentialStatus.VALID
    ).exists()
    if not number or card is None or card.number != number or not valid:
        raise CardNotAccepted(_("This e-card is not the valid card of the member being transferred."))
    current.card_number = number
    current.save()
    _record(
        current, step=Step.RECEIVE, state_from=before, side=Side.RECEIVING, actor=actor, at=at, note=number
    )
    return current


@transaction.atomic
def transfer_complete(*, actor: Any, transfer: Transfer, at: datetime | None = None) -> Transfer:
    """Complete the transfer on the receiving side. Official and internal: the member moves to the
    receiving cell (``registry.services.member_transfer`` as the system, module docstring), their case and
    card following. Temporary: the official cell stays; the completed transfer records the temporary cell
    (``selectors.temporary_cell``).

    Raises:
        OutOfScope: not visible, or the actor is not on the receiving side.
        StepRefused: not received, or the member is under inspection or complaint review.
        MemberNotTransferable: the member left the sending cell or the Party meanwhile.
    """
    at = at or clock.now()
    current = _locked(actor, transfer)
    member = Member.objects.select_for_update().get(pk=current.member_id)
    before = _step(actor, current, Step.COMPLETE, at, under_inspection=member.under_inspection)
    if member.status not in ACTIVE_STATUSES or member.organisation_id != current.from_cell_id:
        raise MemberNotTransferable(_("The member is no longer an active member of the sending cell."))
    who = getattr(actor, "username", "") if actor else ""
    if current.kind == Kind.TEMPORARY:
        _in_progress(member, False, f"Chuyển sinh hoạt đảng tạm thời {current.number}")
    else:
        registry.member_transfer(
            actor=None, member=member, to_cell=current.to_cell,
            reason=f"Chuyển sinh hoạt đảng {current.number}, xác nhận: {who}",
        )  # fmt: skip
    current.save()
    _record(current, step=Step.COMPLETE, state_from=before, side=Side.RECEIVING, actor=actor, at=at)
    return current


def _close(actor: Any, transfer: Transfer, step: Step, reason: str, at: datetime | None) -> Transfer:
    at = at or clock.now()
    current = _locked(actor, transfer)
    before = _step(actor, current, step, at, reason=reason)
    current.closing_reason = reason.strip()[:300]
    current.save()
    if before != State.DRAFTED:
        _in_progress(Member.objects.get(pk=current.member_id), False, f"{step} {current.number}")
    _record(current, step=step, state_from=before, side=STEPS[step].side, actor=actor, at=at, note=reason)
    return current


@transaction.atomic
def transfer_cancel(*, actor: Any, transfer: Transfer, reason: str, at: datetime | None = None) -> Transfer:
    """Withdraw the transfer on the sending side, with a reason, before the member is received.

    Raises:
        OutOfScope: not visible, or not on the sending side.
        StepRefused: already received or closed, or no reason.
    """
    return _close(actor, transfer, Step.CANCEL, reason, at)


@transaction.atomic
def transfer_refuse(*, actor: Any, transfer: Transfer, reason: str, at: datetime | None = None) -> Transfer:
    """Refuse the transfer on the receiving side, with a reason.

    Raises:
        OutOfScope: not visible, or not on the receiving side.
        StepRefused: not issued or received, or no reason.
    """
    return _close(actor, transfer, Step.REFUSE, reason, at)


def transfers_expire(*, at: datetime | None = None) -> int:
    """Expire, as the system, every transfer whose deadline has passed: drafted past its start deadline,
    issued past its present deadline (the job ``partycard transfers_expire`` runs this daily; the pages
    show an overdue transfer as such before it runs). Returns how many expired."""
    at = at or clock.now()
    today = _today(at)
    due = Transfer.objects.filter(state=State.DRAFTED, start_deadline__lt=today) | Transfer.objects.filter(
        state=State.ISSUED, present_deadline__lt=today
    )
    count = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            current = Transfer.objects.select_for_update().get(pk=pk)
            if not overdue(current, today):
                continue  # moved on meanwhile
            before = current.state
            current.state, current.updated_at = State.EXPIRED.value, at
            current.closing_reason = "deadline"
            current.save()
            if before != State.DRAFTED:
                _in_progress(Member.objects.get(pk=current.member_id), False, f"expire {current.number}")
            _record(current, step=Step.EXPIRE, state_from=before, side=Side.SYSTEM, actor=None, at=at)
            count += 1
    return count
