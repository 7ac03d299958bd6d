"""Roster import benchmark (issue 12): time and peak memory of ``import_roster`` on the largest files the
limits allow, and on the two files that took 110 s / 1.75 GB and 4.5 min / 1.77 GB before the limits.

Run (PostgreSQL; the database named in the URL is DROPPED and recreated)::

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/partycard_import_bench \
    .venv/bin/python bench/import_bench.py

Environment:
    BENCH_DATABASE_URL  the bench database (dropped and recreated; default as above)
    BENCH_CASES         comma-separated case names to run (default: all of CASES)

Each case is one fresh process (``--child``): Django set up, the members of the previous case removed, then
``import_roster(path, actor=None)`` (the check pass and the write pass, as ``partycard import`` and the
background job run it). The child reports its peak RSS (``VmHWM``: the high-water mark of the whole process,
Django and the interpreter included) and its RSS before the import. The files are made at the
limits of ``settings.PARTYCARD`` (IMPORT_MAX_BYTES, IMPORT_MAX_ROWS, IMPORT_MAX_UNPACKED_BYTES,
IMPORT_MAX_SHARED_STRINGS_BYTES). Prints a table and writes ``bench/results/import.json``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # `bench.common` when run as a script
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/partycard_import_bench"
MIB = 1024 * 1024
PEAK_RSS_BAR = 300 * MIB  # issue 12: the largest allowed file imports in under 300 MB
CELLS = 50  # cells the rows are spread over

HEADERS = [
    "Mã chi bộ", "Họ và tên", "Họ tên khai sinh", "Giới tính", "Ngày sinh", "Nơi sinh", "Quê quán",
    "Dân tộc", "Tôn giáo", "Giáo dục phổ thông", "Chuyên môn", "Nghề nghiệp", "Số CCCD", "Số lý lịch",
    "Số thẻ đảng viên cũ", "Ngày vào Đảng", "Ngày chính thức", "Trạng thái", "Điện thoại",
]  # fmt: skip


def _row(i: int, pad: int = 0) -> list[str]:
    """A valid official member; ``pad`` characters of (valid) free text make the row longer."""
    text = ("Xã Đông Hưng huyện Đông Hưng tỉnh Thái Bình " * 6)[:pad].strip() if pad else "Hà Nội"
    return [
        f"BENCH-{i % CELLS:02d}",
        f"Nguyễn Văn Bench {i:06d}",
        text[:100],
        "Nam",
        "12/03/1980",
        text[:200],
        text[:200],
        "Kinh",
        "Không",
        "12/12",
        "Đại học",
        text[:100],
        f"00108{i:07d}",  # province 001, man born in 1980 (digit 0, year 80)
        f"{i:06d}HN",
        f"{i:08d}",
        "19/05/2005",
        "19/05/2006",
        "Đảng viên chính thức",
        f"09{i:08d}",
    ]


def _limits() -> dict[str, int]:
    import django

    django.setup()
    from django.conf import settings

    return {k: int(v) for k, v in settings.PARTYCARD.items() if k.startswith("IMPORT_")}


# ---- files ------------------------------------------------------------------------------------------


def make_csv(path: Path, rows: int, max_bytes: int | None) -> None:
    """``rows`` rows; with ``max_bytes``, padded so the file comes as close to it as it may."""
    pad = 0
    if max_bytes:  # the longest padding whose longest row still fits ``rows`` times
        header = len((",".join(HEADERS) + "\r\n").encode())
        pad = next(
            p
            for p in range(200, -1, -1)
            if header + rows * len((",".join(_row(rows, p)) + "\r\n").encode()) <= max_bytes
        )
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEADERS) + "\r\n")
        for i in range(rows):
            out.write(",".join(_row(i, pad)) + "\r\n")
    if max_bytes:
        assert path.stat().st_size <= max_bytes, path.stat().st_size


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_OOXML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_OOXML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_OOXML}.worksheet+xml"/>'
    "{shared}</Types>"
)
_SHARED_TYPE = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_OOXML}.sharedStrings+xml"/>'
_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_DOC}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_DOC}/worksheet" Target="worksheets/sheet1.xml"/>'
    "{shared}</Relationships>"
)
_SHARED_REL = f'<Relationship Id="rId2" Type="{_DOC}/sharedStrings" Target="sharedStrings.xml"/>'
_SHEET_HEAD = f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>'
_SHEET_TAIL = "</sheetData></worksheet>"


def _column(n: int) -> str:
    name = ""
    while n:
        n, rest = divmod(n - 1, 26)
        name = chr(65 + rest) + name
    return name


def make_xlsx(path: Path, rows: Iterator[list[str]], *, shared: bool, filler: int = 0) -> None:
    """A minimal .xlsx with no ``<dimension>`` (as the attack file had), written part by part.

    Inline strings (``t="inlineStr"``) or, with ``shared``, every value a distinct shared string (the
    part openpyxl keeps in memory), followed by ``filler`` one-character strings.
    """
    strings: list[str] = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES.format(shared=_SHARED_TYPE if shared else ""))
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr(
            "xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.format(shared=_SHARED_REL if shared else "")
        )
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.encode())
            for r, values in enumerate(rows, start=1):
                cells = []
                for c, value in enumerate(values, start=1):
                    ref = f"{_column(c)}{r}"
                    if shared:
                        cells.append(f'<c r="{ref}" t="s"><v>{len(strings)}</v></c>')
                        strings.append(value)
                    else:
                        cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(value)}</t></is></c>')
                sheet.write(f'<row r="{r}">{"".join(cells)}</row>'.encode())
            sheet.write(_SHEET_TAIL.encode())
        if shared:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                part.write(f'{_XML}<sst xmlns="{_MAIN}">'.encode())
                for s in strings:
                    part.write(f"<si><t>{escape(s)}</t></si>".encode())
                for _ in range(filler):  # strings no cell uses: openpyxl still holds each one
                    part.write(_FILLER)
                part.write(b"</sst>")


def _rows_with_header(n: int, pad: int = 0) -> Iterator[list[str]]:
    yield HEADERS
    for i in range(n):
        yield _row(i, pad)


# The costliest shared string per byte of XML: one character outside Latin-1, which CPython neither caches
# nor stores in one byte (a 76-byte str object, plus its list slot, for 19 bytes of XML).
_FILLER = "<si><t>ộ</t></si>".encode()


def _shared_rows(limits: dict[str, int]) -> int:
    """How many all-distinct bench rows fit in the shared-strings limits (at most IMPORT_MAX_ROWS)."""
    one = sum(len(f"<si><t>{escape(v)}</t></si>".encode()) for v in _row(limits["IMPORT_MAX_ROWS"]))
    head = 200 + sum(len(f"<si><t>{escape(v)}</t></si>".encode()) for v in HEADERS)
    by_bytes = (limits["IMPORT_MAX_SHARED_STRINGS_BYTES"] - head) // one
    by_count = (limits["IMPORT_MAX_SHARED_STRINGS"] - len(HEADERS)) // len(HEADERS)
    return min(limits["IMPORT_MAX_ROWS"], by_bytes, by_count)


def _filler_count(limits: dict[str, int]) -> int:
    """One-character strings that bring a one-row workbook's shared strings up to their limits."""
    head = 200 + sum(len(f"<si><t>{escape(v)}</t></si>".encode()) for v in [*HEADERS, *_row(0)])
    by_bytes = (limits["IMPORT_MAX_SHARED_STRINGS_BYTES"] - head) // len(_FILLER)
    return min(by_bytes, limits["IMPORT_MAX_SHARED_STRINGS"] - 2 * len(HEADERS))


