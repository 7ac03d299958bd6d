"""The QR verdict: the tamper matrix (each fault caught with its own code and nothing else), the device
proof's window, malformed input, and every single-bit flip of a signed credential never passing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import cbor2
import pytest

from partycard.ecard.cose import sign1_parse
from partycard.ecard.device import WINDOW_SECONDS, device_qr
from partycard.ecard.qr import PREFIX, ROTATING_PREFIX, qr_encode, qr_parse, qr_unwrap, qr_wrap
from partycard.ecard.status import StatusList
from partycard.trust.keystore.file import FileKeyStore
from partycard.verify.qr import QrVerifier, qr_verdict
from partycard.verify.verdict import Outcome
from tests.ecard.world import (
    NOW,
    REVOKED_INDEX,
    SUSPENDED_INDEX,
    T0,
    QrWorld,
    build_qr_world,
    credential,
    status_list,
)
from tests.verify.conftest import assert_vietnamese


@pytest.fixture(scope="module")
def qr_world(verify_store: FileKeyStore) -> QrWorld:
    world = build_qr_world(verify_store, "qr")
    verify_store.generate("qr-device-other")
    return world


def _altered(cose: bytes) -> bytes:
    """The credential with its name changed and the original signature kept."""
    message = cbor2.loads(cose).value
    claims = cbor2.loads(message[2])
    claims[-65537][1] = "Trần Văn B"
    return cbor2.dumps(cbor2.CBORTag(18, [message[0], message[1], cbor2.dumps(claims), message[3]]))


@dataclass
class Case:
    make: Callable[[QrWorld], str]
    codes: tuple[str, ...]
    outcome: Outcome
    now: datetime = NOW
    status: Callable[[], StatusList | None] = status_list
    device_required: bool = True


def _rotating(at: datetime, **changes: object) -> Callable[[QrWorld], str]:
    return lambda w: device_qr(credential(w, "good", **changes), sign=w.device_sign, at=at)


def _static(signer: str = "good", **changes: object) -> Callable[[QrWorld], str]:
    return lambda w: qr_encode(credential(w, signer, **changes))


INVALID, VALID, CANNOT_TELL = Outcome.INVALID, Outcome.VALID, Outcome.CANNOT_TELL
CASES = {
    "valid rotating": Case(_rotating(NOW), (), VALID),
    "valid static, device not required": Case(_static(), (), VALID, device_required=False),
    "rotating, phone clock 30 s late": Case(_rotating(NOW - timedelta(seconds=WINDOW_SECONDS)), (), VALID),
    "rotating, phone clock 30 s early": Case(_rotating(NOW + timedelta(seconds=WINDOW_SECONDS)), (), VALID),
    "payload altered": Case(
        lambda w: qr_encode(_altered(credential(w))), ("payload_altered",), INVALID, device_required=False
    ),
    "unknown kid": Case(_static("unlisted"), ("unknown_kid",), CANNOT_TELL, device_required=False),
    "revoked": Case(_rotating(NOW, status_index=REVOKED_INDEX), ("revoked",), INVALID),
    "suspended": Case(_rotating(NOW, status_index=SUSPENDED_INDEX), ("suspended",), INVALID),
    "credential expired": Case(
        _rotating(NOW, expires_at=NOW - timedelta(days=1)), ("credential_expired",), INVALID
    ),
    "credential not yet valid": Case(
        _rotating(NOW, not_before=NOW + timedelta(days=1)), ("credential_not_yet_valid",), INVALID
    ),
    "signer expired": Case(_static("expired"), ("signer_expired",), INVALID, device_required=False),
    "signer revoked": Case(_static("revoked"), ("signer_revoked",), INVALID, device_required=False),
    "signer may not sign the e-card": Case(
        _static("chip_only"), ("signer_usage_invalid",), INVALID, device_required=False
    ),
    "signed outside the usage period": Case(
        _static(issued_at=T0 - timedelta(days=1)),
        ("signed_outside_usage_period",),
        INVALID,
        device_required=False,
    ),
    "status list stale": Case(
        _rotating(NOW),
        ("status_list_stale",),
        CANNOT_TELL,
        status=lambda: status_list(expires_at=NOW - timedelta(hours=1)),
    ),
    "stale status list still revokes": Case(
        _rotating(NOW, status_index=REVOKED_INDEX),
        ("status_list_stale", "revoked"),
        INVALID,
        status=lambda: status_list(expires_at=NOW - timedelta(hours=1)),
    ),
    "no status list": Case(_rotating(NOW), ("status_unknown",), CANNOT_TELL, status=lambda: None),
    "index beyond the status list": Case(
        _rotating(NOW, status_index=10_000), ("status_unknown",), CANNOT_TELL
    ),
    "another status list": Case(
        _rotating(NOW, status_uri="https://the.partycard.example/status/ec/2"),
        ("status_unknown",),
        CANNOT_TELL,
    ),
    "static QR where the device proof is required": Case(_static(), ("device_proof_missing",), INVALID),
    "rotating QR replayed after its window": Case(
        _rotating(NOW - timedelta(seconds=3 * WINDOW_SECONDS)), ("device_proof_expired",), INVALID
    ),
    "rotating QR from the future": Case(
        _rotating(NOW + timedelta(seconds=3 * WINDOW_SECONDS)), ("device_proof_not_yet_valid",), INVALID
    ),
    "proof by another key": Case(
        lambda w: device_qr(credential(w), sign=lambda m: w.store.sign("qr-device-other", m), at=NOW),
        ("device_proof_invalid",),
        INVALID,
    ),
    "proof's window moved forward": Case(
        lambda w: _with_window(
            device_qr(credential(w), sign=w.device_sign, at=NOW - timedelta(minutes=5)), NOW
        ),
        ("device_proof_invalid",),
        INVALID,
    ),
    "proof made for another credential": Case(
        lambda w: _swap_credential(device_qr(credential(w), sign=w.device_sign, at=NOW), credential(w)),
        ("device_proof_invalid",),
        INVALID,
    ),
    "rotating QR of a credential without a device key": Case(
        _rotating(NOW, device_key=None), ("device_proof_invalid",), INVALID
    ),
}


def _with_window(text: str, at: datetime) -> str:
    cose, _, proof = cbor2.loads(qr_unwrap(text, ROTATING_PREFIX))
    return qr_wrap(ROTATING_PREFIX, cbor2.dumps([cose, int(at.timestamp()) // WINDOW_SECONDS, proof]))


def _swap_credential(text: str, other: bytes) -> str:
    _, window, proof = cbor2.loads(qr_unwrap(text, ROTATING_PREFIX))
    return qr_wrap(ROTATING_PREFIX, cbor2.dumps([other, window, proof]))


@pytest.mark.parametrize("name", list(CASES))
def test_tamper_matrix(name: str, qr_world: QrWorld) -> None:
    case = CASES[name]
    text = case.make(qr_world)
    verdict = qr_verdict(
        text,
        trust=qr_world.trust(),
        root=qr_world.root,
        now=case.now,
        status=case.status(),
        device_required=case.device_required,
    )
    assert verdict.codes == case.codes, [r.message_en for r in verdict.reasons]
    assert_vietnamese(verdict.reasons)
    assert verdict.outcome is case.outcome
    assert verdict.at == case.now
    assert verdict.holder["card_number"] == "01.234.567"  # shown after the verdict, whatever it is


def test_valid_holder_data(qr_world: QrWorld) -> None:
    verdict = qr_verdict(
        device_qr(credential(qr_world), sign=qr_world.device_sign, at=NOW),
        trust=qr_world.trust(),
        root=qr_world.root,
        now=NOW,
        status=status_list(),
    )
    assert verdict.ok and not verdict.stale
    assert dict(verdict.holder) == {
        "card_number": "01.234.567",
        "full_name": "Nguyễn Thị Minh Khai",
        "date_of_birth": "14/07/1985",
        "organisation_code": "P01.02.003",
        "member_status": "official",
        "issued_at": "02/03/2026",
        "expires_at": "01/03/2031",
    }


def test_stale_trust_list_cannot_tell(qr_world: QrWorld) -> None:
    later = T0 + timedelta(days=9)
    text = device_qr(credential(qr_world), sign=qr_world.device_sign, at=later)
    fresh = status_list(issued_at=later - timedelta(hours=1), expires_at=later + timedelta(days=1))
    verdict = qr_verdict(text, trust=qr_world.trust(later), root=qr_world.root, now=later, status=fresh)
    assert verdict.codes == ("trust_list_stale",)
    assert verdict.outcome is Outcome.CANNOT_TELL and verdict.stale


@pytest.mark.parametrize(
    "text",
    [
        "",
        "PC1:",
        "HC1:6BFOXN%TS3DH0YOJ58S S-W5HDC *M0II5XHC9B5G2+$N",
        "PC1:abc",  # lower case is outside Base45
        "PC1:GGW",  # 65536: above a triple's range
        "PC1:" + "0" * 9,  # Base45 of zeros: not zlib
        qr_wrap(PREFIX, b"\x00\x01"),  # zlib of something not CBOR
        qr_wrap(PREFIX, cbor2.dumps(cbor2.CBORTag(18, [b"", {}, b"", b""]))),  # no algorithm
        qr_wrap(ROTATING_PREFIX, cbor2.dumps([b"", 1])),  # a rotating QR of two items
        qr_wrap(PREFIX, b"\x00" * 40_000),  # inflates beyond a QR's worth
        "PC1:" + "Z" * 9000,
    ],
)
def test_malformed(text: str, qr_world: QrWorld) -> None:
    verdict = qr_verdict(text, trust=qr_world.trust(), root=qr_world.root, now=NOW, status=status_list())
    assert verdict.codes == ("qr_malformed",)
    assert verdict.outcome is Outcome.INVALID
    assert not verdict.holder


def test_malformed_claims(qr_world: QrWorld) -> None:
    label, certificate = qr_world.signers["good"]
    from partycard.ecard.cose import sign1_create
    from partycard.ecard.keys import kid_of

    signed = sign1_create(
        cbor2.dumps({1: "VN"}), sign=lambda d: qr_world.store.sign(label, d), kid=kid_of(certificate)
    )
    verdict = qr_verdict(qr_encode(signed), trust=qr_world.trust(), root=qr_world.root, now=NOW, status=None)
    assert verdict.codes == ("qr_malformed",)


def test_verifier_session_matches_one_shot(qr_world: QrWorld) -> None:
    """The session's signer cache gives, for every case, the verdict a fresh verifier gives."""
    trust = qr_world.trust()
    verifier = QrVerifier(trust=trust, root=qr_world.root, status=status_list(), device_required=False)
    for name in (
        "signer expired",
        "signer revoked",
        "valid static, device not required",
        "signed outside the usage period",
    ):
        text = CASES[name].make(qr_world)
        for now in (NOW, T0 - timedelta(days=500), T0 + timedelta(days=4000), NOW):
            fresh = qr_verdict(
                text, trust=trust, root=qr_world.root, now=now, status=status_list(), device_required=False
            )
            assert verifier.verdict(text, now=now) == fresh


