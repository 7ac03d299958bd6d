"""The signed trust list verifiers download: DS certificates, the root's CRL, issue and next-update time.

Wire format (UTF-8 JSON): ``{"payload", "signature", "signer_certificate"}``, each base64. The signature
is ECDSA-SHA256 over the exact payload bytes, so no canonicalisation is needed to verify. The signer is
a root-issued certificate with the trust-list-signing extended key usage (like ICAO's master list
signer, 9303-12 §7.1.1.2); a verifier trusts only the root certificate it already holds.

Rollback: the payload carries a ``sequence`` number, the authority's count of the lists it published
(``PkiState.trustlist_sequence``, +1 per list). A verifier remembers the highest it accepted
(:class:`TrustListMemory`) and refuses a lower one (:class:`TrustListRollback`): an attacker who replays
an older list, signed and still within its validity, would otherwise un-revoke a signer the newer list's
CRL revokes (the status list cache refuses an older status list for the same reason). Lists of format
version 1, made before the number existed, count as sequence 0: accepted only while nothing higher was
seen.

Chip policy: format version 3 adds ``chip_policy``, ``{"aa_fallback": bool}``, the publisher's rule for a
chip whose DG14 announces chip authentication but was read without it (``verify/chip.py``): whether
active authentication alone may then prove the chip (9303-11 §6.2 vs §6.1; an AA answer is not bound to
the secure channel). It is in the signed payload, so only the authority sets it, and every chip verifier
takes it from the list it holds. Version 1 and 2 lists, published before the field existed when no
verifier could fall back, read as ``aa_fallback`` false: an absent permission is no permission. Each
version has one exact key set (a verifier never ignores a key that could change a verdict), hence a new
version rather than an optional key in version 2: a version 2 verifier refuses a version 3 list as an
unsupported version, not as a malformed one.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust import _der, oids
from partycard.trust.errors import (
    CertificateExpired,
    CertificateNotIssuedByRoot,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUsageInvalid,
    CrlInvalid,
    PkiParameterError,
    TrustError,
    TrustListBadSignature,
    TrustListMalformed,
    TrustListRollback,
)
from partycard.trust.keystore import KeyStore

__all__ = [
    "FORMAT_VERSION",
    "LEGACY_VERSION",
    "MAX_DOCUMENT_BYTES",
    "MAX_SEQUENCE",
    "SEQUENCE_VERSION",
    "ChipPolicy",
    "TrustList",
    "TrustListMemory",
    "trustlist_accept",
    "trustlist_build",
    "trustlist_verify",
]

FORMAT_VERSION = 3  # version 3 adds ``chip_policy``
SEQUENCE_VERSION = 2  # version 2 added ``sequence``; no chip policy: read as no AA fallback
LEGACY_VERSION = 1  # no sequence: read as sequence 0
MAX_DOCUMENT_BYTES = 16 * 1024 * 1024  # far above any real list; bounds what a verifier will parse
#: The largest sequence number: JavaScript's largest exact integer, so the PWA reads the same number.
MAX_SEQUENCE = 2**53 - 1
_DOCUMENT_KEYS = {"payload", "signature", "signer_certificate"}
_LEGACY_PAYLOAD_KEYS = {"version", "issued_at", "next_update", "signers", "crl"}
_SEQUENCE_PAYLOAD_KEYS = _LEGACY_PAYLOAD_KEYS | {"sequence"}
_PAYLOAD_KEYS = _SEQUENCE_PAYLOAD_KEYS | {"chip_policy"}
_VERSION_KEYS = {
    LEGACY_VERSION: _LEGACY_PAYLOAD_KEYS,
    SEQUENCE_VERSION: _SEQUENCE_PAYLOAD_KEYS,
    FORMAT_VERSION: _PAYLOAD_KEYS,
}
_CHIP_POLICY_KEYS = {"aa_fallback"}


@dataclass(frozen=True)
class ChipPolicy:
    """What the authority accepts from a chip, signed in the trust list (format version 3).

    ``aa_fallback``: a chip whose SOD-vouched DG14 announces chip authentication, read without it (a
    reader that cannot run CA), may still pass on active authentication alone. Off by default: AA proves
    the chip holds the DG15 key but is not bound to the channel the data came over (9303-11 §6.1), so a
    relay to a genuine chip passes it; CA keys the channel with the DG14 key itself (§6.2).
    """

    aa_fallback: bool = False

    def to_json(self) -> dict[str, bool]:
        return {"aa_fallback": self.aa_fallback}


@dataclass(frozen=True)
class TrustList:
    """A verified trust list. ``stale`` is True once ``now`` passed ``next_update``: still authentic,
    but the verifier must say it is out of date instead of showing green (DESIGN, trust model)."""

    issued_at: datetime
    next_update: datetime
    signers: tuple[x509.Certificate, ...]
    crl: x509.CertificateRevocationList
    signer_certificate: x509.Certificate
    stale: bool
    sequence: int = 0  # 0: a version 1 list, made before the number existed
    chip_policy: ChipPolicy = ChipPolicy()  # a version 1 or 2 list: no AA fallback

    def is_revoked(self, certificate: x509.Certificate) -> bool:
        """True if the list's CRL revokes ``certificate`` (matched by serial; one issuer, the root)."""
        return self.crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any, field: str) -> bytes:
    if not isinstance(value, str):
        raise TrustListMalformed(f"{field} is not a base64 string")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, ValueError) as e:
        raise TrustListMalformed(f"{field} is not valid base64") from e


