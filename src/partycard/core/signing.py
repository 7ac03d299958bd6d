"""Opening the signing authority on disk for the apps: its directory, its key store, its current signer.

``partycard pki`` and the services that sign (the chip image, later the e-card) find the authority the
same way: ``PARTYCARD_PKI_DIR`` (default ``VAR_DIR/pki``), the encrypted file store under ``keys/`` opened
with ``PARTYCARD_PKI_PASSPHRASE`` (docs/trust.md). Production swaps the file store for an HSM.
"""

from __future__ import annotations

import contextlib
import os
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from django.conf import settings
from django.utils import translation

from partycard.core.errors import DomainError, ErrorCode
from partycard.trust.authority import MANUFACTURER_ENCRYPTION_ROLE, MANUFACTURER_SIGNING_ROLE
from partycard.trust.errors import PkiStateMalformed, TrustError
from partycard.trust.keystore import KeyStore, KeyStoreError
from partycard.trust.keystore.file import DEFAULT_SCRYPT, FileKeyStore, ScryptParams
from partycard.trust.pki import signer_key_usable
from partycard.trust.state import PkiState
from partycard.trust.trustlist import TrustList, trustlist_accept, trustlist_verify

if TYPE_CHECKING:
    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

__all__ = [
    "DOCUMENT_SIGNER",
    "MIN_PASSPHRASE",
    "PKI_PKCS11_MODULE_ENV",
    "AuthorityMissing",
    "DocumentSigner",
    "KeyStoreUnavailable",
    "ManufacturerCertificates",
    "NoUsableSigner",
    "SigningUnavailable",
    "TrustListRolledBack",
    "TrustMaterial",
    "document_signer_current",
    "hsm_store_open",
    "hsm_stores_close",
    "keystore_failed",
    "manufacturer_current",
    "pki_directory",
    "pki_keystore_kdf",
    "pki_keystore_open",
    "pki_state_load",
    "trust_material",
]

DOCUMENT_SIGNER = "document-signer"  # PkiState's role of a DS (trust.authority writes it)
MIN_PASSPHRASE = 12


class SigningUnavailable(DomainError):
    """Nothing can be signed now. ``reason`` is a stable code; both wordings are kept (CLI, API, UI).

    ``message`` (DomainError's, shown to the user) is the Vietnamese wording when Vietnamese is active.
    """

    http_status = 409
    reason = "signing_unavailable"

    def __init__(self, message_en: str, message_vi: str) -> None:
        vietnamese = (translation.get_language() or settings.LANGUAGE_CODE).startswith("vi")
        super().__init__(message_vi if vietnamese else message_en, code=ErrorCode.CONFLICT)
        self.message_en = message_en
        self.message_vi = message_vi

    def __str__(self) -> str:
        return self.message_en


class KeyStoreUnavailable(SigningUnavailable):
    """The key store cannot be opened (no or short passphrase, wrong passphrase, unreadable store)."""

    reason = "key_store_unavailable"


class AuthorityMissing(SigningUnavailable):
    """No authority in the directory (``partycard pki init`` was never run there), or its state is damaged."""

    reason = "no_authority"


class TrustListRolledBack(AuthorityMissing):
    """The trust list on disk is older than one already published or served (a restored or replayed
    ``trustlist.json``): refused, as every verifier refuses it (trust/trustlist.py, rollback)."""

    reason = "trust_list_rollback"


class NoUsableSigner(SigningUnavailable):
    """No document signer may sign now: every one is past its private key usage period or revoked."""

    reason = "no_usable_signer"


@dataclass(frozen=True)
class DocumentSigner:
    """The DS key's label in the store and its certificate (what the SOD embeds)."""

    label: str
    certificate: x509.Certificate

    @property
    def serial(self) -> str:
        """The certificate serial in hex, as ``PkiState`` and ``partycard pki show`` write it."""
        return f"{self.certificate.serial_number:x}"


def pki_directory() -> Path:
    """The authority's directory: ``PARTYCARD_PKI_DIR``, or ``VAR_DIR/pki``."""
    return Path(os.environ.get("PARTYCARD_PKI_DIR") or Path(settings.VAR_DIR) / "pki")


def pki_keystore_kdf() -> ScryptParams:
    """The scrypt cost the file store writes new files with: the store's measured default
    (trust/keystore/file.py), or a cheaper one the test settings set (as their PASSWORD_HASHERS)."""
    cost = settings.PARTYCARD.get("KEYSTORE_SCRYPT")
    return DEFAULT_SCRYPT if cost is None else ScryptParams(**cost)


