"""The production path of the checkpoints: the audit key generated on an HSM token (SoftHSM2 over PKCS#11),
never extractable, signing the checkpoints that verify checks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from partycard.audit.checkpoint import audit_keystore_open, audit_keystores_close, checkpoints_load
from partycard.audit.services import audit_record
from tests.trust.keystore.conftest import SoftHsm, softhsm  # noqa: F401 - the session's SoftHSM2 token


@pytest.fixture
def hsm_env(softhsm: SoftHsm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:  # noqa: F811
    path = tmp_path / "checkpoints.jsonl"
    monkeypatch.setenv("PARTYCARD_AUDIT_PKCS11_MODULE", softhsm.module_path)
    monkeypatch.setenv("PARTYCARD_AUDIT_PKCS11_TOKEN", softhsm.token_label)
    monkeypatch.setenv("PARTYCARD_AUDIT_PKCS11_PIN", softhsm.user_pin)
    monkeypatch.setenv("PARTYCARD_AUDIT_CHECKPOINTS", str(path))
    monkeypatch.setenv("PARTYCARD_AUDIT_KEY_LABEL", "audit-hsm-test")
    monkeypatch.delenv("PARTYCARD_PKI_PASSPHRASE", raising=False)  # the file store is not what signs
    try:
        yield path
    finally:
        audit_keystores_close()  # one session per token per process: leave the token to other tests


def test_checkpoint_signed_in_the_hsm_verifies(db: Any, hsm_env: Path) -> None:
    with transaction.atomic():
        audit_record(actor=None, action="login", object_type="accounts.user", object_id="1")
    call_command("audit", "checkpoint")
    call_command("audit", "verify")
    store = audit_keystore_open()
    assert "audit-hsm-test" in store.labels()
    (checkpoint,) = checkpoints_load(hsm_env, store)
    assert (checkpoint.seq, checkpoint.key) == (1, "audit-hsm-test")
