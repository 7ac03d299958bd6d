"""Status list at national scale: 5.6 M cards at 2 bits, a realistic share revoked and suspended.

Measures, per revocation share: the packed and compressed sizes (and the JWT and CWT tokens), building
(pack + compress + sign), one revocation (flip one entry + recompress + re-sign), a verifier's decode
(verify + decompress) and per-index lookups; and zlib's own compress/decompress of the same bytes in the
same run (the raw limit). Pure library, no database.

    .venv/bin/python bench/status_list_bench.py
    BENCH_CARDS=5_600_000 BENCH_LOOKUPS=1_000_000 BENCH_RUNS=5 .venv/bin/python bench/status_list_bench.py
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import env_int, log
from partycard.ecard.status import (
    STATUS_INVALID,
    STATUS_SUSPENDED,
    status_list_compress,
    status_list_cwt_sign,
    status_list_decompress,
    status_list_jwt_sign,
    status_list_pack,
    status_list_set,
)
from partycard.trust import pki
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import TrustList, trustlist_build, trustlist_verify
from partycard.verify.status import status_list_verify_cwt, status_list_verify_jwt

RESULTS = Path(__file__).parent / "results" / "status_list.json"
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
URI = "https://the.partycard.example/status/ec/ds-1"
SHARES = [(0.005, 0.001), (0.01, 0.001)]  # (revoked, suspended)


def _best(fn: Callable[[], Any], runs: int) -> tuple[float, float, Any]:
    """(median, min) seconds over ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), result


def _machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
    }
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    return info


def _measure(
    values: bytearray,
    *,
    store: FileKeyStore,
    ds: x509.Certificate,
    trust: TrustList,
    root: x509.Certificate,
    now: datetime,
    rng: random.Random,
    runs: int,
    lookups: int,
) -> dict[str, Any]:
    """Every figure for one list (module docstring)."""
    cards = len(values)
    sign_args: dict[str, Any] = dict(
        uri=URI, bits=2, issued_at=now, expires_at=now + timedelta(days=1), ttl=timedelta(hours=12)
    )
    pack_s, _, packed = _best(lambda: status_list_pack(values, 2), runs)
    compress_s, _, lst = _best(lambda: status_list_compress(packed), runs)
    jwt_s, _, jwt = _best(lambda: status_list_jwt_sign(store, "ds", ds, packed=packed, **sign_args), runs)
    cwt_s, _, cwt = _best(lambda: status_list_cwt_sign(store, "ds", ds, packed=packed, **sign_args), runs)

    def revoke_one() -> str:
        status_list_set(packed, rng.randrange(cards), STATUS_INVALID, 2)
        return status_list_jwt_sign(store, "ds", ds, packed=packed, **sign_args)

    flip_s, _, _ = _best(revoke_one, runs)
    jwt = status_list_jwt_sign(store, "ds", ds, packed=packed, **sign_args)
    cwt = status_list_cwt_sign(store, "ds", ds, packed=packed, **sign_args)
    vjwt_s, _, status_list = _best(lambda: status_list_verify_jwt(jwt, trust=trust, root=root, now=now), runs)
    vcwt_s, _, _ = _best(lambda: status_list_verify_cwt(cwt, trust=trust, root=root, now=now), runs)
    lst = status_list_compress(packed)
    zc_s, _, _ = _best(lambda: zlib.compress(bytes(packed), 9), runs)
    zc6_s, _, lst6 = _best(lambda: zlib.compress(bytes(packed), 6), runs)
    zd_s, _, _ = _best(lambda: zlib.decompress(lst), runs)
    ours_d_s, _, _ = _best(lambda: status_list_decompress(lst), runs)

    indexes = [rng.randrange(cards) for _ in range(lookups)]
    status = status_list.status
    start = time.perf_counter()
    for i in indexes:
        status(i)
    batch_ns = (time.perf_counter() - start) / lookups * 1e9
    single: list[int] = []
    clock = time.perf_counter_ns
    for i in indexes:
        t = clock()
        status(i)
        single.append(clock() - t)
    empty: list[int] = []
    for _ in range(min(lookups, 100_000)):
        t = clock()
        empty.append(clock() - t)
    share = {
        "revoked": values.count(STATUS_INVALID),
        "suspended": values.count(STATUS_SUSPENDED),
        "packed_bytes": len(packed),
        "compressed_bytes": len(lst),
        "compressed_bytes_zlib_level6": len(lst6),
        "jwt_chars": len(jwt),
        "cwt_bytes": len(cwt),
        "pack_s": round(pack_s, 4),
        "compress_s": round(compress_s, 4),
        "build_jwt_s": round(pack_s + jwt_s, 4),
        "build_cwt_s": round(pack_s + cwt_s, 4),
        "sign_jwt_s_incl_compress": round(jwt_s, 4),
        "sign_cwt_s_incl_compress": round(cwt_s, 4),
        "revoke_one_s": round(flip_s, 4),
        "verify_decode_jwt_s": round(vjwt_s, 4),
        "verify_decode_cwt_s": round(vcwt_s, 4),
        "decompress_s": round(ours_d_s, 4),
        "raw_zlib_compress9_s": round(zc_s, 4),
        "raw_zlib_compress6_s": round(zc6_s, 4),
        "raw_zlib_decompress_s": round(zd_s, 4),
        "lookup_ns_batch": round(batch_ns, 1),
        "lookup_ns_median_single": statistics.median(single),
        "timer_overhead_ns_median": statistics.median(empty),
    }
    return share


