"""seal / unseal and sign_report / verify_report on a file-store PKI: the batch reaches only the
manufacturer, only from a document signer under our root, and every refusal has its own error."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from partycard.batches import (
    BatchDecryptError,
    BatchError,
    BatchFormatError,
    BatchSignatureError,
    batch_decode,
    batch_encode,
    seal,
    sign_report,
    unseal,
    verify_report,
)
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.pki import manufacturer_issue as pki_issue
from tests.batches import samples
from tests.trust.conftest import T0, Pki, make_pki

AT = T0 + timedelta(days=2)


@dataclass(frozen=True)
class Recipient:
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    certificate: x509.Certificate


def _recipient(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, name: str) -> Recipient:
    """A manufacturer's encryption certificate (self-issued here: unseal trusts the signer, not this)."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    agreement = isinstance(key, ec.EllipticCurvePrivateKey)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(T0)
        .not_valid_after(T0 + timedelta(days=365))
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=not agreement,
                data_encipherment=False,
                key_agreement=agreement,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return Recipient(key, certificate)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(FileKeyStore(tmp_path_factory.mktemp("keys"), b"sealing test passphrase"))


@pytest.fixture(scope="module")
def factory() -> Recipient:
    return _recipient(ec.generate_private_key(ec.SECP256R1()), "Factory encryption")


@pytest.fixture(scope="module")
def sealed(pki: Pki, factory: Recipient) -> bytes:
    return seal(
        batch_encode(samples.batch(3)),
        store=pki.store,
        signer_label=pki.ds_label,
        signer_cert=pki.ds,
        recipient=factory.certificate,
        at=AT,
    )


def _unseal(data: bytes, pki: Pki, recipient: Recipient) -> bytes:
    return unseal(data, private_key=recipient.key, certificate=recipient.certificate, roots=[pki.root], at=AT)


def test_seal_unseal_round_trip(pki: Pki, factory: Recipient, sealed: bytes) -> None:
    assert batch_decode(_unseal(sealed, pki, factory)) == samples.batch(3)
    assert samples.batch(3).cards[0].print.full_name.encode() not in sealed  # encrypted


