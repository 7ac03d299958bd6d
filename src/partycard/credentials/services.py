"""Issuing electronic party cards, changing their status, and publishing the status lists.

Every write runs in one transaction with its audit row. Status list entries are taken and flipped under
a row lock on the list (``select_for_update``), so two issuers never share an index and two revocations
never lose one another's flip. Signing goes through the authority's key store (``core.signing``); the
document signer that may sign now signs credentials and status lists (docs/ecard.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action, Role
from partycard.audit.services import audit_record
from partycard.cards.lifecycle import STATUS_OF, CardState
from partycard.cards.models import Card
from partycard.cards.selectors import card_in_use
from partycard.cards.status_lists import (
    status_entry_set,
    status_index_take,
    status_list_current,
    status_list_uri,
)
from partycard.core import clock
from partycard.core.signing import (
    DocumentSigner,
    SigningUnavailable,
    document_signer_current,
    keystore_failed,
    pki_directory,
    pki_keystore_open,
)
from partycard.credentials import formats
from partycard.credentials.errors import CredentialError
from partycard.credentials.models import Credential, CredentialStatus
from partycard.ecard.keys import kid_of
from partycard.registry.choices import MemberStatus
from partycard.registry.models import Member
from partycard.registry.selectors import issuing_committee_name
from partycard.trust.keystore import KeyNotFound, KeyStore, KeyStoreError

__all__ = [
    "CredentialError",
    "credential_issue",
    "credential_status_set",
    "on_cards_changed",
    "on_members_changed",
    "status_list_current",  # re-exported from cards.status_lists (the publishing code reads them here)
    "status_list_uri",
]

#: Member statuses that end a member's e-card for good (the status list value "invalid").
_ENDING = {
    MemberStatus.DECEASED: "deceased",
    MemberStatus.REMOVED: "removed",
    MemberStatus.EXPELLED: "expelled",
    MemberStatus.RESIGNED: "resigned",
}


def _config(name: str, default: Any) -> Any:
    return settings.PARTYCARD.get(name, default)


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

    The e-card is the member's card in the digital environment: it is issued only for the member's
    **new card in use** (handed over, not lost, revoked or replaced: ``cards.selectors.card_in_use``) and
    carries that card's number; an official member only (a probationary member holds no card).

    Raises:
        CredentialError: not allowed, the member is not an official member or holds no card in use, or
            nothing can sign now.
    """
    at = at or clock.now()
    if not _may_issue(actor, member):
        raise CredentialError(_("Only the member themself or the Centre may issue this e-card."))
    if member.status != MemberStatus.OFFICIAL:
        raise CredentialError(_("Only an official member is issued an e-card."))
    card = card_in_use(member)
    if card is None:
        raise CredentialError(_("The member holds no party membership card in use yet."))
    card_number = card.number
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
        status = STATUS_OF[CardState(card.state)]  # the e-card's entry says what its card's does
        list_id, index = status_index_take(signing.signer.label, value=status)
        try:
            qr, sd_jwt = formats.credential_sign(
                member=member,
                card_number=card_number,
                store=signing.store,
                signer=signing.signer,
                status_uri=status_list_uri(list_id),
                status_index=index,
                issued_at=at,
                expires_at=expires_at,
                device_key=device_key,
                issuing_committee=issuing_committee_name(member.organisation),
            )
        except (KeyStoreError, KeyNotFound, OSError) as e:
            # The store stopped answering mid-signing (a token removed, an HSM session dropped, a key file
            # gone): said with the store's name; the transaction rolls back (the earlier e-cards stay
            # valid, no status index is taken), and the store is forgotten so the next try opens it afresh.
            keystore_failed(signing.store)
            raise CredentialError(
                _("The key store %(store)s stopped answering while signing; no e-card was issued. Try again.")
                % {"store": repr(signing.store)}
            ) from e
        credential = Credential.objects.create(
            member=member,
            card_number=card_number,
            signer_label=signing.signer.label,
            kid=kid_of(signing.signer.certificate).hex(),
            status_list_id=list_id,
            status_index=index,
            status=status,
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
            changes={
                "member_id": member.pk,
                "card": card_number,
                "status_list": list_id,
                "index": index,
                "kid": credential.kid,
            },
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
        status_entry_set(current.status_list_id, current.status_index, status)
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


def on_cards_changed(card_ids: Sequence[int], actor: Any = None) -> None:
    """The e-card follows its card (registered with ``cards.hooks``): while the card is in use the e-card
    is valid; suspended with it; revoked for good once the card is lost, revoked, replaced or destroyed.
    In the card writer's transaction."""
    cards = dict(Card.objects.filter(pk__in=card_ids).values_list("number", "state"))
    for credential in Credential.objects.filter(card_number__in=cards).exclude(
        status=CredentialStatus.REVOKED
    ):
        state = CardState(cards[credential.card_number])
        wanted = STATUS_OF[state]  # the card's own entry: VALID, SUSPENDED, or INVALID (= revoked)
        if wanted != credential.status:
            credential_status_set(
                actor=actor, credential=credential, status=wanted, reason=f"card_{state.value}"
            )


def on_members_changed(*, member_ids: Sequence[int], actor: Any) -> None:
    """A member who died, left or was removed or expelled loses every e-card, in the writer's transaction.

    The registry calls it on every member change (``registry.hooks``, registered in ``CredentialsConfig``).
    """
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
