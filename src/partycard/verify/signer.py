"""Whether a document signer may be trusted, for every verifier (chip, QR, SD-JWT): one set of checks
and one set of reason codes (docs/trust.md), so that the same signer fault reads the same everywhere.
Pure: no Django, no I/O.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature

from partycard.trust.pki import document_types_of, signer_key_usable
from partycard.verify.verdict import Kind, Reason
from partycard.verify.words import gettext_noop, vietnamese

if TYPE_CHECKING:
    from partycard.trust.trustlist import TrustList

__all__ = ["invalid", "reason", "signer_reasons"]


def reason(code: str, kind: Kind, msgid: str, /, **params: object) -> Reason:
    """A reason (shorthand for the verifiers' long lists): ``msgid`` (marked with
    :func:`~partycard.verify.words.gettext_noop`) formatted with ``params`` in English, and its
    Vietnamese from the catalogue (:func:`~partycard.verify.words.vietnamese`)."""
    return Reason(
        code=code,
        kind=kind,
        message_en=msgid % params if params else msgid,
        message_vi=vietnamese(msgid, params),
    )


def invalid(code: str, msgid: str, /, **params: object) -> Reason:
    """A reason that makes the verdict invalid (as :func:`reason`)."""
    return reason(code, Kind.INVALID, msgid, **params)


def _issued_by(certificate: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _usage_reasons(ds: x509.Certificate, document_type: str) -> list[Reason]:
    try:
        key_usage = ds.extensions.get_extension_for_class(x509.KeyUsage).value
        signs = key_usage.digital_signature
    except x509.ExtensionNotFound:
        signs = False
    try:
        types = document_types_of(ds)
    except (ValueError, TypeError):
        types = []
    if signs and document_type in types:
        return []
    return [
        invalid(
            "signer_usage_invalid",
            gettext_noop(
                # xgettext:no-python-format
                "the signer's certificate is not for signing this document (key usage or type %(type)s)"
            ),
            type=document_type,
        )
    ]


def signer_reasons(
    ds: x509.Certificate,
    *,
    trust: TrustList,
    root: x509.Certificate,
    now: datetime,
    signed_at: datetime | None,
    document_type: str,
) -> list[Reason]:
    """Every reason not to trust ``ds`` for ``document_type`` at ``now``, for a signature made at
    ``signed_at`` (None: unknown, the usage period is not checked); empty if it may be trusted.

    Order of trust: the issuer, then the root's signature on ``ds`` (a forged DS stops there), then
    usage, revocation, validity, usage period and the trust list.
    """
    if ds.issuer != root.subject:
        return [
            invalid(
                "signer_other_root",
                gettext_noop("the document signer belongs to another root, not the party card root"),
            )
        ]
    if not _issued_by(ds, root):
        return [
            invalid(
                "signer_unknown",
                gettext_noop("the document signer names the root but was not issued by it (unknown signer)"),
            )
        ]
    reasons = _usage_reasons(ds, document_type)
    if trust.is_revoked(ds):
        reasons.append(
            invalid(
                "signer_revoked",
                gettext_noop("the document signer's certificate is revoked"),
            )
        )
    if now < ds.not_valid_before_utc:
        reasons.append(
            invalid(
                "signer_not_yet_valid",
                gettext_noop("the document signer's certificate is not valid yet"),
            )
        )
    elif now > ds.not_valid_after_utc:
        reasons.append(
            invalid(
                "signer_expired",
                gettext_noop("the document signer's certificate has expired"),
            )
        )
    if signed_at is not None and not signer_key_usable(ds, signed_at):
        reasons.append(
            invalid(
                "signed_outside_usage_period",
                gettext_noop("it was signed outside the signer key's usage period"),
            )
        )
    if ds not in trust.signers:
        reasons.append(
            reason(
                "signer_not_in_trust_list",
                Kind.CANNOT_TELL,
                gettext_noop("the document signer is not on this trust list yet: update the trust list"),
            )
        )
    return reasons
