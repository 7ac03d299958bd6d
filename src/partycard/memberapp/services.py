"""Writes of the member's app: register a phone's key (and issue the e-card bound to it), revoke a device
(and its e-card). Each in one transaction with its audit row; the e-card writes are the credentials app's
services (``credential_issue``, ``credential_status_set``)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, Role
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import ErrorCode
from partycard.core.scope import role_of, scope_require
from partycard.credentials.errors import CredentialError
from partycard.credentials.formats import device_key_load
from partycard.credentials.models import CredentialStatus
from partycard.credentials.services import credential_issue, credential_status_set
from partycard.memberapp.errors import DeviceError
from partycard.memberapp.models import Device
from partycard.registry.models import Member
from partycard.trust.keystore import KeyStore

__all__ = ["device_register", "device_revoke", "spki_fingerprint"]

MAX_SPKI_BYTES = 200  # a P-256 SubjectPublicKeyInfo is 91 bytes


def spki_fingerprint(spki: bytes) -> str:
    """The hex SHA-256 of the key's SubjectPublicKeyInfo DER (what the app and the member page show)."""
    return hashlib.sha256(spki).hexdigest()


def _own_member(actor: Any) -> Member:
    """The actor's own member record: only a member registers a phone, and only for themself."""
    member_id = getattr(actor, "member_id", None)
    if role_of(actor) != Role.MEMBER or member_id is None:
        raise DeviceError(_("Only a party member registers their own phone."), code=ErrorCode.FORBIDDEN)
    member = (
        Member.objects.scoped(actor, Action.VIEW_MEMBER).select_related("organisation").filter(pk=member_id)
    )
    found = member.first()
    if found is None:
        raise DeviceError(_("Only a party member registers their own phone."), code=ErrorCode.FORBIDDEN)
    return found


def device_register(
    *,
    actor: Any,
    spki: bytes,
    label: str = "",
    user_agent: str = "",
    at: datetime | None = None,
    store: KeyStore | None = None,
) -> Device:
    """Register the actor's phone key (P-256, SPKI DER) and issue the e-card bound to it.

    The new e-card supersedes the member's earlier ones (``credential_issue``): a phone registered before
    stops verifying, and its device row is marked revoked ("replaced") in the same transaction.

    Raises:
        DeviceError: the actor is not a member, the key is not a P-256 key or is registered already, or
            no e-card can be issued (no card in use, not an official member, nothing can sign).
    """
    at = at or clock.now()
    member = _own_member(actor)
    scope_require(actor, Action.CHANGE_DEVICE, member, field="member")
    if len(spki) > MAX_SPKI_BYTES:
        raise DeviceError(
            _("The phone's key must be an ECDSA P-256 public key."), code=ErrorCode.INVALID, field="spki"
        )
    try:
        device_key_load(spki)
    except CredentialError as e:
        raise DeviceError(
            _("The phone's key must be an ECDSA P-256 public key."), code=ErrorCode.INVALID, field="spki"
        ) from e
    fingerprint = spki_fingerprint(spki)
    with transaction.atomic():
        if Device.objects.filter(fingerprint=fingerprint, revoked_at__isnull=True).exists():
            raise DeviceError(_("This phone's key is registered already."), field="spki")
        try:
            credential = credential_issue(actor=actor, member=member, device_key=spki, store=store, at=at)
        except CredentialError as e:
            raise DeviceError(e.message) from e
        for earlier in Device.objects.select_for_update().filter(member=member, revoked_at__isnull=True):
            earlier.revoked_at, earlier.revoked_by = at, actor
            earlier.save(update_fields=["revoked_at", "revoked_by"])
            audit_record(
                actor=actor, action="memberapp.device_revoke", obj=earlier,
                changes={"revoked_at": [None, at.isoformat()], "reason": "replaced"},
            )  # fmt: skip
        device = Device(
            member=member,
            spki=spki,
            fingerprint=fingerprint,
            label=label.strip()[:100],
            user_agent=user_agent[:300],
            credential=credential,
            created_at=at,
        )
        device.full_clean(exclude=["credential", "member", "spki"])
        device.save()
        audit_record(
            actor=actor,
            action="memberapp.device_register",
            obj=device,
            changes={"member_id": member.pk, "fingerprint": fingerprint, "credential_id": credential.pk},
        )
    return device


@transaction.atomic
def device_revoke(*, actor: Any, device: Device, at: datetime | None = None) -> Device:
    """Revoke ``device`` (a lost phone) and its e-card, which then reads revoked in the status list.

    The member themself, or an officer whose subtree holds the member's organisation and whose role may
    ``CHANGE_DEVICE`` (the cell secretary, the committees). Revoking a revoked device changes nothing.

    Raises:
        OutOfScope: the device is outside the actor's scope (the same answer as a missing one).
    """
    at = at or clock.now()
    current = Device.objects.select_for_update().select_related("member__organisation").get(pk=device.pk)
    scope_require(actor, Action.CHANGE_DEVICE, current)
    if current.revoked_at is not None:
        return current
    current.revoked_at, current.revoked_by = at, actor
    current.save(update_fields=["revoked_at", "revoked_by"])
    current.credential = credential_status_set(
        actor=actor, credential=current.credential, status=CredentialStatus.REVOKED, reason="device_revoked"
    )
    audit_record(
        actor=actor,
        action="memberapp.device_revoke",
        obj=current,
        changes={"revoked_at": [None, at.isoformat()], "reason": "revoked", "member_id": current.member_id},
    )
    return current
