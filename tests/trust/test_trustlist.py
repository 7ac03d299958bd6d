from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partycard.trust import pki
from partycard.trust.errors import (
    CertificateExpired,
    CertificateNotIssuedByRoot,
    CertificateNotYetValid,
    CertificateRevoked,
    CertificateUsageInvalid,
    CrlInvalid,
    PkiParameterError,
    StoreKeyMismatch,
    TrustError,
    TrustListBadSignature,
    TrustListMalformed,
)
from partycard.trust.trustlist import TrustList, trustlist_build, trustlist_verify
from tests.trust.conftest import T0, Pki

ISSUED = T0 + timedelta(days=2)
NEXT = T0 + timedelta(days=9)
NOW = T0 + timedelta(days=3)


def _build(w: Pki, **overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "store": w.store,
        "signer_label": w.tl_label,
        "signer_certificate": w.tl_signer,
        "signers": [w.ds, w.ds2],
        "crl": w.crl,
        "issued_at": ISSUED,
        "next_update": NEXT,
    }
    arguments.update(overrides)
    return trustlist_build(**arguments)  # type: ignore[arg-type]


def _envelope(document: bytes) -> dict[str, str]:
    value = json.loads(document)
    assert isinstance(value, dict)
    return value


def _der(certificate_or_crl: object) -> bytes:
    return certificate_or_crl.public_bytes(serialization.Encoding.DER)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture(scope="module")
def document(world: Pki) -> bytes:
    return _build(world)


def test_round_trip(world: Pki, document: bytes) -> None:
    verified = trustlist_verify(document, world.root, NOW)
    assert isinstance(verified, TrustList)
    assert [_der(c) for c in verified.signers] == [_der(world.ds), _der(world.ds2)]
    assert _der(verified.crl) == _der(world.crl)
    assert _der(verified.signer_certificate) == _der(world.tl_signer)
    assert verified.issued_at == ISSUED
    assert verified.next_update == NEXT
    assert not verified.stale
    assert verified.is_revoked(world.ds2)
    assert not verified.is_revoked(world.ds)
    # The signature covers the exact payload bytes.
    envelope = _envelope(document)
    payload = base64.b64decode(envelope["payload"])
    assert json.loads(payload)["version"] == 3  # version 3 adds the signed chip_policy
    assert json.loads(payload)["sequence"] == verified.sequence == 1  # trustlist_build's default
    assert trustlist_verify(document.decode(), world.root, NOW).signers == verified.signers  # str accepted


def test_stale_after_next_update_but_still_authentic(world: Pki, document: bytes) -> None:
    assert not trustlist_verify(document, world.root, NEXT).stale
    stale = trustlist_verify(document, world.root, NEXT + timedelta(seconds=1))
    assert stale.stale
    assert len(stale.signers) == 2


def test_changed_payload_fails_signature(world: Pki, document: bytes) -> None:
    envelope = _envelope(document)
    content = json.loads(base64.b64decode(envelope["payload"]))
    content["signers"] = content["signers"][:1]  # drop a signer: still well-formed, no longer signed
    envelope["payload"] = base64.b64encode(json.dumps(content).encode()).decode()
    with pytest.raises(TrustListBadSignature):
        trustlist_verify(json.dumps(envelope), world.root, NOW)


def test_changed_signature_fails_signature(world: Pki, document: bytes) -> None:
    envelope = _envelope(document)
    # A genuine signature by the same key, over other bytes.
    envelope["signature"] = base64.b64encode(world.store.sign(world.tl_label, b"other bytes")).decode()
    with pytest.raises(TrustListBadSignature):
        trustlist_verify(json.dumps(envelope), world.root, NOW)
    envelope["signature"] = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
    with pytest.raises(TrustListBadSignature):
        trustlist_verify(json.dumps(envelope), world.root, NOW)


def test_signer_from_another_root_is_refused(world: Pki, other_world: Pki) -> None:
    # A complete, self-consistent list from another root: only the root a verifier holds decides.
    forged = _build(other_world, signers=[other_world.ds], crl=other_world.crl)
    assert trustlist_verify(forged, other_world.root, NOW).signers
    with pytest.raises(CertificateNotIssuedByRoot):
        trustlist_verify(forged, world.root, NOW)


def test_document_signer_cannot_sign_a_trust_list(world: Pki) -> None:
    forged = _build(world, signer_label=world.ds_label, signer_certificate=world.ds)
    with pytest.raises(CertificateUsageInvalid):
        trustlist_verify(forged, world.root, NOW)


def test_signer_outside_validity(world: Pki, document: bytes) -> None:
    with pytest.raises(CertificateExpired):
        trustlist_verify(document, world.root, T0 + timedelta(days=366))
    with pytest.raises(CertificateNotYetValid):
        trustlist_verify(document, world.root, T0 - timedelta(days=1))


def test_crl_from_another_root_is_refused(world: Pki, other_world: Pki) -> None:
    with pytest.raises(CrlInvalid):
        trustlist_verify(_build(world, crl=other_world.crl), world.root, NOW)


