"""An authority on disk for the e-card tests (``partycard pki init`` in a temporary directory)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partycard.core import signing
from partycard.credentials import publishing

PASSPHRASE = "a long test passphrase"


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: Any, db: Any) -> Path:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", PASSPHRASE)
    signing._trust_cache.clear()
    publishing.caches_clear()  # list ids and versions repeat from one test database to the next
    call_command("pki", "init", stdout=io.StringIO())
    return tmp_path
