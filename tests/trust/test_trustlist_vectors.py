"""The shared trust list vectors (tests/vectors/trustlist/: sequence, rollback, chip policy) through the
Python verifier; the browser's verify.js runs the same cases
(tests/web/test_verifier_trustlist_browser.py)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from partycard.trust.errors import TrustError, TrustListRollback
from partycard.trust.trustlist import trustlist_accept, trustlist_verify

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "trustlist"
CASES: dict[str, Any] = json.loads((VECTORS / "cases.json").read_text(encoding="utf-8"))
OUTCOME_KEYS = ("outcome", "sequence", "new_highest", "aa_fallback")  # a case's keys a verifier must give


def python_outcome(case: dict[str, Any]) -> dict[str, Any]:
    """What the Python verifier does with ``case``, in the vectors' words."""
    root = x509.load_pem_x509_certificate((VECTORS / CASES["root"]).read_bytes())
    try:
        trust = trustlist_verify(
            (VECTORS / case["list"]).read_bytes(), root, datetime.fromisoformat(CASES["verify_at"])
        )
    except TrustError as e:
        return {"outcome": type(e).__name__}
    try:
        new_highest = trustlist_accept(trust, highest=case["highest"])
    except TrustListRollback:
        return {"outcome": "trust_list_rollback"}
    return {
        "outcome": "accepted",
        "sequence": trust.sequence,
        "new_highest": new_highest,
        "aa_fallback": trust.chip_policy.aa_fallback,
    }


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: f"{c['list']}@{c['highest']}")
def test_vector(case: dict[str, Any]) -> None:
    expected = {k: v for k, v in case.items() if k in OUTCOME_KEYS}
    assert python_outcome(case) == expected


def test_the_vectors_cover_every_outcome() -> None:
    outcomes = {c["outcome"] for c in CASES["cases"]}
    assert outcomes == {"accepted", "trust_list_rollback", "TrustListMalformed"}
    assert any(c["list"] == "version-1.json" and c["outcome"] == "accepted" for c in CASES["cases"])
    # The chip policy both ways, and a version 2 list (no policy) read as no fallback.
    fallbacks = {(c["list"], c["aa_fallback"]) for c in CASES["cases"] if c["outcome"] == "accepted"}
    assert {("aa-fallback-8.json", True), ("sequence-7.json", False), ("version-2.json", False)} <= fallbacks
