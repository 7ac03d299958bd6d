"""Writes of cards: the only code that creates a card or changes its state (``card_*``, ``cards_*``).

Each write checks ``lifecycle.check`` for the actor's level on the card's way down the tree, locks the
rows it changes, flips the card's status-list entry to what its new state says (``STATUS_OF``), records
one ``CardEvent`` and one audit row per card in the same transaction, and then tells whoever reacts to
card changes (``hooks.cards_changed``: the e-card follows its card) and whoever counts cards by cell
(``hooks.card_counts_changed``: the progress report's counters), one call per step however many cards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, allowed
from partycard.audit.services import audit_record_many
from partycard.cards import hooks
from partycard.cards.lifecycle import (
    STATUS_INVALID,
    STATUS_OF,
    TRANSITIONS,
    CardKind,
    CardLevel,
    CardState,
    CardTransition,
    Problem,
    check,
    route_next,
)
from partycard.cards.models import Card, CardEvent
from partycard.cards.selectors import card_actor_levels, card_route
from partycard.cards.status_lists import (
    status_entries_set,
    status_index_take,
    status_indexes_take,
)
from partycard.core import clock
from partycard.core.bulk import rows_update
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import OutOfScope, role_of, scope_require
from partycard.registry.choices import ACTIVE_STATUSES, MemberStatus
from partycard.registry.models import Member, Organisation

__all__ = [
    "CHIP_FIELDS",
    "REROUTE",
    "Allocation",
    "BulkMove",
    "CardError",
    "card_chip_record",
    "card_destroy",
    "card_hand_over",
    "card_mark_produced",
    "card_receive",
    "card_recover",
    "card_reinstate",
    "card_report_damaged",
    "card_report_lost",
    "card_reroute",
    "card_revoke",
    "card_send",
    "card_spoil",
    "card_start_production",
    "card_status_reserve",
    "card_suspend",
    "card_transition",
    "cards_allocate",
    "cards_move",
    "cards_receive",
    "cards_register_old",
    "cards_send",
    "cards_transition",
    "members_cards_follow",
    "members_cards_recount",
    "problem_message",
]

# Member statuses that end every card of the member (DOMAIN.md: death, removal, expulsion, leaving).
_ENDING = {
    MemberStatus.DECEASED: "deceased",
    MemberStatus.REMOVED: "removed",
    MemberStatus.EXPELLED: "expelled",
    MemberStatus.RESIGNED: "resigned",
}


# The reason a card was suspended by the member's record (and only such a suspension ends with it).
SUSPENDED_ACTIVITIES = "activities_suspended"


def problem_message(problem: Problem) -> str:
    """A lifecycle problem in the user's language."""
    messages = {
        "wrong_state": _("The card is not in a state that allows this."),
        "wrong_kind": _("This step does not apply to this kind of card."),
        "wrong_level": _("Your role and level may not take this step for this card."),
        "reason_required": _("A reason is required."),
        "end_of_route": _("The card is already at the member's party cell."),
        "off_route": _(
            "The card is no longer on the member's way (the member was transferred while it travelled):"
            " it cannot be sent on from here."
        ),
        "on_route": _("The card is on the member's way: send it on as usual."),
        "not_here": _("The card is not held by this organisation."),
        "not_found": _("No such record."),
    }
    return str(messages.get(problem.code, problem.code))


class CardError(DomainError):
    """A card change refused; ``problems`` lists every reason (codes), ``message`` words them."""

    http_status = 409

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__(" ".join(problem_message(p) for p in self.problems), code=ErrorCode.CONFLICT)


