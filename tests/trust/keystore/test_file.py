"""FileKeyStore: keys are made inside, kept encrypted at 0600, and sign verifiable ECDSA P-256."""

from __future__ import annotations

import base64
import stat

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from partycard.trust.keystore import BadPassphrase, InvalidLabel, KeyExists, KeyNotFound, KeyStore
from partycard.trust.keystore.file import FileKeyStore

PASS = b"correct horse battery staple"


@pytest.fixture
def store(tmp_path):
    return FileKeyStore(tmp_path / "keys", PASS)


def test_implements_protocol(store):
    ks: KeyStore = store
    assert ks.labels() == []


def test_generate_sign_verify(store):
    pub = store.generate("ds-2026-01")
    assert isinstance(pub.curve, ec.SECP256R1)
    data = b"security object bytes"
    sig = store.sign("ds-2026-01", data)
    decode_dss_signature(sig)  # DER Ecdsa-Sig-Value, not raw r||s
    pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        pub.verify(sig, data + b"x", ec.ECDSA(hashes.SHA256()))
    assert store.public_key("ds-2026-01").public_numbers() == pub.public_numbers()
    assert store.labels() == ["ds-2026-01"]


def test_reopened_store_signs_with_same_key(tmp_path):
    pub = FileKeyStore(tmp_path, PASS).generate("root")
    again = FileKeyStore(tmp_path, PASS)
    assert again.labels() == ["root"]
    pub.verify(again.sign("root", b"d"), b"d", ec.ECDSA(hashes.SHA256()))


def test_label_reuse_is_refused(store):
    store.generate("root")
    with pytest.raises(KeyExists):
        store.generate("root")


def test_unknown_label(store):
    with pytest.raises(KeyNotFound):
        store.sign("nobody", b"d")
    with pytest.raises(KeyNotFound):
        store.public_key("nobody")


def test_wrong_passphrase_is_refused_when_opening(tmp_path):
    FileKeyStore(tmp_path, PASS).generate("root")
    with pytest.raises(BadPassphrase, match="wrong passphrase"):
        FileKeyStore(tmp_path, b"wrong")


def test_empty_passphrase_is_refused(tmp_path):
    with pytest.raises(ValueError):
        FileKeyStore(tmp_path, b"")


@pytest.mark.parametrize(
    "label", ["../escape", "a/b", "/etc/passwd", "..", ".hidden", "", "a b", "x" * 65, "nul\x00"]
)
def test_unsafe_labels_are_refused(store, tmp_path, label):
    with pytest.raises(InvalidLabel, match="invalid key label"):
        store.generate(label)
    with pytest.raises(InvalidLabel):
        store.sign(label, b"d")
    assert not (tmp_path / "escape.key.pem").exists()


def test_key_file_is_private_and_encrypted(store, tmp_path):
    store.generate("root")
    files = list((tmp_path / "keys").iterdir())
    assert [f.name for f in files] == ["root.key.pem"]  # no temporary file left behind
    path = files[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    content = path.read_bytes()
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in content
    assert b"BEGIN PRIVATE KEY" not in content
    assert b"BEGIN EC PRIVATE KEY" not in content
    key = serialization.load_pem_private_key(content, password=PASS)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    scalar = key.private_numbers().private_value.to_bytes(32, "big")

    body = b"".join(line for line in content.splitlines() if not line.startswith(b"-----"))

    assert scalar not in content
    assert scalar not in base64.b64decode(body)
    assert scalar.hex().encode() not in content


def test_no_method_returns_private_material(store):
    pub = store.generate("root")
    assert isinstance(pub, ec.EllipticCurvePublicKey)
    assert isinstance(store.public_key("root"), ec.EllipticCurvePublicKey)
    assert PASS.decode() not in repr(store)


def test_concurrent_generate_of_one_label_has_one_winner(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    stores = [FileKeyStore(tmp_path, PASS) for _ in range(8)]

    def attempt(s: FileKeyStore) -> bool:
        try:
            s.generate("root")
        except KeyExists:
            return False
        return True

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert sum(pool.map(attempt, stores)) == 1
    assert FileKeyStore(tmp_path, PASS).labels() == ["root"]
