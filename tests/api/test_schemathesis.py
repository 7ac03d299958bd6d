"""Property-based check of the whole API against its own OpenAPI schema (schemathesis, bounded).

Loaded from the WSGI app, authenticated with a real token of Hà Nội's committee officer, each operation
gets a few deterministic examples (positive and negative, plus schemathesis' coverage cases), and every
check schemathesis has runs on each answer but the stateful ones: every response must be documented (status
code, content type, headers, body schema), none may be a 5xx, schema-valid data must be accepted (or refused
by a rule the schema cannot state, 422), data the schema forbids must be refused, and a method a path does
not have must be a 405 with ``Allow``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from partycard.exchange.jobs import start_transition
from partycard.exchange.models import Campaign, Case
from partycard.exchange.workflow import Transition

pytestmark = pytest.mark.django_db

# Every check schemathesis has, conformance and data acceptance alike, but the stateful ones that follow
# created resources through OpenAPI links (the schema declares none).
STATEFUL = ("use_after_free", "ensure_resource_availability", "object_level_authorization")
# Schema-valid data may still be refused by a rule the schema cannot state (a parent that does not exist,
# a reason a cancellation needs): that is a 422 (RFC 9110 §15.5.21). Never a 400: a 400 on schema-valid data
# means the schema says less than the route checks (as the empty cursor did).
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 20250701,
        "generation": {"max-examples": 8, "deterministic": True, "database": "none", "mode": "all"},
        "checks": {
            "enabled": True,
            **{name: {"enabled": False} for name in STATEFUL},
            "positive_data_acceptance": {"expected-statuses": ACCEPTED},
        },
        "operations": [
            {
                # The member list's cursor is an opaque token: the schema gives its alphabet, and a token of
                # that alphabet the server did not issue is a 400 bad-cursor (tests/api/routers).
                "include-operation-id": "member_list",
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            }
        ],
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
    }
)


@pytest.fixture
def bearer(
    tree: Any, make_member: Any, officer: Any, issue: Any, settings: Any, tmp_path: Path, monkeypatch: Any
) -> Iterator[dict[str, str]]:
    """Hà Nội's officer's token, a member on each side, no rate limit in the way; WSGI-safe connections;
    a signing authority, so that the e-card's trust and status list routes have something to serve."""
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    member = make_member(old_card_number="12345678")
    make_member(org=tree.hue_cell, full_name="Lê Văn Huế", citizen_id="001080099999")
    # An exchange campaign, a case and a job, so that the exchange routes answer more than 404.
    campaign = Campaign.objects.create(code="dot-2026", name="Đợt 2026", cut_off=dt.date(2026, 6, 30))
    case = Case.objects.create(
        campaign=campaign, member=member, organisation=tree.cell_a, path=tree.cell_a.path, state="proposed"
    )
    start_transition(actor=officer, transition=Transition.CONFIRM, targets=[case.pk], enqueue=False)
    settings.PARTYCARD = {**settings.PARTYCARD, "API_RATE_LIMIT": "100000/minute"}
    # Django's test client detaches these so that a request does not close the test's connection (and
    # with it the transaction, or the in-memory SQLite database); calling the WSGI app needs the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {"Authorization": f"Bearer {issue(officer)}"}
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", WSGIHandler(), config=CONFIG)


@schema.parametrize()
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])  # the data may accumulate
def test_api_conforms_to_its_schema(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    case.call_and_validate(headers=bearer)


@pytest.fixture
def member_session(
    tree: Any, make_member: Any, settings: Any, tmp_path: Path, monkeypatch: Any, login: Any
) -> Iterator[dict[str, str]]:
    """The member's app's credentials: a member's session that passed the SMS code, its CSRF token in
    the header (the member's routes, /api/v1/me/…, take no token); the member holds a card in use, so
    that registering a phone can succeed."""
    from django.db import transaction
    from django.test import Client

    from partycard.accounts.models import User
    from partycard.accounts.roles import Role
    from tests.factories import card_active

    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    member = make_member(old_card_number="12345678")
    with transaction.atomic():
        card_active(member)
    user = User.objects.create_user("dv-schema", password="mat-khau-dai-1", role=Role.MEMBER,
                                    organisation=tree.cell_a, member=member)  # fmt: skip
    client = Client()
    login(client, user)
    client.get("/so-tay/")  # the CSRF cookie
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    settings.PARTYCARD = {**settings.PARTYCARD, "API_RATE_LIMIT": "100000/minute"}
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "X-CSRFToken": cookies["csrftoken"],
            "Referer": "http://testserver/so-tay/",
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@schema.include(tag="me").parametrize()
@hypothesis_settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_member_routes_conform_with_the_member_session(
    case: schemathesis.Case, member_session: dict[str, str]
) -> None:
    """The member's routes, with the member's own session (the officer's token above gets their 401)."""
    case.call_and_validate(headers=member_session)
