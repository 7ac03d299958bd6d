"""CMS (RFC 5652) for the files exchanged with the card manufacturer: SignedData signed through the key
store (the private key never leaves it) and AuthEnvelopedData (RFC 5083) with AES-256-GCM to an EC P-256
(ECDH, RFC 5753) or RSA (OAEP, RFC 8017) recipient.

The structures are built and parsed with ``asn1crypto``; ``cryptography`` does the primitives.
``cryptography``'s own pkcs7 module cannot sign through a key store, verify, or encrypt to an EC key, so
it is not used (docs/production.md). Every structure is checked against ``openssl cms`` in the tests.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asn1crypto import cms, core, keys
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, keywrap, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF

from partycard.trust import _der
from partycard.trust.errors import (
    CmsDecryptFailed,
    CmsError,
    CmsFormatError,
    CmsNotForRecipient,
    CmsSignatureInvalid,
    CmsSignerUntrusted,
    StoreKeyMismatch,
)
from partycard.trust.keystore import KeyStore

__all__ = ["ID_DATA", "SignedContent", "cms_decrypt", "cms_encrypt", "cms_sign", "cms_verify"]

ID_DATA = "1.2.840.113549.1.7.1"  # id-data, RFC 5652 §4
# dhSinglePass-stdDH-sha*kdf-scheme (RFC 5753 §7.1.4, SEC 1): ECDH with the ANSI X9.63 KDF over SHA-*.
_STD_DH_SHA256 = "1.3.132.1.11.1"
_KDF_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "1.3.133.16.840.63.0.2": hashes.SHA1,  # OpenSSL's default (`-keyopt ecdh_kdf_md:` changes it)
    "1.3.132.1.11.0": hashes.SHA224,
    _STD_DH_SHA256: hashes.SHA256,
    "1.3.132.1.11.2": hashes.SHA384,
    "1.3.132.1.11.3": hashes.SHA512,
}
_WRAP_KEY_SIZES = {"aes128_wrap": 16, "aes192_wrap": 24, "aes256_wrap": 32}  # RFC 3394 KEK sizes
_GCM_KEY_SIZES = {"aes128_gcm": 16, "aes192_gcm": 24, "aes256_gcm": 32}
_OAEP_HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}
_NONCE_SIZE = 12  # RFC 5084 §3.2: a 12-octet nonce is RECOMMENDED; we write and accept only that
_ICV_SIZE = 16  # RFC 5084 §3.2: aes-ICVlen 16, written explicitly (its DEFAULT is 12)
_CEK_SIZE = 32  # AES-256
_MIN_RSA_BITS = 2048
# What asn1crypto and cryptography raise on bytes that do not parse; turned into CmsFormatError.
_PARSE_ERRORS = (
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    OverflowError,
    AttributeError,
    RecursionError,
    UnsupportedAlgorithm,
)


class _GcmParameters(core.Sequence):
    """RFC 5084 §3.2 GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen DEFAULT 12 }."""

    _fields = [("aes_nonce", core.OctetString), ("aes_icvlen", core.Integer, {"default": 12})]


class _EccCmsSharedInfo(core.Sequence):
    """RFC 5753 §7.2 ECC-CMS-SharedInfo: the X9.63 KDF's SharedInfo."""

    _fields = [
        ("key_info", cms.KeyEncryptionAlgorithm),
        ("entity_u_info", core.OctetString, {"explicit": 0, "optional": True}),
        ("supp_pub_info", core.OctetString, {"explicit": 2}),
    ]


@dataclass(frozen=True)
class SignedContent:
    """What a verified SignedData carried: the content, its type (dotted OID), the signer and the
    signingTime attribute (None when the signer wrote none)."""

    content: bytes
    content_type: str
    signer: x509.Certificate
    signed_at: datetime | None


# --- signing -------------------------------------------------------------------------------------------


def _cms_time(moment: datetime) -> cms.Time:
    """RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime from 2050, whole seconds in UTC."""
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    moment = moment.astimezone(UTC).replace(microsecond=0)
    if moment.year < 2050:
        return cms.Time({"utc_time": moment})
    return cms.Time({"generalized_time": moment})


