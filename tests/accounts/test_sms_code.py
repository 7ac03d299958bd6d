"""The members' second factor (accounts/sms_code.py): after the password, a six-digit code by SMS, valid
five minutes, used once, five wrong tries at most, at most one new code a minute; the session that
passed it lasts MEMBER_SESSION_DAYS. Officers keep TOTP."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from partycard.accounts.models import SmsDevice, User
from partycard.accounts.roles import Role
from partycard.accounts.sender import Channel, MemorySender
from partycard.accounts.sms_code import (
    SMS_CODE_SECONDS,
    SMS_CODE_TRIES,
    member_session_seconds,
    needs_sms_code,
    sms_code_send,
    sms_code_verify,
)
from partycard.accounts.two_factor import Outcome
from partycard.audit.models import AuditEvent
from partycard.core import clock

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dai-1"
SMS_PAGE = "/dang-nhap/ma-sms/"


@pytest.fixture
def member_user(tree: Any, make_member: Any, settings: Any) -> User:
    settings.PARTYCARD_MESSAGE_SENDER = "partycard.accounts.sender.MemorySender"
    MemorySender.outbox.clear()
    return User.objects.create_user(
        "dv",
        password=PASSWORD,
        role=Role.MEMBER,
        organisation=tree.cell_a,
        member=make_member(),
        phone="0912345678",
    )


def _code() -> str:
    (code,) = re.findall(r"(?<!\d)\d{6}(?!\d)", MemorySender.outbox[-1].body)  # in any language's wording
    return code


def test_only_members_need_the_sms_code(member_user: User, tree: Any) -> None:
    officer = User.objects.create_user(
        "bt", password=PASSWORD, role=Role.CELL_SECRETARY, organisation=tree.cell_a
    )
    assert needs_sms_code(member_user) and not needs_sms_code(officer)
    member_user.is_staff = True  # staff need TOTP, whatever their role
    assert not needs_sms_code(member_user)


def test_login_with_password_and_sms_code(member_user: User) -> None:
    client = Client()
    client.post("/dang-nhap/", {"username": "dv", "password": PASSWORD})
    # Every page waits for the code; the code page sends one to the account's phone.
    assert client.get("/so-tay/")["Location"].startswith(SMS_PAGE)
    page = client.get(SMS_PAGE + "?next=/so-tay/")
    assert page.status_code == 200 and "678" in page.content.decode()
    (message,) = MemorySender.outbox
    assert message.channel == Channel.SMS and message.to == "0912345678"
    code = _code()
    assert code not in str(list(AuditEvent.objects.values_list("changes", flat=True)))
    assert client.get("/api/v1/me").status_code == 401  # the API, too, waits for the code
    done = client.post(SMS_PAGE, {"otp_token": code, "next": "/so-tay/"})
    assert done.status_code == 302 and done["Location"] == "/so-tay/"
    assert client.get("/so-tay/").status_code == 200
    # "Logged in once": the session outlives the browser and lasts MEMBER_SESSION_DAYS.
    assert client.session.get_expiry_age() == member_session_seconds() >= 30 * 86400
    assert not client.session.get_expire_at_browser_close()
    assert AuditEvent.objects.filter(action="sms_verify").count() == 1


def test_a_code_is_used_once_and_expires(member_user: User) -> None:
    now = clock.now()
    assert sms_code_send(user=member_user, at=now).sent
    code = _code()
    assert sms_code_verify(user=member_user, code=code, at=now).ok
    assert sms_code_verify(user=member_user, code=code, at=now).outcome is Outcome.NO_DEVICE
    assert sms_code_send(user=member_user, at=now).sent
    late = now + timedelta(seconds=SMS_CODE_SECONDS)
    assert sms_code_verify(user=member_user, code=_code(), at=late).outcome is Outcome.NO_DEVICE


def test_wrong_codes_are_counted_and_the_code_dropped(member_user: User) -> None:
    now = clock.now()
    sms_code_send(user=member_user, at=now)
    code = _code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    outcomes = []
    for _ in range(SMS_CODE_TRIES):
        SmsDevice.objects.filter(user=member_user).update(
            throttling_failure_timestamp=None
        )  # past the back-off
        outcomes.append(sms_code_verify(user=member_user, code=wrong, at=now).outcome)
    assert outcomes == [Outcome.WRONG_CODE] * SMS_CODE_TRIES
    SmsDevice.objects.filter(user=member_user).update(throttling_failure_timestamp=None)
    assert (
        sms_code_verify(user=member_user, code=code, at=now).outcome is Outcome.NO_DEVICE
    )  # a new one needed
    assert AuditEvent.objects.filter(action="sms_failed").count() == SMS_CODE_TRIES


def test_the_back_off_refuses_a_quick_second_try(member_user: User) -> None:
    now = clock.now()
    sms_code_send(user=member_user, at=now)
    code = _code()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    assert sms_code_verify(user=member_user, code=wrong, at=now).outcome is Outcome.WRONG_CODE
    assert sms_code_verify(user=member_user, code=code, at=now).outcome is Outcome.THROTTLED


def test_at_most_one_new_code_a_minute(member_user: User) -> None:
    now = clock.now()
    assert sms_code_send(user=member_user, at=now).sent
    again = sms_code_send(user=member_user, at=now + timedelta(seconds=10), force=True)
    assert not again.sent and again.wait == 50
    assert sms_code_send(user=member_user, at=now + timedelta(seconds=61), force=True).sent
    assert len(MemorySender.outbox) == 2


def test_no_phone_no_code(member_user: User) -> None:
    member_user.phone = ""
    member_user.save()
    assert sms_code_send(user=member_user, at=clock.now()).no_phone
    assert not MemorySender.outbox