def _who(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _cells(member_ids: Sequence[int], known: Mapping[int, int] | None = None) -> dict[int, int]:
    """Member id → the member's cell id (what the card counters count a card under): from ``known``
    where given, the rest in one query."""
    cells = dict(known or {})
    missing = set(member_ids) - set(cells)
    if missing:
        cells.update(Member.objects.filter(pk__in=missing).values_list("pk", "organisation_id"))
    return cells


def _reissue(kind: str, case_id: int | None) -> bool:
    """A new card not made from an exchange case: the reissue of a lost or damaged card."""
    return kind == CardKind.NEW and case_id is None


def _counted(
    cards: Sequence[Card],
    transition: CardTransition,
    before: Sequence[str] | None,
    cells: Mapping[int, int] | None = None,
) -> None:
    """Tell the card counters (``hooks.card_counts_changed``): each card left its state ``before`` (None:
    the cards were just created) for ``transition``'s target, in its member's cell (``cells``: member id
    → cell id, where the caller has them)."""
    target = TRANSITIONS[transition].target.value
    known = dict(cells or {})
    known.update((c.member_id, c.member.organisation_id) for c in cards if Card.member.is_cached(c))
    cells = _cells([c.member_id for c in cards], known)
    counts: Counter[hooks.CardCount] = Counter()
    for i, card in enumerate(cards):
        cell, kind, reissue = cells[card.member_id], str(card.kind), _reissue(card.kind, card.case_id)
        if before is not None:
            counts[(cell, kind, before[i], reissue)] -= 1
        counts[(cell, kind, target, reissue)] += 1
    hooks.card_counts_changed(counts)


def _write(
    cards: Sequence[Card],
    transition: CardTransition,
    *,
    actor: Any,
    reason: str = "",
    at: datetime,
    level: CardLevel | None = None,
    holder: Any = None,
) -> None:
    """Move ``cards`` (locked, checked) along ``transition``: columns, status entries, events, audit.

    Every card takes the same new values, so the rows are written with one UPDATE, and each status list
    is read and written once for all its entries (``status_entries_set``), not once per card.
    """
    target = TRANSITIONS[transition].target
    events, audit = [], []
    changes_all: dict[str, Any] = {"state": target.value, "updated_at": at}
    if level is not None or transition in (CardTransition.HAND_OVER, CardTransition.REVOKE):
        changes_all["level"] = level.value if level is not None else ""
        changes_all["holder"] = holder
    if reason:
        changes_all["note"] = reason[:500]
    flips = []
    befores: list[str] = []
    for card in cards:
        before = card.state
        befores.append(before)
        for name, value in changes_all.items():
            setattr(card, name, value)
        if card.status_list_id is not None and card.status_index is not None:
            flips.append((card.status_list_id, card.status_index, STATUS_OF[target]))
        events.append(
            CardEvent(
                card=card,
                transition=transition.value,
                from_state=before,
                to_state=target.value,
                level=card.level,
                holder=card.holder,
                actor=_who(actor),
                reason=reason[:500],
                at=at,
            )
        )
        changes: dict[str, Any] = {"state": [before, target.value]}
        if card.level:
            changes["level"] = card.level
        if reason:
            changes["reason"] = reason[:500]
        audit.append((Card._meta.label_lower, str(card.pk), changes))
    Card.objects.filter(pk__in=[c.pk for c in cards]).update(**changes_all)
    if flips:
        status_entries_set(flips)
    CardEvent.objects.bulk_create(events)
    audit_record_many(actor=actor, action=f"cards.{transition.value}", items=audit)
    _counted(cards, transition, befores)
    hooks.cards_changed([c.pk for c in cards], actor=actor)


def _locked(card: Card | int, actor: Any, system: bool) -> Card:
    pk = card if isinstance(card, int) else card.pk
    qs = Card.objects.all() if system else Card.objects.scoped(actor, Action.CHANGE_CARD)
    found = qs.select_for_update(of=("self",)).select_related("member__organisation").filter(pk=pk).first()
    if found is None:
        raise OutOfScope()
    return found


def _next_stop(
    route: list[tuple[CardLevel, Organisation]], at_level: CardLevel | None, holder_id: int | None
) -> tuple[CardLevel, Organisation] | Problem:
    """Where a card sent from ``at_level`` goes next on its member's ``route``, or why it cannot be sent:
    ``off_route`` when the organisation holding it is not on the route any more (the member moved, a
    transfer, while it travelled), ``end_of_route`` when it is already at the member's cell."""
    here = dict(route).get(at_level) if at_level is not None else None
    if here is None or (holder_id is not None and here.pk != holder_id):
        return Problem("off_route")
    following = route_next([lv for lv, _org in route], at_level)
    if following is None:
        return Problem("end_of_route")
    return following, dict(route)[following]


def card_transition(
    *, actor: Any, card: Card | int, transition: CardTransition, reason: str = "", system: bool = False
) -> Card:
    """One step of one card, or :class:`CardError` with every reason it was refused.

    ``system`` is for changes that follow a member change or the exchange (no level check; ``actor`` is
    who caused it, for the audit log).

    Raises:
        OutOfScope: no such card in the actor's scope (the same 404 as a missing one).
        CardError: the step may not happen now.
    """
    reason = reason.strip()
    with transaction.atomic():
        locked = _locked(card, actor, system)
        route = card_route(locked.member.organisation)
        levels = frozenset({CardLevel.SYSTEM}) if system else card_actor_levels(actor, route)
        at_level = CardLevel(locked.level) if locked.level else None
        problems = check(
            transition,
            state=CardState(locked.state),
            kind=CardKind(locked.kind),
            actor_levels=levels,
            reason=reason,
            at_level=at_level,
        )
        level, holder = None, None
        if transition is CardTransition.SEND and not problems:
            stop = _next_stop(route, at_level, locked.holder_id)
            if isinstance(stop, Problem):
                problems.append(stop)
            else:
                level, holder = stop
        elif transition is CardTransition.RECEIVE:
            level, holder = at_level, locked.holder
        elif transition is CardTransition.MARK_PRODUCED:
            level = CardLevel.CENTRE
            holder = dict(route).get(CardLevel.CENTRE)
        if problems:
            raise CardError(problems)
        at = clock.now()
        _write([locked], transition, actor=actor, reason=reason, at=at, level=level, holder=holder)
        if transition is CardTransition.HAND_OVER:
            _supersede_others(locked, actor=actor, at=at)
    locked.refresh_from_db()
    return locked


def _supersede_others(card: Card, *, actor: Any, at: datetime) -> None:
    """The card handed over replaces the member's other cards still theirs (the old 8-digit card, or the
    card a reissue replaces): they stop verifying now and wait to be recovered."""
    sources = [s.value for s in TRANSITIONS[CardTransition.SUPERSEDE].sources if s is not None]
    others = list(
        Card.objects.select_for_update()
        .filter(member_id=card.member_id, state__in=sources)
        .exclude(pk=card.pk)
        .order_by("pk")
    )
    if others:
        _write(others, CardTransition.SUPERSEDE, actor=actor, reason=card.number, at=at)


def _named(transition: CardTransition, doc: str) -> Any:
    def step(*, actor: Any, card: Card | int, reason: str = "", system: bool = False) -> Card:
        return card_transition(actor=actor, card=card, transition=transition, reason=reason, system=system)

    step.__name__ = f"card_{transition.value}"
    step.__doc__ = doc
    return step


card_start_production = _named(CardTransition.START_PRODUCTION, "The card's batch went to the manufacturer.")
card_mark_produced = _named(CardTransition.MARK_PRODUCED, "The manufacturer's report: made, at the Centre.")
card_spoil = _named(CardTransition.SPOIL, "The manufacturer spoiled it: the number goes back to the queue.")
card_send = _named(CardTransition.SEND, "Send the card to the next level down its route.")
card_receive = _named(CardTransition.RECEIVE, "The level it was sent to received it.")
card_hand_over = _named(CardTransition.HAND_OVER, "Handed to the member at the cell's meeting.")
card_suspend = _named(CardTransition.SUSPEND, "The member's activities are suspended: so is the card.")
card_reinstate = _named(CardTransition.REINSTATE, "The suspension ended.")
card_report_lost = _named(CardTransition.REPORT_LOST, "The member reported the card lost.")
card_report_damaged = _named(CardTransition.REPORT_DAMAGED, "The member reported the card damaged.")
card_revoke = _named(CardTransition.REVOKE, "The card stops verifying (death, removal, expulsion).")
card_recover = _named(CardTransition.RECOVER, "The cell took the physical card back.")
card_destroy = _named(CardTransition.DESTROY, "The deciding committee destroyed the recovered card.")


@dataclass(frozen=True)
class Allocation:
    """A new card to create when the Centre accepts a case: its number, the case, the member's cell."""

    number: str
    case_id: int | None  # None: a reissue (a lost or damaged card replaced), not from a case
    member_id: int
    path: str


def cards_allocate(
    *, actor: Any, allocations: Sequence[Allocation], at: datetime | None = None
) -> list[Card]:
    """Create the new cards of accepted cases (state ``allocated``), in the caller's transaction.

    The exchange's ACCEPT calls it with the numbers it allocated (``exchange.services.card_numbers``),
    a chunk of cases at a time: bulk inserts, one audit append.
    """
    at = at or clock.now()
    cards = Card.objects.bulk_create(
        [
            Card(
                number=a.number,
                kind=CardKind.NEW,
                member_id=a.member_id,
                case_id=a.case_id,
                path=a.path,
                state=CardState.ALLOCATED,
                created_at=at,
                updated_at=at,
            )
            for a in allocations
        ],
        batch_size=2000,
    )
    if cards and cards[0].pk is None:  # backends that do not return ids (not ours): read them back
        by_number = dict(
            Card.objects.filter(number__in=[c.number for c in cards]).values_list("number", "pk")
        )
        for c in cards:
            c.pk = by_number[c.number]
    _created(cards, CardTransition.ALLOCATE, actor=actor, at=at)
    return cards


def _created(
    cards: Sequence[Card],
    transition: CardTransition,
    *,
    actor: Any,
    at: datetime,
    cells: Mapping[int, int] | None = None,
) -> None:
    CardEvent.objects.bulk_create(
        (
            CardEvent(card_id=c.pk, transition=transition.value, to_state=c.state, actor=_who(actor), at=at)
            for c in cards
        ),
        batch_size=2000,
    )
    audit_record_many(
        actor=actor,
        action=f"cards.{transition.value}",
        items=(
            (
                Card._meta.label_lower,
                str(c.pk),
                {"number": c.number, "member": c.member_id, "state": [None, c.state]},
            )
            for c in cards
        ),
    )
    _counted(cards, transition, None, cells)


def cards_register_old(*, actor: Any, member_ids: Sequence[int] | None = None) -> int:
    """Record the old 8-digit card of every current member who has one and whose card is not recorded
    yet (all members when ``member_ids`` is None): a ``Card`` of kind ``old``, in use. Returns how many.

    Reads the members in primary-key order, 5,000 at a time (keyset, not offsets), so that the whole
    registry costs one pass."""
    created = 0
    with transaction.atomic():
        members = Member.objects.filter(status__in=list(ACTIVE_STATUSES), old_card_number__isnull=False)
        if member_ids is not None:
            members = members.filter(pk__in=member_ids)
        known = Card.objects.filter(kind=CardKind.OLD, number=OuterRef("old_card_number"))
        rows = (
            members.exclude(old_card_number="")
            .exclude(Exists(known))
            .order_by("pk")
            .values_list("pk", "old_card_number", "organisation__path", "organisation_id")
        )
        at, last = clock.now(), 0
        while chunk := list(rows.filter(pk__gt=last)[:5000]):
            last = chunk[-1][0]
            made = Card.objects.bulk_create(
                Card(
                    number=str(number),
                    kind=CardKind.OLD,
                    member_id=pk,
                    path=path,
                    state=CardState.ACTIVE,
                    created_at=at,
                    updated_at=at,
                )
                for pk, number, path, _cell in chunk
            )

            cells = {pk: cell for pk, _number, _path, cell in chunk}
            _created(made, CardTransition.REGISTER_OLD, actor=actor, at=at, cells=cells)
            created += len(made)
    return created


def _status_ensure(card: Card, signer_label: str) -> dict[str, Any]:
    """Give a locked card its status-list entry if it has none, set to what its state says; the audit
    changes (empty when it had one)."""
    if card.status_list_id is not None and card.status_index is not None:
        return {}
    list_id, index = status_index_take(signer_label, value=STATUS_OF[CardState(card.state)])
    card.status_list_id, card.status_index = list_id, index
    return {"status_list": list_id, "status_index": index}


def card_status_reserve(*, actor: Any, card: Card, signer_label: str) -> tuple[int, int]:
    """The card's status-list entry (list id, index), taken now in ``signer_label``'s list if it has none:
    what its signed chip data will name. A card not yet handed over starts SUSPENDED (``STATUS_OF``), so
    one stolen on its way never verifies."""
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        changes = _status_ensure(locked, signer_label)
        if changes:
            locked.save(update_fields=["status_list", "status_index"])
            audit_record_many(
                actor=actor, action="cards.status", items=[(Card._meta.label_lower, str(locked.pk), changes)]
            )
        assert locked.status_list_id is not None and locked.status_index is not None
        return locked.status_list_id, locked.status_index


def card_chip_record(
    *, actor: Any, card: Card, chip_key_fingerprint: str, sod_sha256: str, signer_label: str
) -> Card:
    """Record the signed chip of a new card not yet in production: its key's fingerprint and its SOD's
    hash (and its status-list entry, if :func:`card_status_reserve` did not give it one)."""
    with transaction.atomic():
        locked = Card.objects.select_for_update().get(pk=card.pk)
        if locked.kind != CardKind.NEW or locked.state != CardState.ALLOCATED:
            raise CardError([Problem("wrong_state")])
        changes: dict[str, Any] = {"chip_key_fingerprint": chip_key_fingerprint, "sod_sha256": sod_sha256}
        changes |= _status_ensure(locked, signer_label)
        locked.chip_key_fingerprint, locked.sod_sha256 = chip_key_fingerprint, sod_sha256
        locked.updated_at = clock.now()
        locked.save(
            update_fields=["chip_key_fingerprint", "sod_sha256", "status_list", "status_index", "updated_at"]
        )
        audit_record_many(
            actor=actor, action="cards.chip", items=[(Card._meta.label_lower, str(locked.pk), changes)]
        )
    return locked


def members_cards_follow(*, member_ids: Sequence[int], actor: Any) -> None:
    """After a change to these members, in the writer's transaction: a member who died, was removed or
    expelled, or left loses every card (revoked, wherever it is); a member whose party activities are
    suspended (đình chỉ sinh hoạt đảng) has the card in use suspended until the suspension ends (the card
    is how a member votes in party meetings: Regulation 06-QĐ/TW); a member moved to another cell takes
    their cards with them (the scope path follows a transfer); an old card number newly recorded becomes
    the member's old card."""
    if not member_ids:
        return
    with transaction.atomic():
        members = {m.pk: m for m in Member.objects.filter(pk__in=member_ids).select_related("organisation")}
        revocable = [s.value for s in TRANSITIONS[CardTransition.REVOKE].sources if s is not None]
        suspendable = [s.value for s in TRANSITIONS[CardTransition.SUSPEND].sources if s is not None]
        for card in Card.objects.filter(member_id__in=members).select_for_update().order_by("pk"):
            member = members[card.member_id]
            if card.path != member.organisation.path:
                Card.objects.filter(pk=card.pk).update(path=member.organisation.path)
            why = _ENDING.get(MemberStatus(member.status))
            step: CardTransition | None = None
            if why is not None and card.state in revocable:
                step = CardTransition.REVOKE
            elif member.activities_suspended and card.state in suspendable:
                step, why = CardTransition.SUSPEND, SUSPENDED_ACTIVITIES
            elif not member.activities_suspended and (card.state, card.note) == (
                CardState.SUSPENDED,
                SUSPENDED_ACTIVITIES,
            ):
                step, why = CardTransition.REINSTATE, ""  # only the suspension the record caused
            if step is not None:
                card_transition(actor=actor, card=card.pk, transition=step, reason=why or "", system=True)
        cards_register_old(actor=actor, member_ids=list(members))


def members_cards_recount(*, moves: Sequence[tuple[int, int, int]], actor: Any) -> None:
    """Members changed cell (``registry.hooks.members_moved``: member id, old cell id, new cell id): their
    cards, counted in the old cell, now count in the new one (``hooks.card_counts_changed``). The cards'
    scope paths follow in :func:`members_cards_follow`. One grouped query, whatever the number of cards."""
    where = {member: (old, new) for member, old, new in moves}
    counts: Counter[hooks.CardCount] = Counter()
    groups = (
        Card.objects.filter(member_id__in=list(where))
        .order_by()
        .values_list("member_id", "kind", "state")
        .annotate(reissues=Count("id", filter=Q(case__isnull=True, kind=CardKind.NEW)), n=Count("id"))
    )
    for member, kind, state, reissues, n in groups:
        old, new = where[member]
        for reissue, k in ((True, reissues), (False, n - reissues)):
            counts[(old, kind, state, reissue)] -= k
            counts[(new, kind, state, reissue)] += k
    hooks.card_counts_changed(counts)


#: The per-card values a bulk step may record beside the state: the chip a card was made on.
CHIP_FIELDS = ("chip_key_fingerprint", "sod_sha256")


def cards_move(
    *,
    actor: Any,
    card_ids: Sequence[int],
    transition: CardTransition,
    reason: str = "",
    level: CardLevel | None = None,
    holder_id: int | None = None,
    retire_status: bool = False,
    status_signer_label: str | None = None,
    chips: Mapping[int, tuple[str, str]] | None = None,
    at: datetime | None = None,
) -> dict[int, tuple[int, int]]:
    """One system step for many cards at once, in the caller's transaction: what production's jobs run
    per chunk (``START_PRODUCTION``, ``MARK_PRODUCED``, ``SPOIL``). Returns each moved card's status entry
    ``(list id, index)``, for the cards that have one.

    The same rules as :func:`card_transition` with the system's level, checked for every card before any
    is written (so a chunk is all or nothing); the rows are locked in primary-key order and updated, their
    events and audit rows (one per card, naming everything written) appended in bulk. A status entry is
    flipped only where the new state's status differs (production's steps all read SUSPENDED), each list
    written once.

    Args:
        retire_status: the card's status entry is set INVALID for good and the card loses it (and its
            chip's record), so the next chip made for the number takes a fresh entry: what a spoiled card
            whose SOD was already signed needs (its chip, should it survive, names the retired entry and
            never verifies).
        status_signer_label: a card without a status entry takes one in this document signer's lists,
            set to what the new state says: the entry its chip's DG13 will name.
        chips: per card, ``(chip key fingerprint, SOD hash)`` of the chip it was made on (two-pass
            personalisation: the key the chip generated, the SOD partycard signed over it).

    Raises:
        CardError: a card is missing or may not take ``transition`` now (nothing is written then).
    """
    reason = reason.strip()
    ids = sorted(set(card_ids))
    if not ids:
        return {}
    at = at or clock.now()
    target = TRANSITIONS[transition].target
    with transaction.atomic():
        rows = list(
            Card.objects.select_for_update()
            .filter(pk__in=ids)
            .order_by("pk")
            .values_list("pk", "state", "kind", "status_list_id", "status_index")
        )
        problems: list[Problem] = []
        if len(rows) != len(ids) or (chips is not None and set(chips) != set(ids)):
            problems.append(Problem("wrong_state"))
        for _pk, state, kind, _list, _index in rows:
            problems += check(
                transition,
                state=CardState(state),
                kind=CardKind(kind),
                actor_levels=frozenset({CardLevel.SYSTEM}),
                reason=reason,
            )
        if problems:
            raise CardError(list(dict.fromkeys(problems)))
        counts = _counts_moving(ids, target)
        changes: dict[str, Any] = {"state": target.value, "updated_at": at}
        if level is not None:
            changes["level"], changes["holder_id"] = level.value, holder_id
        elif transition is CardTransition.SPOIL:
            changes["level"], changes["holder_id"] = "", None
        if reason:
            changes["note"] = reason[:500]
        if retire_status:
            changes["status_list"], changes["status_index"] = None, None
            changes["chip_key_fingerprint"], changes["sod_sha256"] = "", ""
        entries = {pk: (lst, idx) for pk, _s, _k, lst, idx in rows if lst is not None and idx is not None}
        per_card: dict[int, dict[str, Any]] = {pk: {} for pk in ids}
        if status_signer_label is not None and not retire_status:
            fresh = [pk for pk in ids if pk not in entries]
            taken = status_indexes_take(status_signer_label, len(fresh), value=STATUS_OF[target])
            for pk, entry in zip(fresh, taken, strict=True):
                entries[pk] = entry
                per_card[pk] |= {"status_list": entry[0], "status_index": entry[1]}
        if chips is not None:
            for pk in ids:
                per_card[pk] |= dict(zip(CHIP_FIELDS, chips[pk], strict=True))
        # One write per row: the values every card takes, and each card's own where it has some.
        own = sorted({name for values in per_card.values() for name in values})
        if not own:
            Card.objects.filter(pk__in=ids).update(**changes)
        else:
            common = [name for name in changes if name not in own]
            entry_of = {pk: entries.get(pk, (None, None)) for pk in ids}
            values = {
                pk: {"status_list": entry_of[pk][0], "status_index": entry_of[pk][1], **per_card[pk]}
                for pk in ids
            }
            rows_update(
                Card,
                [*common, *own],
                (
                    (pk, *(changes[name] for name in common), *(values[pk][name] for name in own))
                    for pk in ids
                ),
            )
        flips = [
            (list_id, index, STATUS_INVALID if retire_status else STATUS_OF[target])
            for _pk, state, _kind, list_id, index in rows
            if list_id is not None
            and index is not None
            and (retire_status or STATUS_OF[CardState(state)] != STATUS_OF[target])
        ]
        if flips:
            status_entries_set(flips)
        _events_append(
            [pk for pk, *_rest in rows],
            [state for _pk, state, *_rest in rows],
            transition=transition,
            to_state=target,
            level=changes.get("level", ""),
            holder_id=changes.get("holder_id"),
            actor=actor,
            reason=reason[:500],
            at=at,
        )
        audit_changes = {"reason": reason[:500]} if reason else {}
        audit_record_many(
            actor=actor,
            action=f"cards.{transition.value}",
            items=(
                (
                    Card._meta.label_lower,
                    str(pk),
                    {"state": [state, target.value], **audit_changes, **per_card[pk]},
                )
                for pk, state, _kind, _list, _index in rows
            ),
        )
        # The handlers follow what a card's status entry says (the e-card): only those whose status changed.
        changed = [
            pk
            for pk, state, *_rest in rows
            if retire_status or STATUS_OF[CardState(state)] != STATUS_OF[target]
        ]
        hooks.card_counts_changed(counts)
        if changed:
            hooks.cards_changed(changed, actor=actor)
    return {} if retire_status else entries


def _counts_moving(ids: Sequence[int], target: CardState) -> Counter[hooks.CardCount]:
    """What moving the cards ``ids`` (not yet written) to ``target`` does to the card counters: one
    query grouped by cell, kind and current state, not a row per card."""
    counts: Counter[hooks.CardCount] = Counter()
    groups = (
        Card.objects.filter(pk__in=list(ids))
        .order_by()
        .values_list("member__organisation_id", "kind", "state")
        .annotate(reissues=Count("id", filter=Q(case__isnull=True, kind=CardKind.NEW)), n=Count("id"))
    )
    for cell, kind, state, reissues, n in groups:
        for reissue, k in ((True, reissues), (False, n - reissues)):
            counts[(cell, kind, state, reissue)] -= k
            counts[(cell, kind, target.value, reissue)] += k
    return counts


def _events_append(
    card_ids: Sequence[int],
    from_states: Sequence[str],
    *,
    transition: CardTransition,
    to_state: CardState,
    level: str,
    holder_id: int | None,
    actor: Any,
    reason: str,
    at: datetime,
) -> None:
    """One ``CardEvent`` per card of a bulk step. On PostgreSQL one INSERT … SELECT FROM unnest (one array
    per varying column), without building a model instance per row: the ORM's bulk_create spent more
    building 2,000 events than the database spent writing them (docs/performance.md)."""
    who = _who(actor)
    if connection.vendor != "postgresql":
        CardEvent.objects.bulk_create(
            (
                CardEvent(
                    card_id=pk,
                    transition=transition.value,
                    from_state=before,
                    to_state=to_state.value,
                    level=level,
                    holder_id=holder_id,
                    actor=who,
                    reason=reason,
                    at=at,
                )
                for pk, before in zip(card_ids, from_states, strict=True)
            ),
            batch_size=2000,
        )
        return
    table = CardEvent._meta.db_table
    columns = "card_id, from_state, transition, to_state, level, holder_id, actor_id, reason, at"
    sql = (
        f"INSERT INTO {table} ({columns})"  # noqa: S608 - names from the model, values parameters
        " SELECT c, f, %s, %s, %s, %s, %s, %s, %s FROM unnest(%s::bigint[], %s::text[]) AS u(c, f)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                transition.value,
                to_state.value,
                level,
                holder_id,
                getattr(who, "pk", None),
                reason,
                at,
                list(card_ids),
                list(from_states),
            ],
        )


