"""The e-card tests' world (tests/ecard/world.py) on one FileKeyStore per session."""

from __future__ import annotations

import pytest

from partycard.trust.keystore.file import FileKeyStore
from tests.ecard.world import QrWorld, build_qr_world


@pytest.fixture(scope="session")
def ecard_store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    return FileKeyStore(tmp_path_factory.mktemp("ecard-keys"), b"test passphrase")


@pytest.fixture(scope="session")
def ecard_world(ecard_store: FileKeyStore) -> QrWorld:
    return build_qr_world(ecard_store, "ec")