def _attack_rows() -> Iterator[list[str]]:
    """The issue's file: a header, then 500,000 rows of one short inline string (2 MB zipped)."""
    yield HEADERS
    for _ in range(500_000):
        yield ["x"]


CASES: dict[str, tuple[str, Callable[[Path, dict[str, int]], None]]] = {
    "csv_max": (
        "CSV at the row and size limits (valid rows, padded)",
        lambda p, lim: make_csv(p, lim["IMPORT_MAX_ROWS"], lim["IMPORT_MAX_BYTES"]),
    ),
    "xlsx_inline_max": (
        "xlsx, inline strings, no <dimension>, at the row limit",
        lambda p, lim: make_xlsx(p, _rows_with_header(lim["IMPORT_MAX_ROWS"], 60), shared=False),
    ),
    "xlsx_shared_max": (
        "xlsx, every value a distinct shared string, as many rows as the shared-strings limit holds",
        lambda p, lim: make_xlsx(p, _rows_with_header(_shared_rows(lim)), shared=True),
    ),
    "xlsx_shared_tiny": (
        "xlsx, one row, shared strings filled to their limit with one-character strings (most objects)",
        lambda p, lim: make_xlsx(p, _rows_with_header(1), shared=True, filler=_filler_count(lim)),
    ),
    "xlsx_attack_500k": (
        "the issue's file: 500,000 inline-string rows, no <dimension> (refused at the row limit)",
        lambda p, lim: make_xlsx(p, _attack_rows(), shared=False),
    ),
    "csv_attack_50mb": (
        "the issue's 50 MB CSV (refused before parsing)",
        lambda p, lim: make_csv(p, 240_000, None),
    ),
}


# ---- one case in a fresh process ----------------------------------------------------------------------


def _status(field: str) -> int:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process, in bytes.

    Not ``getrusage().ru_maxrss``: Linux carries that over ``execve`` from the parent, so a child started
    by a large parent would report the parent's size.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


