"""What the exchange benchmarks share: integer settings from the environment, timestamped progress lines,
and the machine and PostgreSQL settings each result JSON records."""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psycopg

__all__ = ["env_int", "log", "machine_info"]

GIB = 1024**3


def env_int(name: str, default: int) -> int:
    """``BENCH_…`` integers; "5_600_000" and "5,600,000" read as 5600000."""
    return int(os.environ.get(name, "").replace("_", "").replace(",", "") or default)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def machine_info(url: str | None = None, settings: Sequence[str] = ()) -> dict[str, Any]:
    """CPU, memory, Python, and the PostgreSQL version and ``settings`` (SHOW) of the server at ``url``
    (none without a URL: benches that need no database)."""
    info: dict[str, Any] = {
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            info["mem_total_gib"] = round(int(line.split()[1]) * 1024 / GIB, 1)
    if url is None:
        return info
    with psycopg.connect(url, autocommit=True) as conn:
        info["postgres"] = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        for name in settings:
            info[name] = conn.execute(f"SHOW {name}").fetchone()[0]  # type: ignore[index]
    return info
