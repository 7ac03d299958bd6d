"""An encrypted-file key store for development and the demo: one PKCS#8 file per key, never an HSM.

Each private key is written as a standard encrypted PKCS#8 PEM (RFC 5958 EncryptedPrivateKeyInfo) under
PBES2 (RFC 8018 §6.2) with **scrypt** as the key derivation (RFC 7914 §7) and AES-256-CBC, atomically and
with mode 0600; no method returns private key material. scrypt is memory-hard: each passphrase guess
costs the attacker 128·r·N bytes of memory as well as time, where PBKDF2 (what ``cryptography``'s
``BestAvailableEncryption`` writes, 2,048 iterations) costs a GPU almost nothing. The parameters (salt,
N, r, p) are in each file, so they can be raised later: a store opened with higher :class:`ScryptParams`
re-encrypts a weaker file the first time it unlocks it, as it does a PBKDF2 file from before this format
(:meth:`FileKeyStore.upgrade` does every file at once).

The default, N = 2^14, r = 8, p = 8, is measured (docs/performance.md, "key store unlock"): about 0.3 s
on the reference machine, above OWASP's floor for scrypt (N = 2^14, r = 8, p = 5 or its equivalents) and
inside OpenSSL's 32 MiB scrypt memory limit, so ``openssl pkey`` or ``openssl cms -inkey`` still opens
each file alone with the passphrase (N = 2^17 would need 128 MiB, which OpenSSL 3.0 refuses).

The files of one store share one salt, so the derivation runs once per store and process, not per key:
a store that holds a chip key per card would otherwise spend the unlock time on every card. Every key
file is encrypted with the same passphrase anyway, so a guess tested against one file is tested against
all; a salt per file would add nothing here but cost.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from asn1crypto import core, pem
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from partycard.trust.keystore import BadPassphrase, KeyExists, KeyNotFound, KeyStoreError
from partycard.trust.keystore._labels import check_label
from partycard.trust.keystore._points import peer_point_check

__all__ = [
    "DEFAULT_SCRYPT",
    "FileKeyStore",
    "ScryptParams",
    "passphrase_change",
    "pkcs8_encrypt",
    "pkcs8_scrypt",
    "private_file_replace",
]

_SUFFIX = ".key.pem"
_PEM_LABEL = "ENCRYPTED PRIVATE KEY"

_ECDSA_SHA256 = ec.ECDSA(hashes.SHA256())  # immutable; made once, not per signature

# RFC 8018 Appendix A.4 (PBES2), A.2 (PBKDF2); RFC 7914 §7 (scrypt); NIST CSOR (AES-256-CBC).
_OID_PBES2 = "1.2.840.113549.1.5.13"
_OID_PBKDF2 = "1.2.840.113549.1.5.12"
_OID_SCRYPT = "1.3.6.1.4.1.11591.4.11"
_OID_AES256_CBC = "2.16.840.1.101.3.4.1.42"
_KEY_LENGTH = 32  # AES-256
_SALT_LENGTH = 16
_MAX_MEMORY = 1 << 30  # 1 GiB: a planted file must not make an unlock exhaust the machine


@dataclass(frozen=True)
class ScryptParams:
    """scrypt's cost parameters (RFC 7914 §2): N (CPU/memory cost, a power of 2 above 1), r (block
    size), p (parallelisation). One derivation uses 128·r·N bytes and time proportional to N·r·p.

    Raises:
        ValueError: N not a power of 2 above 1, r or p below 1, or above ``_MAX_MEMORY`` / sane bounds.
    """

    n: int
    r: int
    p: int

    def __post_init__(self) -> None:
        for value in (self.n, self.r, self.p):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError("scrypt parameters are integers")
        if self.n < 2 or self.n & (self.n - 1):
            raise ValueError("scrypt's N must be a power of 2 above 1 (RFC 7914 §2)")
        if not 1 <= self.r <= 64 or not 1 <= self.p <= 64 or 128 * self.r * self.n > _MAX_MEMORY:
            raise ValueError(f"scrypt parameters out of bounds: N={self.n}, r={self.r}, p={self.p}")

    def weaker_than(self, other: ScryptParams) -> bool:
        """True if any parameter is below ``other``'s: a file made so is re-encrypted with ``other``."""
        return self.n < other.n or self.r < other.r or self.p < other.p

    def maxmem(self) -> int:
        """The ``maxmem`` ``hashlib.scrypt`` needs: OpenSSL's EVP_PBE_scrypt takes 128·r·(N + p + 2) bytes
        (B, V and X), plus a margin."""
        return 128 * self.r * (self.n + self.p + 2) + (1 << 20)