def child(path: Path) -> None:
    import django

    django.setup()
    from django.db import connection

    from partycard.registry import services
    from partycard.registry.choices import OrgLevel
    from partycard.registry.importing import import_roster
    from partycard.registry.models import Organisation
    from partycard.registry.roster import ParseError

    with connection.cursor() as cursor:  # the previous case's members (and their history and audit rows)
        cursor.execute("TRUNCATE registry_member, registry_historicalmember CASCADE")
    if not Organisation.objects.filter(code="BENCH").exists():
        org = services.organisation_create
        centre = Organisation.objects.filter(parent__isnull=True).first() or org(
            actor=None, code="TW", name="Trung ương", level=OrgLevel.CENTRE, parent=None
        )
        province = org(
            actor=None, code="BENCH", name="Đảng bộ thử", level=OrgLevel.CENTRAL_COMMITTEE, parent=centre
        )
        commune = org(
            actor=None, code="BENCH-X", name="Đảng bộ xã thử", level=OrgLevel.COMMUNE, parent=province
        )
        school = org(
            actor=None,
            code="BENCH-Y",
            name="Đảng bộ cơ sở thử",
            level=OrgLevel.GRASSROOTS_COMMITTEE,
            parent=commune,
        )
        for i in range(CELLS):
            org(actor=None, code=f"BENCH-{i:02d}", name=f"Chi bộ thử {i}", level=OrgLevel.CELL, parent=school)
    Organisation.objects.update(member_count=0)
    before = _status("VmRSS")
    started = time.perf_counter()
    outcome: dict[str, Any] = {}
    try:
        result = import_roster(path, actor=None)
        outcome = {"rows": result.rows, "created": result.created, "bad_rows": result.bad_rows}
        if result.problems:
            outcome["first_problem"] = str(result.problems[0])
    except ParseError as e:
        outcome = {"refused": str(e)}
    seconds = time.perf_counter() - started
    peak = _status("VmHWM")
    print(json.dumps({**outcome, "seconds": round(seconds, 2), "rss_before": before, "peak_rss": peak}))


# ---- driver -------------------------------------------------------------------------------------------


def _recreate(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "partycard.settings.test",
        "PARTYCARD_VAR": tempfile.mkdtemp(prefix="import-bench-var-"),
    }
    os.environ.update(env)
    limits = _limits()
    wanted = [c for c in os.environ.get("BENCH_CASES", ",".join(CASES)).split(",") if c]
    from bench.common import log, machine_info

    _recreate(url)
    log("migrating")
    subprocess.run([sys.executable, "-m", "django", "migrate", "-v0"], env=env, check=True)
    results: dict[str, Any] = {
        "limits": limits,
        "machine": machine_info(url, ["shared_buffers"]),
        "cases": {},
    }
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        for name in wanted:
            label, make = CASES[name]
            path = Path(tmp) / f"{name}.{'xlsx' if name.startswith('xlsx') else 'csv'}"
            log(f"{name}: making the file")
            make(path, limits)
            facts: dict[str, Any] = {"label": label, "file_bytes": path.stat().st_size}
            if path.suffix == ".xlsx":
                with zipfile.ZipFile(path) as archive:
                    facts["unpacked_bytes"] = sum(i.file_size for i in archive.infolist())
            log(f"{name}: importing {facts['file_bytes'] / MIB:.1f} MB")
            run = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            )
            facts.update(json.loads(run.stdout.strip().splitlines()[-1]))
            results["cases"][name] = facts
            log(f"{name}: {facts}")
            path.unlink()
    print()
    columns = ("case", "file MB", "unpacked", "rows", "created", "s", "peak RSS MB")
    print("{:<18} {:>8} {:>9} {:>7} {:>8} {:>7} {:>12}  outcome".format(*columns))
    for name, f in results["cases"].items():
        outcome = (
            "refused: " + f["refused"][:60]
            if "refused" in f
            else ("ok" if not f.get("bad_rows") else "problems")
        )
        unpacked = f"{f['unpacked_bytes'] / MIB:.1f}" if "unpacked_bytes" in f else "-"
        print(
            f"{name:<18} {f['file_bytes'] / MIB:>8.1f} {unpacked:>9} {f.get('rows', '-'):>7} "
            f"{f.get('created', '-'):>8} {f['seconds']:>7.1f} {f['peak_rss'] / MIB:>12.0f}  {outcome}"
        )
    worst = max(f["peak_rss"] for f in results["cases"].values())
    results["peak_rss_max"] = worst
    results["bar_peak_rss"] = PEAK_RSS_BAR
    print(f"\nhighest peak RSS: {worst / MIB:.0f} MB (bar: < {PEAK_RSS_BAR / MIB:.0f} MB)")
    out = HERE / "results" / "import.json"
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {out}")
    if worst >= PEAK_RSS_BAR:
        sys.exit(1)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(Path(sys.argv[2]))
    else:
        main()
