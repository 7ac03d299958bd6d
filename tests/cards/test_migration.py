"""The migration that ends the case at the Centre's acceptance (exchange 0007, cards 0001-0002,
credentials 0002): every case past acceptance becomes an accepted case and a card in the state the case
had reached; old cards become cards; the status lists keep their rows and the e-cards keep their lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from partycard.registry.seeding.loader import ensure_ethnicities

BEFORE = [
    ("exchange", "0005_chip_image"),
    ("credentials", "0001_initial"),
    ("registry", "0004_member_standing"),
]


def _latest() -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.fixture
def before_cards(transactional_db: Any) -> Iterator[None]:
    """The schema before the cards app; the latest again afterwards, whatever happened (later tests need
    it). A transactional test before this one may have emptied the reference table: fill it first."""
    ensure_ethnicities()
    MigrationExecutor(connection).migrate(BEFORE)
    try:
        yield
    finally:
        _latest()


def test_cases_past_acceptance_become_cards(before_cards: None) -> None:
    executor = MigrationExecutor(connection)
    old = executor.loader.project_state(BEFORE).apps
    Org, Member = old.get_model("registry", "Organisation"), old.get_model("registry", "Member")
    Campaign, Case = old.get_model("exchange", "Campaign"), old.get_model("exchange", "Case")
    StatusList, Credential = (
        old.get_model("credentials", "StatusListRecord"),
        old.get_model("credentials", "Credential"),
    )
    centre = Org.objects.create(code="TW", name="Trung ương", level=0, path="1.")
    province = Org.objects.create(code="HN", name="Hà Nội", level=1, parent=centre, path="1.2.")
    cell = Org.objects.create(code="HN-C", name="Chi bộ", level=4, parent=province, path="1.2.3.")
    campaign = Campaign.objects.create(code="c", name="c", cut_off=dt.date(2026, 6, 30))
    states = ["accepted", "in_production", "sent", "handed_over", "old_destroyed", "cancelled", "decided"]
    cases = {}
    for n, state in enumerate(states):
        member = Member.objects.create(
            organisation=cell,
            full_name=f"Đảng viên {n}",
            name_search=f"dang vien {n}",
            gender="M",
            date_of_birth=dt.date(1980, 1, 1),
            date_admitted=dt.date(2000, 1, 1),
            date_official=dt.date(2001, 1, 1),
            status="official",
            old_card_number=f"1000000{n}",
        )
        number = None if state == "decided" else f"00000000{n}{n}"[-10:]
        cases[state] = Case.objects.create(
            campaign=campaign,
            member=member,
            organisation=cell,
            path=cell.path,
            state=state,
            card_number=number,
        )
    status_list = StatusList.objects.create(signer_label="ds", size=8, packed=b"\x00\x00")
    Credential.objects.create(
        member=cases["handed_over"].member,
        card_number="x",
        signer_label="ds",
        kid="k",
        status_list=status_list,
        status_index=0,
        qr="q",
        sd_jwt="s",
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )
    Credential.objects.create(  # the e-card of a card handed over: it stays valid
        member=cases["old_destroyed"].member,
        card_number=cases["old_destroyed"].card_number,
        signer_label="ds",
        kid="k",
        status_list=status_list,
        status_index=1,
        qr="q",
        sd_jwt="s",
        issued_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 1, 1, tzinfo=dt.UTC),
    )

    _latest()

    from partycard.cards.models import Card, StatusListRecord
    from partycard.credentials.models import Credential as NewCredential
    from partycard.exchange.models import Case as NewCase

    expected = {  # the case reached → the new card's state, the old card's state
        "accepted": ("allocated", "active"),
        "in_production": ("in_production", "active"),
        "sent": ("received", "active"),
        "handed_over": ("active", "superseded"),
        "old_destroyed": ("active", "destroyed"),
        "cancelled": ("revoked", "active"),
    }
    for state, (new_state, old_state) in expected.items():
        case = NewCase.objects.get(pk=cases[state].pk)
        assert case.state == ("cancelled" if state == "cancelled" else "accepted"), state
        card = Card.objects.get(case_id=case.pk)
        assert (card.number, card.kind, card.state) == (case.card_number, "new", new_state), state
        assert Card.objects.get(member_id=case.member_id, kind="old").state == old_state, state
    assert NewCase.objects.get(pk=cases["decided"].pk).state == "decided"
    assert not Card.objects.filter(member_id=cases["decided"].member_id, kind="new").exists()
    assert Card.objects.get(case_id=cases["sent"].pk).holder_id == cell.pk
    # The status lists moved to the cards app without losing a row; the e-card still points to its list.
    assert StatusListRecord.objects.get().pk == status_list.pk
    assert set(NewCredential.objects.values_list("status_list_id", flat=True)) == {status_list.pk}
    # An e-card whose number is not a new card in use (this one named no card at all) stops verifying:
    # revoked, and its status-list entry flipped to INVALID (0x01); the other keeps VALID (0x00).
    stale, kept = NewCredential.objects.order_by("status_index")
    assert (stale.status, stale.status_reason, kept.status) == (1, "no_card_in_use", 0)
    assert StatusListRecord.objects.get().packed[0] & 0b1111 == 0b0001
