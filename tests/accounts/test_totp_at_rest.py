"""Issue 12: TOTP secrets were stored in plain hex (django-otp's ``TOTPDevice.key``), and enrolling,
resetting or removing a device left no (or an incomplete) audit row. Secrets are now encrypted with a key
from the environment, django-otp's verification still works, existing devices are migrated, and every
device change is audited without the secret."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django_otp.oath import totp

from partycard.accounts import two_factor
from partycard.accounts.models import Role, TOTPDevice, User
from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify

PASSWORD = "mat-khau-dai-1"


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user(
        "tinh", password=PASSWORD, organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


def stored_key(device: TOTPDevice) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM accounts_totpdevice WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def no_secret_in_the_log(*keys: str) -> None:
    text = str(list(AuditEvent.objects.values_list("changes", flat=True)))
    for key in keys:
        assert key not in text and base64.b32encode(bytes.fromhex(key)).decode() not in text


def test_the_secret_is_encrypted_in_the_database_and_still_verifies(client: Client, officer: User) -> None:
    device = two_factor.totp_enrol_start(user=officer)
    raw = stored_key(device)
    assert re.fullmatch(r"[0-9a-f]{40}", device.key)
    assert device.key not in raw and not re.search(r"[0-9a-f]{40}", raw)
    assert TOTPDevice.objects.get(pk=device.pk).key == device.key  # decrypted on the way back
    # The whole login through django-otp's verification: enrol with the app's code, then sign in again.
    assert client.post("/dang-nhap/", {"username": "tinh", "password": PASSWORD}).status_code == 302
    code = f"{totp(device.bin_key):06d}"
    assert client.post("/dang-nhap/thiet-lap-xac-thuc/", {"otp_token": code}).status_code == 302
    assert client.get("/").status_code == 200


def test_existing_plain_devices_are_encrypted_by_the_migration(transactional_db: Any) -> None:
    executor = MigrationExecutor(connection)
    executor.migrate([("accounts", "0003_user_member")])
    old_apps = executor.loader.project_state(
        [("accounts", "0003_user_member"), ("otp_totp", "0003_add_timestamps")]
    ).apps
    old_user = old_apps.get_model("accounts", "User").objects.create(username="cu", password="x")
    key = secrets.token_hex(20)
    old_apps.get_model("otp_totp", "TOTPDevice").objects.create(
        user_id=old_user.pk, name="phone", key=key, last_t=7
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    device = TOTPDevice.objects.get(user_id=old_user.pk)
    assert (device.key, device.name, device.last_t, device.confirmed) == (key, "phone", 7, True)
    assert key not in stored_key(device)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM otp_totp_totpdevice")
        assert cursor.fetchone()[0] == 0  # no plain secret left behind
    TOTPDevice.objects.create(user_id=old_user.pk, name="second")  # the id sequence moved past the copies


def test_production_refuses_to_start_without_the_key() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partycard.settings.prod", "DJANGO_SECRET_KEY": "x" * 60}
    for name in ("PARTYCARD_TOTP_KEYS", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    done = subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode != 0 and "PARTYCARD_TOTP_KEYS is not set" in done.stderr
    env["PARTYCARD_TOTP_KEYS"] = "not-a-key"
    done = subprocess.run([sys.executable, "-m", "django", "check"], env=env, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode != 0 and "key 1 is not a Fernet key" in done.stderr


def test_enrolment_confirmation_reset_are_audited(officer: User) -> None:
    device = two_factor.totp_enrol_start(user=officer)
    start = AuditEvent.objects.latest("seq")
    assert (start.action, start.actor, start.object_type, start.object_id) == (
        "otp_enrol_start", "tinh", "accounts.totpdevice", str(device.pk),
    )  # fmt: skip
    assert start.changes["user_id"] == [None, officer.pk] and start.changes["name"] == [None, "authenticator"]
    two_factor.totp_enrol_start(user=officer)  # the page reloaded: same device, no new row
    assert AuditEvent.objects.latest("seq").seq == start.seq

    assert two_factor.totp_enrol_confirm(user=officer, token=f"{totp(device.bin_key):06d}").ok
    confirm = AuditEvent.objects.latest("seq")
    assert confirm.action == "otp_enrol" and confirm.changes["confirmed"] == [False, True]

    old_key = TOTPDevice.objects.get(pk=device.pk).key
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    two_factor.totp_device_install(actor=None, user=officer, name="authenticator", secret_b32=secret)
    reset = AuditEvent.objects.latest("seq")
    assert (reset.action, reset.actor) == ("otp_reset", "system")
    assert reset.changes["secret"] == [None, "replaced"]
    no_secret_in_the_log(old_key, base64.b32decode(secret).hex())
    assert audit_verify().ok


def test_admin_changes_and_removals_are_audited(client: Client, tree: Any, login: Any, officer: User) -> None:
    admin = User.objects.create_superuser("admin", password=PASSWORD, organisation=tree.centre)
    login(client, admin)
    device = TOTPDevice.objects.create(user=officer, name="phone", confirmed=True, throttling_failure_count=4)
    assert client.get("/admin/accounts/totpdevice/add/").status_code == 403  # officers enrol their own
    page = client.get(f"/admin/accounts/totpdevice/{device.pk}/change/")
    assert page.status_code == 200 and device.key not in page.content.decode()
    response = client.post(
        f"/admin/accounts/totpdevice/{device.pk}/change/",
        {"name": "phone", "confirmed": "", "drift": "0", "throttling_failure_count": "0"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    change = AuditEvent.objects.latest("seq")
    assert (change.action, change.actor, change.object_id) == ("otp_change", "admin", str(device.pk))
    assert change.changes == {"confirmed": [True, False], "throttling_failure_count": [4, 0]}

    response = client.post(f"/admin/accounts/totpdevice/{device.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    removal = AuditEvent.objects.latest("seq")
    assert (removal.action, removal.actor, removal.object_id) == ("otp_remove", "admin", str(device.pk))
    assert removal.changes["user_id"] == [officer.pk, None] and removal.changes["name"] == ["phone", None]

    others = [TOTPDevice.objects.create(user=officer, name=f"p{i}") for i in range(2)]
    response = client.post(
        "/admin/accounts/totpdevice/",
        {"action": "delete_selected", "_selected_action": [d.pk for d in others], "post": "yes"},
    )
    assert response.status_code == 302 and not TOTPDevice.objects.filter(user=officer).exists()
    assert (
        list(AuditEvent.objects.order_by("-seq").values_list("action", flat=True)[:2]) == ["otp_remove"] * 2
    )
    no_secret_in_the_log(device.key, *(d.key for d in others))
    assert audit_verify().ok


def test_django_otps_plain_device_admin_is_gone(client: Client, tree: Any, login: Any) -> None:
    admin = User.objects.create_superuser("admin", password=PASSWORD, organisation=tree.centre)
    login(client, admin)
    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 404