def test_every_bit_flip_of_a_signed_credential_fails(qr_world: QrWorld) -> None:
    """Flip each bit of the COSE bytes in turn: never valid, never an exception."""
    cose = credential(qr_world)
    verifier = QrVerifier(
        trust=qr_world.trust(), root=qr_world.root, status=status_list(), device_required=False
    )
    assert verifier.verdict(qr_encode(cose), now=NOW).ok
    for bit in range(len(cose) * 8):
        flipped = bytearray(cose)
        flipped[bit // 8] ^= 1 << (bit % 8)
        verdict = verifier.verdict(qr_encode(bytes(flipped)), now=NOW)
        assert not verdict.ok, bit


def test_every_bit_flip_of_a_rotating_qr_fails(qr_world: QrWorld) -> None:
    """The same over the rotating QR's whole inner array (credential, window and proof)."""
    inner = qr_unwrap(device_qr(credential(qr_world), sign=qr_world.device_sign, at=NOW), ROTATING_PREFIX)
    verifier = QrVerifier(trust=qr_world.trust(), root=qr_world.root, status=status_list())
    assert verifier.verdict(qr_wrap(ROTATING_PREFIX, inner), now=NOW).ok
    for bit in range(len(inner) * 8):
        flipped = bytearray(inner)
        flipped[bit // 8] ^= 1 << (bit % 8)
        assert not verifier.verdict(qr_wrap(ROTATING_PREFIX, bytes(flipped)), now=NOW).ok, bit


def test_kid_collision_tries_every_signer(qr_world: QrWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two listed signers with the same kid: the one whose key verifies is the signer."""
    import partycard.verify.qr as verify_qr

    monkeypatch.setattr(verify_qr, "kid_of", lambda certificate: b"\x00" * 8)
    label = qr_world.signers["good"][0]
    from partycard.ecard.cose import sign1_create
    from partycard.ecard.qr import cwt_claims_encode
    from tests.ecard.world import claims_for

    signed = sign1_create(
        cwt_claims_encode(claims_for(qr_world)), sign=lambda d: qr_world.store.sign(label, d), kid=b"\x00" * 8
    )
    verdict = qr_verdict(
        qr_encode(signed),
        trust=qr_world.trust(),
        root=qr_world.root,
        now=NOW,
        status=status_list(),
        device_required=False,
    )
    assert verdict.ok, verdict.codes
    assert sign1_parse(signed).kid == b"\x00" * 8
    assert qr_parse(qr_encode(signed)).credential == signed


def test_naive_now_is_a_programming_error(qr_world: QrWorld) -> None:
    with pytest.raises(ValueError):
        qr_verdict(
            "PC1:", trust=qr_world.trust(), root=qr_world.root, now=NOW.replace(tzinfo=None), status=None
        )


def test_status_sources(qr_world: QrWorld) -> None:
    """One list, several by URI, or a lookup function: the same answer."""
    text = device_qr(
        credential(qr_world, "good", status_index=REVOKED_INDEX), sign=qr_world.device_sign, at=NOW
    )
    other = StatusList(uri="https://elsewhere.example/1", bits=1, statuses=b"\x00", issued_at=T0)
    for source in (status_list(), [other, status_list()], {status_list().uri: status_list()}.get):
        verdict = qr_verdict(text, trust=qr_world.trust(), root=qr_world.root, now=NOW, status=source)
        assert verdict.codes == ("revoked",)
    verdict = qr_verdict(text, trust=qr_world.trust(), root=qr_world.root, now=NOW, status=lambda uri: None)
    assert verdict.codes == ("status_unknown",)
