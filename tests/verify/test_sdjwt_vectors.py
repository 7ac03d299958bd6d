"""The shared SD-JWT vectors (tests/vectors/sdjwt/, written by tests/vectors/make_sdjwt_vectors.py):
each presentation gets the expected outcome, exactly the expected reason codes and, when valid, exactly
the expected holder data. The PWA's verifier checks the same files."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from cryptography import x509

from partycard.trust.trustlist import trustlist_verify
from partycard.verify.sdjwt import sdjwt_verdict
from tests.vectors.make_sdjwt_vectors import DIR, status_from_json

CASES: list[dict[str, Any]] = json.loads((DIR / "cases.json").read_text(encoding="utf-8"))


def test_the_vectors_cover_every_outcome() -> None:
    assert {case["outcome"] for case in CASES} == {"valid", "invalid", "cannot_tell"}
    assert len({case["name"] for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_vector(case: dict[str, Any]) -> None:
    now = datetime.fromisoformat(case["now"])
    root = x509.load_pem_x509_certificate((DIR / "root.pem").read_bytes())
    trust = trustlist_verify((DIR / "trustlist.json").read_bytes(), root, now)
    status = None
    if case["status"] is not None:
        status = status_from_json(json.loads((DIR / case["status"]).read_text()))
    verdict = sdjwt_verdict(
        (DIR / case["file"]).read_text(),
        trust=trust,
        root=root,
        now=now,
        status=status,
        audience=case["audience"],
        nonce=case["nonce"],
    )
    assert verdict.outcome == case["outcome"], verdict.reasons
    assert sorted(set(verdict.codes)) == sorted(case["codes"]), verdict.reasons
    if case["holder"] is not None:
        assert dict(verdict.holder) == case["holder"]
