"""What happens elsewhere when members change: the registry's one outward interface for it.

The apps that react to a member change sit above the registry (the cards app, the exchange, credentials),
so the registry cannot call them. Each registers a handler here in its ``AppConfig.ready()``; the
registry's writers call :func:`members_changed` explicitly, after the change and its audit row are
written and inside their transaction (``services.member_create``, ``services.member_update``, and the
roster import's ``importing._create``).

Handlers run one after the other in ascending ``order`` (then name), in the caller's transaction: what
they write commits or rolls back with the member change. A handler that raises stops the rest and rolls
the whole change back; the error reaches the caller.

Registered today (order, name: what it does):

- 100 ``exchange.reevaluate``: the members' verdicts in every open campaign; hold, resume or cancel their
  open cases to match (``exchange.services.evaluation.on_members_changed``).
- 150 ``cards.follow``: a member who died, left, or was removed or expelled loses every card (revoked
  wherever it is); a member moved to another cell takes their cards along; an old card number newly
  recorded becomes the member's old card (``cards.services.members_cards_follow``).
- 200 ``credentials.revoke``: a member who died, left, or was removed or expelled loses every e-card
  (``credentials.services.on_members_changed``).

None reads what another writes; the exchange goes first, as it did when they were signal receivers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

__all__ = [
    "MemberChangeHandler",
    "member_change_handler_register",
    "member_change_handlers",
    "members_changed",
]


class MemberChangeHandler(Protocol):
    def __call__(self, *, member_ids: Sequence[int], actor: Any) -> None:
        """React to a change of ``member_ids`` made by ``actor`` (None: the system), in its transaction."""
        ...


@dataclass(frozen=True)
class _Registered:
    name: str
    order: int
    handler: MemberChangeHandler


_HANDLERS: dict[str, _Registered] = {}


def member_change_handler_register(name: str, handler: MemberChangeHandler, *, order: int) -> None:
    """Call ``handler`` on every member change, at ``order`` (smaller first); ``name`` again replaces it.

    Called from the reacting app's ``AppConfig.ready()``; ``name`` is ``"<app>.<what>"``.
    """
    _HANDLERS[name] = _Registered(name, order, handler)


def member_change_handlers() -> list[tuple[str, int]]:
    """The registered handlers' names and orders, in the order they run."""
    return [(r.name, r.order) for r in _ordered()]


def _ordered() -> list[_Registered]:
    return sorted(_HANDLERS.values(), key=lambda r: (r.order, r.name))


def members_changed(*, member_ids: Sequence[int], actor: Any) -> None:
    """Tell every registered handler that ``member_ids`` were created or changed by ``actor``.

    The caller is inside the transaction that wrote the change (its handlers' writes join it).

    Raises:
        RuntimeError: called outside a transaction (the handlers' writes would not roll back with it).
        Exception: whatever a handler raised; the handlers after it did not run.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("members_changed() belongs inside the transaction that changed the members")
    if not member_ids:
        return
    for registered in _ordered():
        registered.handler(member_ids=member_ids, actor=actor)
