"""DER building blocks for issuing with a key that never leaves the store.

``cryptography`` can only sign a certificate when handed the private key, so the TBS structures are
built with ``asn1crypto``, their DER is signed by :meth:`KeyStore.sign`, and the result is loaded back
with ``cryptography`` (which both parses it strictly and checks the signature).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from asn1crypto import algos, keys
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from partycard.trust.errors import PkiParameterError, StoreKeyMismatch
from partycard.trust.keystore import KeyStore

__all__ = [
    "ecdsa_sha256",
    "generalized_time",
    "key_identifier",
    "name",
    "name_of",
    "public_key_info",
    "random_serial",
    "require_store_key",
    "time_choice",
    "verify_with",
]


def ecdsa_sha256() -> Any:
    """``ecdsa-with-SHA256`` with the parameters absent, as RFC 5758 §3.2 requires."""
    return algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"})


def _utc(moment: datetime) -> datetime:
    """Aware UTC datetime without microseconds (X.509 times carry whole seconds; RFC 5280 §4.1.2.5)."""
    if moment.tzinfo is None:
        raise PkiParameterError("datetimes must be timezone-aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def time_choice(moment: datetime) -> Any:
    """UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)."""
    moment = _utc(moment)
    if moment.year < 2050:
        return a_x509.Time({"utc_time": moment})
    return a_x509.Time({"general_time": moment})


def generalized_time(moment: datetime) -> datetime:
    """A datetime for a GeneralizedTime field (privateKeyUsagePeriod always uses it, RFC 3280 §4.2.1.4)."""
    return _utc(moment)


def random_serial() -> int:
    """A random positive serial of exactly 16 octets: top bit clear (positive), next bit set (length)."""
    return secrets.randbits(126) | (1 << 126)


def name(*, common_name: str, organization: str, country: str = "VN") -> Any:
    """A distinguished name C, O, CN (country as PrintableString, the rest UTF8String; RFC 5280 §4.1.2.4)."""
    return a_x509.Name.build(
        {"country_name": country, "organization_name": organization, "common_name": common_name}
    )


def name_of(certificate: x509.Certificate) -> Any:
    """The certificate's subject as an asn1crypto Name, byte for byte, so issuer chaining is exact."""
    return a_x509.Name.load(certificate.subject.public_bytes())


def public_key_info(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> Any:
    return keys.PublicKeyInfo.load(_spki(public_key))


def key_identifier(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    """Key identifier method 1 of RFC 5280 §4.2.1.2: SHA-1 of the subjectPublicKey BIT STRING."""
    return x509.SubjectKeyIdentifier.from_public_key(public_key).digest


def _spki(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def require_store_key(store: KeyStore, label: str, certificate: x509.Certificate) -> None:
    """Refuse to sign with ``label`` unless it holds the key of ``certificate``.

    Without this an operator's wrong label would produce certificates nobody can verify.

    Raises:
        StoreKeyMismatch: the labelled key is not the certificate's key.
    """
    certificate_key = certificate.public_key()
    if not isinstance(certificate_key, ec.EllipticCurvePublicKey):
        raise StoreKeyMismatch("the certificate does not carry an EC public key")
    if _spki(store.public_key(label)) != _spki(certificate_key):
        raise StoreKeyMismatch(f"key {label!r} is not the key of {certificate.subject.rfc4514_string()}")


def verify_with(public_key: ec.EllipticCurvePublicKey, signature: bytes, data: bytes) -> bool:
    """ECDSA-SHA256 check; False instead of an exception, for callers that raise their own error."""
    try:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
