"""The restore drill's checks that need partycard's own code (run by .ci/restore-drill.sh, in the drill's
environment: its database, PARTYCARD_VAR and passphrase).

    restore_drill.py revoke KEPT   issue a member an e-card on a new phone key, revoke it; keep its QR and
                                   the phone key in KEPT (outside the installation: the drill's memory)
    restore_drill.py check KEPT    the revocations are in force: the phone's live QR verifies INVALID
                                   (revoked) on the server and its index is revoked in the published, signed
                                   status list; ds-1 is revoked in the CRL and in the signed trust list
    restore_drill.py write KEPT    a fresh write on the restored system: a new e-card, signed, VALID

Exits non-zero (an AssertionError's traceback) on any failure.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.dev")
django.setup()

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import (  # noqa: E402
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)
from django.db import transaction  # noqa: E402

from partycard.core import clock  # noqa: E402
from partycard.core.signing import pki_directory, trust_material  # noqa: E402
from partycard.credentials.demo import DEMO_MEMBER_LOGIN  # noqa: E402
from partycard.credentials.models import Credential, CredentialStatus  # noqa: E402
from partycard.credentials.publishing import caches_clear, verdict_for  # noqa: E402
from partycard.credentials.services import credential_issue, credential_status_set  # noqa: E402
from partycard.ecard.device import device_qr  # noqa: E402
from partycard.ecard.qr import qr_parse  # noqa: E402
from partycard.registry.models import Member  # noqa: E402
from partycard.trust.trustlist import trustlist_verify  # noqa: E402
from partycard.verify.status import StatusListCache  # noqa: E402
from partycard.verify.verdict import Outcome  # noqa: E402


def _card_handed_over() -> Member:
    """An official member of the demo cell given a new card through the card services and the demo
    officers, all the way to the hand-over (the demo hands one over itself only when its registry is big
    enough to have cases in the exchange); a member is transferred into the cell first if it has none."""
    from partycard.accounts.models import User
    from partycard.cards.lifecycle import CardTransition
    from partycard.cards.services import Allocation, cards_allocate
    from partycard.exchange.demo import _walk  # the demo officers' way down the tree, hand-over included
    from partycard.exchange.services.card_numbers import card_numbers_allocate
    from partycard.registry.choices import MemberStatus
    from partycard.registry.services import member_transfer

    cell = User.objects.select_related("organisation").get(username="chibo").organisation
    assert cell is not None
    officials = Member.objects.filter(status=MemberStatus.OFFICIAL).select_related("organisation")
    member = officials.filter(organisation=cell).order_by("id").first()
    if member is None:
        other = officials.order_by("id").first()
        assert other is not None, "the demo registry has no official member"
        member = member_transfer(actor=None, member=other, to_cell=cell, reason="restore drill")
    (number,) = card_numbers_allocate(1)
    allocation = Allocation(number=number, case_id=None, member_id=member.pk, path=cell.path)
    with transaction.atomic():
        (card,) = cards_allocate(actor=None, allocations=[allocation])
    _walk(card, until=CardTransition.HAND_OVER)
    return member


def _holder() -> Member:
    """The member whose e-card the drill revokes: the demo's e-card holder, else one given a card now."""
    from partycard.accounts.models import User
    from partycard.cards.selectors import card_in_use

    user = User.objects.filter(username=DEMO_MEMBER_LOGIN).select_related("member").first()
    if user is not None and user.member is not None and card_in_use(user.member) is not None:
        return user.member
    return _card_handed_over()


def _issue(member: Member) -> tuple[Credential, ec.EllipticCurvePrivateKey]:
    """A new e-card bound to a new phone key (a verifier refuses a static QR: screenshot risk)."""
    device = ec.generate_private_key(ec.SECP256R1())
    spki = device.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return credential_issue(actor=None, member=member, device_key=spki), device