def _time_text(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise PkiParameterError("datetimes must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _time_parse(value: Any, field: str) -> datetime:
    if not isinstance(value, str):
        raise TrustListMalformed(f"{field} is not a time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as e:
        raise TrustListMalformed(f"{field} is not an ISO 8601 time") from e
    if moment.tzinfo is None:
        raise TrustListMalformed(f"{field} has no time zone")
    try:
        return moment.astimezone(UTC)
    except OverflowError as e:  # e.g. 0001-01-01T00:00+01:00
        raise TrustListMalformed(f"{field} is out of range") from e


def _json_object(raw: bytes, keys: set[str], what: str, *, exact: bool = True) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as e:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise TrustListMalformed(f"{what} is not JSON") from e
    if not isinstance(value, dict) or (set(value) != keys if exact else not set(value) <= keys):
        raise TrustListMalformed(f"{what} must be an object with exactly {sorted(keys)}")
    return value


def _certificate(der: bytes, field: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError as e:
        raise TrustListMalformed(f"{field} is not a DER certificate") from e


def trustlist_build(
    *,
    store: KeyStore,
    signer_label: str,
    signer_certificate: x509.Certificate,
    signers: Sequence[x509.Certificate],
    crl: x509.CertificateRevocationList,
    issued_at: datetime,
    next_update: datetime,
    sequence: int = 1,
    chip_policy: ChipPolicy = ChipPolicy(),
) -> bytes:
    """Sign a trust list with the trust-list signer's key; return the document verifiers download.

    Args:
        sequence: the list's number, 1 or more, higher than every list published before it
            (``authority_publish`` takes it from ``PkiState.next_trustlist_sequence``; 1 suits a list
            made outside an authority, in a test or a bench).
        chip_policy: the rule chip verifiers take from the list (:class:`ChipPolicy`); the authority's
            is ``PkiState.aa_fallback``.

    Raises:
        PkiParameterError: ``next_update`` not after ``issued_at``, naive datetimes, or a sequence that is
            not an integer in 1..``MAX_SEQUENCE``.
        StoreKeyMismatch: ``signer_label`` does not hold ``signer_certificate``'s key.
    """
    if next_update <= issued_at:
        raise PkiParameterError("next_update must be after issued_at")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE:
        raise PkiParameterError(f"the sequence must be an integer from 1 to {MAX_SEQUENCE}")
    if not isinstance(chip_policy, ChipPolicy) or not isinstance(chip_policy.aa_fallback, bool):
        raise PkiParameterError("chip_policy must be a ChipPolicy with a boolean aa_fallback")
    _der.require_store_key(store, signer_label, signer_certificate)
    payload = json.dumps(
        {
            "version": FORMAT_VERSION,
            "sequence": sequence,
            "chip_policy": chip_policy.to_json(),
            "issued_at": _time_text(issued_at),
            "next_update": _time_text(next_update),
            "signers": [_b64(c.public_bytes(serialization.Encoding.DER)) for c in signers],
            "crl": _b64(crl.public_bytes(serialization.Encoding.DER)),
        },
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")
    document = {
        "payload": _b64(payload),
        "signature": _b64(store.sign(signer_label, payload)),
        "signer_certificate": _b64(signer_certificate.public_bytes(serialization.Encoding.DER)),
    }
    return json.dumps(document, sort_keys=True, indent=1).encode("utf-8")


def _check_issued_by_root(certificate: x509.Certificate, root_cert: x509.Certificate, what: str) -> None:
    try:
        certificate.verify_directly_issued_by(root_cert)
    except (InvalidSignature, UnsupportedAlgorithm, ValueError, TypeError) as e:
        raise CertificateNotIssuedByRoot(f"{what} was not issued by the trusted root") from e


def _check_validity(certificate: x509.Certificate, at: datetime, what: str) -> None:
    if at < certificate.not_valid_before_utc:
        raise CertificateNotYetValid(f"{what} is not valid before {certificate.not_valid_before_utc}")
    if at > certificate.not_valid_after_utc:
        raise CertificateExpired(f"{what} expired at {certificate.not_valid_after_utc}")


def _check_trustlist_signer_usage(certificate: x509.Certificate) -> None:
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError) as e:
        raise CertificateUsageInvalid("the signer certificate lacks the trust-list signer extensions") from e
    if basic.ca or not usage.digital_signature or oids.TRUST_LIST_SIGNING not in extended:
        raise CertificateUsageInvalid("the signer certificate is not a trust-list signer")


def _verify(document: bytes | str, root_cert: x509.Certificate, now: datetime) -> TrustList:
    if now.tzinfo is None:
        raise PkiParameterError("now must be timezone-aware")
    raw = document.encode("utf-8", "surrogatepass") if isinstance(document, str) else document
    if not isinstance(raw, bytes | bytearray) or len(raw) > MAX_DOCUMENT_BYTES:
        raise TrustListMalformed("the trust list is not bytes of a sane size")
    envelope = _json_object(bytes(raw), _DOCUMENT_KEYS, "the trust list")
    payload = _unb64(envelope["payload"], "payload")
    signature = _unb64(envelope["signature"], "signature")
    signer = _certificate(_unb64(envelope["signer_certificate"], "signer_certificate"), "signer_certificate")

    # Trust flows from the root: the signer first, then its signature, only then the content.
    _check_issued_by_root(signer, root_cert, "the trust-list signer")
    _check_trustlist_signer_usage(signer)
    _check_validity(signer, now, "the trust-list signer")
    signer_key = signer.public_key()
    if not isinstance(signer_key, ec.EllipticCurvePublicKey):
        raise CertificateUsageInvalid("the trust-list signer's key is not an EC key")
    if not _der.verify_with(signer_key, signature, payload):
        raise TrustListBadSignature("the trust list signature does not verify")

    content = _json_object(payload, _PAYLOAD_KEYS, "the payload", exact=False)
    version = content.get("version")
    if isinstance(version, bool) or version not in _VERSION_KEYS:
        raise TrustListMalformed(f"unsupported trust list version {version!r}")
    keys = _VERSION_KEYS[version]
    if set(content) != keys:
        raise TrustListMalformed(f"the payload must be an object with exactly {sorted(keys)}")
    sequence = content.get("sequence", 0)
    if version >= SEQUENCE_VERSION and (
        isinstance(sequence, bool) or not isinstance(sequence, int) or not 1 <= sequence <= MAX_SEQUENCE
    ):
        raise TrustListMalformed(f"sequence must be an integer from 1 to {MAX_SEQUENCE}")
    chip_policy = _chip_policy(content["chip_policy"]) if version >= FORMAT_VERSION else ChipPolicy()
    issued_at = _time_parse(content["issued_at"], "issued_at")
    next_update = _time_parse(content["next_update"], "next_update")
    if not isinstance(content["signers"], list):
        raise TrustListMalformed("signers is not a list")
    signers = tuple(_certificate(_unb64(item, "signers[]"), "signers[]") for item in content["signers"])
    try:
        crl = x509.load_der_x509_crl(_unb64(content["crl"], "crl"))
    except ValueError as e:
        raise TrustListMalformed("crl is not a DER CRL") from e

    root_key = root_cert.public_key()
    if (
        not isinstance(root_key, ec.EllipticCurvePublicKey)
        or crl.issuer != root_cert.subject
        or not crl.is_signature_valid(root_key)
    ):
        raise CrlInvalid("the trust list's CRL is not signed by the trusted root")
    for certificate in signers:
        _check_issued_by_root(certificate, root_cert, f"document signer {certificate.serial_number:x}")
    if crl.get_revoked_certificate_by_serial_number(signer.serial_number) is not None:
        raise CertificateRevoked("the trust-list signer is revoked by the root's CRL")
    return TrustList(
        issued_at=issued_at,
        next_update=next_update,
        signers=signers,
        crl=crl,
        signer_certificate=signer,
        stale=now > next_update,
        sequence=sequence,
        chip_policy=chip_policy,
    )


def _chip_policy(value: Any) -> ChipPolicy:
    """A version 3 list's ``chip_policy``: exactly ``{"aa_fallback": true|false}`` (no 0/1, no text)."""
    if not isinstance(value, dict) or set(value) != _CHIP_POLICY_KEYS:
        raise TrustListMalformed(f"chip_policy must be an object with exactly {sorted(_CHIP_POLICY_KEYS)}")
    if not isinstance(value["aa_fallback"], bool):
        raise TrustListMalformed("chip_policy.aa_fallback must be true or false")
    return ChipPolicy(aa_fallback=value["aa_fallback"])


def trustlist_verify(document: bytes | str, root_cert: x509.Certificate, now: datetime) -> TrustList:
    """Verify a downloaded trust list against the root the verifier already holds, at time ``now``.

    A stale list (``now`` after ``next_update``) is returned with ``stale=True``, not rejected.

    Raises:
        TrustListMalformed: not the documented format.
        CertificateNotIssuedByRoot: the signer or a listed DS was not issued by ``root_cert``.
        CertificateUsageInvalid: the signer is not a trust-list signer.
        CertificateNotYetValid, CertificateExpired: the signer is outside its validity at ``now``.
        TrustListBadSignature: the signature does not cover this payload with the signer's key.
        CrlInvalid: the CRL is not the root's.
        CertificateRevoked: the root's CRL revokes the signer.
    """
    try:
        return _verify(document, root_cert, now)
    except TrustError:
        raise
    except (ValueError, TypeError, OverflowError, UnsupportedAlgorithm) as e:
        # Lazily parsed DER (extensions, keys) can still fail deep inside cryptography; a verifier
        # must get one error type for every bad input, never a crash.
        raise TrustListMalformed(f"the trust list cannot be read: {e}") from e


def trustlist_accept(trust: TrustList, *, highest: int) -> int:
    """Whether a verifier that accepted lists up to sequence ``highest`` may take ``trust``; the new
    highest. A list with the same number is the same list fetched again and is taken.

    Raises:
        TrustListRollback: ``trust`` is older than a list already accepted.
    """
    if trust.sequence < highest:
        raise TrustListRollback(
            f"the trust list is number {trust.sequence}, older than number {highest} already accepted"
        )
    return trust.sequence


class TrustListMemory:
    """The highest trust list sequence a verifier accepted, kept in a small file between runs.

    ``path`` holds ``{"highest_sequence": N}``, replaced atomically (mode 0600); a missing file is 0 (a
    verifier that never saw a numbered list). A file that does not parse is refused rather than read as 0,
    which would re-open the door to the rollback it guards against.

    Args:
        path: the file; None keeps the number in memory only (one run).

    Raises:
        TrustListMalformed: the file exists but is not this class's.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self._path = None if path is None else Path(path)
        self._lock = threading.Lock()
        self._highest = 0
        if self._path is not None and self._path.exists():
            try:
                value = json.loads(self._path.read_text(encoding="utf-8"))["highest_sequence"]
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise TrustListMalformed(f"{self._path} is not a trust list memory file") from e
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_SEQUENCE:
                raise TrustListMalformed(f"{self._path} holds no valid sequence number")
            self._highest = value

    @property
    def highest(self) -> int:
        return self._highest

    def accept(self, trust: TrustList) -> TrustList:
        """Take ``trust`` (already verified) if it is not older than the highest accepted; remember it.

        Raises:
            TrustListRollback: see :func:`trustlist_accept`.
        """
        with self._lock:
            highest = trustlist_accept(trust, highest=self._highest)
            if highest > self._highest:
                if self._path is not None:
                    self._write(highest)
                self._highest = highest
        return trust

    def _write(self, highest: int) -> None:
        assert self._path is not None
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(f".{self._path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump({"highest_sequence": highest}, f)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self._path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
