"""The signing authority on disk: the root, the document signers, the trust-list signer, the state, the
CRL and the signed trust list, in one directory; the keys stay in their store.

``authority_init`` makes a new root (the Government Cipher Committee's), a first document signer and a
trust-list signer (the Organisation Commission's), then publishes. ``authority_publish`` issues a fresh CRL
and trust list (what every verifier downloads); ``authority_rollover`` issues the next document signer;
``authority_revoke`` revokes a signer and publishes at once. Certificates are public and written as PEM;
the CRL as DER; the trust list as the signed JSON of ``trustlist.trustlist_build``. Pure library.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from partycard.trust import oids
from partycard.trust.errors import PkiParameterError
from partycard.trust.keystore import KeyStore
from partycard.trust.pki import (
    crl_issue,
    manufacturer_issue,
    root_create,
    signer_issue,
    trustlist_signer_issue,
)
from partycard.trust.state import PkiState
from partycard.trust.trustlist import ChipPolicy, trustlist_build

__all__ = [
    "MANUFACTURER_ENCRYPTION_ROLE",
    "MANUFACTURER_SIGNING_ROLE",
    "Policy",
    "authority_init",
    "authority_manufacturer",
    "authority_publish",
    "authority_revoke",
    "authority_rollover",
]

ROOT_LABEL = "root"
TRUSTLIST_LABEL = "trustlist-1"
MANUFACTURER_SIGNING_ROLE = "manufacturer-signing"  # PkiState roles of the manufacturer's certificates
MANUFACTURER_ENCRYPTION_ROLE = "manufacturer-encryption"


@dataclass(frozen=True)
class Policy:
    """Lifetimes (days unless named). A signer signs for ``signer_usage_days`` and its certificate lives on
    ``signer_valid_days`` so that cards it signed still verify (ICAO 9303-12's pattern)."""

    root_years: int = 15
    signer_valid_days: int = 11 * 365
    signer_usage_days: int = 90
    trustlist_signer_days: int = 3 * 365
    publish_days: int = 7  # a CRL and trust list's next update
    manufacturer_years: int = 3


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.PEM)


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _state(directory: Path) -> PkiState:
    path = directory / "state.json"
    if not path.exists():
        raise PkiParameterError(f"no authority in {directory}: run init first")
    return PkiState.from_json(path.read_text(encoding="utf-8"))


def _signer_certs(directory: Path, state: PkiState, role: str) -> list[x509.Certificate]:
    return [_load(directory / f"{s.label}.pem") for s in state.signers if s.role == role]


def authority_init(*, store: KeyStore, directory: Path, now: datetime, policy: Policy = Policy()) -> PkiState:
    """A new root, the trust-list signer and a first document signer; then the first CRL and trust list."""
    directory.mkdir(parents=True, exist_ok=True)
    if (directory / "state.json").exists():
        raise PkiParameterError(f"an authority already exists in {directory}")
    root = root_create(
        store=store,
        label=ROOT_LABEL,
        subject_cn="Party Card Root CA",
        valid_years=policy.root_years,
        not_before=now,
    )
    _write(directory / "root.pem", _pem(root))
    listing = trustlist_signer_issue(
        store=store,
        root_cert=root,
        root_label=ROOT_LABEL,
        signer_label=TRUSTLIST_LABEL,
        subject_cn="Party Card Trust List Signer 1",
        valid_days=policy.trustlist_signer_days,
        not_before=now,
    )
    _write(directory / f"{TRUSTLIST_LABEL}.pem", _pem(listing))
    state = PkiState(root_label=ROOT_LABEL)
    state.signer_record(label=TRUSTLIST_LABEL, certificate=listing, role="trustlist-signer")
    _write(directory / "state.json", state.to_json().encode())
    authority_rollover(store=store, directory=directory, now=now, policy=policy)
    return _state(directory)


def authority_rollover(
    *, store: KeyStore, directory: Path, now: datetime, policy: Policy = Policy()
) -> x509.Certificate:
    """Issue the next document signer (a new key in the store), then publish the trust list with it."""
    state = _state(directory)
    number = 1 + sum(1 for s in state.signers if s.role == "document-signer")
    label = f"ds-{number}"
    root = _load(directory / "root.pem")
    cert = signer_issue(
        store=store,
        root_cert=root,
        root_label=state.root_label,
        signer_label=label,
        subject_cn=f"Party Card Document Signer {number}",
        valid_days=policy.signer_valid_days,
        private_key_usage_days=policy.signer_usage_days,
        not_before=now,
        # One signer for both documents: the chip's SOD and the e-card's credentials and status lists
        # (a verifier checks the type it needs; separate signers are a policy change, not a code one).
        document_types=(oids.PARTY_CARD_DOCUMENT_TYPE, oids.ECARD_DOCUMENT_TYPE),
    )
    _write(directory / f"{label}.pem", _pem(cert))
    state.signer_record(label=label, certificate=cert, role="document-signer")
    _write(directory / "state.json", state.to_json().encode())
    authority_publish(store=store, directory=directory, now=now, policy=policy)
    return cert


