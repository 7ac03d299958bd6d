"""The verifier without the database (``PARTYCARD_VERIFY_STATUS_SOURCE=files``, docs/ecard.md "The stateless
verifier"): the status lists come from the signed tokens published in ``PARTYCARD_PKI_DIR/status/``, are
verified as an offline reader verifies them, are read again when a file changes (looked at at most every
``check_seconds``), and a valid verdict queries no database."""

from __future__ import annotations

import logging
import shutil
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from partycard.core import clock, signing
from partycard.credentials import publishing
from partycard.credentials.models import Credential, CredentialStatus
from partycard.credentials.services import credential_issue, credential_status_set, status_list_uri
from partycard.credentials.status_files import StatusFolder
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_parse
from tests.exchange.conftest import card_holder
from tests.factories import card_active

pytestmark = pytest.mark.django_db


class Clock:
    """Monotonic seconds the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _holder(make_member: Any, old_card: str, **overrides: Any) -> tuple[Credential, str]:
    """A member with a card in use, an e-card bound to a fresh phone key, and the phone's rotating QR."""
    device = ec.generate_private_key(ec.SECP256R1())
    spki = device.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    member = card_holder(make_member, old_card_number=old_card, **overrides)
    card_active(member)
    credential = credential_issue(actor=None, member=member, device_key=spki)
    qr = device_qr(
        qr_parse(credential.qr).credential,
        sign=lambda data: device.sign(data, ec.ECDSA(hashes.SHA256())),
        at=clock.now(),
    )
    return credential, qr


def test_lists_come_from_the_files_and_a_change_shows_after_the_next_look(
    authority: Path, make_member: Any
) -> None:
    credential, _ = _holder(make_member, "12345678")
    uri = status_list_uri(credential.status_list_id)
    publishing.status_lists_publish()
    ticks = Clock()
    folder = StatusFolder(authority / "status", check_seconds=1.0, clock=ticks)
    material = signing.trust_material(at=clock.now())
    held = folder.lookup(uri, material=material, at=clock.now())
    assert held is not None and held.status(credential.status_index) == CredentialStatus.VALID
    assert (
        folder.lookup(status_list_uri(credential.status_list_id + 1), material=material, at=clock.now())
        is None
    )

    credential_status_set(actor=None, credential=credential, status=CredentialStatus.REVOKED, reason="lost")
    publishing.status_lists_publish()
    ticks.now += 0.5  # not yet due: the list held stays, the folder is not even looked at
    assert folder.lookup(uri, material=material, at=clock.now()) is held
    ticks.now += 0.5
    after = folder.lookup(uri, material=material, at=clock.now())
    assert after is not None and after.status(credential.status_index) == CredentialStatus.REVOKED


def test_a_bad_or_older_file_never_replaces_the_list_held(
    authority: Path, make_member: Any, tmp_path: Path, caplog: Any, monkeypatch: Any
) -> None:
    credential, _ = _holder(make_member, "12345678")
    uri = status_list_uri(credential.status_list_id)
    (path,) = publishing.status_lists_publish()
    older = tmp_path / "older.jwt"
    shutil.copy(path, older)
    credential_status_set(actor=None, credential=credential, status=CredentialStatus.REVOKED, reason="lost")
    later = clock.now() + timedelta(minutes=1)  # inside the 5 minutes of clock skew a reader allows
    with monkeypatch.context() as patch:
        patch.setattr(publishing.clock, "now", lambda: later)
        publishing.status_lists_publish()
    ticks = Clock()
    folder = StatusFolder(authority / "status", check_seconds=1.0, clock=ticks)
    material = signing.trust_material(at=clock.now())
    assert folder.lookup(uri, material=material, at=clock.now()).status(credential.status_index) == 1  # type: ignore[union-attr]

    caplog.set_level(logging.WARNING, logger="partycard.credentials.status_files")
    token = path.read_text()
    path.write_text(token[:-8] + ("A" * 8 if not token.endswith("A" * 8) else "B" * 8))  # forged signature
    ticks.now += 1
    assert folder.lookup(uri, material=material, at=clock.now()).status(credential.status_index) == 1  # type: ignore[union-attr]
    shutil.copy(older, path)  # a replayed older list, in which the card is still valid
    ticks.now += 1
    assert folder.lookup(uri, material=material, at=clock.now()).status(credential.status_index) == 1  # type: ignore[union-attr]
    refused = [r.getMessage() for r in caplog.records]
    assert len(refused) == 2 and all(f"{path.name} refused" in m for m in refused), refused
    assert "signature" in refused[0] and "older" in refused[1]


def test_a_valid_verdict_from_the_files_queries_no_database(
    authority: Path, make_member: Any, settings: Any, django_assert_num_queries: Any
) -> None:
    _live, qr_live = _holder(make_member, "12345678")
    revoked, qr_revoked = _holder(make_member, "12345679", citizen_id="001080099999")
    credential_status_set(actor=None, credential=revoked, status=CredentialStatus.REVOKED, reason="lost")
    publishing.status_lists_publish()
    settings.PARTYCARD = {**settings.PARTYCARD, "VERIFY_STATUS_SOURCE": "files"}
    publishing.caches_clear()

    def outcome(qr: str) -> tuple[str, list[str]]:
        verdict = publishing.verdict_for(qr=qr, sd_jwt=None, audience=None, nonce=None, at=clock.now())
        return verdict.outcome.value, [r.code for r in verdict.reasons]

    with django_assert_num_queries(0):
        assert outcome(qr_live) == ("valid", [])
        assert outcome(qr_revoked) == ("invalid", ["revoked"])

    # Nothing published for a list: "cannot tell", not green.
    shutil.rmtree(authority / "status")
    publishing.caches_clear()
    with django_assert_num_queries(0):
        assert outcome(qr_live) == ("cannot_tell", ["status_unknown"])


def test_the_database_source_reads_the_database(authority: Path, make_member: Any) -> None:
    """The default: the authoritative lists, fresher than any published token (nothing published here)."""
    _credential, qr = _holder(make_member, "12345678")
    publishing.caches_clear()
    verdict = publishing.verdict_for(qr=qr, sd_jwt=None, audience=None, nonce=None, at=clock.now())
    assert (verdict.outcome.value, verdict.reasons) == ("valid", ())
