"""Two-factor login: officers give a TOTP code after the password (enrolling first); members do not."""

from __future__ import annotations

import base64
import io
from typing import Any

import django_otp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.oath import totp

from partycard.accounts.forms import OtpTokenForm
from partycard.accounts.models import Role, TOTPDevice, User
from partycard.accounts.two_factor import Outcome
from partycard.audit.models import AuditEvent
from partycard.registry.demo import DEMO_OTP_DEVICE, DEMO_OTP_SECRET

PASSWORD = "mat-khau-dai-1"
VERIFY, ENROL = "/dang-nhap/xac-thuc/", "/dang-nhap/thiet-lap-xac-thuc/"


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user(
        "tinh", password=PASSWORD, organisation=tree.hanoi, role=Role.COMMITTEE_OFFICER
    )


@pytest.fixture
def device(officer: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)


def code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key):06d}"


def password_login(client: Client, username: str = "tinh") -> None:
    assert client.post("/dang-nhap/", {"username": username, "password": PASSWORD}).status_code == 302


def refusal(outcome: Outcome) -> list[str]:
    """The form error the page shows; the Vietnamese text itself arrives with the i18n merge."""
    return [str(OtpTokenForm.REFUSALS[outcome])]


@pytest.mark.parametrize("with_device", [False, True])
def test_an_officer_with_only_a_password_reaches_nothing_but_the_otp_page(
    client: Client, officer: User, with_device: bool
) -> None:
    officer.is_staff = True
    officer.save()
    if with_device:
        TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    password_login(client)
    target = VERIFY if with_device else ENROL
    for path in ("/", "/dang-vien/", "/admin/", "/admin/registry/member/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(f"{target}?next="), (path, response["Location"])
    assert client.get(target).status_code == 200
    assert client.get("/dang-nhap/").status_code == 200  # the login page stays reachable
    assert client.post("/dang-xuat/").status_code == 302  # and so does logging out
    assert "_auth_user_id" not in client.session


def test_a_superuser_counts_as_an_officer(client: Client, tree: Any) -> None:
    User.objects.create_superuser("admin", password=PASSWORD, organisation=tree.centre, role=Role.MEMBER)
    password_login(client, "admin")
    assert client.get("/admin/")["Location"].startswith(ENROL)


def test_a_member_is_not_asked_for_a_totp_code(client: Client, tree: Any, make_member: Any) -> None:
    """Members have no authenticator app: their second factor is the SMS code (accounts/sms_code.py)."""
    member = make_member()
    User.objects.create_user("dangvien", password=PASSWORD, organisation=tree.cell_a, member=member)
    password_login(client, "dangvien")
    assert client.get("/")["Location"].startswith("/dang-nhap/ma-sms/")
    assert client.get(VERIFY)["Location"] == "/"  # no TOTP to verify: sent on (to the SMS step)
    assert not TOTPDevice.objects.exists()


def test_a_wrong_code_is_refused_and_audited(client: Client, device: TOTPDevice) -> None:
    password_login(client)
    wrong = f"{(int(code(device)) + 1) % 10**6:06d}"
    response = client.post(VERIFY, {"otp_token": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"] == refusal(Outcome.WRONG_CODE)
    assert "Mã xác thực không đúng hoặc đã hết hạn." in response.content.decode()
    assert client.get("/")["Location"].startswith(VERIFY)
    event = AuditEvent.objects.get(action="otp_failed")
    assert (event.actor, event.object_id) == ("tinh", str(device.pk))
    assert event.changes == {"reason": [None, "wrong_code"]}
    assert not AuditEvent.objects.filter(action="otp_verify").exists()
    # Straight after a failure django-otp's back-off refuses even the right code (1 s, then 2, 4, …).
    response = client.post(VERIFY, {"otp_token": code(device)})
    assert response.context["form"].errors["otp_token"] == refusal(Outcome.THROTTLED)
    assert AuditEvent.objects.filter(action="otp_failed").latest("seq").changes == {
        "reason": [None, "throttled"]
    }


def test_a_malformed_code_is_a_form_error(client: Client, device: TOTPDevice) -> None:
    password_login(client)
    response = client.post(VERIFY, {"otp_token": "12ab56"})
    assert response.status_code == 200 and response.context["form"].errors["otp_token"]
    assert not AuditEvent.objects.filter(action__startswith="otp_").exists()


def test_the_right_code_signs_in_and_is_audited(client: Client, device: TOTPDevice) -> None:
    password_login(client)
    before = client.session.session_key
    response = client.post(f"{VERIFY}?next=/dang-vien/", {"otp_token": code(device)})
    assert response.status_code == 302 and response["Location"] == "/dang-vien/"
    assert client.session[django_otp.DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.session.session_key != before  # a fresh session id after the second factor
    assert client.get("/").status_code == 200
    assert client.get("/dang-vien/").status_code == 200
    event = AuditEvent.objects.get(action="otp_verify")
    assert (event.actor, event.object_id) == ("tinh", str(device.pk))
    assert event.object_type == "accounts.totpdevice"
    assert device.key not in str(event.changes) and code(device) not in str(event.changes)


def test_a_code_cannot_be_used_twice(device: TOTPDevice) -> None:
    first, second = Client(), Client()
    password_login(first)
    password_login(second)
    spent = code(device)
    assert first.post(VERIFY, {"otp_token": spent}).status_code == 302
    replay = second.post(VERIFY, {"otp_token": spent})
    assert replay.status_code == 200
    assert replay.context["form"].errors["otp_token"] == refusal(Outcome.WRONG_CODE)
    assert second.get("/")["Location"].startswith(VERIFY)
    assert AuditEvent.objects.filter(action="otp_failed").count() == 1


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "http://testserver.evil.example/x"]
)
def test_next_pointing_elsewhere_is_not_followed(client: Client, device: TOTPDevice, next_url: str) -> None:
    password_login(client)
    response = client.post(VERIFY, {"otp_token": code(device), "next": next_url})
    assert response.status_code == 302 and response["Location"] == "/"


def test_enrolment_shows_a_qr_and_a_valid_code_confirms_the_device(client: Client, officer: User) -> None:
    password_login(client)
    assert client.get("/")["Location"] == f"{ENROL}?next=/"
    page = client.get(f"{ENROL}?next=/dang-vien/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    html = page.content.decode()
    assert '<img class="qr" src="data:image/svg+xml;base64,' in html
    svg = base64.b64decode(html.split("data:image/svg+xml;base64,", 1)[1].split('"', 1)[0])
    assert svg.startswith(b"<svg")
    pending = TOTPDevice.objects.get(user=officer)
    assert not pending.confirmed
    secret = page.context["secret"]  # the key, for typing in by hand
    assert secret in html and secret.replace(" ", "") == base64.b32encode(pending.bin_key).decode()
    assert client.get(ENROL).context["secret"] == secret  # a reload keeps the key already scanned
    assert TOTPDevice.objects.filter(user=officer).count() == 1
    response = client.post(ENROL, {"otp_token": code(pending), "next": "/dang-vien/"})
    assert response.status_code == 302 and response["Location"] == "/dang-vien/"
    assert TOTPDevice.objects.get(pk=pending.pk).confirmed
    assert client.get("/dang-vien/").status_code == 200
    event = AuditEvent.objects.get(action="otp_enrol")
    assert (event.actor, event.object_id) == ("tinh", str(pending.pk))
    assert pending.key not in str(AuditEvent.objects.values_list("changes", flat=True))


def test_enrolment_refuses_a_wrong_code(client: Client, officer: User) -> None:
    password_login(client)
    client.get(ENROL)
    pending = TOTPDevice.objects.get(user=officer)
    wrong = f"{(int(code(pending)) + 1) % 10**6:06d}"
    response = client.post(ENROL, {"otp_token": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["otp_token"] == refusal(Outcome.WRONG_CODE)
    assert not TOTPDevice.objects.get(pk=pending.pk).confirmed
    assert AuditEvent.objects.filter(action="otp_failed").count() == 1


def test_a_password_alone_cannot_replace_a_confirmed_device(client: Client, device: TOTPDevice) -> None:
    password_login(client)
    assert client.get(ENROL)["Location"].startswith(VERIFY)
    assert client.post(ENROL, {"otp_token": "123456"})["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.all()) == [device]


def test_the_login_fixture_gives_a_verified_session(client: Client, officer: User, login: Any) -> None:
    login(client, officer)
    assert client.get("/").status_code == 200


def test_demo_otp_prints_codes_only_for_the_demo_device(officer: User) -> None:
    with pytest.raises(CommandError):
        call_command("demo_otp", "tinh")  # no device at all
    TOTPDevice.objects.create(user=officer, name="phone", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_otp", "tinh")  # a real device is never shown
    other = TOTPDevice.objects.create(user=officer, name=DEMO_OTP_DEVICE, confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_otp", "tinh")  # named "demo" but not holding the public demo secret
    other.key = base64.b32decode(DEMO_OTP_SECRET).hex()
    other.save()
    out = io.StringIO()
    call_command("demo_otp", "tinh", stdout=out)
    assert out.getvalue().strip() == code(other)


# The brand "Hệ thống thẻ đảng viên" as UTF-8, percent-encoded (RFC 3986 §2.1; a space is %20, not "+").
BRAND = "H%E1%BB%87%20th%E1%BB%91ng%20th%E1%BA%BB%20%C4%91%E1%BA%A3ng%20vi%C3%AAn"


def test_the_authenticator_app_shows_the_vietnamese_brand_as_issuer(
    device: TOTPDevice, settings: Any
) -> None:
    """Key Uri Format: ``otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER``, both parts URL-encoded,
    no colon inside either, the base32 secret without padding."""
    uri = device.config_url
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    assert uri.startswith(f"otpauth://totp/{BRAND}:tinh?")
    query = dict(p.split("=", 1) for p in uri.split("?", 1)[1].split("&"))
    assert query == {"secret": secret, "issuer": BRAND, "algorithm": "SHA1", "digits": "6", "period": "30"}
    assert "partycard" not in uri

    settings.PARTYCARD_TOTP_ISSUER = "Đảng ủy: Hà Nội"  # a setting; a colon would split the label
    uri = device.config_url
    assert uri.startswith("otpauth://totp/%C4%90%E1%BA%A3ng%20%E1%BB%A7y%20H%C3%A0%20N%E1%BB%99i:tinh?")
    assert "&issuer=%C4%90%E1%BA%A3ng%20%E1%BB%A7y%20H%C3%A0%20N%E1%BB%99i&" in uri
