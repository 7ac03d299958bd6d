"""Who reacts when cards change: an interface the cards app owns, that higher apps register with.

The e-card (credentials) follows its card: when a card stops being in use, the e-cards carrying its
number stop verifying. The cards app may not import the e-card's app (lower layers never import higher
ones, STYLE.md rule 13), so the credentials app registers a handler here in its ``AppConfig.ready``;
``cards.services`` calls :func:`cards_changed` explicitly after every card write, in the writer's
transaction (a handler that raises rolls the card change back).

Registered today: ``credentials`` (``credentials.services.on_cards_changed``).

:func:`card_counts_changed` tells the apps that count cards by organisation (``reports``) how many cards
of each kind and state each cell gained or lost, as deltas aggregated over the write (a step of many cards
is one call), in the writer's transaction: ``(cell id, kind, state, reissue) → +n/-n``, the cell being the
member's, ``reissue`` a new card not made from an exchange case.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = [
    "CardCount",
    "CardCountsHandler",
    "CardsChangedHandler",
    "card_count_handler_register",
    "card_counts_changed",
    "cards_changed",
    "cards_changed_handler_register",
]

CardsChangedHandler = Callable[[Sequence[int], Any], None]  # (card ids, actor)

_handlers: dict[str, tuple[int, CardsChangedHandler]] = {}


def cards_changed_handler_register(name: str, handler: CardsChangedHandler, *, order: int = 100) -> None:
    """Register ``handler`` under ``name`` (registering a name again replaces it); lower ``order`` first."""
    _handlers[name] = (order, handler)


def cards_changed(card_ids: Sequence[int], *, actor: Any) -> None:
    """Call every registered handler, in order, with the changed cards."""
    for _order, handler in sorted(_handlers.values(), key=lambda item: item[0]):
        handler(card_ids, actor)


CardCount = tuple[int, str, str, bool]  # (member's cell id, kind, state, reissue)
CardCountsHandler = Callable[..., None]  # (*, deltas: Mapping[CardCount, int])

_count_handlers: dict[str, tuple[int, CardCountsHandler]] = {}


def card_count_handler_register(name: str, handler: CardCountsHandler, *, order: int = 100) -> None:
    """Register ``handler`` under ``name`` (again: replaces it); it is called as ``handler(deltas=…)``."""
    _count_handlers[name] = (order, handler)


def card_counts_changed(deltas: Mapping[CardCount, int]) -> None:
    """Call every registered count handler with the non-zero ``deltas``."""
    live = {k: n for k, n in deltas.items() if n}
    if live:
        for _order, handler in sorted(_count_handlers.values(), key=lambda item: item[0]):
            handler(deltas=live)
