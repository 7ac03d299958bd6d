"""The card's life as a table (``cards.lifecycle``, pure), checked against what the directive, Regulation
06-QĐ/TW and DOMAIN.md say, not against the table's own code."""

from __future__ import annotations

from collections import deque

from partycard.cards.lifecycle import (
    FINAL_STATES,
    HOLDING_STATES,
    STATUS_OF,
    TRANSITIONS,
    CardKind,
    CardLevel,
    CardState,
    CardTransition,
    check,
    route_next,
)

T, S = CardTransition, CardState
VALID, INVALID, SUSPENDED = 0x00, 0x01, 0x02  # draft-ietf-oauth-status-list §7.1


def _reachable(start: CardState | None, kind: CardKind) -> set[CardState]:
    seen: set[CardState] = set()
    queue: deque[CardState | None] = deque([start])
    while queue:
        state = queue.popleft()
        for spec in TRANSITIONS.values():
            if state in spec.sources and kind in spec.kinds and spec.target not in seen:
                seen.add(spec.target)
                queue.append(spec.target)
    return seen


def test_every_state_of_a_new_card_is_reachable_and_every_card_can_end_destroyed() -> None:
    assert _reachable(None, CardKind.NEW) == set(CardState)
    for state in set(CardState) - FINAL_STATES:
        assert S.DESTROYED in _reachable(state, CardKind.NEW) | ({state} & FINAL_STATES), state


def test_an_old_card_is_in_use_then_replaced_recovered_and_destroyed() -> None:
    """Issue 13: "the old 8-digit card becomes a Card of its own, recovered and destroyed"."""
    assert {S.SUPERSEDED, S.RECOVERED, S.DESTROYED} <= _reachable(None, CardKind.OLD)
    assert not HOLDING_STATES & _reachable(None, CardKind.OLD)  # never produced nor sent again


def test_only_the_cell_hands_a_card_over() -> None:
    """Regulation 06-QĐ/TW (DOMAIN.md): "the cell hands the card over at its next meeting"."""
    assert TRANSITIONS[T.HAND_OVER].levels == {CardLevel.CELL}
    assert not check(
        T.HAND_OVER, state=S.RECEIVED, kind=CardKind.NEW, actor_levels=frozenset({CardLevel.CELL})
    )
    for level in set(CardLevel) - {CardLevel.CELL}:
        problems = check(T.HAND_OVER, state=S.RECEIVED, kind=CardKind.NEW, actor_levels=frozenset({level}))
        assert {p.code for p in problems} == {"wrong_level"}, level


def test_a_card_is_sent_and_received_only_where_it_is() -> None:
    at_province = {"state": S.RECEIVED, "kind": CardKind.NEW, "at_level": CardLevel.PROVINCE}
    assert not check(T.SEND, actor_levels=frozenset({CardLevel.PROVINCE}), **at_province)  # type: ignore[arg-type]
    for level in (CardLevel.CENTRE, CardLevel.UPPER, CardLevel.CELL, CardLevel.SYSTEM):
        codes = {p.code for p in check(T.SEND, actor_levels=frozenset({level}), **at_province)}  # type: ignore[arg-type]
        assert codes == {"wrong_level"}, level


def test_the_way_down_goes_one_level_at_a_time() -> None:
    """Directive 51-CT/TW: the cards go back down the tree, Centre → province → the committee above the
    grassroots → grassroots → cell."""
    route = [CardLevel.CENTRE, CardLevel.PROVINCE, CardLevel.UPPER, CardLevel.GRASSROOTS, CardLevel.CELL]
    walked = [CardLevel.CENTRE]
    while (following := route_next(route, walked[-1])) is not None:
        walked.append(following)
    assert walked == route
    assert route_next(
        [CardLevel.CENTRE, CardLevel.PROVINCE, CardLevel.UPPER, CardLevel.CELL], CardLevel.UPPER
    ) == (CardLevel.CELL)  # a grassroots cell is the grassroots and the cell


def test_a_card_verifies_only_in_its_members_hands() -> None:
    """A card verifies as valid only once handed over and while it is the member's card in use; lost,
    revoked, replaced, recovered and destroyed cards never verify; a card on its way is not yet valid."""
    for state in HOLDING_STATES:
        assert STATUS_OF[state] != VALID, state
    for state in (S.LOST, S.REVOKED, S.SUPERSEDED, S.RECOVERED, S.DESTROYED):
        assert STATUS_OF[state] == INVALID, state
    assert STATUS_OF[S.ACTIVE] == VALID
    assert STATUS_OF[S.SUSPENDED] == SUSPENDED


def test_revoking_reaches_a_card_wherever_it_is_before_recovery() -> None:
    """DOMAIN.md: death, removal, expulsion end the member's card; on expulsion or removal the cell
    recovers the card and sends it up."""
    assert HOLDING_STATES | {S.ACTIVE, S.SUSPENDED, S.DAMAGED, S.LOST} <= TRANSITIONS[T.REVOKE].sources
    assert S.REVOKED in TRANSITIONS[T.RECOVER].sources
    assert TRANSITIONS[T.DESTROY].sources == {S.RECOVERED}  # destroyed only once back in the Party's hands


def test_reasons_are_required_where_a_decision_is_recorded() -> None:
    for transition in (T.REVOKE, T.REPORT_LOST, T.REPORT_DAMAGED, T.SUSPEND):
        spec = TRANSITIONS[transition]
        state = next(s for s in spec.sources if s is not None)
        level = next(iter(spec.levels))
        codes = {
            p.code for p in check(transition, state=state, kind=CardKind.NEW, actor_levels=frozenset({level}))
        }
        assert "reason_required" in codes, transition
