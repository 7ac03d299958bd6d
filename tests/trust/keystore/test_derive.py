"""KeyStore.derive (ECDH, the chip-authentication key's operation) on the file store and on SoftHSM2.

SEC 1 §3.3.1: both parties compute the same point; the shared secret is its x coordinate. The peer's
point is validated before the private key is touched (9303-11 §6.2 / TR-03110-3 §A.4.2: invalid-curve).
"""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import InvalidPeerKey, KeyNotFound, KeyStore, KeyStoreError
from partycard.trust.keystore.file import FileKeyStore

from .conftest import SoftHsm

PASS = b"correct horse battery staple"
_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF  # P-256's prime (SEC 2 §2.4.2)


def _point(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)


def _off_curve(point: bytes) -> bytes:
    y = (int.from_bytes(point[33:], "big") + 1) % _P
    return point[:33] + y.to_bytes(32, "big")


@pytest.fixture
def file_store(tmp_path):
    return FileKeyStore(tmp_path / "keys", PASS)


@pytest.fixture(scope="module")
def hsm_store(softhsm: SoftHsm):
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    s = Pkcs11KeyStore(softhsm.module_path, softhsm.token_label, softhsm.user_pin)
    yield s
    s.close()


@pytest.fixture(params=["file", "pkcs11"])
def store(request) -> KeyStore:
    return request.getfixturevalue("file_store" if request.param == "file" else "hsm_store")


def _label(store: KeyStore, base: str) -> str:
    n = len(store.labels())
    return f"{base}-{n}"


def test_both_sides_compute_the_same_x_coordinate(store):
    label = _label(store, "ca")
    chip_public = store.generate(label, agree=True)
    terminal = ec.generate_private_key(ec.SECP256R1())
    secret = store.derive(label, _point(terminal.public_key()))
    assert len(secret) == 32
    assert secret == terminal.exchange(ec.ECDH(), chip_public)
    other = ec.generate_private_key(ec.SECP256R1())
    assert store.derive(label, _point(other.public_key())) != secret  # a fresh terminal key, a fresh secret


@pytest.mark.parametrize(
    "mangle",
    [
        pytest.param(_off_curve, id="off-curve"),
        pytest.param(lambda p: b"\x02" + p[1:33], id="compressed"),
        pytest.param(lambda p: p[1:], id="no-04-prefix"),
        pytest.param(lambda p: p + b"\x00", id="too-long"),
        pytest.param(lambda p: b"\x04" + bytes(64), id="zero-point"),
    ],
)
def test_a_bad_peer_point_is_refused(store, mangle):
    label = _label(store, "ca-bad")
    store.generate(label, agree=True)
    good = _point(ec.generate_private_key(ec.SECP256R1()).public_key())
    with pytest.raises(InvalidPeerKey):
        store.derive(label, mangle(good))


def test_unknown_label(store):
    with pytest.raises(KeyNotFound):
        store.derive("no-such-ca-key", _point(ec.generate_private_key(ec.SECP256R1()).public_key()))


def test_hsm_keys_have_one_purpose(hsm_store):
    """On the token a key agreement key cannot sign and a signing key cannot take part in ECDH."""
    terminal = _point(ec.generate_private_key(ec.SECP256R1()).public_key())
    hsm_store.generate("purpose-ca", agree=True)
    hsm_store.generate("purpose-aa")
    with pytest.raises(KeyStoreError):
        hsm_store.sign("purpose-ca", b"nonce")
    with pytest.raises(KeyStoreError):
        hsm_store.derive("purpose-aa", terminal)
    assert len(hsm_store.derive("purpose-ca", terminal)) == 32