#: The store's default: measured, see the module docstring and docs/performance.md.
DEFAULT_SCRYPT = ScryptParams(n=1 << 14, r=8, p=8)


# --- ASN.1: RFC 5958 §3 EncryptedPrivateKeyInfo, RFC 8018 PBES2-params, RFC 7914 §7 scrypt-params ----------
class _Algorithm(core.Sequence):
    _fields = [("algorithm", core.ObjectIdentifier), ("parameters", core.Any, {"optional": True})]


class _ScryptAsn1(core.Sequence):
    _fields = [
        ("salt", core.OctetString),
        ("cost_parameter", core.Integer),
        ("block_size", core.Integer),
        ("parallelization_parameter", core.Integer),
        ("key_length", core.Integer, {"optional": True}),
    ]


class _Pbes2Params(core.Sequence):
    _fields = [("key_derivation_func", _Algorithm), ("encryption_scheme", _Algorithm)]


class _EncryptedPrivateKeyInfo(core.Sequence):
    _fields = [("encryption_algorithm", _Algorithm), ("encrypted_data", core.OctetString)]


@dataclass(frozen=True)
class _Sealed:
    """What a file says about how it was encrypted: scrypt's parameters and salt, or None for another
    scheme (PBKDF2: a file from before this format)."""

    params: ScryptParams | None
    salt: bytes = b""
    iv: bytes = b""
    ciphertext: bytes = b""


def _parse(content: bytes) -> _Sealed:
    """Read an encrypted PKCS#8 PEM far enough to tell scrypt from the rest.

    Raises:
        ValueError: not an encrypted PKCS#8 PEM, or a scrypt file off our profile.
    """
    kind, _headers, der = pem.unarmor(content)
    if kind != _PEM_LABEL:
        raise ValueError(f"not an {_PEM_LABEL} PEM")
    info = _EncryptedPrivateKeyInfo.load(der, strict=True)
    algorithm = info["encryption_algorithm"]
    if algorithm["algorithm"].dotted != _OID_PBES2:
        return _Sealed(None)
    pbes2 = _Pbes2Params.load(algorithm["parameters"].dump(), strict=True)
    kdf, scheme = pbes2["key_derivation_func"], pbes2["encryption_scheme"]
    if kdf["algorithm"].dotted != _OID_SCRYPT:
        return _Sealed(None)  # PBKDF2 (RFC 8018 §5.2): cryptography reads it
    raw = _ScryptAsn1.load(kdf["parameters"].dump(), strict=True)
    length = raw["key_length"].native
    if scheme["algorithm"].dotted != _OID_AES256_CBC or length not in (None, _KEY_LENGTH):
        raise ValueError("a scrypt file must use AES-256-CBC")
    iv = core.OctetString.load(scheme["parameters"].dump(), strict=True).native
    salt = raw["salt"].native
    if len(iv) != 16 or not 8 <= len(salt) <= 64:
        raise ValueError("bad IV or salt length")
    params = ScryptParams(
        n=raw["cost_parameter"].native, r=raw["block_size"].native, p=raw["parallelization_parameter"].native
    )
    return _Sealed(params, salt, iv, info["encrypted_data"].native)


def _seal(plain: bytes, *, kek: bytes, salt: bytes, params: ScryptParams) -> bytes:
    """``plain`` (a DER PrivateKeyInfo) as an encrypted PKCS#8 PEM under PBES2-scrypt-AES-256-CBC."""
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()  # RFC 8018 §6.1.1 step 4: the PKCS #5 padding
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(kek), modes.CBC(iv)).encryptor()
    scrypt = _ScryptAsn1(
        {
            "salt": salt,
            "cost_parameter": params.n,
            "block_size": params.r,
            "parallelization_parameter": params.p,
            "key_length": _KEY_LENGTH,
        }
    )
    pbes2 = _Pbes2Params(
        {
            "key_derivation_func": {"algorithm": _OID_SCRYPT, "parameters": core.Any.load(scrypt.dump())},
            "encryption_scheme": {
                "algorithm": _OID_AES256_CBC,
                "parameters": core.Any.load(core.OctetString(iv).dump()),
            },
        }
    )
    info = _EncryptedPrivateKeyInfo(
        {
            "encryption_algorithm": {"algorithm": _OID_PBES2, "parameters": core.Any.load(pbes2.dump())},
            "encrypted_data": encryptor.update(padded) + encryptor.finalize(),
        }
    )
    return pem.armor(_PEM_LABEL, info.dump())


