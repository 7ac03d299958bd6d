"""The primary's side of tests/deploy/test_stateless_verifier.py, run in a subprocess with the primary's
environment (``python -m tests.deploy.verifier_seed seed OUT`` / ``revoke CREDENTIAL_ID``).

``seed`` makes a cell, three members with a card in use each and an e-card bound to a fresh phone key, through
the services (as bench/verify_load_bench.py does), and writes what each phone holds as JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path


def seed(out: Path, holders: int = 3) -> None:
    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from django.db import transaction

    from partycard.cards.lifecycle import CardState, CardTransition
    from partycard.cards.models import Card
    from partycard.cards.services import Allocation, card_transition, cards_allocate
    from partycard.credentials.services import credential_issue
    from partycard.ecard.qr import qr_parse
    from partycard.exchange.services.card_numbers import card_numbers_allocate
    from partycard.registry import services
    from partycard.registry.choices import Gender, MemberStatus, OrgLevel
    from partycard.registry.seeding.loader import ensure_ethnicities

    ensure_ethnicities()
    org = services.organisation_create
    parent = None
    for code, level in (
        ("TW", OrgLevel.CENTRE),
        ("HN", OrgLevel.CENTRAL_COMMITTEE),
        ("HN-BD", OrgLevel.COMMUNE),
        ("HN-BD-01", OrgLevel.GRASSROOTS_COMMITTEE),
        ("HN-BD-01-01", OrgLevel.CELL),
    ):
        parent = org(actor=None, code=code, name=f"Tổ chức {code}", level=level, parent=parent)
    cell = parent
    assert cell is not None
    phones = []
    for i in range(holders):
        member = services.member_create(
            actor=None,
            data={
                "organisation": cell,
                "full_name": f"Người Thử {i}",
                "gender": Gender.MALE,
                "date_of_birth": dt.date(1980, 3, 12),
                "citizen_id": f"00108001234{i}",
                "date_admitted": dt.date(2005, 5, 19),
                "date_official": dt.date(2006, 5, 19),
                "status": MemberStatus.OFFICIAL,
                "home_town": "Hà Nội",
                "old_card_number": f"4000000{i}",
            },
        )
        # A card in use (tests/factories.card_active's shortcut: produced, then put in the member's hands).
        (number,) = card_numbers_allocate(1)
        with transaction.atomic():
            (card,) = cards_allocate(
                actor=None,
                allocations=[Allocation(number=number, case_id=None, member_id=member.pk, path=cell.path)],
            )
        for transition in (CardTransition.START_PRODUCTION, CardTransition.MARK_PRODUCED):
            card = card_transition(actor=None, card=card, transition=transition, system=True)
        Card.objects.filter(pk=card.pk).update(state=CardState.ACTIVE, level="", holder=None)
        device = ec.generate_private_key(ec.SECP256R1())
        spki = device.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        credential = credential_issue(actor=None, member=member, device_key=spki)
        phones.append(
            {
                "credential_id": credential.pk,
                "card_number": credential.card_number,
                "credential_hex": qr_parse(credential.qr).credential.hex(),
                "device_key_pem": device.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                ).decode(),
            }
        )
    out.write_text(json.dumps(phones))


def revoke(credential_id: int) -> None:
    import django

    django.setup()
    from partycard.credentials.models import Credential, CredentialStatus
    from partycard.credentials.services import credential_status_set

    credential = Credential.objects.get(pk=credential_id)
    credential_status_set(actor=None, credential=credential, status=CredentialStatus.REVOKED, reason="lost")


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed(Path(sys.argv[2]))
    elif sys.argv[1] == "revoke":
        revoke(int(sys.argv[2]))
    else:
        raise SystemExit(f"unknown action {sys.argv[1]!r}")
