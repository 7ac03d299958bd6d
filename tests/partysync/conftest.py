"""Fixtures of the party-database sync tests: an officer of Hà Nội, members, and a run helper."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.jobs.runner import job_run
from partycard.partysync import jobs, services
from partycard.partysync.models import SyncRun
from partycard.registry.models import Organisation
from partycard.registry.roster import COLUMNS

HEADERS = [c.header for c in COLUMNS]


@pytest.fixture
def officer(tree: Any) -> User:
    return User.objects.create_user(
        "sync-hn", password="mat-khau-dai-1", role=Role.COMMITTEE_OFFICER, organisation=tree.hanoi
    )


@pytest.fixture
def three(tree: Any, make_member: Any) -> list[Any]:
    """Three members of Hà Nội's first cell, with file numbers."""
    return [
        make_member(full_name="Nguyễn Văn An", citizen_id="001080012345", file_number="000001HN"),
        make_member(full_name="Trần Thị Bình", citizen_id="001180012346", gender="F", file_number="000002HN"),
        make_member(full_name="Lê Văn Cường", citizen_id="001080012347", file_number="000003HN"),
    ]


def preview(actor: Any, root: Organisation, path: Path, **run_kw: Any) -> SyncRun:
    """Read ``path`` into a preview run, its job run here as the worker runs it."""
    run, job = jobs.start_preview(
        actor=actor, root=root, path=path, name=path.name, remove_file=False, enqueue=False
    )
    job_run(job.pk, **run_kw)
    run.refresh_from_db()
    return run


def apply(actor: Any, run: SyncRun) -> SyncRun:
    job = jobs.start_apply(actor=actor, run=run, enqueue=False)
    job_run(job.pk)
    run.refresh_from_db()
    return run


def export(actor: Any, root: Organisation, path: Path) -> SyncRun:
    return services.sync_export(actor=actor, root=root, path=path, fmt=path.suffix.lstrip("."))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def write_csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=HEADERS)
        writer.writeheader()
        for row in rows:
            writer.writerow({h: row.get(h, "") for h in HEADERS})
    return path


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, items: list[Any]) -> Path:
    path.write_text(
        "".join((json.dumps(i, ensure_ascii=False) if not isinstance(i, str) else i) + "\n" for i in items),
        encoding="utf-8",
    )
    return path
