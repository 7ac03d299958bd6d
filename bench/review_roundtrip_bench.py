"""Offline review round trip benchmark (issue 17): a 2,000-member grassroots organisation's workbook handed
out, edited with openpyxl as a cell would (~5 % of the editable cells, plus a few records changed in
partycard meanwhile: conflicts, decided), brought back and applied, on SQLite and on PostgreSQL, against a
raw openpyxl write and read of the same rows measured in the same run. Issue 17: the round trip < 10 s.

Run::

    PYTHONPATH=src .venv/bin/python bench/review_roundtrip_bench.py

Environment:
    BENCH_DATABASE_URL  the PostgreSQL database (DROPPED and recreated; default as below)
    BENCH_BACKENDS      comma-separated: sqlite,postgres (default both)
    BENCH_MEMBERS       members of the grassroots organisation (default 2,000)
    BENCH_CELLS         its cells (default 20)
    BENCH_EDIT_SHARE    the share of the editable cells changed in the workbook (default 0.05)
    BENCH_CONFLICTS     records changed in partycard after the export, and in the workbook too (default 20)

Each backend runs in a fresh process (``--child``): the schema migrated, the organisation built through the
services and its members loaded in bulk (not timed), then each step timed on its own:

* ``raw``: openpyxl, normal mode, the same rows (member id + the 18 reviewed fields as text) written and
  saved, then read back with ``load_workbook(read_only=True)``: the library's own floor for this file;
* ``export``: ``review_export`` (select, canonical values, signed base, styled and protected sheets);
* ``edit``: what the cell does (not partycard's time, reported apart): openpyxl load, change the cells, save;
* ``import``: ``review_import`` (size and zip checks, signature, every row parsed and checked, the merge);
* ``apply``: ``review_apply`` (``registry.services.members_update_many``: history, audit, hooks).

Prints a table and writes ``bench/results/review_roundtrip.json``.
"""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_review_bench"
BAR_SECONDS = 10.0  # issue 17: a 2,000-member grassroots organisation's round trip


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, "").replace("_", "").replace(",", "") or default)


def _setup_world(members: int, cells: int) -> tuple[Any, Any]:
    import datetime as dt

    from partycard.accounts.models import User
    from partycard.accounts.roles import Role
    from partycard.core.text import fold
    from partycard.registry import services
    from partycard.registry.choices import Gender, MemberStatus, OrgLevel
    from partycard.registry.models import Member
    from partycard.registry.seeding.loader import ensure_ethnicities

    ensure_ethnicities()
    org = services.organisation_create
    centre = org(actor=None, code="TW", name="Trung ương", level=OrgLevel.CENTRE, parent=None)
    province = org(
        actor=None, code="P01", name="Đảng bộ tỉnh", level=OrgLevel.CENTRAL_COMMITTEE, parent=centre
    )
    commune = org(
        actor=None, code="P01-X", name="Đảng bộ xã biên giới", level=OrgLevel.COMMUNE, parent=province
    )
    grassroots = org(
        actor=None,
        code="P01-X-01",
        name="Đảng bộ xã Bản Xèo",
        level=OrgLevel.GRASSROOTS_COMMITTEE,
        parent=commune,
    )
    cell_orgs = [
        org(
            actor=None,
            code=f"P01-X-01-{i:02d}",
            name=f"Chi bộ thôn {i}",
            level=OrgLevel.CELL,
            parent=grassroots,
        )
        for i in range(1, cells + 1)
    ]
    rows = []
    for i in range(members):
        name = f"Nguyễn Văn Rà Soát {i:05d}"
        rows.append(
            Member(
                organisation=cell_orgs[i % cells], full_name=name, name_search=fold(name), gender=Gender.MALE,
                date_of_birth=dt.date(1980, 3, 12), citizen_id=f"001080{i:06d}", home_town="Lào Cai",
                place_of_birth="Bát Xát", ethnicity_id=1 + i % 54, date_admitted=dt.date(2005, 5, 19),
                date_official=dt.date(2006, 5, 19), status=MemberStatus.OFFICIAL, phone=f"09{i:08d}",
            )
        )  # fmt: skip
    Member.objects.bulk_create(rows, batch_size=1000)
    services.organisations_recount()
    officer = User.objects.create_user(
        "bench-review", password="mat-khau-dai-1", role=Role.GRASSROOTS_OFFICER, organisation=grassroots,  # noqa: S106
        first_name="Cán bộ Bench",
    )  # fmt: skip
    return grassroots, officer


def _raw(rows: list[list[str]]) -> float:
    """openpyxl's floor for this file: the same strings written (normal mode) and read back."""
    from openpyxl import Workbook, load_workbook

    start = time.perf_counter()
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    read = load_workbook(io.BytesIO(out.getvalue()), read_only=True)
    count = sum(1 for _ in read.active.iter_rows(values_only=True))
    read.close()
    assert count == len(rows)
    return time.perf_counter() - start