def pki_keystore_open(
    directory: Path | None = None, *, create: bool = False
) -> FileKeyStore | Pkcs11KeyStore:
    """The authority's key store: the HSM token of ``PARTYCARD_PKI_PKCS11_MODULE`` when set
    (:func:`hsm_store_open`), else the encrypted file store under ``directory/keys``, opened with
    ``PARTYCARD_PKI_PASSPHRASE``.

    Only ``create`` (``partycard pki init``, the audit key's first use) makes a missing ``keys`` directory:
    otherwise a store moved away or on a volume not mounted is an error naming it, not an empty store
    made in its place (which would then hide the real one when it comes back).

    Raises:
        KeyStoreUnavailable: the passphrase is unset or shorter than 12 characters, or does not open the
            keys already in the store; the store's directory is missing; the HSM token cannot be opened.
    """
    directory = directory or pki_directory()
    module = os.environ.get(PKI_PKCS11_MODULE_ENV)
    if module:
        return hsm_store_open(
            module, os.environ.get(PKI_PKCS11_TOKEN_ENV, ""), os.environ.get(PKI_PKCS11_PIN_ENV, "")
        )
    passphrase = os.environ.get("PARTYCARD_PKI_PASSPHRASE", "")
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyStoreUnavailable(
            f"set PARTYCARD_PKI_PASSPHRASE ({MIN_PASSPHRASE} characters or more) to open the key store",
            f"Hãy đặt PARTYCARD_PKI_PASSPHRASE (từ {MIN_PASSPHRASE} ký tự trở lên) để mở kho khóa.",
        )
    if not create and not (directory / "keys").is_dir():
        raise KeyStoreUnavailable(
            f"the key store {directory / 'keys'} is missing (moved, or its volume is not mounted)",
            f"Không thấy kho khóa {directory / 'keys'} (đã bị chuyển đi, hoặc ổ đĩa chứa nó chưa được gắn).",
        )
    try:
        return FileKeyStore(directory / "keys", passphrase.encode(), kdf=pki_keystore_kdf())
    except (KeyStoreError, OSError) as e:
        raise KeyStoreUnavailable(
            f"cannot open the key store in {directory / 'keys'}: {e}",
            f"Không mở được kho khóa {directory / 'keys'}: sai mật khẩu hoặc kho bị hỏng.",
        ) from e


def pki_state_load(directory: Path) -> PkiState:
    """The authority's state (its signers and revocations).

    Raises:
        AuthorityMissing: no ``state.json`` in ``directory``, or one that does not parse.
    """
    path = directory / "state.json"
    if not path.exists():
        raise AuthorityMissing(
            f"no authority in {directory}: run `partycard pki init`",
            f"Chưa có tổ chức chứng thực trong {directory}: hãy chạy `partycard pki init`.",
        )
    try:
        return PkiState.from_json(path.read_text(encoding="utf-8"))
    except PkiStateMalformed as e:
        raise AuthorityMissing(
            f"the authority's state in {path} is damaged",
            f"Tệp trạng thái {path} của tổ chức chứng thực bị hỏng.",
        ) from e


def document_signer_current(*, directory: Path, at: datetime) -> DocumentSigner:
    """The document signer that signs at ``at``: the newest one, not revoked, inside its key usage period.

    A DS signs only during its private key usage period (``trust.pki.signer_key_usable``); its
    certificate lives on so that what it signed still verifies. Whether the store holds the key is checked
    when signing (``chip.sod.signer_key_check``).

    Raises:
        AuthorityMissing: no authority in ``directory``, or a signer's certificate file is missing.
        NoUsableSigner: every document signer is revoked or outside its usage period at ``at``.
    """
    state = pki_state_load(directory)
    revoked = {r.serial for r in state.revocations}
    for record in reversed(state.signers):  # rollover appends: the newest signer is last
        if record.role != DOCUMENT_SIGNER or record.serial in revoked:
            continue
        path = directory / f"{record.label}.pem"
        try:
            certificate = x509.load_pem_x509_certificate(path.read_bytes())
        except (OSError, ValueError) as e:
            raise AuthorityMissing(
                f"the certificate of document signer {record.label} ({path}) is missing or damaged",
                f"Thiếu hoặc hỏng chứng thư của khóa ký tài liệu {record.label} ({path}).",
            ) from e
        if signer_key_usable(certificate, at):
            return DocumentSigner(record.label, certificate)
    raise NoUsableSigner(
        "no document signer may sign now (each is revoked or past its private key usage period): "
        "run `partycard pki rollover`",
        "Không còn khóa ký tài liệu (DS) nào được phép ký lúc này (đã bị thu hồi hoặc hết thời hạn "
        "dùng khóa): hãy chạy `partycard pki rollover`.",
    )


