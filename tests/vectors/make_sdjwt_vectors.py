"""The SD-JWT world for the tests, and the shared vectors made from it (tests/vectors/sdjwt/).

A root with document signers in every state (each may sign ``PC`` and ``EC``), a signed trust list, a
status list, a holder key, all in a real FileKeyStore; plain functions, so that the tests build the same
world. Run once to write the vectors (fixed times; signatures are random, so the files are committed):

    .venv/bin/python -m tests.vectors.make_sdjwt_vectors
"""

from __future__ import annotations

import base64
import json
import tempfile
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding

from partycard.ecard.jws import b64url, b64url_decode, json_dumps
from partycard.ecard.keys import kid_of
from partycard.ecard.sdjwt import (
    MemberClaims,
    disclosure_make,
    member_sdjwt_issue,
    sdjwt_bind,
    sdjwt_present,
)
from partycard.ecard.status import StatusList
from partycard.trust.keystore import KeyStore
from partycard.trust.keystore.file import FileKeyStore
from tests.ecard.world import (  # the same times, status list and document types as the QR world
    DOCUMENT_TYPES,
    GOOD_INDEX,
    NOW,
    REVOKED_INDEX,
    STATUS_URI,
    SUSPENDED_INDEX,
    status_list,
)
from tests.pki import ROOT_CN, T0, PkiWorld, build_pki

AUDIENCE = "https://verifier.partycard.example/meeting/2026-03-04"
NONCE = "n-0S6_WzA2Mj"
DIR = Path(__file__).parent / "sdjwt"

MEMBER = MemberClaims(
    card_number="01.234.567",
    full_name="Nguyễn Thị Minh Khai",
    date_of_birth=date(1985, 7, 14),
    gender="F",
    date_admitted=date(2010, 5, 19),
    date_official=date(2011, 5, 19),
    issuing_committee="Đảng ủy phường Ba Đình",
    organisation_code="P01.02.003",
    organisation_name="Chi bộ Khu dân cư số 3",
)
#: What a verifier shows for MEMBER with every claim disclosed.
HOLDER_ALL = {
    "card_number": "01.234.567",
    "full_name": "Nguyễn Thị Minh Khai",
    "date_of_birth": "14/07/1985",
    "gender": "F",
    "date_admitted": "19/05/2010",
    "date_official": "19/05/2011",
    "issuing_committee": "Đảng ủy phường Ba Đình",
    "organisation.code": "P01.02.003",
    "organisation.name": "Chi bộ Khu dân cư số 3",
    "membership.status": "official",
    "membership.good_standing": "true",
}
ALL_CLAIMS = (
    "card_number",
    "full_name",
    "date_of_birth",
    "gender",
    "date_admitted",
    "date_official",
    "issuing_committee",
    "organisation",
    "membership",
)
GOOD_STANDING = ("organisation", "membership")  # "official member in good standing of X", nothing else


@dataclass
class SdJwtWorld(PkiWorld):
    """Root, signers (name → (label, certificate)), the trust list document, the holder key's label."""

    holder_label: str
    now = NOW

    def holder_sign(self, data: bytes) -> bytes:
        return self.store.sign(self.holder_label, data)


def build_sdjwt_world(store: KeyStore, prefix: str, cn: str = ROOT_CN) -> SdJwtWorld:
    """tests/pki.py's world (each signer may sign ``PC`` and ``EC``, but ``chip_only``), a holder key."""
    base = build_pki(store, prefix, cn=cn, document_types=DOCUMENT_TYPES)
    holder_label = f"{prefix}-holder"
    store.generate(holder_label)
    return SdJwtWorld(base.store, base.root, base.signers, base.trust_document, holder_label)


def issue(
    world: SdJwtWorld,
    signer: str = "good",
    *,
    member: MemberClaims = MEMBER,
    issued_at: datetime | None = None,
    expires_at: datetime | None = None,
    not_before: datetime | None = None,
    status_index: int = GOOD_INDEX,
) -> str:
    """A genuine SD-JWT VC (every disclosure) signed by ``signer``, a day into its validity unless
    ``issued_at`` says otherwise, for five years."""
    label, certificate = world.signers[signer]
    issued = issued_at or certificate.not_valid_before_utc + timedelta(days=1)
    return member_sdjwt_issue(
        member=member,
        sign=lambda data: world.store.sign(label, data),
        kid=kid_of(certificate),
        holder_key=world.store.public_key(world.holder_label),
        status_uri=STATUS_URI,
        status_index=status_index,
        issued_at=issued,
        expires_at=expires_at or issued + timedelta(days=5 * 365),
        not_before=not_before,
    )


