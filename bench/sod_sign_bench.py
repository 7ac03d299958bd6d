"""EF.SOD signing benchmark: ``chip.sod.SodSigner.build`` against raw ECDSA P-256 signing, in the same run.

No database. Two key stores, each with its own root and document signer (issued by ``trust.pki``)::

    BENCH_SIGNATURES=3000 BENCH_REPEATS=5 .venv/bin/python bench/sod_sign_bench.py

1. **file**: a ``FileKeyStore`` in a temporary directory. Raw baseline: ``cryptography``'s
   ``private_key.sign(data, algorithm)`` (one ``ec.ECDSA(hashes.SHA256())`` made once) on the DS key
   decrypted once from the store's own PEM file (same key, in memory).
2. **pkcs11**: a ``Pkcs11KeyStore`` on a fresh SoftHSM2 token (``softhsm2-util --init-token`` into a
   temporary token directory, ``SOFTHSM2_CONF`` set before the module loads). Raw baseline: python-pkcs11's
   ``key.sign(sha256(data).digest(), mechanism=Mechanism.ECDSA)`` on the store's own logged-in session,
   the key object looked up once (SoftHSM2 2.6 has no ``CKM_ECDSA_SHA256``, so the host hashes).

The data groups are built once: DG1 for a Vietnamese name, DG2 with a Pillow JPEG of about
``BENCH_PHOTO_KB`` KB (15: a typical ICAO face image), DG14, DG15 from a fresh P-256 key. The data the raw
baselines sign is the signed attributes of a real SOD (what ``SodSigner.build`` hands the store).

The PASS/FAIL figure is the production batch path: one ``SodSigner`` per store (key checked once at
construction), each data group hashed once when the chip data is built (production's batch pass one
keeps the hashes, docs/production.md; here before the timed loop), and ``signer.build_hashed(hashes,
signed_at)`` per SOD (``check=False``). Each repeat times ``BENCH_SIGNATURES`` calls each of the raw
sign, of ``build_hashed``, of ``build(data_groups, signed_at)`` (the files in, hashed in the call: what
the one-shot path does), and of the ceiling of the latter (the raw sign plus the SHA-256 of the data
groups, nothing else), interleaved in blocks of ``BENCH_BLOCK`` calls whose order rotates so that all
four see the same load on a shared machine; build_hashed ÷ raw is that repeat's ratio, and the median of
the repeats is held to the bar (min and max reported); build ÷ raw is reported beside it.

Also measured per repeat, for the record: ``sod_build`` (the one-shot wrapper: a new ``SodSigner``,
whose probe signature is verified, then ``build(check=True)``); the SHA-256 of the data groups alone;
the store's own ``sign``; the verification ``build(check=True)`` adds (``sod._check_signature``). Once
per store: the ``SodSigner`` construction, for the file store the decryption of a key (scrypt since
issue 18: what a store that decrypted per signature would pay), and a cProfile'd batch of
``build_hashed``. Bar: ``build_hashed`` ≥ 60% of the raw sign rate. Writes
``bench/results/sod_sign.json`` and prints a table.

Environment:
    BENCH_SIGNATURES     signatures and SODs per measurement (default 3,000)
    BENCH_REPEATS        repeats of every measurement (default 5)
    BENCH_PHOTO_KB       the DG2 JPEG's target size in KB (default 15)
    BENCH_STORES         which stores, comma-separated (default "file,pkcs11")
    BENCH_PKCS11_MODULE  the SoftHSM2 module (default: the first of the usual paths that exists)
    BENCH_PROFILE_SODS   SODs in the cProfile'd batch (default 500; 0 skips the profile)
    BENCH_BLOCK          calls per block when raw sign, build and ceiling alternate (default 100)
"""

from __future__ import annotations

import cProfile
import hashlib
import io
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from common import env_int, log  # bench/common.py (bench/ is the script's dir)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "src"))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from PIL import Image, ImageDraw, ImageFilter  # noqa: E402

from partycard.chip import sod as sod_module  # noqa: E402
from partycard.chip.lds import CardData, dg1_build, dg2_build, dg14_build, dg15_build  # noqa: E402
from partycard.trust import pki  # noqa: E402
from partycard.trust.keystore import KeyStore  # noqa: E402
from partycard.trust.keystore.file import FileKeyStore  # noqa: E402

