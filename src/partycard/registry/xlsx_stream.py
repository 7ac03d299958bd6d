"""A streaming .xlsx writer: SpreadsheetML (ECMA-376 Part 1) written as text, row by row, into the zip.

Why not openpyxl, which the project reads rosters with: its write-only mode still builds a cell object
and an XML element for every value, and styles each cell through its style registry. At a province's
roster (524,138 members, ten million cells) that was 331 s, most of it per-cell overhead (issue 15;
docs/performance.md, "Roster export"). Here a row is one string, its cells formatted by a few fixed
templates, and the zip's deflate runs once per megabyte. No Django; the caller supplies the rows.

What it writes, and why each part is there:

* text as inline strings (``t="inlineStr"``), never a formula: no spreadsheet evaluates an inline string
  (OWASP "CSV Injection"); a text the caller marks ``quoted`` also carries the style with Excel's
  ``quotePrefix`` (the ``'`` typed before a value), so it stays text if someone edits the cell;
* dates as serial numbers with a ``DD/MM/YYYY`` number format (§18.8.30), which openpyxl and every
  spreadsheet read back as dates; codes with the text format ``@`` (numFmtId 49), so a leading zero
  survives an edit;
* rows and cells without a reference (``r`` is optional, §18.3.1.73 and §18.3.1.4): a row is the next
  row, its cells are positional, an empty one written ``<c/>``, so a row's text does not depend on where
  it lands (a background export writes rows in parts and merges them);
* at most 1,048,576 rows a sheet (Excel's limit; §18.3.1.73 allows no more) and under 2 GiB of XML a sheet
  (a zip entry without Zip64, which older readers refuse): beyond either, the rows go on in a next sheet,
  headed again.

The workbook is written to a temporary name beside ``path``, flushed to disk and renamed into place, so a
crash leaves no half-written file under the final name.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO

__all__ = [
    "EMPTY",
    "FORMULA_TRIGGERS",
    "MAX_ROWS",
    "WorkbookWriter",
    "column_letter",
    "date_cell",
    "row_encoder",
    "text_cell",
]

# OWASP "CSV Injection": a cell starting with one of these may be read as a formula; U+FF1D, U+FF0B,
# U+FF0D, U+FF20 are their full-width forms, which some spreadsheet locales also accept.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
MAX_ROWS = 1_048_576  # rows in one worksheet, the header included (Excel's limit)
MAX_SHEET_BYTES = 2**31 - 64 * 1024 * 1024  # XML of one sheet: under 2 GiB, with room for one flush
EMPTY = "<c/>"
_FLUSH = 1 << 20  # bytes gathered before one call into the zip's deflate
_EXCEL_EPOCH = dt.date(1899, 12, 30).toordinal()  # serial 1 is 01/01/1900 (Excel's 1900 date system)

# Style indices of ``_STYLES`` (cellXfs): the order there is the numbering here.
_GENERAL, _DATE, _TEXT, _QUOTED, _TEXT_QUOTED, _HEADER = range(6)

# What XML text may not hold raw: the markup characters, CR and LF (kept as character references: a
# parser turns a raw CR into LF, and the caller's lines are LF-separated), and the C0 controls other than
# tab, which XML 1.0 forbids altogether (§2.2) and which no roster field may hold: they are dropped.
_SPECIAL = re.compile("[&<>\r\n\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def column_letter(index: int) -> str:
    """The letters of the 0-based column ``index`` (0 → A, 25 → Z, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _escape(value: str) -> str:
    value = _ILLEGAL.sub("", value)
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
    )


def text_cell(value: str | None, *, code: bool = False) -> str:
    """An inline-string cell holding ``value`` (``<c/>`` when empty); ``code``: formatted as text (@).

    A value beginning with a formula trigger gets the quote-prefix style as well.
    """
    if not value:
        return EMPTY
    quoted = value.startswith(FORMULA_TRIGGERS)
    if code:
        style = f' s="{_TEXT_QUOTED}"' if quoted else f' s="{_TEXT}"'
    else:
        style = f' s="{_QUOTED}"' if quoted else ""
    space = ' xml:space="preserve"' if value[0] in " \t" or value[-1] in " \t" else ""
    if _SPECIAL.search(value):
        value = _escape(value)
    return f'<c t="inlineStr"{style}><is><t{space}>{value}</t></is></c>'


