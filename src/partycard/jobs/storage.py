"""Where jobs keep their files: ``PARTYCARD["JOB_FILES_DIR"]``, a private directory (never under MEDIA_ROOT,
which the web server may serve): the result files people download through ``jobs:job_download`` (scope
and owner checked, every download audited) and each job's scratch directory for its parts.

Files are written to a temporary name and renamed into place (atomic on POSIX), so a job killed while
writing leaves the old file or the new one, never half of one; a chunk that runs again after a crash just
writes its file again. The sweep (``services.job_files_expire``) deletes result files past their expiry and
the scratch of jobs that are over.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from django.conf import settings

__all__ = [
    "file_write",
    "job_files_dir",
    "result_path",
    "scratch_dir",
    "scratch_remove",
    "scratch_root",
]


def job_files_dir() -> Path:
    """The private directory of job files, made (owner-only) if missing."""
    path = Path(settings.PARTYCARD.get("JOB_FILES_DIR") or Path(settings.VAR_DIR) / "job-files")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def result_path(job_id: int, suffix: str) -> Path:
    """Where job ``job_id`` writes its result file (one per job; a re-run writes the same name)."""
    return job_files_dir() / f"job-{int(job_id)}{suffix}"


def scratch_root() -> Path:
    path = job_files_dir() / "scratch"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def scratch_dir(job_id: int) -> Path:
    """Job ``job_id``'s own working directory (its parts), made if missing."""
    path = scratch_root() / f"job-{int(job_id)}"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def scratch_remove(job_id: int) -> None:
    shutil.rmtree(scratch_root() / f"job-{int(job_id)}", ignore_errors=True)


def file_write(path: Path, chunks: Iterable[bytes]) -> None:
    """Write ``chunks`` to ``path`` atomically (temporary file beside it, fsync, rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.writelines(chunks)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
