"""The party card's compact signed QR: CWT claims in a COSE_Sign1 (ES256), zlib, Base45, a versioned prefix.

The EU digital COVID certificate's layering (``HC1:`` there, ``PC1:`` here), so that the same offline
verifier design carries over::

    "PC1:" + Base45(zlib(COSE_Sign1(CWT claims)))                         static credential
    "PC1R:" + Base45(zlib(CBOR [COSE_Sign1 bytes, window, proof]))       rotating, device-bound (device.py)

The CWT claims (RFC 8392) use the registered keys where one fits, and one private-use claim (RFC 8392
§9.1: keys below -65536) holds the party card's own fields, keyed by small integers (docs/ecard.md):

======  =========================  ===========================================================
key     claim                      value
======  =========================  ===========================================================
1       ``iss``                    issuer, text ("VN")
2       ``sub``                    the card number, text ("01.234.567")
4       ``exp``                    expiry, NumericDate (integer seconds)
5       ``nbf``                    optional: not before, NumericDate
6       ``iat``                    issue (signing) time, NumericDate
8       ``cnf``                    optional: ``{1: COSE_Key}`` the member's device key (RFC 8747)
65535   ``status``                 ``{"status_list": {"idx": i, "uri": u}}`` (draft-ietf-oauth-status-list)
-65537  party card                 ``{1: full name, 2: date of birth "YYYY-MM-DD", 3: organisation code,
                                   4: member status ("official" or "probationary")}``
======  =========================  ===========================================================

Signing goes through a key store (``store.sign``); the key never comes here. Parsing is strict and
raises only :class:`~partycard.ecard.errors.ECardError` subclasses.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import cbor2
import segno
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.ecard.base45 import b45decode, b45encode
from partycard.ecard.cose import cbor_loads, cose_key_decode, cose_key_encode, sign1_create
from partycard.ecard.errors import CoseError, CwtError, ECardError
from partycard.ecard.keys import kid_of

if TYPE_CHECKING:
    from partycard.trust.keystore import KeyStore

__all__ = [
    "CLAIM_CNF",
    "CLAIM_EXP",
    "CLAIM_IAT",
    "CLAIM_ISS",
    "CLAIM_NBF",
    "CLAIM_PARTY_CARD",
    "CLAIM_STATUS",
    "CLAIM_SUB",
    "PREFIX",
    "ROTATING_PREFIX",
    "CardClaims",
    "QrFormatError",
    "QrPresentation",
    "cwt_claims_decode",
    "cwt_claims_encode",
    "qr_credential_sign",
    "qr_encode",
    "qr_parse",
    "qr_png",
    "qr_svg",
    "qr_unwrap",
    "qr_wrap",
]

PREFIX = "PC1:"  # version 1 of the static credential; a new format gets a new prefix
ROTATING_PREFIX = "PC1R:"  # version 1 of the device-bound rotating form (device.py)

CLAIM_ISS, CLAIM_SUB, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CNF = 1, 2, 4, 5, 6, 8  # RFC 8392 §3.1, RFC 8747
CLAIM_STATUS = 65535  # draft-ietf-oauth-status-list §6.2 (CWT "status")
CLAIM_PARTY_CARD = -65537  # private use (RFC 8392 §9.1)
PC_FULL_NAME, PC_DATE_OF_BIRTH, PC_ORGANISATION, PC_MEMBER_STATUS = 1, 2, 3, 4
CNF_COSE_KEY = 1  # RFC 8747 §3.1
MEMBER_STATUSES = ("official", "probationary")

MAX_TEXT = 8 * 1024  # a QR code holds at most 4,296 alphanumeric characters
MAX_INFLATED = 16 * 1024  # what zlib may inflate to: bounds a decompression bomb


class QrFormatError(ECardError, ValueError):
    """QR text that is not ours: an unknown prefix, bad zlib, or a rotating QR of the wrong shape."""


@dataclass(frozen=True, slots=True)
class CardClaims:
    """What a party-card credential says. Times are timezone-aware (UTC); ``device_key`` is the cnf key."""

    card_number: str
    full_name: str
    date_of_birth: date
    organisation_code: str
    member_status: str
    issued_at: datetime
    expires_at: datetime
    status_index: int
    status_uri: str
    issuer: str = "VN"
    not_before: datetime | None = None
    device_key: ec.EllipticCurvePublicKey | None = None


def _numeric_date(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise CwtError("datetimes must be timezone-aware")
    return int(moment.timestamp())


def cwt_claims_encode(claims: CardClaims) -> bytes:
    """The CWT claims set (a CBOR map, module docstring) of ``claims``.

    Raises:
        CwtError: a naive datetime, an empty field, a negative index or an unknown member status.
    """
    if claims.member_status not in MEMBER_STATUSES:
        raise CwtError(f"member status {claims.member_status!r} is not one of {MEMBER_STATUSES}")
    texts = (claims.card_number, claims.full_name, claims.organisation_code, claims.status_uri, claims.issuer)
    if not all(texts):
        raise CwtError("card number, name, organisation code, status list URI and issuer must not be empty")
    if claims.status_index < 0:
        raise CwtError("the status list index must not be negative")
    cwt: dict[int, Any] = {
        CLAIM_ISS: claims.issuer,
        CLAIM_SUB: claims.card_number,
        CLAIM_EXP: _numeric_date(claims.expires_at),
        CLAIM_IAT: _numeric_date(claims.issued_at),
        CLAIM_STATUS: {"status_list": {"idx": claims.status_index, "uri": claims.status_uri}},
        CLAIM_PARTY_CARD: {
            PC_FULL_NAME: claims.full_name,
            PC_DATE_OF_BIRTH: claims.date_of_birth.isoformat(),
            PC_ORGANISATION: claims.organisation_code,
            PC_MEMBER_STATUS: claims.member_status,
        },
    }
    if claims.not_before is not None:
        cwt[CLAIM_NBF] = _numeric_date(claims.not_before)
    if claims.device_key is not None:
        try:
            cwt[CLAIM_CNF] = {CNF_COSE_KEY: cose_key_encode(claims.device_key)}
        except CoseError as e:
            raise CwtError(str(e)) from e
    return cbor2.dumps(cwt)


def _text(value: Any, what: str) -> str:
    if type(value) is not str or not value:
        raise CwtError(f"{what} is not a non-empty text string")
    return value


def _time(value: Any, what: str) -> datetime:
    # NumericDate (RFC 8392 §2): integer seconds here (floats are allowed by the RFC but never written).
    if type(value) is not int:
        raise CwtError(f"{what} is not an integer NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as e:
        raise CwtError(f"{what} is out of range") from e


def cwt_claims_decode(payload: bytes, *, device_key: bool = True) -> CardClaims:
    """The claims of a party-card CWT (strict: every claim the card needs, of the right type).

    Claims it does not know are ignored (a later version may add some). Raises only ECardError.
    With ``device_key=False`` the cnf claim's shape is checked but its point is not decoded (the
    field stays None): a verifier of a static QR has no use for it, and decoding costs a point check.

    Raises:
        CwtError: not a CBOR map, or a needed claim missing or malformed.
        CoseError: not CBOR, or the cnf key is not a P-256 COSE_Key.
    """
    # Plain dict checks, not Mapping: the claims are never inside a CBOR tag, so cbor2 gives dicts,
    # and an ABC isinstance costs more than the rest of the decoding.
    cwt = cbor_loads(payload, "the CWT claims")
    if type(cwt) is not dict:
        raise CwtError("the CWT claims are not a map")
    card = cwt.get(CLAIM_PARTY_CARD)
    status = cwt.get(CLAIM_STATUS)
    if type(card) is not dict:
        raise CwtError("the party card claim is missing")
    status_list = status.get("status_list") if type(status) is dict else None
    if type(status_list) is not dict:
        raise CwtError("the status claim is missing")
    index = status_list.get("idx")
    if type(index) is not int or index < 0:
        raise CwtError("the status list index is not a non-negative integer")
    try:
        born = date.fromisoformat(_text(card.get(PC_DATE_OF_BIRTH), "the date of birth"))
    except ValueError as e:
        raise CwtError("the date of birth is not YYYY-MM-DD") from e
    member_status = card.get(PC_MEMBER_STATUS)
    if member_status not in MEMBER_STATUSES:
        raise CwtError(f"member status {member_status!r} is unknown")
    key = None
    cnf = cwt.get(CLAIM_CNF)
    if cnf is not None:
        if type(cnf) is not dict or type(cnf.get(CNF_COSE_KEY)) is not dict:
            raise CwtError("the cnf claim holds no COSE_Key")
        if device_key:
            key = cose_key_decode(cnf[CNF_COSE_KEY])
    nbf = cwt.get(CLAIM_NBF)
    return CardClaims(
        card_number=_text(cwt.get(CLAIM_SUB), "the card number (sub)"),
        full_name=_text(card.get(PC_FULL_NAME), "the full name"),
        date_of_birth=born,
        organisation_code=_text(card.get(PC_ORGANISATION), "the organisation code"),
        member_status=member_status,
        issued_at=_time(cwt.get(CLAIM_IAT), "iat"),
        expires_at=_time(cwt.get(CLAIM_EXP), "exp"),
        status_index=index,
        status_uri=_text(status_list.get("uri"), "the status list URI"),
        issuer=_text(cwt.get(CLAIM_ISS), "the issuer (iss)"),
        not_before=None if nbf is None else _time(nbf, "nbf"),
        device_key=key,
    )


def qr_credential_sign(
    claims: CardClaims, *, store: KeyStore, signer_label: str, signer_certificate: x509.Certificate
) -> bytes:
    """The COSE_Sign1 of ``claims``, signed ES256 by the document signer's key in ``store``.

    The kid is ``kid_of(signer_certificate)``; the caller picks a signer whose key may sign at
    ``claims.issued_at`` (trust.pki.signer_key_usable) and whose certificate lists the ``EC`` type.
    """
    return sign1_create(
        cwt_claims_encode(claims),
        sign=lambda data: store.sign(signer_label, data),
        kid=kid_of(signer_certificate),
    )


def qr_wrap(prefix: str, content: bytes) -> str:
    """``prefix`` + Base45(zlib(``content``)), the QR text."""
    return prefix + b45encode(zlib.compress(content, 9))


def qr_unwrap(text: str, prefix: str) -> bytes:
    """The inverse of :func:`qr_wrap`.

    Raises:
        QrFormatError: another prefix, a text too long for a QR code, bad or oversized zlib data.
        Base45Error: not Base45 after the prefix.
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise QrFormatError("not QR text of a sane size")
    if not text.startswith(prefix):
        raise QrFormatError(f"the QR text does not start with {prefix!r}")
    compressed = b45decode(text[len(prefix) :])
    inflater = zlib.decompressobj()
    try:
        content = inflater.decompress(compressed, MAX_INFLATED)
    except zlib.error as e:
        raise QrFormatError(f"not zlib data: {e}") from e
    if inflater.unconsumed_tail:
        raise QrFormatError(f"the content inflates beyond {MAX_INFLATED} bytes")
    if not inflater.eof or inflater.unused_data:
        raise QrFormatError("the zlib stream is truncated or followed by other bytes")
    return content