def date_cell(value: dt.date | None) -> str:
    """A date as its serial number, shown dd/mm/yyyy (``<c/>`` for None)."""
    if value is None:
        return EMPTY
    return f'<c s="{_DATE}"><v>{value.toordinal() - _EXCEL_EPOCH}</v></c>'


# A text cell that needs none of ``text_cell``'s care: no character to escape (checked once per row, on
# all its texts together), not starting with a formula trigger or a space, not ending with a space.
_CARE_FIRST = frozenset(FORMULA_TRIGGERS) | {" "}
_EDGE = frozenset(" \t")


def row_encoder(
    columns: Sequence[str | Mapping[Any, str]], *, start: int = 0
) -> Callable[[Sequence[Any]], str]:
    """A function from a row of values (``row[start:]``, one per column) to its ``<row>`` element.

    Each column is ``"text"``, ``"code"`` (text shown as text, ``@``), ``"date"``, or a mapping from the
    stored value to the text shown (a choice's label): its cells are made once per value. The function is
    generated for the columns (as ``dataclasses`` and ``namedtuple`` generate theirs): a row is one
    expression per column with no call for an ordinary value, which is what makes ten million cells take
    seconds instead of minutes. A row with a character to escape goes through ``text_cell`` cell by cell;
    both give the same XML.
    """
    names: dict[str, Any] = {
        "_search": _SPECIAL.search,
        "_first": _CARE_FIRST,
        "_edge": _EDGE,
        "_text": text_cell,
        "_date": _date_cached,
        "_dates": _DATE_CELLS,
        "_EMPTY": EMPTY,
    }
    values = [f"v{i}" for i in range(len(columns))]
    texts = [v for v, kind in zip(values, columns, strict=True) if kind in ("text", "code")]
    fast, slow = [], []
    for i, (v, kind) in enumerate(zip(values, columns, strict=True)):
        if kind in ("text", "code"):
            style = f' s="{_TEXT}"' if kind == "code" else ""
            code = kind == "code"
            fast.append(
                f"(_EMPTY if not {v} else '<c t=\"inlineStr\"{style}><is><t>' + {v} + '</t></is></c>' "
                f"if {v}[0] not in _first and {v}[-1] not in _edge else _text({v}, code={code}))"
            )
            slow.append(f"_text({v}, code={code})")
        elif kind == "date":
            fast.append(f"(_EMPTY if {v} is None else _dates.get({v}) or _date({v}))")
            slow.append(fast[-1])
        elif isinstance(kind, str):
            raise ValueError(f"unknown column kind {kind!r}")
        else:
            names[f"_cells{i}"] = {value: text_cell(str(label)) for value, label in kind.items()}
            fast.append(f"(_cells{i}.get({v}) or _text({v} and str({v})))")
            slow.append(fast[-1])
    check = "f'" + "".join(f"{{{v}}}" for v in texts) + "'" if texts else "''"
    source = (
        f"def encode(row):\n"
        f"    {', '.join(values)}, = row[{start}:]\n"
        f"    if not _search({check}):\n"
        f"        return ''.join(('<row>', {', '.join(fast)}, '</row>'))\n"
        f"    return ''.join(('<row>', {', '.join(slow)}, '</row>'))\n"
    )
    exec(source, names)  # noqa: S102 - the source is made here, from the column kinds only
    encode: Callable[[Sequence[Any]], str] = names["encode"]
    return encode


_DATE_CELLS: dict[dt.date, str] = {}
_DATE_CELLS_MAX = 200_000  # more dates than five centuries have: a bound, never reached by a roster