def authority_manufacturer(
    *,
    store: KeyStore,
    directory: Path,
    organization: str,
    signing_key: ec.EllipticCurvePublicKey,
    encryption_key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey,
    now: datetime,
    policy: Policy = Policy(),
) -> tuple[Path, Path]:
    """Issue the card manufacturer's signing and encryption certificates for its public keys (its private
    keys stay at the factory), write them as ``manufacturer-N-signing.pem`` / ``-encryption.pem`` and record
    them in the state (so that ``authority_revoke`` can revoke them); return the two paths.

    The trust list does not carry them: it lists document signers only.
    """
    state = _state(directory)
    root = _load(directory / "root.pem")
    signing, encryption = manufacturer_issue(
        store=store,
        root_label=state.root_label,
        root_cert=root,
        organization=organization,
        signing_key=signing_key,
        encryption_key=encryption_key,
        not_before=now,
        years=policy.manufacturer_years,
    )
    number = 1 + sum(1 for s in state.signers if s.role == MANUFACTURER_SIGNING_ROLE)
    paths = []
    for certificate, kind, role in (
        (signing, "signing", MANUFACTURER_SIGNING_ROLE),
        (encryption, "encryption", MANUFACTURER_ENCRYPTION_ROLE),
    ):
        label = f"manufacturer-{number}-{kind}"
        path = directory / f"{label}.pem"
        _write(path, _pem(certificate))
        state.signer_record(label=label, certificate=certificate, role=role)
        paths.append(path)
    _write(directory / "state.json", state.to_json().encode())
    return paths[0], paths[1]


def authority_revoke(
    *,
    store: KeyStore,
    directory: Path,
    serial: int,
    now: datetime,
    reason: x509.ReasonFlags | None = None,
    policy: Policy = Policy(),
) -> None:
    """Revoke a signer and publish at once (the next CRL and trust list carry it)."""
    state = _state(directory)
    state.revoke(serial=serial, at=now, reason=reason)
    _write(directory / "state.json", state.to_json().encode())
    authority_publish(store=store, directory=directory, now=now, policy=policy)


def authority_publish(
    *,
    store: KeyStore,
    directory: Path,
    now: datetime,
    policy: Policy = Policy(),
    sequence_from: int | None = None,
    aa_fallback: bool | None = None,
) -> bytes:
    """Issue a fresh CRL and sign a fresh trust list (valid until ``now + publish_days``) numbered one
    above the last published (``PkiState.trustlist_sequence``); return it.

    Args:
        sequence_from: number the list at least this: after the authority was restored from a backup,
            its state's count is behind the lists verifiers already accepted, which would refuse the
            next ones as rollbacks until the count passed them (docs/operations.md).
        aa_fallback: set the chip policy this list and every later one carry (kept in the state, so a
            rollover or a revocation publishes it again); None keeps the state's (off for a new
            authority). See ``trustlist.ChipPolicy``.

    Raises:
        PkiParameterError: ``sequence_from`` is not a positive integer.
    """
    if sequence_from is not None and (isinstance(sequence_from, bool) or sequence_from < 1):
        raise PkiParameterError("sequence_from must be a positive integer")
    state = _state(directory)
    if sequence_from is not None:
        state.trustlist_sequence = max(state.trustlist_sequence, sequence_from - 1)
    if aa_fallback is not None:
        if not isinstance(aa_fallback, bool):
            raise PkiParameterError("aa_fallback must be True, False or None")
        state.aa_fallback = aa_fallback
    root = _load(directory / "root.pem")
    next_update = now + timedelta(days=policy.publish_days)
    crl = crl_issue(
        store=store,
        root_cert=root,
        root_label=state.root_label,
        revoked=state.revoked(),
        this_update=now,
        next_update=next_update,
        crl_number=state.next_crl_number(),
    )
    sequence = state.next_trustlist_sequence()
    # The state first: a list whose write fails leaves a gap in the numbers, never a number used twice.
    _write(directory / "state.json", state.to_json().encode())
    _write(directory / "root.crl", crl.public_bytes(Encoding.DER))
    document = trustlist_build(
        store=store,
        signer_label=TRUSTLIST_LABEL,
        signer_certificate=_load(directory / f"{TRUSTLIST_LABEL}.pem"),
        signers=_signer_certs(directory, state, "document-signer"),
        crl=crl,
        issued_at=now,
        next_update=next_update,
        sequence=sequence,
        chip_policy=ChipPolicy(aa_fallback=state.aa_fallback),
    )
    _write(directory / "trustlist.json", document)
    return document
