"""Reads of the member's app: the member's own record, cards and devices, and a member's devices for the
officers who may revoke them. Each starts from ``objects.scoped(actor, action)``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from partycard.accounts.roles import Action
from partycard.cards.models import Card, CardEvent
from partycard.cards.selectors import card_history, member_cards
from partycard.core.scope import get_scoped_or_404
from partycard.memberapp.models import Device
from partycard.registry.models import Member

__all__ = ["device_get", "device_list", "own_cards", "own_member"]


def own_member(actor: Any) -> Member | None:
    """The actor's own member record (a member's account), or None (an officer, an unlinked account)."""
    member_id = getattr(actor, "member_id", None)
    if member_id is None:
        return None
    return (
        Member.objects.scoped(actor, Action.VIEW_MEMBER)
        .filter(pk=member_id)
        .select_related("organisation")
        .first()
    )


def own_cards(actor: Any, member: Member) -> list[tuple[Card, list[CardEvent]]]:
    """The member's cards the actor may see, newest first, each with its history (production to
    hand-over and after)."""
    return [(card, list(card_history(card))) for card in member_cards(actor, member)]


def device_list(actor: Any, member: Member, action: str = Action.VIEW_DEVICE) -> QuerySet[Device]:
    """``member``'s devices the actor may see with ``action``, newest first."""
    return (
        Device.objects.scoped(actor, action)
        .filter(member=member)
        .select_related("credential", "revoked_by")
        .order_by("-created_at", "-id")
    )


def device_get(actor: Any, pk: int, action: str = Action.VIEW_DEVICE) -> Device:
    """The device ``pk`` in the actor's scope for ``action``, or the same 404 as a missing one."""
    return get_scoped_or_404(Device, actor, action, pk=pk)