def _date_cached(value: dt.date | None) -> str:
    """``date_cell``, remembering each date's cell: a roster repeats its dates (birth, admission) a lot."""
    if value is None:
        return EMPTY
    found = _DATE_CELLS.get(value)
    if found is None:
        if len(_DATE_CELLS) >= _DATE_CELLS_MAX:
            _DATE_CELLS.clear()
        found = _DATE_CELLS[value] = date_cell(value)
    return found


def _header_cells(headers: Sequence[str]) -> str:
    return "".join(
        f'<c t="inlineStr" s="{_HEADER}"><is><t>{_escape(h)}</t></is></c>' if h else EMPTY for h in headers
    )


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "{sheets}"
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/>'
    '<Relationship Id="rId2" '
    'Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    '<Relationship Id="rId3" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    "</Relationships>"
)
_APP = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>partycard</Application></Properties>"
)
_CORE = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>partycard</dc:creator><dcterms:created xsi:type="dcterms:W3CDTF">{at}</dcterms:created>'
    "</cp:coreProperties>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    "<bookViews><workbookView/></bookViews><sheets>{sheets}</sheets></workbook>"
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    "{sheets}"
    '<Relationship Id="rIdStyles" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_SHEET_REL = (
    '<Relationship Id="rId{n}" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet{n}.xml"/>'
)
# cellXfs in the order of the indices above: general, date, text, general + quote prefix, text + quote
# prefix, bold header.
_XF = '<xf numFmtId="{fmt}" fontId="{font}" fillId="0" borderId="0" xfId="0"{extra}/>'
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="DD/MM/YYYY"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    + _XF.format(fmt=0, font=0, extra="")
    + _XF.format(fmt=164, font=0, extra=' applyNumberFormat="1"')
    + _XF.format(fmt=49, font=0, extra=' applyNumberFormat="1"')
    + _XF.format(fmt=0, font=0, extra=' quotePrefix="1"')
    + _XF.format(fmt=49, font=0, extra=' applyNumberFormat="1" quotePrefix="1"')
    + _XF.format(fmt=0, font=1, extra=' applyFont="1"')
    + "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
    "{cols}<sheetData>"
)
_SHEET_TAIL = b"</sheetData></worksheet>"


