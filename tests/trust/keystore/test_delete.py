"""Deleting a key (the orphaned chip keys' cleanup, exchange/services/chip_keys.py) on both stores: the
key is gone (no signature, no public key, not listed), the others are untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import KeyNotFound
from partycard.trust.keystore.file import FileKeyStore, ScryptParams

from .conftest import SoftHsm

PASS = b"correct horse battery staple"


def test_file_store_delete(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path, PASS, kdf=ScryptParams(n=1 << 10, r=8, p=1))
    keep = store.generate("keep")
    store.generate("chip-case-1")
    made = store.created_at("chip-case-1")
    assert abs(made - datetime.now(UTC)) < timedelta(minutes=1)
    store.delete("chip-case-1")
    assert store.labels() == ["keep"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.key.pem"]
    for call in (store.delete, store.public_key, store.created_at):
        with pytest.raises(KeyNotFound):
            call("chip-case-1")
    with pytest.raises(KeyNotFound):
        store.sign("chip-case-1", b"d")  # not from the store's cache either
    keep.verify(store.sign("keep", b"d"), b"d", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(KeyNotFound):
        FileKeyStore(tmp_path, PASS).sign("chip-case-1", b"d")


def test_pkcs11_store_delete(softhsm: SoftHsm) -> None:
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    store = Pkcs11KeyStore(softhsm.module_path, softhsm.token_label, softhsm.user_pin)
    try:
        keep = store.generate("delete-keep")
        store.generate("delete-me")
        store.sign("delete-me", b"d")  # its handle is cached now
        store.delete("delete-me")
        assert "delete-me" not in store.labels() and "delete-keep" in store.labels()
        with pytest.raises(KeyNotFound):
            store.sign("delete-me", b"d")
        with pytest.raises(KeyNotFound):
            store.public_key("delete-me")  # the public half went too
        with pytest.raises(KeyNotFound):
            store.delete("delete-me")
        keep.verify(store.sign("delete-keep", b"d"), b"d", ec.ECDSA(hashes.SHA256()))
    finally:
        store.close()
