"""The API under /api/v1/losses… (bearer tokens, the same scope rules as the pages) and the member's
``GET/POST /api/v1/me/losses`` (their session, CSRF checked; never a token)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partycard.api.services import token_issue
from partycard.cards.lifecycle import CardState
from partycard.core.errors import DomainError
from partycard.losses.models import LossReport
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.exchange.conftest import Officers
from tests.losses.conftest import Holder, chip_codes, ecard_codes, photo

pytestmark = pytest.mark.django_db


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=user, name='t')[1]}")


def _files(*raws: bytes) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(f"anh-{i}.jpg", raw, content_type="image/jpeg") for i, raw in enumerate(raws)]


def _step(client: Client, report_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/losses/{report_id}/steps", body, content_type="application/json")


def test_the_member_reports_in_the_app_and_the_committees_take_their_steps(
    holder: Holder, officers: Officers, client: Client, login: Any
) -> None:
    login(client, holder.user)  # the password and the SMS code
    response = client.post(
        "/api/v1/me/losses",
        {"kind": "lost", "circumstances": "Mất ví ở chợ", "photos": _files(photo(), photo(300, 450))},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "reported" and body["card_number"] == holder.card.number
    assert body["card_state"] == CardState.SUSPENDED and len(body["photos"]) == 2
    assert chip_codes(holder.card) == ("card_suspended",)  # at once
    mine = client.get("/api/v1/me/losses").json()
    assert [r["id"] for r in mine] == [body["id"]]

    report_id = body["id"]
    assert _step(_api(officers.cell), report_id, step="list").status_code == 409  # not the cell's step
    assert _step(_api(officers.grassroots), report_id, step="list").json()["state"] == "listed"
    upper = _api(officers.upper)
    assert _step(upper, report_id, step="compile", good_reason=True).json()["state"] == "compiled"
    decided = _step(upper, report_id, step="decide", decision_number="7-QĐ/ĐU").json()
    assert decided["state"] == "decided" and decided["new_card_number"] not in (None, holder.card.number)
    assert chip_codes(holder.card) == ("card_revoked",) and ecard_codes(holder) == ("revoked",)

    photo_id = body["photos"][0]["id"]
    shown = upper.get(f"/api/v1/losses/{report_id}/photos/{photo_id}")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/jpeg"
    assert shown.content.startswith(b"\xff\xd8\xff")
    form = upper.get("/api/v1/losses/forms/4-TDV", {"day": decided["decided_on"]})
    assert form.status_code == 200 and form["Content-Type"] == "application/pdf"


def test_the_members_routes_take_the_session_and_only_the_members(
    holder: Holder, officers: Officers, login: Any
) -> None:
    with pytest.raises(DomainError):  # a token is never a member's way in: none is issued to a member
        token_issue(actor=None, user=holder.user, name="t")
    half = Client()
    half.force_login(holder.user)  # the password only: the SMS code not given yet
    assert half.get("/api/v1/me/losses").status_code == 401
    officer = Client()
    login(officer, officers.cell)
    assert officer.get("/api/v1/me/losses").status_code == 401  # an officer's session is not a member's
    strict = Client(enforce_csrf_checks=True)
    login(strict, holder.user)
    refused = strict.post(
        "/api/v1/me/losses", {"kind": "lost", "circumstances": "x", "photos": _files(photo(), photo())}
    )
    assert refused.status_code == 403  # the member's session, but no CSRF token
    assert not LossReport.objects.exists()


def test_photos_refused_with_the_reason(holder: Holder, client: Client, login: Any) -> None:
    login(client, holder.user)
    response = client.post(
        "/api/v1/me/losses", {"kind": "damaged", "circumstances": "x", "photos": _files(photo(), b"<html>")}
    )
    assert response.status_code == 422
    assert "photos" in response.content.decode()
    holder.card.refresh_from_db()
    assert holder.card.state == CardState.ACTIVE


def test_scope_of_the_officers_routes(holder: Holder, officers: Officers, make_member: Any) -> None:
    cell = _api(officers.cell)
    made = cell.post(
        "/api/v1/losses",
        {
            "member": holder.member.pk,
            "kind": "damaged",
            "circumstances": "Gãy đôi",
            "photos": _files(photo(), photo()),
        },
    )
    assert made.status_code == 201, made.content
    report_id = made.json()["id"]
    hue = _api(officers.hue_upper)
    assert hue.get(f"/api/v1/losses/{report_id}").status_code == 404
    assert hue.get("/api/v1/losses").json() == []
    assert _step(hue, report_id, step="refuse", reason="x").status_code == 404
    assert _api(officers.other_cell).get(f"/api/v1/losses/{report_id}").status_code == 404
    other = _api(officers.hue_cell).post(
        "/api/v1/losses",
        {
            "member": holder.member.pk,
            "kind": "lost",
            "circumstances": "x",
            "photos": _files(photo(), photo()),
        },
    )
    assert other.status_code == 422  # no member of that id in its scope
    # The member sees their own report through their session only; an inspector reads, never writes.
    assert [r["id"] for r in _api(officers.grassroots).get("/api/v1/losses").json()] == [report_id]


def test_recovery_by_the_api(holder: Holder, officers: Officers) -> None:
    registry.member_update(
        actor=officers.upper,
        member=holder.member,
        changes={"status": MemberStatus.EXPELLED},
        reason="khai trừ",
    )
    cell = _api(officers.cell)
    body = {"member": holder.member.pk, "card_number": holder.card.number, "note": "Biên bản thu hồi"}
    assert (
        _api(officers.hue_cell)
        .post("/api/v1/losses/recoveries", body, content_type="application/json")
        .status_code
        == 422
    )
    done = cell.post("/api/v1/losses/recoveries", body, content_type="application/json")
    assert done.status_code == 201 and done.json()["outcome"] == "recovered"
    assert cell.post("/api/v1/losses/recoveries", body, content_type="application/json").status_code == 409
    assert [r["card_number"] for r in cell.get("/api/v1/losses/recoveries").json()] == [holder.card.number]
