"""An encrypted-file key store for development and the demo: one PKCS#8 file per key, never an HSM.

Each private key is written once as encrypted PKCS#8 PEM (PBES2, AES-256-CBC, via ``cryptography``'s
``BestAvailableEncryption``), atomically and with mode 0600; no method returns private key material.
"""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.trust.keystore import BadPassphrase, KeyExists, KeyNotFound, KeyStoreError
from partycard.trust.keystore._labels import check_label
from partycard.trust.keystore._points import peer_point_check

__all__ = ["FileKeyStore"]

_SUFFIX = ".key.pem"


_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # immutable; made once, not per signature


class FileKeyStore:
    """Keys in ``directory``, each encrypted with ``passphrase``; implements ``KeyStore``.

    Decrypted keys are cached in memory for the life of the object, so signing a batch does not run
    the key derivation for every signature.

    Args:
        directory: created (mode 0700) if missing.
        passphrase: non-empty bytes; every key in the directory must be encrypted with it.

    Raises:
        BadPassphrase: the passphrase does not open a key already in ``directory``.
    """

    def __init__(self, directory: str | os.PathLike[str], passphrase: bytes) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ValueError("the key store passphrase must be non-empty bytes")
        self._dir = Path(directory)
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._passphrase = passphrase
        self._lock = threading.Lock()
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        # Fail now, not at the first signature, and never mix passphrases in one directory.
        existing = self.labels()
        if existing:
            self._private(existing[0])

    def __repr__(self) -> str:
        return f"FileKeyStore({str(self._dir)!r})"

    def generate(self, label: str, *, agree: bool = False) -> ec.EllipticCurvePublicKey:
        """Make a P-256 key under ``label`` and write it encrypted; return its public key.

        ``agree`` is accepted for the ``KeyStore`` protocol; a PKCS#8 file has no usage attribute, so
        this development store cannot restrict a key to signing or to key agreement (an HSM does).

        Raises:
            InvalidLabel: ``label`` is not a safe name.
            KeyExists: ``label`` is taken (labels are never reused).
        """
        path = self._path(label)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(self._passphrase),
        )
        with self._lock:
            self._write_new(path, pem, label)
            self._keys[label] = key
        return key.public_key()

    def public_key(self, label: str) -> ec.EllipticCurvePublicKey:
        """The public key of ``label``.

        Raises:
            InvalidLabel, KeyNotFound, BadPassphrase.
        """
        return self._private(label).public_key()

    def sign(self, label: str, data: bytes) -> bytes:
        """ECDSA P-256 with SHA-256 over ``data``; the DER ``Ecdsa-Sig-Value``.

        Raises:
            InvalidLabel, KeyNotFound, BadPassphrase.
        """
        return self._private(label).sign(data, _ECDSA_SHA256)

    def derive(self, label: str, peer_public_point: bytes) -> bytes:
        """ECDH of ``label``'s key with the uncompressed P-256 ``peer_public_point``: the shared x coordinate.

        Raises:
            InvalidPeerKey, InvalidLabel, KeyNotFound, BadPassphrase.
        """
        peer = peer_point_check(peer_public_point)
        return self._private(label).exchange(ec.ECDH(), peer)

    def labels(self) -> list[str]:
        """Every key label in the store, sorted."""
        return sorted(
            p.name.removesuffix(_SUFFIX)
            for p in self._dir.iterdir()
            if p.name.endswith(_SUFFIX) and not p.name.startswith(".")
        )

    def _path(self, label: str) -> Path:
        return self._dir / (check_label(label) + _SUFFIX)

    def _private(self, label: str) -> ec.EllipticCurvePrivateKey:
        # Fast path without the lock or a Path: only checked labels are ever cached, and a dict read is
        # atomic. A batch signs thousands of times with one key; this is most of the store's overhead.
        cached = self._keys.get(label)
        if cached is not None:
            return cached
        path = self._path(label)
        with self._lock:
            cached = self._keys.get(label)
            if cached is not None:
                return cached
            try:
                pem = path.read_bytes()
            except FileNotFoundError as e:
                raise KeyNotFound(f"no key labelled {label!r} in {self._dir}") from e
            try:
                key = serialization.load_pem_private_key(pem, password=self._passphrase)
            except (ValueError, TypeError) as e:
                raise BadPassphrase(
                    f"cannot decrypt key {label!r} in {self._dir}: wrong passphrase or damaged file"
                ) from e
            if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
                raise KeyStoreError(f"key {label!r} in {self._dir} is not an ECDSA P-256 key")
            self._keys[label] = key
            return key

    def _write_new(self, path: Path, content: bytes, label: str) -> None:
        """Write ``content`` to a 0600 temporary file, then link it into place (fails if taken)."""
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            try:
                # link() refuses an existing name, unlike rename(): two writers cannot both win.
                os.link(tmp, path)
            except FileExistsError as e:
                raise KeyExists(f"a key labelled {label!r} already exists in {self._dir}") from e
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        dir_fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
