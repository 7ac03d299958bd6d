"""Write the shared QR test vectors (tests/vectors/qr/): trust material, status lists, one QR per case and
cases.json, which the Python verifier (tests/verify/test_qr_vectors.py) and the browser verifier both run.

Run once from the repository root and commit the output:

    .venv/bin/python tests/vectors/make_qr_vectors.py

Times are fixed (tests/ecard/world.py); keys are generated in a throwaway FileKeyStore and ECDSA
signatures are randomised, so a re-run writes different bytes with the same meaning.
"""

from __future__ import annotations

import base64
import json
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

from cryptography.hazmat.primitives.serialization import Encoding  # noqa: E402

from partycard.ecard.device import SKEW_WINDOWS, WINDOW_SECONDS, device_qr  # noqa: E402
from partycard.ecard.qr import qr_encode  # noqa: E402
from partycard.ecard.status import StatusList  # noqa: E402
from partycard.trust.keystore.file import FileKeyStore  # noqa: E402
from partycard.verify.qr import qr_verdict  # noqa: E402
from tests.ecard.world import (  # noqa: E402
    NOW,
    REVOKED_INDEX,
    SUSPENDED_INDEX,
    QrWorld,
    build_qr_world,
    credential,
    status_list,
)

OUT = Path(__file__).resolve().parent / "qr"

#: The holder data of the valid cases, as a verifier shows it (dates dd/mm/yyyy).
HOLDER = {
    "card_number": "01.234.567",
    "full_name": "Nguyễn Thị Minh Khai",
    "date_of_birth": "14/07/1985",
    "organisation_code": "P01.02.003",
    "member_status": "official",
    "issued_at": "02/03/2026",
    "expires_at": "01/03/2031",
}
#: What each case must give: (outcome, codes). Written by hand; the script checks the verifier agrees.
EXPECTED: dict[str, tuple[str, tuple[str, ...]]] = {
    "valid_static": ("valid", ()),
    "valid_rotating": ("valid", ()),
    "valid_rotating_previous_window": ("valid", ()),
    "payload_altered": ("invalid", ("payload_altered",)),
    "unknown_kid": ("cannot_tell", ("unknown_kid",)),
    "revoked": ("invalid", ("revoked",)),
    "suspended": ("invalid", ("suspended",)),
    "credential_expired": ("invalid", ("credential_expired",)),
    "credential_not_yet_valid": ("invalid", ("credential_not_yet_valid",)),
    "signer_expired": ("invalid", ("signer_expired",)),
    "signer_revoked": ("invalid", ("signer_revoked",)),
    "signer_usage_invalid": ("invalid", ("signer_usage_invalid",)),
    "status_list_stale": ("cannot_tell", ("status_list_stale",)),
    "status_unknown": ("cannot_tell", ("status_unknown",)),
    "device_proof_missing": ("invalid", ("device_proof_missing",)),
    "device_proof_expired": ("invalid", ("device_proof_expired",)),
    "device_proof_invalid": ("invalid", ("device_proof_invalid",)),
    "qr_malformed_prefix": ("invalid", ("qr_malformed",)),
    "qr_malformed_base45": ("invalid", ("qr_malformed",)),
}


def status_json(status: StatusList) -> dict[str, Any]:
    return {
        "uri": status.uri,
        "bits": status.bits,
        "statuses": base64.b64encode(status.statuses).decode("ascii"),
        "issued_at": status.issued_at.isoformat(),
        "expires_at": status.expires_at.isoformat() if status.expires_at else None,
    }


def altered(world: QrWorld) -> str:
    """A genuine credential whose name was changed after signing (the signature kept)."""
    import cbor2

    message = cbor2.loads(credential(world)).value
    claims = cbor2.loads(message[2])
    claims[-65537][1] = "Trần Văn B"
    return qr_encode(
        cbor2.dumps(cbor2.CBORTag(18, [message[0], message[1], cbor2.dumps(claims), message[3]]))
    )


