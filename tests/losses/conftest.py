"""Fixtures of the losses tests: the exchange's officers (one at every level of the Hà Nội branch, and
Huế's), a signing authority on disk, and a member of cell_a holding their new card in use, with its
status-list entry (what its chip's DG13 names) and an e-card; photos made with Pillow."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.db import transaction
from PIL import Image

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.cards.models import Card
from partycard.cards.services import card_status_reserve
from partycard.core import clock
from partycard.core.signing import document_signer_current, pki_directory, trust_material
from partycard.credentials import publishing
from partycard.credentials.models import Credential
from partycard.credentials.publishing import status_list_token, verdict_for
from partycard.credentials.services import credential_issue
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_parse
from partycard.registry.models import Member
from partycard.verify.status import status_list_verify_jwt, status_reasons
from tests.credentials.conftest import authority  # noqa: F401 - the signing authority on disk, shared
from tests.exchange.conftest import Officers, campaign, card_holder, officers  # noqa: F401 - shared
from tests.factories import card_active

__all__ = ["Holder", "chip_codes", "ecard_codes", "live_qr", "photo", "photos"]


def photo(width: int = 240, height: int = 360, fmt: str = "JPEG", exif: bytes | None = None) -> bytes:
    """A portrait ``width`` × ``height`` picture (2:3 by default), as a phone would send it."""
    image = Image.new("RGB", (width, height), (200, 180, 160))
    out = io.BytesIO()
    kwargs: dict[str, Any] = {"exif": exif} if exif is not None else {}
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def photos() -> list[bytes]:
    return [photo(), photo(300, 450, "PNG")]


@dataclass
class Holder:
    member: Member
    card: Card
    credential: Credential
    user: User  # the member's own account (role member)
    device: ec.EllipticCurvePrivateKey  # the phone's key the e-card is bound to


@pytest.fixture
def holder(authority: Any, make_member: Any, officers: Officers) -> Holder:  # noqa: F811 - the fixtures
    member = card_holder(make_member, full_name="Trần Thị Mai", gender="F", citizen_id="001180012345")
    with transaction.atomic():  # cards_allocate writes in its caller's transaction (browser tests have none)
        card = card_active(member)
    signer = document_signer_current(directory=pki_directory(), at=clock.now())
    card_status_reserve(actor=None, card=card, signer_label=signer.label)
    card.refresh_from_db()
    device = ec.generate_private_key(ec.SECP256R1())
    spki = device.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    credential = credential_issue(actor=None, member=member, device_key=spki)
    user = User.objects.create_user("dv_mai", password="mat-khau-dai-1", role=Role.MEMBER, member=member)
    return Holder(member, card, credential, user, device)


def chip_codes(card: Card) -> tuple[str, ...]:
    """What an offline chip reader says of the card's status-list entry (the entry its DG13 names): the
    signed list as published, verified against the trust list, read at the card's index
    (``partycard.verify``)."""
    card.refresh_from_db()
    assert card.status_list_id is not None and card.status_index is not None
    at = clock.now()
    material = trust_material(at=at)
    token = status_list_token(card.status_list_id).body.decode()
    held = status_list_verify_jwt(token, trust=material.trust, root=material.root, now=at)
    reasons = status_reasons(
        held, index=card.status_index, now=at, revoked_code="card_revoked", suspended_code="card_suspended"
    )
    return tuple(r.code for r in reasons)


def live_qr(holder: Holder) -> str:
    """The rotating QR the member's phone shows now (PC1R: the credential and the device's proof)."""
    cose = qr_parse(holder.credential.qr).credential
    return device_qr(cose, sign=lambda m: holder.device.sign(m, ec.ECDSA(hashes.SHA256())), at=clock.now())


def ecard_codes(holder: Holder) -> tuple[str, ...]:
    """What a verifier says of the e-card's live QR (``partycard.verify`` through the server's lists)."""
    publishing.caches_clear()  # the server keeps a list for a few seconds; this verifier fetches it now
    return verdict_for(qr=live_qr(holder), sd_jwt=None, audience=None, nonce=None, at=clock.now()).codes
