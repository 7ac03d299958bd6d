"""The members' second factor: a one-time six-digit code sent by SMS (docs/procedures.md, "Logging in
to the member's app").

Officers keep TOTP (``two_factor``); a member has no authenticator app to enrol, but their cell has their
phone number, so a member proves the phone on each new browser: after the password, a code goes by SMS
through the pluggable sender (``sender.py``: console in development, memory in tests, the gateway in
production). The session that passed it then lasts ``MEMBER_SESSION_DAYS`` (the app is "logged in once").

The code (NIST SP 800-63B §5.1.3 "out-of-band"): six random digits (``secrets``), valid
``SMS_CODE_SECONDS``, used once, at most ``SMS_CODE_TRIES`` wrong tries before a new one is needed, with
django-otp's exponential back-off between tries; a new one at most every ``SMS_RESEND_SECONDS``. Only a
keyed hash of it is stored, and neither the code nor the phone number reaches the audit log.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from partycard.accounts.models import SmsDevice
from partycard.accounts.roles import Role
from partycard.accounts.sender import Channel, Message, message_sender
from partycard.accounts.two_factor import Outcome, needs_two_factor
from partycard.audit.services import audit_record

__all__ = [
    "SMS_CODE_SECONDS",
    "SMS_CODE_TRIES",
    "SMS_DEVICE_NAME",
    "SMS_RESEND_SECONDS",
    "Sent",
    "SmsVerification",
    "member_session_seconds",
    "needs_sms_code",
    "sms_code_send",
    "sms_code_verify",
]

SMS_DEVICE_NAME = "sms"
SMS_CODE_SECONDS = 300  # five minutes: time to read an SMS and type six digits
SMS_CODE_TRIES = 5
SMS_RESEND_SECONDS = 60


def member_session_seconds() -> int:
    """How long a member's verified session lasts (``PARTYCARD["MEMBER_SESSION_DAYS"]``, 90 by default)."""
    return int(settings.PARTYCARD.get("MEMBER_SESSION_DAYS", 90)) * 86400


def needs_sms_code(user: Any) -> bool:
    """A member's account (no staff or superuser rights: those need TOTP, ``needs_two_factor``)."""
    if not getattr(user, "is_authenticated", False) or needs_two_factor(user):
        return False
    return getattr(user, "role", None) == Role.MEMBER


def _hash(device: SmsDevice, code: str) -> str:
    return salted_hmac(f"partycard.accounts.sms_code.{device.pk}", code, algorithm="sha256").hexdigest()


@dataclass(frozen=True)
class Sent:
    """``sent``: a new code went out; ``no_phone``: the account has no phone; ``wait``: seconds before
    another may be sent (a code sent less than ``SMS_RESEND_SECONDS`` ago is still valid)."""

    sent: bool
    no_phone: bool = False
    wait: int = 0


@transaction.atomic
def sms_code_send(*, user: Any, at: datetime, force: bool = False) -> Sent:
    """Send a new code to ``user``'s phone unless one valid code went out less than a minute ago (or,
    without ``force``, one is still valid); appends ``sms_code_send``.

    Raises:
        SendFailed: the sender could not deliver (the transaction rolls back: no code is kept).
    """
    if not user.phone:
        return Sent(False, no_phone=True)
    device, _created = SmsDevice.objects.select_for_update().get_or_create(
        user=user, name=SMS_DEVICE_NAME, defaults={"confirmed": True}
    )
    valid = bool(device.code_hash) and device.valid_until is not None and at < device.valid_until
    if valid and device.sent_at is not None:
        since = (at - device.sent_at).total_seconds()
        if not force or since < SMS_RESEND_SECONDS:
            return Sent(False, wait=max(0, int(SMS_RESEND_SECONDS - since)))
    code = f"{secrets.randbelow(10**6):06d}"
    device.code_hash, device.tries = _hash(device, code), 0
    device.sent_at, device.valid_until = at, at + timedelta(seconds=SMS_CODE_SECONDS)
    device.save()
    with translation.override(settings.LANGUAGE_CODE):
        body = _(
            "partycard: your login code is %(code)s. It expires in %(minutes)s minutes. Never share it."
        ) % {
            "code": code,
            "minutes": SMS_CODE_SECONDS // 60,
        }
        message = Message(Channel.SMS, user.phone, _("partycard login code"), body)
    message_sender().send(message)  # SendFailed rolls the new code back
    audit_record(
        actor=user,
        action="sms_code_send",
        obj=device,
        changes={"valid_until": [None, device.valid_until.isoformat()]},
    )
    return Sent(True)


@dataclass(frozen=True)
class SmsVerification:
    outcome: Outcome
    device: SmsDevice | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.VERIFIED


@transaction.atomic
def sms_code_verify(*, user: Any, code: str, at: datetime) -> SmsVerification:
    """Check ``code`` against the last one sent to ``user``; a right code is spent (``sms_verify``), a
    wrong one counted (``sms_failed``); past ``SMS_CODE_TRIES`` the code is dropped."""
    device = SmsDevice.objects.select_for_update().filter(user_id=user.pk, name=SMS_DEVICE_NAME).first()
    if device is None or not device.code_hash or device.valid_until is None or at >= device.valid_until:
        return SmsVerification(Outcome.NO_DEVICE)
    if not device.verify_is_allowed()[0]:
        audit_record(actor=user, action="sms_failed", obj=device, changes={"reason": [None, "throttled"]})
        return SmsVerification(Outcome.THROTTLED)
    if hmac.compare_digest(device.code_hash, _hash(device, code)):
        device.code_hash, device.valid_until, device.tries = "", None, 0
        device.throttle_reset(commit=False)
        device.save()
        audit_record(actor=user, action="sms_verify", obj=device)
        return SmsVerification(Outcome.VERIFIED, device)
    device.tries += 1
    if device.tries >= SMS_CODE_TRIES:
        device.code_hash, device.valid_until = "", None  # a new code is needed
    device.throttle_increment(commit=False)
    device.save()
    audit_record(actor=user, action="sms_failed", obj=device, changes={"reason": [None, "wrong_code"]})
    return SmsVerification(Outcome.WRONG_CODE)