def _a_cert(certificate: x509.Certificate) -> a_x509.Certificate:
    return a_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


def _issuer_and_serial(certificate: x509.Certificate) -> dict[str, Any]:
    loaded = _a_cert(certificate)
    return {"issuer": loaded.issuer, "serial_number": loaded.serial_number}


def cms_sign(
    *,
    store: KeyStore,
    signer_label: str,
    signer_cert: x509.Certificate,
    content: bytes,
    signed_at: datetime,
    content_type: str = ID_DATA,
    extra_certs: Sequence[x509.Certificate] = (),
) -> bytes:
    """DER ContentInfo/SignedData over ``content`` (encapsulated), signed by the store's key ``signer_label``.

    RFC 5652 §5: one SignerInfo v1 identified by issuerAndSerialNumber, SHA-256, ecdsa-with-SHA256
    (RFC 5753 §2.1), signed attributes contentType, messageDigest and signingTime (§11.1-11.3); the
    signer's certificate (then ``extra_certs``) embedded. SignedData is v1 for id-data, else v3 (§5.1).

    Raises:
        StoreKeyMismatch: the store's key under ``signer_label`` is not ``signer_cert``'s (checked before
            signing, and the fresh signature is verified with the certificate).
        ValueError: ``signed_at`` is naive.
    """
    _der.require_store_key(store, signer_label, signer_cert)
    signed_attrs = cms.CMSAttributes(
        [
            cms.CMSAttribute({"type": "content_type", "values": [content_type]}),
            cms.CMSAttribute({"type": "message_digest", "values": [hashlib.sha256(content).digest()]}),
            cms.CMSAttribute({"type": "signing_time", "values": [_cms_time(signed_at)]}),
        ]
    )
    # §5.4: the signature covers the DER of the attributes as a SET OF (asn1crypto sorts a SetOf's
    # elements by their encodings, as DER requires, X.690 §11.6).
    to_sign = signed_attrs.dump()
    signature = store.sign(signer_label, to_sign)
    public_key = signer_cert.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not _der.verify_with(
        public_key, signature, to_sign
    ):
        raise StoreKeyMismatch(f"key {signer_label!r} produced a signature its certificate does not verify")
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier({"issuer_and_serial_number": _issuer_and_serial(signer_cert)}),
            "digest_algorithm": {"algorithm": "sha256"},
            "signed_attrs": signed_attrs,
            "signature_algorithm": {"algorithm": "sha256_ecdsa"},
            "signature": signature,
        }
    )
    version = 1 if content_type == ID_DATA else 3
    # The frame is assembled by hand so the content is copied once, not once per nesting level as
    # asn1crypto's encoder does (13 s for a 200 MB batch); tests check it is byte for byte asn1crypto's.
    encap = _tlv(0x30, cms.ContentType(content_type).dump(), _tlv(0xA0, _tlv(0x04, content)))
    # certificates [0] IMPLICIT CertificateSet: a SET OF, in DER order of the encodings (X.690 §11.6).
    certificates = _tlv(0xA0, *sorted({_der_bytes(c) for c in (signer_cert, *extra_certs)}))
    signed_data = _tlv(
        0x30,
        core.Integer(version).dump(),
        cms.DigestAlgorithms([{"algorithm": "sha256"}]).dump(),
        encap,
        certificates,
        cms.SignerInfos([signer_info]).dump(),
    )
    return _der_join(_tlv(0x30, cms.ContentType("signed_data").dump(), _tlv(0xA0, signed_data)))


def _der_length(size: int) -> bytes:
    """X.690 §8.1.3: the definite length, short form below 128, else the fewest octets (DER §10.1)."""
    if size < 0x80:
        return bytes((size,))
    octets = (size.bit_length() + 7) // 8
    return bytes((0x80 | octets,)) + size.to_bytes(octets, "big")


_Chunks = tuple[int, list[bytes | memoryview]]  # (total size, pieces in order)


