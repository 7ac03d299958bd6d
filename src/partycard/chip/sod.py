"""EF.SOD, the document security object (ICAO 9303-10 §4.6.2): the data group hashes, signed in CMS.

Tag 77 wraps a ContentInfo/SignedData (RFC 5652) whose encapsulated content is the LDSSecurityObject;
the document signer's key signs the signed attributes through :class:`KeyStore` (it never leaves the
store) and its certificate is embedded, so a verifier needs only the root to check the chip's data.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from asn1crypto import algos, cms, core
from asn1crypto import x509 as a_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.errors import ChipFormatError, SodSignerMismatch
from partycard.chip.lds import DG_TAGS, LDS_VERSION, UNICODE_VERSION
from partycard.chip.tlv import tlv_unwrap
from partycard.trust.keystore import KeyStore

__all__ = [
    "ID_LDS_SECURITY_OBJECT",
    "TAG_SOD",
    "LdsSecurityObject",
    "LdsVersionInfo",
    "Sod",
    "SodSigner",
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


class LdsVersionInfo(core.Sequence):
    """9303-10 §4.6.2.3: LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion
    PrintableString }, the same "aabb" and "aabbcc" as EF.COM's 5F01 and 5F36 (§4.6.1)."""

    _fields = [("lds_version", core.PrintableString), ("unicode_version", core.PrintableString)]