# ---- many cards at once (distribution's shipments), and the re-route of a card off its member's way ----

# The reason written on the event and the audit row of a re-routed card's send (docs/cards.md, "Re-route").
REROUTE = "reroute"


@dataclass
class BulkMove:
    """What a bulk step did: where each moved card went (level, holder id), and every reason for the rest."""

    moved: dict[int, tuple[CardLevel, int | None]]
    refused: dict[int, list[Problem]]


def _locked_many(card_ids: Sequence[int]) -> list[Card]:
    return list(
        Card.objects.select_for_update(of=("self",))
        .select_related("member__organisation", "holder")
        .filter(pk__in=list(card_ids))
        .order_by("pk")
    )


def _visible(actor: Any, cards: Sequence[Card]) -> set[int]:
    """The cards ``actor`` may act on: in their scope, or physically held by their own organisation (a card
    whose member was transferred away is no longer in the holder's subtree, but it is in their hands)."""
    ids = [c.pk for c in cards]
    seen = set(Card.objects.scoped(actor, Action.CHANGE_CARD).filter(pk__in=ids).values_list("pk", flat=True))
    org_id = getattr(actor, "organisation_id", None)
    if org_id is not None and allowed(role_of(actor) or "", Action.CHANGE_CARD):
        seen |= {c.pk for c in cards if c.holder_id == org_id}
    return seen


