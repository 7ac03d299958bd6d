"""Issuing e-cards (for the member's new card in use only), revoking them when a member leaves, and the
status lists behind them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.audit.models import AuditEvent
from partycard.cards.lifecycle import CardState
from partycard.core import clock
from partycard.core.signing import trust_material
from partycard.credentials.models import Credential, CredentialStatus, StatusListRecord
from partycard.credentials.publishing import status_list_lookup, verdict_for
from partycard.credentials.services import (
    CredentialError,
    credential_issue,
    credential_status_set,
    status_list_uri,
)
from partycard.ecard.sdjwt import sdjwt_present
from partycard.ecard.status import status_list_jwt_parse
from partycard.registry import services as registry_services
from partycard.registry.choices import MemberStatus
from partycard.verify.verdict import Outcome
from tests.exchange.conftest import card_holder
from tests.factories import card_active
from tests.trust.keystore.conftest import softhsm  # noqa: F401 - a fixture (SoftHSM2, or a skip saying why)

pytestmark = pytest.mark.django_db


def _device() -> tuple[ec.EllipticCurvePrivateKey, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return key, key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


def _in_use(make_member: Any, **overrides: Any) -> Any:
    """An official member holding their new card (and still their old one)."""
    member = card_holder(make_member, **overrides)
    card_active(member)
    return member


def test_issue_gives_a_valid_qr_and_sd_jwt(authority: Path, make_member: Any) -> None:
    member = card_holder(make_member, full_name="Trần  Thị Bích")
    card = card_active(member)
    device, spki = _device()
    credential = credential_issue(actor=None, member=member, device_key=spki)
    # The new card's number, never the old 8-digit one.
    assert credential.card_number == card.number != member.old_card_number and credential.status_index == 0
    assert AuditEvent.objects.filter(action="credentials.issue", object_id=str(credential.pk)).count() == 1

    static = verdict_for(qr=credential.qr, sd_jwt=None, audience=None, nonce=None, at=clock.now())
    # A bound credential shown without the phone's proof: the verifier refuses it (screenshot risk).
    assert static.codes == ("device_proof_missing",)

    presentation = sdjwt_present(
        credential.sd_jwt,
        disclose=["organisation", "membership"],
        sign=lambda data: device.sign(data, ec.ECDSA(hashes.SHA256())),
        audience="https://meeting.example",
        nonce="n-1",
        issued_at=clock.now(),
    )
    verdict = verdict_for(
        qr=None, sd_jwt=presentation, audience="https://meeting.example", nonce="n-1", at=clock.now()
    )
    assert verdict.outcome is Outcome.VALID, verdict.reasons
    assert "date_of_birth" not in verdict.holder and verdict.holder["membership.status"] == "official"


def test_unbound_credential_has_a_static_qr_and_no_sd_jwt(authority: Path, make_member: Any) -> None:
    credential = credential_issue(actor=None, member=_in_use(make_member))
    assert credential.sd_jwt == "" and credential.qr.startswith("PC1:")


def test_indexes_are_never_shared(authority: Path, make_member: Any) -> None:
    members = [
        _in_use(make_member, citizen_id=f"00108001234{i}", old_card_number=f"1234567{i}") for i in range(3)
    ]
    indexes = [credential_issue(actor=None, member=m).status_index for m in members]
    assert indexes == [0, 1, 2]
    assert StatusListRecord.objects.get().next_index == 3


def test_leaving_the_party_revokes_and_flips_the_list(authority: Path, make_member: Any) -> None:
    member = card_holder(make_member)
    card = card_active(member)
    credential = credential_issue(actor=None, member=member)
    registry_services.member_update(actor=None, member=member, changes={"status": MemberStatus.EXPELLED})
    # The card is revoked for the expulsion, and the e-card follows its card (cards run first).
    card.refresh_from_db()
    assert (card.state, card.note) == (CardState.REVOKED, "expelled")
    credential.refresh_from_db()
    assert (credential.status, credential.status_reason) == (CredentialStatus.REVOKED, "card_revoked")
    listed = status_list_lookup(status_list_uri(credential.status_list_id), at=clock.now())
    assert listed is not None and listed.status(credential.status_index) == CredentialStatus.REVOKED
    with pytest.raises(CredentialError):
        credential_status_set(actor=None, credential=credential, status=CredentialStatus.VALID, reason="undo")


def test_suspension_is_published_in_the_signed_list(authority: Path, make_member: Any, client: Any) -> None:
    credential = credential_issue(actor=None, member=_in_use(make_member))
    credential_status_set(actor=None, credential=credential, status=CredentialStatus.SUSPENDED, reason="lost")
    response = client.get(f"/api/v1/status-lists/{credential.status_list_id}")
    assert response.status_code == 200 and response["Content-Type"] == "application/statuslist+jwt"
    token = status_list_jwt_parse(response.content.decode())
    assert token.status_list.status(credential.status_index) == CredentialStatus.SUSPENDED
    material = trust_material(at=clock.now())
    assert any(token.verified_by(c.public_key()) for c in material.trust.signers)


def test_only_an_official_member_with_a_new_card_in_use(authority: Path, make_member: Any) -> None:
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=make_member())  # no card number
    with pytest.raises(CredentialError):
        old_only = card_holder(make_member, citizen_id="001080012397", old_card_number="87654320")
        credential_issue(actor=None, member=old_only)  # only the old 8-digit card
    dead = card_holder(
        make_member, citizen_id="001080012399", old_card_number="87654321", full_name="Lê Văn Mất"
    )
    card_active(dead)
    registry_services.member_update(actor=None, member=dead, changes={"status": MemberStatus.DECEASED})
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=dead)
    probationary = make_member(
        status=MemberStatus.PROBATIONARY, date_official=None, citizen_id="001080012398", old_card_number=None
    )
    card_active(probationary)  # even with a card in use (a fixture shortcut), no e-card before official
    with pytest.raises(CredentialError):
        credential_issue(actor=None, member=probationary)
    assert not Credential.objects.exists()


def test_a_new_e_card_supersedes_the_earlier_one(authority: Path, make_member: Any) -> None:
    member = _in_use(make_member)
    first = credential_issue(actor=None, member=member)
    second = credential_issue(actor=None, member=member)
    first.refresh_from_db()
    assert (first.status, first.status_reason) == (CredentialStatus.REVOKED, "superseded")
    assert second.status == CredentialStatus.VALID and second.status_index != first.status_index


def test_the_key_store_gone_mid_issue_is_named_and_nothing_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest, make_member: Any
) -> None:
    """Issue 19's fault (the key store unavailable during signing), for e-cards: the authority's keys on a
    SoftHSM2 token that goes away under its open session. The error names the token; the member's earlier
    e-card stays valid (the superseding rolls back with the issue), no status index is taken, no audit
    row; once the token is back, issuing works without a restart."""
    import io

    from django.core.management import call_command
    from django.utils import translation

    from partycard.core import signing
    from partycard.credentials import publishing
    from tests.production.test_key_store_fault import _hsm_token

    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    signing._trust_cache.clear()
    publishing.caches_clear()
    outages = _hsm_token(request, monkeypatch)
    outage = next(outages)
    try:
        call_command("pki", "init", stdout=io.StringIO())
        member = _in_use(make_member)
        earlier = credential_issue(actor=None, member=member)
        outage.away()
        try:
            with translation.override("en"), pytest.raises(CredentialError, match="stopped answering") as e:
                credential_issue(actor=None, member=member)
        finally:
            outage.back()
        assert outage.named in str(e.value)
        assert list(Credential.objects.values_list("pk", "status")) == [(earlier.pk, CredentialStatus.VALID)]
        assert AuditEvent.objects.filter(action="credentials.issue").count() == 1
        again = credential_issue(actor=None, member=member)
        assert (again.status_index, Credential.objects.get(pk=earlier.pk).status) == (
            earlier.status_index + 1,
            CredentialStatus.REVOKED,
        )
    finally:
        next(outages, None)
