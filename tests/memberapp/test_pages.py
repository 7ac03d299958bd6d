"""The member's app pages: the shell and its manifest and service worker; the "Phones" panel with its
revoke button on a member's page, for the officers who may revoke (CHANGE_DEVICE) in their scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.credentials.models import CredentialStatus
from partycard.memberapp.services import device_register
from tests.memberapp.conftest import device_key

pytestmark = pytest.mark.django_db


def test_the_shell_manifest_and_service_worker(holder: Any, login: Any, client: Client) -> None:
    login(client, holder)
    page = client.get("/so-tay/")
    html = page.content.decode()
    assert page.status_code == 200 and 'rel="manifest"' in html and "<script>" not in html  # CSP: no inline
    assert (
        "/static/memberapp/app.js" in html
        and "Sổ tay" in client.get("/so-tay/manifest.webmanifest").json()["name"]
    )
    worker = client.get("/so-tay/sw.js")
    assert worker["Service-Worker-Allowed"] == "/so-tay/"
    assert "/static/verifier/codec.js" in worker.content.decode()  # imported from the verifier, cached


def test_an_officer_sees_no_app_but_a_notice(tree: Any, login: Any, client: Client) -> None:
    officer = User.objects.create_user("bt", password="x", role=Role.CELL_SECRETARY, organisation=tree.cell_a)
    login(client, officer)
    html = client.get("/so-tay/").content.decode()
    assert "memberapp/app.js" not in html


def test_the_cell_secretary_revokes_from_the_member_page(
    authority: Path, holder: Any, tree: Any, login: Any, client: Client
) -> None:
    device = device_register(actor=holder, spki=device_key()[1], label="Máy cũ")
    secretary = User.objects.create_user(
        "bt", password="x", role=Role.CELL_SECRETARY, organisation=tree.cell_a
    )
    login(client, secretary)
    page = client.get(f"/dang-vien/{holder.member_id}/").content.decode()
    assert "Máy cũ" in page and f"/so-tay/thiet-bi/{device.pk}/thu-hoi/" in page
    response = client.post(f"/so-tay/thiet-bi/{device.pk}/thu-hoi/")
    assert response["Location"] == f"/dang-vien/{holder.member_id}/"
    device.refresh_from_db()
    assert device.revoked_by == secretary and device.credential.status == CredentialStatus.REVOKED
    # The inspector reads the member but may not revoke: no button.
    inspector = User.objects.create_user("tt", password="x", role=Role.INSPECTOR, organisation=tree.hanoi)
    other = Client()
    login(other, inspector)
    assert "/thu-hoi/" not in other.get(f"/dang-vien/{holder.member_id}/").content.decode()