class WorkbookWriter:
    """One workbook written as a stream: ``write(cells)`` per data row, then ``close()`` (or a ``with``).

    ``cells`` is the row's cells as XML bytes (``text_cell``/``date_cell``/``EMPTY`` joined and encoded),
    in the columns' order. ``rows`` counts the data rows written.
    """

    def __init__(
        self,
        path: Path,
        *,
        sheet_name: str,
        header: Sequence[str],
        widths: Sequence[float] = (),
        compresslevel: int = 1,
        max_rows: int = MAX_ROWS,
        max_sheet_bytes: int = MAX_SHEET_BYTES,
    ) -> None:
        self.path = path
        self.rows = 0
        self._sheet_name = sheet_name
        self._header = _header_cells(header).encode()
        self._cols = (
            "<cols>"
            + "".join(
                f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths, 1)
            )
            + "</cols>"
            if widths
            else ""
        )
        self._max_rows, self._max_bytes = max_rows, max_sheet_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        self._temporary = Path(temporary)
        self._file = os.fdopen(fd, "w+b")
        self._zip = zipfile.ZipFile(
            self._file, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel
        )
        self._sheets = 0
        self._entry: BinaryIO | None = None
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._sheet_bytes = 0
        self._sheet_rows = 0
        try:
            self._open_sheet()  # writes already: on a full disk it fails here, before any ``with`` holds it
        except BaseException:
            self.abort()
            raise

    def _open_sheet(self) -> None:
        self._sheets += 1
        self._entry = self._zip.open(f"xl/worksheets/sheet{self._sheets}.xml", "w")  # type: ignore[assignment]
        head = _SHEET_HEAD.format(cols=self._cols).encode() + b"<row>" + self._header + b"</row>"
        self._buffer, self._buffered = [head], len(head)
        self._sheet_bytes, self._sheet_rows = 0, 1

    def _flush(self) -> None:
        assert self._entry is not None
        self._entry.write(b"".join(self._buffer))
        self._sheet_bytes += self._buffered
        self._buffer, self._buffered = [], 0

    def _close_sheet(self) -> None:
        assert self._entry is not None
        self._buffer.append(_SHEET_TAIL)
        self._flush()
        self._entry.close()
        self._entry = None

    def write(self, row: bytes) -> None:
        """Append one data row: a ``<row>`` element (``row_encoder``'s, encoded)."""
        self.write_all((row,))

    def write_all(self, rows: Iterable[bytes]) -> None:
        """Append data rows (``<row>`` elements); the loop of every export, so its state is in locals."""
        buffer, buffered = self._buffer, self._buffered
        sheet_rows, sheet_bytes, written = self._sheet_rows, self._sheet_bytes, self.rows
        max_rows, max_bytes = self._max_rows, self._max_bytes
        append = buffer.append
        for row in rows:
            if sheet_rows >= max_rows or sheet_bytes + buffered >= max_bytes:
                self._buffer, self._buffered = buffer, buffered
                self._sheet_bytes = sheet_bytes
                self._close_sheet()
                self._open_sheet()
                buffer, buffered = self._buffer, self._buffered
                sheet_rows, sheet_bytes = self._sheet_rows, self._sheet_bytes
                append = buffer.append
            sheet_rows += 1
            written += 1
            append(row)
            buffered += len(row)
            if buffered >= _FLUSH:
                self._buffer, self._buffered, self._sheet_bytes = buffer, buffered, sheet_bytes
                self._flush()
                buffer, buffered, sheet_bytes = self._buffer, self._buffered, self._sheet_bytes
                append = buffer.append
        self._buffer, self._buffered = buffer, buffered
        self._sheet_rows, self._sheet_bytes, self.rows = sheet_rows, sheet_bytes, written

    def close(self, *, at: dt.datetime | None = None) -> None:
        """Write the workbook's other parts, flush it to disk and rename it to ``path``; on any error
        (a full disk) the temporary file is removed and ``path`` untouched."""
        try:
            self._close_sheet()
        except BaseException:
            self.abort()
            raise
        n = range(1, self._sheets + 1)
        name = _escape(self._sheet_name)[:31]
        sheets = "".join(
            f'<sheet name="{name if i == 1 else f"{name[:26]} ({i})"}" sheetId="{i}" r:id="rId{i}"/>'
            for i in n
        )
        created = (at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        parts = {
            "[Content_Types].xml": _CONTENT_TYPES.format(sheets="".join(_SHEET_TYPE.format(n=i) for i in n)),
            "_rels/.rels": _ROOT_RELS,
            "docProps/app.xml": _APP,
            "docProps/core.xml": _CORE.format(at=created),
            "xl/workbook.xml": _WORKBOOK.format(sheets=sheets),
            "xl/_rels/workbook.xml.rels": _WORKBOOK_RELS.format(
                sheets="".join(_SHEET_REL.format(n=i) for i in n)
            ),
            "xl/styles.xml": _STYLES,
        }
        try:
            for part, text in parts.items():
                self._zip.writestr(part, text)
            self._zip.close()
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            os.replace(self._temporary, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        """Give the workbook up: the temporary file is removed, ``path`` untouched."""
        with contextlib.suppress(Exception):  # a zip already broken is being thrown away
            if self._entry is not None:
                self._entry.close()
                self._entry = None
        with contextlib.suppress(Exception):
            self._zip.close()
        try:
            # Closing flushes what is buffered: on a full disk that fails too, and the file must still go.
            with contextlib.suppress(OSError):
                self._file.close()
        finally:
            self._temporary.unlink(missing_ok=True)

    def __enter__(self) -> WorkbookWriter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
