"""Opening the signing authority: the directory, the key store, and which document signer signs now."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from partycard.core.signing import (
    AuthorityMissing,
    KeyStoreUnavailable,
    NoUsableSigner,
    document_signer_current,
    pki_directory,
    pki_keystore_open,
)
from partycard.trust.authority import authority_init, authority_revoke, authority_rollover
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import T0


def test_the_newest_signer_inside_its_usage_period_signs(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"test passphrase")
    with pytest.raises(AuthorityMissing, match="pki init"):
        document_signer_current(directory=tmp_path, at=T0)
    authority_init(store=store, directory=tmp_path, now=T0)
    first = document_signer_current(directory=tmp_path, at=T0 + timedelta(days=89))
    assert first.label == "ds-1"
    assert first.serial == f"{first.certificate.serial_number:x}"

    later = T0 + timedelta(days=100)  # ds-1's 90-day private key usage period is over
    with pytest.raises(NoUsableSigner, match="partycard pki rollover") as e:
        document_signer_current(directory=tmp_path, at=later)
    assert e.value.reason == "no_usable_signer" and "rollover" in e.value.message_vi

    authority_rollover(store=store, directory=tmp_path, now=later)
    second = document_signer_current(directory=tmp_path, at=later)
    assert second.label == "ds-2"
    authority_revoke(
        store=store,
        directory=tmp_path,
        serial=second.certificate.serial_number,
        now=later,
        reason=x509.ReasonFlags.key_compromise,
    )
    with pytest.raises(NoUsableSigner):  # revoked: never signs again, even inside its period
        document_signer_current(directory=tmp_path, at=later)


def test_a_missing_certificate_or_a_damaged_state_is_no_authority(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"test passphrase")
    authority_init(store=store, directory=tmp_path, now=T0)
    (tmp_path / "ds-1.pem").unlink()
    with pytest.raises(AuthorityMissing, match="ds-1"):
        document_signer_current(directory=tmp_path, at=T0)
    (tmp_path / "state.json").write_text("{}", encoding="utf-8")
    with pytest.raises(AuthorityMissing, match="damaged"):
        document_signer_current(directory=tmp_path, at=T0)


def test_the_key_store_opens_only_with_its_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    assert pki_directory() == tmp_path
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "short")
    with pytest.raises(KeyStoreUnavailable, match="PARTYCARD_PKI_PASSPHRASE"):
        pki_keystore_open()
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    with pytest.raises(KeyStoreUnavailable, match="missing"):
        pki_keystore_open()  # no store yet, and only `pki init` (create=True) makes one
    pki_keystore_open(create=True).generate("k")
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "another long passphrase")
    with pytest.raises(KeyStoreUnavailable, match="cannot open"):
        pki_keystore_open()


def test_without_a_directory_the_authority_is_under_var(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    monkeypatch.delenv("PARTYCARD_PKI_DIR", raising=False)
    assert pki_directory() == Path(settings.VAR_DIR) / "pki"
