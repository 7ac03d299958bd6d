"""EF.SOD: its signature, digests and hashes check with ``cryptography`` and, independently, with OpenSSL."""

from __future__ import annotations

import contextlib
import hashlib
import subprocess
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.chip import lds
from partycard.chip.errors import ChipFormatError, SodSignerMismatch
from partycard.chip.lds import CardData
from partycard.chip.sod import (
    ID_LDS_SECURITY_OBJECT,
    LdsSecurityObject,
    Sod,
    SodSigner,
    dg_hash,
    sod_build,
    sod_parse,
)
from partycard.chip.tlv import tlv_encode, tlv_unwrap
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import T0, Pki

SIGNED_AT = T0 + timedelta(days=2)


@pytest.fixture
def data_groups(card: CardData, photo_jpeg: bytes) -> dict[int, bytes]:
    chip_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {
        1: lds.dg1_build(card),
        2: lds.dg2_build(photo_jpeg),
        14: lds.dg14_build(),
        15: lds.dg15_build(chip_key),
    }


@pytest.fixture
def sod_bytes(chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]) -> bytes:
    return sod_build(
        store=chip_store,
        signer_label=chip_pki.ds_label,
        signer_cert=chip_pki.ds,
        data_groups=data_groups,
        signed_at=SIGNED_AT,
    )


def _verify(certificate: x509.Certificate, signature: bytes, data: bytes) -> None:
    public_key = certificate.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))


def test_sod_parses_with_our_profile(sod_bytes: bytes, chip_pki: Pki) -> None:
    assert sod_bytes[0] == 0x77
    sod = sod_parse(sod_bytes)
    assert sod.hash_algorithm == sod.digest_algorithm == "sha256"
    assert sod.signature_algorithm == "sha256_ecdsa"
    assert sod.certificate == chip_pki.ds
    assert sod.signer_serial == chip_pki.ds.serial_number
    assert sod.signer_issuer_der == chip_pki.ds.issuer.public_bytes()
    assert sod.signing_time == SIGNED_AT
    assert sorted(sod.data_group_hashes) == [1, 2, 14, 15]


def test_signature_digest_and_hashes_verify(sod_bytes: bytes, data_groups: dict[int, bytes]) -> None:
    sod = sod_parse(sod_bytes)
    # The signature covers the signed attributes as a DER SET (RFC 5652 §5.4), with the DS key.
    assert sod.signed_attrs_der[0] == 0x31
    _verify(sod.certificate, sod.signature, sod.signed_attrs_der)
    # messageDigest is the SHA-256 of the encapsulated LDSSecurityObject (RFC 5652 §11.2).
    assert sod.message_digest == hashlib.sha256(sod.lds_security_object_der).digest()
    # Each DG hash is the SHA-256 of the file's exact bytes, tag and length included.
    for number, data in data_groups.items():
        assert sod.data_group_hashes[number] == hashlib.sha256(data).digest() == dg_hash(data)
    lds_object = LdsSecurityObject.load(sod.lds_security_object_der)
    assert lds_object["version"].native == 1
    assert lds_object["hash_algorithm"]["algorithm"].dotted == "2.16.840.1.101.3.4.2.1"


# 9303-10 §4.6.2.3: LDSSecurityObject ::= SEQUENCE { version INTEGER {v0(0), v1(1)}, hashAlgorithm,
# dataGroupHashValues, ldsVersionInfo LDSVersionInfo OPTIONAL -- if present, version MUST be v1 },
# LDSVersionInfo ::= SEQUENCE { ldsVersion PrintableString, unicodeVersion PrintableString }, in DER:
_V1_HEAD = bytes.fromhex("020101")  # INTEGER 1, the first field
_VERSION_INFO = bytes.fromhex("300e") + bytes.fromhex("1304") + b"0108" + bytes.fromhex("1306") + b"040000"


def test_lds_security_object_v1_carries_the_versions_of_ef_com(sod_bytes: bytes) -> None:
    sod = sod_parse(sod_bytes)
    content = sod.lds_security_object_der
    assert content[:3] == bytes((0x30, 0x81, len(content) - 3))  # SEQUENCE (four hashes: 193 bytes)
    assert content[3:6] == _V1_HEAD  # version v1
    assert content.endswith(_VERSION_INFO)  # ldsVersionInfo last: LDS 1.8, Unicode 4.0.0
    assert LdsSecurityObject.load(content).dump(force=True) == content  # canonical DER
    assert (sod.version, sod.lds_version, sod.unicode_version) == (1, "0108", "040000")
    com = lds.com_parse(lds.com_build(tags=(0x61, 0x75)))
    assert (com.lds_version, com.unicode_version) == (sod.lds_version, sod.unicode_version)


