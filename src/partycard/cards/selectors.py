"""Reads of cards: a card by number, a member's cards, the member's card in use, and a card's way down
the tree (which organisation stands at each level between the Centre and the member's cell)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from partycard.accounts.roles import Action, Role
from partycard.cards.lifecycle import ACTIVE_LIKE, CardKind, CardLevel, CardState
from partycard.cards.models import Card, CardEvent
from partycard.core.scope import get_scoped_or_404, role_of
from partycard.registry.choices import OrgLevel
from partycard.registry.models import Member, Organisation
from partycard.registry.models.organisation import PATH_SEPARATOR

__all__ = [
    "ROLE_AT",
    "card_actor_levels",
    "card_get",
    "card_history",
    "card_in_use",
    "card_route",
    "cards_waiting_at_cell",
    "member_cards",
]

# The role that acts for a card at each level (accounts.roles.Role).
ROLE_AT: dict[CardLevel, str] = {
    CardLevel.CENTRE: Role.CENTRAL_ADMIN,
    CardLevel.PROVINCE: Role.COMMITTEE_OFFICER,
    CardLevel.UPPER: Role.COMMITTEE_OFFICER,
    CardLevel.GRASSROOTS: Role.GRASSROOTS_OFFICER,
    CardLevel.CELL: Role.CELL_SECRETARY,
}
_LEVEL_OF_ORG: dict[int, CardLevel] = {
    OrgLevel.CENTRE: CardLevel.CENTRE,
    OrgLevel.CENTRAL_COMMITTEE: CardLevel.PROVINCE,
    OrgLevel.COMMUNE: CardLevel.UPPER,
    OrgLevel.GRASSROOTS_COMMITTEE: CardLevel.GRASSROOTS,
    OrgLevel.GRASSROOTS_CELL: CardLevel.GRASSROOTS,
}


def card_get(actor: Any, number: str, action: str = Action.VIEW_CARD) -> Card:
    """The card numbered ``number`` in the actor's scope, or the same 404 as a missing one."""
    return get_scoped_or_404(Card, actor, action, number=number)


def member_cards(actor: Any, member: Member) -> QuerySet[Card]:
    """Every card of ``member`` the actor may see, newest first."""
    return (
        Card.objects.scoped(actor, Action.VIEW_CARD)
        .filter(member=member)
        .select_related("holder")
        .order_by("-created_at", "-id")
    )


def card_history(card: Card) -> QuerySet[CardEvent]:
    return card.events.select_related("actor", "holder").order_by("at", "id")


def card_in_use(member: Member) -> Card | None:
    """The member's new card in use (handed over and not lost, revoked or replaced), or None.

    Only the new chip card counts: the e-card is issued for it alone (issue 13), never for the old one.
    """
    return (
        Card.objects.filter(member=member, kind=CardKind.NEW, state__in=[s.value for s in ACTIVE_LIKE])
        .order_by("-created_at")
        .first()
    )


def card_route(cell: Organisation) -> list[tuple[CardLevel, Organisation]]:
    """The organisations a card passes from the Centre down to ``cell``, each with its level.

    The committee directly above the grassroots is the **nearest** commune-level ancestor (the Army and
    Public Security have several such tiers); the province is the committee directly under the Centre.
    A grassroots cell stands at both the grassroots and the cell level: it appears once, as the cell.
    """
    parts = cell.path.split(PATH_SEPARATOR)[:-1]  # a path ends with the separator
    prefixes = [PATH_SEPARATOR.join(parts[: n + 1]) + PATH_SEPARATOR for n in range(len(parts))]
    ancestors = sorted(
        Organisation.objects.filter(path__in=prefixes).exclude(pk=cell.pk), key=lambda o: len(o.path)
    )
    route: dict[CardLevel, Organisation] = {}
    for org in ancestors:  # top-down: a nearer commune-level committee replaces a farther one
        level = _LEVEL_OF_ORG.get(org.level)
        if level is not None:
            route[level] = org
    if cell.level == OrgLevel.GRASSROOTS_CELL:
        route.pop(CardLevel.GRASSROOTS, None)
    ordered = [(lv, route[lv]) for lv in CardLevel if lv in route]
    return [*ordered, (CardLevel.CELL, cell)]


def card_actor_levels(actor: Any, route: list[tuple[CardLevel, Organisation]]) -> frozenset[CardLevel]:
    """The levels at which ``actor`` stands for a card on ``route``: their role is the one acting at a
    level and their organisation is the one standing there (a central administrator placed at the
    Centre, or at no organisation, stands at the Centre)."""
    role = role_of(actor)
    org = getattr(actor, "organisation", None)
    levels: set[CardLevel] = set()
    if role == Role.CENTRAL_ADMIN and (org is None or org.level == OrgLevel.CENTRE):
        levels.add(CardLevel.CENTRE)
    for level, holder in route:
        if level is CardLevel.CENTRE or org is None or holder.pk != org.pk:
            continue
        if ROLE_AT[level] == role:
            levels.add(level)
        if (
            level is CardLevel.CELL
            and holder.level == OrgLevel.GRASSROOTS_CELL
            and role == Role.CELL_SECRETARY
        ):
            levels.add(CardLevel.GRASSROOTS)  # the secretary of a grassroots cell also acts for it
    return frozenset(levels)


def cards_waiting_at_cell(actor: Any, cell: Organisation, *, recover_old: bool = True) -> QuerySet[Card]:
    """The cards whose next step is the cell's: new cards received at the cell (to hand over at its
    meeting, Regulation 06-QĐ/TW), and its members' cards to take back: revoked ones (DOMAIN.md: on
    expulsion or removal "the cell recovers the card and sends it up") and replaced ones (the old card,
    when the campaign recovers old cards: ``Campaign.recover_old_cards``)."""
    replaced = (
        Q(state=CardState.SUPERSEDED) if recover_old else Q(state=CardState.SUPERSEDED, kind=CardKind.NEW)
    )
    to_recover = Q(path=cell.path) & (Q(state=CardState.REVOKED) | replaced)
    return (
        Card.objects.scoped(actor, Action.VIEW_CARD)
        .filter(Q(holder=cell, state=CardState.RECEIVED) | to_recover)
        .select_related("member__organisation", "holder")
        .order_by("member__name_search", "pk")
    )
