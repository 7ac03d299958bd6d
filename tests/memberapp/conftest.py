"""The e-card authority on disk (tests/credentials/conftest.py) and a member holding a card in use, with
their login."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from tests.credentials.conftest import authority
from tests.exchange.conftest import card_holder
from tests.factories import card_active

__all__ = ["authority", "device_key", "holder"]


def device_key() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@pytest.fixture
def holder(make_member: Any) -> Any:
    """An official member of cell A holding their new card, with the member login ``dv-a`` (phone set)."""
    member = card_holder(make_member, full_name="Trần Thị Bích")
    with transaction.atomic():  # the card writers audit inside their caller's transaction
        card_active(member)
    user = User.objects.create_user(
        "dv-a", password="mat-khau-dai-1", role=Role.MEMBER, organisation=member.organisation,
        member=member, phone="0912345678",
    )  # fmt: skip
    return user
