"""The meetings' fixtures: the signing authority, a cell secretary, and members holding a device-bound
e-card whose rotating QR the tests produce with the device key, as the member's phone would."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction

from partycard.credentials.models import Credential
from partycard.credentials.services import credential_issue
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_parse
from tests.credentials.conftest import authority
from tests.exchange.conftest import card_holder, officers
from tests.factories import card_active

__all__ = ["Phone", "authority", "holder", "officers"]


@dataclass
class Phone:
    """A member's phone: their device key and the e-card bound to it."""

    member: Any
    key: ec.EllipticCurvePrivateKey
    credential: Credential

    def qr(self, at: datetime) -> str:
        """The rotating QR the phone shows at ``at``."""
        return device_qr(
            qr_parse(self.credential.qr).credential,
            sign=lambda data: self.key.sign(data, ec.ECDSA(hashes.SHA256())),
            at=at,
        )


@pytest.fixture
def holder(authority: Any, make_member: Any) -> Any:
    """``holder(**member fields)``: an official member with a card in use and a device-bound e-card."""

    def make(**overrides: Any) -> Phone:
        member = card_holder(make_member, **overrides)
        with (
            transaction.atomic()
        ):  # the allocation audits in its writer's transaction (live-server tests too)
            card_active(member)
        key = ec.generate_private_key(ec.SECP256R1())
        spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
        return Phone(member, key, credential_issue(actor=None, member=member, device_key=spki))

    return make
