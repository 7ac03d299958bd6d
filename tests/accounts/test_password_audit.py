"""Issue 12: an administrator's password reset (the admin's change-password page and ``changepassword``)
left no audit row. Each now appends ``password_set``: who, whose, through which door, never the password
or its hash."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.management.commands import changepassword as django_changepassword
from django.core.management import call_command
from django.test import Client

from partycard.accounts.models import User
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify

NEW_PASSWORD = "mot-mat-khau-moi-rat-dai-2026"


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user("tinh", password="mat-khau-cu-dai-1", organisation=tree.hanoi)


def no_secret_in_log(user: User) -> None:
    user.refresh_from_db()
    text = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert NEW_PASSWORD not in text and user.password not in text and "argon2" not in text


def test_admin_password_reset_is_audited(client: Client, tree: Any, login: Any, officer: User) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    login(client, admin)
    response = client.post(
        f"/admin/accounts/user/{officer.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "password_set",
        "admin",
        "accounts.user",
        str(officer.pk),
    )
    assert event.changes == {"password": [None, "set"], "door": [None, "admin"]}
    no_secret_in_log(officer)
    assert audit_verify().ok


def test_admin_disabling_password_login_is_audited(
    client: Client, tree: Any, login: Any, officer: User
) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    login(client, admin)
    response = client.post(
        f"/admin/accounts/user/{officer.pk}/password/", {"usable_password": "false", "unset-password": "1"}
    )
    assert response.status_code == 302
    officer.refresh_from_db()
    assert not officer.has_usable_password()
    assert AuditEvent.objects.latest("seq").changes == {
        "password": [None, "disabled"],
        "door": [None, "admin"],
    }


def test_refused_password_leaves_no_row(client: Client, tree: Any, login: Any, officer: User) -> None:
    admin = User.objects.create_superuser("admin", password="mat-khau-dai-1", organisation=tree.centre)
    login(client, admin)
    before = AuditEvent.objects.count()
    response = client.post(
        f"/admin/accounts/user/{officer.pk}/password/",
        {"password1": "123", "password2": "123", "usable_password": "true"},
    )
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before


def test_changepassword_command_is_audited(officer: User, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(django_changepassword.getpass, "getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", "tinh", stdout=None)
    officer.refresh_from_db()
    assert officer.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.latest("seq")
    assert (event.action, event.actor, event.object_id) == ("password_set", "system", str(officer.pk))
    assert event.changes == {"password": [None, "set"], "door": [None, "changepassword"]}
    no_secret_in_log(officer)
