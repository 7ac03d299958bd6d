"""Batch building per card, without the database (issue 14): what building a card's part of a batch costs
against the raw cost of its cryptography, measured in the same run.

Per card, ours: DG1, DG2 (a 15 KB photo), DG13 and DG14 as pass one builds them, the EF.SOD over their
hashes and a chip's DG15 (``SodSigner.build_hashed``, one ECDSA signature through the key store), EF.COM,
and the card's share of the batch file (``batch_encode``) and of its seal (``batches.seal``: the DS
signature and AES-256-GCM to the manufacturer), in batches of BATCH_MAX_CARDS.

Raw, per card: the same ECDSA signature through the same key store, and AES-256-GCM over the same number
of bytes as the card's share of the sealed file. Target: ours ≥ 50 % of raw (raw seconds / ours).

    .venv/bin/python bench/batch_build_bench.py        # BENCH_CARDS=20000 by default
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from common import env_int, log  # bench/common.py

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE.parent))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from PIL import Image  # noqa: E402

from partycard.batches import Batch, BatchCard, PrintFields, batch_encode, seal  # noqa: E402
from partycard.chip.can import can_generate  # noqa: E402
from partycard.chip.lds import (  # noqa: E402
    DG_TAGS,
    FID_DG1,
    FID_DG2,
    FID_DG13,
    CardData,
    com_build,
    dg1_build,
    dg2_build,
    dg13_build,
    dg14_build,
    dg15_build,
)
from partycard.chip.securityinfos import card_access_build  # noqa: E402
from partycard.chip.sod import SodSigner  # noqa: E402
from partycard.trust import pki  # noqa: E402
from partycard.trust.keystore.file import FileKeyStore  # noqa: E402


def photo(target: int) -> bytes:
    """A noisy JPEG of about ``target`` bytes (noise compresses badly, like a face)."""
    image = Image.frombytes("RGB", (240, 320), os.urandom(240 * 320 * 3))
    for quality in range(60, 5, -5):
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if len(buffer.getvalue()) <= target:
            break
    return buffer.getvalue()


def main() -> None:
    cards = env_int("BENCH_CARDS", 20_000)
    per_batch = env_int("BENCH_BATCH", 2_000)
    at = datetime.now(UTC)
    store = FileKeyStore(Path(tempfile.mkdtemp()) / "keys", b"bench passphrase")
    root = pki.root_create(
        store=store, label="root", subject_cn="Root", valid_years=10, not_before=at - timedelta(1)
    )
    ds = pki.signer_issue(
        store=store,
        root_label="root",
        root_cert=root,
        signer_label="ds",
        subject_cn="DS",
        valid_days=3650,
        private_key_usage_days=90,
        not_before=at - timedelta(1),
    )
    maker_key = ec.generate_private_key(ec.SECP256R1())
    _signing, encryption = pki.manufacturer_issue(
        store=store,
        root_label="root",
        root_cert=root,
        organization="Bench",
        signing_key=ec.generate_private_key(ec.SECP256R1()).public_key(),
        encryption_key=maker_key.public_key(),
        not_before=at - timedelta(1),
    )
    jpeg = photo(15_000)
    dg15 = dg15_build(ec.generate_private_key(ec.SECP256R1()).public_key())
    signer = SodSigner(store=store, signer_label="ds", signer_cert=ds)
    # A batch /2 (issue 18): no DG14 in the batch (the factory builds it from the chip's CA key, its hash
    # is added at the key report); a CAN per card and EF.CardAccess (built once per chunk in production).
    dg14 = dg14_build(ca_public_key=ec.generate_private_key(ec.SECP256R1()).public_key())
    card_access = card_access_build(parameter_id=12)
    log(f"{cards:,} cards, photo {len(jpeg):,} bytes, batches of {per_batch:,}")

    sealed_bytes = 0
    t0 = time.perf_counter()
    for start in range(0, cards, per_batch):
        batch_cards = []
        for n in range(start, min(cards, start + per_batch)):
            number = f"{n:010d}"
            data = CardData(
                card_number=number,
                full_name="Nguyễn Thị Thanh Hương",
                date_of_birth=date(1980, 3, 12),
                gender="F",
                date_admitted=date(2005, 5, 19),
                date_official=date(2006, 5, 19),
                issuing_committee="Đảng ủy phường Ba Đình",
                issue_date=date(2026, 9, 2),
            )
            files = {
                1: dg1_build(data),
                2: dg2_build(jpeg),
                13: dg13_build(uri="https://x/s/1", index=n),
            }
            hashes = {k: hashlib.sha256(v).digest() for k, v in files.items()}
            hashes[14] = hashlib.sha256(dg14).digest()
            hashes[15] = hashlib.sha256(dg15).digest()
            signer.build_hashed(hashes, at)  # pass two's SOD for this card
            com_build(tags=tuple(DG_TAGS[k] for k in sorted(hashes)))
            fields = PrintFields(
                card_number=number,
                full_name=data.full_name,
                date_of_birth=data.date_of_birth,
                gender="F",
                date_admitted=data.date_admitted,
                date_official=data.date_official,
                issuing_committee=data.issuing_committee,
                issue_date=data.issue_date,
                photo_jpeg=jpeg,
                can=can_generate(),
            )
            fids = {1: FID_DG1, 2: FID_DG2, 13: FID_DG13}
            files_by_fid = {fids[k]: v for k, v in files.items()}
            batch_cards.append(
                BatchCard(number=number, print=fields, files=files_by_fid, card_access=card_access)
            )
        content = batch_encode(
            Batch(code=f"B{start}", province="P01", layout="v2", created_at=at, cards=tuple(batch_cards))
        )
        sealed = seal(content, store=store, signer_label="ds", signer_cert=ds, recipient=encryption, at=at)
        sealed_bytes += len(sealed)
    ours = time.perf_counter() - t0

    share = os.urandom(sealed_bytes // cards)
    aes = AESGCM(AESGCM.generate_key(bit_length=256))
    probe = os.urandom(120)
    t0 = time.perf_counter()
    for _ in range(cards):
        store.sign("ds", probe)
        aes.encrypt(os.urandom(12), share, None)
    raw = time.perf_counter() - t0
    result = {
        "command": f"BENCH_CARDS={cards} .venv/bin/python bench/batch_build_bench.py",
        "date": at.date().isoformat(),
        "nproc": os.cpu_count(),
        "cards": cards,
        "photo_bytes": len(jpeg),
        "sealed_bytes_per_card": sealed_bytes // cards,
        "ours_seconds": round(ours, 2),
        "ours_cards_per_s": round(cards / ours),
        "raw_seconds": round(raw, 2),
        "raw_cards_per_s": round(cards / raw),
        "ratio_raw_over_ours": round(raw / ours, 3),
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "batch_build.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