@dataclass(frozen=True)
class ManufacturerCertificates:
    """The card manufacturer's certificates: ``signing`` verifies its reports, ``encryption`` receives the
    batches and SOD files."""

    signing: x509.Certificate
    encryption: x509.Certificate


def manufacturer_current(directory: Path, at: datetime) -> ManufacturerCertificates | None:
    """The newest manufacturer pair (``partycard pki manufacturer``) with neither certificate revoked and
    both valid at ``at``; None when there is none.

    Raises:
        AuthorityMissing: no authority in ``directory``, or a recorded certificate file is missing.
    """
    state = pki_state_load(directory)
    revoked = {r.serial for r in state.revocations}
    records = {r.label: r for r in state.signers}
    for record in reversed(state.signers):
        if record.role != MANUFACTURER_SIGNING_ROLE:
            continue
        partner = records.get(record.label.removesuffix("-signing") + "-encryption")
        if partner is None or partner.role != MANUFACTURER_ENCRYPTION_ROLE:
            continue
        if record.serial in revoked or partner.serial in revoked:
            continue
        signing, encryption = (_certificate_file(directory, r.label) for r in (record, partner))
        if all(c.not_valid_before_utc <= at <= c.not_valid_after_utc for c in (signing, encryption)):
            return ManufacturerCertificates(signing=signing, encryption=encryption)
    return None


def _certificate_file(directory: Path, label: str) -> x509.Certificate:
    path = directory / f"{label}.pem"
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as e:
        raise AuthorityMissing(
            f"the certificate {label} ({path}) is missing or damaged",
            f"Thiếu hoặc hỏng chứng thư {label} ({path}).",
        ) from e


@dataclass(frozen=True)
class TrustMaterial:
    """What a verifier holds: the root certificate, the signed trust list as published, and it verified."""

    root: x509.Certificate
    document: bytes
    trust: TrustList


_trust_cache: dict[tuple[str, float, float], tuple[bytes, x509.Certificate, TrustList, datetime]] = {}
_REVERIFY = timedelta(minutes=5)  # a verified list is reused this long (its validity checks are by day)
_trust_highest: dict[tuple[str, int], int] = {}  # per directory and root: the highest list number served


def _sequence_published(directory: Path) -> int:
    """The last trust list number the authority in ``directory`` published; 0 without a state (a
    verifier-only directory holding just ``root.pem`` and ``trustlist.json``)."""
    path = directory / "state.json"
    if not path.exists():
        return 0
    return pki_state_load(directory).trustlist_sequence


def trust_material(*, directory: Path | None = None, at: datetime) -> TrustMaterial:
    """The authority's root and current trust list, the list verified at ``at`` (a stale one is flagged,
    not refused). The files are read again only when they change, and verified again every few minutes
    or when ``at`` crosses the list's next update (a verify endpoint must not re-check every request).

    Raises:
        AuthorityMissing: no root or trust list in the directory, or a list the root does not vouch for.
        TrustListRolledBack: the list is numbered below the authority's last published list, or below
            one this process served (a replaced ``trustlist.json``).
    """
    directory = directory or pki_directory()
    root_path, list_path = directory / "root.pem", directory / "trustlist.json"
    try:
        key = (str(directory), root_path.stat().st_mtime, list_path.stat().st_mtime)
    except OSError as e:
        raise AuthorityMissing(
            f"no root or trust list in {directory}: run `partycard pki init`",
            f"Chưa có chứng thư gốc hoặc danh sách tin cậy trong {directory}: hãy chạy `partycard pki init`.",
        ) from e
    cached = _trust_cache.get(key)
    if cached is not None:
        document, root, trust, verified_at = cached
        if abs(at - verified_at) < _REVERIFY and trust.stale == (at > trust.next_update):
            return TrustMaterial(root=root, document=document, trust=trust)
    document, root = list_path.read_bytes(), x509.load_pem_x509_certificate(root_path.read_bytes())
    try:
        trust = trustlist_verify(document, root, at)
    except TrustError as e:
        raise AuthorityMissing(
            f"the trust list in {directory} does not verify: {e}",
            f"Danh sách tin cậy trong {directory} không hợp lệ.",
        ) from e
    # Rollback: never older than what the authority's state says it published, nor than what this
    # process served before (a state restored together with an old list).
    seen = (str(directory), root.serial_number)  # a new root (``pki init`` again) starts a new count
    highest = max(_sequence_published(directory), _trust_highest.get(seen, 0))
    try:
        _trust_highest[seen] = trustlist_accept(trust, highest=highest)
    except TrustError as e:
        raise TrustListRolledBack(
            f"the trust list in {directory} is older than one already published (trust_list_rollback): {e}",
            f"Danh sách tin cậy trong {directory} cũ hơn danh sách đã phát hành (trust_list_rollback).",
        ) from e
    _trust_cache.clear()
    _trust_cache[key] = (document, root, trust, at)
    return TrustMaterial(root=root, document=document, trust=trust)


