"""What a superior's action does to the officer's next login, from issue 15: "the officer must change it at
next login" (a temporary password or a reset link); "reset the two-factor device (the officer enrols again
at next login)"; "a disabled officer's sessions and API tokens stop working"."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp

from partycard.accounts.models import Role, TOTPDevice, User
from partycard.api.services import token_issue
from partycard.audit.models import AuditEvent
from partycard.officers import services
from partycard.officers.services import Delivery, OfficerDetails
from tests.officers.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN, VERIFY, ENROL = "/dang-nhap/", "/dang-nhap/xac-thuc/", "/dang-nhap/thiet-lap-xac-thuc/"
CHANGE = "/dang-nhap/doi-mat-khau/"
PAGES = ("/", "/dang-vien/", "/can-bo/", "/admin/", "/tai-khoan/api/")


def log_in(client: Client, username: str, password: str) -> None:
    response = client.post(LOGIN, {"username": username, "password": password})
    assert response.status_code == 302, response.content.decode()[:500]


def held_at(client: Client, step: str) -> None:
    """Every page sends the session to ``step``; ``step`` itself answers."""
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith(step), (
            path,
            response["Location"],
        )
    assert client.get(step).status_code == 200


def change_password(client: Client, old: str, new: str) -> Any:
    return client.post(CHANGE, {"old_password": old, "new_password1": new, "new_password2": new})


def enrol(client: Client) -> None:
    client.get(ENROL)  # makes the pending device
    device = TOTPDevice.objects.get(user_id=client.session["_auth_user_id"], confirmed=False)
    response = client.post(ENROL, {"otp_token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302


def test_a_new_officer_changes_the_temporary_password_then_enrols(
    client: Client, tree: Any, hanoi: User
) -> None:
    issued = services.officer_create(
        actor=hanoi,
        username="mai",
        details=OfficerDetails("Lê Thị Mai", "mai@example.vn", "", Role.CELL_SECRETARY, tree.cell_a),
        delivery=Delivery.TEMPORARY,
    )
    temporary = issued.temporary_password
    assert temporary is not None
    log_in(client, "mai", temporary)
    held_at(client, CHANGE)  # no device yet: the password first
    refused = change_password(client, temporary, temporary)  # the same password again
    assert refused.status_code == 200 and "new_password1" in refused.context["form"].errors
    refused = change_password(client, temporary, "12345678901")  # the project's validators (numeric)
    assert refused.status_code == 200 and "new_password2" in refused.context["form"].errors
    assert change_password(client, temporary, "mot-mat-khau-moi-2026").status_code == 302
    officer = User.objects.get(username="mai")
    assert officer.check_password("mot-mat-khau-moi-2026") and not officer.password_change_required
    held_at(client, ENROL)  # then the authenticator
    enrol(client)
    assert client.get("/dang-vien/").status_code == 200
    event = AuditEvent.objects.filter(action="password_set").latest("seq")
    assert (event.actor, event.changes["door"], event.changes["password_change_required"]) == (
        "mai",
        [None, "self"],
        [True, False],
    )


def test_an_officer_with_a_device_proves_it_before_replacing_a_temporary_password(
    client: Client, hanoi: User, secretary: User
) -> None:
    """A temporary password alone does not let anyone choose the password of an account with a device."""
    temporary = services.officer_password_reset(actor=hanoi, officer=secretary, delivery=Delivery.TEMPORARY)
    assert temporary is not None
    log_in(client, secretary.username, temporary)
    held_at(client, VERIFY)
    assert change_password(client, temporary, "mot-mat-khau-moi-2026").status_code == 302  # sent to the code
    assert User.objects.get(pk=secretary.pk).check_password(temporary)
    device = TOTPDevice.objects.get(user=secretary)
    assert client.post(VERIFY, {"otp_token": f"{totp(device.bin_key):06d}"}).status_code == 302
    held_at(client, CHANGE)
    assert change_password(client, temporary, "mot-mat-khau-moi-2026").status_code == 302
    assert client.get("/dang-vien/").status_code == 200


def test_a_superiors_reset_ends_the_officers_open_sessions(
    client: Client, login: Any, hanoi: User, secretary: User
) -> None:
    login(client, secretary)
    assert client.get("/dang-vien/").status_code == 200
    services.officer_password_reset(actor=hanoi, officer=secretary, delivery=Delivery.TEMPORARY)
    response = client.get("/dang-vien/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_two_factor_reset_ends_the_sessions_and_the_officer_enrols_again(
    client: Client, login: Any, hanoi: User, secretary: User
) -> None:
    login(client, secretary)
    assert client.get("/dang-vien/").status_code == 200
    services.officer_two_factor_reset(actor=hanoi, officer=secretary)
    response = client.get("/dang-vien/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)  # signed out
    log_in(client, secretary.username, PASSWORD)  # the password is unchanged
    held_at(client, ENROL)
    enrol(client)
    assert TOTPDevice.objects.filter(user=secretary, confirmed=True).count() == 1
    assert client.get("/dang-vien/").status_code == 200


def test_a_disabled_officer_cannot_log_in_nor_use_a_session_or_an_api_token(
    client: Client, login: Any, hanoi: User, secretary: User
) -> None:
    _, token = token_issue(actor=None, user=secretary, name="script")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/members").status_code == 200
    login(client, secretary)
    assert client.get("/dang-vien/").status_code == 200
    services.officer_disable(actor=hanoi, officer=secretary)
    response = client.get("/dang-vien/")
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    refused = Client().post(LOGIN, {"username": secretary.username, "password": PASSWORD})
    assert refused.status_code == 200 and "_auth_user_id" not in refused.client.session
    assert api.get("/api/v1/members").status_code == 401
    services.officer_enable(actor=hanoi, officer=secretary)
    assert api.get("/api/v1/members").status_code == 401  # revoked, not only refused: enabling keeps it so
    log_in(Client(), secretary.username, PASSWORD)
