"""What the verifier endpoints serve: signed status list tokens (cached per list version) and the
server's own verdicts (against the current trust list and the authoritative status lists); and the same
tokens written as files for offline readers (:func:`status_lists_publish`).

A status list token is signed on the first fetch of each version and kept in memory, so a burst of
verifiers costs one signature per revocation, not one per request. The server's own verifier uses the
lists straight from the database (fresher than any token) through a short in-process cache; or, with
``PARTYCARD_VERIFY_STATUS_SOURCE=files`` (a verifier host without the database: docs/ecard.md, "The
stateless verifier"), the signed tokens published in ``PARTYCARD_PKI_DIR/status/``.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings

from partycard.core import clock
from partycard.core.signing import (
    TrustMaterial,
    document_signer_current,
    pki_directory,
    pki_keystore_open,
    trust_material,
)
from partycard.credentials.models import StatusListRecord
from partycard.credentials.services import status_list_current, status_list_uri
from partycard.credentials.status_files import StatusFolder
from partycard.ecard.status import StatusList
from partycard.ops.metrics import verdict_count
from partycard.verify.qr import QrVerifier
from partycard.verify.verdict import Verdict

__all__ = [
    "StatusListMissing",
    "StatusToken",
    "caches_clear",
    "status_list_lookup",
    "status_list_token",
    "status_lists_publish",
    "verdict_for",
]

TTL = timedelta(minutes=15)  # how long verifiers may use a list before fetching it again
VALIDITY = timedelta(days=1)  # a list's exp: past it, offline verifiers say "cannot tell"
_LOCAL_SECONDS = 2.0  # the server's own verifier re-reads a list's version at most this often


class StatusListMissing(LookupError):
    """No status list with that id."""


@dataclass(frozen=True)
class StatusToken:
    body: bytes
    media_type: str
    ttl_seconds: int


_tokens: dict[tuple[int, int, bool], StatusToken] = {}
_lists: dict[int, tuple[float, int, StatusList]] = {}
_lock = threading.Lock()


def caches_clear() -> None:
    """Forget every cached token and list (tests; a restored database)."""
    global _verifier, _folder
    with _lock:
        _tokens.clear()
        _lists.clear()
        _verifier = None
        _folder = None


def _token_sign(record: StatusListRecord, *, cwt: bool, now: datetime) -> StatusToken:
    """Sign ``record``'s list as it is now with the current signer: valid ``VALIDITY``, TTL ``TTL``.

    Raises:
        SigningUnavailable: the key store or a usable signer is missing.
    """
    from partycard.ecard import status as status_format

    directory = pki_directory()
    store = pki_keystore_open(directory)
    signer = document_signer_current(directory=directory, at=now)
    sign = status_format.status_list_cwt_sign if cwt else status_format.status_list_jwt_sign
    signed = sign(
        store,
        signer.label,
        signer.certificate,
        uri=status_list_uri(record.pk),
        packed=bytes(record.packed),
        bits=record.bits,
        issued_at=now,
        expires_at=now + VALIDITY,
        ttl=TTL,
    )
    if isinstance(signed, bytes):
        return StatusToken(signed, "application/statuslist+cwt", int(TTL.total_seconds()))
    return StatusToken(signed.encode("ascii"), "application/statuslist+jwt", int(TTL.total_seconds()))


def status_list_token(list_id: int, *, cwt: bool = False) -> StatusToken:
    """The signed token of status list ``list_id`` (JWT, or CWT), signed by the current signer.

    Raises:
        StatusListMissing: no such list.
        SigningUnavailable: the key store or a usable signer is missing.
    """
    record = StatusListRecord.objects.filter(pk=list_id).first()
    if record is None:
        raise StatusListMissing(list_id)
    key = (record.pk, record.version, cwt)
    with _lock:
        cached = _tokens.get(key)
    if cached is not None:
        return cached
    token = _token_sign(record, cwt=cwt, now=clock.now())
    with _lock:
        for stale_key in [k for k in _tokens if k[0] == record.pk]:
            del _tokens[stale_key]
        _tokens[key] = token
    return token


def status_lists_publish() -> list[Path]:
    """Write every status list, freshly signed now, to ``PARTYCARD_PKI_DIR/status/<id>.jwt``, beside the
    trust list: what an offline reader copies with it (``partycard read-card`` reads that folder).

    Each file is replaced atomically (a reader never sees half a token). The tokens are signed here, not
    taken from the endpoint's cache, so each file's ``iat`` is the time of publishing: its time-to-live
    (``TTL``) runs from then, and a reader whose copy is older than that answers "cannot tell".

    Raises:
        SigningUnavailable: the key store or a usable signer is missing (nothing is written then).
    """
    folder = pki_directory() / "status"
    now = clock.now()
    tokens = [
        (record.pk, _token_sign(record, cwt=False, now=now))
        for record in StatusListRecord.objects.order_by("pk")
    ]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for list_id, token in tokens:
        path = folder / f"{list_id}.jwt"
        partial = folder / f".{list_id}.jwt.partial"
        partial.write_bytes(token.body)
        os.replace(partial, path)
        written.append(path)
    return written


def status_list_lookup(uri: str, *, at: datetime) -> StatusList | None:
    """This server's status list at ``uri`` (None if the URI is not one of ours)."""
    prefix = status_list_uri(0)[:-1]
    if not uri.startswith(prefix) or not uri[len(prefix) :].isascii() or not uri[len(prefix) :].isdigit():
        return None
    list_id = int(uri[len(prefix) :])
    now = time.monotonic()
    with _lock:
        cached = _lists.get(list_id)
    if cached is not None and now - cached[0] < _LOCAL_SECONDS:
        return cached[2]
    version = StatusListRecord.objects.filter(pk=list_id).values_list("version", flat=True).first()
    if version is None:
        return None
    if cached is not None and cached[1] == version:
        current = cached[2]
    else:
        current = status_list_current(StatusListRecord.objects.get(pk=list_id), at=at)
    with _lock:
        _lists[list_id] = (now, version, current)
    return current


