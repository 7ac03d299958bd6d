"""QR verification benchmark: ``verify.qr`` on a valid party-card QR against raw COSE_Sign1 verification,
in the same run. No database::

    BENCH_VERIFICATIONS=3000 BENCH_REPEATS=5 .venv/bin/python bench/qr_verify_bench.py

Setup: a FileKeyStore in a temporary directory with the test world of tests/ecard/world.py (a root, five
document signers, four of them on a signed trust list, a 2-bit status list, a device key); one genuine
credential (243-byte CWT, 514-character ``PC1:`` QR; 627 characters as a rotating ``PC1R:`` QR).

Measured per repeat, interleaved in blocks of ``BENCH_BLOCK`` calls whose order rotates (raw, session,
rotating; session, rotating, raw; …) so that all see the same load on a shared machine:

- **raw**: ``cbor2.loads`` of the COSE bytes, the Sig_structure built with ``cbor2.dumps``, r || s to
  DER, ``cryptography``'s ECDSA P-256 verify with the signer's public key already loaded. Nothing else.
- **session** (the PASS/FAIL figure): ``QrVerifier.verdict(text, now=)`` on the static QR
  (device_required False): prefix, Base45, zlib, strict CBOR, COSE, CWT claims, kid lookup, ECDSA
  verify, signer checks (cached per signer and time state), trust list staleness, validity, status
  lookup, holder data, the Verdict. What a phone does for each scan with its trust list loaded.
- **rotating**: the same on the device-bound ``PC1R:`` QR (device_required True): all of the above, plus
  the cnf point check and a second ECDSA verify (the device proof). For the record: two verifications.
- **one-shot** (for the record, ``BENCH_VERIFICATIONS // 10`` calls): ``qr_verdict(...)``, a fresh
  ``QrVerifier`` per call, so the kid index, the signers' keys and ``signer_reasons`` (the root's
  signature on the DS: a second ECDSA verify) are computed every time.

Each ratio is raw time ÷ measured time for the same number of calls; the median of the repeats is held
to the bar (min and max reported). Bar: session ≥ 70% of the raw rate. A cProfile'd batch of session
verifications shows where the rest goes. Writes ``bench/results/qr_verify.json`` and prints a table.

Environment:
    BENCH_VERIFICATIONS  verifications per measurement (default 3,000)
    BENCH_REPEATS        repeats (default 5)
    BENCH_BLOCK          calls per interleaved block (default 100)
    BENCH_PROFILE        verifications in the cProfile'd batch (default 2,000; 0 skips it)
"""

from __future__ import annotations

import cProfile
import io
import json
import os
import platform
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import env_int, log  # bench/common.py (bench/ is the script's dir)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "src")]

import cbor2  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from tests.ecard.world import NOW, build_qr_world, credential, status_list  # noqa: E402

from partycard.ecard.device import device_qr  # noqa: E402
from partycard.ecard.qr import qr_encode  # noqa: E402
from partycard.trust.ecdsa import plain_to_der  # noqa: E402
from partycard.trust.keystore.file import FileKeyStore  # noqa: E402
from partycard.verify.qr import QrVerifier, qr_verdict  # noqa: E402

BAR_RATIO = 0.70


