"""Two-factor login (TOTP, RFC 6238) for every officer: who must pass it, enrolment and verification.

django-otp's ``verify_token`` (on partycard's ``TOTPDevice``, whose secret is encrypted at rest) does the
cryptography, the exponential throttling and the refusal of a time step already used; this module adds the
rule of who needs it and the audit rows: every change of a device (enrolment started, confirmed, reset,
changed or removed in the admin) appends one. Secrets and codes never reach the audit log or the logs.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import segno
from django.db import transaction
from django_otp.oath import TOTP

from partycard.accounts.models import TOTPDevice
from partycard.accounts.roles import Role
from partycard.accounts.services import account_scope_require
from partycard.audit.services import audit_record, diff

__all__ = [
    "ENROL_DEVICE_NAME",
    "Outcome",
    "Verification",
    "has_confirmed_device",
    "needs_two_factor",
    "totp_current_code",
    "totp_device_install",
    "totp_device_remove",
    "totp_device_update",
    "totp_enrol_confirm",
    "totp_enrol_start",
    "totp_qr_data_uri",
    "totp_secret_b32",
    "totp_verify",
]

ENROL_DEVICE_NAME = "authenticator"


class Outcome(StrEnum):
    VERIFIED = "verified"
    WRONG_CODE = "wrong_code"
    THROTTLED = "throttled"  # too many recent failures: django-otp's back-off is still running
    NO_DEVICE = "no_device"


@dataclass(frozen=True)
class Verification:
    outcome: Outcome
    device: TOTPDevice | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.VERIFIED


def needs_two_factor(user: Any) -> bool:
    """Officers (every role but member), staff and superusers need a second factor; members do not.

    Staff count too, so that no account reaches the admin on a password alone.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or getattr(user, "role", Role.MEMBER) != Role.MEMBER)


def has_confirmed_device(user: Any) -> bool:
    return TOTPDevice.objects.filter(user_id=user.pk, confirmed=True).exists()


# The fields of a device an audit row shows: everything but the secret.
AUDITED_DEVICE_FIELDS = (
    "user_id",
    "name",
    "confirmed",
    "step",
    "t0",
    "digits",
    "tolerance",
    "drift",
    "throttling_failure_count",
    "throttling_failure_timestamp",
)


def _state(device: TOTPDevice | None) -> dict[str, Any]:
    return {f: getattr(device, f) for f in AUDITED_DEVICE_FIELDS} if device is not None else {}


@transaction.atomic
def totp_enrol_start(*, user: Any) -> TOTPDevice:
    """The user's pending (unconfirmed) device, created on first call (appends ``otp_enrol_start``).

    Reused on later calls so that reloading the page does not invalidate a QR already scanned.
    """
    device = TOTPDevice.objects.filter(user_id=user.pk, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=ENROL_DEVICE_NAME, confirmed=False)
        audit_record(actor=user, action="otp_enrol_start", obj=device, changes=diff({}, _state(device)))
    return device


def _check(*, user: Any, devices: list[TOTPDevice], token: str) -> Verification:
    """Try ``token`` on each locked device; audit a refusal. Runs inside the caller's transaction."""
    if not devices:
        return Verification(Outcome.NO_DEVICE)
    if not any(device.verify_is_allowed()[0] for device in devices):
        audit_record(actor=user, action="otp_failed", obj=devices[0], changes={"reason": [None, "throttled"]})
        return Verification(Outcome.THROTTLED)
    for device in devices:
        if device.verify_token(token):  # throttles failures, refuses a time step already used
            return Verification(Outcome.VERIFIED, device)
    audit_record(actor=user, action="otp_failed", obj=devices[0], changes={"reason": [None, "wrong_code"]})
    return Verification(Outcome.WRONG_CODE)


@transaction.atomic
def totp_enrol_confirm(*, user: Any, token: str) -> Verification:
    """Confirm the pending device with a code from the app; appends ``otp_enrol`` or ``otp_failed``."""
    devices = list(
        TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=False).order_by("-id")[:1]
    )
    result = _check(user=user, devices=devices, token=token)
    if result.device is not None:
        result.device.confirmed = True
        result.device.save(update_fields=["confirmed"])
        audit_record(
            actor=user,
            action="otp_enrol",
            obj=result.device,
            changes={
                "user_id": [user.pk, user.pk],
                "name": [result.device.name] * 2,
                "confirmed": [False, True],
            },
        )
    return result


@transaction.atomic
def totp_verify(*, user: Any, token: str) -> Verification:
    """Check a code against the user's confirmed devices; appends ``otp_verify`` or ``otp_failed``.

    The rows are locked (``select_for_update``) so two requests cannot both spend one code.
    """
    devices = list(
        TOTPDevice.objects.select_for_update().filter(user_id=user.pk, confirmed=True).order_by("id")
    )
    result = _check(user=user, devices=devices, token=token)
    if result.device is not None:
        audit_record(actor=user, action="otp_verify", obj=result.device)
    return result


@transaction.atomic
def totp_device_install(*, actor: Any, user: Any, name: str, secret_b32: str) -> TOTPDevice:
    """Create (``otp_enrol``) or reset (``otp_reset``: a new secret, confirmed, throttling cleared) the
    device ``name`` of ``user`` with a known secret (the demo's)."""
    key = base64.b32decode(secret_b32).hex()
    device = TOTPDevice.objects.select_for_update().filter(user_id=user.pk, name=name).first()
    before = _state(device)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=name, key=key, confirmed=True)
        audit_record(actor=actor, action="otp_enrol", obj=device, changes=diff({}, _state(device)))
        return device
    device.key, device.confirmed = key, True
    device.throttle_reset(commit=False)
    device.save()
    changes = {"secret": [None, "replaced"], **diff(before, _state(device))}
    audit_record(actor=actor, action="otp_reset", obj=device, changes=changes)
    return device


@transaction.atomic
def totp_device_update(*, actor: Any, device: TOTPDevice) -> TOTPDevice:
    """Save a device changed in the admin (its name, confirmation, drift, throttling); appends
    ``otp_change`` with what changed. The secret is never changed here (``totp_device_install``). The
    device's account must be in the actor's subtree."""
    account_scope_require(actor, device.user)
    before = _state(TOTPDevice.objects.select_for_update().filter(pk=device.pk).first())
    device.save()
    changes = diff(before, _state(device))
    if changes:
        audit_record(actor=actor, action="otp_change", obj=device, changes=changes)
    return device


@transaction.atomic
def totp_device_remove(*, actor: Any, device: TOTPDevice) -> None:
    """Delete a device (a lost phone: its officer enrols a new one at the next login); appends
    ``otp_remove`` with the device as it was. The device's account must be in the actor's subtree."""
    account_scope_require(actor, device.user)
    state, pk = _state(device), device.pk
    device.delete()
    audit_record(
        actor=actor, action="otp_remove", object_type=TOTPDevice._meta.label_lower, object_id=str(pk),
        changes=diff(state, {}),
    )  # fmt: skip


def totp_secret_b32(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it by hand: base32, in groups of four."""
    text = base64.b32encode(device.bin_key).decode()
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` URI as a QR in a base64 SVG data URI: the CSP allows it in an ``<img>``."""
    buffer = io.BytesIO()
    segno.make(device.config_url, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def totp_current_code(device: TOTPDevice) -> str:
    """The code ``device`` expects now, zero-padded (for the demo's ``demo_otp`` command)."""
    token = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token()
    return f"{token:0{device.digits}d}"
