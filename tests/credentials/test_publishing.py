"""Publishing the status lists as files for offline readers (``partycard status-lists publish``): one
signed token per list in ``PARTYCARD_PKI_DIR/status/``, each one a reader accepts, with every entry."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from partycard.core import clock
from partycard.credentials.models import CredentialStatus, StatusListRecord
from partycard.credentials.publishing import TTL, status_list_token, status_lists_publish
from partycard.credentials.services import credential_issue, credential_status_set, status_list_uri
from partycard.trust.trustlist import trustlist_verify
from partycard.verify.status import status_list_verify_jwt
from tests.exchange.conftest import card_holder
from tests.factories import card_active

pytestmark = pytest.mark.django_db


def _verified(authority: Path, path: Path, uri: str) -> Any:
    root = x509.load_pem_x509_certificate((authority / "root.pem").read_bytes())
    now = clock.now()
    trust = trustlist_verify((authority / "trustlist.json").read_bytes(), root, now)
    return status_list_verify_jwt(path.read_text(), trust=trust, root=root, now=now, uri=uri)


def test_every_list_is_written_signed_and_fresh(authority: Path, make_member: Any) -> None:
    member = card_holder(make_member)
    card_active(member)  # an e-card is issued for the member's new card in use
    revoked = credential_issue(actor=None, member=member)
    credential_status_set(actor=None, credential=revoked, status=CredentialStatus.REVOKED, reason="expelled")
    second = StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=8, packed=bytes(2))
    status_list_token(revoked.status_list_id)  # the endpoint's cached token plays no part in the files

    before = clock.now()
    written = status_lists_publish()
    assert written == [authority / "status" / f"{pk}.jwt" for pk in (revoked.status_list_id, second.pk)]
    assert sorted(p.name for p in (authority / "status").iterdir()) == sorted(p.name for p in written)
    first = _verified(authority, written[0], status_list_uri(revoked.status_list_id))
    assert first.status(revoked.status_index) == CredentialStatus.REVOKED
    assert first.issued_at >= before.replace(microsecond=0) and first.ttl == TTL
    assert not first.stale(clock.now())
    assert [_verified(authority, written[1], status_list_uri(second.pk)).status(i) for i in range(8)] == [
        0
    ] * 8


def test_the_command_publishes_and_says_how_long_the_lists_last(authority: Path) -> None:
    StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=8, packed=bytes(2))
    out = io.StringIO()
    call_command("status_lists", "publish", stdout=out)
    assert "1 status list(s) published" in out.getvalue() and "15 minutes" in out.getvalue()


def test_without_the_authority_nothing_is_written(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.delenv("PARTYCARD_PKI_PASSPHRASE", raising=False)
    StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=8, packed=bytes(2))
    with pytest.raises(CommandError, match="PARTYCARD_PKI_PASSPHRASE"):
        call_command("status_lists", "publish", stdout=io.StringIO())
    assert not (tmp_path / "status").exists()
