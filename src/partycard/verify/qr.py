"""Judge a party-card QR (static ``PC1:`` or device-bound rotating ``PC1R:``), offline, from the trust
list and the status list: the same :class:`Verdict` as a chip read, every check with its own code.

Checks, all run (docs/ecard.md lists the codes): the QR's framing and the COSE/CWT structure; the
signature with every listed document signer whose kid matches; that signer (verify/signer.py, for the
``EC`` document type, signing time = ``iat``); the credential's validity; its status in the status list;
the device proof of a rotating QR (the cnf key's signature for the current 30-second window ± 1).

:class:`QrVerifier` is the session form a phone keeps while its trust list does not change: the kid
index, the signers' public keys and their signer checks are computed once per certificate and state
(before/within/after its validity, signing time inside/outside its usage period), not per QR.
:func:`qr_verdict` is the one-shot form. Neither raises on bad input. Pure: no Django, no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.cose import Sign1, sign1_parse, sign1_verify
from partycard.ecard.device import SKEW_WINDOWS, device_proof_verify, window_at
from partycard.ecard.errors import ECardError
from partycard.ecard.keys import kid_of
from partycard.ecard.qr import CardClaims, QrPresentation, cwt_claims_decode, qr_parse
from partycard.ecard.status import StatusList
from partycard.trust.oids import ECARD_DOCUMENT_TYPE
from partycard.verify.signer import invalid, reason, signer_reasons
from partycard.verify.status import StatusSource, status_lookup, status_reasons
from partycard.verify.verdict import Kind, Reason, Verdict, verdict_of
from partycard.verify.words import gettext_noop

if TYPE_CHECKING:
    from partycard.trust.trustlist import TrustList

__all__ = ["ISSUE_SKEW", "QrVerifier", "StatusSource", "holder_of", "qr_verdict"]

#: How far ahead of the verifier's clock a credential's iat / nbf may be (a phone's clock is often late).
ISSUE_SKEW = timedelta(minutes=5)


_TWO_DIGITS = tuple(f"{i:02d}" for i in range(32))  # a day or month as dd / mm


def _date(moment: date | datetime) -> str:
    # A table for dd and mm: strftime is 3× slower than format specs, which are 3× slower than this.
    if isinstance(moment, datetime) and moment.tzinfo is not UTC:  # a credential's times are UTC already
        moment = moment.astimezone(UTC)
    year = moment.year
    return f"{_TWO_DIGITS[moment.day]}/{_TWO_DIGITS[moment.month]}/{year if year >= 1000 else f'{year:04d}'}"


def holder_of(claims: CardClaims) -> dict[str, str]:
    """The credential's holder data as display strings (dates dd/mm/yyyy, UTC)."""
    return {
        "card_number": claims.card_number,
        "full_name": claims.full_name,
        "date_of_birth": _date(claims.date_of_birth),
        "organisation_code": claims.organisation_code,
        "member_status": claims.member_status,
        "issued_at": _date(claims.issued_at),
        "expires_at": _date(claims.expires_at),
    }


def _malformed(detail: str) -> Reason:
    return invalid(
        "qr_malformed",
        # xgettext:no-python-format
        gettext_noop("this is not a party card QR code, or it is damaged (%(detail)s)"),
        detail=detail,
    )


class _Signer:
    """One listed document signer, with what every verification needs precomputed."""

    __slots__ = ("certificate", "key", "not_after", "not_before", "reasons", "usage_after", "usage_before")

    def __init__(self, certificate: x509.Certificate) -> None:
        self.certificate = certificate
        public_key = certificate.public_key()
        self.key = public_key if isinstance(public_key, ec.EllipticCurvePublicKey) else None
        self.not_before = certificate.not_valid_before_utc
        self.not_after = certificate.not_valid_after_utc
        # The private key usage period as signer_reasons reads it (trust.pki.signer_key_usable), parsed once.
        try:
            period = certificate.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod).value
            self.usage_before = period.not_before.replace(tzinfo=UTC) if period.not_before else None
            self.usage_after = period.not_after.replace(tzinfo=UTC) if period.not_after else None
        except x509.ExtensionNotFound:
            self.usage_before, self.usage_after = self.not_before, self.not_after
        self.reasons: dict[tuple[int, bool], tuple[Reason, ...]] = {}

    def state(self, now: datetime, signed_at: datetime) -> tuple[int, bool]:
        """Everything time-dependent signer_reasons looks at: validity at ``now`` (-1 before, 0 within,
        1 after) and whether ``signed_at`` is inside the usage period."""
        validity = -1 if now < self.not_before else 1 if now > self.not_after else 0
        usable = (self.usage_before is None or self.usage_before <= signed_at) and (
            self.usage_after is None or signed_at <= self.usage_after
        )
        return validity, usable


