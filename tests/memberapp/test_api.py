"""The member's routes (/api/v1/me/…): the member's session only (an officer's session or any token is a
401), each answering only the member's own data; registering a phone issues the bound e-card and
supersedes the earlier one; revoking it revokes its e-card (docs/procedures.md)."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.api.services import token_issue
from partycard.audit.models import AuditEvent
from partycard.core import clock
from partycard.core.errors import DomainError
from partycard.credentials.models import Credential, CredentialStatus
from partycard.credentials.publishing import verdict_for
from partycard.memberapp.models import Device
from tests.memberapp.conftest import device_key

pytestmark = pytest.mark.django_db


def _spki() -> str:
    return base64.b64encode(device_key()[1]).decode()


@pytest.fixture
def member_client(holder: Any, login: Any) -> Client:
    client = Client(enforce_csrf_checks=True)
    login(client, holder)
    client.get("/so-tay/")  # sets the CSRF cookie
    return client


def _post(client: Client, path: str, data: Any) -> Any:
    token = client.cookies["csrftoken"].value
    return client.post(path, data, content_type="application/json", headers={"X-CSRFToken": token})


def test_me_is_the_member_own_record_and_cards(member_client: Client, holder: Any) -> None:
    me = member_client.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["id"] == holder.member_id
    assert me.json()["full_name"] == "Trần Thị Bích"
    cards = member_client.get("/api/v1/me/cards").json()
    assert [c["state"] for c in cards if c["kind"] == "new"] == ["active"]
    assert cards[0]["history"], "the card's way from production to hand-over"


def test_register_issues_a_bound_e_card_and_revoke_ends_it(
    authority: Path, member_client: Client, holder: Any
) -> None:
    first = _post(member_client, "/api/v1/me/devices", {"spki": _spki(), "label": "Điện thoại cũ"})
    assert first.status_code == 201, first.content
    body = first.json()
    assert body["qr"].startswith("PC1:") and body["sd_jwt"] and body["credential_status"] == "valid"
    second = _post(member_client, "/api/v1/me/devices", {"spki": _spki(), "label": "Điện thoại mới"})
    assert second.status_code == 201
    old = Device.objects.get(pk=body["id"])
    # The new phone's e-card supersedes the old one: the old device reads revoked.
    assert old.revoked_at is not None and old.credential.status == CredentialStatus.REVOKED
    listed = member_client.get("/api/v1/me/devices").json()
    assert [d["credential_status"] for d in listed] == ["valid", "revoked"]

    revoked = _post(member_client, f"/api/v1/me/devices/{second.json()['id']}/revoke", {})
    assert revoked.status_code == 200 and revoked.json()["credential_status"] == "revoked"
    credential = Credential.objects.get(pk=Device.objects.get(pk=second.json()["id"]).credential_id)
    assert credential.status == CredentialStatus.REVOKED and credential.status_reason == "device_revoked"
    verdict = verdict_for(qr=credential.qr, sd_jwt=None, audience=None, nonce=None, at=clock.now())
    assert "revoked" in verdict.codes
    assert AuditEvent.objects.filter(action="memberapp.device_revoke", object_id=second.json()["id"]).exists()


def test_a_bad_key_is_refused(authority: Path, member_client: Client) -> None:
    response = _post(member_client, "/api/v1/me/devices", {"spki": base64.b64encode(b"not a key").decode()})
    assert response.status_code in (400, 422)
    assert not Device.objects.exists()


def test_csrf_is_checked(authority: Path, member_client: Client) -> None:
    response = member_client.post("/api/v1/me/devices", {"spki": _spki()}, content_type="application/json")
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_a_member_sees_and_revokes_only_their_own_devices(
    authority: Path, member_client: Client, holder: Any, make_member: Any, tree: Any, login: Any
) -> None:
    from tests.exchange.conftest import card_holder
    from tests.factories import card_active

    other = card_holder(
        make_member,
        full_name="Lê Văn Khác",
        citizen_id="001080054321",
        org=tree.cell_b,
        old_card_number="87654321",
    )
    card_active(other)
    other_user = User.objects.create_user("dv-b", password="mat-khau-dai-1", role=Role.MEMBER,
                                          organisation=other.organisation, member=other)  # fmt: skip
    other_client = Client(enforce_csrf_checks=True)
    login(other_client, other_user)
    other_client.get("/so-tay/")
    theirs = _post(other_client, "/api/v1/me/devices", {"spki": _spki()}).json()
    assert member_client.get("/api/v1/me/devices").json() == []
    response = _post(member_client, f"/api/v1/me/devices/{theirs['id']}/revoke", {})
    assert response.status_code == 404
    assert Device.objects.get(pk=theirs["id"]).revoked_at is None


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/me/cards", "/api/v1/me/devices"])
def test_an_officer_session_or_a_token_gets_401(
    path: str, tree: Any, login: Any, holder: Any, client: Client
) -> None:
    officer = User.objects.create_user("bt-a", password="mat-khau-dai-1", role=Role.CELL_SECRETARY,
                                       organisation=tree.cell_a)  # fmt: skip
    login(client, officer)
    assert client.get(path).status_code == 401
    plaintext = token_issue(actor=None, user=officer, name="t")[1]
    assert Client().get(path, headers={"Authorization": f"Bearer {plaintext}"}).status_code == 401
    assert Client().get(path).status_code == 401


def test_a_member_without_the_sms_code_gets_401(holder: Any) -> None:
    client = Client()
    client.force_login(holder)  # the password only
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/so-tay/").status_code == 302


def test_members_get_no_api_tokens(holder: Any, login: Any) -> None:
    with pytest.raises(DomainError):
        token_issue(actor=holder, user=holder, name="x")
    with pytest.raises(DomainError):
        token_issue(actor=None, user=holder, name="x")
    client = Client()
    login(client, holder)
    response = client.post("/tai-khoan/api/", {"name": "x"})
    assert response.status_code == 302 and response["Location"] == "/so-tay/"
    home = client.get("/").content.decode()
    assert "/so-tay/" in home and "/tai-khoan/api/" not in home