def test_seal_to_an_rsa_recipient(pki: Pki) -> None:
    rsa_factory = _recipient(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RSA factory")
    content = b"\xa0"  # any bytes: sealing does not parse the content
    data = seal(
        content,
        store=pki.store,
        signer_label=pki.ds_label,
        signer_cert=pki.ds,
        recipient=rsa_factory.certificate,
        at=AT,
    )
    assert _unseal(data, pki, rsa_factory) == content


def test_tampered_file_is_a_decrypt_error(pki: Pki, factory: Recipient, sealed: bytes) -> None:
    index = len(sealed) - 200  # inside the encrypted content, before the 16-byte tag
    tampered = sealed[:index] + bytes([sealed[index] ^ 0x01]) + sealed[index + 1 :]
    with pytest.raises(BatchDecryptError, match="tag"):
        _unseal(tampered, pki, factory)


def test_wrong_recipient_is_a_decrypt_error(pki: Pki, sealed: bytes) -> None:
    other = _recipient(ec.generate_private_key(ec.SECP256R1()), "Another factory")
    with pytest.raises(BatchDecryptError, match="not addressed"):
        _unseal(sealed, pki, other)


def test_truncated_file_is_a_format_error(pki: Pki, factory: Recipient, sealed: bytes) -> None:
    with pytest.raises(BatchFormatError):
        _unseal(sealed[: len(sealed) // 2], pki, factory)


def test_signer_under_another_root_is_a_signature_error(pki: Pki, factory: Recipient, tmp_path: Path) -> None:
    attacker = make_pki(FileKeyStore(tmp_path / "keys", b"attacker passphrase"), cn="CSCA Attacker")
    forged = seal(
        b"forged",
        store=attacker.store,
        signer_label=attacker.ds_label,
        signer_cert=attacker.ds,
        recipient=factory.certificate,
        at=AT,
    )
    with pytest.raises(BatchSignatureError, match="neither trusted nor issued"):
        _unseal(forged, pki, factory)


def test_a_signer_that_is_not_a_document_signer_is_refused(pki: Pki, factory: Recipient) -> None:
    # The trust-list signer is issued by the same root but carries no document type: it may not seal...
    with pytest.raises(BatchSignatureError, match="not a document signer"):
        seal(
            b"x",
            store=pki.store,
            signer_label=pki.tl_label,
            signer_cert=pki.tl_signer,
            recipient=factory.certificate,
            at=AT,
        )
    # ...and what it signs anyway (a SignedData made without seal's check) is refused by unseal.
    from partycard.trust.cms import cms_encrypt, cms_sign

    signed = cms_sign(
        store=pki.store, signer_label=pki.tl_label, signer_cert=pki.tl_signer, content=b"x", signed_at=AT
    )
    with pytest.raises(BatchSignatureError, match="not a document signer"):
        _unseal(cms_encrypt(signed, recipient=factory.certificate, at=AT), pki, factory)


def test_document_signer_outside_its_key_usage_period_is_refused(pki: Pki, factory: Recipient) -> None:
    late = T0 + timedelta(days=91)  # the DS key signs for 90 days; its certificate lives 10 years
    with pytest.raises(BatchSignatureError, match="usage period"):
        seal(
            b"x",
            store=pki.store,
            signer_label=pki.ds_label,
            signer_cert=pki.ds,
            recipient=factory.certificate,
            at=late,
        )


def test_reports_are_signed_and_verified_against_the_trusted_certificate(pki: Pki) -> None:
    # The manufacturer's signing certificate stands in as pki.ds here; its own profile is tested in trust.
    report = sign_report(b"report", store=pki.store, signer_label=pki.ds_label, signer_cert=pki.ds, at=AT)
    assert verify_report(report, trusted=[pki.ds], at=AT) == b"report"
    with pytest.raises(BatchSignatureError):
        verify_report(report, trusted=[pki.ds2], at=AT)
    flipped = report[:-1] + bytes([report[-1] ^ 1])
    with pytest.raises(BatchSignatureError, match="signature"):
        verify_report(flipped, trusted=[pki.ds], at=AT)
    with pytest.raises(BatchFormatError):
        verify_report(report[:100], trusted=[pki.ds], at=AT)


def test_a_sealed_file_is_not_a_report_and_the_reverse(pki: Pki, factory: Recipient, sealed: bytes) -> None:
    with pytest.raises(BatchFormatError):
        verify_report(sealed, trusted=[pki.ds], at=AT)
    report = sign_report(b"report", store=pki.store, signer_label=pki.ds_label, signer_cert=pki.ds, at=AT)
    with pytest.raises(BatchFormatError):
        _unseal(report, pki, factory)


def test_every_refusal_is_a_batch_error(pki: Pki, factory: Recipient) -> None:
    for junk in (b"", b"\x30\x00", b"\x30\x80\x00\x00", bytes(100)):
        with pytest.raises(BatchError):
            _unseal(junk, pki, factory)
        with pytest.raises(BatchError):
            verify_report(junk, trusted=[pki.ds], at=AT)


# --- with the manufacturer's certificates as trust.pki issues them ------------------------------------------


@dataclass(frozen=True)
class Manufacturer:
    store: FileKeyStore  # the factory's own key store, holding its signing key
    signing_label: str
    signing: x509.Certificate
    encryption: Recipient


@pytest.fixture(scope="module")
def manufacturer(pki: Pki, tmp_path_factory: pytest.TempPathFactory) -> Manufacturer:
    factory_store = FileKeyStore(tmp_path_factory.mktemp("factory-keys"), b"factory passphrase")
    signing_key = factory_store.generate("factory-sign")
    decryption_key = ec.generate_private_key(ec.SECP256R1())
    signing, encryption = pki_issue(
        store=pki.store,
        root_label=pki.root_label,
        root_cert=pki.root,
        organization="Factory",
        signing_key=signing_key,
        encryption_key=decryption_key.public_key(),
        not_before=T0,
    )
    return Manufacturer(factory_store, "factory-sign", signing, Recipient(decryption_key, encryption))


def test_batch_to_the_manufacturer_encryption_certificate(pki: Pki, manufacturer: Manufacturer) -> None:
    content = batch_encode(samples.batch(2))
    data = seal(
        content,
        store=pki.store,
        signer_label=pki.ds_label,
        signer_cert=pki.ds,
        recipient=manufacturer.encryption.certificate,
        at=AT,
    )
    assert _unseal(data, pki, manufacturer.encryption) == content
    with pytest.raises(BatchDecryptError, match="key agreement"):  # the signing certificate cannot receive
        seal(
            content,
            store=pki.store,
            signer_label=pki.ds_label,
            signer_cert=pki.ds,
            recipient=manufacturer.signing,
            at=AT,
        )


def test_a_manufacturer_certificate_is_not_a_document_signer(pki: Pki, manufacturer: Manufacturer) -> None:
    from partycard.trust.cms import cms_encrypt, cms_sign

    factory_store = manufacturer.store
    with pytest.raises(BatchSignatureError, match="not a document signer"):
        seal(
            b"x",
            store=factory_store,
            signer_label=manufacturer.signing_label,
            signer_cert=manufacturer.signing,
            recipient=manufacturer.encryption.certificate,
            at=AT,
        )
    signed = cms_sign(
        store=factory_store,
        signer_label=manufacturer.signing_label,
        signer_cert=manufacturer.signing,
        content=b"x",
        signed_at=AT,
    )
    sealed = cms_encrypt(signed, recipient=manufacturer.encryption.certificate, at=AT)
    with pytest.raises(BatchSignatureError, match="not a document signer"):
        _unseal(sealed, pki, manufacturer.encryption)
    # Its reports verify against its signing certificate, and a document signer's do not pass as its.
    report = sign_report(
        b"report",
        store=factory_store,
        signer_label=manufacturer.signing_label,
        signer_cert=manufacturer.signing,
        at=AT,
    )
    assert verify_report(report, trusted=[manufacturer.signing], at=AT) == b"report"
    ours = sign_report(b"report", store=pki.store, signer_label=pki.ds_label, signer_cert=pki.ds, at=AT)
    with pytest.raises(BatchSignatureError):
        verify_report(ours, trusted=[manufacturer.signing], at=AT)