def pkcs8_encrypt(
    key: ec.EllipticCurvePrivateKey, passphrase: bytes, *, kdf: ScryptParams = DEFAULT_SCRYPT
) -> bytes:
    """``key`` as an encrypted PKCS#8 PEM in this module's format (PBES2, scrypt with ``kdf`` and a fresh
    salt, AES-256-CBC), for a key kept outside a store (the factory's encryption key).
    ``cryptography``'s ``load_pem_private_key`` and OpenSSL read it with the passphrase."""
    if not isinstance(passphrase, bytes) or not passphrase:
        raise ValueError("the passphrase must be non-empty bytes")
    salt = os.urandom(_SALT_LENGTH)
    plain = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return _seal(plain, kek=_derive(passphrase, salt, kdf), salt=salt, params=kdf)


def pkcs8_scrypt(content: bytes) -> ScryptParams | None:
    """The scrypt parameters an encrypted PKCS#8 PEM was made with; None for another scheme (PBKDF2) or
    content that is not one (the caller migrates or refuses it)."""
    try:
        return _parse(content).params
    except ValueError:
        return None


def _unseal(sealed: _Sealed, kek: bytes) -> bytes:
    """The DER PrivateKeyInfo; ValueError if the key does not fit (a wrong passphrase) or the file is
    damaged."""
    if len(sealed.ciphertext) % 16 or not sealed.ciphertext:
        raise ValueError("the encrypted data is not whole AES blocks")
    decryptor = Cipher(algorithms.AES(kek), modes.CBC(sealed.iv)).decryptor()
    padded = decryptor.update(sealed.ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


# --- derived keys, once per process ---------------------------------------------------------------------
_derived: OrderedDict[bytes, bytes] = OrderedDict()
_derived_lock = threading.Lock()
_DERIVED_KEPT = 16  # stores a process opens; a web worker opens one, a test run many


def _derive(passphrase: bytes, salt: bytes, params: ScryptParams) -> bytes:
    """scrypt(passphrase, salt) with ``params``, kept for the process (the app opens the authority's store
    per request; paying the unlock time each time would make it a request's cost and a DoS lever).

    The cache is keyed by a hash of the passphrase with the salt and parameters: a wrong passphrase misses
    it and is derived (and refused) like any other.
    """
    key = hashlib.sha256(b"%d:%d:%d:" % (params.n, params.r, params.p) + salt + b":" + passphrase).digest()
    with _derived_lock:
        found = _derived.get(key)
        if found is not None:
            _derived.move_to_end(key)
            return found
    derived = hashlib.scrypt(
        passphrase, salt=salt, n=params.n, r=params.r, p=params.p, maxmem=params.maxmem(), dklen=_KEY_LENGTH
    )
    with _derived_lock:
        _derived[key] = derived
        while len(_derived) > _DERIVED_KEPT:
            _derived.popitem(last=False)
    return derived


class FileKeyStore:
    """Keys in ``directory``, each encrypted with ``passphrase``; implements ``KeyStore``.

    Decrypted keys are cached in memory for the life of the object, so signing a batch does not run
    the key derivation for every signature.

    Args:
        directory: created (mode 0700) if missing.
        passphrase: non-empty bytes; every key in the directory must be encrypted with it.
        kdf: the scrypt parameters new files get; an older file with a weaker one (or PBKDF2) is
            re-encrypted with these when it is first unlocked.

    Raises:
        BadPassphrase: the passphrase does not open a key already in ``directory``.
    """

    def __init__(
        self, directory: str | os.PathLike[str], passphrase: bytes, *, kdf: ScryptParams = DEFAULT_SCRYPT
    ) -> None:
        if not isinstance(passphrase, bytes) or not passphrase:
            raise ValueError("the key store passphrase must be non-empty bytes")
        self._dir = Path(directory)
        self._dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._passphrase = passphrase
        self._kdf = kdf
        self._lock = threading.Lock()
        self._keys: dict[str, ec.EllipticCurvePrivateKey] = {}
        self._salt: bytes | None = None  # the salt new files get: the store's, once one file shows it
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
        pem_bytes = self._encrypt(key)
        with self._lock:
            self._write_new(path, pem_bytes, label)
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

    def delete(self, label: str) -> None:
        """Remove the key file of ``label`` for good (an orphaned key no document refers to; the caller
        decides that and audits it). Its label may be taken again afterwards, by a new key.

        Raises:
            InvalidLabel, KeyNotFound.
        """
        path = self._path(label)
        with self._lock:
            try:
                path.unlink()
            except FileNotFoundError as e:
                raise KeyNotFound(f"no key labelled {label!r} in {self._dir}") from e
            self._keys.pop(label, None)
        self._sync_dir()

    def created_at(self, label: str) -> datetime:
        """When the key file was last written (made, or re-encrypted): how young a key is, for a caller
        that must not touch a key whose write may still be in progress.

        Raises:
            InvalidLabel, KeyNotFound.
        """
        try:
            return datetime.fromtimestamp(self._path(label).stat().st_mtime, UTC)
        except FileNotFoundError as e:
            raise KeyNotFound(f"no key labelled {label!r} in {self._dir}") from e

    def upgrade(self) -> list[str]:
        """Re-encrypt now every file still under PBKDF2 or a scrypt weaker than the store's ``kdf`` (what
        the first unlock of each would do); the labels rewritten.

        Raises:
            BadPassphrase: a file the passphrase does not open (the others are done first).
        """
        rewritten: list[str] = []
        failed: BadPassphrase | None = None
        for label in self.labels():
            try:
                sealed = _parse(self._path(label).read_bytes())
            except (OSError, ValueError):
                sealed = _Sealed(None)  # let the unlock say what is wrong with it
            if sealed.params is not None and not sealed.params.weaker_than(self._kdf):
                continue
            with self._lock:
                self._keys.pop(label, None)  # unlock it from the file, whatever is cached
            try:
                self._private(label)
            except BadPassphrase as e:
                failed = failed or e
                continue
            rewritten.append(label)
        if failed is not None:
            raise failed
        return rewritten

    def _path(self, label: str) -> Path:
        return self._dir / (check_label(label) + _SUFFIX)

    def _encrypt(self, key: ec.EllipticCurvePrivateKey) -> bytes:
        salt = self._salt
        if salt is None:
            salt = self._salt = os.urandom(_SALT_LENGTH)
        plain = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _seal(plain, kek=_derive(self._passphrase, salt, self._kdf), salt=salt, params=self._kdf)

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
                content = path.read_bytes()
            except FileNotFoundError as e:
                raise KeyNotFound(f"no key labelled {label!r} in {self._dir}") from e
            key, sealed = self._decrypt(label, content)
            if sealed.params is None or sealed.params.weaker_than(self._kdf):
                self._replace(path, self._encrypt(key))  # migrate: PBKDF2, or a cost since raised
            elif sealed.params == self._kdf and self._salt is None:
                self._salt = sealed.salt  # new files share it: one derivation for the whole store
            self._keys[label] = key
            return key

    def _decrypt(self, label: str, content: bytes) -> tuple[ec.EllipticCurvePrivateKey, _Sealed]:
        damaged = f"cannot decrypt key {label!r} in {self._dir}: wrong passphrase or damaged file"
        try:
            sealed = _parse(content)
        except ValueError as e:
            raise BadPassphrase(damaged) from e
        try:
            if sealed.params is None:  # PBKDF2 (BestAvailableEncryption), from before scrypt
                key = serialization.load_pem_private_key(content, password=self._passphrase)
            else:
                kek = _derive(self._passphrase, sealed.salt, sealed.params)
                key = serialization.load_der_private_key(_unseal(sealed, kek), password=None)
        except (ValueError, TypeError) as e:
            raise BadPassphrase(damaged) from e
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise KeyStoreError(f"key {label!r} in {self._dir} is not an ECDSA P-256 key")
        return key, sealed

    def _temporary(self, path: Path) -> tuple[Path, int]:
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        return tmp, os.open(tmp, flags, 0o600)

    def _sync_dir(self) -> None:
        dir_fd = os.open(self._dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def _write_new(self, path: Path, content: bytes, label: str) -> None:
        """Write ``content`` to a 0600 temporary file, then link it into place (fails if taken)."""
        tmp, fd = self._temporary(path)
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
        self._sync_dir()

    def _replace(self, path: Path, content: bytes) -> None:
        """Re-encrypt in place (:func:`private_file_replace`)."""
        private_file_replace(path, content)


def private_file_replace(path: Path, content: bytes) -> None:
    """Replace the private key file ``path``: a complete 0600 file (created exclusively, never through a
    symlink), synced, then renamed over the old one and the directory synced. Rename is atomic, so a reader
    or a crash sees the old file or the new one, never half of either. The file store's migration and the
    manufacturer's workshop both write their keys this way."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def passphrase_change(
    directory: str | os.PathLike[str], old: bytes, new: bytes, *, kdf: ScryptParams = DEFAULT_SCRYPT
) -> tuple[list[str], list[str]]:
    """Re-encrypt every key file of the store in ``directory`` from passphrase ``old`` to ``new`` (scrypt
    with ``kdf`` and one fresh salt shared by the new files); returns (labels re-encrypted now, labels
    already under ``new``).

    Each file is replaced atomically (:func:`private_file_replace`), one after the other, so a crash
    between two leaves some files under each passphrase; running it again with the same two passphrases
    finishes the work (a file that ``new`` opens is left alone). Nothing is written until every file has
    been opened: a file neither passphrase opens stops it before any change. The caller stops the
    processes that sign while it runs (one opening the store mid-change finds a mixed directory).

    Raises:
        ValueError: a passphrase is empty, or the two are the same.
        BadPassphrase: a file that neither passphrase opens (nothing was changed), or a damaged one.
        KeyStoreError: a key that is not ECDSA P-256.
    """
    if not old or not new or not isinstance(old, bytes) or not isinstance(new, bytes):
        raise ValueError("both passphrases must be non-empty bytes")
    if old == new:
        raise ValueError("the new passphrase is the old one")
    directory = Path(directory)
    already: list[str] = []
    todo: list[tuple[str, Path, ec.EllipticCurvePrivateKey]] = []
    salt: bytes | None = None
    for path in sorted(directory.glob(f"*{_SUFFIX}")):
        if path.name.startswith("."):
            continue
        label = path.name.removesuffix(_SUFFIX)
        content = path.read_bytes()
        try:
            sealed = _parse(content)
        except ValueError as e:
            raise BadPassphrase(f"key {label!r} in {directory} is damaged") from e
        if sealed.params is not None:
            try:  # the key itself, not only the padding: a wrong key passes PKCS#7 unpadding 1 time in ~256
                serialization.load_der_private_key(
                    _unseal(sealed, _derive(new, sealed.salt, sealed.params)), password=None
                )
            except (ValueError, TypeError):
                pass
            else:  # done by an earlier run that stopped: its salt is the new files' salt too
                already.append(label)
                salt = salt or (sealed.salt if sealed.params == kdf else None)
                continue
        try:
            if sealed.params is None:  # PBKDF2, from before scrypt
                key = serialization.load_pem_private_key(content, password=old)
            else:
                key = serialization.load_der_private_key(
                    _unseal(sealed, _derive(old, sealed.salt, sealed.params)), password=None
                )
        except (ValueError, TypeError) as e:
            raise BadPassphrase(
                f"key {label!r} in {directory} opens with neither passphrase; nothing was changed"
            ) from e
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
            raise KeyStoreError(f"key {label!r} in {directory} is not an ECDSA P-256 key")
        todo.append((label, path, key))
    salt = salt or os.urandom(_SALT_LENGTH)
    kek = _derive(new, salt, kdf)
    for _label, path, key in todo:
        plain = key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        private_file_replace(path, _seal(plain, kek=kek, salt=salt, params=kdf))
    return [label for label, _path, _key in todo], already