def test_lds_security_object_v0_of_cards_already_issued_still_reads(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]
) -> None:
    signer = SodSigner(
        store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds, lds_version_info=None
    )
    sod = sod_parse(signer.build(data_groups, SIGNED_AT))
    assert sod.lds_security_object_der[3:6] == bytes.fromhex("020100")  # version v0
    assert LdsSecurityObject.load(sod.lds_security_object_der)["lds_version_info"].native is None
    assert (sod.version, sod.lds_version, sod.unicode_version) == (0, None, None)
    assert sod.data_group_hashes == {n: dg_hash(d) for n, d in data_groups.items()}
    _verify(sod.certificate, sod.signature, sod.signed_attrs_der)


def test_sod_parse_holds_version_and_version_info_together(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes], sod_bytes: bytes
) -> None:
    v1 = sod_parse(sod_bytes).lds_security_object_der
    v0_sod = SodSigner(
        store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds, lds_version_info=None
    ).build(data_groups, SIGNED_AT)
    v0 = sod_parse(v0_sod).lds_security_object_der
    cases = [
        (sod_bytes, v1, v1[:5] + b"\x00" + v1[6:], "v0 with ldsVersionInfo"),  # MUST be v1 if present
        (sod_bytes, v1, v1[:5] + b"\x02" + v1[6:], "v2"),
        (v0_sod, v0, v0[:5] + b"\x01" + v0[6:], "v1 with ldsVersionInfo None"),  # v1 MUST carry it
        (sod_bytes, v1, v1.replace(b"0108", b"01.8"), "not aabb"),
        (sod_bytes, v1, v1.replace(b"040000", b"04000x"), "not aabb"),
    ]
    for sod, old, new, message in cases:
        assert len(new) == len(old) and sod.count(old) == 1
        with pytest.raises(ChipFormatError, match=message):
            sod_parse(sod.replace(old, new))
    with pytest.raises(ChipFormatError, match="4 and 6 ASCII digits"):
        SodSigner(
            store=chip_store,
            signer_label=chip_pki.ds_label,
            signer_cert=chip_pki.ds,
            lds_version_info=("1.8", "040000"),
        )


def test_signed_attributes_are_der_sorted_and_typed(sod_bytes: bytes) -> None:
    sod = sod_parse(sod_bytes)
    attrs = cms.CMSAttributes.load(sod.signed_attrs_der)
    encodings = [a.dump() for a in attrs]
    assert encodings == sorted(encodings)
    assert {a["type"].native for a in attrs} == {"content_type", "message_digest", "signing_time"}
    content_type = next(a for a in attrs if a["type"].native == "content_type")
    assert content_type["values"][0].dotted == ID_LDS_SECURITY_OBJECT


def test_changed_data_group_byte_mismatches_its_hash_only(
    sod_bytes: bytes, data_groups: dict[int, bytes]
) -> None:
    sod = sod_parse(sod_bytes)
    tampered = bytearray(data_groups[1])
    tampered[-1] ^= 0x01
    assert dg_hash(bytes(tampered)) != sod.data_group_hashes[1]
    assert all(dg_hash(data_groups[n]) == sod.data_group_hashes[n] for n in (2, 14, 15))


def test_changed_sod_content_breaks_the_digest_or_signature(sod_bytes: bytes) -> None:
    sod = sod_parse(sod_bytes)
    # Flip a byte of the DG1 hash inside the SOD: it still parses, but the digest no longer matches.
    digest = sod.data_group_hashes[1]
    tampered = sod_parse(sod_bytes.replace(digest, bytes([digest[0] ^ 1]) + digest[1:], 1))
    assert tampered.message_digest != hashlib.sha256(tampered.lds_security_object_der).digest()
    # Flip a byte of the signed messageDigest itself: the signature no longer verifies.
    forged = sod_parse(
        sod_bytes.replace(sod.message_digest, bytes([sod.message_digest[0] ^ 1]) + sod.message_digest[1:], 1)
    )
    with pytest.raises(InvalidSignature):
        _verify(forged.certificate, forged.signature, forged.signed_attrs_der)


def test_signing_time_is_optional(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]
) -> None:
    sod = sod_parse(
        sod_build(
            store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds, data_groups=data_groups
        )
    )
    assert sod.signing_time is None
    _verify(sod.certificate, sod.signature, sod.signed_attrs_der)


def test_wrong_signer_label_refused(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]
) -> None:
    with pytest.raises(SodSignerMismatch):
        sod_build(
            store=chip_store, signer_label=chip_pki.tl_label, signer_cert=chip_pki.ds, data_groups=data_groups
        )