def present(
    world: SdJwtWorld,
    issued: str,
    disclose: tuple[str, ...] = ALL_CLAIMS,
    *,
    audience: str = AUDIENCE,
    nonce: str = NONCE,
    at: datetime = NOW - timedelta(seconds=30),
) -> str:
    """The holder's presentation of ``disclose``, key-bound for ``audience`` and ``nonce``."""
    return sdjwt_present(
        issued, disclose=disclose, audience=audience, nonce=nonce, issued_at=at, sign=world.holder_sign
    )


def rebind(world: SdJwtWorld, presented: str, *, at: datetime = NOW - timedelta(seconds=30)) -> str:
    """``presented`` (up to its last ~) key-bound again by the genuine holder: what a holder who
    tampers with the rest can always do."""
    return sdjwt_bind(presented, audience=AUDIENCE, nonce=NONCE, issued_at=at, sign=world.holder_sign)


def _stranger(data: bytes) -> bytes:
    """Someone else's key: a presentation copied from the holder and re-signed by another device."""
    return ec.generate_private_key(ec.SECP256R1()).sign(data, ec.ECDSA(hashes.SHA256()))


def without_kb(presentation: str) -> str:
    return presentation[: presentation.rindex("~") + 1]


def with_payload(presentation: str, change: dict[str, Any]) -> str:
    """The presentation with the issuer JWT's payload changed (header and signature kept)."""
    jwt, rest = presentation.split("~", 1)
    header, payload, signature = jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims.update(change)
    return f"{header}.{b64url(json_dumps(claims))}.{signature}~{rest}"


# --- the vectors --------------------------------------------------------------------------------------------


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def status_json(status: StatusList) -> dict[str, Any]:
    return {
        "uri": status.uri,
        "bits": status.bits,
        "statuses": base64.b64encode(status.statuses).decode("ascii"),
        "issued_at": _time(status.issued_at),
        "expires_at": _time(status.expires_at) if status.expires_at else None,
    }


def status_from_json(data: dict[str, Any]) -> StatusList:
    return StatusList(
        uri=data["uri"],
        bits=data["bits"],
        statuses=base64.b64decode(data["statuses"]),
        issued_at=datetime.fromisoformat(data["issued_at"]),
        expires_at=datetime.fromisoformat(data["expires_at"]) if data["expires_at"] else None,
    )


