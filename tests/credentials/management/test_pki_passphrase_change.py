"""``partycard pki passphrase-change``: the file key store re-encrypted under the passphrase of
``PARTYCARD_PKI_NEW_PASSPHRASE``; the authority then opens and signs with the new one only; one audit row
that names the keys and holds neither passphrase. Refused without the new passphrase, with a short one,
and for an HSM."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partycard.audit.models import AuditEvent
from partycard.core.signing import KeyStoreUnavailable, pki_keystore_open
from tests.credentials.conftest import PASSPHRASE

pytestmark = pytest.mark.django_db

NEW = "a brand new passphrase for the store"


def test_the_store_moves_to_the_new_passphrase(authority: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    labels = sorted(pki_keystore_open().labels())
    monkeypatch.setenv("PARTYCARD_PKI_NEW_PASSPHRASE", NEW)
    out = io.StringIO()
    call_command("pki", "passphrase-change", stdout=out)
    assert f"{len(labels)} key file(s) re-encrypted" in out.getvalue()

    with pytest.raises(KeyStoreUnavailable):
        pki_keystore_open()  # the old passphrase no longer opens it
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", NEW)
    assert sorted(pki_keystore_open().labels()) == labels
    call_command("pki", "publish", stdout=io.StringIO())  # the keys sign under the new passphrase

    event = AuditEvent.objects.get(action="pki.passphrase_change")
    assert sorted(event.changes["keys_reencrypted"][1]) == labels
    assert PASSPHRASE not in str(event.changes) and NEW not in str(event.changes)


def test_refusals_say_why_and_change_nothing(authority: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = authority / "keys"
    before = {p.name: p.read_bytes() for p in keys.iterdir()}
    monkeypatch.delenv("PARTYCARD_PKI_NEW_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    with pytest.raises(CommandError, match="PARTYCARD_PKI_NEW_PASSPHRASE"):
        call_command("pki", "passphrase-change")
    monkeypatch.setenv("PARTYCARD_PKI_NEW_PASSPHRASE", "short")
    with pytest.raises(CommandError, match="12 characters"):
        call_command("pki", "passphrase-change")
    monkeypatch.setenv("PARTYCARD_PKI_NEW_PASSPHRASE", PASSPHRASE)
    with pytest.raises(CommandError, match="the old one"):
        call_command("pki", "passphrase-change")
    monkeypatch.setenv("PARTYCARD_PKI_NEW_PASSPHRASE", NEW)
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "not the current passphrase")
    with pytest.raises(CommandError, match="neither passphrase"):
        call_command("pki", "passphrase-change")
    monkeypatch.setenv("PARTYCARD_PKI_PKCS11_MODULE", "/usr/lib/softhsm/libsofthsm2.so")
    with pytest.raises(CommandError, match="HSM"):
        call_command("pki", "passphrase-change")
    assert {p.name: p.read_bytes() for p in keys.iterdir()} == before
    assert not AuditEvent.objects.filter(action="pki.passphrase_change").exists()
