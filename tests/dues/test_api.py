"""The dues API: officers with bearer tokens (a cell's month, the bulk record, confirm, refuse, the
statistics), the member's own routes with their session (``me/dues``); the same scope rules as the pages."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from partycard.api.services import token_issue
from partycard.dues.choices import PaymentStatus
from partycard.dues.models import Payment
from partycard.dues.months import month_key
from tests.dues.conftest import months_ago

pytestmark = pytest.mark.django_db


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=user, name='t')[1]}")


def _post(client: Client, url: str, body: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def test_the_cell_records_and_reads_its_month(officers: Any, members: list[Any], tree: Any) -> None:
    a, b, c = members
    api, month = _api(officers.cell), month_key(months_ago(1))
    url = f"/api/v1/dues/cells/{tree.cell_a.code}/months/{month}"
    answer = _post(api, url, {"payments": [{"member": a.pk, "amount": 50_000}]})
    assert answer.status_code == 200, answer.content
    (p,) = answer.json()
    assert (p["member"], p["amount"], p["status"], p["paid"], p["month"]) == (
        a.pk,
        50_000,
        "recorded",
        True,
        month,
    )
    sheet = api.get(url).json()
    assert [r["member"] for r in sheet["rows"]] == [a.pk, b.pk]
    assert (sheet["paid"], sheet["in_arrears"], sheet["collected"]) == (1, 1, 50_000)
    # Another cell's member, a bad amount, a month not begun: refused, nothing written.
    assert _post(api, url, {"payments": [{"member": c.pk, "amount": 1}]}).status_code == 404  # not in scope
    assert _post(api, url, {"payments": [{"member": b.pk, "amount": 0}]}).status_code == 422
    assert _post(api, url, {"payments": [{"member": b.pk, "amount": 1, "x": 1}]}).status_code == 422
    future = f"/api/v1/dues/cells/{tree.cell_a.code}/months/2999-01"
    assert _post(api, future, {"payments": [{"member": b.pk, "amount": 1}]}).status_code == 422
    assert api.get(f"/api/v1/dues/cells/{tree.cell_a.code}/months/2026-13").status_code == 422
    assert Payment.objects.count() == 1


def test_out_of_scope_is_a_404_and_a_member_token_records_nothing(
    officers: Any, members: list[Any], tree: Any
) -> None:
    a = members[0]
    url = f"/api/v1/dues/cells/{tree.cell_a.code}/months/{month_key(months_ago(1))}"
    hue = _api(officers.hue_cell)
    assert hue.get(url).status_code == 404
    assert _post(hue, url, {"payments": [{"member": a.pk, "amount": 1}]}).status_code == 404
    inspector_like = _api(officers.other_cell)
    assert inspector_like.get(url).status_code == 404
    assert not Payment.objects.exists()


def test_declarations_confirmed_and_refused_through_the_api(
    officers: Any, members: list[Any], member_user: Any, login: Any
) -> None:
    session = Client()
    login(session, member_user)
    answer = _post(
        session,
        "/api/v1/me/dues",
        {"month": month_key(months_ago(1)), "amount": 40_000, "note": "Chuyển khoản"},
    )
    assert answer.status_code == 201, answer.content
    declared = answer.json()
    assert declared["status"] == "declared" and not declared["paid"]
    other = _post(session, "/api/v1/me/dues", {"month": month_key(months_ago(2)), "amount": 1})
    api = _api(officers.cell)
    assert _post(api, f"/api/v1/dues/payments/{declared['id']}/confirm", {}).json()["status"] == "confirmed"
    assert _post(api, f"/api/v1/dues/payments/{declared['id']}/confirm", {}).status_code == 409
    refused = _post(api, f"/api/v1/dues/payments/{other.json()['id']}/refuse", {"reason": "Chưa nhận"})
    assert refused.json()["status"] == "refused" and refused.json()["refusal_reason"] == "Chưa nhận"
    assert (
        _post(_api(officers.hue_cell), f"/api/v1/dues/payments/{declared['id']}/confirm", {}).status_code
        == 404
    )
    mine = session.get("/api/v1/me/dues").json()
    assert [p["status"] for p in mine["payments"]] == ["confirmed", "refused"]
    # The month already paid cannot be declared again.
    again = _post(session, "/api/v1/me/dues", {"month": month_key(months_ago(1)), "amount": 1})
    assert again.status_code == 409


def test_me_dues_is_for_a_members_session_only(officers: Any, member_user: Any, login: Any) -> None:
    assert Client().get("/api/v1/me/dues").status_code == 401
    officer = Client()
    login(officer, officers.cell)
    assert officer.get("/api/v1/me/dues").status_code == 401  # an officer's session is no member's
    assert _api(officers.cell).get("/api/v1/me/dues").status_code == 401  # nor is a bearer token
    csrf = Client(enforce_csrf_checks=True)
    login(csrf, member_user)
    assert _post(csrf, "/api/v1/me/dues", {"month": month_key(months_ago(1)), "amount": 1}).status_code in (
        401,
        403,
    )
    assert not Payment.objects.filter(status=PaymentStatus.DECLARED).exists()


def test_the_statistics_are_scoped(officers: Any, members: list[Any], tree: Any) -> None:
    a = members[0]
    _post(_api(officers.cell), f"/api/v1/dues/cells/{tree.cell_a.code}/months/{month_key(months_ago(1))}",
          {"payments": [{"member": a.pk, "amount": 50_000}]})  # fmt: skip
    q = {"month": month_key(months_ago(1)), "organisation": tree.school.code}
    answer = _api(officers.province).get("/api/v1/dues/summary", q).json()
    assert answer["total"]["collected"] == 50_000 and answer["total"]["in_arrears"] == 2
    assert [c["organisation"] for c in answer["children"]] == [tree.cell_a.code, tree.cell_b.code]
    assert _api(officers.hue_upper).get("/api/v1/dues/summary", q).status_code == 404
    mine = _api(officers.cell).get("/api/v1/dues/summary", {"month": month_key(months_ago(1))}).json()
    assert mine["total"]["organisation"] == tree.cell_a.code and mine["total"]["paid"] == 1
