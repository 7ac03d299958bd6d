"""``partycard pki keys-upgrade``: every key file still under PBKDF2 (written before scrypt) is
re-encrypted with the store's scrypt cost, the keys unchanged, with one audit row naming them."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import call_command

from partycard.audit.models import AuditEvent
from partycard.trust.keystore.file import pkcs8_scrypt
from tests.credentials.conftest import PASSPHRASE

pytestmark = pytest.mark.django_db


def test_keys_upgrade_reencrypts_pbkdf2_files(authority: Path) -> None:
    keys = authority / "keys"
    for label in ("ds-1", "root"):  # made PBKDF2 files again, as FileKeyStore wrote them before
        path = keys / f"{label}.key.pem"
        key = serialization.load_pem_private_key(path.read_bytes(), PASSPHRASE.encode())
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(PASSPHRASE.encode()),
            )
        )
    before = {
        p.name: serialization.load_pem_private_key(p.read_bytes(), PASSPHRASE.encode())
        for p in keys.iterdir()
    }
    out = io.StringIO()
    call_command("pki", "keys-upgrade", stdout=out)
    assert "re-encrypted" in out.getvalue()
    assert all(pkcs8_scrypt(p.read_bytes()) is not None for p in keys.iterdir())
    assert all(oct(os.stat(p).st_mode & 0o777) == "0o600" for p in keys.iterdir())
    after = {
        p.name: serialization.load_pem_private_key(p.read_bytes(), PASSPHRASE.encode())
        for p in keys.iterdir()
    }
    assert {n: k.private_numbers() for n, k in after.items()} == {
        n: k.private_numbers() for n, k in before.items()
    }  # type: ignore[union-attr]
    event = AuditEvent.objects.filter(action="pki.keys_upgrade").get()
    upgraded = event.changes["keys_upgraded"][1]
    # The store's first key (ds-1) was already migrated when the command opened the store.
    assert set(upgraded) <= {"ds-1", "root"} and "root" in upgraded
    call_command("pki", "publish", stdout=io.StringIO())  # the keys still sign
