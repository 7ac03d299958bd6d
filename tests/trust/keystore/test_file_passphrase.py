"""Changing the file key store's passphrase (issue 19's "rotate keys": ``passphrase_change``): every key
file ends under the new passphrase with the same keys; a wrong current passphrase changes nothing; an
interrupted change is finished by running it again. The files are opened from outside the module
(``cryptography``'s PKCS#8 reader with the passphrase alone, RFC 5958)."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import BadPassphrase
from partycard.trust.keystore import file as file_module
from partycard.trust.keystore.file import FileKeyStore, ScryptParams, passphrase_change

OLD, NEW = b"the old passphrase, long", b"the new passphrase, longer"
LOW = ScryptParams(n=1 << 10, r=8, p=1)
LABELS = ("ds-1", "root", "trust-list")


def _store(directory: Path) -> dict[str, bytes]:
    store = FileKeyStore(directory, OLD, kdf=LOW)
    return {
        label: store.generate(label).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        for label in LABELS
    }


def _opened(directory: Path, passphrase: bytes) -> dict[str, bytes]:
    """Each file opened by cryptography alone: the public key it holds."""
    out = {}
    for path in sorted(directory.glob("*.key.pem")):
        key = serialization.load_pem_private_key(path.read_bytes(), passphrase)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        out[path.name.removesuffix(".key.pem")] = key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    return out


def test_every_key_is_under_the_new_passphrase_and_the_same_key(tmp_path: Path) -> None:
    publics = _store(tmp_path)
    changed, already = passphrase_change(tmp_path, OLD, NEW, kdf=LOW)
    assert (sorted(changed), already) == (sorted(LABELS), [])
    assert _opened(tmp_path, NEW) == publics
    with pytest.raises(ValueError):
        serialization.load_pem_private_key((tmp_path / "root.key.pem").read_bytes(), OLD)
    with pytest.raises(BadPassphrase):
        FileKeyStore(tmp_path, OLD, kdf=LOW)
    reopened = FileKeyStore(tmp_path, NEW, kdf=LOW)
    assert reopened.sign("ds-1", b"data")  # it signs
    assert all((p.stat().st_mode & 0o777) == 0o600 for p in tmp_path.glob("*.key.pem"))


def test_a_wrong_current_passphrase_changes_nothing(tmp_path: Path) -> None:
    _store(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.glob("*.key.pem")}
    with pytest.raises(BadPassphrase, match="neither passphrase"):
        passphrase_change(tmp_path, b"not the passphrase at all", NEW, kdf=LOW)
    assert {p.name: p.read_bytes() for p in tmp_path.glob("*.key.pem")} == before
    with pytest.raises(ValueError, match="the old one"):
        passphrase_change(tmp_path, OLD, OLD, kdf=LOW)


def test_an_interrupted_change_is_finished_by_running_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    publics = _store(tmp_path)
    real = file_module.private_file_replace
    written: list[Path] = []

    def crash_after_one(path: Path, content: bytes) -> None:
        if written:
            raise OSError("the machine went down")
        written.append(path)
        real(path, content)

    monkeypatch.setattr(file_module, "private_file_replace", crash_after_one)
    with pytest.raises(OSError, match="went down"):
        passphrase_change(tmp_path, OLD, NEW, kdf=LOW)
    monkeypatch.setattr(file_module, "private_file_replace", real)
    (done,) = written
    # Mixed now: one file under the new passphrase, the rest under the old.
    assert serialization.load_pem_private_key(done.read_bytes(), NEW)
    changed, already = passphrase_change(tmp_path, OLD, NEW, kdf=LOW)
    assert already == [done.name.removesuffix(".key.pem")] and len(changed) == len(LABELS) - 1
    assert _opened(tmp_path, NEW) == publics
    assert passphrase_change(tmp_path, OLD, NEW, kdf=LOW) == (
        [],
        sorted(LABELS),
    )  # a third run: nothing to do


def test_a_pbkdf2_file_from_before_scrypt_is_changed_too(tmp_path: Path) -> None:
    publics = _store(tmp_path)
    path = tmp_path / "root.key.pem"
    key = serialization.load_pem_private_key(path.read_bytes(), OLD)
    path.write_bytes(
        key.private_bytes(  # type: ignore[union-attr]
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(OLD),
        )
    )
    passphrase_change(tmp_path, OLD, NEW, kdf=LOW)
    assert _opened(tmp_path, NEW) == publics