BAR_RATIO = 0.60
T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SIGNED_AT = datetime(2026, 5, 19, 9, 30, tzinfo=UTC)
PASSPHRASE = b"bench passphrase"
SOFTHSM_LABEL = "partycard-bench"
SO_PIN, USER_PIN = "1234", "5678"
ROOT_LABEL, DS_LABEL = "bench-root", "bench-ds"
MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


# --------------------------------------------------------------------------------------------- setup


def machine() -> dict[str, Any]:
    """CPU, memory, Python and the crypto libraries (``common.machine_info`` needs a PostgreSQL URL)."""
    import asn1crypto
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cryptography": cryptography.__version__,
        "openssl": backend.openssl_version_text(),
        "asn1crypto": asn1crypto.__version__,
    }
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            info["mem_total_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    return info


def photo_jpeg(target_kb: int) -> bytes:
    """A 360×480 portrait-like JPEG (gradient, an ellipse, seeded noise), quality chosen for ~target_kb."""
    width, height = 360, 480
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.ellipse((90, 80, 270, 330), fill=(214, 170, 140))
    draw.rectangle((60, 360, 300, 480), fill=(30, 40, 90))
    noise = Image.frombytes("L", (width, height), random.Random(51).randbytes(width * height))
    image = Image.blend(image, noise.convert("RGB"), 0.12).filter(ImageFilter.SMOOTH)
    best = b""
    low, high = 5, 95
    while low <= high:  # the highest quality whose JPEG fits in target_kb
        quality = (low + high) // 2
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=quality)
        if buffer.tell() <= target_kb * 1024:
            best, low = buffer.getvalue(), quality + 1
        else:
            high = quality - 1
    return best or buffer.getvalue()


def data_groups(target_kb: int) -> dict[int, bytes]:
    card = CardData(
        card_number="01.234.567",
        full_name="Nguyễn Thị Phương Thảo",
        date_of_birth=date(1985, 7, 14),
        gender="F",
        date_admitted=date(2010, 5, 19),
        date_official=date(2011, 5, 19),
        issuing_committee="Đảng ủy phường Ba Đình, Thành ủy Hà Nội",
        issue_date=date(2026, 3, 1),
    )
    chip_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return {
        1: dg1_build(card),
        2: dg2_build(photo_jpeg(target_kb)),
        14: dg14_build(),
        15: dg15_build(chip_key),
    }


def issue_signer(store: KeyStore) -> x509.Certificate:
    root = pki.root_create(
        store=store, label=ROOT_LABEL, subject_cn="CSCA Dang Cong san Viet Nam", valid_years=15, not_before=T0
    )
    return pki.signer_issue(
        store=store,
        root_cert=root,
        root_label=ROOT_LABEL,
        signer_label=DS_LABEL,
        subject_cn="DS 1",
        valid_days=3650,
        private_key_usage_days=90,
        not_before=T0,
    )


def softhsm_module() -> str:
    override = os.environ.get("BENCH_PKCS11_MODULE")
    module = next((p for p in ((override,) if override else MODULE_CANDIDATES) if Path(p).exists()), None)
    if module is None or shutil.which("softhsm2-util") is None:
        raise SystemExit("SoftHSM2 is not installed (apt-get install softhsm2), or set BENCH_STORES=file")
    return module


