from partycard.cards.models.card import Card, CardEvent
from partycard.cards.models.status_list import StatusListRecord

__all__ = ["Card", "CardEvent", "StatusListRecord"]
