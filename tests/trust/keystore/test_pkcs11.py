"""Pkcs11KeyStore on SoftHSM2: keys made on the token, never extractable, signatures verify on the host."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from partycard.trust.keystore import BadPassphrase, InvalidLabel, KeyExists, KeyNotFound, KeyStore

from .conftest import SoftHsm


@pytest.fixture(scope="module")
def store(softhsm: SoftHsm):
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    s = Pkcs11KeyStore(softhsm.module_path, softhsm.token_label, softhsm.user_pin)
    yield s
    s.close()


def test_sign_with_non_extractable_key_verifies(store):
    ks: KeyStore = store
    pub = ks.generate("ds-sign")
    assert isinstance(pub.curve, ec.SECP256R1)
    data = b"security object" * 100
    sig = ks.sign("ds-sign", data)
    r, s = decode_dss_signature(sig)  # DER, not the token's raw r || s
    assert r > 0 and s > 0
    pub.verify(sig, data, ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        pub.verify(sig, data + b"!", ec.ECDSA(hashes.SHA256()))
    assert ks.public_key("ds-sign").public_numbers() == pub.public_numbers()
    assert "ds-sign" in ks.labels()


def test_private_key_is_sensitive_and_not_extractable(store, softhsm):
    import pkcs11
    from pkcs11 import Attribute, KeyType, ObjectClass

    store.generate("ds-locked")
    token = pkcs11.lib(softhsm.module_path).get_token(token_label=softhsm.token_label)
    # No PIN: the store's login is the process's, and this session closes without logging out.
    with token.open() as session:
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC, label="ds-locked")
        assert key[Attribute.EXTRACTABLE] is False
        assert key[Attribute.SENSITIVE] is True
        assert key[Attribute.NEVER_EXTRACTABLE] is True
        assert key[Attribute.ALWAYS_SENSITIVE] is True
        assert key[Attribute.TOKEN] is True
        assert key[Attribute.SIGN] is True
        assert key[Attribute.ID] == b"ds-locked"
        with pytest.raises(pkcs11.exceptions.AttributeSensitive):
            key[Attribute.VALUE]


def test_label_reuse_is_refused(store):
    store.generate("ds-once")
    with pytest.raises(KeyExists):
        store.generate("ds-once")


def test_unknown_label(store):
    with pytest.raises(KeyNotFound):
        store.sign("nobody", b"d")
    with pytest.raises(KeyNotFound):
        store.public_key("nobody")


def test_unsafe_label_is_refused(store):
    with pytest.raises(InvalidLabel):
        store.generate("../x")


def test_wrong_pin_is_refused(softhsm):
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    with pytest.raises(BadPassphrase):
        Pkcs11KeyStore(softhsm.module_path, softhsm.other_token_label, "0000")


def test_second_store_on_a_logged_in_token_is_refused(store, softhsm):
    from partycard.trust.keystore import KeyStoreError
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    # C_Login does not check the PIN once the process is logged in, so this must not "succeed".
    with pytest.raises(KeyStoreError, match="already logged in"):
        Pkcs11KeyStore(softhsm.module_path, softhsm.token_label, "wrong")


def test_concurrent_signing_is_safe(store):
    from concurrent.futures import ThreadPoolExecutor

    pub = store.generate("ds-threads")
    messages = [f"card {i}".encode() for i in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        signatures = list(pool.map(lambda m: store.sign("ds-threads", m), messages))
    for message, sig in zip(messages, signatures, strict=True):
        pub.verify(sig, message, ec.ECDSA(hashes.SHA256()))
