"""Login that resists abuse: Argon2, lock-out, CSP without inline code, clean deploy checks."""

from __future__ import annotations

import base64
import os
import secrets
import subprocess
import sys

import pytest
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.audit.models import AuditEvent


def test_production_hashes_passwords_with_argon2() -> None:
    from partycard.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    from django.contrib.auth.hashers import Argon2PasswordHasher

    encoded = Argon2PasswordHasher().encode("mat-khau-dai-1", Argon2PasswordHasher().salt())
    assert encoded.startswith("argon2$argon2id$")


def test_five_failures_lock_the_account_even_for_the_right_password(client: Client, tree) -> None:
    User.objects.create_user(
        "tinh", password="mat-khau-dai-1", organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )
    for _ in range(4):
        assert client.post("/dang-nhap/", {"username": "tinh", "password": "sai"}).status_code == 200
    assert client.post("/dang-nhap/", {"username": "tinh", "password": "sai"}).status_code == 429  # the 5th
    locked = client.post("/dang-nhap/", {"username": "tinh", "password": "mat-khau-dai-1"})
    assert locked.status_code == 429
    assert "Tài khoản bị khóa" in locked.content.decode()
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(action="login_failed").count() >= 5
    assert not AuditEvent.objects.filter(action="login").exists()


def test_other_users_are_not_locked(client: Client, tree) -> None:
    User.objects.create_user("tinh", password="mat-khau-dai-1", organisation=tree.hanoi)
    User.objects.create_user("hue", password="mat-khau-dai-2", organisation=tree.hue)
    for _ in range(5):
        client.post("/dang-nhap/", {"username": "tinh", "password": "sai"})
    assert client.post("/dang-nhap/", {"username": "hue", "password": "mat-khau-dai-2"}).status_code == 302


def test_content_security_policy_forbids_inline_code(client: Client, db: None) -> None:
    policy = client.get("/dang-nhap/")["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_templates_have_no_inline_script_or_style() -> None:
    from pathlib import Path

    import partycard

    for template in (Path(partycard.__file__).parent / "templates").rglob("*.html"):
        text = template.read_text()
        assert "<script>" not in text and " style=" not in text and "<style" not in text, template


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX subprocess")
def test_check_deploy_is_clean_with_production_settings() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partycard.settings.prod",
           "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
           "PARTYCARD_TOTP_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
           # A deployment's own OID arc (issue 18: without it check --deploy warns, tests/core).
           "PARTYCARD_OID_ARC": "2.999.1"}  # fmt: skip
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)  # set by the browser tests in this process
    done = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                          env=env, capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no issues" in done.stdout
