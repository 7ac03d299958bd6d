"""The device-bound rotating QR: windows, the proof message, the PC1R framing."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import cbor2
import pytest

from partycard.ecard.device import (
    PROOF_CONTEXT,
    WINDOW_SECONDS,
    device_proof_message,
    device_proof_verify,
    device_qr,
    window_at,
)
from partycard.ecard.qr import ROTATING_PREFIX, qr_parse, qr_unwrap
from tests.ecard.world import QrWorld, credential


def test_windows() -> None:
    start = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)  # a multiple of 30 s since the epoch
    assert window_at(start) == int(start.timestamp()) // 30
    assert window_at(start + timedelta(seconds=29.9)) == window_at(start)
    assert window_at(start + timedelta(seconds=30)) == window_at(start) + 1
    assert window_at(start - timedelta(microseconds=1)) == window_at(start) - 1
    with pytest.raises(ValueError):
        window_at(start.replace(tzinfo=None))


def test_proof_message() -> None:
    message = cbor2.loads(device_proof_message(12345, b"credential"))
    assert message == [PROOF_CONTEXT, 12345, hashlib.sha256(b"credential").digest()]


def test_rotating_qr(ecard_world: QrWorld) -> None:
    cose = credential(ecard_world)
    at = datetime(2026, 3, 4, 10, 0, 15, tzinfo=UTC)
    text = device_qr(cose, sign=ecard_world.device_sign, at=at)
    assert text.startswith(ROTATING_PREFIX)
    inner = cbor2.loads(qr_unwrap(text, ROTATING_PREFIX))
    assert inner[0] == cose and inner[1] == window_at(at) and len(inner[2]) == 64
    presentation = qr_parse(text)
    assert presentation.rotating and presentation.window == window_at(at)
    key = ecard_world.store.public_key(ecard_world.device_label)
    window, proof = presentation.window, presentation.proof
    assert window is not None and proof is not None
    assert device_proof_verify(key, cose, window, proof)
    assert not device_proof_verify(key, cose, window + 1, proof)
    assert not device_proof_verify(key, cose + b"x", window, proof)
    assert not device_proof_verify(key, cose, window, b"short")
    assert len(text) < 800  # a version 17 code at level Q holds 1,548 alphanumeric characters


def test_every_window_gives_a_new_qr(ecard_world: QrWorld) -> None:
    cose = credential(ecard_world)
    at = datetime(2026, 3, 4, 10, 0, 0, tzinfo=UTC)
    texts = {
        device_qr(cose, sign=ecard_world.device_sign, at=at + timedelta(seconds=WINDOW_SECONDS * i))
        for i in range(3)
    }
    assert len(texts) == 3
