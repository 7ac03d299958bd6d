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

Three narrower interfaces tell the apps that count things by organisation what moved, as deltas, in the
writer's transaction too (registered today: ``reports.count`` on each; ``exchange.verdicts`` and
``cards.count`` on :func:`members_moved`, which move the counts of a member's verdicts and cards):

- :func:`member_counts_changed`: organisation id → change of its probationary and official members (every
  write that changes ``Organisation.member_count`` calls it with the same numbers);
- :func:`members_moved`: ``(member id, old cell id, new cell id)`` of members who changed cell, called
  before :func:`members_changed`;
- :func:`organisation_moved`: an organisation and its subtree got a new parent (its old and new path).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

__all__ = [
    "MemberChangeHandler",
    "member_change_handler_register",
    "member_change_handlers",
    "member_count_handler_register",
    "member_counts_changed",
    "members_changed",
    "members_moved",
    "members_moved_handler_register",
    "organisation_moved",
    "organisation_moved_handler_register",
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


# ---- counts by organisation: what moved, as deltas ----

MemberCountHandler = Callable[..., None]  # (*, deltas: Mapping[int, int])
MembersMovedHandler = Callable[..., None]  # (*, moves: Sequence[tuple[int, int, int]], actor: Any)
OrganisationMovedHandler = Callable[..., None]  # (*, organisation_id: int, old_path: str, new_path: str)

_COUNTS: dict[str, tuple[int, MemberCountHandler]] = {}
_MOVES: dict[str, tuple[int, MembersMovedHandler]] = {}
_ORG_MOVES: dict[str, tuple[int, OrganisationMovedHandler]] = {}


def _in_order(table: dict[str, tuple[int, Any]]) -> list[Any]:
    return [handler for _name, (_order, handler) in sorted(table.items(), key=lambda i: (i[1][0], i[0]))]


def _require_transaction(what: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{what}() belongs inside the transaction that made the change")


def member_count_handler_register(name: str, handler: MemberCountHandler, *, order: int = 100) -> None:
    """Call ``handler(deltas=…)`` whenever organisations' member counts change (``name`` again replaces)."""
    _COUNTS[name] = (order, handler)


def member_counts_changed(*, deltas: Mapping[int, int]) -> None:
    """Tell the registered handlers: organisation id → change of its probationary and official members."""
    _require_transaction("member_counts_changed")
    live = {org: n for org, n in deltas.items() if n}
    if live:
        for handler in _in_order(_COUNTS):
            handler(deltas=live)


def members_moved_handler_register(name: str, handler: MembersMovedHandler, *, order: int = 100) -> None:
    """Call ``handler(moves=…, actor=…)`` whenever members change cell (``name`` again replaces it)."""
    _MOVES[name] = (order, handler)


def members_moved(*, moves: Sequence[tuple[int, int, int]], actor: Any) -> None:
    """Tell the registered handlers that each ``(member id, old cell id, new cell id)`` moved; called
    after the member rows changed and before :func:`members_changed`."""
    _require_transaction("members_moved")
    live = [m for m in moves if m[1] != m[2]]
    if live:
        for handler in _in_order(_MOVES):
            handler(moves=live, actor=actor)


def organisation_moved_handler_register(
    name: str, handler: OrganisationMovedHandler, *, order: int = 100
) -> None:
    """Call ``handler(organisation_id=…, old_path=…, new_path=…)`` after every subtree move."""
    _ORG_MOVES[name] = (order, handler)


def organisation_moved(*, organisation_id: int, old_path: str, new_path: str) -> None:
    """Tell the registered handlers that the organisation at ``old_path`` now is at ``new_path``, with its
    subtree (the paths are already rewritten)."""
    _require_transaction("organisation_moved")
    for handler in _in_order(_ORG_MOVES):
        handler(organisation_id=organisation_id, old_path=old_path, new_path=new_path)
