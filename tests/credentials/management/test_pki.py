"""``partycard pki``: refuses without a passphrase, creates the authority, revokes by serial, audits."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from partycard.audit.models import AuditEvent
from partycard.trust.trustlist import trustlist_verify

pytestmark = pytest.mark.django_db


def test_pki_init_then_revoke(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.delenv("PARTYCARD_PKI_PASSPHRASE", raising=False)
    with pytest.raises(CommandError, match="PARTYCARD_PKI_PASSPHRASE"):
        call_command("pki", "init")
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    out = io.StringIO()
    call_command("pki", "init", stdout=out)
    assert "document-signer" in out.getvalue() and "trustlist-signer" in out.getvalue()
    root = x509.load_pem_x509_certificate((tmp_path / "root.pem").read_bytes())
    signer = x509.load_pem_x509_certificate((tmp_path / "ds-1.pem").read_bytes())
    call_command("pki", "revoke", f"{signer.serial_number:x}", stdout=io.StringIO())
    listed = trustlist_verify((tmp_path / "trustlist.json").read_bytes(), root, signer.not_valid_before_utc)
    assert listed.is_revoked(signer)
    assert list(AuditEvent.objects.filter(action__startswith="pki.").values_list("action", flat=True)) == [
        "pki.init",
        "pki.revoke",
    ]
    with pytest.raises(CommandError, match="already"):
        call_command("pki", "init")


def test_rollover_and_revoke_rows_name_the_serial_reason_and_new_signer(
    tmp_path: Path, monkeypatch: Any
) -> None:
    """Issue 12: the audit row of ``pki revoke`` and ``pki rollover`` named neither the serial, the reason nor
    the new signer."""
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    first = x509.load_pem_x509_certificate((tmp_path / "ds-1.pem").read_bytes())
    call_command("pki", "rollover", stdout=io.StringIO())
    second = x509.load_pem_x509_certificate((tmp_path / "ds-2.pem").read_bytes())
    call_command("pki", "revoke", f"{first.serial_number:x}", "--reason", "superseded", stdout=io.StringIO())
    init, rollover, revoke = AuditEvent.objects.filter(action__startswith="pki.").order_by("seq")

    assert sorted(s["label"] for s in init.changes["signers_issued"][1]) == ["ds-1", "trustlist-1"]
    assert (rollover.object_type, rollover.object_id) == ("trust.signer", f"{second.serial_number:x}")
    (issued,) = rollover.changes["signers_issued"][1]
    assert (issued["label"], issued["serial"], issued["role"]) == (
        "ds-2",
        f"{second.serial_number:x}",
        "document-signer",
    )
    assert rollover.changes["crl_number"] == [1, 2]
    assert (revoke.object_type, revoke.object_id) == ("trust.signer", f"{first.serial_number:x}")
    (revoked,) = revoke.changes["revoked"][1]
    assert (revoked["serial"], revoked["label"], revoked["reason"]) == (
        f"{first.serial_number:x}",
        "ds-1",
        "superseded",
    )
    assert revoke.changes["crl_number"] == [2, 3]
    assert "BEGIN" not in str([init.changes, rollover.changes, revoke.changes])  # no key or certificate


def _write_public(path: Path, key: Any) -> Path:
    from cryptography.hazmat.primitives import serialization

    path.write_bytes(
        key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return path


def test_pki_manufacturer_issues_both_certificates(tmp_path: Path, monkeypatch: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    from partycard.core import clock
    from partycard.core.signing import manufacturer_current
    from partycard.trust.pki import MANUFACTURER_ENCRYPTION, MANUFACTURER_SIGNING, manufacturer_role

    authority = tmp_path / "pki"
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(authority))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    assert manufacturer_current(authority, clock.now()) is None
    signing_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    encryption_key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    sign_pem = _write_public(tmp_path / "sign.pem", signing_key)
    enc_pem = _write_public(tmp_path / "enc.pem", encryption_key)
    out = io.StringIO()
    call_command(
        "pki", "manufacturer", "--organization", "Công ty In thẻ", "--signing-key", str(sign_pem),
        "--encryption-key", str(enc_pem), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    signing_path = authority / "manufacturer-1-signing.pem"
    encryption_path = authority / "manufacturer-1-encryption.pem"
    assert f"signing certificate {signing_path}" in text
    assert f"encryption certificate {encryption_path}" in text
    assert "manufacturer-signing" in text and "manufacturer now:" in text
    signing = x509.load_pem_x509_certificate(signing_path.read_bytes())
    encryption = x509.load_pem_x509_certificate(encryption_path.read_bytes())
    root = x509.load_pem_x509_certificate((authority / "root.pem").read_bytes())
    signing.verify_directly_issued_by(root)
    encryption.verify_directly_issued_by(root)
    assert signing.public_key() == signing_key and encryption.public_key() == encryption_key
    assert (manufacturer_role(signing), manufacturer_role(encryption)) == (
        MANUFACTURER_SIGNING,
        MANUFACTURER_ENCRYPTION,
    )
    current = manufacturer_current(authority, clock.now())
    assert current is not None and (current.signing, current.encryption) == (signing, encryption)
    event = AuditEvent.objects.get(action="pki.manufacturer")
    assert (event.object_type, event.object_id) == ("trust.manufacturer", f"{signing.serial_number:x}")
    assert sorted(s["role"] for s in event.changes["signers_issued"][1]) == [
        "manufacturer-encryption",
        "manufacturer-signing",
    ]
    # Revoking either certificate leaves no current manufacturer; it is on the next CRL.
    call_command("pki", "revoke", f"{encryption.serial_number:x}", stdout=io.StringIO())
    assert manufacturer_current(authority, clock.now()) is None
    crl = x509.load_der_x509_crl((authority / "root.crl").read_bytes())
    assert crl.get_revoked_certificate_by_serial_number(encryption.serial_number) is not None


def test_pki_manufacturer_refuses_bad_keys(tmp_path: Path, monkeypatch: Any) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path / "pki"))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    key = _write_public(tmp_path / "k.pem", ec.generate_private_key(ec.SECP256R1()).public_key())
    p384 = _write_public(tmp_path / "p384.pem", ec.generate_private_key(ec.SECP384R1()).public_key())
    (tmp_path / "junk.pem").write_text("not a key")
    cases = [
        ((key, tmp_path / "missing.pem"), "cannot read"),
        ((tmp_path / "junk.pem", key), "cannot read"),
        ((key, key), "two different keys"),
        ((p384, key), "P-256"),
    ]
    for (signing, encryption), message in cases:
        with pytest.raises(CommandError, match=message):
            call_command(
                "pki", "manufacturer", "--organization", "X", "--signing-key", str(signing),
                "--encryption-key", str(encryption), stdout=io.StringIO(),
            )  # fmt: skip
    assert not list((tmp_path / "pki").glob("manufacturer-*"))
    assert not AuditEvent.objects.filter(action="pki.manufacturer").exists()
