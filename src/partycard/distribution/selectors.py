"""Reads of distribution: the level an organisation holds cards at, shipments to receive and sent, the
cards waiting at a cell, a member's hand-overs to confirm, the register's rows, the documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from partycard.accounts.roles import Action
from partycard.cards.lifecycle import CardKind, CardLevel, CardState, CardTransition
from partycard.cards.models import Card, CardEvent
from partycard.distribution.choices import HandOverMethod, ShipmentState
from partycard.distribution.documents import RegisterRow
from partycard.distribution.models import HandOver, Shipment
from partycard.distribution.shipment_code import code_normalise
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Organisation

__all__ = [
    "LEVEL_OF_ORG",
    "cards_at_cell",
    "deciding_cards",
    "handovers_to_confirm",
    "level_of",
    "register_rows",
    "shipment_get",
    "shipments_sent",
    "shipments_to_receive",
]

# The level at which an organisation holds travelling cards (``cards.selectors.card_route``): a grassroots
# cell stands on the route as the cell; a sub-committee is not on it.
LEVEL_OF_ORG: dict[int, CardLevel] = {
    OrgLevel.CENTRE: CardLevel.CENTRE,
    OrgLevel.CENTRAL_COMMITTEE: CardLevel.PROVINCE,
    OrgLevel.COMMUNE: CardLevel.UPPER,
    OrgLevel.GRASSROOTS_COMMITTEE: CardLevel.GRASSROOTS,
    OrgLevel.GRASSROOTS_CELL: CardLevel.CELL,
    OrgLevel.CELL: CardLevel.CELL,
}


def level_of(org: Organisation) -> CardLevel | None:
    return LEVEL_OF_ORG.get(org.level)


def shipment_get(actor: Any, code: str) -> Shipment:
    """The shipment with this code (typed or scanned) in the actor's scope; else the 404 of a missing one."""
    from django.http import Http404
    from django.utils.translation import gettext as _

    found = (
        Shipment.objects.scoped(actor, Action.VIEW_CARD)
        .select_related("from_org", "to_org")
        .filter(code=code_normalise(code) or "-")
        .first()
    )
    if found is None:
        raise Http404(_("No such record."))
    return found


def shipments_to_receive(actor: Any, org: Organisation) -> QuerySet[Shipment]:
    return (
        Shipment.objects.scoped(actor, Action.VIEW_CARD)
        .filter(to_org=org, state__in=[ShipmentState.SENT, ShipmentState.RECEIVING])
        .select_related("from_org", "to_org")
    )


def shipments_sent(actor: Any, org: Organisation) -> QuerySet[Shipment]:
    return Shipment.objects.scoped(actor, Action.VIEW_CARD).filter(from_org=org).select_related("to_org")


def cards_at_cell(actor: Any, cell: Organisation) -> QuerySet[Card]:
    """New cards received at the cell for its members, not handed over yet: the meeting's list."""
    return (
        Card.objects.scoped(actor, Action.VIEW_CARD)
        .filter(holder=cell, state=CardState.RECEIVED, kind=CardKind.NEW, member__organisation=cell)
        .exclude(pk__in=HandOver.objects.values("card_id"))
        .select_related("member")
        .order_by("member__name_search", "pk")
    )


def handovers_to_confirm(actor: Any) -> QuerySet[HandOver]:
    """The actor's own new cards handed over at a meeting and waiting for their confirmation."""
    member_id = getattr(actor, "member_id", None)
    if member_id is None:
        return HandOver.objects.none()
    return (
        HandOver.objects.scoped(actor, Action.VIEW_CARD)
        .filter(method=HandOverMethod.PHONE, confirmed_at__isnull=True, member_id=int(member_id))
        .select_related("card", "meeting__cell")
    )


def deciding_cards(committee: Organisation) -> QuerySet[Card]:
    """The new cards the committee decides (Regulation 06-QĐ/TW: the committee directly above the
    grassroots): its subtree, less the subtrees of nearer such committees inside it (the Army's tiers)."""
    cards = Card.objects.filter(kind=CardKind.NEW, path__startswith=committee.path).exclude(
        state__in=[CardState.ALLOCATED, CardState.IN_PRODUCTION]
    )
    nested = Organisation.objects.filter(path__startswith=committee.path, level=OrgLevel.COMMUNE).exclude(
        pk=committee.pk
    )
    for inner in nested.values_list("path", flat=True):
        cards = cards.exclude(path__startswith=inner)
    return cards


def register_rows(committee: Organisation) -> Iterator[RegisterRow]:
    """The register's rows, by cell then member: the date the committee received each card and the date
    the cell handed it over, from the cards' history."""
    cards = (
        deciding_cards(committee)
        .select_related("member__organisation")
        .order_by("member__organisation__path", "member__name_search", "number")
    )
    for batch in _batches(cards.iterator(chunk_size=2000), 2000):
        ids = [c.pk for c in batch]
        received = dict(
            CardEvent.objects.filter(
                card_id__in=ids, transition=CardTransition.RECEIVE, holder=committee
            ).values_list("card_id", "at")
        )
        handed = dict(
            CardEvent.objects.filter(card_id__in=ids, transition=CardTransition.HAND_OVER).values_list(
                "card_id", "at"
            )
        )
        for c in batch:
            yield RegisterRow(
                card_number=c.number,
                name=c.member.full_name,
                date_of_birth=c.member.date_of_birth,
                cell=c.member.organisation.name,
                received_on=_local_day(received.get(c.pk)),
                handed_on=_local_day(handed.get(c.pk)),
            )


def _local_day(at: Any) -> Any:
    from django.utils import timezone

    return timezone.localtime(at).date() if at is not None else None


def _batches(items: Iterator[Card], size: int) -> Iterator[list[Card]]:
    batch: list[Card] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