def test_foreign_document_signer_is_refused(world: Pki, other_world: Pki) -> None:
    with pytest.raises(CertificateNotIssuedByRoot):
        trustlist_verify(_build(world, signers=[world.ds, other_world.ds]), world.root, NOW)


def test_revoked_trustlist_signer_is_refused(world: Pki) -> None:
    crl = pki.crl_issue(
        store=world.store,
        root_cert=world.root,
        root_label=world.root_label,
        revoked=[(world.tl_signer.serial_number, T0 + timedelta(days=1), None)],
        this_update=T0 + timedelta(days=1),
        next_update=T0 + timedelta(days=31),
        crl_number=8,
    )
    with pytest.raises(CertificateRevoked):
        trustlist_verify(_build(world, crl=crl), world.root, NOW)


def test_build_refuses_bad_parameters(world: Pki, other_world: Pki) -> None:
    with pytest.raises(PkiParameterError):
        _build(world, next_update=ISSUED)
    with pytest.raises(StoreKeyMismatch):
        _build(world, signer_label=other_world.tl_label)


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'{"payload": "", "signature": ""}',
        b'{"payload": 1, "signature": "", "signer_certificate": ""}',
        b'{"payload": "!!", "signature": "", "signer_certificate": ""}',
        b'{"payload": "", "signature": "", "signer_certificate": "AAAA"}',
        b"[" * 100_000,
    ],
)
def test_malformed(world: Pki, document: bytes) -> None:
    with pytest.raises(TrustListMalformed):
        trustlist_verify(document, world.root, NOW)


@pytest.mark.parametrize(
    "content",
    [
        {"version": 3, "issued_at": "x", "next_update": "x", "signers": [], "crl": ""},
        {"version": 2, "issued_at": "x", "next_update": "x", "signers": [], "crl": ""},
        {"version": True, "issued_at": "x", "next_update": "x", "signers": [], "crl": ""},
        {
            "version": 1,
            "issued_at": "0001-01-01T00:00:00+01:00",
            "next_update": "x",
            "signers": [],
            "crl": "",
        },
        {"version": 1, "issued_at": "2026-01-01T00:00:00", "next_update": "x", "signers": [], "crl": ""},
        {
            "version": 1,
            "issued_at": "2026-01-01T00:00:00Z",
            "next_update": "2026-02-01T00:00:00Z",
            "signers": {},
            "crl": "",
        },
        {
            "version": 1,
            "issued_at": "2026-01-01T00:00:00Z",
            "next_update": "2026-02-01T00:00:00Z",
            "signers": [],
            "crl": "AAAA",
        },
        {"version": 1},
    ],
)
def test_signed_but_malformed_payload(world: Pki, content: dict[str, object]) -> None:
    # Correctly signed by the genuine signer, so only the content checks can catch these.
    payload = json.dumps(content).encode()
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "signature": base64.b64encode(world.store.sign(world.tl_label, payload)).decode(),
        "signer_certificate": base64.b64encode(_der(world.tl_signer)).decode(),
    }
    with pytest.raises(TrustListMalformed):
        trustlist_verify(json.dumps(envelope), world.root, NOW)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_fields = st.one_of(
    _json_values,
    st.binary(max_size=64).map(lambda b: base64.b64encode(b).decode()),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=40),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(max_size=300))
def test_garbage_bytes_raise_only_trust_errors(world: Pki, garbage: bytes) -> None:
    with pytest.raises(TrustError):
        trustlist_verify(garbage, world.root, NOW)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=_fields,
    signature=_fields,
    signer=_fields,
    keep=st.sampled_from(["payload", "signature", "signer"]),
)
def test_garbage_envelopes_raise_only_trust_errors(
    world: Pki, document: bytes, payload: object, signature: object, signer: object, keep: str
) -> None:
    # Keep one genuine field so the verifier gets past the first checks on some examples.
    genuine = _envelope(document)
    envelope = {"payload": payload, "signature": signature, "signer_certificate": signer}
    field = {"payload": "payload", "signature": "signature", "signer": "signer_certificate"}[keep]
    envelope[field] = genuine[field]
    if keep != "signer":
        envelope["signer_certificate"] = genuine["signer_certificate"]
    with pytest.raises(TrustError):
        trustlist_verify(json.dumps(envelope), world.root, NOW)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_any_byte_flip_is_detected(world: Pki, document: bytes, position: int, value: int) -> None:
    index = position % len(document)
    if document[index] == value:
        return
    mutated = document[:index] + bytes([value]) + document[index + 1 :]
    try:
        trustlist_verify(mutated, world.root, NOW)
    except TrustError:
        return
    # Only changes that leave the signed content intact (e.g. JSON whitespace) may still verify.
    verified = trustlist_verify(mutated, world.root, NOW)
    assert base64.b64decode(_envelope(mutated)["payload"]) == base64.b64decode(_envelope(document)["payload"])
    assert verified.issued_at == ISSUED
