"""A tiny filesystem of its own (tmpfs, a few hundred kilobytes) for the disk-full fault tests.

Mounting needs root with CAP_SYS_ADMIN (the test machines and CI). Where ``mount`` is refused the tests
skip, saying why, except in CI (``PARTYCARD_REQUIRE_MOUNT=1``), where that fails. A process limit on file
size (RLIMIT_FSIZE) is no stand-in: it raises EFBIG and a signal, not the ENOSPC of a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["disk_fill", "tiny_disk"]


@contextlib.contextmanager
def tiny_disk(where: Path, *, size_kb: int = 512) -> Iterator[Path]:
    """A tmpfs of ``size_kb`` mounted at ``where`` (made), unmounted (lazily, if busy) on the way out."""
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        reason = f"cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): {done.stderr.strip()}"
        if os.environ.get("PARTYCARD_REQUIRE_MOUNT") == "1":
            pytest.fail(f"PARTYCARD_REQUIRE_MOUNT=1 but {reason}")
        pytest.skip(reason)
    try:
        yield where
    finally:
        if subprocess.run(["umount", str(where)], capture_output=True, check=False).returncode != 0:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def disk_fill(where: Path) -> Path:
    """Fill the filesystem of ``where`` to the last byte with one file (deleting it frees the space)."""
    filler = where / "filler"
    block = b"\0" * 4096
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(block)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
        with contextlib.suppress(OSError):  # the last partial block
            while True:
                f.write(b"\0")
    return filler
