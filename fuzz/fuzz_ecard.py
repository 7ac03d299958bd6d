"""Coverage-guided fuzzing (atheris, libFuzzer) of what a hostile QR code controls.

Targets: ``base45`` (the decoder), ``cose`` (COSE_Sign1 and the CWT claims inside it), ``qr`` (the whole
verifier over QR text, static and rotating, against a fixed trust list). Parsers may raise only
``ECardError``; the verifier may raise nothing, and must never call a mutated input valid (the seed
corpus holds genuine QRs: only those are). Run one target, e.g.:

    .venv/bin/python fuzz/fuzz_ecard.py qr -runs=200000 CORPUS_DIR

The ``qr`` target needs the world of a genuine QR: ``PARTYCARD_FUZZ_WORLD`` names a directory with
``root.pem``, ``trustlist.json``, ``status.json``, ``now.txt`` and ``genuine.txt`` (the genuine QRs, one
a line), as tests/ecard/test_fuzz.py writes it; that test runs every target for a short fixed run in CI.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import atheris

with atheris.instrument_imports():
    from partycard.ecard.base45 import b45decode
    from partycard.ecard.cose import sign1_parse
    from partycard.ecard.errors import ECardError
    from partycard.ecard.qr import cwt_claims_decode, qr_parse
    from partycard.ecard.status import StatusList
    from partycard.verify.qr import QrVerifier

_verifier: QrVerifier | None = None
_now: datetime | None = None
_genuine: set[tuple[bytes, bytes]] = set()


def _base45(data: bytes) -> None:
    with contextlib.suppress(ECardError):
        b45decode(data.decode("latin-1"))


def _cose(data: bytes) -> None:
    with contextlib.suppress(ECardError):
        cwt_claims_decode(sign1_parse(data).payload)


def _signed(text: str) -> tuple[bytes, bytes]:
    """What a signature vouches for: the Sig_structure and the signature. A mutation that keeps both
    (deflate's padding bits, a non-minimal CBOR length around them) is the same credential."""
    message = sign1_parse(qr_parse(text).credential)
    return message.to_be_signed, message.signature


def _load_world() -> tuple[QrVerifier, datetime, set[tuple[bytes, bytes]]]:
    from cryptography import x509

    from partycard.trust.trustlist import trustlist_verify

    world = Path(os.environ["PARTYCARD_FUZZ_WORLD"])
    root = x509.load_pem_x509_certificate((world / "root.pem").read_bytes())
    now = datetime.fromisoformat((world / "now.txt").read_text().strip())
    raw = json.loads((world / "status.json").read_text())
    status = StatusList(
        uri=raw["uri"],
        bits=raw["bits"],
        statuses=base64.b64decode(raw["statuses"]),
        issued_at=datetime.fromisoformat(raw["issued_at"]),
        expires_at=datetime.fromisoformat(raw["expires_at"]),
    )
    trust = trustlist_verify((world / "trustlist.json").read_bytes(), root, now)
    genuine = {_signed(line) for line in (world / "genuine.txt").read_text().splitlines() if line}
    return QrVerifier(trust=trust, root=root, status=status, device_required=False), now, genuine


def _qr(data: bytes) -> None:
    global _verifier, _now, _genuine
    if _verifier is None:
        _verifier, _now, _genuine = _load_world()
    assert _now is not None
    text = data.decode("latin-1")
    verdict = _verifier.verdict(text, now=_now)
    if verdict.ok and _signed(text) not in _genuine:
        raise AssertionError(f"a forged QR passed: {text!r}")


TARGETS: dict[str, Callable[[bytes], None]] = {"base45": _base45, "cose": _cose, "qr": _qr}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        raise SystemExit(f"usage: fuzz_ecard.py {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
