"""Fixtures of the chip tests: a real FileKeyStore PKI (as in tests/trust), a member's card and photo."""

from __future__ import annotations

import io
from datetime import date

import pytest
from PIL import Image

from partycard.chip.lds import CardData
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import Pki, make_pki


@pytest.fixture(scope="module")
def chip_store(tmp_path_factory: pytest.TempPathFactory) -> FileKeyStore:
    return FileKeyStore(tmp_path_factory.mktemp("chip-keys"), b"test passphrase")


@pytest.fixture(scope="module")
def chip_pki(chip_store: FileKeyStore) -> Pki:
    return make_pki(chip_store)


@pytest.fixture
def card() -> CardData:
    return CardData(
        card_number="01.234.567",
        full_name="Nguyễn Thị Minh Khai",
        date_of_birth=date(1985, 7, 14),
        gender="F",
        date_admitted=date(2010, 5, 19),
        date_official=date(2011, 5, 19),
        issuing_committee="Đảng ủy phường Ba Đình",
        issue_date=date(2026, 3, 1),
    )


@pytest.fixture(scope="session")
def photo_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 64), (200, 160, 120)).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()