def softhsm_token(tmp: Path) -> str:
    """A fresh token in ``tmp``; SOFTHSM2_CONF is set for the process before the module is loaded."""
    (tmp / "tokens").mkdir()
    conf = tmp / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {tmp / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    os.environ["SOFTHSM2_CONF"] = str(conf)
    subprocess.run(
        [
            *("softhsm2-util", "--init-token", "--free", "--label", SOFTHSM_LABEL),
            *("--so-pin", SO_PIN, "--pin", USER_PIN),
        ],
        check=True,
        capture_output=True,
    )
    version = subprocess.run(["softhsm2-util", "--version"], check=True, capture_output=True, text=True)
    return version.stdout.strip()


# --------------------------------------------------------------------------------------------- timing


def rate(fn: Callable[[], object], n: int) -> dict[str, float]:
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return rate_of(n, time.perf_counter() - t0)


def rate_of(n: int, seconds: float) -> dict[str, float]:
    return {
        "n": n,
        "seconds": round(seconds, 4),
        "per_s": round(n / seconds, 1),
        "us": round(seconds / n * 1e6, 2),
    }


def interleaved_rates(fns: Sequence[Callable[[], object]], n: int, block: int) -> list[dict[str, float]]:
    """``n`` calls of each of ``fns``, alternating in blocks of ``block`` calls, the order rotating from
    block to block (a b c, b c a, c a b, …), so that all see the same load on a shared machine."""
    spent = [0.0] * len(fns)
    done = 0
    while done < n:
        k = min(block, n - done)
        shift = (done // block) % len(fns)
        for index in (*range(shift, len(fns)), *range(shift)):
            fn = fns[index]
            t0 = time.perf_counter()
            for _ in range(k):
                fn()
            spent[index] += time.perf_counter() - t0
        done += k
    return [rate_of(n, seconds) for seconds in spent]


def profile(build: Callable[[], bytes], n: int, top: int = 14) -> dict[str, Any]:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        build()
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows: list[dict[str, Any]] = []
    entries = stats.stats  # type: ignore[attr-defined]
    for (path, line, name), (_cc, ncalls, tottime, cumtime, _callers) in entries.items():
        where = f"{Path(path).name}:{line}({name})" if line else name
        rows.append(
            {
                "function": where,
                "calls_per_sod": round(ncalls / n, 1),
                "tottime_us_per_sod": round(tottime / n * 1e6, 1),
                "cumtime_us_per_sod": round(cumtime / n * 1e6, 1),
            }
        )
    rows.sort(key=lambda r: r["tottime_us_per_sod"], reverse=True)
    by_cum = sorted(rows, key=lambda r: r["cumtime_us_per_sod"], reverse=True)
    return {
        "sods": n,
        "profiled_us_per_sod": round(total / n * 1e6, 1),
        "top_tottime": rows[:top],
        "top_cumtime": by_cum[:top],
    }


# --------------------------------------------------------------------------------------------- one store

MEASURES = (
    "raw_sign",
    "build_hashed",
    "build",
    "sod_build",
    "dg_hashes",
    "raw_sign_plus_dg_hashes",
    "store_sign",
    "check_signature",
)


def bench_store(
    name: str,
    store: KeyStore,
    signer_cert: x509.Certificate,
    groups: dict[int, bytes],
    raw_sign: Callable[[bytes], bytes],
    n: int,
    repeats: int,
    profile_sods: int,
    block: int,
    der: Callable[[bytes], bytes] = bytes,
) -> dict[str, Any]:
    """``der`` turns a raw baseline signature into DER (only for checking that it is the DS key's)."""
    constructions = []
    for _ in range(5):
        t0 = time.perf_counter()
        signer = sod_module.SodSigner(store=store, signer_label=DS_LABEL, signer_cert=signer_cert)
        constructions.append(time.perf_counter() - t0)

    kept = {k: sod_module.dg_hash(v) for k, v in groups.items()}  # once, when the chip data is built

    def build_hashed() -> bytes:  # the production batch path: one signer, hashes kept, no verification
        return signer.build_hashed(kept, SIGNED_AT)

    def build() -> bytes:  # the files in: each data group hashed in the call
        return signer.build(groups, SIGNED_AT)

    def one_shot() -> bytes:
        return sod_module.sod_build(
            store=store,
            signer_label=DS_LABEL,
            signer_cert=signer_cert,
            data_groups=groups,
            signed_at=SIGNED_AT,
        )

    sod = sod_module.sod_parse(build())
    data = sod.signed_attrs_der  # exactly what build hands store.sign
    public_key = signer_cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert sod.data_group_hashes == {k: hashlib.sha256(v).digest() for k, v in groups.items()}
    assert sod_module.sod_parse(one_shot()).signed_attrs_der == data
    assert sod_module.sod_parse(build_hashed()).signed_attrs_der == data  # the same SOD, bar the signature
    public_key.verify(sod.signature, data, ec.ECDSA(hashes.SHA256()))
    public_key.verify(der(raw_sign(data)), data, ec.ECDSA(hashes.SHA256()))  # the baseline is the DS key
    signature = store.sign(DS_LABEL, data)
    dgs, dg_hash = list(groups.values()), sod_module.dg_hash
    for _ in range(min(300, n)):  # warm-up
        raw_sign(data)
        build_hashed()
        build()
        one_shot()

    def hashes_only() -> list[bytes]:
        return [dg_hash(v) for v in dgs]

    runs: list[dict[str, Any]] = []
    for i in range(repeats):
        run: dict[str, Any] = {"repeat": i + 1, "loadavg_before": os.getloadavg()}
        # The pair the bar compares, build over the files and its ceiling, interleaved in rotating blocks.
        run["raw_sign"], run["build_hashed"], run["build"], run["raw_sign_plus_dg_hashes"] = (
            interleaved_rates(
                (lambda: raw_sign(data), build_hashed, build, lambda: (raw_sign(data), hashes_only())),
                n,
                block,
            )
        )
        run["ratio"] = round(run["build_hashed"]["per_s"] / run["raw_sign"]["per_s"], 4)
        run["ratio_build"] = round(run["build"]["per_s"] / run["raw_sign"]["per_s"], 4)
        run["sod_build"] = rate(one_shot, n)
        run["dg_hashes"] = rate(hashes_only, n)
        run["store_sign"] = rate(lambda: store.sign(DS_LABEL, data), n)
        run["check_signature"] = rate(
            lambda: sod_module._check_signature(signer_cert, signature, data, DS_LABEL), n
        )
        run["ratio_sod_build"] = round(run["sod_build"]["per_s"] / run["raw_sign"]["per_s"], 4)
        run["ratio_ceiling"] = round(run["raw_sign_plus_dg_hashes"]["per_s"] / run["raw_sign"]["per_s"], 4)
        run["loadavg_after"] = os.getloadavg()
        log(
            f"    {name} #{i + 1}: raw sign {run['raw_sign']['per_s']:,.0f}/s, "
            f"SodSigner.build_hashed {run['build_hashed']['per_s']:,.0f}/s, ratio {run['ratio']:.1%} "
            f"(build over the files {run['build']['per_s']:,.0f}/s = {run['ratio_build']:.1%}) "
            f"(sod_build {run['sod_build']['per_s']:,.0f}/s = {run['ratio_sod_build']:.1%}; "
            f"DG hashes {run['dg_hashes']['us']:.0f} µs; ceiling {run['ratio_ceiling']:.1%}; "
            f"store.sign {run['store_sign']['us']:.0f} µs; check {run['check_signature']['us']:.0f} µs)"
        )
        runs.append(run)

    ratios = [r["ratio"] for r in runs]
    result: dict[str, Any] = {
        "store": name,
        "signatures": n,
        "signed_attrs_bytes": len(data),
        "sod_bytes": len(build()),
        "signer_construction_ms": round(statistics.median(constructions) * 1e3, 3),
        "runs": runs,
        "median": {key: statistics.median(r[key]["per_s"] for r in runs) for key in MEASURES},
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }
    result["median_us"] = {key: round(1e6 / per_s, 2) for key, per_s in result["median"].items()}
    for key in ("ratio_build", "ratio_sod_build", "ratio_ceiling"):
        values = [r[key] for r in runs]
        result[f"{key}_median"] = statistics.median(values)
        result[f"{key}_min"], result[f"{key}_max"] = min(values), max(values)
    result["pass"] = result["ratio_median"] >= BAR_RATIO
    if profile_sods:
        log(f"    {name}: cProfile over {profile_sods} SodSigner.build_hashed calls")
        result["profile"] = profile(build_hashed, profile_sods)
    return result


def file_store(
    tmp: Path, groups: dict[int, bytes], n: int, repeats: int, profile_sods: int, block: int
) -> dict[str, Any]:
    store = FileKeyStore(tmp / "keys", PASSPHRASE)
    cert = issue_signer(store)
    pem = (tmp / "keys" / f"{DS_LABEL}.key.pem").read_bytes()
    t0 = time.perf_counter()
    key = serialization.load_pem_private_key(pem, password=PASSPHRASE)
    decrypt_seconds = time.perf_counter() - t0
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    decrypts = [decrypt_seconds]
    for _ in range(4):
        t0 = time.perf_counter()
        serialization.load_pem_private_key(pem, password=PASSPHRASE)
        decrypts.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    FileKeyStore(tmp / "keys", PASSPHRASE).sign(DS_LABEL, b"first signature of a fresh store")
    fresh_store_first_sign = time.perf_counter() - t0
    log(
        f"    file: decryption of the DS key (scrypt) {statistics.median(decrypts) * 1e3:.1f} ms "
        f"(a fresh FileKeyStore + its first sign {fresh_store_first_sign * 1e3:.1f} ms); "
        "later signs use the cached key"
    )

    algorithm = ec.ECDSA(hashes.SHA256())  # made once: the fastest raw call, the strictest baseline

    def raw_sign(data: bytes) -> bytes:
        return key.sign(data, algorithm)

    result = bench_store("file", store, cert, groups, raw_sign, n, repeats, profile_sods, block)
    result["key_decrypt_ms"] = round(statistics.median(decrypts) * 1e3, 2)
    result["fresh_store_first_sign_ms"] = round(fresh_store_first_sign * 1e3, 2)
    result["pem_header"] = pem.splitlines()[0].decode()
    return result


def pkcs11_store(
    tmp: Path, groups: dict[int, bytes], n: int, repeats: int, profile_sods: int, block: int
) -> dict[str, Any]:
    module = softhsm_module()
    softhsm_version = softhsm_token(tmp)
    import pkcs11
    from pkcs11 import KeyType, Mechanism, ObjectClass

    from partycard.trust.keystore.pkcs11 import Pkcs11KeyStore

    store = Pkcs11KeyStore(module, SOFTHSM_LABEL, USER_PIN)
    try:
        cert = issue_signer(store)
        # The store's own logged-in session (one per token per process); the key looked up once (the
        # store caches its handle too).
        session: pkcs11.Session = store._session
        key = session.get_key(object_class=ObjectClass.PRIVATE_KEY, key_type=KeyType.EC, label=DS_LABEL)
        assert isinstance(key, pkcs11.types.SignMixin)

        def raw_sign(data: bytes) -> bytes:  # the token's r || s, not re-encoded (the store does that)
            return bytes(key.sign(hashlib.sha256(data).digest(), mechanism=Mechanism.ECDSA))

        result = bench_store(
            "pkcs11", store, cert, groups, raw_sign, n, repeats, profile_sods, block, der=_der
        )
    finally:
        store.close()
    result["module"] = module
    result["softhsm"] = softhsm_version
    result["python_pkcs11"] = _version("python-pkcs11")
    return result


def _der(raw: bytes) -> bytes:
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    return encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))


