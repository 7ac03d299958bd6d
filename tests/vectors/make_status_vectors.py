"""The status-list world for the tests, and the shared vectors made from it (tests/vectors/status/).

A root with document signers in every state (``good``, ``revoked`` on the CRL, ``expired``, ``chip_only``
without the ``EC`` document type, and ``unlisted``: the root's but not on the trust list), a signed trust
list, and one status list of 64 two-bit entries signed as a JWT and as a CWT. Plain functions, so that
the tests build the same world. Run once to write the vectors (fixed times; ECDSA signatures are random,
so the files are committed, not regenerated in CI):

    .venv/bin/python -m tests.vectors.make_status_vectors
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import cbor2
from cryptography.hazmat.primitives.serialization import Encoding

from partycard.ecard.jws import b64url, b64url_decode
from partycard.ecard.status import (
    CWT_STATUS_LIST,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    status_list_cwt_sign,
    status_list_encode,
    status_list_jwt_sign,
    status_list_pack,
)
from partycard.trust.keystore import KeyStore
from partycard.trust.keystore.file import FileKeyStore
from tests.pki import T0, PkiWorld, build_pki

__all__ = [
    "ENTRIES",
    "ISSUED_AT",
    "NOW",
    "STATUS_URI",
    "T0",
    "TTL",
    "StatusWorld",
    "build_status_world",
    "entries",
    "sign_cwt",
    "sign_jwt",
]

ISSUED_AT = T0 + timedelta(days=1)  # the status list's iat
EXPIRES_AT = ISSUED_AT + timedelta(days=7)
TTL = timedelta(hours=12)
NOW = ISSUED_AT + timedelta(hours=2)  # fresh: before iat + ttl, and the trust list (T0 + 8 d) is fresh
STALE_AT = ISSUED_AT + TTL + timedelta(minutes=1)  # past iat + ttl: still authentic, but stale
STATUS_URI = "https://the.partycard.example/status/ec/ds-1"
ENTRIES = 64
REVOKED = (3, 10, 17, 42, 63)
SUSPENDED = (5, 33)
OUT = Path(__file__).parent / "status"


class StatusWorld(PkiWorld):
    """Root, signers (name → (label, certificate)) and the trust list document a verifier holds."""

    now = NOW


def entries() -> bytes:
    """One status per byte: the 64 entries of the vector list."""
    values = bytearray(ENTRIES)
    for index in REVOKED:
        values[index] = STATUS_INVALID
    for index in SUSPENDED:
        values[index] = STATUS_SUSPENDED
    return bytes(values)


def build_status_world(store: KeyStore, prefix: str) -> StatusWorld:
    """tests/pki.py's world (every signer may sign ``PC`` and ``EC``, but ``chip_only``); the CRL and the
    trust list issued at T0 + 1 h."""
    base = build_pki(store, prefix, document_types=("PC", "EC"), issued_at=T0 + timedelta(hours=1))
    return StatusWorld(base.store, base.root, base.signers, base.trust_document)


def _args(packed: bytes | bytearray | None, issued_at: datetime) -> dict[str, object]:
    return dict(
        uri=STATUS_URI,
        packed=status_list_pack(entries(), 2) if packed is None else packed,
        bits=2,
        issued_at=issued_at,
        expires_at=issued_at + timedelta(days=7),
        ttl=TTL,
    )


def sign_jwt(
    world: StatusWorld, signer: str = "good", packed: bytes | None = None, issued_at: datetime = ISSUED_AT
) -> str:
    label, cert = world.signers[signer]
    return status_list_jwt_sign(world.store, label, cert, **_args(packed, issued_at))  # type: ignore[arg-type]


def sign_cwt(
    world: StatusWorld, signer: str = "good", packed: bytes | None = None, issued_at: datetime = ISSUED_AT
) -> bytes:
    label, cert = world.signers[signer]
    return status_list_cwt_sign(world.store, label, cert, **_args(packed, issued_at))  # type: ignore[arg-type]


def _tamper_jwt(token: str) -> str:
    """The same header and signature over a list in which nobody is revoked."""
    head, payload, signature = token.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["status_list"]["lst"] = b64url(status_list_encode(bytes(ENTRIES), 2))
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    return f"{head}.{body}.{signature}"


def _tamper_cwt(token: bytes) -> bytes:
    protected, unprotected, payload, signature = cbor2.loads(token).value
    claims = cbor2.loads(payload)
    claims[CWT_STATUS_LIST]["lst"] = status_list_encode(bytes(ENTRIES), 2)
    return cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature]))


def main() -> None:
    with tempfile.TemporaryDirectory() as keys:
        world = build_status_world(FileKeyStore(keys, b"vector passphrase"), "v")
        OUT.mkdir(exist_ok=True)
        (OUT / "root.pem").write_bytes(world.root.public_bytes(Encoding.PEM))
        (OUT / "trustlist.json").write_bytes(world.trust_document)
        jwt, cwt = sign_jwt(world), sign_cwt(world)
        (OUT / "status_list.jwt").write_text(jwt + "\n")
        (OUT / "status_list.cwt").write_bytes(cwt)
        values = entries()
        cases = {
            "about": "draft-ietf-oauth-status-list tokens (JWT and CWT) of the same 64-entry list, "
            "bits=2, signed by document signer DS 1 of root.pem; verify at verify_at with trustlist.json. "
            "status_list.cwt is raw CBOR (a COSE_Sign1 tagged 18).",
            "uri": STATUS_URI,
            "bits": 2,
            "issued_at": ISSUED_AT.isoformat(),
            "expires_at": EXPIRES_AT.isoformat(),
            "ttl_seconds": int(TTL.total_seconds()),
            "verify_at": NOW.isoformat(),
            "stale_at": STALE_AT.isoformat(),
            "statuses": {str(i): values[i] for i in range(ENTRIES)},
            "refused": [
                {"name": "tampered_jwt", "jwt": _tamper_jwt(jwt), "error": "StatusListSignatureInvalid"},
                {
                    "name": "tampered_cwt",
                    "cwt_hex": _tamper_cwt(cwt).hex(),
                    "error": "StatusListSignatureInvalid",
                },
                {
                    "name": "unlisted_signer_jwt",
                    "jwt": sign_jwt(world, "unlisted"),
                    "error": "StatusListSignerUnknown",
                },
                {
                    "name": "unlisted_signer_cwt",
                    "cwt_hex": sign_cwt(world, "unlisted").hex(),
                    "error": "StatusListSignerUnknown",
                },
                {
                    "name": "revoked_signer_jwt",
                    "jwt": sign_jwt(world, "revoked"),
                    "error": "StatusListSignerUntrusted",
                },
            ],
        }
        (OUT / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