def _holder_levels(actor: Any, card: Card) -> frozenset[CardLevel]:
    """The levels at which ``actor`` stands for a travelling card where it physically is: the officer of
    the organisation holding it (or sent it), in that level's role; the Centre's administrator at the
    Centre. ``card_actor_levels`` over the one-step route (level, holder)."""
    if not card.level or card.holder is None:
        return frozenset()
    return card_actor_levels(actor, [(CardLevel(card.level), card.holder)])


def _write_grouped(
    cards: Sequence[Card], transition: CardTransition, where: dict[int, tuple[CardLevel, Any]], **kw: Any
) -> None:
    groups: dict[tuple[CardLevel, int], list[Card]] = {}
    holders: dict[int, Any] = {}
    for card in cards:
        level, holder = where[card.pk]
        holders[holder.pk] = holder
        groups.setdefault((level, holder.pk), []).append(card)
    for (level, holder_id), group in groups.items():
        _write(group, transition, level=level, holder=holders[holder_id], **kw)


def cards_send(
    *, actor: Any, card_ids: Sequence[int], from_org: Organisation, to_org: Organisation | None = None
) -> BulkMove:
    """Send every card of ``card_ids`` that ``from_org`` holds one level down its member's way, in one
    transaction: the same rules as :func:`card_send` for each (``lifecycle.check`` at the level holding
    it, ``off_route``, ``end_of_route``), with the routes worked out once per cell. With ``to_org``, a card
    whose next holder is another organisation is refused (``off_route``): a shipment goes to one place.

    Raises:
        OutOfScope: ``from_org`` (or ``to_org``) is outside the actor's scope.
    """
    scope_require(actor, Action.CHANGE_CARD, from_org, to_org)
    routes: dict[int, list[tuple[CardLevel, Organisation]]] = {}
    with transaction.atomic():
        cards = _locked_many(card_ids)
        visible = _visible(actor, cards)
        refused: dict[int, list[Problem]] = {pk: [Problem("not_found")] for pk in set(card_ids)}
        ok: list[Card] = []
        where: dict[int, tuple[CardLevel, Any]] = {}
        for card in cards:
            if card.pk not in visible:
                continue
            del refused[card.pk]
            at_level = CardLevel(card.level) if card.level else None
            problems = check(
                CardTransition.SEND,
                state=CardState(card.state),
                kind=CardKind(card.kind),
                actor_levels=_holder_levels(actor, card),
                at_level=at_level,
            )
            if card.holder_id != from_org.pk:
                problems.append(Problem("not_here"))
            if not problems:
                cell = card.member.organisation
                route = routes.get(cell.pk) or routes.setdefault(cell.pk, card_route(cell))
                stop = _next_stop(route, at_level, card.holder_id)
                if isinstance(stop, Problem):
                    problems.append(stop)
                elif to_org is not None and stop[1].pk != to_org.pk:
                    problems.append(Problem("off_route"))
                else:
                    where[card.pk] = stop
            if problems:
                refused[card.pk] = problems
            else:
                ok.append(card)
        _write_grouped(ok, CardTransition.SEND, where, actor=actor, at=clock.now())
    return BulkMove({c.pk: (where[c.pk][0], where[c.pk][1].pk) for c in ok}, refused)