def main() -> None:
    cards = env_int("BENCH_CARDS", 5_600_000)
    lookups = env_int("BENCH_LOOKUPS", 1_000_000)
    runs = env_int("BENCH_RUNS", 5)
    seed = env_int("BENCH_SEED", 1)
    with tempfile.TemporaryDirectory() as keys:
        store = FileKeyStore(keys, b"bench passphrase")
        root = pki.root_create(store=store, label="root", subject_cn="Root", valid_years=15, not_before=T0)
        common = dict(store=store, root_cert=root, root_label="root", not_before=T0)
        ds = pki.signer_issue(
            **common,  # type: ignore[arg-type]
            signer_label="ds",
            subject_cn="DS 1",
            valid_days=3650,
            private_key_usage_days=90,
            document_types=("PC", "EC"),
        )
        tl = pki.trustlist_signer_issue(**common, signer_label="tl", subject_cn="TL", valid_days=365)  # type: ignore[arg-type]
        crl = pki.crl_issue(
            store=store,
            root_cert=root,
            root_label="root",
            revoked=[],
            this_update=T0,
            next_update=T0 + timedelta(days=8),
            crl_number=1,
        )
        trust = trustlist_verify(
            trustlist_build(
                store=store,
                signer_label="tl",
                signer_certificate=tl,
                signers=[ds],
                crl=crl,
                issued_at=T0,
                next_update=T0 + timedelta(days=8),
            ),
            root,
            T0 + timedelta(days=1),
        )
        now = T0 + timedelta(days=1)
        results: dict[str, Any] = {
            "command": f"BENCH_CARDS={cards} BENCH_LOOKUPS={lookups} BENCH_RUNS={runs} "
            ".venv/bin/python bench/status_list_bench.py",
            "cards": cards,
            "bits": 2,
            "runs": runs,
            "lookups": lookups,
            "key_store": "FileKeyStore (ECDSA P-256 in process; an HSM adds its signing latency)",
            "machine": _machine(),
            "shares": [],
        }
        for revoked, suspended in SHARES:
            log(f"{cards:,} cards, {revoked:.1%} revoked, {suspended:.1%} suspended")
            rng = random.Random(seed)
            values = bytearray(cards)
            chosen = rng.sample(range(cards), int(cards * revoked) + int(cards * suspended))
            for i in chosen[: int(cards * revoked)]:
                values[i] = STATUS_INVALID
            for i in chosen[int(cards * revoked) :]:
                values[i] = STATUS_SUSPENDED

            share = {"revoked_share": revoked, "suspended_share": suspended}
            share |= _measure(
                values,
                store=store,
                ds=ds,
                trust=trust,
                root=root,
                now=now,
                rng=rng,
                runs=runs,
                lookups=lookups,
            )
            results["shares"].append(share)
            log(json.dumps(share))
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    log(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
