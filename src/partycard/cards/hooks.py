"""Who reacts when cards change: an interface the cards app owns, that higher apps register with.

The e-card (credentials) follows its card: when a card stops being in use, the e-cards carrying its
number stop verifying. The cards app may not import the e-card's app (lower layers never import higher
ones, STYLE.md rule 13), so the credentials app registers a handler here in its ``AppConfig.ready``;
``cards.services`` calls :func:`cards_changed` explicitly after every card write, in the writer's
transaction (a handler that raises rolls the card change back).

Registered today: ``credentials`` (``credentials.services.on_cards_changed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["CardsChangedHandler", "cards_changed", "cards_changed_handler_register"]

CardsChangedHandler = Callable[[Sequence[int], Any], None]  # (card ids, actor)

_handlers: dict[str, tuple[int, CardsChangedHandler]] = {}


def cards_changed_handler_register(name: str, handler: CardsChangedHandler, *, order: int = 100) -> None:
    """Register ``handler`` under ``name`` (registering a name again replaces it); lower ``order`` first."""
    _handlers[name] = (order, handler)


def cards_changed(card_ids: Sequence[int], *, actor: Any) -> None:
    """Call every registered handler, in order, with the changed cards."""
    for _order, handler in sorted(_handlers.values(), key=lambda item: item[0]):
        handler(card_ids, actor)