def cards_receive(*, actor: Any, card_ids: Sequence[int], at_org: Organisation) -> BulkMove:
    """``at_org`` received every card of ``card_ids`` sent to it, in one transaction: the same rule as
    :func:`card_receive` (only the level a card was sent to receives it), judged where the card physically
    is, so that a card whose member moved while it travelled is still received where it arrived (and then
    re-routed: :func:`card_reroute`).

    Raises:
        OutOfScope: ``at_org`` is outside the actor's scope.
    """
    scope_require(actor, Action.CHANGE_CARD, at_org)
    with transaction.atomic():
        cards = _locked_many(card_ids)
        visible = _visible(actor, cards)
        refused: dict[int, list[Problem]] = {pk: [Problem("not_found")] for pk in set(card_ids)}
        ok: list[Card] = []
        where: dict[int, tuple[CardLevel, Any]] = {}
        for card in cards:
            if card.pk not in visible:
                continue
            del refused[card.pk]
            at_level = CardLevel(card.level) if card.level else None
            problems = check(
                CardTransition.RECEIVE,
                state=CardState(card.state),
                kind=CardKind(card.kind),
                actor_levels=_holder_levels(actor, card),
                at_level=at_level,
            )
            if card.holder_id != at_org.pk:
                problems.append(Problem("not_here"))
            if problems:
                refused[card.pk] = problems
            else:
                assert at_level is not None
                ok.append(card)
                where[card.pk] = (at_level, card.holder)
        _write_grouped(ok, CardTransition.RECEIVE, where, actor=actor, at=clock.now())
    return BulkMove({c.pk: (where[c.pk][0], c.holder_id) for c in ok}, refused)


