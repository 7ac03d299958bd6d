"""Shared vectors for the trust list's sequence number, rollback refusal and chip policy
(tests/vectors/trustlist/).

One root (``root.pem``), one trust-list signer and one document signer; lists of format version 3
numbered 1, 2 and 7 (chip policy: no AA fallback) and 8 (AA fallback allowed), a list of version 2 (a
number, no chip policy: no fallback) and one of version 1 (made before the number existed: sequence 0),
and signed lists whose number or chip policy breaks the format. ``cases.json`` says, for a list and the
highest number a verifier accepted before, what it must do: ``accepted`` (with the list's number, the new
highest and whether it allows the AA fallback), ``trust_list_rollback``, or the error a malformed list
raises. The Python verifier (tests/trust/test_trustlist_vectors.py) and the
browser's verify.js (tests/web/test_verifier_trustlist_browser.py) run every case. ECDSA signatures are
random, so the files are committed, not regenerated in CI:

    .venv/bin/python -m tests.vectors.make_trustlist_vectors
"""

from __future__ import annotations

import base64
import json
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import ChipPolicy, trustlist_build
from tests.pki import T0, build_small_pki

OUT = Path(__file__).parent / "trustlist"
NOW = T0 + timedelta(days=1)  # build_small_pki's lists: issued an hour before NOW, next update NOW + 7 d


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _signed(store: FileKeyStore, tl: Any, content: dict[str, Any]) -> bytes:
    """``content`` as a payload signed by the genuine trust-list signer (so only its content is wrong)."""
    payload = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
    document = {
        "payload": _b64(payload),
        "signature": _b64(store.sign("tl", payload)),
        "signer_certificate": _b64(tl.public_bytes(Encoding.DER)),
    }
    return json.dumps(document, sort_keys=True, indent=1).encode()


def main() -> None:
    with tempfile.TemporaryDirectory() as keys:
        store = FileKeyStore(keys, b"vector passphrase")
        small = build_small_pki(store, now=NOW, name="vectors")
        listed = json.loads(base64.b64decode(json.loads(small.trust_document)["payload"]))
        tl_der = base64.b64decode(json.loads(small.trust_document)["signer_certificate"])
        tl = x509.load_der_x509_certificate(tl_der)
        crl = x509.load_der_x509_crl(base64.b64decode(listed["crl"]))
        OUT.mkdir(exist_ok=True)
        (OUT / "root.pem").write_bytes(small.root.public_bytes(Encoding.PEM))
        for sequence, name, policy in (
            (1, "sequence-1.json", ChipPolicy()),
            (2, "sequence-2.json", ChipPolicy()),
            (7, "sequence-7.json", ChipPolicy()),
            (8, "aa-fallback-8.json", ChipPolicy(aa_fallback=True)),
        ):
            document = trustlist_build(
                store=store,
                signer_label="tl",
                signer_certificate=tl,
                signers=[small.ds],
                crl=crl,
                issued_at=NOW - timedelta(hours=1),
                next_update=NOW + timedelta(days=7),
                sequence=sequence,
                chip_policy=policy,
            )
            (OUT / name).write_bytes(document)
        numbered = {k: v for k, v in listed.items() if k != "chip_policy"} | {"version": 2, "sequence": 3}
        (OUT / "version-2.json").write_bytes(_signed(store, tl, numbered))
        legacy = {k: v for k, v in numbered.items() if k != "sequence"} | {"version": 1}
        (OUT / "version-1.json").write_bytes(_signed(store, tl, legacy))
        malformed = {
            "sequence-0.json": listed | {"sequence": 0},
            "sequence-text.json": listed | {"sequence": "3"},
            "sequence-true.json": listed | {"sequence": True},
            "sequence-missing.json": {k: v for k, v in listed.items() if k != "sequence"},
            "version-1-with-sequence.json": numbered | {"version": 1},
            "chip-policy-missing.json": {k: v for k, v in listed.items() if k != "chip_policy"},
            "chip-policy-text.json": listed | {"chip_policy": {"aa_fallback": "true"}},
            "chip-policy-number.json": listed | {"chip_policy": {"aa_fallback": 1}},
            "chip-policy-extra-key.json": listed | {"chip_policy": {"aa_fallback": True, "other": True}},
            "chip-policy-flat.json": listed | {"chip_policy": True},
            "version-2-with-chip-policy.json": listed | {"version": 2},
        }
        for name, content in malformed.items():
            (OUT / name).write_bytes(_signed(store, tl, content))

        def accepted(file: str, highest: int, sequence: int, aa_fallback: bool = False) -> dict[str, Any]:
            return {
                "list": file,
                "highest": highest,
                "outcome": "accepted",
                "sequence": sequence,
                "new_highest": max(highest, sequence),
                "aa_fallback": aa_fallback,
            }

        def refused(file: str, highest: int, outcome: str) -> dict[str, Any]:
            return {"list": file, "highest": highest, "outcome": outcome}

        cases = {
            "about": "trust lists of root.pem verified at verify_at, then offered to a verifier that "
            "accepted lists up to number `highest`: accepted (the list's sequence and the new highest, "
            "with whether it allows active authentication alone from a chip that offers chip "
            "authentication), trust_list_rollback (older than one accepted), or the error a malformed "
            "list raises. A version 1 list (no sequence) is number 0; a version 1 or 2 list (no "
            "chip_policy) allows no AA fallback.",
            "root": "root.pem",
            "verify_at": NOW.isoformat(),
            "cases": [
                accepted("version-1.json", 0, 0),
                refused("version-1.json", 1, "trust_list_rollback"),
                accepted("sequence-1.json", 0, 1),
                accepted("sequence-2.json", 1, 2),
                accepted("sequence-2.json", 2, 2),
                refused("sequence-1.json", 2, "trust_list_rollback"),
                accepted("sequence-7.json", 2, 7),
                refused("sequence-2.json", 7, "trust_list_rollback"),
                accepted("version-2.json", 2, 3),
                refused("version-2.json", 7, "trust_list_rollback"),
                accepted("aa-fallback-8.json", 7, 8, aa_fallback=True),
                refused("sequence-7.json", 8, "trust_list_rollback"),
                *(refused(name, 0, "TrustListMalformed") for name in malformed),
            ],
        }
        (OUT / "cases.json").write_text(json.dumps(cases, indent=1) + "\n")


if __name__ == "__main__":
    main()
