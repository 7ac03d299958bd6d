"""The server's verifier of its own trust list (``core.signing.trust_material``) refuses a rolled-back
``trustlist.json``: one numbered below the authority's last published list, or below one it served."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from partycard.core import signing
from partycard.core.signing import TrustListRolledBack, trust_material
from partycard.trust.authority import authority_init, authority_publish
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import T0


def test_an_older_trust_list_put_back_is_refused(tmp_path: Path) -> None:
    store = FileKeyStore(tmp_path / "keys", b"test passphrase")
    home = tmp_path / "pki"
    authority_init(store=store, directory=home, now=T0)
    shutil.copy(home / "trustlist.json", tmp_path / "first.json")
    authority_publish(store=store, directory=home, now=T0 + timedelta(hours=1))
    signing._trust_cache.clear()
    assert trust_material(directory=home, at=T0 + timedelta(hours=2)).trust.sequence == 2

    shutil.copy(tmp_path / "first.json", home / "trustlist.json")  # e.g. a file restored from a backup
    with pytest.raises(TrustListRolledBack) as refused:
        trust_material(directory=home, at=T0 + timedelta(hours=3))
    assert refused.value.reason == "trust_list_rollback"

    # Without the state (a verifier-only directory), the process still remembers number 2.
    (home / "state.json").unlink()
    with pytest.raises(TrustListRolledBack):
        trust_material(directory=home, at=T0 + timedelta(hours=3))


def test_a_new_authority_in_the_same_directory_starts_its_own_count(tmp_path: Path) -> None:
    home = tmp_path / "pki"
    first = FileKeyStore(tmp_path / "keys", b"test passphrase")
    authority_init(store=first, directory=home, now=T0)
    authority_publish(store=first, directory=home, now=T0 + timedelta(hours=1))
    signing._trust_cache.clear()
    assert trust_material(directory=home, at=T0 + timedelta(hours=1)).trust.sequence == 2
    shutil.rmtree(home)
    authority_init(store=FileKeyStore(tmp_path / "keys2", b"test passphrase"), directory=home, now=T0)
    assert trust_material(directory=home, at=T0 + timedelta(hours=2)).trust.sequence == 1  # a new root
