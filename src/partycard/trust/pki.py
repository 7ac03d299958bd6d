"""Root CA, document signers and CRLs of the party card, on the ICAO 9303-12 pattern (CSCA → DS).

The root is the Government Cipher Committee's; document signers are the Organisation Commission's.
Every certificate and CRL is built as a TBS structure, signed through :class:`KeyStore` (the private
key never leaves it) and reloaded with ``cryptography`` to be checked before it is returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import core
from asn1crypto import crl as a_crl
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.trust import _der, oids
from partycard.trust.errors import CertificateNotIssuedByRoot, PkiParameterError
from partycard.trust.keystore import KeyStore

__all__ = [
    "MANUFACTURER_ENCRYPTION",
    "MANUFACTURER_SIGNING",
    "ROOT_ORGANIZATION",
    "SIGNER_ORGANIZATION",
    "Revocation",
    "crl_issue",
    "document_types_of",
    "manufacturer_issue",
    "manufacturer_role",
    "root_create",
    "signer_issue",
    "signer_key_usable",
    "trustlist_signer_issue",
]

ROOT_ORGANIZATION = "Ban Cơ yếu Chính phủ"
SIGNER_ORGANIZATION = "Ban Tổ chức Trung ương"

MANUFACTURER_SIGNING = "signing"  # manufacturer_role of the certificate that signs the reports
MANUFACTURER_ENCRYPTION = "encryption"  # and of the one the batches are encrypted to
_MIN_RSA_BITS = 2048

# (serial, revocation date, reason or None); reason names follow ``x509.ReasonFlags``.
Revocation = tuple[int, datetime, x509.ReasonFlags | None]


class _DocumentTypeList(core.SetOf):
    _child_spec = core.PrintableString


class _DocumentTypeListSyntax(core.Sequence):
    """9303-12 §7.1.1.3 DocumentTypeListSyntax, reused under our own OID (see :mod:`oids`)."""

    _fields = [("version", core.Integer), ("doc_type_list", _DocumentTypeList)]


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a non-leap target year
        return moment.replace(year=moment.year + years, day=28)


def _extension(oid: str, value: Any, *, critical: bool) -> dict[str, Any]:
    return {"extn_id": oid, "critical": critical, "extn_value": value}


def _sign_certificate(
    *,
    store: KeyStore,
    issuer_label: str,
    issuer_name: Any,
    subject_name: Any,
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    not_before: datetime,
    not_after: datetime,
    extensions: list[dict[str, Any]],
) -> x509.Certificate:
    """Build the TBSCertificate, have the store sign its DER, assemble and reload the certificate."""
    tbs = a_x509.TbsCertificate(
        {
            "version": "v3",
            "serial_number": _der.random_serial(),
            "signature": _der.ecdsa_sha256(),
            "issuer": issuer_name,
            "validity": {
                "not_before": _der.time_choice(not_before),
                "not_after": _der.time_choice(not_after),
            },
            "subject": subject_name,
            "subject_public_key_info": _der.public_key_info(public_key),
            "extensions": extensions,
        }
    )
    signature = store.sign(issuer_label, tbs.dump())
    certificate = a_x509.Certificate(
        {"tbs_certificate": tbs, "signature_algorithm": _der.ecdsa_sha256(), "signature_value": signature}
    )
    return x509.load_der_x509_certificate(certificate.dump())


def _check_issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> None:
    # A store that signed with the wrong key or mangled the signature must not yield a certificate.
    try:
        certificate.verify_directly_issued_by(issuer)
    except (InvalidSignature, ValueError, TypeError) as e:
        raise CertificateNotIssuedByRoot(f"fresh certificate does not verify: {e}") from e


def root_create(
    *,
    store: KeyStore,
    label: str,
    subject_cn: str,
    valid_years: int,
    not_before: datetime,
    organization: str = ROOT_ORGANIZATION,
) -> x509.Certificate:
    """Generate the root key in ``store`` under ``label`` and self-sign the root certificate.

    CA:TRUE with pathLen 0 (it issues only end-entity signers, like a CSCA), keyCertSign + cRLSign,
    subjectKeyIdentifier (9303-12 §7.1.1, RFC 5280 §4.2.1).

    Raises:
        PkiParameterError: ``valid_years`` < 1 or a naive ``not_before``.
        KeyExists: ``label`` is already used in the store.
    """
    if valid_years < 1:
        raise PkiParameterError("a root is valid for at least one year")
    public_key = store.generate(label)
    subject = _der.name(common_name=subject_cn, organization=organization)
    ski = _der.key_identifier(public_key)
    certificate = _sign_certificate(
        store=store,
        issuer_label=label,
        issuer_name=subject,
        subject_name=subject,
        public_key=public_key,
        not_before=not_before,
        not_after=_add_years(not_before, valid_years),
        extensions=[
            _extension("basic_constraints", {"ca": True, "path_len_constraint": 0}, critical=True),
            _extension("key_usage", {"key_cert_sign", "crl_sign"}, critical=True),
            _extension("key_identifier", ski, critical=False),
        ],
    )
    _check_issued_by(certificate, certificate)
    return certificate


def _root_ski(root_cert: x509.Certificate) -> bytes:
    return root_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def _end_entity_issue(
    *,
    store: KeyStore,
    root_cert: x509.Certificate,
    root_label: str,
    signer_label: str | None,
    subject_cn: str,
    organization: str,
    not_before: datetime,
    not_after: datetime,
    extra_extensions: Sequence[dict[str, Any]],
    public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey | None = None,
    key_usage: frozenset[str] = frozenset({"digital_signature"}),
) -> x509.Certificate:
    """An end-entity certificate from the root: for a new key made in the store under ``signer_label``,
    or, with ``public_key``, for a key held elsewhere (the manufacturer's)."""
    _der.require_store_key(store, root_label, root_cert)
    if public_key is None:
        if signer_label is None:
            raise PkiParameterError("a new key needs a label in the store")
        public_key = store.generate(signer_label)
    certificate = _sign_certificate(
        store=store,
        issuer_label=root_label,
        issuer_name=_der.name_of(root_cert),
        subject_name=_der.name(common_name=subject_cn, organization=organization),
        public_key=public_key,
        not_before=not_before,
        not_after=not_after,
        extensions=[
            _extension("basic_constraints", {"ca": False}, critical=True),
            _extension("key_usage", set(key_usage), critical=True),
            _extension("authority_key_identifier", {"key_identifier": _root_ski(root_cert)}, critical=False),
            _extension("key_identifier", _der.key_identifier(public_key), critical=False),
            *extra_extensions,
        ],
    )
    _check_issued_by(certificate, root_cert)
    return certificate


def signer_issue(
    *,
    store: KeyStore,
    root_cert: x509.Certificate,
    root_label: str,
    signer_label: str,
    subject_cn: str,
    valid_days: int,
    private_key_usage_days: int,
    not_before: datetime,
    document_types: Iterable[str] = (oids.PARTY_CARD_DOCUMENT_TYPE,),
    organization: str = SIGNER_ORGANIZATION,
) -> x509.Certificate:
    """Generate a document-signer key under ``signer_label`` and issue its certificate from the root.

    The key may sign only during the privateKeyUsagePeriod (``private_key_usage_days``); the certificate
    lives longer so signatures made near the end stay verifiable for the card's life (9303-12 §5.3).
    A rollover is simply a new call with a new label.

    Raises:
        PkiParameterError: the usage period is not shorter than the validity, or no document type.
        StoreKeyMismatch: ``root_label`` does not hold ``root_cert``'s key.
    """
    if not 0 < private_key_usage_days < valid_days:
        raise PkiParameterError("the private key usage period must be positive and shorter than the validity")
    types = sorted(set(document_types))
    if not types:
        raise PkiParameterError("a document signer needs at least one document type")
    doc_types = _DocumentTypeListSyntax({"version": 0, "doc_type_list": types})
    usage_period = {
        "not_before": _der.generalized_time(not_before),
        "not_after": _der.generalized_time(not_before + timedelta(days=private_key_usage_days)),
    }
    return _end_entity_issue(
        store=store,
        root_cert=root_cert,
        root_label=root_label,
        signer_label=signer_label,
        subject_cn=subject_cn,
        organization=organization,
        not_before=not_before,
        not_after=not_before + timedelta(days=valid_days),
        extra_extensions=[
            _extension("private_key_usage_period", usage_period, critical=False),
            _extension(
                oids.DOCUMENT_TYPE_LIST.dotted_string,
                core.ParsableOctetString(doc_types.dump()),
                critical=False,
            ),
        ],
    )


def trustlist_signer_issue(
    *,
    store: KeyStore,
    root_cert: x509.Certificate,
    root_label: str,
    signer_label: str,
    subject_cn: str,
    valid_days: int,
    not_before: datetime,
    organization: str = SIGNER_ORGANIZATION,
) -> x509.Certificate:
    """Issue the certificate of the key that signs trust lists (like ICAO's master list signer).

    Its extended key usage (:data:`oids.TRUST_LIST_SIGNING`) is what a verifier requires, so a
    document signer's key cannot pass off a trust list.
    """
    if valid_days < 1:
        raise PkiParameterError("valid_days must be positive")
    return _end_entity_issue(
        store=store,
        root_cert=root_cert,
        root_label=root_label,
        signer_label=signer_label,
        subject_cn=subject_cn,
        organization=organization,
        not_before=not_before,
        not_after=not_before + timedelta(days=valid_days),
        extra_extensions=[
            _extension("extended_key_usage", [oids.TRUST_LIST_SIGNING.dotted_string], critical=True),
        ],
    )


def _spki(public_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> bytes:
    return public_key.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def manufacturer_issue(
    *,
    store: KeyStore,
    root_label: str,
    root_cert: x509.Certificate,
    organization: str,
    signing_key: ec.EllipticCurvePublicKey,
    encryption_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    not_before: datetime,
    years: int = 3,
) -> tuple[x509.Certificate, x509.Certificate]:
    """The card manufacturer's two certificates, from the root, for keys the manufacturer holds:
    (signing, encryption).

    The signing certificate (its production and key reports) has keyUsage digitalSignature only; the
    encryption certificate (what the batches are encrypted to) keyAgreement for an EC key (RFC 5753
    ECDH) or keyEncipherment for an RSA key (RFC 8017 OAEP) only (RFC 5280 §4.2.1.3): one key, one use.
    Both carry the extended key usage :data:`oids.MANUFACTURER`, which no document signer has, and no
    document type list, which every document signer has.

    Raises:
        PkiParameterError: ``years`` < 1, a signing key not on P-256, an encryption key neither P-256
            nor RSA of 2048 bits or more, or the same key for both.
        StoreKeyMismatch: ``root_label`` does not hold ``root_cert``'s key.
    """
    if years < 1:
        raise PkiParameterError("a manufacturer certificate is valid for at least one year")
    if not isinstance(signing_key, ec.EllipticCurvePublicKey) or not isinstance(
        signing_key.curve, ec.SECP256R1
    ):
        raise PkiParameterError("the manufacturer's signing key must be an EC P-256 key")
    if isinstance(encryption_key, ec.EllipticCurvePublicKey):
        if not isinstance(encryption_key.curve, ec.SECP256R1):
            raise PkiParameterError("the manufacturer's EC encryption key must be on P-256")
        encryption_usage = "key_agreement"
    elif isinstance(encryption_key, rsa.RSAPublicKey):
        if encryption_key.key_size < _MIN_RSA_BITS:
            raise PkiParameterError(f"the manufacturer's RSA key must have {_MIN_RSA_BITS} bits or more")
        encryption_usage = "key_encipherment"
    else:
        raise PkiParameterError("the manufacturer's encryption key must be EC P-256 or RSA")
    if _spki(signing_key) == _spki(encryption_key):
        raise PkiParameterError("the manufacturer must use two different keys to sign and to decrypt")
    common: dict[str, Any] = {
        "store": store,
        "root_cert": root_cert,
        "root_label": root_label,
        "signer_label": None,
        "organization": organization,
        "not_before": not_before,
        "not_after": _add_years(not_before, years),
        "extra_extensions": [
            _extension("extended_key_usage", [oids.MANUFACTURER.dotted_string], critical=True),
        ],
    }
    signing = _end_entity_issue(
        **common,
        subject_cn="Card manufacturer signing",
        public_key=signing_key,
        key_usage=frozenset({"digital_signature"}),
    )
    encryption = _end_entity_issue(
        **common,
        subject_cn="Card manufacturer encryption",
        public_key=encryption_key,
        key_usage=frozenset({encryption_usage}),
    )
    return signing, encryption


def manufacturer_role(certificate: x509.Certificate) -> str | None:
    """:data:`MANUFACTURER_SIGNING` or :data:`MANUFACTURER_ENCRYPTION` for a certificate of
    :func:`manufacturer_issue`'s profile, None for any other (a document signer, a CA, a bad profile).

    Whether it chains to the root and is valid now is the caller's check (``batches.verify_report`` takes
    it as the one trusted certificate).
    """
    try:
        basic = certificate.extensions.get_extension_for_class(x509.BasicConstraints).value
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
        extended = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    if basic.ca or oids.MANUFACTURER not in extended or document_types_of(certificate):
        return None
    agreement = usage.key_agreement
    flags = (usage.digital_signature, usage.key_encipherment, agreement, usage.content_commitment)
    if flags == (True, False, False, False):
        return MANUFACTURER_SIGNING
    if flags in ((False, True, False, False), (False, False, True, False)):
        return MANUFACTURER_ENCRYPTION
    return None


def document_types_of(certificate: x509.Certificate) -> list[str]:
    """The document types a DS certificate allows, [] if it carries no document-type extension."""
    try:
        extension = certificate.extensions.get_extension_for_oid(oids.DOCUMENT_TYPE_LIST)
    except x509.ExtensionNotFound:
        return []
    raw = extension.value
    if not isinstance(raw, x509.UnrecognizedExtension):
        return []
    parsed = _DocumentTypeListSyntax.load(raw.value)
    return [str(item.native) for item in parsed["doc_type_list"]]


def signer_key_usable(certificate: x509.Certificate, at: datetime) -> bool:
    """Whether a DS key may sign at ``at``: inside its privateKeyUsagePeriod (RFC 3280 §4.2.1.4).

    Signing code asks this before each signature; verifiers keep accepting old signatures for the
    whole certificate validity. A certificate without the extension falls back to its validity.
    """
    try:
        period = certificate.extensions.get_extension_for_class(x509.PrivateKeyUsagePeriod).value
    except x509.ExtensionNotFound:
        return certificate.not_valid_before_utc <= at <= certificate.not_valid_after_utc
    # cryptography gives naive UTC datetimes here; either bound may be absent.
    naive = at.astimezone(UTC).replace(tzinfo=None)
    return (period.not_before is None or period.not_before <= naive) and (
        period.not_after is None or naive <= period.not_after
    )


def crl_issue(
    *,
    store: KeyStore,
    root_cert: x509.Certificate,
    root_label: str,
    revoked: Sequence[Revocation],
    this_update: datetime,
    next_update: datetime,
    crl_number: int,
) -> x509.CertificateRevocationList:
    """Issue a v2 CRL signed by the root, with authorityKeyIdentifier and cRLNumber (RFC 5280 §5).

    Raises:
        PkiParameterError: ``next_update`` not after ``this_update`` or a negative ``crl_number``.
        StoreKeyMismatch: ``root_label`` does not hold ``root_cert``'s key.
    """
    if next_update <= this_update:
        raise PkiParameterError("next_update must be after this_update")
    if crl_number < 0:
        raise PkiParameterError("crl_number must not be negative")
    _der.require_store_key(store, root_label, root_cert)
    entries = []
    for serial, revoked_at, reason in revoked:
        entry: dict[str, Any] = {"user_certificate": serial, "revocation_date": _der.time_choice(revoked_at)}
        if reason is not None:
            entry["crl_entry_extensions"] = [
                {"extn_id": "crl_reason", "critical": False, "extn_value": reason.name}
            ]
        entries.append(entry)
    fields: dict[str, Any] = {
        "version": "v2",
        "signature": _der.ecdsa_sha256(),
        "issuer": _der.name_of(root_cert),
        "this_update": _der.time_choice(this_update),
        "next_update": _der.time_choice(next_update),
        "crl_extensions": [
            _extension("authority_key_identifier", {"key_identifier": _root_ski(root_cert)}, critical=False),
            _extension("crl_number", crl_number, critical=False),
        ],
    }
    if entries:  # RFC 5280 §5.1.2.6: absent, not empty, when nothing is revoked
        fields["revoked_certificates"] = entries
    tbs = a_crl.TbsCertList(fields)
    signature = store.sign(root_label, tbs.dump())
    certificate_list = a_crl.CertificateList(
        {"tbs_cert_list": tbs, "signature_algorithm": _der.ecdsa_sha256(), "signature": signature}
    )
    loaded = x509.load_der_x509_crl(certificate_list.dump())
    root_key = root_cert.public_key()
    if not isinstance(root_key, ec.EllipticCurvePublicKey) or not loaded.is_signature_valid(root_key):
        raise CertificateNotIssuedByRoot("fresh CRL does not verify with the root key")
    return loaded
