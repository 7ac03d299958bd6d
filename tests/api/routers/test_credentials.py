"""The e-card's public endpoints: the trust list, the verify endpoint (QR and SD-JWT), their refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.core import clock
from partycard.credentials.models import CredentialStatus
from partycard.credentials.services import credential_issue, credential_status_set
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_parse
from tests.credentials.conftest import authority  # noqa: F401 - the fixture
from tests.exchange.conftest import card_holder
from tests.factories import card_active

pytestmark = pytest.mark.django_db


def _post(client: Any, body: dict[str, Any]) -> Any:
    return client.post("/api/v1/verify", data=json.dumps(body), content_type="application/json")


def test_trust_list_is_served_as_published(authority: Path, client: Any) -> None:  # noqa: F811
    response = client.get("/api/v1/trust-list")
    assert response.status_code == 200
    assert response.content == (authority / "trustlist.json").read_bytes()
    assert "max-age" in response["Cache-Control"]


def test_verify_a_live_qr_then_a_revoked_one(authority: Path, client: Any, make_member: Any) -> None:  # noqa: F811
    device = ec.generate_private_key(ec.SECP256R1())
    spki = device.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    member = card_holder(make_member)
    card = card_active(member)  # the e-card is issued for the member's new card in use
    credential = credential_issue(actor=None, member=member, device_key=spki)
    live = device_qr(
        qr_parse(credential.qr).credential,
        sign=lambda data: device.sign(data, ec.ECDSA(hashes.SHA256())),
        at=clock.now(),
    )
    answer = _post(client, {"qr": live})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert (body["outcome"], body["reasons"], body["stale"]) == ("valid", [], False)
    assert body["holder"]["card_number"] == credential.card_number == card.number

    credential_status_set(actor=None, credential=credential, status=CredentialStatus.REVOKED, reason="lost")
    from partycard.credentials import publishing

    publishing.caches_clear()  # the server re-reads a list's version at most every two seconds
    body = _post(client, {"qr": live}).json()
    assert (body["outcome"], [r["code"] for r in body["reasons"]]) == ("invalid", ["revoked"])


@pytest.mark.parametrize(
    "body",
    [{}, {"qr": "PC1:x", "sd_jwt": "a~"}, {"sd_jwt": "a~"}],
    ids=["nothing", "both", "sd-jwt-without-nonce"],
)
def test_verify_refuses_ambiguous_requests(authority: Path, client: Any, body: dict[str, Any]) -> None:  # noqa: F811
    assert _post(client, body).status_code == 422


def test_verify_garbage_is_a_verdict_not_an_error(authority: Path, client: Any) -> None:  # noqa: F811
    body = _post(client, {"qr": "PC1:%%%"}).json()
    assert body["outcome"] == "invalid" and body["reasons"][0]["code"] == "qr_malformed"