class LdsSecurityObject(core.Sequence):
    """9303-10 §4.6.2.3 LDSSecurityObject: version v0 or v1; "if LDSSecurityObjectVersion is V1,
    ldsVersionInfo MUST be present" (and absent in v0). We write v1 (LDS 1.8); cards signed before issue
    18 carry v0, which :func:`sod_parse` still reads."""

    _fields = [
        ("version", core.Integer),
        ("hash_algorithm", algos.DigestAlgorithm),
        ("data_group_hash_values", _DataGroupHashValues),
        ("lds_version_info", LdsVersionInfo, {"optional": True}),
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
    #: LDSSecurityObject version: 0 (no version info) or 1 (LDS and Unicode versions below, as EF.COM's).
    version: int = 0
    lds_version: str | None = None
    unicode_version: str | None = None


def _check_data_groups(data_groups: Mapping[int, bytes]) -> None:
    if not data_groups:
        raise ChipFormatError("an SOD needs at least one data group")
    for number, data in data_groups.items():
        if not 1 <= number <= _MAX_DATA_GROUP:
            raise ChipFormatError(f"data group number {number} is outside 1-{_MAX_DATA_GROUP}")
        _check_data_group(DG_TAGS[number], data)


def _header_spans(tag: int, data: bytes) -> bool:
    """The common case of :func:`_check_data_group`, cheaply: the DG's tag, then a minimal length of one
    byte, 81 xx (xx ≥ 80) or 82 xx xx (xx xx ≥ 100) that spans the rest. False: let the full check say."""
    size = len(data)
    if size < 4 or data[0] != tag:
        return False
    first = data[1]
    if first < 0x80:
        return first == size - 2
    if first == 0x81:
        return data[2] >= 0x80 and data[2] == size - 3
    return first == 0x82 and data[2] != 0 and (data[2] << 8 | data[3]) == size - 4


def _check_data_group(tag: int, data: bytes) -> None:
    """One TLV with the DG's own one-byte tag (9303-10 Table 33) and a minimal length spanning the
    rest: the header only, as the value was built by lds and is hashed, not parsed, here."""
    if len(data) < 2 or data[0] != tag:
        raise ChipFormatError(f"expected tag {tag:02X}, found {data[:1].hex().upper() or 'nothing'}")
    first = data[1]
    if first < 0x80:
        header, length = 2, first
    else:
        count = first & 0x7F
        length = int.from_bytes(data[2 : 2 + count], "big")
        if not 1 <= count <= 4 or len(data) < 2 + count or length < 0x80 or length >> (8 * (count - 1)) == 0:
            raise ChipFormatError(f"data group {tag:02X} has a malformed length field")
        header = 2 + count
    if header + length != len(data):
        raise ChipFormatError(f"data group {tag:02X} length {length} does not span its {len(data)} bytes")


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    size = (n.bit_length() + 7) // 8
    return bytes((0x80 | size,)) + n.to_bytes(size, "big")


def _der(tag: bytes, body: bytes) -> bytes:
    return tag + _der_length(len(body)) + body


@functools.lru_cache(maxsize=16)  # a batch signs with one signing time
def _der_time(moment: datetime) -> bytes:
    if moment.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    moment = moment.astimezone(UTC)
    # RFC 5652 §11.3: UTCTime through 2049, GeneralizedTime from 2050; whole seconds, Z.
    if moment.year < 2050:
        return _der(b"\x17", moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return _der(b"\x18", moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


class SodSigner:
    """Signs EF.SODs with one document signer, for a batch: everything that depends only on the
    signer (its certificate, the SignerIdentifier, the algorithm identifiers) is encoded once, here.

    Each SOD is then the data-group hashes, the signed attributes and one signature concatenated in
    DER by hand — the structures are fixed by our profile, and asn1crypto's generic encoder cost 1.3 ms
    a SOD against 30 µs for the signature (docs/performance.md). The output is byte-identical to
    asn1crypto's encoding; tests/chip/test_sod.py checks it against asn1crypto, OpenSSL and
    :func:`sod_parse`.

    The key is checked once, at construction: its public half must be the certificate's, and a probe
    signature must verify with the certificate. Each SOD's signature is not verified again (that
    would cost three signatures' time); ``build(check=True)`` does it for one-off callers, and a card
    is verified whole when it is read back at personalisation.

    Raises:
        SodSignerMismatch: the store's key under ``signer_label`` is not ``signer_cert``'s.
    """

    def __init__(
        self,
        *,
        store: KeyStore,
        signer_label: str,
        signer_cert: x509.Certificate,
        lds_version_info: tuple[str, str] | None = (LDS_VERSION, UNICODE_VERSION),
    ) -> None:
        signer_key_check(store=store, signer_label=signer_label, signer_cert=signer_cert)
        probe = b"partycard SodSigner key probe"
        _check_signature(signer_cert, store.sign(signer_label, probe), probe, signer_label)
        self._store, self._label, self._cert = store, signer_label, signer_cert
        cert_der = signer_cert.public_bytes(serialization.Encoding.DER)
        cert = a_x509.Certificate.load(cert_der)
        sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": cert.serial_number}}
        ).dump()
        sha256 = algos.DigestAlgorithm({"algorithm": "sha256"}).dump()
        self._signer_info_head = core.Integer(1).dump() + sid + sha256  # version v1, sid, digestAlgorithm
        self._ecdsa = algos.SignedDigestAlgorithm({"algorithm": "sha256_ecdsa"}).dump()
        self._content_type_attribute = cms.CMSAttribute(
            {"type": "content_type", "values": [ID_LDS_SECURITY_OBJECT]}
        ).dump()
        self._message_digest_type = cms.CMSAttributeType("message_digest").dump()
        self._signing_time_type = cms.CMSAttributeType("signing_time").dump()
        # SignedData v3 (9303-10 §4.6.2.2: eContentType is not id-data) and its digestAlgorithms SET.
        self._signed_data_head = core.Integer(3).dump() + _der(b"\x31", sha256)
        self._lds_oid = core.ObjectIdentifier(ID_LDS_SECURITY_OBJECT).dump()
        self._certificates = _der(b"\xa0", cert_der)
        # LDSSecurityObject v1 and its ldsVersionInfo (9303-10 §4.6.2.3), or v0 without it (None: how
        # cards were signed before issue 18; tests make such SODs to check that they still read).
        if lds_version_info is None:
            self._lds_head, self._lds_tail = core.Integer(0).dump() + sha256, b""
        else:
            lds_version, unicode_version = lds_version_info
            if not (len(lds_version) == 4 and lds_version.isdigit()) or not (
                len(unicode_version) == 6 and unicode_version.isdigit()
            ):
                raise ChipFormatError("ldsVersionInfo must be 4 and 6 ASCII digits (9303-10 §4.6.1)")
            info = LdsVersionInfo({"lds_version": lds_version, "unicode_version": unicode_version})
            self._lds_head, self._lds_tail = core.Integer(1).dump() + sha256, info.dump()
        self._signed_data_oid = cms.ContentType("signed_data").dump()
        self._hash_heads = {
            n: _der(b"\x30", core.Integer(n).dump() + b"\x04\x20" + bytes(32))[:-32]
            for n in range(1, _MAX_DATA_GROUP + 1)
        }
        self._layouts: dict[tuple[tuple[int, ...], int], _Layout] = {}

    def _layout(self, numbers: tuple[int, ...], time_size: int) -> _Layout:
        """The fixed parts of a SOD over ``numbers`` with a signing time of ``time_size`` bytes (0: none).

        Every hash entry, the messageDigest and the time have a fixed size, so all lengths inside the
        signed attributes and the content are known before hashing; only the signature's length varies.
        """
        key = (numbers, time_size)
        layout = self._layouts.get(key)
        if layout is not None:
            return layout
        for number in numbers:
            if not 1 <= number <= _MAX_DATA_GROUP:
                raise ChipFormatError(f"data group number {number} is outside 1-{_MAX_DATA_GROUP}")
        entries_size = sum(len(self._hash_heads[n]) + 32 for n in numbers)
        content = _der(b"\x30", self._lds_head + _der(b"\x30", bytes(entries_size)) + self._lds_tail)
        content_size = len(content)
        content_prefix = content[: -(entries_size + len(self._lds_tail))]
        digest_attr = _der(b"\x30", self._message_digest_type + _der(b"\x31", _der(b"\x04", bytes(32))))
        parts = [(self._content_type_attribute, 0), (digest_attr, 1)]  # indices into build's values
        if time_size:
            time_attr = _der(b"\x30", self._signing_time_type + _der(b"\x31", bytes(time_size)))
            parts.append((time_attr, 2))
        # DER (X.690 §11.6) orders a SET OF by the elements' encodings; verifiers such as OpenSSL
        # re-encode the signed attributes before checking. The attributes' lengths (second byte) all
        # differ, so their order does not depend on the digest or the time: fix it once.
        if len({encoded[1] for encoded, _ in parts}) != len(parts):
            raise RuntimeError("the signed attributes' DER order would depend on their values")
        order = tuple(index for _, index in sorted(parts))
        attributes_size = sum(len(encoded) for encoded, _ in parts)
        layout = _Layout(
            content_prefix=content_prefix,
            encap_prefix=_der(b"\x30", self._lds_oid + _der(b"\xa0", _der(b"\x04", bytes(content_size))))[
                :-content_size
            ],
            digest_prefix=digest_attr[:-32],
            time_prefix=time_attr[:-time_size] if time_size else b"",
            order=order,
            signed_prefix=b"\x31" + _der_length(attributes_size),
            implicit_prefix=b"\xa0" + _der_length(attributes_size),
        )
        self._layouts[key] = layout
        return layout

    @property
    def certificate(self) -> x509.Certificate:
        """The document signer certificate every SOD embeds."""
        return self._cert

    def build(
        self, data_groups: Mapping[int, bytes], signed_at: datetime | None = None, *, check: bool = False
    ) -> bytes:
        """EF.SOD over ``data_groups`` (number → exact file bytes).

        Args:
            signed_at: written as the signingTime attribute when given (aware datetime).
            check: verify the fresh signature with the certificate before returning.

        Raises:
            ChipFormatError: no data groups, a number outside 1-16, or a file whose tag is not its DG's.
            ValueError: ``signed_at`` is naive.
            SodSignerMismatch: ``check`` and the signature does not verify.
        """
        if not data_groups:
            raise ChipFormatError("an SOD needs at least one data group")
        numbers = tuple(sorted(data_groups))
        heads, tags, sha256, entries = self._hash_heads, DG_TAGS, hashlib.sha256, []
        for n in numbers:  # check each file's header, then hash its exact bytes
            data = data_groups[n]
            tag = tags.get(n)
            if tag is None:
                raise ChipFormatError(f"data group number {n} is outside 1-{_MAX_DATA_GROUP}")
            if not _header_spans(tag, data):
                _check_data_group(tag, data)  # raises, saying what is wrong
            entries.append(heads[n] + sha256(data).digest())
        return self._sign(numbers, entries, signed_at, check)

    def build_hashed(
        self, hashes: Mapping[int, bytes], signed_at: datetime | None = None, *, check: bool = False
    ) -> bytes:
        """EF.SOD over the data groups' SHA-256 hashes (number → 32 bytes), for a caller that holds the
        hashes and not the files: production hashes each data group once, when it builds the chip data
        (batch pass one), keeps the hashes, not the photo, and signs the SOD once the chip has reported
        its DG15 (two-pass personalisation, docs/production.md). The SOD is the same bytes :meth:`build`
        gives for files with these hashes.

        Raises:
            ChipFormatError: no hashes, a number outside 1-16, or a hash that is not 32 bytes.
            ValueError: ``signed_at`` is naive.
            SodSignerMismatch: ``check`` and the signature does not verify.
        """
        if not hashes:
            raise ChipFormatError("an SOD needs at least one data group")
        numbers = tuple(sorted(hashes))
        heads, entries = self._hash_heads, []
        for n in numbers:
            digest = bytes(hashes[n])
            if len(digest) != _SHA256_SIZE or n not in heads:
                raise ChipFormatError(f"DG{n}: expected a 32-byte SHA-256 hash of DG1-DG{_MAX_DATA_GROUP}")
            entries.append(heads[n] + digest)
        return self._sign(numbers, entries, signed_at, check)

    def _sign(
        self, numbers: tuple[int, ...], entries: list[bytes], signed_at: datetime | None, check: bool
    ) -> bytes:
        """Assemble and sign: ``entries`` are the DataGroupHash encodings of ``numbers``, in order."""
        time = _der_time(signed_at) if signed_at is not None else b""
        layout = self._layouts.get((numbers, len(time))) or self._layout(numbers, len(time))
        content = layout.content_prefix + b"".join(entries) + self._lds_tail
        values = (
            self._content_type_attribute,
            layout.digest_prefix + hashlib.sha256(content).digest(),
            layout.time_prefix + time,
        )
        attributes = b"".join([values[i] for i in layout.order])
        signed = layout.signed_prefix + attributes
        signature = self._store.sign(self._label, signed)
        if check:
            _check_signature(self._cert, signature, signed, self._label)
        frame = layout.frames.get(len(signature))
        if frame is None:
            frame = layout.frames[len(signature)] = self._frame(
                layout, len(content), len(attributes), len(signature)
            )
        return frame[0] + content + frame[1] + attributes + frame[2] + signature

    def _frame(
        self, layout: _Layout, content_size: int, attributes_size: int, signature_size: int
    ) -> tuple[bytes, bytes, bytes]:
        """The bytes around the content, the attributes and the signature: 77 { ContentInfo { SignedData
        { v3, digestAlgorithms, encap { content }, certificates, SignerInfos { SignerInfo { v1, sid,
        sha256, [0] attributes, ecdsa-with-SHA256, OCTET STRING signature }}}}}. Only the signature's
        size varies (DER ECDSA signatures are 70-72 bytes for P-256), so there are a few frames."""
        signature_head = b"\x04" + _der_length(signature_size)
        inner = self._signer_info_head + layout.implicit_prefix
        signer_info_size = (
            len(inner) + attributes_size + len(self._ecdsa) + len(signature_head) + signature_size
        )
        signer_info_head = b"\x30" + _der_length(signer_info_size)
        set_size = len(signer_info_head) + signer_info_size
        set_head = b"\x31" + _der_length(set_size)
        before_content = self._signed_data_head + layout.encap_prefix
        signed_data_size = (
            len(before_content) + content_size + len(self._certificates) + len(set_head) + set_size
        )
        signed_data_head = b"\x30" + _der_length(signed_data_size)
        explicit_size = len(signed_data_head) + signed_data_size
        explicit_head = b"\xa0" + _der_length(explicit_size)
        info_size = len(self._signed_data_oid) + len(explicit_head) + explicit_size
        info_head = b"\x30" + _der_length(info_size)
        wrapper_head = bytes((TAG_SOD,)) + _der_length(len(info_head) + info_size)
        return (
            wrapper_head
            + info_head
            + self._signed_data_oid
            + explicit_head
            + signed_data_head
            + before_content,
            self._certificates + set_head + signer_info_head + inner,
            self._ecdsa + signature_head,
        )


@dataclass(frozen=True, slots=True)
class _Layout:
    content_prefix: bytes  # LDSSecurityObject up to its first hash entry (ldsVersionInfo follows them)
    encap_prefix: bytes  # encapContentInfo up to the content
    digest_prefix: bytes  # the messageDigest attribute up to the digest
    time_prefix: bytes  # the signingTime attribute up to the time (empty: no signing time)
    order: tuple[int, ...]  # the attributes (0 contentType, 1 messageDigest, 2 signingTime) in DER order
    signed_prefix: bytes  # SET OF tag and length: what the signature covers
    implicit_prefix: bytes  # [0] IMPLICIT tag and length: how SignerInfo carries the same attributes
    frames: dict[int, tuple[bytes, bytes, bytes]] = field(default_factory=dict)  # by signature size


def sod_build(
    *,
    store: KeyStore,
    signer_label: str,
    signer_cert: x509.Certificate,
    data_groups: Mapping[int, bytes],
    signed_at: datetime | None = None,
) -> bytes:
    """EF.SOD over ``data_groups`` (number → exact file bytes), signed by the DS key ``signer_label``.

    One SOD, its signature verified; batches keep one :class:`SodSigner` instead.

    Args:
        signed_at: written as the signingTime attribute when given (aware datetime); omitted otherwise.

    Raises:
        ChipFormatError: no data groups, a number outside 1-16, or a file whose tag is not its DG's.
        SodSignerMismatch: the store's key under ``signer_label`` does not match ``signer_cert``.
        ValueError: ``signed_at`` is naive.
    """
    _check_data_groups(data_groups)  # refuse bad input before the key probe signs anything
    if signed_at is not None and signed_at.tzinfo is None:
        raise ValueError("signed_at must be timezone-aware")
    signer = SodSigner(store=store, signer_label=signer_label, signer_cert=signer_cert)
    return signer.build(data_groups, signed_at, check=True)


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


def _algorithm(identifier: algos.DigestAlgorithm | algos.SignedDigestAlgorithm) -> str:
    """The algorithm's name, refusing parameters other than absent or NULL (RFC 5754 §2-3)."""
    parameters = identifier["parameters"]
    if not isinstance(parameters, core.Void | core.Null) or (
        isinstance(parameters, core.Null) and parameters.contents
    ):
        raise ChipFormatError(f"unexpected parameters for {identifier['algorithm'].native}")
    return str(identifier["algorithm"].native)


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
    # The fields outside the signed attributes are not covered by the signature, so each is pinned to
    # the one value our profile allows; otherwise they could be rewritten on a genuine card unnoticed.
    if signed_data["version"].native != "v3":
        raise ChipFormatError(f"SignedData version {signed_data['version'].native} is not v3")
    digest_algorithms = [_algorithm(a) for a in signed_data["digest_algorithms"]]
    if digest_algorithms != ["sha256"]:
        raise ChipFormatError(f"SignedData digestAlgorithms {digest_algorithms} are not [sha256]")
    encap = signed_data["encap_content_info"]
    if encap["content_type"].dotted != ID_LDS_SECURITY_OBJECT:
        raise ChipFormatError(f"eContentType is {encap['content_type'].dotted}, not ldsSecurityObject")
    content = encap["content"]
    if not isinstance(content, core.ParsableOctetString):
        raise ChipFormatError("SignedData has no encapsulated content")
    lds_der = content.native
    lds_object = LdsSecurityObject.load(lds_der, strict=True)
    version, version_info = lds_object["version"].native, lds_object["lds_version_info"]
    # 9303-10 §4.6.2.3: v1 MUST carry ldsVersionInfo, v0 has none (cards signed before issue 18 are v0).
    if version not in (0, 1) or (version == 1) == isinstance(version_info, core.Void):
        raise ChipFormatError(f"LDSSecurityObject v{version} with ldsVersionInfo {version_info.native}")
    lds_version = unicode_version = None
    if version == 1:
        lds_version, unicode_version = (
            version_info["lds_version"].native,
            version_info["unicode_version"].native,
        )
        if not (len(lds_version) == 4 and lds_version.isdigit()) or not (
            len(unicode_version) == 6 and unicode_version.isdigit()
        ):
            raise ChipFormatError(f"ldsVersionInfo {lds_version!r}/{unicode_version!r} is not aabb/aabbcc")
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
        # cryptography parses keys and extensions lazily: force both now, so that a verifier holding
        # a Sod can use them without meeting a parse error deep in a check.
        public_key = certificate.public_key()
        certificate.extensions  # noqa: B018 - evaluated for its parse errors
    except (ValueError, x509.InvalidVersion, x509.DuplicateExtension, UnsupportedAlgorithm) as e:
        raise ChipFormatError(f"the embedded certificate does not parse: {e}") from e
    if not isinstance(public_key, ec.EllipticCurvePublicKey) or not isinstance(
        public_key.curve, ec.SECP256R1
    ):
        raise ChipFormatError("the embedded certificate does not carry a P-256 key")

    signer_info = _only(list(signed_data["signer_infos"]), "SignerInfo")
    if not isinstance(signer_info, cms.SignerInfo):
        raise ChipFormatError("SignerInfo does not parse")
    if signer_info["version"].native != "v1":
        raise ChipFormatError(f"SignerInfo version {signer_info['version'].native} is not v1")
    sid = signer_info["sid"]
    if sid.name != "issuer_and_serial_number":
        raise ChipFormatError("SignerInfo must identify the signer by issuer and serial number")
    if (
        sid.chosen["issuer"].dump() != cert_choice.chosen.issuer.dump()
        or sid.chosen["serial_number"].native != certificate.serial_number
    ):
        raise ChipFormatError("SignerInfo does not identify the embedded certificate")
    digest_algorithm = _algorithm(signer_info["digest_algorithm"])
    signature_algorithm = _algorithm(signer_info["signature_algorithm"])
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
        version=version,
        lds_version=lds_version,
        unicode_version=unicode_version,
    )