def vector_cases(world: SdJwtWorld) -> list[dict[str, Any]]:
    """Every case: name, presentation, verifier inputs, expected outcome, codes and holder."""
    good = issue(world)
    standing = present(world, good, GOOD_STANDING)
    forged = disclosure_make("date_of_birth", "1990-01-01")
    two_of = without_kb(present(world, good, ("full_name", "membership")))
    dropped = present(world, good, ("full_name", "membership"))
    first, second = dropped.split("~")[1:3]
    soon = NOW + timedelta(days=1)
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("valid-all", present(world, good), {"holder": HOLDER_ALL}),
        (
            "valid-good-standing",
            standing,
            {"holder": {k: v for k, v in HOLDER_ALL.items() if k.split(".")[0] in GOOD_STANDING}},
        ),
        (
            "valid-name-card",
            present(world, good, ("full_name", "card_number", "membership")),
            {
                "holder": {
                    k: v
                    for k, v in HOLDER_ALL.items()
                    if k.split(".")[0] in ("full_name", "card_number", "membership")
                }
            },
        ),
        (
            "forged-disclosure",
            rebind(world, f"{without_kb(standing)}{forged.text}~"),
            {"codes": ["disclosure_forged"]},
        ),
        (
            "duplicate-disclosure",
            rebind(world, f"{two_of}{two_of.split('~')[1]}~"),
            {"codes": ["disclosure_duplicate"]},
        ),
        ("kb-wrong-nonce", present(world, good, nonce="n-an-old-one"), {"codes": ["kb_wrong_nonce"]}),
        (
            "kb-wrong-audience",
            present(world, good, audience="https://elsewhere.example"),
            {"codes": ["kb_wrong_audience"]},
        ),
        ("kb-stale", present(world, good, at=NOW - timedelta(minutes=10)), {"codes": ["kb_stale"]}),
        ("kb-missing", two_of, {"codes": ["kb_missing"]}),
        (
            "kb-sd-hash-mismatch",
            dropped.replace(f"~{first}~{second}~", f"~{second}~"),
            {"codes": ["kb_sd_hash_mismatch"]},
        ),
        (
            "kb-signature-invalid",
            sdjwt_bind(without_kb(standing), audience=AUDIENCE, nonce=NONCE, issued_at=NOW, sign=_stranger),
            {"codes": ["kb_signature_invalid"]},
        ),
        ("revoked", present(world, issue(world, status_index=REVOKED_INDEX)), {"codes": ["revoked"]}),
        ("suspended", present(world, issue(world, status_index=SUSPENDED_INDEX)), {"codes": ["suspended"]}),
        (
            "credential-expired",
            present(world, issue(world, issued_at=T0 + timedelta(days=1), expires_at=T0 + timedelta(days=2))),
            {"codes": ["credential_expired"]},
        ),
        (
            "credential-not-yet-valid",
            present(world, issue(world, issued_at=NOW - timedelta(days=1), not_before=soon)),
            {"codes": ["credential_not_yet_valid"]},
        ),
        (
            "credential-issued-in-future",
            present(world, issue(world, issued_at=soon)),
            {"codes": ["credential_issued_in_future"]},
        ),
        ("signer-expired", present(world, issue(world, "expired")), {"codes": ["signer_expired"]}),
        ("signer-revoked", present(world, issue(world, "revoked")), {"codes": ["signer_revoked"]}),
        (
            "signer-usage-invalid",
            present(world, issue(world, "chip_only")),
            {"codes": ["signer_usage_invalid"]},
        ),
        ("unknown-kid", present(world, issue(world, "unlisted")), {"codes": ["unknown_kid"]}),
        (
            "payload-altered",
            rebind(
                world,
                without_kb(
                    with_payload(
                        present(world, issue(world, status_index=REVOKED_INDEX)),
                        {"status": {"status_list": {"idx": GOOD_INDEX, "uri": STATUS_URI}}},
                    )
                ),
            ),
            {"codes": ["issuer_signature_invalid"]},
        ),
        (
            "status-list-stale",
            present(world, good),
            {"codes": ["status_list_stale"], "status": "status-stale.json"},
        ),
        ("status-unknown", present(world, good), {"codes": ["status_unknown"], "status": None}),
        ("malformed", "eyJhbGciOiJub25lIn0.e30.~", {"codes": ["sdjwt_malformed"]}),
    ]
    out = []
    for name, presentation, extra in cases:
        codes = extra.get("codes", [])
        cannot_tell = {"unknown_kid", "status_list_stale", "status_unknown"}
        outcome = "valid" if not codes else "cannot_tell" if set(codes) <= cannot_tell else "invalid"
        out.append(
            {
                "name": name,
                "file": f"{name}.txt",
                "presentation": presentation,
                "now": _time(NOW),
                "audience": AUDIENCE,
                "nonce": NONCE,
                "status": extra.get("status", "status.json"),
                "outcome": outcome,
                "codes": codes,
                "holder": extra.get("holder"),
            }
        )
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as keys:
        world = build_sdjwt_world(FileKeyStore(Path(keys), b"vector passphrase"), "v")
        DIR.mkdir(exist_ok=True)
        (DIR / "root.pem").write_bytes(world.root.public_bytes(Encoding.PEM))
        (DIR / "trustlist.json").write_bytes(world.trust_document)
        for file, status in (
            ("status.json", status_list()),
            ("status-stale.json", replace(status_list(), expires_at=T0 + timedelta(days=2))),
        ):
            (DIR / file).write_text(json.dumps(status_json(status), indent=1) + "\n")
        cases = vector_cases(world)
        for case in cases:
            (DIR / case["file"]).write_text(case.pop("presentation"))
        (DIR / "cases.json").write_text(
            json.dumps(cases, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )


if __name__ == "__main__":
    main()
