"""EF.SOD, the document security object (ICAO 9303-10 §4.6.2): the data group hashes, signed in CMS.

Tag 77 wraps a ContentInfo/SignedData (RFC 5652) whose encapsulated content is the LDSSecurityObject;
the document signer's key signs the signed attributes through :class:`KeyStore` (it never leaves the
store) and its certificate is embedded, so a verifier needs only the root to check the chip's data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.errors import ChipFormatError, SodSignerMismatch
from partycard.chip.lds import DG_TAGS
from partycard.chip.tlv import tlv_encode, tlv_unwrap
from partycard.trust.keystore import KeyStore

__all__ = [
    "ID_LDS_SECURITY_OBJECT",
    "TAG_SOD",
    "LdsSecurityObject",
    "Sod",
    "dg_hash",
    "signer_key_check",
    "sod_build",
    "sod_parse",
]

TAG_SOD = 0x77
ID_LDS_SECURITY_OBJECT = "2.23.136.1.1.1"  # id-icao-mrtd-security-ldsSecurityObject, 9303-10 §4.6.2.3
_MAX_DATA_GROUP = 16
_SHA256_SIZE = 32


class _DataGroupHash(core.Sequence):
    _fields = [("data_group_number", core.Integer), ("data_group_hash_value", core.OctetString)]


class _DataGroupHashValues(core.SequenceOf):
    _child_spec = _DataGroupHash


class LdsSecurityObject(core.Sequence):
    """9303-10 §4.6.2.3 LDSSecurityObject v0 (v1 adds ldsVersionInfo, which we neither write nor need)."""

    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashValues),
    ]


def dg_hash(data: bytes) -> bytes:
    """SHA-256 of a data group file's exact bytes, tag and length included (9303-10 §4.6.2)."""
    return hashlib.sha256(data).digest()


@dataclass(frozen=True, slots=True)
class Sod:
    """A parsed EF.SOD, structurally checked; the signature and chain are NOT verified here.

    ``signed_attrs_der`` is the signed attributes re-tagged as a SET (31), which is what the signature
    covers (RFC 5652 §5.4); ``lds_security_object_der`` is the encapsulated content, whose SHA-256 is
    ``message_digest`` in a genuine SOD.
    """

    data_group_hashes: dict[int, bytes]
    hash_algorithm: str
    lds_security_object_der: bytes
    certificate: x509.Certificate
    signer_issuer_der: bytes
    signer_serial: int
    digest_algorithm: str
    signature_algorithm: str
    signed_attrs_der: bytes
    message_digest: bytes
    signing_time: datetime | None
    signature: bytes


def _der_set_sorted(attributes: list[cms.CMSAttribute]) -> cms.CMSAttributes:
    # DER (X.690 §11.6) orders SET OF by the elements' encodings; verifiers such as OpenSSL re-encode
    # the signed attributes before checking, so an unsorted SET would not verify there.
    ordered = sorted(attributes, key=lambda a: a.dump())
    return cms.CMSAttributes(ordered)


def _check_data_groups(data_groups: Mapping[int, bytes]) -> None:
    if not data_groups:
        raise ChipFormatError("an SOD needs at least one data group")
    for number, data in data_groups.items():
        if not 1 <= number <= _MAX_DATA_GROUP:
            raise ChipFormatError(f"data group number {number} is outside 1-{_MAX_DATA_GROUP}")
        tlv_unwrap(data, DG_TAGS[number])  # one well-formed TLV with the DG's own tag (9303-10 Table 33)


