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