def _version(distribution: str) -> str:
    from importlib.metadata import version

    return version(distribution)


# --------------------------------------------------------------------------------------------- report


def rows_of(results: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = [("measure", "result (median of repeats)", "bar", "")]
    for name, s in results["stores"].items():
        m, us = s["median"], s["median_us"]
        baseline = (
            "cryptography key.sign(ECDSA-SHA256)" if name == "file" else "pkcs11 key.sign(sha256, CKM_ECDSA)"
        )
        rows += [
            (f"{name}: raw {baseline}", f"{m['raw_sign']:,.0f}/s ({us['raw_sign']:.1f} µs)", "", ""),
            (
                f"{name}: SodSigner.build_hashed (batch path, signingTime, {s['sod_bytes']:,}-byte SOD)",
                f"{m['build_hashed']:,.0f}/s ({us['build_hashed']:.1f} µs); ratio {s['ratio_median']:.1%} "
                f"(repeats {s['ratio_min']:.1%}–{s['ratio_max']:.1%})",
                f"≥ {BAR_RATIO:.0%} of raw",
                "PASS" if s["pass"] else "FAIL",
            ),
            (
                f"{name}: SodSigner.build (the files in, hashed in the call)",
                f"{m['build']:,.0f}/s ({us['build']:.1f} µs); ratio {s['ratio_build_median']:.1%} "
                f"(repeats {s['ratio_build_min']:.1%}–{s['ratio_build_max']:.1%})",
                "",
                "",
            ),
            (
                f"{name}: sod_build (one-shot: new SodSigner + probe, check=True)",
                f"{m['sod_build']:,.0f}/s ({us['sod_build']:.1f} µs); "
                f"ratio {s['ratio_sod_build_median']:.1%} "
                f"(repeats {s['ratio_sod_build_min']:.1%}–{s['ratio_sod_build_max']:.1%})",
                "",
                "",
            ),
            (
                f"{name}: SHA-256 of the data groups ({results['data_group_total_bytes']:,} bytes)",
                f"{us['dg_hashes']:.1f} µs per SOD",
                "",
                "",
            ),
            (
                f"{name}: ceiling: raw sign + SHA-256 of the data groups, nothing else",
                f"{m['raw_sign_plus_dg_hashes']:,.0f}/s ({us['raw_sign_plus_dg_hashes']:.1f} µs); "
                f"ratio {s['ratio_ceiling_median']:.1%}",
                "",
                "",
            ),
            (f"{name}: store.sign", f"{m['store_sign']:,.0f}/s ({us['store_sign']:.1f} µs)", "", ""),
            (
                f"{name}: sod._check_signature (what check=True adds)",
                f"{m['check_signature']:,.0f}/s ({us['check_signature']:.1f} µs)",
                "",
                "",
            ),
            (
                f"{name}: SodSigner construction (once per batch)",
                f"{s['signer_construction_ms']:.2f} ms",
                "",
                "",
            ),
        ]
        if name == "file":
            rows.append(
                ("file: scrypt decryption of one key (cached after)", f"{s['key_decrypt_ms']:.1f} ms", "", "")
            )
    return rows


def print_table(rows: list[tuple[str, str, str, str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def print_profile(name: str, prof: dict[str, Any]) -> None:
    print(
        f"\n{name}: cProfile, {prof['sods']} SodSigner.build_hashed calls, "
        f"{prof['profiled_us_per_sod']:.0f} µs/SOD profiled"
    )
    print(f"  {'tottime µs/SOD':>14}  {'cumtime µs/SOD':>14}  {'calls/SOD':>9}  function")
    for r in prof["top_tottime"]:
        print(
            f"  {r['tottime_us_per_sod']:>14.1f}  {r['cumtime_us_per_sod']:>14.1f}  "
            f"{r['calls_per_sod']:>9.1f}  {r['function']}"
        )


def main() -> None:
    n = env_int("BENCH_SIGNATURES", 3000)
    repeats = env_int("BENCH_REPEATS", 5)
    photo_kb = env_int("BENCH_PHOTO_KB", 15)
    profile_sods = env_int("BENCH_PROFILE_SODS", 500)
    block = env_int("BENCH_BLOCK", 100)
    stores = [s.strip() for s in os.environ.get("BENCH_STORES", "file,pkcs11").split(",") if s.strip()]
    results: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "machine": machine(),
        "settings": {
            "signatures": n,
            "repeats": repeats,
            "block": block,
            "photo_kb": photo_kb,
            "profile_sods": profile_sods,
        },
        "bar": {"ratio": BAR_RATIO},
        "stores": {},
    }
    groups = data_groups(photo_kb)
    results["data_group_bytes"] = {f"DG{k}": len(v) for k, v in sorted(groups.items())}
    results["data_group_total_bytes"] = sum(len(v) for v in groups.values())
    log(f"data groups: {results['data_group_bytes']}; {n:,} signatures × {repeats} repeats per measure")
    with tempfile.TemporaryDirectory(prefix="sod-bench-") as tmp:
        for name in stores:
            log(f"{name} store")
            where = Path(tmp) / name
            where.mkdir()
            if name == "file":
                results["stores"][name] = file_store(where, groups, n, repeats, profile_sods, block)
            elif name == "pkcs11":
                results["stores"][name] = pkcs11_store(where, groups, n, repeats, profile_sods, block)
            else:
                raise SystemExit(f"unknown store {name!r} in BENCH_STORES (file, pkcs11)")
    results["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
    table = rows_of(results)
    results["table"] = table
    print()
    print_table(table)
    for name, s in results["stores"].items():
        if "profile" in s:
            print_profile(name, s["profile"])
    target = HERE / "results" / "sod_sign.json"
    target.parent.mkdir(exist_ok=True)
    target.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten {target.relative_to(ROOT)}")
    for name, s in results["stores"].items():
        print(
            f"{'PASS' if s['pass'] else 'FAIL'} {name}: SodSigner.build_hashed "
            f"{s['median']['build_hashed']:,.0f}/s = {s['ratio_median']:.1%} of raw "
            f"{s['median']['raw_sign']:,.0f}/s (bar {BAR_RATIO:.0%}); build over the files "
            f"{s['ratio_build_median']:.1%}"
        )


if __name__ == "__main__":
    main()