def sod_build(
    *,
    store: KeyStore,
    signer_label: str,
    signer_cert: x509.Certificate,
    data_groups: Mapping[int, bytes],
    signed_at: datetime | None = None,
) -> bytes:
    """EF.SOD over ``data_groups`` (number → exact file bytes), signed by the DS key ``signer_label``.

    Args:
        signed_at: written as the signingTime attribute when given (aware datetime); omitted otherwise.

    Raises:
        ChipFormatError: no data groups, a number outside 1-16, or a file whose tag is not its DG's.
        SodSignerMismatch: the store's key under ``signer_label`` does not match ``signer_cert``.
        ValueError: ``signed_at`` is naive.
    """
    _check_data_groups(data_groups)
    lds_object = LdsSecurityObject(
        {
            "version": 0,
            "hash_algorithm": {"algorithm": "sha256"},
            "data_group_hash_values": [
                {"data_group_number": n, "data_group_hash_value": dg_hash(data_groups[n])}
                for n in sorted(data_groups)
            ],
        }
    )
    content = lds_object.dump()
    attributes = [
        cms.CMSAttribute({"type": "content_type", "values": [ID_LDS_SECURITY_OBJECT]}),
        cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
    ]
    if signed_at is not None:
        if signed_at.tzinfo is None:
            raise ValueError("signed_at must be timezone-aware")
        moment = signed_at.astimezone(UTC).replace(microsecond=0)
        # RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime from 2050.
        time = cms.Time({"utc_time": moment} if moment.year < 2050 else {"generalized_time": moment})
        attributes.append(cms.CMSAttribute({"type": "signing_time", "values": [time]}))
    signed_attrs = _der_set_sorted(attributes)
    signed_attrs_der = signed_attrs.dump()
    signature = store.sign(signer_label, signed_attrs_der)
    _check_signature(signer_cert, signature, signed_attrs_der, signer_label)

    cert = a_x509.Certificate.load(signer_cert.public_bytes(serialization.Encoding.DER))
    signer_info = cms.SignerInfo(
        {
            "version": "v1",  # RFC 5652 §5.3: v1 with issuerAndSerialNumber
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": {
                        "issuer": cert.issuer,
                        "serial_number": cert.serial_number,
                    }
                }
            ),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    signed_data = cms.SignedData(
        {
            "version": "v3",  # RFC 5652 §5.1 and 9303-10 §4.6.2.2: eContentType is not id-data
            "digest_algorithms": [{"algorithm": "sha256"}],
            "encap_content_info": {
                "content_type": ID_LDS_SECURITY_OBJECT,
                "content": core.ParsableOctetString(content),
            },
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    content_info = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
    return tlv_encode(TAG_SOD, content_info.dump())


def signer_key_check(*, store: KeyStore, signer_label: str, signer_cert: x509.Certificate) -> None:
    """Refuse a DS label whose key is not ``signer_cert``'s, before anything is generated or signed.

    Raises:
        SodSignerMismatch: the keys differ, or the certificate has no EC key.
    """
    public_key = signer_cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise SodSignerMismatch("the document signer certificate does not carry an EC key")
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    ours = store.public_key(signer_label).public_bytes(serialization.Encoding.DER, spki)
    if ours != public_key.public_bytes(serialization.Encoding.DER, spki):
        raise SodSignerMismatch(f"key {signer_label!r} is not the key of the document signer certificate")


def _check_signature(certificate: x509.Certificate, signature: bytes, data: bytes, label: str) -> None:
    # A wrong label would otherwise yield an SOD that no verifier accepts, found only at the reader.
    public_key = certificate.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise SodSignerMismatch("the document signer certificate does not carry an EC key")
    try:
        public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as e:
        raise SodSignerMismatch(f"key {label!r} is not the key of the document signer certificate") from e


def _only(values: list[object], what: str) -> object:
    if len(values) != 1:
        raise ChipFormatError(f"expected exactly one {what}, found {len(values)}")
    return values[0]


def sod_parse(data: bytes) -> Sod:
    """Parse EF.SOD in our profile: SHA-256, ECDSA-with-SHA256, one signer, one embedded certificate.

    Raises:
        ChipFormatError: bytes that are not such an SOD (tag, CMS structure, OIDs, algorithms, hashes).
    """
    value = tlv_unwrap(data, TAG_SOD)
    try:
        return _sod_parse(value)
    except ChipFormatError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError) as e:
        raise ChipFormatError(f"EF.SOD is not a well-formed SignedData: {e}") from e


def _sod_parse(value: bytes) -> Sod:
    content_info = cms.ContentInfo.load(value, strict=True)
    if content_info["content_type"].native != "signed_data":
        raise ChipFormatError("EF.SOD content is not SignedData")
    signed_data = content_info["content"]
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != ID_LDS_SECURITY_OBJECT:
        raise ChipFormatError(f"eContentType is {encap['content_type'].dotted}, not ldsSecurityObject")
    content = encap["content"]
    if not isinstance(content, core.ParsableOctetString):
        raise ChipFormatError("SignedData has no encapsulated content")
    lds_der = content.native
    lds_object = LdsSecurityObject.load(lds_der, strict=True)
    if lds_object["version"].native != 0:
        raise ChipFormatError(f"LDSSecurityObject version {lds_object['version'].native} is not v0")
    hash_algorithm = lds_object["hash_algorithm"]["algorithm"].native
    if hash_algorithm != "sha256":
        raise ChipFormatError(f"unsupported LDS hash algorithm {hash_algorithm}")
    hashes_: dict[int, bytes] = {}
    for item in lds_object["data_group_hash_values"]:
        number = item["data_group_number"].native
        digest = item["data_group_hash_value"].native
        if not 1 <= number <= _MAX_DATA_GROUP or number in hashes_ or len(digest) != _SHA256_SIZE:
            raise ChipFormatError(f"bad or repeated data group hash entry for DG{number}")
        hashes_[number] = digest
    if not hashes_:
        raise ChipFormatError("LDSSecurityObject lists no data groups")

    certificates = signed_data["certificates"]
    cert_choice = _only([] if isinstance(certificates, core.Void) else list(certificates), "certificate")
    if not isinstance(cert_choice, cms.CertificateChoices) or cert_choice.name != "certificate":
        raise ChipFormatError("the embedded certificate is not an X.509 certificate")
    try:
        certificate = x509.load_der_x509_certificate(cert_choice.chosen.dump())
    except (ValueError, x509.InvalidVersion) as e:
        raise ChipFormatError(f"the embedded certificate does not parse: {e}") from e

    signer_info = _only(list(signed_data["signer_infos"]), "SignerInfo")
    if not isinstance(signer_info, cms.SignerInfo):
        raise ChipFormatError("SignerInfo does not parse")
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise ChipFormatError("SignerInfo must identify the signer by issuer and serial number")
    digest_algorithm = signer_info["digest_algorithm"]["algorithm"].native
    signature_algorithm = signer_info["signature_algorithm"]["algorithm"].native
    if digest_algorithm != "sha256" or signature_algorithm != "sha256_ecdsa":
        raise ChipFormatError(f"unsupported algorithms {digest_algorithm}/{signature_algorithm}")
    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, core.Void) or not len(signed_attrs):
        raise ChipFormatError("SignerInfo has no signed attributes")
    attrs: dict[str, object] = {}
    for attribute in signed_attrs:
        name = attribute["type"].native
        if name in attrs:
            raise ChipFormatError(f"signed attribute {name} occurs twice")
        attrs[name] = _only(list(attribute["values"]), f"value of {name}")
    content_type = attrs.get("content_type")
    if not isinstance(content_type, cms.ContentType) or content_type.dotted != ID_LDS_SECURITY_OBJECT:
        raise ChipFormatError("the contentType attribute is missing or not ldsSecurityObject")
    message_digest = attrs.get("message_digest")
    if not isinstance(message_digest, core.OctetString):
        raise ChipFormatError("the messageDigest attribute is missing")
    signing_time = attrs.get("signing_time")
    # RFC 5652 §5.4: the signature covers the DER of the attributes with an explicit SET OF tag (31),
    # not the [0] IMPLICIT tag they carry inside SignerInfo; the contents are the same bytes.
    signed_attrs_der = b"\x31" + signed_attrs.dump()[1:]
    return Sod(
        data_group_hashes=hashes_,
        hash_algorithm=hash_algorithm,
        lds_security_object_der=lds_der,
        certificate=certificate,
        signer_issuer_der=sid.chosen["issuer"].dump(),
        signer_serial=sid.chosen["serial_number"].native,
        digest_algorithm=digest_algorithm,
        signature_algorithm=signature_algorithm,
        signed_attrs_der=signed_attrs_der,
        message_digest=message_digest.native,
        signing_time=signing_time.native if isinstance(signing_time, cms.Time) else None,
        signature=signer_info["signature"].native,
    )