# --- issue 19: the key store unavailable during signing ---
# The authority's keys in an HSM: one PKCS#11 session per token per process (a second login to the same
# token is refused by ``Pkcs11KeyStore``), shared with the audit key's store (``audit.checkpoint``).
PKI_PKCS11_MODULE_ENV = "PARTYCARD_PKI_PKCS11_MODULE"
PKI_PKCS11_TOKEN_ENV = "PARTYCARD_PKI_PKCS11_TOKEN"  # noqa: S105 - a variable's name
PKI_PKCS11_PIN_ENV = "PARTYCARD_PKI_PKCS11_PIN"
_hsm_stores: dict[tuple[str, str], Pkcs11KeyStore] = {}
_hsm_lock = threading.Lock()


def hsm_store_open(module: str, token: str, pin: str) -> Pkcs11KeyStore:
    """The process's store on HSM token ``token`` of the PKCS#11 ``module``, opened (logged in) once.

    A token not found is looked for once more after re-initialising the module (a module lists its
    tokens when it is initialised: one that came back since is seen only then); a token that still cannot
    be opened leaves nothing cached.

    Raises:
        KeyStoreUnavailable: the module cannot be loaded, the token is not there, or the PIN is refused.
    """
    with _hsm_lock:
        store = _hsm_stores.get((module, token))
        if store is not None:
            return store
        from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore  # loads python-pkcs11 only when used

        try:
            try:
                store = Pkcs11KeyStore(module, token, pin)
            except TrustError:
                _hsm_module_reset(module)
                store = Pkcs11KeyStore(module, token, pin)
        except TrustError as e:
            raise KeyStoreUnavailable(
                f"cannot open the HSM token {token!r} (key store): {e}",
                f"Không mở được token HSM {token!r} (kho khóa).",
            ) from e
        _hsm_stores[(module, token)] = store
        return store


def hsm_stores_close() -> None:
    """Close every HSM session :func:`hsm_store_open` keeps (at shutdown; a test that opened one)."""
    with _hsm_lock:
        for store in _hsm_stores.values():
            _close_quietly(store)
        _hsm_stores.clear()


def keystore_failed(store: KeyStore) -> None:
    """Forget ``store`` after it failed mid-use (a token removed, a session the module dropped), so that
    the next :func:`pki_keystore_open` opens the token afresh once it is back, without a restart.

    A PKCS#11 module keeps a token's state for the whole process: the module is re-initialised, which ends
    every session of that module here (each is dropped from the cache with it). A file store needs nothing:
    each open reads the directory again.
    """
    with _hsm_lock:
        for module, _token in [key for key, cached in _hsm_stores.items() if cached is store]:
            _hsm_module_reset(module)


def _close_quietly(store: Pkcs11KeyStore) -> None:
    with contextlib.suppress(Exception):  # a session the module already dropped: nothing left to close
        store.close()


def _hsm_module_reset(module: str) -> None:
    """Re-initialise ``module`` (under ``_hsm_lock``): its sessions here end, so its stores are dropped."""
    import pkcs11

    for key in [k for k in _hsm_stores if k[0] == module]:
        _close_quietly(_hsm_stores.pop(key))
    with contextlib.suppress(Exception):  # a module that cannot even load: the next open says so
        pkcs11.lib(module).reinitialize()
