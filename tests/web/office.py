"""A small office for the page tests of issue 15: the officers of the Hà Nội branch, a campaign, two cases
waiting for the grassroots committee, an old card, a background job, an administrator; and a browser
session signed in without typing the code (the TOTP step has its own tests in test_browser.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.models import Card
from partycard.cards.services import cards_register_old
from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case
from partycard.exchange.services import case_propose
from partycard.exchange.workflow import Transition
from partycard.registry.models import Member
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import Officers, card_holder

__all__ = ["Office", "campaign", "office", "officers", "sign_in"]

campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers


@dataclass
class Office:
    officers: Officers
    campaign: Campaign
    an: Member  # official, eligible, proposed: their case waits for the grassroots committee
    case: Case
    other_case: Case  # Bình's, waiting too
    reviewed: Member  # not eligible now: under disciplinary review (postponed until resolved, DOMAIN.md)
    card: Card  # An's old card
    job_pk: int
    admin: User


@pytest.fixture
def office(tree: Any, make_member: Any, officers: Officers, campaign: Campaign) -> Office:
    an = card_holder(make_member, full_name="Nguyễn Văn An", old_card_number="12345678")
    binh = card_holder(
        make_member, full_name="Trần Văn Bình", citizen_id="001080054321", old_card_number="87654321"
    )
    reviewed = card_holder(
        make_member,
        full_name="Lê Thị Cúc",
        gender="F",
        citizen_id="001180054321",
        old_card_number="11223344",
        under_discipline=True,
    )
    case = case_propose(actor=officers.cell, campaign=campaign, member=an)
    other = case_propose(actor=officers.cell, campaign=campaign, member=binh)
    cards_register_old(actor=None, member_ids=[an.pk])
    job = start_transition(
        actor=officers.grassroots,
        transition=Transition.CONFIRM,
        targets=[other.pk],
        campaign=campaign,
        enqueue=False,
    )
    admin = User.objects.create_user(
        "quantri",
        password="x",
        role=Role.CENTRAL_ADMIN,
        organisation=tree.centre,
        is_staff=True,
        is_superuser=True,
    )
    return Office(
        officers=officers,
        campaign=campaign,
        an=an,
        case=case,
        other_case=other,
        reviewed=reviewed,
        card=Card.objects.get(member=an),
        job_pk=job.pk,
        admin=admin,
    )


def sign_in(page: Any, base_url: str, user: Any, login: Any) -> None:
    """Put a signed-in (and, for an officer, OTP-verified) session of ``user`` into the browser.

    The page the browser is on is left first, once its requests are done: a page still fetching (the
    check-in page loads its roster and lists) writes the session on the live server's thread while this
    one inserts the new session, and SQLite's shared in-memory test database refuses one of the two
    ("database table is locked") instead of waiting."""
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
    client = Client()
    login(client, user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.clear_cookies()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": base_url}])
