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
