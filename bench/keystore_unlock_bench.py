"""Key store unlock benchmark: how long ``FileKeyStore`` takes to open, against the raw scrypt derivation
it cannot avoid, in the same run.

No database::

    BENCH_REPEATS=9 BENCH_KEYS=100 PYTHONPATH=src .venv/bin/python bench/keystore_unlock_bench.py

A store of ``BENCH_KEYS`` P-256 keys is made once in a temporary directory with the default scrypt
parameters (``trust.keystore.file.DEFAULT_SCRYPT``). Each repeat, in rotating order so that every
measurement sees the same load on a shared machine:

- **raw**: ``hashlib.scrypt`` of the passphrase with the default parameters and a fresh salt: the floor;
- **unlock**: a fresh ``FileKeyStore`` on the directory (the process's cache of derived keys emptied
  first): it reads, parses and decrypts the first key, which is when a wrong passphrase is refused;
- **all keys**: then the public key of every other key of the store (they share the store's salt, so no
  derivation: AES and PKCS#8 parsing only);
- **PBKDF2**: ``cryptography``'s ``load_pem_private_key`` of the same key as the store wrote it before
  (``BestAvailableEncryption``, 2,048 PBKDF2 iterations): what the old format cost an attacker per guess.

Reported: medians (min, max) of each, wall clock and the process's own CPU time (which the other work on
a shared machine does not inflate), unlock ÷ raw, and the scrypt parameters and memory per guess.
Writes ``bench/results/keystore_unlock.json``.

Environment:
    BENCH_REPEATS   repeats of every measurement (default 9)
    BENCH_KEYS      keys in the store (default 100)
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization

from partycard.trust.keystore import file as file_module
from partycard.trust.keystore.file import DEFAULT_SCRYPT, FileKeyStore

PASSPHRASE = b"a long benchmark passphrase"
RESULTS = Path(__file__).parent / "results" / "keystore_unlock.json"


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "") or default)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version()}
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    info["load_before"] = os.getloadavg()
    return info


def main() -> None:
    repeats, keys = env_int("BENCH_REPEATS", 9), env_int("BENCH_KEYS", 100)
    params = DEFAULT_SCRYPT
    info = machine()
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp) / "keys"
        store = FileKeyStore(directory, PASSPHRASE)
        labels = [f"key-{i:04d}" for i in range(keys)]
        for label in labels:
            store.generate(label)
        legacy_key = serialization.load_pem_private_key(
            (directory / f"{labels[0]}.key.pem").read_bytes(), PASSPHRASE
        )
        legacy_pem = legacy_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSPHRASE),
        )

        def raw() -> None:
            hashlib.scrypt(
                PASSPHRASE,
                salt=os.urandom(16),
                n=params.n,
                r=params.r,
                p=params.p,
                maxmem=params.maxmem(),
                dklen=32,
            )

        opened: list[FileKeyStore] = []

        def unlock() -> None:
            file_module._derived.clear()
            opened.append(FileKeyStore(directory, PASSPHRASE))

        def all_keys() -> None:
            fresh = opened.pop()
            for label in labels[1:]:
                fresh.public_key(label)

        def pbkdf2() -> None:
            serialization.load_pem_private_key(legacy_pem, PASSPHRASE)

        timings: dict[str, list[float]] = {"raw": [], "unlock": [], "all_keys": [], "pbkdf2": []}
        cpu: dict[str, list[float]] = {name: [] for name in timings}
        steps: list[tuple[str, Callable[[], None]]] = [("raw", raw), ("unlock", unlock), ("pbkdf2", pbkdf2)]
        for repeat in range(repeats):
            order = steps[repeat % 3 :] + steps[: repeat % 3]
            for name, step in order:
                started, started_cpu = time.perf_counter(), time.process_time()
                step()
                timings[name].append(time.perf_counter() - started)
                cpu[name].append(time.process_time() - started_cpu)
                if name == "unlock":
                    started, started_cpu = time.perf_counter(), time.process_time()
                    all_keys()
                    timings["all_keys"].append(time.perf_counter() - started)
                    cpu["all_keys"].append(time.process_time() - started_cpu)
    info["load_after"] = os.getloadavg()

    def summary(name: str) -> dict[str, float]:
        values = timings[name]
        return {
            "median_ms": statistics.median(values) * 1e3,
            "min_ms": min(values) * 1e3,
            "max_ms": max(values) * 1e3,
            "cpu_median_ms": statistics.median(cpu[name]) * 1e3,  # the process's own CPU: load-free
        }

    result = {
        "scrypt": {
            "n": params.n,
            "r": params.r,
            "p": params.p,
            "memory_mib": 128 * params.r * params.n / 2**20,
        },
        "keys": keys,
        "repeats": repeats,
        "machine": info,
        **{name: summary(name) for name in timings},
    }
    result["unlock_over_raw"] = result["unlock"]["median_ms"] / result["raw"]["median_ms"]
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n")
    print(
        f"scrypt N={params.n} r={params.r} p={params.p} ({result['scrypt']['memory_mib']:.0f} MiB a guess); "
        f"{keys} keys; {repeats} repeats; {info.get('cpu')} x{info['nproc']}; "
        f"load {info['load_before'][0]:.2f} -> {info['load_after'][0]:.2f}"
    )
    for name, label in (
        ("raw", "raw scrypt (the floor)"),
        ("unlock", "FileKeyStore unlock (open + first key)"),
        ("all_keys", f"then the other {keys - 1} keys"),
        ("pbkdf2", "old format: PBKDF2-2048 decryption"),
    ):
        s = result[name]
        print(
            f"  {label:<42} {s['median_ms']:8.1f} ms  ({s['min_ms']:.1f} – {s['max_ms']:.1f}); "
            f"CPU {s['cpu_median_ms']:.1f} ms"
        )
    print(f"  unlock / raw: {result['unlock_over_raw']:.3f}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