@pytest.mark.parametrize(
    ("groups", "message"),
    [({}, "at least one"), ({17: b"\x70\x00"}, "outside"), ({1: b"\x75\x00"}, "expected tag 61")],
)
def test_bad_data_groups_refused(
    chip_store: FileKeyStore, chip_pki: Pki, groups: dict[int, bytes], message: str
) -> None:
    with pytest.raises(ChipFormatError, match=message):
        sod_build(
            store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds, data_groups=groups
        )


def test_sod_parse_refuses_malformed(sod_bytes: bytes) -> None:
    for data in (b"", b"\x77\x00", tlv_encode(0x77, b"\x30\x00"), sod_bytes[:-1], sod_bytes + b"\x00"):
        with pytest.raises(ChipFormatError):
            sod_parse(data)
    with pytest.raises(ChipFormatError, match="expected tag 77"):
        sod_parse(b"\x6f" + sod_bytes[1:])


def test_sod_parse_refuses_other_content_type(sod_bytes: bytes) -> None:
    der = tlv_unwrap(sod_bytes, 0x77)
    info = cms.ContentInfo.load(der)
    signed = info["content"]
    signed["encap_content_info"] = {
        "content_type": "data",
        "content": signed["encap_content_info"]["content"].native,
    }
    info = cms.ContentInfo({"content_type": "signed_data", "content": signed})
    with pytest.raises(ChipFormatError, match="eContentType"):
        sod_parse(tlv_encode(0x77, info.dump()))


# --- OpenSSL, an independent CMS implementation ------------------------------------------------------------


def _openssl_verify(
    tmp_path: Path, sod: bytes, root: x509.Certificate, *, extra: list[str]
) -> subprocess.CompletedProcess[bytes]:
    signed_data = tmp_path / "sod.der"
    signed_data.write_bytes(tlv_unwrap(sod, 0x77))  # ContentInfo(SignedData), the 77 wrapper removed
    (tmp_path / "root.pem").write_bytes(root.public_bytes(serialization.Encoding.PEM))
    return subprocess.run(
        [
            "openssl", "cms", "-verify", "-inform", "DER", "-in", str(signed_data),
            "-CAfile", str(tmp_path / "root.pem"), "-binary", "-out", str(tmp_path / "content.der"),
            *extra,
        ],
        capture_output=True,
        check=False,
    )  # fmt: skip


# DS certificates carry keyUsage digitalSignature and no extendedKeyUsage; OpenSSL's default S/MIME purpose
# check is about e-mail, so "-purpose any" keeps the chain and signature checks and drops only that one.
# "-attime" pins the chain check to the PKI's own clock (T0 + 2 days) instead of today's date.
_AT = ["-purpose", "any", "-attime", str(int(SIGNED_AT.timestamp()))]


def test_openssl_verifies_sod_and_extracts_the_lds_object(
    tmp_path: Path, sod_bytes: bytes, chip_pki: Pki
) -> None:
    result = _openssl_verify(tmp_path, sod_bytes, chip_pki.root, extra=_AT)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Verification successful" in result.stderr
    assert (tmp_path / "content.der").read_bytes() == sod_parse(sod_bytes).lds_security_object_der


def test_openssl_refuses_other_root_and_forged_digest(
    tmp_path: Path, sod_bytes: bytes, chip_pki: Pki, chip_store: FileKeyStore
) -> None:
    from tests.trust.conftest import make_pki

    attacker = make_pki(chip_store, cn="CSCA Attacker")
    result = _openssl_verify(tmp_path, sod_bytes, attacker.root, extra=_AT)
    assert result.returncode != 0
    assert b"certificate verify error" in result.stderr
    digest = sod_parse(sod_bytes).data_group_hashes[1]
    tampered = sod_bytes.replace(digest, bytes([digest[0] ^ 1]) + digest[1:], 1)
    result = _openssl_verify(tmp_path, tampered, chip_pki.root, extra=_AT)
    assert result.returncode != 0
    assert b"content verify error" in result.stderr  # messageDigest no longer matches the content


def test_sod_type_is_frozen(sod_bytes: bytes) -> None:
    sod = sod_parse(sod_bytes)
    assert isinstance(sod, Sod)
    with pytest.raises(AttributeError):
        sod.signature = b""  # type: ignore[misc]


@pytest.fixture(scope="module")
def sample_sod(chip_store: FileKeyStore, chip_pki: Pki) -> bytes:
    chip_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    groups = {14: lds.dg14_build(), 15: lds.dg15_build(chip_key)}
    return sod_build(
        store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds, data_groups=groups
    )


