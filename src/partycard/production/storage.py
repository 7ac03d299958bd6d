"""Where production's files live: ``PARTYCARD["PRODUCTION_DIR"]``, one directory per batch.

A file is written to a temporary name and renamed into place (atomic on POSIX), so a crash leaves the
old file or the new one, never half of one; a job chunk that re-runs after a crash simply writes its file
again. The working parts of a batch (plain card data, photos included) are deleted once the sealed
(encrypted) file exists: the directory must still sit on an encrypted volume (docs/production.md).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings

__all__ = ["batch_dir", "file_write", "parts_dir", "parts_remove", "production_dir"]


def production_dir() -> Path:
    return Path(settings.PARTYCARD.get("PRODUCTION_DIR") or Path(settings.VAR_DIR) / "production")


def batch_dir(code: str) -> Path:
    return production_dir() / code


def parts_dir(code: str, step: str) -> Path:
    return batch_dir(code) / f"parts-{step}"


def file_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def parts_remove(code: str, step: str) -> None:
    shutil.rmtree(parts_dir(code, step), ignore_errors=True)
