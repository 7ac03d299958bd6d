"""trust.cms against OpenSSL 3 (an independent CMS implementation) both ways, and its refusals.

OpenSSL checks what we write (``openssl cms -verify`` / ``-decrypt``) and writes what we must read
(``openssl cms -sign`` / ``-encrypt -aes-256-gcm``); each refusal is its own error class.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import cms as a_cms
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.trust.cms import ID_DATA, cms_decrypt, cms_encrypt, cms_sign, cms_verify
from partycard.trust.errors import (
    CmsDecryptFailed,
    CmsError,
    CmsFormatError,
    CmsNotForRecipient,
    CmsSignatureInvalid,
    CmsSignerUntrusted,
    StoreKeyMismatch,
)
from tests.trust.conftest import T0, Pki

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None, reason="the openssl command is not installed"
)

SIGNED_AT = T0 + timedelta(days=2)
CONTENT = "Lô thẻ đảng viên 2026-HN-001\n".encode() + bytes(range(256)) * 40  # binary, not text
# The OpenSSL-made certificates below are valid for 30 days from when the tests make them.
NOW = datetime.now(UTC) + timedelta(hours=1)


def _openssl(*args: str, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["openssl", *args], cwd=cwd, input=stdin, capture_output=True, check=False)


def _ok(result: subprocess.CompletedProcess[bytes]) -> subprocess.CompletedProcess[bytes]:
    assert result.returncode == 0, result.stderr.decode()
    return result


@dataclass(frozen=True)
class Party:
    """A key pair and certificate made by OpenSSL, files in ``directory``."""

    directory: Path
    name: str

    @property
    def cert_path(self) -> Path:
        return self.directory / f"{self.name}.pem"

    @property
    def key_path(self) -> Path:
        return self.directory / f"{self.name}.key"

    @property
    def certificate(self) -> x509.Certificate:
        return x509.load_pem_x509_certificate(self.cert_path.read_bytes())

    @property
    def private_key(self) -> Any:
        return serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)


_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]


def _self_signed(directory: Path, name: str, key: list[str]) -> Party:
    _ok(
        _openssl(
            "req", "-x509", *key, "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-subj", f"/CN={name}", "-days", "30", cwd=directory,
        )
    )  # fmt: skip
    return Party(directory, name)


@dataclass(frozen=True)
class OpenSslWorld:
    directory: Path
    ec: Party  # an EC P-256 recipient
    ec_other: Party  # another EC recipient
    rsa: Party  # an RSA-2048 recipient
    root: Party  # an OpenSSL-made CA
    signer: Party  # an EC signer issued by ``root``


@pytest.fixture(scope="module")
def ossl(tmp_path_factory: pytest.TempPathFactory) -> OpenSslWorld:
    d = tmp_path_factory.mktemp("openssl")
    (d / "ca.ext").write_text(
        "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n", encoding="ascii"
    )
    (d / "signer.ext").write_text("keyUsage=critical,digitalSignature\n", encoding="ascii")
    _ok(
        _openssl(
            "req", "-x509", *_EC, "-nodes", "-keyout", "root.key", "-out", "root.pem",
            "-subj", "/CN=OpenSSL test root", "-days", "30",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
            cwd=d,
        )
    )  # fmt: skip
    _ok(_openssl("req", "-new", *_EC, "-nodes", "-keyout", "signer.key", "-out", "signer.csr",
                 "-subj", "/CN=Factory signer", cwd=d))  # fmt: skip
    _ok(
        _openssl(
            "x509", "-req", "-in", "signer.csr", "-CA", "root.pem", "-CAkey", "root.key",
            "-CAcreateserial", "-days", "30", "-extfile", "signer.ext", "-out", "signer.pem", cwd=d,
        )
    )  # fmt: skip
    return OpenSslWorld(
        directory=d,
        ec=_self_signed(d, "ec", _EC),
        ec_other=_self_signed(d, "ec_other", _EC),
        rsa=_self_signed(d, "rsa", ["-newkey", "rsa:2048"]),
        root=Party(d, "root"),
        signer=Party(d, "signer"),
    )


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def signed(world: Pki) -> bytes:
    return cms_sign(
        store=world.store,
        signer_label=world.ds_label,
        signer_cert=world.ds,
        content=CONTENT,
        signed_at=SIGNED_AT,
    )


# --- SignedData: ours, checked by OpenSSL ------------------------------------------------------------------


def test_openssl_verifies_our_signed_data(tmp_path: Path, world: Pki, signed: bytes) -> None:
    (tmp_path / "signed.der").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(_pem(world.root))
    at = str(int(SIGNED_AT.timestamp()))
    result = _ok(
        _openssl(
            "cms", "-verify", "-inform", "DER", "-in", "signed.der", "-CAfile", "root.pem", "-binary",
            "-purpose", "any", "-attime", at, "-out", "content.bin", cwd=tmp_path,
        )
    )  # fmt: skip
    assert b"Verification successful" in result.stderr
    assert (tmp_path / "content.bin").read_bytes() == CONTENT
    # The signed attributes OpenSSL sees: contentType id-data, our signingTime, the signer by issuer+serial.
    printed = _ok(_openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", "signed.der", cwd=tmp_path))
    text = printed.stdout.decode()
    assert "contentType" in text and "pkcs7-data" in text
    assert "signingTime" in text and "UTCTIME:Mar  3 08:00:00 2026 GMT" in text  # SIGNED_AT
    assert "issuer" in text and "ecdsa-with-SHA256" in text


def test_openssl_refuses_our_signed_data_under_another_root(
    tmp_path: Path, other_world: Pki, signed: bytes
) -> None:
    (tmp_path / "signed.der").write_bytes(signed)
    (tmp_path / "root.pem").write_bytes(_pem(other_world.root))
    result = _openssl(
        "cms", "-verify", "-inform", "DER", "-in", "signed.der", "-CAfile", "root.pem", "-binary",
        "-purpose", "any", "-attime", str(int(SIGNED_AT.timestamp())), cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0


def test_signed_data_profile(world: Pki, signed: bytes) -> None:
    info = a_cms.ContentInfo.load(signed, strict=True)
    data = info["content"]
    assert data["version"].native == "v1"  # RFC 5652 §5.1: id-data, v1 SignerInfo, no extras
    signer_info = data["signer_infos"][0]
    assert signer_info["version"].native == "v1"
    assert signer_info["sid"].name == "issuer_and_serial_number"
    assert signer_info["sid"].chosen["serial_number"].native == world.ds.serial_number
    attributes = list(signer_info["signed_attrs"])
    assert {a["type"].native for a in attributes} == {"content_type", "message_digest", "signing_time"}
    encodings = [a.dump() for a in attributes]
    assert encodings == sorted(encodings)  # DER SET OF order (X.690 §11.6), which OpenSSL re-encodes
    assert data["certificates"][0].chosen.dump() == world.ds.public_bytes(serialization.Encoding.DER)


def test_content_type_other_than_data_makes_v3(world: Pki) -> None:
    der = cms_sign(
        store=world.store,
        signer_label=world.ds_label,
        signer_cert=world.ds,
        content=b"\x30\x00",
        signed_at=SIGNED_AT,
        content_type="1.3.6.1.4.1.32473.1.9",
    )
    assert a_cms.ContentInfo.load(der)["content"]["version"].native == "v3"
    got = cms_verify(der, at=SIGNED_AT, roots=[world.root])
    assert (got.content, got.content_type) == (b"\x30\x00", "1.3.6.1.4.1.32473.1.9")


def test_sign_refuses_a_label_that_is_not_the_certificate_key(world: Pki) -> None:
    with pytest.raises(StoreKeyMismatch):
        cms_sign(
            store=world.store,
            signer_label=world.root_label,
            signer_cert=world.ds,
            content=CONTENT,
            signed_at=SIGNED_AT,
        )


# --- SignedData: ours and OpenSSL's, checked by cms_verify -------------------------------------------------


def test_verify_our_signed_data_by_root_and_by_trusted(world: Pki, signed: bytes) -> None:
    by_root = cms_verify(signed, at=SIGNED_AT, roots=[world.root])
    assert by_root.content == CONTENT
    assert by_root.content_type == ID_DATA
    assert by_root.signer == world.ds
    assert by_root.signed_at == SIGNED_AT
    assert cms_verify(signed, at=SIGNED_AT, trusted=[world.ds]).content == CONTENT


def test_verify_openssl_signed_data(tmp_path: Path, ossl: OpenSslWorld) -> None:
    (tmp_path / "content.bin").write_bytes(CONTENT)
    _ok(
        _openssl(
            "cms", "-sign", "-nodetach", "-md", "sha256", "-binary", "-in", "content.bin",
            "-signer", str(ossl.signer.cert_path), "-inkey", str(ossl.signer.key_path),
            "-outform", "DER", "-out", "signed.der", cwd=tmp_path,
        )
    )  # fmt: skip
    data = (tmp_path / "signed.der").read_bytes()
    at = datetime.now(UTC)
    got = cms_verify(data, at=at, roots=[ossl.root.certificate])
    assert got.content == CONTENT and got.signer == ossl.signer.certificate
    assert got.signed_at is not None and abs(got.signed_at - at) < timedelta(minutes=5)
    assert cms_verify(data, at=at, trusted=[ossl.signer.certificate]).content == CONTENT
    with pytest.raises(CmsSignerUntrusted):  # the right key, but neither trusted nor under a known root
        cms_verify(data, at=at, roots=[ossl.ec.certificate])


def test_flipped_signature_byte_is_an_invalid_signature(world: Pki, signed: bytes) -> None:
    # The file ends with the signature's OCTET STRING, whose last byte is the last byte of s.
    tampered = signed[:-1] + bytes([signed[-1] ^ 0x01])
    with pytest.raises(CmsSignatureInvalid, match="signature"):
        cms_verify(tampered, at=SIGNED_AT, roots=[world.root])


def test_changed_content_is_an_invalid_digest(world: Pki, signed: bytes) -> None:
    index = signed.index(CONTENT[:40])
    tampered = signed[:index] + b"X" + signed[index + 1 :]
    with pytest.raises(CmsSignatureInvalid, match="messageDigest"):
        cms_verify(tampered, at=SIGNED_AT, roots=[world.root])


def test_wrong_trusted_certificate_or_root_is_untrusted(world: Pki, other_world: Pki, signed: bytes) -> None:
    with pytest.raises(CmsSignerUntrusted):
        cms_verify(signed, at=SIGNED_AT, trusted=[world.ds2])
    with pytest.raises(CmsSignerUntrusted):
        cms_verify(signed, at=SIGNED_AT, roots=[other_world.root])
    with pytest.raises(CmsSignerUntrusted):
        cms_verify(signed, at=SIGNED_AT)


def test_signer_outside_its_validity_is_untrusted(world: Pki, signed: bytes) -> None:
    with pytest.raises(CmsSignerUntrusted, match="not valid"):
        cms_verify(signed, at=T0 - timedelta(days=1), roots=[world.root])
    with pytest.raises(CmsSignerUntrusted, match="not valid"):
        cms_verify(signed, at=T0 + timedelta(days=3651), trusted=[world.ds])


def test_certificate_not_for_signing_is_untrusted(world: Pki) -> None:
    # The root's own key signs (keyCertSign only): RFC 5280 §4.2.1.3 forbids it verifying content.
    der = cms_sign(
        store=world.store,
        signer_label=world.root_label,
        signer_cert=world.root,
        content=CONTENT,
        signed_at=SIGNED_AT,
    )
    with pytest.raises(CmsSignerUntrusted, match="key usage"):
        cms_verify(der, at=SIGNED_AT, trusted=[world.root])


def test_truncated_signed_data_is_a_format_error(world: Pki, signed: bytes) -> None:
    for size in (0, 1, 10, len(signed) // 2, len(signed) - 1):
        with pytest.raises(CmsFormatError):
            cms_verify(signed[:size], at=SIGNED_AT, roots=[world.root])
    with pytest.raises(CmsFormatError):
        cms_verify(signed + b"\x00", at=SIGNED_AT, roots=[world.root])  # trailing bytes


def test_an_envelope_is_not_signed_data(world: Pki, ossl: OpenSslWorld) -> None:
    with pytest.raises(CmsFormatError, match="signed_data"):
        cms_verify(
            cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW), at=SIGNED_AT, roots=[world.root]
        )


# --- AuthEnvelopedData: ours, opened by OpenSSL ---------------------------------------------------------


@pytest.mark.parametrize("who", ["ec", "rsa"])
def test_openssl_decrypts_our_envelope(tmp_path: Path, ossl: OpenSslWorld, who: str) -> None:
    party: Party = getattr(ossl, who)
    (tmp_path / "env.der").write_bytes(cms_encrypt(CONTENT, recipient=party.certificate, at=NOW))
    _ok(
        _openssl(
            "cms", "-decrypt", "-inform", "DER", "-in", "env.der", "-recip", str(party.cert_path),
            "-inkey", str(party.key_path), "-binary", "-out", "plain.bin", cwd=tmp_path,
        )
    )  # fmt: skip
    assert (tmp_path / "plain.bin").read_bytes() == CONTENT
    printed = _ok(_openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", "env.der", cwd=tmp_path))
    text = printed.stdout.decode()
    assert "aes-256-gcm" in text
    assert (
        ("dhSinglePass-stdDH-sha256kdf-scheme" in text and "id-aes256-wrap" in text)
        if who == "ec"
        else ("rsaesOaep" in text and "sha256" in text)
    )


def test_openssl_refuses_our_envelope_for_another_key(tmp_path: Path, ossl: OpenSslWorld) -> None:
    (tmp_path / "env.der").write_bytes(cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW))
    result = _openssl(
        "cms", "-decrypt", "-inform", "DER", "-in", "env.der", "-recip", str(ossl.ec_other.cert_path),
        "-inkey", str(ossl.ec_other.key_path), "-binary", "-out", "plain.bin", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode != 0


def test_each_envelope_has_a_fresh_key_and_nonce(ossl: OpenSslWorld) -> None:
    first = cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW)
    second = cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW)
    assert first != second
    assert CONTENT[:64] not in first


# --- AuthEnvelopedData: OpenSSL's and ours, opened by cms_decrypt ---------------------------------------


@pytest.mark.parametrize(
    ("who", "options"),
    [
        ("ec", []),  # OpenSSL's default KDF: dhSinglePass-stdDH-sha1kdf-scheme
        ("ec", ["-keyopt", "ecdh_kdf_md:sha256"]),
        ("rsa", ["-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256"]),
    ],
)
def test_decrypt_openssl_envelope(tmp_path: Path, ossl: OpenSslWorld, who: str, options: list[str]) -> None:
    party: Party = getattr(ossl, who)
    (tmp_path / "plain.bin").write_bytes(CONTENT)
    _ok(
        _openssl(
            "cms", "-encrypt", "-aes-256-gcm", "-binary", "-in", "plain.bin", "-outform", "DER",
            "-out", "env.der", "-recip", str(party.cert_path), *options, cwd=tmp_path,
        )
    )  # fmt: skip
    data = (tmp_path / "env.der").read_bytes()
    assert cms_decrypt(data, private_key=party.private_key, certificate=party.certificate) == CONTENT


@pytest.mark.parametrize("who", ["ec", "rsa"])
def test_round_trip(ossl: OpenSslWorld, who: str) -> None:
    party: Party = getattr(ossl, who)
    for content in (b"", b"x", CONTENT):
        data = cms_encrypt(content, recipient=party.certificate, at=NOW)
        assert cms_decrypt(data, private_key=party.private_key, certificate=party.certificate) == content


@pytest.fixture(scope="module")
def envelope(ossl: OpenSslWorld) -> bytes:
    return cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW)


def test_tampered_ciphertext_fails_the_tag(ossl: OpenSslWorld, envelope: bytes) -> None:
    # The encrypted content precedes the 16-byte mac OCTET STRING (18 bytes) at the end of the file.
    index = len(envelope) - 18 - 100
    tampered = envelope[:index] + bytes([envelope[index] ^ 0x80]) + envelope[index + 1 :]
    with pytest.raises(CmsDecryptFailed, match="tag"):
        cms_decrypt(tampered, private_key=ossl.ec.private_key, certificate=ossl.ec.certificate)
    tag_flipped = envelope[:-1] + bytes([envelope[-1] ^ 0x01])
    with pytest.raises(CmsDecryptFailed):
        cms_decrypt(tag_flipped, private_key=ossl.ec.private_key, certificate=ossl.ec.certificate)


def test_tampered_wrapped_key_fails_to_unwrap(ossl: OpenSslWorld, envelope: bytes) -> None:
    info = a_cms.ContentInfo.load(envelope)
    kari = info["content"]["recipient_infos"][0].chosen
    wrapped = kari["recipient_encrypted_keys"][0]["encrypted_key"].native
    tampered = envelope.replace(wrapped, bytes([wrapped[0] ^ 1]) + wrapped[1:])
    with pytest.raises(CmsDecryptFailed, match="unwrap"):
        cms_decrypt(tampered, private_key=ossl.ec.private_key, certificate=ossl.ec.certificate)


def test_another_recipient_is_not_addressed(ossl: OpenSslWorld, envelope: bytes) -> None:
    with pytest.raises(CmsNotForRecipient, match="not addressed"):
        cms_decrypt(envelope, private_key=ossl.ec_other.private_key, certificate=ossl.ec_other.certificate)
    with pytest.raises(CmsNotForRecipient, match="not the key"):  # the right certificate, another key
        cms_decrypt(envelope, private_key=ossl.ec_other.private_key, certificate=ossl.ec.certificate)
    with pytest.raises(CmsNotForRecipient):  # an RSA recipient cannot open an ECDH entry
        cms_decrypt(envelope, private_key=ossl.rsa.private_key, certificate=ossl.rsa.certificate)


def test_truncated_envelope_is_a_format_error(ossl: OpenSslWorld, envelope: bytes) -> None:
    for size in (0, 5, len(envelope) // 2, len(envelope) - 1):
        with pytest.raises(CmsFormatError):
            cms_decrypt(envelope[:size], private_key=ossl.ec.private_key, certificate=ossl.ec.certificate)


def test_signed_data_is_not_an_envelope(ossl: OpenSslWorld, signed: bytes) -> None:
    with pytest.raises(CmsFormatError):
        cms_decrypt(signed, private_key=ossl.ec.private_key, certificate=ossl.ec.certificate)


def test_encrypt_refuses_an_expired_or_signing_only_recipient(world: Pki, ossl: OpenSslWorld) -> None:
    with pytest.raises(CmsNotForRecipient, match="not valid"):
        cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW + timedelta(days=31))
    with pytest.raises(CmsNotForRecipient, match="key agreement"):  # the DS: keyUsage digitalSignature only
        cms_encrypt(CONTENT, recipient=world.ds, at=SIGNED_AT)


# --- arbitrary bytes: CmsError only -------------------------------------------------------------------------


def _mutations() -> st.SearchStrategy[tuple[int, int, int]]:
    return st.tuples(st.integers(0, 10**6), st.integers(1, 255), st.integers(0, 3))


def _mutate(data: bytes, index: int, xor: int, mode: int) -> bytes:
    i = index % len(data)
    if mode == 0:
        return data[:i] + bytes([data[i] ^ xor]) + data[i + 1 :]
    if mode == 1:
        return data[:i]
    if mode == 2:
        return data[:i] + data[i + 1 :]
    return data[:i] + bytes([xor]) + data[i:]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=300), mutation=_mutations())
def test_verify_raises_only_cms_errors(
    world: Pki, signed: bytes, junk: bytes, mutation: tuple[int, int, int]
) -> None:
    for data in (junk, b"\x30\x82" + junk, _mutate(signed, *mutation)):
        with contextlib.suppress(CmsError):
            cms_verify(data, at=SIGNED_AT, roots=[world.root])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(junk=st.binary(max_size=300), mutation=_mutations())
def test_decrypt_raises_only_cms_errors(
    ossl: OpenSslWorld, envelope: bytes, junk: bytes, mutation: tuple[int, int, int]
) -> None:
    key, certificate = ossl.ec.private_key, ossl.ec.certificate
    for data in (junk, b"\x30\x82" + junk, _mutate(envelope, *mutation)):
        with contextlib.suppress(CmsError):
            cms_decrypt(data, private_key=key, certificate=certificate)


def test_hand_assembled_frames_are_asn1crypto_der(world: Pki, signed: bytes, ossl: OpenSslWorld) -> None:
    # cms_sign and cms_encrypt assemble the outer frames by hand (for speed): re-encoding every parsed
    # field with asn1crypto must give the same bytes.
    for data in (
        signed,
        cms_encrypt(CONTENT, recipient=ossl.ec.certificate, at=NOW),
        cms_encrypt(b"", recipient=ossl.rsa.certificate, at=NOW),
        cms_sign(
            store=world.store,
            signer_label=world.ds_label,
            signer_cert=world.ds,
            content=b"\x30\x00",
            signed_at=SIGNED_AT,
            content_type="1.3.6.1.4.1.32473.1.9",
            extra_certs=[world.root],
        ),
    ):
        parsed = a_cms.ContentInfo.load(data, strict=True)
        parsed["content"].native  # noqa: B018 - parses every field
        assert parsed.dump(force=True) == data