# Mutated certificates may carry a non-positive serial, which cryptography still loads with a warning.
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10_000), st.integers(1, 255)), min_size=1, max_size=4))
def test_mutated_sod_raises_only_chip_format_error(sample_sod: bytes, flips: list[tuple[int, int]]) -> None:
    data = bytearray(sample_sod)
    for position, mask in flips:
        data[position % len(data)] ^= mask
    with contextlib.suppress(ChipFormatError):
        sod_parse(bytes(data))


# --- the batch signer: hand-written DER, the same bytes as asn1crypto's ----------------------------------


@pytest.mark.parametrize("signed_at", [None, SIGNED_AT, SIGNED_AT.replace(year=2051)])
def test_batch_signer_writes_canonical_der(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes], signed_at: datetime | None
) -> None:
    signer = SodSigner(store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds)
    for groups in (data_groups, {1: data_groups[1]}, {n: data_groups[n] for n in (1, 15)}):
        sod = signer.build(groups, signed_at)
        der = tlv_unwrap(sod, 0x77)
        # asn1crypto re-encodes every field from its parsed value: any length or order slip would differ.
        assert cms.ContentInfo.load(der).dump(force=True) == der
        parsed = sod_parse(sod)
        assert parsed.data_group_hashes == {n: dg_hash(d) for n, d in groups.items()}
        assert parsed.signing_time == (signed_at.replace(microsecond=0) if signed_at else None)
        _verify(parsed.certificate, parsed.signature, parsed.signed_attrs_der)


def test_batch_signer_checks_its_key_once(chip_store: FileKeyStore, chip_pki: Pki) -> None:
    with pytest.raises(SodSignerMismatch):
        SodSigner(store=chip_store, signer_label=chip_pki.tl_label, signer_cert=chip_pki.ds)


def test_batch_signer_refuses_bad_input_before_signing(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]
) -> None:
    signer = SodSigner(store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds)
    with pytest.raises(ValueError, match="timezone"):
        signer.build(data_groups, SIGNED_AT.replace(tzinfo=None))
    with pytest.raises(ChipFormatError, match="expected tag 61"):
        signer.build({1: b"\x75\x00"})


def test_batch_signer_over_hashes_is_build_over_the_files(
    chip_store: FileKeyStore, chip_pki: Pki, data_groups: dict[int, bytes]
) -> None:
    """What production signs (hashes kept from batch pass one) is what build would sign over the files."""
    signer = SodSigner(store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds)
    from_files = sod_parse(signer.build(data_groups, SIGNED_AT))
    from_hashes = sod_parse(signer.build_hashed({n: dg_hash(d) for n, d in data_groups.items()}, SIGNED_AT))
    assert from_hashes.lds_security_object_der == from_files.lds_security_object_der
    assert from_hashes.signed_attrs_der == from_files.signed_attrs_der
    _verify(from_hashes.certificate, from_hashes.signature, from_hashes.signed_attrs_der)
    for bad in ({}, {1: bytes(31)}, {1: bytes(33)}, {0: bytes(32)}, {17: bytes(32)}):
        with pytest.raises(ChipFormatError):
            signer.build_hashed(bad, SIGNED_AT)


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        (b"\x61\x02\x80\x00", True),  # short form
        (b"\x61\x81\x80" + bytes(0x80), True),  # 81 xx, xx ≥ 80
        (b"\x61\x82\x01\x00" + bytes(0x100), True),  # 82 xx xx
        (b"\x61\x83\x01\x00\x00" + bytes(0x10000), True),  # 83: past the fast path, the full check
        (b"\x61\x81\x7f" + bytes(0x7F), False),  # 81 for a length that fits one byte: not minimal
        (b"\x61\x82\x00\xff" + bytes(0xFF), False),  # 82 00 xx: not minimal
        (b"\x61\x82\x01\x00" + bytes(0xFF), False),  # one byte short
        (b"\x61\x03\x80\x00", False),
        (b"\x61\x01\x80\x00", False),  # trailing byte
        (b"\x75\x02\x80\x00", False),  # DG2's tag as DG1
    ],
)
def test_data_group_headers_are_checked_before_hashing(
    chip_store: FileKeyStore, chip_pki: Pki, data: bytes, ok: bool
) -> None:
    signer = SodSigner(store=chip_store, signer_label=chip_pki.ds_label, signer_cert=chip_pki.ds)
    if ok:
        assert sod_parse(signer.build({1: data})).data_group_hashes == {1: dg_hash(data)}
    else:
        with pytest.raises(ChipFormatError):
            signer.build({1: data})
