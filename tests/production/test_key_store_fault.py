"""The key store unavailable during signing (issue 19, faults): the SOD job of a batch loses its key store
after its first chunk: the encrypted file store's directory moved away, or the HSM token (SoftHSM2 over
PKCS#11) gone from under its open session. The job stops with an error naming the key store; no card of
the failed chunk is recorded signed and no part of it is written; once the store is back, resuming the job
signs the rest and seals the batch exactly once, and the batch closes with every card produced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from partycard.audit.models import AuditEvent
from partycard.audit.services import audit_verify
from partycard.cards.lifecycle import CardState
from partycard.cards.models import Card
from partycard.core.signing import hsm_stores_close
from partycard.jobs.models import Job, JobChunk
from partycard.jobs.services import job_run
from partycard.production import services
from partycard.production.errors import ProductionError
from partycard.production.models import Batch, BatchCard
from partycard.production.services.reconciling import sod_file_path
from partycard.production.storage import parts_dir
from tests.production.test_round_trip import approve, build, finish, personalise
from tests.trust.keystore.conftest import SO_PIN, USER_PIN, SoftHsm, softhsm  # noqa: F401

pytestmark = pytest.mark.django_db


@dataclass
class Outage:
    """How the key store goes away and comes back, and what the error must name."""

    away: Callable[[], None]
    back: Callable[[], None]
    named: str


def _file_store(tmp_path: Path) -> Outage:
    keys, hidden = tmp_path / "pki" / "keys", tmp_path / "keys.away"
    return Outage(lambda: keys.rename(hidden), lambda: hidden.rename(keys), str(keys))


def _hsm_token(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    hsm: SoftHsm = request.getfixturevalue("softhsm")
    import pkcs11

    tokens = Path(os.environ["SOFTHSM2_CONF"]).read_text().split("directories.tokendir = ")[1].split("\n")[0]
    before = set(os.listdir(tokens))
    label = f"prod-{uuid.uuid4().hex[:8]}"  # a token of this test's own: the authority's labels are fixed
    subprocess.run(
        [shutil.which("softhsm2-util") or "softhsm2-util", "--init-token", "--free", "--label", label,
         "--so-pin", SO_PIN, "--pin", USER_PIN],
        check=True, capture_output=True,
    )  # fmt: skip
    (directory,) = set(os.listdir(tokens)) - before
    token, hidden = Path(tokens) / directory, Path(tokens).parent / f"{directory}.away"
    pkcs11.lib(hsm.module_path).reinitialize()  # the module lists its tokens when it is initialised
    monkeypatch.setenv("PARTYCARD_PKI_PKCS11_MODULE", hsm.module_path)
    monkeypatch.setenv("PARTYCARD_PKI_PKCS11_TOKEN", label)
    monkeypatch.setenv("PARTYCARD_PKI_PKCS11_PIN", USER_PIN)
    try:
        yield Outage(lambda: token.rename(hidden), lambda: hidden.rename(token), label)
    finally:
        hsm_stores_close()
        if hidden.exists():
            hidden.rename(token)


@pytest.fixture(params=["file", "hsm"])
def outage(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Outage]:
    """Set up before ``world`` (which runs ``pki init`` in the store chosen here)."""
    if request.param == "file":
        yield _file_store(tmp_path)
    else:
        yield from _hsm_token(request, monkeypatch)


def test_the_key_store_lost_mid_batch_stops_cleanly_and_resumes_once(
    outage: Outage, world: Any, tmp_path: Path
) -> None:
    approve()
    hanoi = next(b for b in services.batches_plan(actor=None, layout="v1") if b.card_count == 3)
    build(hanoi)
    services.keys_import(actor=None, data=personalise(world, hanoi), enqueue=False)
    job = Job.objects.get(kind="production.sod", params__batch=hanoi.pk)
    assert job.chunk_count == 3  # two chunks of cards (chunk size 2), then the seal
    assert job_run(job.pk, stop_after=1).chunks_done == 1
    signed = set(BatchCard.objects.filter(batch=hanoi).exclude(sod_sha256="").values_list("pk", flat=True))
    assert len(signed) == 2

    outage.away()
    with pytest.raises(ProductionError) as raised:
        job_run(job.pk)
    assert raised.value.codes == ["key_store_unavailable"]
    assert outage.named in str(raised.value)
    stopped = Job.objects.get(pk=job.pk)
    assert stopped.status == Job.Status.FAILED and outage.named in stopped.error
    # Nothing half-signed: the chunk's card has no SOD recorded and no part; the batch is not sealed.
    after = BatchCard.objects.filter(batch=hanoi).exclude(sod_sha256="").values_list("pk", flat=True)
    assert set(after) == signed
    assert sorted(p.name for p in parts_dir(hanoi.code, "sod").iterdir()) == ["00000.cbor"]
    hanoi.refresh_from_db()
    assert hanoi.state == Batch.State.KEYS_IMPORTED and not sod_file_path(hanoi).exists()
    assert not (tmp_path / "pki" / "keys").exists() or outage.named.startswith("prod-")  # not re-made empty
    # Resumed while the store is still away: the same clear refusal, still nothing written.
    with pytest.raises(ProductionError):
        job_run(job.pk)
    assert JobChunk.objects.filter(job=job).count() == 1

    outage.back()
    done = job_run(job.pk)
    assert done.status == Job.Status.DONE, done.error
    assert JobChunk.objects.filter(job=job).count() == job.chunk_count
    hanoi.refresh_from_db()
    assert hanoi.state == Batch.State.SOD_SEALED
    assert not BatchCard.objects.filter(batch=hanoi, outcome="personalised", sod_sha256="").exists()
    assert AuditEvent.objects.filter(action="production.sod_seal").count() == 1
    assert job_run(job.pk).status == Job.Status.DONE  # again: nothing more
    # The manufacturer finishes the chips with the SODs (each verified on its chip) and the batch closes.
    services.report_import(actor=None, data=finish(world, hanoi))
    hanoi.refresh_from_db()
    assert (hanoi.state, hanoi.produced) == (Batch.State.CLOSED, 3)
    assert Card.objects.filter(state=CardState.PRODUCED).count() == 3
    assert audit_verify().ok