def _verdict(qr: str, device: ec.EllipticCurvePrivateKey) -> tuple[str, list[str]]:
    """The server's verdict on the live QR the phone shows now (the credential and the device's proof)."""
    caches_clear()  # the server keeps a status list a few seconds: judge on the list as it is now
    cose = qr_parse(qr).credential
    live = device_qr(cose, sign=lambda m: device.sign(m, ec.ECDSA(hashes.SHA256())), at=clock.now())
    verdict = verdict_for(qr=live, sd_jwt=None, audience=None, nonce=None, at=clock.now())
    return verdict.outcome, [reason.code for reason in verdict.reasons]


def revoke(kept: Path) -> None:
    credential, device = _issue(_holder())
    assert _verdict(credential.qr, device) == (Outcome.VALID, []), _verdict(credential.qr, device)
    credential_status_set(
        actor=None, credential=credential, status=CredentialStatus.REVOKED, reason="restore drill"
    )
    outcome, reasons = _verdict(credential.qr, device)
    assert outcome == Outcome.INVALID and "revoked" in reasons, (outcome, reasons)
    pem = device.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    kept.write_text(json.dumps({"credential": credential.pk, "qr": credential.qr, "device": pem}))
    print(f"e-card {credential.card_number} revoked (status list index {credential.status_index}): {reasons}")


def _kept(kept: Path) -> tuple[Credential, str, ec.EllipticCurvePrivateKey]:
    data = json.loads(kept.read_text())
    device = load_pem_private_key(data["device"].encode(), password=None)
    assert isinstance(device, ec.EllipticCurvePrivateKey)
    return Credential.objects.get(pk=data["credential"]), data["qr"], device


def check(kept: Path) -> None:
    credential, qr, device = _kept(kept)
    assert credential.qr == qr and credential.status == CredentialStatus.REVOKED, credential.status
    outcome, reasons = _verdict(qr, device)
    assert outcome == Outcome.INVALID and "revoked" in reasons, (outcome, reasons)
    print(f"the revoked e-card verifies {outcome}: {reasons}")

    now = clock.now()
    pki = pki_directory()
    material = trust_material(at=now)
    # The status list as published in the PKI directory (restored from the backup), checked as a reader does.
    cache, found = StatusListCache(), False
    for token in sorted((pki / "status").glob("*.jwt")):
        status_list = cache.update_jwt(
            token.read_text().strip(), trust=material.trust, root=material.root, now=now
        )
        if status_list.uri.rstrip("/").endswith(f"/{credential.status_list_id}"):
            value = status_list.status(credential.status_index)
            assert value == CredentialStatus.REVOKED, (
                f"{token.name}: index {credential.status_index} is {value}"
            )
            found = True
            print(f"published status list {token.name}: index {credential.status_index} = {value} (revoked)")
    assert found, f"no published status list in {pki / 'status'} holds the e-card's list"

    root = x509.load_pem_x509_certificate((pki / "root.pem").read_bytes())
    ds1 = x509.load_pem_x509_certificate((pki / "ds-1.pem").read_bytes())
    crl = x509.load_der_x509_crl((pki / "root.crl").read_bytes())
    assert crl.is_signature_valid(root.public_key()), "the CRL's signature does not verify"
    assert crl.get_revoked_certificate_by_serial_number(ds1.serial_number) is not None, "ds-1 not in the CRL"
    listed = trustlist_verify((pki / "trustlist.json").read_bytes(), root, ds1.not_valid_before_utc)
    assert listed.is_revoked(ds1), "ds-1 is not revoked in the signed trust list"
    print(f"ds-1 ({ds1.serial_number:x}) is revoked in the CRL and in the signed trust list")


def write(kept: Path) -> None:
    revoked, _qr, _device = _kept(kept)
    fresh, device = _issue(revoked.member)
    outcome, reasons = _verdict(fresh.qr, device)
    assert outcome == Outcome.VALID, (outcome, reasons)
    print(f"a new e-card {fresh.card_number} was issued on the restored system and verifies {outcome}")


if __name__ == "__main__":
    action = sys.argv[1] if len(sys.argv) > 1 else ""
    if action == "revoke" and len(sys.argv) == 3:
        revoke(Path(sys.argv[2]))
    elif action == "check" and len(sys.argv) == 3:
        check(Path(sys.argv[2]))
    elif action == "write" and len(sys.argv) == 3:
        write(Path(sys.argv[2]))
    else:
        sys.exit(__doc__)
