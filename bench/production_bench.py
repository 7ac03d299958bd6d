"""Production benchmark (issue 14): build, seal and reconcile BENCH_CARDS cards with the manufacturer.

Drops and recreates its own PostgreSQL database, seeds a registry, gives the first BENCH_CARDS official
members a new card (``cards_allocate``, untimed setup), then times partycard's side of production:

1. plan: ``batches_plan`` (batches of BATCH_MAX_CARDS, one province each);
2. build: ``batch_release`` + ``job_run`` for every batch (pass one: data groups, print data, status
   entries, cards into production, each batch signed with the document signer and encrypted to the
   manufacturer);
3. keys: ``keys_import`` of each batch's key report + the SOD job (pass two: one EF.SOD signed per card
   over the DG15 the chip reported, the SOD file signed and encrypted);
4. report: ``report_import`` of each production report (cards produced, at the Centre).

The manufacturer's side between the phases is simulated minimally and NOT timed (it is the card bureau's
time, not partycard's): unseal the file, generate one P-256 key per card (what the chip does), sign the
key report; unseal the SOD file, sign the production report.

The raw limit, measured in the same run: per card, one ECDSA signature through the same key store (what
an EF.SOD costs) and AES-256-GCM over the card's share of both sealed files' bytes. Ratio = raw seconds /
partycard's seconds (target ≥ 50 %); the projection to 5.6 M cards scales the timed total linearly
(target < 60 minutes). Writes ``bench/results/production.json``.

    .venv/bin/python bench/production_bench.py            # BENCH_CARDS=200000 by default
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import env_int, log, machine_info  # bench/common.py

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
NATIONAL = 5_600_000
DB = os.environ.get("BENCH_DB", "partycard_prod_bench")
URL = f"postgres://postgres@127.0.0.1:5432/{DB}"
PASSPHRASE = "bench passphrase, not for production"  # noqa: S105 - a benchmark's throwaway store


class Phase:
    """Times a phase; with BENCH_PROFILE=1 also prints where its time went (cProfile, SQL by statement)."""

    def __init__(self, name: str, timings: dict[str, float]) -> None:
        self.name, self.timings = name, timings
        self.profile = os.environ.get("BENCH_PROFILE") == "1"

    def __enter__(self) -> Phase:
        import collections
        import cProfile

        from django.db import connection

        self.sql: dict[str, list[float]] = collections.defaultdict(lambda: [0, 0.0])
        if self.profile:
            self.profiler = cProfile.Profile()
            self.wrapper = connection.execute_wrapper(self._sql)
            self.wrapper.__enter__()
            self.profiler.enable()
        self.t0 = time.perf_counter()
        return self

    def _sql(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        t = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            entry = self.sql[" ".join(sql.split()[:3])[:60]]
            entry[0] += 1
            entry[1] += time.perf_counter() - t

    def __exit__(self, *exc: object) -> None:
        self.timings[self.name] = time.perf_counter() - self.t0
        if self.profile:
            import pstats

            self.profiler.disable()
            self.wrapper.__exit__(None, None, None)
            in_sql = sum(v[1] for v in self.sql.values())
            print(f"---- {self.name}: {self.timings[self.name]:.2f} s, SQL {in_sql:.2f} s")
            for key, (n, seconds) in sorted(self.sql.items(), key=lambda kv: -kv[1][1])[:8]:
                print(f"  {seconds:7.2f} s {int(n):7d}× {key}")
            pstats.Stats(self.profiler).sort_stats("cumulative").print_stats("partycard", 25)


def sh(*args: str, env: dict[str, str]) -> None:
    subprocess.run(args, check=True, env=env, cwd=ROOT)


def main() -> None:
    cards = env_int("BENCH_CARDS", 200_000)
    members = env_int("BENCH_MEMBERS", int(cards * 1.35))
    work = Path(tempfile.mkdtemp(prefix="prodbench-"))
    env = {
        **os.environ,
        "DATABASE_URL": URL,
        "DJANGO_SETTINGS_MODULE": "partycard.settings.dev",
        "PARTYCARD_PKI_DIR": str(work / "pki"),
        "PARTYCARD_PKI_PASSPHRASE": PASSPHRASE,
        "PARTYCARD_PRODUCTION_DIR": str(work / "production"),
        "PARTYCARD_CHIP_PLACEHOLDER_PHOTO": "1",
    }
    os.environ.update(env)
    py = str(ROOT / ".venv/bin/partycard")
    log(f"database {DB}: drop, create, migrate, seed {members:,} members")
    subprocess.run(
        ["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB}"]
    )
    subprocess.run(["psql", "postgres://postgres@127.0.0.1:5432/postgres", "-qc", f"CREATE DATABASE {DB}"])
    sh(py, "migrate", "--no-input", "-v", "0", env=env)
    sh(py, "seed", "--members", str(members), "--no-progress", env=env)
    sh(py, "pki", "init", env=env)

    import django

    django.setup()
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from django.core.management import call_command
    from django.db import transaction

    from partycard.batches import (
        KeyLine,
        KeyReport,
        ProductionReport,
        ReportLine,
        batch_decode,
        key_report_encode,
        report_encode,
        sha256_hex,
        sign_report,
        sod_file_decode,
        unseal,
    )
    from partycard.cards.models import Card
    from partycard.cards.services import Allocation, cards_allocate
    from partycard.chip.lds import dg14_build, dg15_build
    from partycard.core import clock
    from partycard.core.signing import document_signer_current, pki_directory, pki_keystore_open
    from partycard.exchange.services.card_numbers import card_numbers_allocate
    from partycard.jobs.services import job_run
    from partycard.production import services
    from partycard.production.models import Batch
    from partycard.production.services.building import batch_file_path
    from partycard.production.services.reconciling import sod_file_path
    from partycard.registry.models import Member
    from partycard.trust.keystore.file import FileKeyStore

    # The manufacturer: a signing key in its own store, an ECDH key, certified by the Party's root.
    factory_store = FileKeyStore(work / "factory-keys", b"factory bench passphrase")
    signing_public = factory_store.generate("factory-sign")
    encryption_key = ec.generate_private_key(ec.SECP256R1())
    for name, key in (("sign.pem", signing_public), ("enc.pem", encryption_key.public_key())):
        (work / name).write_bytes(
            key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        )
    call_command(
        "pki",
        "manufacturer",
        "--organization",
        "Nhà máy in thẻ (benchmark)",
        "--signing-key",
        str(work / "sign.pem"),
        "--encryption-key",
        str(work / "enc.pem"),
        stdout=io.StringIO(),
    )
    from partycard.core.signing import manufacturer_current

    now = clock.now()
    manufacturer = manufacturer_current(directory=pki_directory(), at=now)
    assert manufacturer is not None
    from cryptography import x509

    root = x509.load_pem_x509_certificate((work / "pki" / "root.pem").read_bytes())

    log(f"allocating {cards:,} cards (setup, untimed)")
    rows = list(
        Member.objects.filter(status="official", date_official__isnull=False)
        .order_by("pk")
        .values_list("pk", "organisation__path")[:cards]
    )
    assert len(rows) == cards, f"only {len(rows)} official members: raise BENCH_MEMBERS"
    for start in range(0, cards, 10_000):
        chunk = rows[start : start + 10_000]
        with transaction.atomic():
            numbers = card_numbers_allocate(len(chunk))
            cards_allocate(
                actor=None,
                allocations=[
                    Allocation(number=n, case_id=None, member_id=pk, path=path)
                    for n, (pk, path) in zip(numbers, chunk, strict=True)
                ],
            )
    call_command("production", "approve-layout", "v2", stdout=io.StringIO())

    timings: dict[str, float] = {}
    with Phase("plan", timings):
        batches = services.batches_plan(actor=None, layout="v2")  # batches /2 (issue 18)
    log(f"{len(batches)} batches planned in {timings['plan']:.1f} s")

    with Phase("build", timings):
        for batch in batches:
            job = services.batch_release(actor=None, batch=batch, enqueue=False)
            job = job_run(job.pk)
            assert job.status == "done" and job.failed == 0, (job.status, job.error, job.failed)
    log(f"built and sealed in {timings['build']:.1f} s")

    def manufacturer_keys(batch: Batch) -> bytes:
        content = unseal(
            batch_file_path(batch).read_bytes(),
            private_key=encryption_key,
            certificate=manufacturer.encryption,
            roots=[root],
            at=clock.now(),
        )
        decoded = batch_decode(content)

        def line(n: int, number: str) -> KeyLine:
            # Key report /2: the chip's CA key and the DG14 the factory builds from it (9303-11 §9.2.6).
            ca = ec.generate_private_key(ec.SECP256R1()).public_key()
            return KeyLine(
                number=number,
                outcome="personalised",
                reason="",
                chip_serial=f"{n:016X}{batch.pk:04X}",
                dg15=dg15_build(ec.generate_private_key(ec.SECP256R1()).public_key()),
                ca_key=ca.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint),
                dg14=dg14_build(ca_public_key=ca),
            )

        lines = tuple(line(n, c.number) for n, c in enumerate(decoded.cards))
        report = KeyReport(
            batch=batch.code,
            batch_sha256=sha256_hex(batch_file_path(batch).read_bytes()),
            report_id=os.urandom(16).hex(),
            created_at=clock.now(),
            lines=lines,
        )
        return sign_report(
            key_report_encode(report),
            store=factory_store,
            signer_label="factory-sign",
            signer_cert=manufacturer.signing,
            at=clock.now(),
        )

    log("manufacturer pass one (untimed)")
    t0 = time.perf_counter()
    key_reports = [manufacturer_keys(b) for b in batches]
    timings["manufacturer_keys_untimed"] = time.perf_counter() - t0

    from partycard.jobs.models import Job

    with Phase("keys_and_sod", timings):
        for data in key_reports:
            record = services.keys_import(actor=None, data=data, enqueue=False)
            job = (
                Job.objects.filter(kind="production.sod", params__batch=record.batch_id)
                .order_by("-pk")
                .first()
            )
            assert job is not None
            job = job_run(job.pk)
            assert job.status == "done", (job.status, job.error)
    log(f"key reports imported and SODs signed in {timings['keys_and_sod']:.1f} s")

    def manufacturer_report(batch: Batch, keys: bytes) -> bytes:
        batch.refresh_from_db()
        data = sod_file_path(batch).read_bytes()
        content = unseal(
            data,
            private_key=encryption_key,
            certificate=manufacturer.encryption,
            roots=[root],
            at=clock.now(),
        )
        sod_file = sod_file_decode(content)
        from partycard.batches import key_report_decode, verify_report

        dg15 = {
            line.number: line.dg15
            for line in key_report_decode(
                verify_report(keys, trusted=[manufacturer.signing], at=clock.now())
            ).lines
        }
        lines = tuple(
            ReportLine(
                number=c.number,
                outcome="produced",
                reason="",
                chip_serial=c.chip_serial,
                aa_fingerprint=hashlib.sha256(dg15[c.number]).hexdigest(),
            )
            for c in sod_file.cards
        )
        report = ProductionReport(
            batch=batch.code,
            sod_sha256=sha256_hex(data),
            report_id=os.urandom(16).hex(),
            created_at=clock.now(),
            lines=lines,
        )
        return sign_report(
            report_encode(report),
            store=factory_store,
            signer_label="factory-sign",
            signer_cert=manufacturer.signing,
            at=clock.now(),
        )

    log("manufacturer pass two (untimed)")
    t0 = time.perf_counter()
    reports = [manufacturer_report(b, k) for b, k in zip(batches, key_reports, strict=True)]
    timings["manufacturer_report_untimed"] = time.perf_counter() - t0

    with Phase("report", timings):
        for data in reports:
            services.report_import(actor=None, data=data)
    log(f"production reports imported in {timings['report']:.1f} s")

    produced = Card.objects.filter(kind="new", state="produced").count()
    bytes_sealed = sum(batch_file_path(b).stat().st_size + sod_file_path(b).stat().st_size for b in batches)

    # The raw limit in the same run: one DS signature per card through the same store, and AES-256-GCM
    # over the card's share of the sealed bytes.
    store = pki_keystore_open(pki_directory())
    signer = document_signer_current(directory=pki_directory(), at=clock.now())
    probe = os.urandom(120)
    share = os.urandom(bytes_sealed // cards)
    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    t0 = time.perf_counter()
    for _ in range(cards):
        store.sign(signer.label, probe)
        aes.encrypt(os.urandom(12), share, None)
    raw = time.perf_counter() - t0

    timed = timings["plan"] + timings["build"] + timings["keys_and_sod"] + timings["report"]
    result = {
        "command": f"BENCH_CARDS={cards} .venv/bin/python bench/production_bench.py",
        "cards": cards,
        "members": members,
        "batches": len(batches),
        "produced": produced,
        "sealed_bytes": bytes_sealed,
        "seconds": {k: round(v, 2) for k, v in timings.items()},
        "timed_seconds": round(timed, 2),
        "cards_per_s": round(cards / timed),
        "raw_seconds": round(raw, 2),
        "ratio_raw_over_ours": round(raw / timed, 3),
        "projected_national_minutes": round(timed * NATIONAL / cards / 60, 1),
        "machine": machine_info(URL, ("shared_buffers", "synchronous_commit", "autovacuum")),
    }
    assert produced == cards, f"{produced} produced of {cards}"
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "production.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
