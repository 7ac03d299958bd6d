"""What every production write shares: who may act (the Centre), problems worded once, the signer."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.batches import seal, sha256_hex
from partycard.core.scope import scope_require
from partycard.core.signing import (
    DocumentSigner,
    SigningUnavailable,
    document_signer_current,
    keystore_failed,
    pki_directory,
    pki_keystore_open,
)
from partycard.exchange.services.cases import home_level
from partycard.exchange.workflow import Level
from partycard.production.errors import ProductionError, ProductionProblem
from partycard.production.models import Batch
from partycard.production.storage import file_write
from partycard.trust.keystore import KeyNotFound, KeyStore, KeyStoreError

__all__ = [
    "batch_close_empty",
    "batch_locked",
    "centre_require",
    "manufacturer_open",
    "problem",
    "sealed_write",
    "signing_guard",
    "signing_open",
]


def problem(code: str, message: str, number: str = "") -> ProductionProblem:
    return ProductionProblem(code, message, number)


def centre_require(actor: Any) -> None:
    """Production is the Centre's (the Organisation Commission's): a central administrator placed at the
    Centre, or the system (``actor`` None: jobs and the operator's command line)."""
    if actor is not None and home_level(actor) is not Level.CENTRE:
        raise ProductionError([problem("wrong_level", _("Only the Centre runs card production."))])


def batch_locked(actor: Any, batch: Batch | int) -> Batch:
    """The batch, locked, after checking it **and** its province against the actor's scope."""
    pk = batch if isinstance(batch, int) else batch.pk
    found = Batch.objects.select_for_update().select_related("province").filter(pk=pk).first()
    if found is None:
        raise ProductionError([problem("not_found", _("No such batch."))])
    scope_require(actor, Action.CHANGE_BATCH, found)
    scope_require(actor, Action.VIEW_ORGANISATION, found.province)
    return found


def signing_open(at: datetime) -> tuple[KeyStore, DocumentSigner]:
    """The key store and the document signer that signs now (the Organisation Commission's)."""
    try:
        directory = pki_directory()
        return pki_keystore_open(directory), document_signer_current(directory=directory, at=at)
    except SigningUnavailable as e:
        raise ProductionError([problem(e.reason, str(e.message))]) from e


@contextlib.contextmanager
def signing_guard(store: KeyStore) -> Iterator[None]:
    """Turn the key store failing while the block signs (a token removed, an HSM session dropped, a key
    file gone) into the production error that names the store. The caller's transaction rolls back with
    it, so no card is left half-signed; the store is forgotten (``keystore_failed``) so that resuming the
    job once it is back opens it afresh.

    Raises:
        ProductionError: ``key_store_unavailable``.
    """
    try:
        yield
    except (KeyStoreError, KeyNotFound, OSError) as e:  # not a refusal of the data (those stay as they are)
        keystore_failed(store)
        raise ProductionError(
            [
                problem(
                    "key_store_unavailable",
                    _(
                        "The key store %(store)s stopped answering while signing; nothing of this step "
                        "was kept. Once it is back, resume the job."
                    )
                    % {"store": repr(store)},
                )
            ]
        ) from e


def manufacturer_open(at: datetime) -> tuple[Any, Any]:
    """The manufacturer's signing and encryption certificates that are valid at ``at``.

    Raises:
        ProductionError: no manufacturer is registered (``partycard pki manufacturer``).
    """
    from partycard.core.signing import manufacturer_current

    found = manufacturer_current(directory=pki_directory(), at=at)
    if found is None:
        raise ProductionError(
            [
                problem(
                    "no_manufacturer",
                    _("No card manufacturer is registered: run `partycard pki manufacturer`."),
                )
            ]
        )
    return found.signing, found.encryption


def sealed_write(*, content: bytes, path: Path, at: datetime) -> tuple[str, str]:
    """Sign ``content`` with the document signer that signs at ``at``, encrypt it to the registered
    manufacturer (``batches.seal``) and write it to ``path``; the file's SHA-256 and the signer's label."""
    store, signer = signing_open(at)
    _signing, encryption = manufacturer_open(at)
    with signing_guard(store):
        sealed = seal(
            content,
            store=store,
            signer_label=signer.label,
            signer_cert=signer.certificate,
            recipient=encryption,
            at=at,
        )
    file_write(path, sealed)
    return sha256_hex(sealed), signer.label


def batch_close_empty(*, actor: Any, batch: Batch, action: str, at: datetime) -> None:
    """Close a locked batch left with no card to send (every one left out, or spoiled in pass one)."""
    batch.state, batch.closed_at = Batch.State.CLOSED, at
    batch.save(update_fields=["state", "closed_at"])
    audit_record(actor=actor, action=action, obj=batch, changes={"cards": 0})