_verifier: QrVerifier | None = None
_folder: StatusFolder | None = None  # the "files" source's lists, for the PKI directory it reads


def _status_folder() -> StatusFolder:
    global _folder
    folder, directory = _folder, pki_directory() / "status"
    if folder is None or folder.directory != directory:
        with _lock:
            folder = _folder = StatusFolder(
                directory, check_seconds=settings.PARTYCARD["VERIFY_STATUS_FILES_CHECK"]
            )
    return folder


def _status(uri: str, *, material: TrustMaterial, at: datetime) -> StatusList | None:
    """The verifier's status list at ``uri``, from the source ``PARTYCARD["VERIFY_STATUS_SOURCE"]`` names:
    the database (authoritative, never stale, re-read at most every 2 s) or the published files
    (verified with ``material``; stale past their time-to-live)."""
    if settings.PARTYCARD["VERIFY_STATUS_SOURCE"] == "files":
        return _status_folder().lookup(uri, material=material, at=at)
    return status_list_lookup(uri, at=at)


def _qr_verifier(material: TrustMaterial) -> QrVerifier:
    """One verifier per process while the trust material stays the same: it caches each signer's
    checks (a root signature verify), which rebuilt per request cost ~45 % of a verdict
    (docs/performance.md). ``trust_material`` returns the same objects until the files change or the
    list is re-checked, and then a new verifier is made; two threads racing build two, the last wins."""
    global _verifier
    verifier = _verifier
    if verifier is None or verifier.trust is not material.trust or verifier.root is not material.root:
        # The lookup must not close over one request's time: the verifier outlives it. The server's own
        # lists are never stale, so the time only dates them; a published file's staleness is judged by
        # the verdict at the request's time.
        verifier = QrVerifier(
            trust=material.trust,
            root=material.root,
            status=lambda uri: _status(uri, material=material, at=clock.now()),
        )
        _verifier = verifier
    return verifier


def verdict_for(
    *, qr: str | None, sd_jwt: str | None, audience: str | None, nonce: str | None, at: datetime
) -> Verdict:
    """The server's verdict on a QR or an SD-JWT presentation.

    Raises:
        SigningUnavailable: no trust material on this server.
    """
    from partycard.verify import sdjwt as sdjwt_verify

    material = trust_material(at=at)

    def lookup(uri: str) -> StatusList | None:
        return _status(uri, material=material, at=at)

    if qr is not None:
        verdict = _qr_verifier(material).verdict(qr, now=at)
        verdict_count(verdict, channel="qr")
        return verdict
    assert sd_jwt is not None and audience is not None and nonce is not None
    verdict = sdjwt_verify.sdjwt_verdict(
        sd_jwt,
        trust=material.trust,
        root=material.root,
        now=at,
        status=lookup,
        audience=audience,
        nonce=nonce,
    )
    verdict_count(verdict, channel="sd_jwt")
    return verdict