def cards_transition(
    *, actor: Any, card_ids: Sequence[int], transition: CardTransition, reason: str = ""
) -> BulkMove:
    """One step that does not travel (recover, destroy…) on many cards, in one transaction: each card
    checked as :func:`card_transition` checks it (in scope, ``lifecycle.check`` at the actor's levels on
    its route, worked out once per cell); the refused ones are listed with their reasons."""
    if transition in (CardTransition.SEND, CardTransition.RECEIVE):
        raise ValueError("cards_send and cards_receive move travelling cards")
    reason = reason.strip()
    routes: dict[int, list[tuple[CardLevel, Organisation]]] = {}
    with transaction.atomic():
        cards = _locked_many(card_ids)
        visible = set(
            Card.objects.scoped(actor, Action.CHANGE_CARD)
            .filter(pk__in=[c.pk for c in cards])
            .values_list("pk", flat=True)
        )
        refused: dict[int, list[Problem]] = {pk: [Problem("not_found")] for pk in set(card_ids)}
        ok: list[Card] = []
        for card in cards:
            if card.pk not in visible:
                continue
            del refused[card.pk]
            cell = card.member.organisation
            route = routes.get(cell.pk) or routes.setdefault(cell.pk, card_route(cell))
            problems = check(
                transition,
                state=CardState(card.state),
                kind=CardKind(card.kind),
                actor_levels=card_actor_levels(actor, route),
                reason=reason,
            )
            if problems:
                refused[card.pk] = problems
            else:
                ok.append(card)
        if ok:
            _write(ok, transition, actor=actor, reason=reason, at=clock.now())
    return BulkMove({c.pk: (CardLevel(c.level), c.holder_id) if c.level else (CardLevel.SYSTEM, None)
                     for c in ok}, refused)  # fmt: skip


