"""The factory's encryption key file (``DIR/encryption-key.pem``) under scrypt, as the key store's files:
made so by ``factory_init``, and a PBKDF2 file from before migrated in place by ``factory_open``."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.factory.errors import PassphraseInvalid
from partycard.factory.workshop import factory_init, factory_open
from partycard.trust.keystore.file import DEFAULT_SCRYPT, pkcs8_scrypt

PASSPHRASE = b"factory kdf test passphrase"
AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_the_encryption_key_is_scrypt_and_a_pbkdf2_one_is_migrated(tmp_path: Path) -> None:
    directory = tmp_path / "factory"
    made = factory_init(directory, organization="Xưởng thử", passphrase=PASSPHRASE, at=AT)
    path = directory / "encryption-key.pem"
    assert pkcs8_scrypt(path.read_bytes()) == DEFAULT_SCRYPT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # As factory_init wrote it before: BestAvailableEncryption (PBES2-PBKDF2), the same key.
    legacy = made.encryption_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(PASSPHRASE),
    )
    path.write_bytes(legacy)
    assert pkcs8_scrypt(legacy) is None
    with pytest.raises(PassphraseInvalid):
        factory_open(directory, passphrase=b"a wrong passphrase, long enough")
    assert path.read_bytes() == legacy  # untouched without the passphrase

    opened = factory_open(directory, passphrase=PASSPHRASE)
    assert pkcs8_scrypt(path.read_bytes()) == DEFAULT_SCRYPT
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert not [p.name for p in directory.iterdir() if "partial" in p.name]
    key = serialization.load_pem_private_key(path.read_bytes(), PASSPHRASE)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert (
        key.private_numbers()
        == made.encryption_key.private_numbers()
        == opened.encryption_key.private_numbers()
    )
