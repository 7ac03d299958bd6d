"""The e-card's two signed forms of one member record: the QR credential (``ecard.qr``) and the SD-JWT
VC (``ecard.sdjwt``), both signed by the current document signer through the key store.

The QR carries what a meeting check needs (card number, name, date of birth, organisation, status); the
SD-JWT carries the chip's DG1 fields plus organisation and membership, each disclosable on its own. Both
name the same status list entry, so one revocation ends both. The SD-JWT needs the holder's key (its
key binding); a member without a registered device key gets the QR only.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key

from partycard.core.signing import DocumentSigner
from partycard.credentials.errors import CredentialError
from partycard.ecard.keys import kid_of
from partycard.ecard.qr import CardClaims, qr_credential_sign, qr_encode
from partycard.ecard.sdjwt import MemberClaims, member_sdjwt_issue
from partycard.registry.models import Member
from partycard.trust.keystore import KeyStore

__all__ = ["credential_sign", "device_key_load"]


def device_key_load(spki_der: bytes) -> ec.EllipticCurvePublicKey:
    """The member's device public key from its SubjectPublicKeyInfo DER (P-256 only).

    Raises:
        CredentialError: not a P-256 public key.
    """
    try:
        key = load_der_public_key(spki_der)
    except (ValueError, TypeError) as e:
        raise CredentialError("The device key is not a public key (SubjectPublicKeyInfo DER).") from e
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise CredentialError("The device key must be an ECDSA P-256 key.")
    return key


def _text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFC", value).split())


def credential_sign(
    *,
    member: Member,
    card_number: str,
    store: KeyStore,
    signer: DocumentSigner,
    status_uri: str,
    status_index: int,
    issued_at: datetime,
    expires_at: datetime,
    device_key: bytes | None,
    issuing_committee: str,
) -> tuple[str, str]:
    """The QR text and the SD-JWT VC (empty without a device key) of ``member``."""
    key = device_key_load(device_key) if device_key is not None else None
    organisation = member.organisation
    qr = qr_encode(
        qr_credential_sign(
            CardClaims(
                card_number=card_number,
                full_name=_text(member.full_name),
                date_of_birth=member.date_of_birth,
                organisation_code=organisation.code,
                member_status=str(member.status),
                issued_at=issued_at,
                expires_at=expires_at,
                status_index=status_index,
                status_uri=status_uri,
                device_key=key,
            ),
            store=store,
            signer_label=signer.label,
            signer_certificate=signer.certificate,
        )
    )
    if key is None:
        return qr, ""
    sd_jwt = member_sdjwt_issue(
        member=MemberClaims(
            card_number=card_number,
            full_name=_text(member.full_name),
            date_of_birth=member.date_of_birth,
            gender=str(member.gender),  # the registry codes are DG1's: M, F
            date_admitted=member.date_admitted,
            date_official=member.date_official,
            issuing_committee=issuing_committee,
            organisation_code=organisation.code,
            organisation_name=_text(organisation.name),
            member_status=str(member.status),
            good_standing=not (member.under_discipline or member.under_inspection),
        ),
        sign=lambda data: store.sign(signer.label, data),
        kid=kid_of(signer.certificate),
        holder_key=key,
        status_uri=status_uri,
        status_index=status_index,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    return qr, sd_jwt
