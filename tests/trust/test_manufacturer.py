"""The card manufacturer's certificates (trust.pki.manufacturer_issue): one key per use, our extended key
usage, and no way for a document signer and a manufacturer certificate to pass as each other."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

from partycard.trust import oids, pki
from partycard.trust.errors import PkiParameterError
from tests.trust.conftest import T0, Pki

# Refused on purpose: a key too short to receive the batches.
_WEAK_RSA = rsa.generate_private_key(public_exponent=65537, key_size=1024).public_key()  # noqa: S505


def _ec() -> ec.EllipticCurvePublicKey:
    return ec.generate_private_key(ec.SECP256R1()).public_key()


def _issue(
    world: Pki, encryption_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey, **kw: object
) -> tuple[x509.Certificate, x509.Certificate]:
    return pki.manufacturer_issue(
        store=world.store,
        root_label=world.root_label,
        root_cert=world.root,
        organization="Công ty In thẻ An Ninh",
        signing_key=kw.pop("signing_key", _ec()),  # type: ignore[arg-type]
        encryption_key=encryption_key,
        not_before=T0,
        **kw,  # type: ignore[arg-type]
    )


def _usage(certificate: x509.Certificate) -> x509.KeyUsage:
    value = certificate.extensions.get_extension_for_oid(ExtensionOID.KEY_USAGE).value
    assert isinstance(value, x509.KeyUsage)
    return value


def test_ec_manufacturer_profile(world: Pki) -> None:
    signing_key, encryption_key = _ec(), _ec()
    signing, encryption = _issue(world, encryption_key, signing_key=signing_key)
    for certificate, key in ((signing, signing_key), (encryption, encryption_key)):
        certificate.verify_directly_issued_by(world.root)
        assert certificate.public_key() == key
        assert certificate.not_valid_before_utc == T0
        assert certificate.not_valid_after_utc == T0.replace(year=T0.year + 3)
        assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == (
            "Công ty In thẻ An Ninh"
        )
        basic = certificate.extensions.get_extension_for_oid(ExtensionOID.BASIC_CONSTRAINTS)
        assert basic.critical and basic.value == x509.BasicConstraints(ca=False, path_length=None)
        eku = certificate.extensions.get_extension_for_oid(ExtensionOID.EXTENDED_KEY_USAGE)
        assert eku.critical and list(eku.value) == [oids.MANUFACTURER]  # type: ignore[call-overload]
        assert pki.document_types_of(certificate) == []
    # RFC 5280 §4.2.1.3: one key, one use.
    sign_usage, enc_usage = _usage(signing), _usage(encryption)
    assert sign_usage.digital_signature and not sign_usage.key_agreement and not sign_usage.key_encipherment
    assert enc_usage.key_agreement and not enc_usage.digital_signature and not enc_usage.key_encipherment
    assert pki.manufacturer_role(signing) == pki.MANUFACTURER_SIGNING
    assert pki.manufacturer_role(encryption) == pki.MANUFACTURER_ENCRYPTION


def test_rsa_encryption_certificate_is_for_key_encipherment(world: Pki) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    _, encryption = _issue(world, rsa_key, years=5)
    usage = _usage(encryption)
    assert usage.key_encipherment and not usage.key_agreement and not usage.digital_signature
    assert encryption.not_valid_after_utc == T0.replace(year=T0.year + 5)
    assert pki.manufacturer_role(encryption) == pki.MANUFACTURER_ENCRYPTION


def test_a_document_signer_is_not_a_manufacturer_nor_the_reverse(world: Pki) -> None:
    assert pki.manufacturer_role(world.ds) is None  # no extended key usage
    assert pki.manufacturer_role(world.tl_signer) is None  # another extended key usage
    assert pki.manufacturer_role(world.root) is None
    signing, _ = _issue(world, _ec())
    assert pki.document_types_of(signing) == []  # what batches.unseal requires of a signer


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"years": 0}, "at least one year"),
        ({"signing_key": ec.generate_private_key(ec.SECP384R1()).public_key()}, "P-256"),
        ({"encryption_key": ec.generate_private_key(ec.SECP384R1()).public_key()}, "P-256"),
        ({"encryption_key": _WEAK_RSA}, "2048"),
    ],
)
def test_manufacturer_issue_refuses_weak_or_wrong_parameters(
    world: Pki, change: dict[str, object], message: str
) -> None:
    encryption_key = change.pop("encryption_key", _ec())
    with pytest.raises(PkiParameterError, match=message):
        _issue(world, encryption_key, **change)  # type: ignore[arg-type]


def test_one_key_for_both_uses_is_refused(world: Pki) -> None:
    key = _ec()
    with pytest.raises(PkiParameterError, match="two different keys"):
        _issue(world, key, signing_key=key)


@pytest.mark.skipif(shutil.which("openssl") is None, reason="the openssl command is not installed")
def test_openssl_chains_both_certificates_to_the_root(world: Pki, tmp_path: Path) -> None:
    signing, encryption = _issue(world, _ec())
    pem = serialization.Encoding.PEM
    (tmp_path / "root.pem").write_bytes(world.root.public_bytes(pem))
    for name, certificate in (("signing", signing), ("encryption", encryption)):
        (tmp_path / f"{name}.pem").write_bytes(certificate.public_bytes(pem))
        result = subprocess.run(
            ["openssl", "verify", "-CAfile", "root.pem", "-purpose", "any",
             "-attime", str(int(T0.timestamp()) + 86400), f"{name}.pem"],
            cwd=tmp_path, capture_output=True, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        text = subprocess.run(
            ["openssl", "x509", "-in", f"{name}.pem", "-noout", "-ext", "keyUsage,extendedKeyUsage"],
            cwd=tmp_path, capture_output=True, check=True,
        ).stdout.decode()  # fmt: skip
        assert "1.3.6.1.4.1.32473.1.3" in text
        assert ("Digital Signature" in text) == (name == "signing")
        assert ("Key Agreement" in text) == (name == "encryption")
