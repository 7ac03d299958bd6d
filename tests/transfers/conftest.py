"""The transfers' world: the test tree (tests/conftest.py), an authority on disk, the Hà Nội member with a
card in use and a device-bound e-card, and the officers of both sides.

The round trip of the issue runs between two provinces: the member of Hà Nội's cell_a moves to Huế's
grassroots cell; Hà Nội's province officer issues the letter, Huế's cell secretary receives the member.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.core.management import call_command
from django.db import transaction

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.models import Card
from partycard.core import signing
from partycard.credentials import publishing
from partycard.credentials.models import Credential
from partycard.credentials.services import credential_issue
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_parse
from partycard.registry.models import Member
from tests.factories import card_active

PASSPHRASE = "a long test passphrase"


@pytest.fixture
def authority(tmp_path: Path, monkeypatch: Any, db: Any) -> Path:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", PASSPHRASE)
    signing._trust_cache.clear()
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())
    return tmp_path


@dataclass
class ECard:
    credential: Credential
    key: ec.EllipticCurvePrivateKey

    def rotating_qr(self, at: datetime | None = None) -> str:
        """The QR the member's phone shows now (PC1R: the credential and the device's proof)."""
        signed = qr_parse(self.credential.qr).credential
        return device_qr(
            signed, sign=lambda m: self.key.sign(m, ec.ECDSA(hashes.SHA256())), at=at or datetime.now(UTC)
        )


def ecard_for(member: Member) -> tuple[Card, ECard]:
    """A card in use and a device-bound e-card for ``member``."""
    with transaction.atomic():  # card_active writes audit rows: a transactional test has no outer atomic
        card = card_active(member)
    key = ec.generate_private_key(ec.SECP256R1())
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return card, ECard(credential_issue(actor=None, member=member, device_key=spki), key)


def officer(username: str, role: str, organisation: Any) -> User:
    return User.objects.create_user(username, password="mat-khau-dai-1", role=role, organisation=organisation)


@dataclass
class World:
    tree: Any
    member: Member
    card: Card
    ecard: ECard
    hn_province: User  # the sending side: Hà Nội's province officer (issues an inter-province letter)
    hn_cell: User  # cell_a's secretary (drafts)
    hn_grassroots: User
    hue_cell: User  # the receiving side: Huế's grassroots cell secretary
    hue_province: User


@pytest.fixture
def world(tree: Any, make_member: Any, authority: Path) -> World:
    member = make_member(full_name="Hoàng Văn Chuyển")
    card, ecard = ecard_for(member)
    return World(
        tree=tree,
        member=member,
        card=card,
        ecard=ecard,
        hn_province=officer("hn-province", Role.COMMITTEE_OFFICER, tree.hanoi),
        hn_cell=officer("hn-cell", Role.CELL_SECRETARY, tree.cell_a),
        hn_grassroots=officer("hn-grassroots", Role.GRASSROOTS_OFFICER, tree.school),
        hue_cell=officer("hue-cell", Role.CELL_SECRETARY, tree.hue_cell),
        hue_province=officer("hue-province", Role.COMMITTEE_OFFICER, tree.hue),
    )
