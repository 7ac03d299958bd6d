"""A PKCS#11 key store: P-256 keys generated on the token, sensitive and never extractable.

Tested against SoftHSM2. SoftHSM2 2.6 has no ``CKM_ECDSA_SHA256``, so the host hashes with SHA-256
and the token signs the digest with raw ``CKM_ECDSA``; the token's ``r || s`` is re-encoded as DER.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

import pkcs11
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pkcs11 import KDF, Attribute, KeyType, Mechanism, MechanismFlag, ObjectClass
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from partycard.trust.keystore import BadPassphrase, KeyExists, KeyNotFound, KeyStoreError
from partycard.trust.keystore._labels import check_label
from partycard.trust.keystore._points import peer_point_check

__all__ = ["Pkcs11KeyStore"]

_T = TypeVar("_T")
_K = TypeVar("_K", bound=pkcs11.types.HasKeyType)
_P256_OID = "1.2.840.10045.3.1.7"  # secp256r1 / prime256v1 (RFC 5480 §2.1.1.1)


class Pkcs11KeyStore:
    """Keys on one PKCS#11 token; implements ``KeyStore``.

    One read/write session, logged in as the user, is shared by every call under a lock: PKCS#11 login
    state belongs to the whole application, so a session per call would log every other session out.
    For the same reason a process holds one store per token (a second one is refused).

    Args:
        module_path: the PKCS#11 module, e.g. ``/usr/lib/softhsm/libsofthsm2.so``.
        token_label: the token to use.
        user_pin: the user PIN of that token.

    Raises:
        KeyStoreError: the module cannot be loaded or the token is not there.
        BadPassphrase: the PIN is wrong (or locked).
    """

    def __init__(self, module_path: str, token_label: str, user_pin: str) -> None:
        self._lock = threading.Lock()
        self._token_label = token_label
        try:
            lib = pkcs11.lib(module_path)
            self._token = lib.get_token(token_label=token_label)
        except pkcs11.PKCS11Error as e:
            raise KeyStoreError(f"cannot open PKCS#11 token {token_label!r} with {module_path}: {e!r}") from e
        self._session = self._login(user_pin)
        # Signing-key handles by label. Finding a key costs a token search (~90 µs on SoftHSM2, more on
        # a network HSM), more than the signature itself; labels are never reused, so a handle stays
        # right for the session's life (a key destroyed behind our back fails its next sign, cleanly).
        self._signing_keys: dict[str, pkcs11.types.SignMixin] = {}

    def __repr__(self) -> str:
        return f"Pkcs11KeyStore(token={self._token_label!r})"

    def close(self) -> None:
        """Close the session (and log out when this store logged in)."""
        with self._lock:
            self._session.close()

    def generate(self, label: str, *, agree: bool = False) -> ec.EllipticCurvePublicKey:
        """Generate a P-256 key pair on the token under ``label``; return its public key.

        The private key is ``TOKEN``, ``PRIVATE``, ``SENSITIVE``, not ``EXTRACTABLE``, and ``SIGN``
        only — or, with ``agree``, ``DERIVE`` only (a chip-authentication key never signs, and a
        signing key never takes part in a key agreement); both halves carry ``CKA_LABEL = label`` and
        ``CKA_ID = label`` (ASCII).

        Raises:
            InvalidLabel, KeyExists, KeyStoreError.
        """
        check_label(label)

        def run(session: pkcs11.Session) -> ec.EllipticCurvePublicKey:
            if self._find(session, ObjectClass.PRIVATE_KEY, label) is not None:
                raise KeyExists(f"a key labelled {label!r} already exists on token {self._token_label!r}")
            params = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters(_P256_OID)}, local=True
            )
            public, _private = params.generate_keypair(
                id=label.encode("ascii"),
                label=label,
                store=True,
                capabilities=MechanismFlag.DERIVE if agree else MechanismFlag.SIGN | MechanismFlag.VERIFY,
                public_template={
                    Attribute.TOKEN: True,
                    Attribute.VERIFY: not agree,
                    Attribute.PRIVATE: False,
                },
                private_template={
                    Attribute.TOKEN: True,
                    Attribute.PRIVATE: True,
                    Attribute.SENSITIVE: True,
                    Attribute.EXTRACTABLE: False,
                    Attribute.SIGN: not agree,
                    Attribute.DECRYPT: False,
                    Attribute.DERIVE: agree,
                    Attribute.UNWRAP: False,
                },
            )
            return _to_cryptography(public)

        return self._call(run)

    def public_key(self, label: str) -> ec.EllipticCurvePublicKey:
        """The public key of ``label``, read from the token's ``EC_PARAMS`` and ``EC_POINT``.

        Raises:
            InvalidLabel, KeyNotFound, KeyStoreError.
        """
        check_label(label)
        return self._call(
            lambda s: _to_cryptography(self._get(s, ObjectClass.PUBLIC_KEY, label, pkcs11.PublicKey))
        )

    def sign(self, label: str, data: bytes) -> bytes:
        """ECDSA P-256 with SHA-256 over ``data``; the DER ``Ecdsa-Sig-Value``.

        Raises:
            InvalidLabel, KeyNotFound, KeyStoreError.
        """
        check_label(label)
        digest = hashlib.sha256(data).digest()

        def run(session: pkcs11.Session) -> bytes:
            key = self._signing_keys.get(label)
            if key is None:
                key = self._get(session, ObjectClass.PRIVATE_KEY, label, pkcs11.types.SignMixin)
                self._signing_keys[label] = key
            try:
                raw = key.sign(digest, mechanism=Mechanism.ECDSA)
            except pkcs11.PKCS11Error:
                self._signing_keys.pop(label, None)
                raise
            if len(raw) != 64:
                raise KeyStoreError(f"key {label!r} gave a {len(raw)}-byte signature, not P-256 r || s")
            return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))

        return self._call(run)

    def derive(self, label: str, peer_public_point: bytes) -> bytes:
        """ECDH on the token (``CKM_ECDH1_DERIVE``, ``CKD_NULL``: PKCS#11 v2.40 §2.3.15) of ``label``'s
        key with the uncompressed P-256 ``peer_public_point``: the shared x coordinate, 32 bytes.

        The token derives a session-only generic secret that is neither sensitive nor token-resident
        (the x coordinate leaves the token by design: chip authentication hashes it into session keys
        on the host, 9303-11 §9.7.1), reads its value and destroys it.

        Raises:
            InvalidPeerKey, InvalidLabel, KeyNotFound, KeyStoreError (e.g. a key made without ``agree``).
        """
        check_label(label)
        peer_point_check(peer_public_point)

        def run(session: pkcs11.Session) -> bytes:
            key = self._get(session, ObjectClass.PRIVATE_KEY, label, pkcs11.types.DeriveMixin)
            secret = key.derive_key(
                KeyType.GENERIC_SECRET,
                256,
                mechanism=Mechanism.ECDH1_DERIVE,
                mechanism_param=(KDF.NULL, None, peer_public_point),
                template={
                    Attribute.TOKEN: False,
                    Attribute.SENSITIVE: False,
                    Attribute.EXTRACTABLE: True,
                },
            )
            try:
                value = bytes(secret[Attribute.VALUE])
            finally:
                secret.destroy()
            if len(value) != 32:
                raise KeyStoreError(f"key {label!r} derived {len(value)} bytes, not a P-256 x coordinate")
            return value

        return self._call(run)

    def delete(self, label: str) -> None:
        """Destroy the key pair of ``label`` on the token (both halves; an orphaned key no document refers
        to: the caller decides that and audits it).

        Raises:
            InvalidLabel, KeyNotFound, KeyStoreError.
        """
        check_label(label)

        def run(session: pkcs11.Session) -> None:
            private = self._find(session, ObjectClass.PRIVATE_KEY, label)
            if private is None:
                raise KeyNotFound(f"no key labelled {label!r} on token {self._token_label!r}")
            public = self._find(session, ObjectClass.PUBLIC_KEY, label)
            self._signing_keys.pop(label, None)
            private.destroy()
            if public is not None:
                public.destroy()

        self._call(run)

    def labels(self) -> list[str]:
        """Labels of every EC private key on the token, sorted."""

        def run(session: pkcs11.Session) -> list[str]:
            found = session.get_objects(
                {Attribute.CLASS: ObjectClass.PRIVATE_KEY, Attribute.KEY_TYPE: KeyType.EC}
            )
            return sorted(str(obj[Attribute.LABEL]) for obj in found)

        return self._call(run)

    def _login(self, user_pin: str) -> pkcs11.Session:
        try:
            return self._token.open(rw=True, user_pin=user_pin)
        except pkcs11.exceptions.UserAlreadyLoggedIn as e:
            # Login belongs to the whole process, and C_Login does not check the PIN once logged in:
            # sharing that login would accept any PIN, so one store per token per process.
            raise KeyStoreError(
                f"PKCS#11 token {self._token_label!r} is already logged in in this process; "
                "use one Pkcs11KeyStore per token"
            ) from e
        except (
            pkcs11.exceptions.PinIncorrect,
            pkcs11.exceptions.PinLocked,
            pkcs11.exceptions.PinInvalid,
        ) as e:
            raise BadPassphrase(f"PKCS#11 token {self._token_label!r} refused the user PIN: {e!r}") from e
        except pkcs11.PKCS11Error as e:
            raise KeyStoreError(f"cannot log in to PKCS#11 token {self._token_label!r}: {e!r}") from e

    def _call(self, run: Callable[[pkcs11.Session], _T]) -> _T:
        with self._lock:
            try:
                return run(self._session)
            except pkcs11.PKCS11Error as e:
                raise KeyStoreError(f"PKCS#11 token {self._token_label!r}: {e!r}") from e

    @staticmethod
    def _find(session: pkcs11.Session, cls: ObjectClass, label: str) -> pkcs11.Key | None:
        try:
            return session.get_key(object_class=cls, key_type=KeyType.EC, label=label)
        except pkcs11.exceptions.NoSuchKey:
            return None

    def _get(self, session: pkcs11.Session, cls: ObjectClass, label: str, kind: type[_K]) -> _K:
        key = self._find(session, cls, label)
        if key is None:
            raise KeyNotFound(f"no key labelled {label!r} on token {self._token_label!r}")
        if not isinstance(key, kind):
            raise KeyStoreError(f"object {label!r} on token {self._token_label!r} is not a {kind.__name__}")
        return key


def _to_cryptography(public: pkcs11.PublicKey) -> ec.EllipticCurvePublicKey:
    key = serialization.load_der_public_key(encode_ec_public_key(public))
    if not isinstance(key, ec.EllipticCurvePublicKey) or not isinstance(key.curve, ec.SECP256R1):
        raise KeyStoreError("token key is not an ECDSA P-256 key")
    return key