def machine() -> dict[str, Any]:
    """CPU, memory, Python and the libraries on the path."""
    import cryptography
    from cryptography.hazmat.backends.openssl.backend import backend

    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cryptography": cryptography.__version__,
        "openssl": backend.openssl_version_text(),
        "cbor2": __import__("importlib.metadata").metadata.version("cbor2"),
    }
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            info["mem_total_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    return info


def timed(call: Callable[[], object], n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        call()
    return time.perf_counter() - start


def main() -> None:
    n = env_int("BENCH_VERIFICATIONS", 3000)
    repeats = env_int("BENCH_REPEATS", 5)
    block = env_int("BENCH_BLOCK", 100)
    profile_n = env_int("BENCH_PROFILE", 2000)
    started = time.strftime("%Y-%m-%d %H:%M:%S %z")
    keys = Path(tempfile.mkdtemp(prefix="qr-bench-"))
    try:
        log("building the PKI, trust list and credential")
        store = FileKeyStore(keys, b"bench passphrase")
        world = build_qr_world(store, "bench")
        cose = credential(world)
        static_text = qr_encode(cose)
        rotating_text = device_qr(cose, sign=world.device_sign, at=NOW)
        trust, status = world.trust(NOW), status_list()
        public_key = store.public_key(world.signers["good"][0])
        es256 = ec.ECDSA(hashes.SHA256())

        def raw() -> None:
            message = cbor2.loads(cose).value
            to_be_signed = cbor2.dumps(["Signature1", message[0], b"", message[2]])
            public_key.verify(plain_to_der(message[3]), to_be_signed, es256)

        session = QrVerifier(trust=trust, root=world.root, status=status, device_required=False)
        device_session = QrVerifier(trust=trust, root=world.root, status=status, device_required=True)
        assert session.verdict(static_text, now=NOW).ok
        assert device_session.verdict(rotating_text, now=NOW).ok

        def one_shot() -> None:
            qr_verdict(
                static_text, trust=trust, root=world.root, now=NOW, status=status, device_required=False
            )

        assert qr_verdict(
            static_text, trust=trust, root=world.root, now=NOW, status=status, device_required=False
        ).ok
        calls: dict[str, Callable[[], object]] = {
            "raw": raw,
            "session": lambda: session.verdict(static_text, now=NOW),
            "rotating": lambda: device_session.verdict(rotating_text, now=NOW),
        }
        for call in (*calls.values(), one_shot):  # warm up
            timed(call, 50)
        runs = []
        for repeat in range(1, repeats + 1):
            loadavg = list(os.getloadavg())
            seconds = dict.fromkeys([*calls, "one_shot"], 0.0)
            order = list(calls)
            for i in range(0, n, block):
                for name in order:
                    seconds[name] += timed(calls[name], min(block, n - i))
                seconds["one_shot"] += timed(one_shot, max(1, min(block, n - i) // 10))
                order = order[1:] + order[:1]
            shots = sum(max(1, min(block, n - i) // 10) for i in range(0, n, block))
            run = {
                "repeat": repeat,
                "loadavg_before": loadavg,
                **{
                    name: {"n": n, "seconds": round(s, 4), "per_call_us": round(s / n * 1e6, 1)}
                    for name, s in seconds.items()
                    if name != "one_shot"
                },
                "one_shot": {
                    "n": shots,
                    "seconds": round(seconds["one_shot"], 4),
                    "per_call_us": round(seconds["one_shot"] / shots * 1e6, 1),
                },
            }
            raw_us = seconds["raw"] / n
            run["ratio_session"] = round(raw_us / (seconds["session"] / n), 3)
            run["ratio_rotating"] = round(raw_us / (seconds["rotating"] / n), 3)
            run["ratio_one_shot"] = round(raw_us / (seconds["one_shot"] / shots), 3)
            runs.append(run)
            us = {name: run[name]["per_call_us"] for name in (*calls, "one_shot")}  # type: ignore[index]
            log(
                f"repeat {repeat}: raw {us['raw']} µs,"
                f" session {us['session']} µs ({run['ratio_session']:.0%}),"
                f" rotating {us['rotating']} µs ({run['ratio_rotating']:.0%}),"
                f" one-shot {us['one_shot']} µs ({run['ratio_one_shot']:.0%})"
            )

        def summary(key: str) -> dict[str, float]:
            values = [r[key] for r in runs]
            return {"median": statistics.median(values), "min": min(values), "max": max(values)}

        profile_text = ""
        if profile_n:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(profile_n):
                session.verdict(static_text, now=NOW)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
            profile_text = out.getvalue()
        result = {
            "started": started,
            "machine": machine(),
            "settings": {"verifications": n, "repeats": repeats, "block": block, "profile": profile_n},
            "sizes": {
                "cwt_bytes": len(cbor2.loads(cose).value[2]),
                "cose_bytes": len(cose),
                "static_qr_chars": len(static_text),
                "rotating_qr_chars": len(rotating_text),
            },
            "bar": {"ratio": BAR_RATIO, "measure": "session"},
            "runs": runs,
            "ratio_session": summary("ratio_session"),
            "ratio_rotating": summary("ratio_rotating"),
            "ratio_one_shot": summary("ratio_one_shot"),
            "per_call_us_median": {
                name: statistics.median(r[name]["per_call_us"] for r in runs)
                for name in ("raw", "session", "rotating", "one_shot")
            },
            "pass": summary("ratio_session")["median"] >= BAR_RATIO,
            "profile_session": profile_text.splitlines(),
        }
        (HERE / "results").mkdir(exist_ok=True)
        (HERE / "results" / "qr_verify.json").write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n"
        )
        per = result["per_call_us_median"]
        print()
        print(f"{'measure':<12}{'µs/call':>10}{'ratio':>8}")
        print(f"{'raw':<12}{per['raw']:>10.1f}{'':>8}")
        for name in ("session", "rotating", "one_shot"):
            print(f"{name:<12}{per[name]:>10.1f}{summary('ratio_' + name)['median']:>8.0%}")
        verdict = "PASS" if result["pass"] else "FAIL"
        print(f"bar: session ≥ {BAR_RATIO:.0%} of raw → {verdict}")
        if profile_text:
            print(profile_text)
    finally:
        shutil.rmtree(keys)


if __name__ == "__main__":
    main()