def _tlv(tag: int, *parts: bytes | memoryview | _Chunks) -> _Chunks:
    """A TLV over ``parts`` kept as a list of pieces (joined once at the end)."""
    pieces: list[bytes | memoryview] = []
    size = 0
    for part in parts:
        if isinstance(part, tuple):
            size += part[0]
            pieces.extend(part[1])
        else:
            size += len(part)
            pieces.append(part)
    head = bytes((tag,)) + _der_length(size)
    return len(head) + size, [head, *pieces]


def _der_join(chunks: _Chunks) -> bytes:
    return b"".join(chunks[1])


# --- verifying -----------------------------------------------------------------------------------------


def _load_content_info(data: bytes, expected: str) -> Any:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CmsFormatError("CMS data must be bytes")
    info = cms.ContentInfo.load(bytes(data), strict=True)
    if info["content_type"].native != expected:
        raise CmsFormatError(f"the ContentInfo holds {info['content_type'].native}, not {expected}")
    return info["content"]


def _octets(value: Any, what: str) -> bytes:
    if isinstance(value, core.OctetString | core.ParsableOctetString):
        return bytes(value.native if isinstance(value, core.OctetString) else value.__bytes__())
    raise CmsFormatError(f"{what} is missing or not an OCTET STRING")


def _only(values: Any, what: str) -> Any:
    items = [] if isinstance(values, core.Void) else list(values)
    if len(items) != 1:
        raise CmsFormatError(f"expected exactly one {what}, found {len(items)}")
    return items[0]


def _plain_parameters(identifier: Any) -> None:
    """Digest and ECDSA identifiers carry absent or NULL parameters (RFC 5754 §2, RFC 5758 §3.2)."""
    parameters = identifier["parameters"]
    if not isinstance(parameters, core.Void | core.Null) or (
        isinstance(parameters, core.Null) and parameters.contents
    ):
        raise CmsFormatError(f"unexpected parameters for {identifier['algorithm'].dotted}")


def _load_certificate(choice: Any) -> x509.Certificate:
    if not isinstance(choice, cms.CertificateChoices) or choice.name != "certificate":
        raise CmsFormatError("an embedded certificate is not an X.509 certificate")
    try:
        certificate = x509.load_der_x509_certificate(choice.chosen.dump())
        certificate.public_key()  # cryptography parses lazily: fail here, not deep in a check
        certificate.extensions  # noqa: B018 - evaluated for its parse errors
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as e:
        # A certificate whose DER parses but whose content cryptography refuses (a repeated extension,
        # RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular
        # extension") is a malformed message, not a crash of the reader.
        raise CmsFormatError(f"an embedded certificate does not parse: {e}") from e
    return certificate


def _identifies(sid: Any, certificate: x509.Certificate) -> bool:
    """Whether a SignerIdentifier / RecipientIdentifier names ``certificate`` (RFC 5652 §5.3, §6.2)."""
    if sid.name == "issuer_and_serial_number":
        loaded = _a_cert(certificate)
        return bool(
            sid.chosen["issuer"].dump() == loaded.issuer.dump()
            and sid.chosen["serial_number"].native == certificate.serial_number
        )
    if sid.name in ("subject_key_identifier", "r_key_id"):
        wanted = (
            sid.chosen.native
            if sid.name == "subject_key_identifier"
            else sid.chosen["subject_key_identifier"].native
        )
        try:
            ski = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
        except x509.ExtensionNotFound:
            return False
        return hmac.compare_digest(ski, wanted)
    return False