def child() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partycard.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from openpyxl import load_workbook

    from partycard.registry import services as registry
    from partycard.registry.models import Member
    from partycard.review.fields import EDITABLE, FIELDS, ID_HEADER
    from partycard.review.services import conflict_key, review_apply, review_export, review_import

    members, cells = _env_int("BENCH_MEMBERS", 2000), _env_int("BENCH_CELLS", 20)
    share = float(os.environ.get("BENCH_EDIT_SHARE", "0.05"))
    conflicts = _env_int("BENCH_CONFLICTS", 20)
    call_command("migrate", verbosity=0)
    grassroots, officer = _setup_world(members, cells)
    rng = random.Random(17)
    result: dict[str, Any] = {"backend": connection.vendor, "members": members, "cells": cells}

    start = time.perf_counter()
    export, content = review_export(actor=officer, organisation=grassroots)
    result["export"] = time.perf_counter() - start
    result["file_bytes"] = len(content)

    # The raw floor: the workbook's own visible rows (id + every reviewed field, as text).
    book = load_workbook(io.BytesIO(content), read_only=True)
    visible = [
        [("" if v is None else str(v)) for v in row]
        for name in book.sheetnames if name.startswith("P01")
        for row in book[name].iter_rows(values_only=True)
    ]  # fmt: skip
    book.close()
    result["raw"] = _raw(visible)

    # Meanwhile in partycard: a few records changed (they will conflict with the workbook's edits).
    ids = sorted(export.members)
    changed_here = rng.sample(ids, conflicts)
    for pk in changed_here:
        registry.member_update(
            actor=officer, member=Member.objects.get(pk=pk), changes={"occupation": "Kỹ sư"}
        )

    # The cell's edits: ~share of the editable cells, text fields that any value fits.
    editable_text = ["place_of_birth", "home_town", "occupation", "birth_name"]
    headers = {f.name: f.header for f in FIELDS}
    target = int(members * len(EDITABLE) * share)
    start = time.perf_counter()
    book = load_workbook(io.BytesIO(content))
    cells_by_member: dict[int, Any] = {}
    for sheet in book.worksheets:
        if not sheet.title.startswith("P01"):
            continue
        head = [c.value for c in sheet[1]]
        columns = {name: head.index(headers[name]) for name in editable_text}
        for row in sheet.iter_rows(min_row=2):
            cells_by_member[int(row[head.index(ID_HEADER)].value)] = (row, columns)
    slots = [(pk, name) for pk in ids for name in editable_text]
    chosen = set(rng.sample(slots, min(target, len(slots))))
    chosen |= {(pk, "occupation") for pk in changed_here}
    for pk, name in chosen:
        row, columns = cells_by_member[pk]
        row[columns[name]].value = f"Sửa {name[:4]} {pk}"
    out = io.BytesIO()
    book.save(out)
    returned = out.getvalue()
    result["edit"] = time.perf_counter() - start
    result["cells_edited"] = len(chosen)

    start = time.perf_counter()
    review = review_import(actor=officer, file=returned)
    result["import"] = time.perf_counter() - start
    result["changes"], result["conflicts"] = review.change_count, review.conflict_count
    decisions = {conflict_key(pk, "occupation"): "theirs" for pk in changed_here}

    start = time.perf_counter()
    result["members_changed"] = review_apply(actor=officer, review_import=review, decisions=decisions)
    result["apply"] = time.perf_counter() - start
    assert result["conflicts"] == conflicts and result["changes"] + conflicts == len(chosen), result
    assert Member.objects.get(pk=changed_here[0]).occupation.startswith("Sửa")
    result["round_trip"] = result["export"] + result["import"] + result["apply"]
    result["round_trip_with_edit"] = result["round_trip"] + result["edit"]
    result["ratio_to_raw"] = result["round_trip"] / result["raw"]
    print("RESULT " + json.dumps(result), flush=True)


def main() -> None:
    backends = os.environ.get("BENCH_BACKENDS", "sqlite,postgres").split(",")
    results = []
    for backend in backends:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "partycard.settings.test"}
        env["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(ROOT / "src"), str(ROOT), env.get("PYTHONPATH")])
        )
        folder = tempfile.TemporaryDirectory(prefix="review-bench-")
        if backend == "sqlite":
            env["DATABASE_URL"] = f"sqlite:///{folder.name}/bench.sqlite3"
        else:
            url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
            base, name = url.rsplit("/", 1)
            subprocess.run(["psql", f"{base}/postgres", "-qc", f"DROP DATABASE IF EXISTS {name}"], check=True)
            subprocess.run(["psql", f"{base}/postgres", "-qc", f"CREATE DATABASE {name}"], check=True)
            env["DATABASE_URL"] = url
        done = subprocess.run(
            [sys.executable, __file__, "--child"], env=env, capture_output=True, text=True, check=False
        )
        folder.cleanup()
        line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
        if line is None:
            print(done.stdout[-3000:], done.stderr[-5000:])
            raise SystemExit(f"{backend}: the child failed")
        results.append(json.loads(line[7:]))
    print(
        f"{'backend':<11}{'members':>8}{'edited':>8}{'raw':>8}{'export':>8}{'edit':>8}{'import':>8}"
        f"{'apply':>8}{'round trip':>12}{'× raw':>8}"
    )
    for r in results:
        print(
            f"{r['backend']:<11}{r['members']:>8}{r['cells_edited']:>8}{r['raw']:>8.2f}{r['export']:>8.2f}"
            f"{r['edit']:>8.2f}{r['import']:>8.2f}{r['apply']:>8.2f}{r['round_trip']:>12.2f}"
            f"{r['ratio_to_raw']:>8.1f}"
        )
        verdict = "OK" if r["round_trip"] < BAR_SECONDS else "OVER"
        print(
            f"  {verdict}: round trip (export + import + apply) {r['round_trip']:.2f} s < {BAR_SECONDS} s; "
            f"with the cell's edit {r['round_trip_with_edit']:.2f} s; {r['members_changed']} members changed"
        )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "review_roundtrip.json").write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    if "--child" in sys.argv:
        child()
    else:
        main()
