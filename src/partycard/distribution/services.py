"""Writes of distribution: shipments sent and received, meetings and hand-overs, the issuance register,
the destruction of recovered cards, and a card re-routed after its member's transfer.

Every write is keyword-only, takes ``actor``, checks the scope of what it changes and of the organisations
it names (``core.scope.scope_require``: another province's shipment is the same 404 as a missing one),
checks that the actor is the officer acting at that level (``cards.selectors.card_actor_levels``), and
records its audit row in the same transaction. The cards themselves move only through ``cards.services``
(its rules stay there); bulk work is a job (``jobs.py``) whose chunks each commit once, run here at once
when small (``PARTYCARD["DISTRIBUTION_INLINE"]``) or by the worker.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.cards.lifecycle import CardKind, CardLevel, CardState, CardTransition, route_next
from partycard.cards.models import Card
from partycard.cards.selectors import card_actor_levels, card_route
from partycard.cards.services import REROUTE, card_reroute, card_transition
from partycard.core import clock
from partycard.core.scope import OutOfScope, scope_require
from partycard.distribution import jobs
from partycard.distribution.choices import HandOverMethod, IncidentKind, ShipmentState
from partycard.distribution.errors import (
    NothingToDo,
    NotStandingHere,
    NotTheReceiver,
    ShipmentNotOpen,
    UnknownNumbers,
    WrongCell,
)
from partycard.distribution.models import (
    DestroyedCard,
    DestructionRecord,
    HandOver,
    IssuanceRegister,
    Meeting,
    Shipment,
    ShipmentCard,
    ShipmentIncident,
)
from partycard.distribution.selectors import deciding_cards, level_of
from partycard.distribution.shipment_code import code_new, code_normalise
from partycard.exchange.models import Campaign
from partycard.exchange.selectors import campaign_current
from partycard.jobs.models import Job
from partycard.jobs.services import job_create, job_run
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation

__all__ = [
    "SendOutcome",
    "destruction_start",
    "handover_confirm",
    "handover_record",
    "meeting_open",
    "register_start",
    "reroute_ship",
    "shipment_receive",
    "shipments_plan",
    "shipments_send",
]


def _stand_at(actor: Any, org: Organisation, level: CardLevel | None = None) -> CardLevel:
    """The card level at which ``actor`` acts for ``org`` (its officer, in that level's role), or refuse."""
    level = level or level_of(org)
    if level is None or level not in card_actor_levels(actor, [(level, org)]):
        raise NotStandingHere()
    return level


def _inline() -> int:
    return int(settings.PARTYCARD["DISTRIBUTION_INLINE"])


def _start(job: Job, *, run: bool | None, defer: bool = False) -> Job:
    """Run a small job here and now (``run`` None: when it is small), or hand it to the worker; with
    ``defer``, neither (the command line runs it with its progress bar)."""
    if defer:
        return job
    if run is None:
        run = job.total <= _inline()
    if run:
        return job_run(job.pk)
    from partycard.jobs.tasks import job_enqueue

    transaction.on_commit(lambda: job_enqueue(job.pk))
    return job


# ---- shipments ------------------------------------------------------------------------------------


def shipments_plan(actor: Any, from_org: Organisation) -> tuple[dict[int, list[int]], list[int]]:
    """The cards ``from_org`` holds and may send (produced at the Centre, or received here), grouped by
    the next holder on each card's way (organisation id → card ids); and the cards off their member's way
    (the member was transferred while the card travelled: re-route them, :func:`reroute_ship`)."""
    level = level_of(from_org)
    cards = (
        Card.objects.filter(
            holder=from_org, kind=CardKind.NEW, state__in=[CardState.PRODUCED, CardState.RECEIVED]
        )
        .exclude(pk__in=ShipmentCard.objects.filter(shipment__state=ShipmentState.PACKING).values("card_id"))
        .select_related("member__organisation")
        .order_by("pk")
    )
    if level is not None:
        cards = cards.filter(level=level)
    groups: dict[int, list[int]] = {}
    off_route: list[int] = []
    routes: dict[int, list[tuple[CardLevel, Organisation]]] = {}
    for card in cards.iterator(chunk_size=2000):
        cell = card.member.organisation
        route = routes.get(cell.pk) or routes.setdefault(cell.pk, card_route(cell))
        here = dict(route).get(CardLevel(card.level)) if card.level else None
        following = route_next([lv for lv, _o in route], CardLevel(card.level)) if here else None
        if here is None or here.pk != from_org.pk or following is None:
            if here is None or here.pk != from_org.pk:
                off_route.append(card.pk)
            continue
        groups.setdefault(dict(route)[following].pk, []).append(card.pk)
    return groups, off_route


@dataclass
class SendOutcome:
    job: Job | None
    shipments: list[Shipment] = field(default_factory=list)
    off_route: list[int] = field(default_factory=list)


def shipments_send(
    *,
    actor: Any,
    from_org: Organisation,
    card_ids: Sequence[int] | None = None,
    chunk: int | None = None,
    run: bool | None = None,
    defer: bool = False,
) -> SendOutcome:
    """Send the cards ``from_org`` holds (all of them, or those of ``card_ids``) down their way: one
    shipment per next holder, each with its own code and label, the cards moved by a job (here at once
    when small).

    Raises:
        OutOfScope: ``from_org`` or a destination is outside the actor's scope.
        NotStandingHere: the actor is not ``from_org``'s officer at its level.
        NothingToDo: no card to send.
    """
    scope_require(actor, Action.CHANGE_CARD, from_org)
    level = _stand_at(actor, from_org)
    groups, off_route = shipments_plan(actor, from_org)
    if card_ids is not None:
        wanted = set(card_ids)
        groups = {to: kept for to, ids in groups.items() if (kept := [i for i in ids if i in wanted])}
    if not groups:
        raise NothingToDo(_("There is no card here to send down."))
    destinations = {o.pk: o for o in Organisation.objects.filter(pk__in=list(groups))}
    scope_require(actor, Action.CHANGE_CARD, *destinations.values())
    at = clock.now()
    with transaction.atomic():
        shipments = []
        for to_id, ids in sorted(groups.items()):
            to_org = destinations[to_id]
            to_level = level_of(to_org)
            assert to_level is not None  # the next holder on a route stands at a level
            shipments.append(
                Shipment.objects.create(
                    code=code_new(), from_org=from_org, from_level=level, to_org=to_org,
                    to_level=to_level, path=to_org.path, state=ShipmentState.PACKING,
                    count_sent=len(ids), count_pending=len(ids), created_at=at, sent_by=_who(actor),
                )
            )  # fmt: skip
        pairs = [[card_id, s.pk] for s in shipments for card_id in groups[s.to_org_id]]
        params: dict[str, Any] = {"pairs": pairs, "from_org": from_org.pk}
        if chunk:
            params["chunk"] = chunk
        job = job_create(actor=actor, kind=jobs.SEND, params=params)
        Shipment.objects.filter(pk__in=[s.pk for s in shipments]).update(job=job)
        for s in shipments:
            audit_record(
                actor=actor, action="distribution.shipment_send", obj=s,
                changes={"code": s.code, "from": from_org.pk, "to": s.to_org_id, "count": s.count_sent,
                         "job": job.pk},
            )  # fmt: skip
    job = _start(job, run=run, defer=defer)
    return SendOutcome(job, [Shipment.objects.get(pk=s.pk) for s in shipments], off_route)


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def shipment_receive(
    *,
    actor: Any,
    code: str,
    counted: int,
    missing_numbers: Sequence[str] = (),
    extra_numbers: Sequence[str] = (),
    chunk: int | None = None,
    run: bool | None = None,
    defer: bool = False,
) -> Shipment:
    """The receiving organisation's officer received the shipment ``code`` (scanned from its label's QR
    or typed): ``counted`` cards in the parcel, and the numbers of those missing, and of any card found that
    is not on it. Each difference is a recorded incident; the cards present move to received (a job, here
    at once when small); a missing card stays in transit, for the committee to find or report lost.

    Raises:
        OutOfScope: no such shipment in the actor's scope (another province's is the same 404).
        NotTheReceiver: the actor is not the officer of the organisation it was sent to.
        ShipmentNotOpen: it is not waiting to be received.
        UnknownNumbers: a "missing" number not on it, or an "extra" one that is.
    """
    normalised = code_normalise(code)
    with transaction.atomic():
        shipment = (
            Shipment.objects.scoped(actor, Action.CHANGE_CARD)
            .select_for_update(of=("self",))
            .select_related("to_org")
            .filter(code=normalised)
            .first()
            if normalised
            else None
        )
        if shipment is None:
            raise OutOfScope("code")
        scope_require(actor, Action.CHANGE_CARD, shipment, shipment.to_org)
        to_level = CardLevel(shipment.to_level)
        if to_level not in card_actor_levels(actor, [(to_level, shipment.to_org)]):
            raise NotTheReceiver()
        if shipment.state != ShipmentState.SENT:
            raise ShipmentNotOpen()
        items = dict(ShipmentCard.objects.filter(shipment=shipment).values_list("card__number", "card_id"))
        missing = sorted({n.strip() for n in missing_numbers if n.strip()})
        extra = sorted({n.strip() for n in extra_numbers if n.strip()})
        if unknown := [n for n in missing if n not in items]:
            raise UnknownNumbers("missing_numbers", unknown)
        if listed := [n for n in extra if n in items]:
            raise UnknownNumbers("extra_numbers", listed)
        at = clock.now()
        incidents = []
        if counted != shipment.count_sent:
            incidents.append(
                ShipmentIncident(shipment=shipment, kind=IncidentKind.COUNT_MISMATCH,
                                 expected=shipment.count_sent, counted=counted, by=_who(actor), at=at)
            )  # fmt: skip
        if missing:
            incidents.append(ShipmentIncident(shipment=shipment, kind=IncidentKind.MISSING_CARD,
                                              numbers=missing, by=_who(actor), at=at))  # fmt: skip
        if extra:
            incidents.append(ShipmentIncident(shipment=shipment, kind=IncidentKind.EXTRA_CARD,
                                              numbers=extra, by=_who(actor), at=at))  # fmt: skip
        ShipmentIncident.objects.bulk_create(incidents)
        missing_ids = {items[n] for n in missing}
        ShipmentCard.objects.filter(shipment=shipment, card_id__in=missing_ids).update(missing=True)
        to_receive = sorted(set(items.values()) - missing_ids)
        shipment.counted = counted
        shipment.received_by = _who(actor)
        shipment.count_pending = len(to_receive)
        shipment.state = ShipmentState.RECEIVING if to_receive else ShipmentState.RECEIVED
        if not to_receive:
            shipment.received_at = at
        shipment.save(update_fields=["counted", "received_by", "count_pending", "state", "received_at"])
        audit_record(
            actor=actor, action="distribution.shipment_receive", obj=shipment,
            changes={"counted": counted, "expected": shipment.count_sent, "missing": missing, "extra": extra,
                     "incidents": [i.kind for i in incidents]},
        )  # fmt: skip
        job = None
        if to_receive:
            params: dict[str, Any] = {"shipment": shipment.pk, "cards": to_receive}
            if chunk:
                params["chunk"] = chunk
            job = job_create(actor=actor, kind=jobs.RECEIVE, params=params)
            shipment.job = job
            shipment.save(update_fields=["job"])
    if job is not None:
        _start(job, run=run, defer=defer)
    shipment.refresh_from_db()
    return shipment


def reroute_ship(*, actor: Any, number: str) -> Shipment:
    """Re-route a card off its member's way (``cards.services.card_reroute``: up to the lowest organisation
    on both the old and the new way) in a one-card shipment, received there like any other.

    Raises:
        OutOfScope, CardError: as ``card_reroute``.
    """
    card = Card.objects.filter(number=number.strip()).only("pk").first()
    if card is None:
        raise OutOfScope("number")
    with transaction.atomic():
        held_by = Card.objects.select_related("holder").get(pk=card.pk).holder
        from_level = Card.objects.get(pk=card.pk).level
        moved = card_reroute(actor=actor, card=card.pk)
        assert moved.holder is not None and held_by is not None
        at = clock.now()
        shipment = Shipment.objects.create(
            code=code_new(), from_org=held_by, from_level=from_level, to_org=moved.holder,
            to_level=moved.level, path=moved.holder.path, state=ShipmentState.SENT, count_sent=1,
            created_at=at, sent_at=at, sent_by=_who(actor),
        )  # fmt: skip
        ShipmentCard.objects.create(shipment=shipment, card=moved)
        audit_record(
            actor=actor, action="distribution.shipment_send", obj=shipment,
            changes={"code": shipment.code, "from": held_by.pk, "to": moved.holder_id, "count": 1,
                     "reason": REROUTE},
        )  # fmt: skip
    return shipment


# ---- the cell's meeting and the hand-over ----------------------------------------------------------


def meeting_open(*, actor: Any, cell: Organisation, held_on: dt.date) -> Meeting:
    """The cell's meeting on ``held_on`` (opened now, or the one already open that day).

    Raises:
        OutOfScope: the cell is outside the actor's scope.
        NotStandingHere: the actor is not the cell's secretary.
    """
    scope_require(actor, Action.CHANGE_CARD, cell)
    _stand_at(actor, cell, CardLevel.CELL)
    with transaction.atomic():
        meeting, created = Meeting.objects.get_or_create(
            cell=cell, held_on=held_on,
            defaults={"path": cell.path, "opened_by": _who(actor), "opened_at": clock.now()},
        )  # fmt: skip
        if created:
            audit_record(actor=actor, action="distribution.meeting_open", obj=meeting,
                         changes={"cell": cell.pk, "held_on": held_on.isoformat()})  # fmt: skip
    return meeting


def _recover_old(*, actor: Any, member_id: int, system: bool, campaign: Campaign | None) -> None:
    """Take back the member's cards the new one replaced (Regulation 06-QĐ/TW; DOMAIN.md: the cell recovers
    the card), the old 8-digit card only when the campaign recovers old cards."""
    replaced = Card.objects.filter(member_id=member_id, state=CardState.SUPERSEDED)
    if campaign is not None and not campaign.recover_old_cards:
        replaced = replaced.exclude(kind=CardKind.OLD)
    for card_id in replaced.values_list("pk", flat=True):
        card_transition(actor=actor, card=card_id, transition=CardTransition.RECOVER, system=system)


def handover_record(
    *,
    actor: Any,
    meeting: Meeting,
    card: Card,
    method: HandOverMethod | str,
    old_card_taken: bool = True,
) -> HandOver:
    """Record the hand-over of ``card`` to its member at ``meeting``. On a signed paper receipt the card is
    handed over now (``cards``' HAND_OVER: active, the old card superseded) and the old card, taken back,
    recovered; to be confirmed on the member's phone, the card stays received until the member confirms
    (:func:`handover_confirm`).

    Raises:
        OutOfScope: the meeting or the card is outside the actor's scope.
        WrongCell: the card is not waiting at this cell for one of its members.
        CardError: the card may not be handed over now (``cards.lifecycle``).
    """
    method = HandOverMethod(method)
    with transaction.atomic():
        meeting = _for_write(Meeting, actor, meeting.pk)
        scope_require(actor, Action.CHANGE_CARD, meeting.cell, card)
        _stand_at(actor, meeting.cell, CardLevel.CELL)
        locked = Card.objects.select_for_update(of=("self",)).select_related("member").get(pk=card.pk)
        if (
            locked.holder_id != meeting.cell_id
            or locked.member.organisation_id != meeting.cell_id
            or locked.state != CardState.RECEIVED
        ):
            raise WrongCell()
        campaign = campaign_current()
        taken = old_card_taken and (campaign is None or campaign.recover_old_cards)
        at = clock.now()
        handover = HandOver.objects.create(
            meeting=meeting, card=locked, member=locked.member, method=method, old_card_taken=taken,
            path=meeting.path, recorded_by=_who(actor), recorded_at=at,
        )  # fmt: skip
        audit_record(actor=actor, action="distribution.handover_record", obj=handover,
                     changes={"card": locked.pk, "method": method.value, "meeting": meeting.pk})  # fmt: skip
        if method is HandOverMethod.PAPER:
            card_transition(actor=actor, card=locked.pk, transition=CardTransition.HAND_OVER,
                            reason=f"meeting {meeting.held_on:%d/%m/%Y}")  # fmt: skip
            handover.confirmed_at, handover.confirmed_by = at, _who(actor)
            handover.save(update_fields=["confirmed_at", "confirmed_by"])
            if taken:
                _recover_old(actor=actor, member_id=locked.member_id, system=False, campaign=campaign)
    return handover


def _for_write(model: Any, actor: Any, pk: int) -> Any:
    """The row for a write: in the actor's scope for changing cards, or OutOfScope (the same 404)."""
    found = (
        model.objects.scoped(actor, Action.CHANGE_CARD).filter(pk=pk).select_for_update(of=("self",)).first()
    )
    if found is None:
        raise OutOfScope()
    return found


def handover_confirm(*, actor: Any, handover_id: int) -> HandOver:
    """The member, logged in as themselves, confirms they received their new card: only then it becomes
    active (the cell recorded the hand-over at its meeting; the member's word completes it).

    The hand-over is the cell's step (``cards.lifecycle``: only the cell hands over), so the card's
    HAND_OVER is made in the name of the secretary who recorded it at the meeting, now that the member's
    confirmation completes it; the confirmation itself is the member's (``confirmed_by`` and its audit row).

    Raises:
        OutOfScope: not the actor's own hand-over waiting for confirmation (another member's is the same 404).
    """
    with transaction.atomic():
        handover = (
            HandOver.objects.scoped(actor, Action.VIEW_CARD)
            .select_for_update(of=("self",))
            .select_related("meeting", "recorded_by")
            .filter(pk=handover_id, method=HandOverMethod.PHONE, confirmed_at__isnull=True)
            .first()
        )
        member_id = getattr(actor, "member_id", None)
        if handover is None or member_id is None or handover.member_id != member_id:
            raise OutOfScope()
        officer = handover.recorded_by
        if officer is None:
            raise OutOfScope()  # the secretary who handed it over is gone: the cell records it again
        why = f"confirmed by the member, meeting {handover.meeting.held_on:%d/%m/%Y}"
        card_transition(actor=officer, card=handover.card_id, transition=CardTransition.HAND_OVER, reason=why)
        handover.confirmed_at, handover.confirmed_by = clock.now(), actor
        handover.save(update_fields=["confirmed_at", "confirmed_by"])
        audit_record(actor=actor, action="distribution.handover_confirm", obj=handover,
                     changes={"card": handover.card_id})  # fmt: skip
        if handover.old_card_taken:
            officer = handover.recorded_by
            _recover_old(
                actor=officer, member_id=member_id, system=officer is None, campaign=campaign_current()
            )
    return handover


# ---- the issuance register and the destruction -----------------------------------------------------


def register_start(
    *, actor: Any, committee: Organisation, run: bool | None = None, defer: bool = False
) -> IssuanceRegister:
    """Generate the card issuance register (sổ phát thẻ đảng viên) of ``committee``, the committee directly
    above the grassroots that decides the cards (Regulation 06-QĐ/TW): a job writing its PDF and .xlsx.

    Raises:
        OutOfScope: the committee is outside the actor's scope.
        NothingToDo: ``committee`` is not a committee directly above the grassroots.
    """
    scope_require(actor, Action.VIEW_CARD, committee)
    if committee.level != OrgLevel.COMMUNE:
        raise NothingToDo(_("The register is kept by the committee directly above the grassroots."))
    with transaction.atomic():
        register = IssuanceRegister.objects.create(
            committee=committee, path=committee.path, created_by=_who(actor), created_at=clock.now()
        )
        job = job_create(actor=actor, kind=jobs.REGISTER, params={"register": register.pk})
        register.job = job
        register.save(update_fields=["job"])
        audit_record(actor=actor, action="distribution.register", obj=register,
                     changes={"committee": committee.pk, "job": job.pk})  # fmt: skip
    rows = deciding_cards(committee).count()
    _start(job, run=run if run is not None else rows <= _inline(), defer=defer)
    register.refresh_from_db()
    return register


def destruction_start(
    *,
    actor: Any,
    committee: Organisation,
    destroyed_on: dt.date,
    council: str,
    card_ids: Sequence[int] | None = None,
    chunk: int | None = None,
    run: bool | None = None,
    defer: bool = False,
) -> DestructionRecord:
    """Destroy the recovered cards of ``committee``'s members (all, or those of ``card_ids``) and write the
    minutes (biên bản hủy thẻ đảng viên): a job, the cards in chunks, the minutes last.

    The destroying committee is the one that decided the cards (the committee directly above the grassroots,
    ``Campaign.destroy_old_cards``' help text; Regulation 06-QĐ/TW), or the Centre; old cards are destroyed
    only when the current campaign says so.

    Raises:
        OutOfScope: the committee is outside the actor's scope.
        NotStandingHere: the actor is not its officer.
        NothingToDo: no recovered card to destroy.
    """
    scope_require(actor, Action.CHANGE_CARD, committee)
    level = _stand_at(actor, committee)
    if level not in (CardLevel.UPPER, CardLevel.CENTRE):
        raise NotStandingHere()
    council = council.strip()
    if not council:
        raise NothingToDo(_("Name the members of the destruction council."))
    cards = _destroyable(committee, level)
    if card_ids is not None:
        cards = cards.filter(pk__in=list(card_ids))
    targets = sorted(cards.values_list("pk", flat=True))
    if not targets:
        raise NothingToDo(_("There is no recovered card to destroy."))
    with transaction.atomic():
        record = DestructionRecord.objects.create(
            committee=committee, path=committee.path, destroyed_on=destroyed_on, council=council[:4000],
            created_by=_who(actor), created_at=clock.now(),
        )  # fmt: skip
        params: dict[str, Any] = {"record": record.pk, "cards": targets}
        if chunk:
            params["chunk"] = chunk
        job = job_create(actor=actor, kind=jobs.DESTROY, params=params)
        record.job = job
        record.save(update_fields=["job"])
        audit_record(actor=actor, action="distribution.destruction", obj=record,
                     changes={"committee": committee.pk, "cards": len(targets), "job": job.pk})  # fmt: skip
    _start(job, run=run, defer=defer)
    record.refresh_from_db()
    return record


def _destroyable(committee: Organisation, level: CardLevel) -> QuerySet[Card]:
    cards = Card.objects.filter(state=CardState.RECOVERED).exclude(
        pk__in=DestroyedCard.objects.values("card_id")
    )
    cards = cards.filter(path__startswith=committee.path) if level is CardLevel.UPPER else cards
    if level is CardLevel.UPPER:
        nested = Organisation.objects.filter(path__startswith=committee.path, level=OrgLevel.COMMUNE).exclude(
            pk=committee.pk
        )
        for inner in nested.values_list("path", flat=True):
            cards = cards.exclude(path__startswith=inner)  # an inner committee decides (and destroys) its own
    campaign = campaign_current()
    if campaign is not None and not campaign.destroy_old_cards:
        cards = cards.exclude(kind=CardKind.OLD)
    return cards