class QrVerifier:
    """Verifies QR codes against one trust list and status list(s); keep one per downloaded list.

    Args:
        trust: a trust list verified with ``root`` (trustlist_verify).
        root: the root certificate the verifier holds.
        status: the status list, several (looked up by the credential's URI), or a function from URI to
            list (a server's cache); None: status cannot be told (``status_unknown``).
        device_required: refuse a static QR (``device_proof_missing``). True by default: a static
            credential can be copied out of any rotating QR, so only a verifier that requires the proof
            gets its screenshot protection. Set False for printed or paper credentials.
    """

    def __init__(
        self,
        *,
        trust: TrustList,
        root: x509.Certificate,
        status: StatusSource = None,
        device_required: bool = True,
    ) -> None:
        self.trust = trust
        self.root = root
        self.device_required = device_required
        self._status: Callable[[str], StatusList | None] = status_lookup(status)
        self._by_kid: dict[bytes, list[_Signer]] = {}
        for certificate in trust.signers:
            self._by_kid.setdefault(kid_of(certificate), []).append(_Signer(certificate))

    def verdict(self, text: str, *, now: datetime) -> Verdict:
        """The verdict on QR ``text`` at ``now`` (timezone-aware). Never raises on bad input."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        try:
            presentation = qr_parse(text)
            message = sign1_parse(presentation.credential)
            claims = cwt_claims_decode(message.payload, device_key=presentation.rotating)
        except ECardError as e:
            return verdict_of([_malformed(str(e))], at=now)
        except Exception as e:  # a bug in a parser must not crash a verifier at the door
            return verdict_of([_malformed(f"unexpected {type(e).__name__}")], at=now)
        reasons: list[Reason] = []
        reasons += self._signature_reasons(message, claims, now)
        if self.trust.stale:
            reasons.append(
                reason(
                    "trust_list_stale",
                    Kind.CANNOT_TELL,
                    gettext_noop(
                        "the trust list is out of date since %(since)s UTC: revocations may be missing"
                    ),
                    since=f"{self.trust.next_update:%d/%m/%Y %H:%M}",
                )
            )
        reasons += _validity_reasons(claims, now)
        reasons += self._status_reasons(claims, now)
        reasons += self._device_reasons(presentation, claims, now)
        return verdict_of(reasons, holder_of(claims), at=now)

    def _signature_reasons(self, message: Sign1, claims: CardClaims, now: datetime) -> list[Reason]:
        kid = message.kid
        candidates = self._by_kid.get(kid, []) if kid is not None else []
        if not candidates:
            return [
                reason(
                    "unknown_kid",
                    Kind.CANNOT_TELL,
                    gettext_noop(
                        "no document signer on this trust list has the QR's key identifier: update the trust"
                        " list; if it persists, the QR is not genuine"
                    ),
                )
            ]
        for signer in candidates:
            if signer.key is not None and sign1_verify(message, signer.key):
                return list(self._signer_reasons(signer, now, claims.issued_at))
        return [
            invalid(
                "payload_altered",
                gettext_noop("the signature does not match the QR's content: it was altered or forged"),
            )
        ]

    def _signer_reasons(self, signer: _Signer, now: datetime, signed_at: datetime) -> tuple[Reason, ...]:
        # signer_reasons depends on now and signed_at only through state(): cache per state (exact).
        key = signer.state(now, signed_at)
        found = signer.reasons.get(key)
        if found is None:
            found = tuple(
                signer_reasons(
                    signer.certificate,
                    trust=self.trust,
                    root=self.root,
                    now=now,
                    signed_at=signed_at,
                    document_type=ECARD_DOCUMENT_TYPE,
                )
            )
            signer.reasons[key] = found
        return found

    def _status_reasons(self, claims: CardClaims, now: datetime) -> list[Reason]:
        return status_reasons(self._status(claims.status_uri), index=claims.status_index, now=now)

    def _device_reasons(
        self, presentation: QrPresentation, claims: CardClaims, now: datetime
    ) -> list[Reason]:
        if presentation.proof is None or presentation.window is None:
            if not self.device_required:
                return []
            return [
                invalid(
                    "device_proof_missing",
                    gettext_noop(
                        "a static QR without the phone's proof: show the live QR in the party card app"
                    ),
                )
            ]
        key = claims.device_key
        if key is None or not device_proof_verify(
            key, presentation.credential, presentation.window, presentation.proof
        ):
            return [
                invalid(
                    "device_proof_invalid",
                    gettext_noop("the phone's proof does not verify with the card's device key"),
                )
            ]
        current = window_at(now)
        if presentation.window < current - SKEW_WINDOWS:
            return [
                invalid(
                    "device_proof_expired",
                    gettext_noop(
                        "the QR's proof is from an earlier moment: a screenshot or recording,"
                        " not the live phone"
                    ),
                )
            ]
        if presentation.window > current + SKEW_WINDOWS:
            return [
                invalid(
                    "device_proof_not_yet_valid",
                    gettext_noop(
                        "the QR's proof is from a later moment: the phone's or this verifier's clock is wrong"
                    ),
                )
            ]
        return []


def _validity_reasons(claims: CardClaims, now: datetime) -> list[Reason]:
    reasons: list[Reason] = []
    start = claims.not_before or claims.issued_at
    if now + ISSUE_SKEW < start:
        reasons.append(
            invalid(
                "credential_not_yet_valid",
                gettext_noop("the credential is valid only from %(date)s"),
                date=_date(start),
            )
        )
    if now >= claims.expires_at:
        reasons.append(
            invalid(
                "credential_expired",
                gettext_noop("the credential expired on %(date)s"),
                date=_date(claims.expires_at),
            )
        )
    return reasons


def qr_verdict(
    text: str,
    *,
    trust: TrustList,
    root: x509.Certificate,
    now: datetime,
    status: StatusSource,
    device_required: bool = True,
) -> Verdict:
    """The verdict on one QR (one-shot :class:`QrVerifier`; keep a verifier to check many)."""
    return QrVerifier(trust=trust, root=root, status=status, device_required=device_required).verdict(
        text, now=now
    )