def cases(world: QrWorld) -> list[dict[str, Any]]:
    """(name, QR text, now, device_required, status file, description)."""
    live = lambda **kw: device_qr(credential(world, **kw), sign=world.device_sign, at=NOW)  # noqa: E731
    static = lambda signer="good", **kw: qr_encode(credential(world, signer, **kw))  # noqa: E731
    window = timedelta(seconds=WINDOW_SECONDS)
    rows = [
        (
            "valid_static",
            static(),
            False,
            "status.json",
            "a static QR where the device proof is not required",
        ),
        ("valid_rotating", live(), True, "status.json", "the phone's rotating QR in the current window"),
        (
            "valid_rotating_previous_window",
            device_qr(credential(world), sign=world.device_sign, at=NOW - window),
            True,
            "status.json",
            "a proof from the previous window (clock skew allowance)",
        ),
        ("payload_altered", altered(world), False, "status.json", "the name changed after signing"),
        ("unknown_kid", static("unlisted"), False, "status.json", "signed by a signer not on the trust list"),
        ("revoked", live(status_index=REVOKED_INDEX), True, "status.json", "status 1 in the status list"),
        ("suspended", live(status_index=SUSPENDED_INDEX), True, "status.json", "status 2 in the status list"),
        (
            "credential_expired",
            live(expires_at=NOW - timedelta(days=1)),
            True,
            "status.json",
            "exp is before now",
        ),
        (
            "credential_not_yet_valid",
            live(not_before=NOW + timedelta(days=1)),
            True,
            "status.json",
            "nbf is after now (beyond the 5-minute allowance)",
        ),
        ("signer_expired", static("expired"), False, "status.json", "the DS certificate expired before now"),
        ("signer_revoked", static("revoked"), False, "status.json", "the trust list's CRL revokes the DS"),
        ("signer_usage_invalid", static("chip_only"), False, "status.json", "a DS that may sign only PC"),
        ("status_list_stale", live(), True, "status-stale.json", "the status list expired before now"),
        ("status_unknown", live(), True, None, "the verifier holds no status list"),
        ("device_proof_missing", static(), True, "status.json", "a static QR where the proof is required"),
        (
            "device_proof_expired",
            device_qr(credential(world), sign=world.device_sign, at=NOW - (SKEW_WINDOWS + 2) * window),
            True,
            "status.json",
            "a rotating QR replayed three windows after it was shown",
        ),
        (
            "device_proof_invalid",
            device_qr(credential(world), sign=lambda m: world.store.sign("vec-other-device", m), at=NOW),
            True,
            "status.json",
            "the proof is signed by a key other than the cnf key",
        ),
        ("qr_malformed_prefix", "HC1:" + static()[4:], False, "status.json", "another scheme's prefix"),
        ("qr_malformed_base45", static()[:-1] + "a", False, "status.json", "a character outside Base45"),
    ]
    return [
        {"name": n, "text": t, "now": NOW, "device_required": d, "status_list": s, "description": desc}
        for n, t, d, s, desc in rows
    ]


def main() -> None:
    keys = Path(tempfile.mkdtemp(prefix="qr-vectors-"))
    try:
        store = FileKeyStore(keys, b"vector passphrase")
        world = build_qr_world(store, "vec")
        store.generate("vec-other-device")
        if OUT.exists():
            shutil.rmtree(OUT)
        OUT.mkdir(parents=True)
        (OUT / "root.pem").write_bytes(world.root.public_bytes(Encoding.PEM))
        (OUT / "trustlist.json").write_bytes(world.trust_document)
        statuses = {
            "status.json": status_list(),
            "status-stale.json": status_list(expires_at=NOW - timedelta(hours=1)),
        }
        for name, status in statuses.items():
            (OUT / name).write_text(json.dumps(status_json(status), indent=1) + "\n")
        listed = []
        for case in cases(world):
            status = statuses.get(case["status_list"]) if case["status_list"] else None
            verdict = qr_verdict(
                case["text"],
                trust=world.trust(case["now"]),
                root=world.root,
                now=case["now"],
                status=status,
                device_required=case["device_required"],
            )
            outcome, codes = EXPECTED[case["name"]]
            if (verdict.outcome.value, verdict.codes) != (outcome, codes):
                raise SystemExit(f"{case['name']}: the verifier says {verdict.outcome} {verdict.codes}")
            (OUT / f"{case['name']}.txt").write_text(case["text"] + "\n")
            row: dict[str, Any] = {
                "name": case["name"],
                "file": f"{case['name']}.txt",
                "description": case["description"],
                "now": case["now"].isoformat(),
                "device_required": case["device_required"],
                "status_list": case["status_list"],
                "outcome": outcome,
                "codes": list(codes),
            }
            if outcome == "valid":
                if dict(verdict.holder) != HOLDER:
                    raise SystemExit(f"{case['name']}: holder {dict(verdict.holder)}")
                row["holder"] = HOLDER
            listed.append(row)
        document = {
            "version": 1,
            "generated": "tests/vectors/make_qr_vectors.py",
            "root": "root.pem",
            "trust_list": "trustlist.json",
            "window_seconds": WINDOW_SECONDS,
            "skew_windows": SKEW_WINDOWS,
            "cases": listed,
        }
        (OUT / "cases.json").write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
        for row in listed:
            print(f"{row['name']:32} {row['outcome']:12} {' '.join(row['codes'])}")
    finally:
        shutil.rmtree(keys)


if __name__ == "__main__":
    main()
