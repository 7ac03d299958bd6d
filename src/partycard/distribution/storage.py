"""Distribution's files on disk (``PARTYCARD["DISTRIBUTION_DIR"]``), each read back only if its SHA-256
still matches the one the database keeps."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from django.conf import settings

__all__ = ["file_read", "file_write", "root"]


def root() -> Path:
    return Path(settings.PARTYCARD["DISTRIBUTION_DIR"])


def file_write(relative: str, content: bytes) -> str:
    """Write ``content`` at ``relative`` under the root (a temporary file renamed); return its SHA-256."""
    target = root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(target.suffix + ".part")
    temporary.write_bytes(content)
    os.replace(temporary, target)
    return hashlib.sha256(content).hexdigest()


def file_read(relative: str, sha256: str) -> bytes | None:
    """The file's bytes, or None if it is missing or no longer what was written (its hash differs)."""
    if not relative or ".." in Path(relative).parts:
        return None
    try:
        content = (root() / relative).read_bytes()
    except OSError:
        return None
    return content if hashlib.sha256(content).hexdigest() == sha256 else None
