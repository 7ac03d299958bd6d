"""The shared QR vectors (tests/vectors/qr/cases.json, written by tests/vectors/make_qr_vectors.py): the
Python verifier gives every case its expected outcome, codes and holder data. The browser verifier runs
the same file."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from partycard.ecard.status import StatusList
from partycard.trust.trustlist import trustlist_verify
from partycard.verify.qr import qr_verdict

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr"
CASES: dict[str, Any] = json.loads((VECTORS / "cases.json").read_text(encoding="utf-8"))


def _status(name: str | None) -> StatusList | None:
    if name is None:
        return None
    raw = json.loads((VECTORS / name).read_text())
    return StatusList(
        uri=raw["uri"],
        bits=raw["bits"],
        statuses=base64.b64decode(raw["statuses"], validate=True),
        issued_at=datetime.fromisoformat(raw["issued_at"]),
        expires_at=datetime.fromisoformat(raw["expires_at"]) if raw["expires_at"] else None,
    )


def test_every_code_is_covered() -> None:
    codes = {code for case in CASES["cases"] for code in case["codes"]}
    assert {
        "qr_malformed",
        "payload_altered",
        "unknown_kid",
        "revoked",
        "suspended",
        "credential_expired",
        "credential_not_yet_valid",
        "signer_expired",
        "status_list_stale",
        "status_unknown",
        "device_proof_missing",
        "device_proof_expired",
        "device_proof_invalid",
    } <= codes


@pytest.mark.parametrize("case", CASES["cases"], ids=[c["name"] for c in CASES["cases"]])
def test_vector(case: dict[str, Any]) -> None:
    root = x509.load_pem_x509_certificate((VECTORS / CASES["root"]).read_bytes())
    now = datetime.fromisoformat(case["now"])
    trust = trustlist_verify((VECTORS / CASES["trust_list"]).read_bytes(), root, now)
    text = (VECTORS / case["file"]).read_text(encoding="ascii").strip()
    verdict = qr_verdict(
        text,
        trust=trust,
        root=root,
        now=now,
        status=_status(case["status_list"]),
        device_required=case["device_required"],
    )
    assert verdict.outcome.value == case["outcome"]
    assert list(verdict.codes) == case["codes"]
    if "holder" in case:
        assert dict(verdict.holder) == case["holder"]