def card_reroute(*, actor: Any, card: Card | int) -> Card:
    """Send a card that is off its member's way (the member was transferred while it travelled) back up to
    the **lowest organisation on both ways**: the deepest organisation of the member's new route that is an
    ancestor of the one holding the card. It is received there as usual and sent on down the new route.

    Why up, not across: a card travels only between an organisation and the one directly responsible for
    it (Directive 51-CT/TW: the cards go back down the tree), so the custody chain stays on the tree; and the
    lowest common organisation is the shortest such way. The step is a SEND (``lifecycle``: the holder
    sends a card it holds), recorded as an event and an audit row with the reason ``reroute``.

    Raises:
        OutOfScope: neither the card nor the organisation holding it is the actor's (the same 404).
        CardError: the card is not held (produced or received) at a level the actor stands at, or it is
            still on the member's way (``on_route``: send it on as usual).
    """
    with transaction.atomic():
        pk = card if isinstance(card, int) else card.pk
        found = _locked_many([pk])
        if not found or pk not in _visible(actor, found):
            raise OutOfScope()
        locked = found[0]
        at_level = CardLevel(locked.level) if locked.level else None
        problems = check(
            CardTransition.SEND,
            state=CardState(locked.state),
            kind=CardKind(locked.kind),
            actor_levels=_holder_levels(actor, locked),
            at_level=at_level,
        )
        if problems:
            raise CardError(problems)
        route = card_route(locked.member.organisation)
        assert at_level is not None and locked.holder is not None
        if dict(route).get(at_level) == locked.holder:
            raise CardError([Problem("on_route")])
        held = locked.holder.path
        common = [(lv, org) for lv, org in route if held.startswith(org.path) and org.pk != locked.holder_id]
        if not common:
            raise CardError([Problem("off_route")])
        level, holder = common[-1]
        _write(
            [locked],
            CardTransition.SEND,
            actor=actor,
            reason=REROUTE,
            at=clock.now(),
            level=level,
            holder=holder,
        )
    locked.refresh_from_db()
    return locked
