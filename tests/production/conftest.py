"""A production world: the Party's signing authority, a card manufacturer certified by it (the real
``partycard-factory`` in a temporary directory), and members of the test tree with accepted cards."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partycard.cards.models import Card
from partycard.cards.services import Allocation, cards_allocate
from partycard.core import clock
from partycard.core.signing import manufacturer_current, pki_directory
from partycard.exchange.services.card_numbers import card_numbers_allocate
from partycard.factory.cli import PASSPHRASE_ENV
from partycard.factory.cli import main as factory_main
from partycard.factory.workshop import Factory, factory_open
from partycard.registry.choices import Gender
from tests.exchange.conftest import officers  # noqa: F401 - the exchange's, shared

FACTORY_PASSPHRASE = "factory passphrase for tests"


@dataclass
class World:
    pki: Path
    factory_dir: Path
    production: Path
    cards: list[Card]

    def factory(self) -> Factory:
        return factory_open(self.factory_dir, passphrase=FACTORY_PASSPHRASE.encode())

    def run_factory(self, *args: str) -> int:
        return factory_main([*args])


def allocate(members: list[Any]) -> list[Card]:
    numbers = card_numbers_allocate(len(members))
    return cards_allocate(
        actor=None,
        allocations=[
            Allocation(number=n, case_id=None, member_id=m.pk, path=m.organisation.path)
            for n, m in zip(numbers, members, strict=True)
        ],
    )


@pytest.fixture
def world(tree: Any, make_member: Any, tmp_path: Path, monkeypatch: Any, settings: Any) -> World:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path / "pki"))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    monkeypatch.setenv(PASSPHRASE_ENV, FACTORY_PASSPHRASE)
    settings.PARTYCARD = {
        **settings.PARTYCARD,
        "PRODUCTION_DIR": str(tmp_path / "production"),
        "JOB_CHUNK_SIZE": 2,  # several chunks per batch, so resuming is exercised
        "CHIP_PLACEHOLDER_PHOTO": True,
    }
    call_command("pki", "init", stdout=io.StringIO())
    factory_dir = tmp_path / "factory"
    assert factory_main(["init", str(factory_dir), "--organization", "Nhà máy in thẻ Thử nghiệm"]) == 0
    requests = factory_dir / "requests"
    call_command(
        "pki",
        "manufacturer",
        "--organization",
        "Nhà máy in thẻ Thử nghiệm",
        "--signing-key",
        str(requests / "signing.pub.pem"),
        "--encryption-key",
        str(requests / "encryption.pub.pem"),
        stdout=io.StringIO(),
    )
    maker = manufacturer_current(pki_directory(), clock.now())
    assert maker is not None
    from cryptography.hazmat.primitives.serialization import Encoding

    for name, cert in (("signing.pem", maker.signing), ("encryption.pem", maker.encryption)):
        (tmp_path / name).write_bytes(cert.public_bytes(Encoding.PEM))
    assert (
        factory_main(
            [
                "trust",
                str(factory_dir),
                "--root",
                str(tmp_path / "pki" / "root.pem"),
                "--signing-cert",
                str(tmp_path / "signing.pem"),
                "--encryption-cert",
                str(tmp_path / "encryption.pem"),
            ]
        )
        == 0
    )
    members = [
        make_member(
            tree.cell_a,
            full_name="Nguyễn Thị Thanh Hương",
            gender=Gender.FEMALE,
            citizen_id="001180000001",
            old_card_number="11111111",
        ),
        make_member(
            tree.cell_a, full_name="Đặng Văn Ất", citizen_id="001080000002", old_card_number="22222222"
        ),
        make_member(
            tree.cell_b, full_name="Trần Quốc Toản", citizen_id="001080000003", old_card_number="33333333"
        ),
        make_member(
            tree.hue_cell,
            full_name="Lê Thị Huế",
            gender=Gender.FEMALE,
            citizen_id="001180000004",
            old_card_number="44444444",
        ),
    ]
    return World(tmp_path / "pki", factory_dir, tmp_path / "production", allocate(members))