def _der_bytes(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _check_trusted(
    signer: x509.Certificate,
    *,
    at: datetime,
    trusted: Sequence[x509.Certificate],
    roots: Sequence[x509.Certificate],
) -> None:
    der = _der_bytes(signer)
    vouched = any(_der_bytes(t) == der for t in trusted)
    if not vouched:
        for root in roots:
            if signer.issuer != root.subject:
                continue
            try:
                signer.verify_directly_issued_by(root)
            except (InvalidSignature, ValueError, TypeError, UnsupportedAlgorithm):
                continue
            vouched = True
            break
    subject = signer.subject.rfc4514_string()
    if not vouched:
        raise CmsSignerUntrusted(f"the signer {subject} is neither trusted nor issued by a trusted root")
    if not signer.not_valid_before_utc <= at <= signer.not_valid_after_utc:
        raise CmsSignerUntrusted(f"the signer {subject} is not valid at {at.isoformat()}")
    try:
        usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return
    # RFC 5280 §4.2.1.3: a key may verify signatures on content only with digitalSignature or
    # nonRepudiation; this keeps an encryption certificate from passing as a signer.
    if not (usage.digital_signature or usage.content_commitment):
        raise CmsSignerUntrusted(f"the certificate of {subject} is not for signing (key usage)")


def cms_verify(
    data: bytes,
    *,
    at: datetime,
    trusted: Sequence[x509.Certificate] = (),
    roots: Sequence[x509.Certificate] = (),
) -> SignedContent:
    """Verify a DER ContentInfo/SignedData with encapsulated content and return what it carries.

    Exactly one SignerInfo; SHA-256 and ECDSA; signed attributes present with contentType equal to the
    eContentType and messageDigest equal to the content's SHA-256 (RFC 5652 §5.4, §11.1-11.2); the
    signature over them valid with the signer's certificate (embedded, or one of ``trusted``). The
    signer must be one of ``trusted`` (the same certificate, byte for byte) or issued directly by one of
    ``roots`` (its signature checked), valid at ``at`` and, if it has a key usage, allowed to sign.

    Raises:
        CmsFormatError: not such a structure (any bytes that do not parse end here).
        CmsSignatureInvalid: the digest or the signature does not verify.
        CmsSignerUntrusted: the signer is not trusted, not valid at ``at`` or not a signing certificate.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    try:
        return _verify(data, at=at, trusted=trusted, roots=roots)
    except CmsError:
        raise
    except _PARSE_ERRORS as e:
        raise CmsFormatError(f"not a well-formed SignedData: {e}") from e


def _verify(
    data: bytes, *, at: datetime, trusted: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]
) -> SignedContent:
    signed_data = _load_content_info(data, "signed_data")
    if signed_data["version"].native not in ("v1", "v3"):
        raise CmsFormatError(f"SignedData version {signed_data['version'].native} is not v1 or v3")
    encap = signed_data["encap_content_info"]
    content_type = str(encap["content_type"].dotted)
    content = _octets(encap["content"], "the encapsulated content")
    signer_info = _only(signed_data["signer_infos"], "SignerInfo")
    _plain_parameters(signer_info["digest_algorithm"])
    _plain_parameters(signer_info["signature_algorithm"])
    if signer_info["digest_algorithm"]["algorithm"].native != "sha256":
        raise CmsFormatError("the digest algorithm is not SHA-256")
    if signer_info["signature_algorithm"]["algorithm"].native != "sha256_ecdsa":
        raise CmsFormatError("the signature algorithm is not ecdsa-with-SHA256")

    certificates = signed_data["certificates"]
    embedded = [] if isinstance(certificates, core.Void) else [_load_certificate(c) for c in certificates]
    sid = signer_info["sid"]
    signer = next((c for c in (*embedded, *trusted) if _identifies(sid, c)), None)
    if signer is None:
        raise CmsSignerUntrusted("the signer's certificate is neither embedded nor among the trusted ones")
    _check_trusted(signer, at=at, trusted=trusted, roots=roots)

    signed_attrs = signer_info["signed_attrs"]
    if isinstance(signed_attrs, core.Void) or not len(signed_attrs):
        raise CmsFormatError("the SignerInfo has no signed attributes")
    attributes: dict[str, Any] = {}
    for attribute in signed_attrs:
        name = attribute["type"].dotted
        if name in attributes:  # RFC 5652 §5.3: each attribute type once
            raise CmsFormatError(f"signed attribute {name} occurs twice")
        attributes[name] = attribute
    by_name = {a["type"].native: a for a in attributes.values()}
    type_attr, digest_attr = by_name.get("content_type"), by_name.get("message_digest")
    if type_attr is None or digest_attr is None:  # RFC 5652 §5.3: both MUST be present
        raise CmsFormatError("contentType or messageDigest signed attribute missing")
    if _only(type_attr["values"], "contentType value").dotted != content_type:  # §11.1
        raise CmsFormatError("the contentType attribute differs from the eContentType")
    digest = _octets(_only(digest_attr["values"], "messageDigest value"), "messageDigest")
    if not hmac.compare_digest(digest, hashlib.sha256(content).digest()):
        raise CmsSignatureInvalid("the messageDigest does not match the content")
    signed_at = None
    time_attr = by_name.get("signing_time")
    if time_attr is not None:
        value = _only(time_attr["values"], "signingTime value").native
        if not isinstance(value, datetime):
            raise CmsFormatError("signingTime is not a time")
        signed_at = value.astimezone(UTC)

    public_key = signer.public_key()
    if not isinstance(public_key, ec.EllipticCurvePublicKey):
        raise CmsFormatError("the signer's key is not an EC key")
    # §5.4: the signature covers the attributes' DER with the SET OF tag, not the [0] they carry here.
    covered = b"\x31" + signed_attrs.dump()[1:]
    if not _der.verify_with(public_key, _octets(signer_info["signature"], "signature"), covered):
        raise CmsSignatureInvalid("the signature does not verify with the signer's certificate")
    return SignedContent(content=content, content_type=content_type, signer=signer, signed_at=signed_at)


# --- encrypting ----------------------------------------------------------------------------------------


def _shared_info(wrap: cms.KeyEncryptionAlgorithm, ukm: bytes | None, kek_size: int) -> bytes:
    """RFC 5753 §7.2: keyInfo the key-wrap algorithm, entityUInfo the ukm if any, suppPubInfo the KEK
    length in bits as a 32-bit big-endian integer."""
    fields: dict[str, Any] = {"key_info": wrap, "supp_pub_info": (kek_size * 8).to_bytes(4, "big")}
    if ukm is not None:
        fields["entity_u_info"] = ukm
    return bytes(_EccCmsSharedInfo(fields).dump())


def _kek(shared_secret: bytes, algorithm: type[hashes.HashAlgorithm], shared_info: bytes, size: int) -> bytes:
    # ANSI X9.63 KDF (SEC 1 §3.6.1): Hash(Z || counter || SharedInfo), RFC 5753 §3.1.1 step (2).
    return X963KDF(algorithm=algorithm(), length=size, sharedinfo=shared_info).derive(shared_secret)


def _key_usage_allows(certificate: x509.Certificate, attribute: str) -> bool:
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return True
    return bool(getattr(usage, attribute))


def _recipient_info(recipient: x509.Certificate, cek: bytes) -> cms.RecipientInfo:
    public_key = recipient.public_key()
    rid = _issuer_and_serial(recipient)
    subject = recipient.subject.rfc4514_string()
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        if not isinstance(public_key.curve, ec.SECP256R1):
            raise CmsNotForRecipient(f"the key of {subject} is not on P-256")
        if not _key_usage_allows(recipient, "key_agreement"):  # RFC 5753 §3.1, RFC 5280 §4.2.1.3
            raise CmsNotForRecipient(f"the certificate of {subject} does not allow key agreement")
        # RFC 5753 §3.1.1: ephemeral-static ECDH, originatorKey the ephemeral public point (parameters
        # absent: the curve is the recipient's), the X9.63 KDF over SHA-256, AES-256 key wrap.
        ephemeral = ec.generate_private_key(public_key.curve)
        point = ephemeral.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        wrap = cms.KeyEncryptionAlgorithm({"algorithm": "aes256_wrap"})
        kek = _kek(ephemeral.exchange(ec.ECDH(), public_key), hashes.SHA256, _shared_info(wrap, None, 32), 32)
        kari = cms.KeyAgreeRecipientInfo(
            {
                "version": "v3",
                "originator": cms.OriginatorIdentifierOrKey(
                    {"originator_key": {"algorithm": {"algorithm": "ec"}, "public_key": point}}
                ),
                "key_encryption_algorithm": {"algorithm": _STD_DH_SHA256, "parameters": wrap},
                "recipient_encrypted_keys": [
                    {
                        "rid": {"issuer_and_serial_number": rid},
                        "encrypted_key": keywrap.aes_key_wrap(kek, cek),
                    }
                ],
            }
        )
        return cms.RecipientInfo({"kari": kari})
    if isinstance(public_key, rsa.RSAPublicKey):
        if public_key.key_size < _MIN_RSA_BITS:
            raise CmsNotForRecipient(f"the RSA key of {subject} is shorter than {_MIN_RSA_BITS} bits")
        if not _key_usage_allows(recipient, "key_encipherment"):
            raise CmsNotForRecipient(f"the certificate of {subject} does not allow key encipherment")
        # RFC 4055 §4.1 / RFC 8017 §7.1: RSAES-OAEP with SHA-256 and MGF1-SHA-256, empty label.
        sha256 = {"algorithm": "sha256"}
        ktri = cms.KeyTransRecipientInfo(
            {
                "version": "v0",
                "rid": {"issuer_and_serial_number": rid},
                "key_encryption_algorithm": {
                    "algorithm": "rsaes_oaep",
                    "parameters": {
                        "hash_algorithm": sha256,
                        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": sha256},
                    },
                },
                "encrypted_key": public_key.encrypt(cek, _oaep(hashes.SHA256, hashes.SHA256)),
            }
        )
        return cms.RecipientInfo({"ktri": ktri})
    raise CmsNotForRecipient(f"the key of {subject} is neither EC nor RSA")


def _oaep(digest: type[hashes.HashAlgorithm], mgf: type[hashes.HashAlgorithm]) -> padding.OAEP:
    return padding.OAEP(mgf=padding.MGF1(algorithm=mgf()), algorithm=digest(), label=None)


def cms_encrypt(content: bytes, *, recipient: x509.Certificate, at: datetime) -> bytes:
    """DER ContentInfo/AuthEnvelopedData (RFC 5083) of ``content`` (as id-data) for ``recipient``.

    A fresh AES-256 content key per call, AES-GCM with a fresh 12-byte nonce and a 16-byte tag (RFC 5084),
    no authenticated attributes (the AAD is empty, RFC 5083 §2.2). The key reaches an EC P-256 recipient
    by KeyAgreeRecipientInfo (RFC 5753 ephemeral-static ECDH, dhSinglePass-stdDH-sha256kdf-scheme,
    id-aes256-wrap) and an RSA one by KeyTransRecipientInfo (RSAES-OAEP SHA-256, RFC 4055); both name
    the recipient by issuerAndSerialNumber.

    Raises:
        CmsNotForRecipient: the certificate is not valid at ``at``, its key is neither P-256 nor RSA of
            2048 bits or more, or its key usage forbids key agreement / key encipherment.
    """
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    if not recipient.not_valid_before_utc <= at <= recipient.not_valid_after_utc:
        raise CmsNotForRecipient(f"the certificate of {recipient.subject.rfc4514_string()} is not valid now")
    cek, nonce = os.urandom(_CEK_SIZE), os.urandom(_NONCE_SIZE)
    sealed = memoryview(AESGCM(cek).encrypt(nonce, content, None))
    ciphertext, tag = sealed[:-_ICV_SIZE], bytes(sealed[-_ICV_SIZE:])
    parameters = _GcmParameters({"aes_nonce": nonce, "aes_icvlen": _ICV_SIZE})
    algorithm = cms.EncryptionAlgorithm({"algorithm": "aes256_gcm", "parameters": parameters})
    # Assembled by hand for the same reason as SignedData (the ciphertext is copied once).
    encrypted_content_info = _tlv(
        0x30,
        cms.ContentType("data").dump(),
        algorithm.dump(),
        _tlv(0x80, ciphertext),  # encryptedContent [0] IMPLICIT OCTET STRING, primitive
    )
    enveloped = _tlv(
        0x30,
        core.Integer(0).dump(),  # RFC 5083 §2.1: version always 0
        cms.RecipientInfos([_recipient_info(recipient, cek)]).dump(),
        encrypted_content_info,
        core.OctetString(tag).dump(),  # mac
    )
    return _der_join(
        _tlv(0x30, cms.ContentType("authenticated_enveloped_data").dump(), _tlv(0xA0, enveloped))
    )


# --- decrypting ----------------------------------------------------------------------------------------


def cms_decrypt(
    data: bytes, *, private_key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, certificate: x509.Certificate
) -> bytes:
    """The content of a DER ContentInfo/AuthEnvelopedData addressed to ``certificate``.

    Accepts what :func:`cms_encrypt` writes and what ``openssl cms -encrypt -aes-*-gcm`` writes: ECDH
    with an X9.63 KDF over SHA-1/224/256/384/512 and AES key wrap, or RSAES-OAEP (SHA-1 or SHA-256).

    Args:
        private_key: the recipient's EC or RSA private key (the key of ``certificate``).

    Raises:
        CmsFormatError: not such a structure (any bytes that do not parse end here).
        CmsNotForRecipient: no recipient entry names ``certificate``, or ``private_key`` is not its key.
        CmsDecryptFailed: the content key does not unwrap or decrypt, or the GCM tag fails (tampered).
    """
    _check_key_pair(private_key, certificate)
    try:
        return _decrypt(data, private_key=private_key, certificate=certificate)
    except CmsError:
        raise
    except _PARSE_ERRORS as e:
        raise CmsFormatError(f"not a well-formed AuthEnvelopedData: {e}") from e


def _check_key_pair(private_key: Any, certificate: x509.Certificate) -> None:
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    if not isinstance(private_key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise CmsNotForRecipient("the private key is neither EC nor RSA")
    ours = private_key.public_key().public_bytes(serialization.Encoding.DER, spki)
    if ours != certificate.public_key().public_bytes(serialization.Encoding.DER, spki):
        raise CmsNotForRecipient("the private key is not the key of the recipient certificate")


def _decrypt(data: bytes, *, private_key: Any, certificate: x509.Certificate) -> bytes:
    enveloped = _load_content_info(data, "authenticated_enveloped_data")
    if enveloped["version"].native != "v0":
        raise CmsFormatError("AuthEnvelopedData version is not 0")
    encrypted = enveloped["auth_encrypted_content_info"]
    algorithm = encrypted["content_encryption_algorithm"]
    name = algorithm["algorithm"].native
    if name not in _GCM_KEY_SIZES:
        raise CmsFormatError(f"content encryption {algorithm['algorithm'].dotted} is not AES-GCM")
    parameters = _GcmParameters.load(algorithm["parameters"].dump(), strict=True)
    nonce, icv_size = parameters["aes_nonce"].native, parameters["aes_icvlen"].native
    tag = _octets(enveloped["mac"], "mac")
    if len(nonce) != _NONCE_SIZE or icv_size != _ICV_SIZE or len(tag) != _ICV_SIZE:
        raise CmsFormatError("the GCM nonce is not 12 bytes or the tag not 16 bytes")
    ciphertext = encrypted["encrypted_content"]
    if isinstance(ciphertext, core.Void):
        raise CmsFormatError("the encrypted content is absent")
    cek = _content_key(enveloped["recipient_infos"], private_key, certificate)
    if len(cek) != _GCM_KEY_SIZES[name]:
        raise CmsDecryptFailed("the content key has the wrong length for the cipher")
    auth_attrs = enveloped["auth_attrs"]
    # RFC 5083 §2.2: the authenticated attributes' DER (with the SET OF tag) are the AAD, else none.
    aad = None if isinstance(auth_attrs, core.Void) else b"\x31" + auth_attrs.dump()[1:]
    try:
        return AESGCM(cek).decrypt(nonce, _octets(ciphertext, "encryptedContent") + tag, aad)
    except InvalidTag as e:
        raise CmsDecryptFailed("the AES-GCM tag does not authenticate the content: tampered") from e


def _content_key(recipient_infos: Any, private_key: Any, certificate: x509.Certificate) -> bytes:
    for info in recipient_infos:
        if info.name == "kari" and isinstance(private_key, ec.EllipticCurvePrivateKey):
            kari = info.chosen
            for entry in kari["recipient_encrypted_keys"]:
                if _identifies(entry["rid"], certificate):
                    return _agree(kari, _octets(entry["encrypted_key"], "encryptedKey"), private_key)
        elif info.name == "ktri" and isinstance(private_key, rsa.RSAPrivateKey):
            ktri = info.chosen
            if _identifies(ktri["rid"], certificate):
                return _transport(ktri, private_key)
    raise CmsNotForRecipient(f"the file is not addressed to {certificate.subject.rfc4514_string()}")


def _agree(kari: Any, wrapped: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    if kari["version"].native != "v3":  # RFC 5652 §6.2.2: always 3
        raise CmsFormatError("KeyAgreeRecipientInfo version is not 3")
    algorithm = kari["key_encryption_algorithm"]
    kdf_hash = _KDF_HASHES.get(algorithm["algorithm"].dotted)
    if kdf_hash is None:
        raise CmsFormatError(f"key agreement {algorithm['algorithm'].dotted} is not a stdDH scheme")
    wrap = cms.KeyEncryptionAlgorithm.load(algorithm["parameters"].dump(), strict=True)
    kek_size = _WRAP_KEY_SIZES.get(wrap["algorithm"].native)
    if kek_size is None or not isinstance(wrap["parameters"], core.Void):  # RFC 3565 §2.3.2: absent
        raise CmsFormatError(f"key wrap {wrap['algorithm'].dotted} is not AES key wrap")
    originator = kari["originator"]
    if originator.name != "originator_key":  # RFC 5753 §3.1.1: originatorKey MUST be used
        raise CmsFormatError("the originator is not given by its ephemeral public key")
    key_info = originator.chosen
    if key_info["algorithm"]["algorithm"].native != "ec":
        raise CmsFormatError("the originator key is not an EC key")
    curve_params = key_info["algorithm"]["parameters"]
    # RFC 5753 §7.1.2 / RFC 5480 §2.1.1: absent (OpenSSL) or the named curve, which must be ours.
    if not isinstance(curve_params, core.Void | core.Null) and (
        curve_params.name != "named" or curve_params.chosen.native != private_key.curve.name
    ):
        raise CmsFormatError("the originator key is not on the recipient's curve")
    point = _bit_string_bytes(key_info["public_key"])
    peer = ec.EllipticCurvePublicKey.from_encoded_point(private_key.curve, point)
    ukm = kari["ukm"]
    ukm_bytes = None if isinstance(ukm, core.Void) else _octets(ukm, "ukm")
    shared_info = _shared_info(wrap, ukm_bytes, kek_size)
    kek = _kek(private_key.exchange(ec.ECDH(), peer), kdf_hash, shared_info, kek_size)
    try:
        return keywrap.aes_key_unwrap(kek, wrapped)
    except keywrap.InvalidUnwrap as e:
        raise CmsDecryptFailed("the content key does not unwrap (tampered, or another key)") from e


def _bit_string_bytes(value: Any) -> bytes:
    # The ECPoint is the BIT STRING's octets (RFC 5753 §7.2), without unused bits.
    if isinstance(value, keys.ECPointBitString | core.BitString):
        raw = value.contents
        if not raw or raw[0] != 0:
            raise CmsFormatError("the originator's point has unused bits")
        return bytes(raw[1:])
    raise CmsFormatError("the originator's public key is not a BIT STRING")


def _transport(ktri: Any, private_key: rsa.RSAPrivateKey) -> bytes:
    algorithm = ktri["key_encryption_algorithm"]
    if algorithm["algorithm"].native != "rsaes_oaep":
        raise CmsFormatError("key transport is not RSAES-OAEP")
    parameters = algorithm["parameters"]
    digest = _OAEP_HASHES.get(parameters["hash_algorithm"]["algorithm"].native)
    mgf = parameters["mask_gen_algorithm"]
    mgf_digest = _OAEP_HASHES.get(mgf["parameters"]["algorithm"].native)
    if digest is None or mgf["algorithm"].native != "mgf1" or mgf_digest is None:
        raise CmsFormatError("RSAES-OAEP parameters other than SHA-1/SHA-256 with MGF1")
    if parameters["p_source_algorithm"]["parameters"].native:  # RFC 8017 §A.2.1: empty label only
        raise CmsFormatError("RSAES-OAEP with a label")
    try:
        return private_key.decrypt(_octets(ktri["encrypted_key"], "encryptedKey"), _oaep(digest, mgf_digest))
    except ValueError as e:
        raise CmsDecryptFailed("the content key does not decrypt (tampered, or another key)") from e