def qr_encode(credential: bytes) -> str:
    """The static QR text of a signed credential (COSE_Sign1 bytes): ``"PC1:" + Base45(zlib(…))``."""
    return qr_wrap(PREFIX, credential)


@dataclass(frozen=True, slots=True)
class QrPresentation:
    """A QR as shown: the credential (COSE_Sign1 bytes) and, for the rotating form, the device proof."""

    credential: bytes
    window: int | None = None
    proof: bytes | None = None

    @property
    def rotating(self) -> bool:
        return self.proof is not None


def qr_parse(text: str) -> QrPresentation:
    """Split QR text into the credential and the device proof (if rotating), by prefix.

    Only the framing is checked here; the COSE structure, the signatures and the window are the
    verifier's (partycard.verify.qr).

    Raises:
        QrFormatError, Base45Error, CoseError: anything not a PC1 or PC1R QR (all ECardError).
    """
    if isinstance(text, str) and text.startswith(ROTATING_PREFIX):
        item = cbor_loads(qr_unwrap(text, ROTATING_PREFIX), "the rotating QR")
        if not isinstance(item, list | tuple) or len(item) != 3:
            raise QrFormatError("a rotating QR holds [credential, window, proof]")
        credential, window, proof = item
        if not isinstance(credential, bytes) or not isinstance(proof, bytes) or type(window) is not int:
            raise QrFormatError("a rotating QR holds [bytes, integer, bytes]")
        return QrPresentation(credential, window, proof)
    return QrPresentation(qr_unwrap(text, PREFIX))


def qr_svg(text: str, *, scale: int = 4) -> str:
    """The QR code of ``text`` as an SVG document (error correction Q at least, as the EU DCC advises)."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="svg", scale=scale)
    return buffer.getvalue().decode("utf-8")


def qr_png(text: str, *, scale: int = 4) -> bytes:
    """The QR code of ``text`` as PNG bytes."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="q").save(buffer, kind="png", scale=scale)
    return buffer.getvalue()
