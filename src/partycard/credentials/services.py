"""Issuing electronic party cards, changing their status, and publishing the status lists.

Every write runs in one transaction with its audit row. Status list entries are taken and flipped under
a row lock on the list (``select_for_update``), so two issuers never share an index and two revocations
never lose one another's flip. Signing goes through the authority's key store (``core.signing``); the
document signer that may sign now signs credentials and status lists (docs/ecard.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, Role
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.signing import DocumentSigner, document_signer_current, pki_directory, pki_keystore_open
from partycard.credentials.models import Credential, CredentialStatus, StatusListRecord
from partycard.ecard import status as status_format
from partycard.ecard.keys import kid_of
from partycard.registry.choices import ACTIVE_STATUSES, MemberStatus
from partycard.registry.models import Member
from partycard.trust.keystore import KeyStore

__all__ = [
    "CredentialError",
    "credential_issue",
    "credential_status_set",
    "on_members_changed",
    "status_list_current",
    "status_list_uri",
]

#: Member statuses that end a member's e-card for good (the status list value "invalid").
_ENDING = {
    MemberStatus.DECEASED: "deceased",
    MemberStatus.REMOVED: "removed",
    MemberStatus.EXPELLED: "expelled",
    MemberStatus.RESIGNED: "resigned",
}


class CredentialError(DomainError):
    """An e-card cannot be issued or changed; ``message`` says why (Vietnamese in the UI)."""

    http_status = 409

    def __init__(self, message: str, *, code: ErrorCode = ErrorCode.CONFLICT) -> None:
        super().__init__(message, code=code)


def _config(name: str, default: Any) -> Any:
    return settings.PARTYCARD.get(name, default)


def status_list_uri(record_id: int) -> str:
    """The stable URL a status list is published at (what credentials name)."""
    base = str(_config("PUBLIC_URL", "http://127.0.0.1:8000")).rstrip("/")
    return f"{base}/api/v1/status-lists/{record_id}"


def _list_for(signer_label: str) -> StatusListRecord:
    """The signer's open status list, locked; a new one when the last is full."""
    record = (
        StatusListRecord.objects.select_for_update().filter(signer_label=signer_label).order_by("-id").first()
    )
    if record is None or record.full:
        bits, size = 2, int(_config("STATUS_LIST_SIZE", 1 << 20))
        record = StatusListRecord.objects.create(
            signer_label=signer_label, bits=bits, size=size, packed=bytes(size * bits // 8)
        )
        record = StatusListRecord.objects.select_for_update().get(pk=record.pk)
    return record


def _card_number(member: Member) -> str | None:
    from partycard.exchange.models import Case  # the exchange sits beside us; only its card numbers

    case = Case.objects.filter(member=member, card_number__isnull=False).order_by("-created_at").first()
    return case.card_number if case is not None else member.old_card_number


@dataclass(frozen=True)
class _Signing:
    store: KeyStore
    signer: DocumentSigner


def _signing(store: KeyStore | None, at: datetime) -> _Signing:
    directory = pki_directory()
    return _Signing(
        store or pki_keystore_open(directory), document_signer_current(directory=directory, at=at)
    )


def _may_issue(actor: Any, member: Member) -> bool:
    if actor is None:
        return True  # the system (the command line, a job)
    if getattr(actor, "role", None) == Role.MEMBER:
        return getattr(actor, "member_id", None) == member.pk
    # A central administrator, for a member of their subtree (one placed at a province holds only it).
    if getattr(actor, "role", None) != Role.CENTRAL_ADMIN and not getattr(actor, "is_superuser", False):
        return False
    return Member.objects.scoped(actor, Action.VIEW_MEMBER).filter(pk=member.pk).exists()


def credential_issue(
    *,
    actor: Any,
    member: Member,
    device_key: bytes | None = None,
    store: KeyStore | None = None,
    at: datetime | None = None,
) -> Credential:
    """Issue ``member`` an e-card: a status list index, the signed QR credential and the SD-JWT VC.

    Earlier valid e-cards of the member are revoked ("superseded") in the same transaction.

    Args:
        actor: the member themself, a central administrator, or None (the system).
        device_key: the member's phone key (SubjectPublicKeyInfo DER, P-256) to bind the QR and the
            SD-JWT to; None issues an unbound credential (the QR then has no rotating proof).

    Raises:
        CredentialError: not allowed, the member is not a current member or holds no card number, or
            nothing can sign now.
    """
    from partycard.core.signing import SigningUnavailable
    from partycard.credentials import formats
    from partycard.exchange.services.chip_images import issuing_committee_name

    at = at or clock.now()
    if not _may_issue(actor, member):
        raise CredentialError(_("Only the member themself or the Centre may issue this e-card."))
    if member.status not in ACTIVE_STATUSES:
        raise CredentialError(_("Only a current member is issued an e-card."))
    card_number = _card_number(member)
    if not card_number:
        raise CredentialError(_("The member holds no card number yet."))
    try:
        signing = _signing(store, at)
    except SigningUnavailable as e:
        raise CredentialError(e.message) from e
    expires_at = at + timedelta(days=int(_config("ECARD_VALID_DAYS", 365)))
    with transaction.atomic():
        # A new e-card replaces the member's earlier ones: they stop verifying (status "revoked").
        for earlier in Credential.objects.filter(member=member, status=CredentialStatus.VALID):
            credential_status_set(
                actor=actor, credential=earlier, status=CredentialStatus.REVOKED, reason="superseded"
            )
        record = _list_for(signing.signer.label)
        index = record.next_index
        record.next_index += 1
        record.save(update_fields=["next_index", "updated_at"])
        qr, sd_jwt = formats.credential_sign(
            member=member,
            card_number=card_number,
            store=signing.store,
            signer=signing.signer,
            status_uri=status_list_uri(record.pk),
            status_index=index,
            issued_at=at,
            expires_at=expires_at,
            device_key=device_key,
            issuing_committee=issuing_committee_name(member.organisation),
        )
        credential = Credential.objects.create(
            member=member,
            card_number=card_number,
            signer_label=signing.signer.label,
            kid=kid_of(signing.signer.certificate).hex(),
            status_list=record,
            status_index=index,
            device_key=device_key,
            qr=qr,
            sd_jwt=sd_jwt,
            issued_at=at,
            expires_at=expires_at,
        )
        audit_record(
            actor=actor,
            action="credentials.issue",
            obj=credential,
            changes={"member_id": member.pk, "status_list": record.pk, "index": index, "kid": credential.kid},
        )
    return credential


def credential_status_set(*, actor: Any, credential: Credential, status: int, reason: str) -> Credential:
    """Set a credential's status (valid, revoked, suspended) and flip its status list entry.

    Revoked is final: a revoked credential is never made valid or suspended again (issue a new one).

    Raises:
        CredentialError: the change would undo a revocation.
    """
    with transaction.atomic():
        current = Credential.objects.select_for_update().get(pk=credential.pk)
        if current.status == CredentialStatus.REVOKED and status != CredentialStatus.REVOKED:
            raise CredentialError(_("A revoked e-card stays revoked; issue a new one."))
        if current.status == status:
            return current
        record = StatusListRecord.objects.select_for_update().get(pk=current.status_list_id)
        packed = bytearray(record.packed)
        status_format.status_list_set(packed, current.status_index, status, record.bits)
        record.packed, record.version = bytes(packed), record.version + 1
        record.save(update_fields=["packed", "version", "updated_at"])
        before = current.status
        current.status, current.status_reason = status, reason
        current.save(update_fields=["status", "status_reason"])
        audit_record(
            actor=actor,
            action="credentials.status",
            obj=current,
            changes={"status": [before, status], "reason": reason},
        )
    return current


def on_members_changed(sender: Any, member_ids: list[int], actor: Any = None, **_kwargs: Any) -> None:
    """A member who died, left or was removed or expelled loses every e-card, in the writer's transaction."""
    ending = Member.objects.filter(pk__in=member_ids, status__in=list(_ENDING)).values_list("pk", "status")
    reason_of = dict(ending)
    if not reason_of:
        return
    for credential in Credential.objects.filter(member_id__in=reason_of).exclude(
        status=CredentialStatus.REVOKED
    ):
        credential_status_set(
            actor=actor,
            credential=credential,
            status=CredentialStatus.REVOKED,
            reason=_ENDING[MemberStatus(reason_of[credential.member_id])],
        )


def status_list_current(record: StatusListRecord, *, at: datetime) -> status_format.StatusList:
    """The list as the server holds it now: authoritative, so never stale (the API's own verifier)."""
    return status_format.StatusList(
        uri=status_list_uri(record.pk), bits=record.bits, statuses=bytes(record.packed), issued_at=at
    )
