"""``partycard import``: validate every row of a roster first, then write all of it or nothing.

Every problem is reported (row number as the spreadsheet shows it, column header, reason), not just the
first: an office fixing a 3,000-row roster wants the whole list at once (the first
``IMPORT_MAX_PROBLEM_ROWS`` rows with problems are listed, the rest counted).

Bounded and streamed (issue 12): the file's size, an .xlsx's unpacked size (a zip bomb) and the number of
rows are limited (``settings.PARTYCARD["IMPORT_*"]``, docs/import-format.md), and the rows are read twice,
a batch at a time, never held together: the first pass checks every row, the second (only if none had a
problem) checks each batch again and writes it, all inside one transaction. Memory stays flat whatever
the number of rows (bench/import_bench.py).
"""

from __future__ import annotations

import codecs
import csv
import re
import zipfile
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record_many, diff, snapshot
from partycard.core import clock
from partycard.core.errors import FieldIssue, RowIssue
from partycard.core.text import fold
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.hooks import member_counts_changed, members_changed
from partycard.registry.models import Ethnicity, Member, Organisation
from partycard.registry.roster import COLUMNS, Column, ParseError, header_map
from partycard.registry.rules import MemberFacts, configured_member_issues
from partycard.registry.search_index import search_index_refresh
from partycard.registry.services import member_counts_adjust

__all__ = [
    "CheckedRow",
    "ImportResult",
    "RowChecker",
    "check_file",
    "create_members",
    "import_roster",
    "read_rows",
    "size_text",
    "too_large",
]

UNIQUE_FIELDS = ("citizen_id", "file_number", "old_card_number")
HEADERS = {c.field: c.header for c in COLUMNS}
BATCH = 1000  # rows checked (and written) together: one query per batch for each lookup
MAX_PROBLEM_ROWS = 1000  # rows with problems listed in full; the rest are counted
MAX_COLUMNS = 64  # cells read per row: the roster has 19 columns; a row padded to XFD is not read whole
# Python's csv module refuses a field over 131,072 characters with csv.Error; no roster cell comes near.
CSV_FIELD_LIMIT = csv.field_size_limit()


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    problems: list[RowIssue] = field(default_factory=list)
    bad_rows: int = 0  # every row with a problem, including those beyond the listed ``problems``

    @property
    def ok(self) -> bool:
        return not self.problems and not self.bad_rows

    @property
    def unlisted(self) -> int:
        """Rows with problems that are counted but not listed."""
        return max(self.bad_rows - len(self.problems), 0)


def _limit(name: str) -> int:
    return int(settings.PARTYCARD[name])


def size_text(n: int) -> str:
    """A byte count as an office reads it: "20 MB", "1,5 MB", "512 KB" (Vietnamese decimal comma)."""
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.1f}".removesuffix(".0").replace(".", ",") + " MB"
    return f"{max(n // 1024, 1)} KB"


def check_file(path: Path, *, max_bytes: int | None = None) -> None:
    """Refuse, before any parsing, a file that is too large, not an .xlsx/.csv, or an .xlsx zip that
    unpacks to too much (a zip bomb) or is not a zip at all.

    The sizes checked are those the zip's central directory declares; Python's ``zipfile`` stops at the
    declared size and fails the CRC if a member holds more, so a lying directory cannot slip past.

    Raises:
        ParseError: with the reason, in the UI language.
    """
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise ParseError(
            _("Only .xlsx and .csv files can be imported (got '%(suffix)s').") % {"suffix": suffix}
        )
    size = path.stat().st_size
    if size > (max_bytes if max_bytes is not None else _limit("IMPORT_MAX_BYTES")):
        raise ParseError(too_large(size, limit=max_bytes))
    if suffix != ".xlsx":
        return
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ParseError(_not_a_workbook()) from e
    unpacked = sum(m.file_size for m in members)
    _refuse_unpacked(unpacked, _limit("IMPORT_MAX_UNPACKED_BYTES"))
    try:
        with zipfile.ZipFile(path) as archive:
            part = _shared_strings_part(archive)
            if part is not None:
                _refuse_unpacked(part.file_size, _limit("IMPORT_MAX_SHARED_STRINGS_BYTES"))
                count, limit = _count_shared_strings(archive, part), _limit("IMPORT_MAX_SHARED_STRINGS")
                if count > limit:
                    raise ParseError(
                        _(
                            "The workbook holds %(count)s texts, more than the %(limit)s allowed; "
                            "split the roster."
                        )
                        % {"count": _thousands(count), "limit": _thousands(limit)}
                    )
    except ParseError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, SyntaxError) as e:
        raise ParseError(_not_a_workbook()) from e


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _refuse_unpacked(size: int, limit: int) -> None:
    if size > limit:
        raise ParseError(
            _(
                "The workbook unpacks to %(size)s, more than the %(limit)s allowed for this part; "
                "split the roster into smaller files."
            )
            % {"size": size_text(size), "limit": size_text(limit)}
        )


def _shared_strings_part(archive: zipfile.ZipFile) -> zipfile.ZipInfo | None:
    """The shared-strings part, found as openpyxl finds it (``[Content_Types].xml``), not by its name."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import SHARED_STRINGS
    from openpyxl.xml.functions import fromstring

    info = archive.getinfo("[Content_Types].xml")
    if info.file_size > 1024 * 1024:  # a real one is a few kilobytes
        raise ValueError("oversized content types")
    found = Manifest.from_tree(fromstring(archive.read(info))).find(SHARED_STRINGS)
    return archive.getinfo(found.PartName[1:]) if found is not None else None


# An <si> element, with or without a namespace prefix: openpyxl keeps every one of them (a string, its
# list and dict entries, and the parsed element) in memory, ~190 bytes each however short the text.
_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,40}:)?si[\s/>]")
_SI_SPAN = 64  # longer than any match


def _count_shared_strings(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> int:
    """The ``<si>`` elements of the (size-checked) part, counted a megabyte at a time."""
    count, carry = 0, b""
    with archive.open(part) as source:
        while chunk := source.read(1024 * 1024):
            data = carry + chunk
            cut = max(len(data) - _SI_SPAN, 0)
            count += sum(1 for m in _SI.finditer(data) if m.start() < cut)
            carry = data[cut:]
    return count + len(_SI.findall(carry))


def too_large(size: int, *, limit: int | None = None) -> str:
    """The message for an upload over ``IMPORT_MAX_BYTES`` (the form says it before storing the file), or
    over ``limit`` (the party-database sync's own bound)."""
    return _("The file is %(size)s; at most %(limit)s can be imported at once. Split the roster.") % {
        "size": size_text(size),
        "limit": size_text(limit if limit is not None else _limit("IMPORT_MAX_BYTES")),
    }


def _not_a_workbook() -> str:
    return _("The file is not a readable .xlsx workbook (damaged, cut short, or another kind of file).")


def _too_many_rows(limit: int) -> str:
    return _("The file has more than %(limit)s rows; split the roster into smaller files.") % {
        "limit": _thousands(limit)
    }


def read_rows(
    path: Path, *, max_rows: int | None = None, max_bytes: int | None = None
) -> Generator[list[Any], None, None]:
    """The rows of an .xlsx (first sheet) or .csv (UTF-8, comma or semicolon) file, header first, streamed.

    Calls :func:`check_file` first. At most ``IMPORT_MAX_ROWS`` rows after the header (blank rows
    included: an .xlsx can declare a million empty ones), at most ``MAX_COLUMNS`` cells per row.
    ``max_rows`` and ``max_bytes`` replace the import's bounds (the party-database sync reads a whole
    province's export, docs/sync.md).

    Raises:
        ParseError: the file cannot be read, or breaks a limit (while the rows are read).
    """
    check_file(path, max_bytes=max_bytes)
    rows_allowed = max_rows if max_rows is not None else _limit("IMPORT_MAX_ROWS")
    limit = rows_allowed + 1  # the header
    rows = _xlsx_rows(path) if path.suffix.lower() == ".xlsx" else _csv_rows(path)
    for count, row in enumerate(rows, start=1):
        if count > limit:
            raise ParseError(_too_many_rows(rows_allowed))
        yield row


def _xlsx_rows(path: Path) -> Iterator[list[Any]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises a zoo (BadZipFile, KeyError, XML and value errors)
        raise ParseError(_not_a_workbook()) from e
    try:
        if not book.worksheets:
            raise ParseError(_not_a_workbook())
        try:
            for row in book.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True):
                yield list(row)
        except ParseError:
            raise
        except Exception as e:  # a part cut short or malformed shows only once it is read
            raise ParseError(_not_a_workbook()) from e
    finally:
        book.close()


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    with path.open("rb") as raw:
        head = raw.read(4096)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        sample = decoder.decode(head.removeprefix(codecs.BOM_UTF8))
    except UnicodeDecodeError as e:
        raise ParseError(_not_utf8(e.start)) from e
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:  # one column, or nothing to tell from: the default comma layout
        dialect = csv.excel
    with path.open(encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, dialect)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except UnicodeDecodeError as e:
                raise ParseError(_not_utf8(e.start)) from e
            except csv.Error as e:  # a field over CSV_FIELD_LIMIT, or a stray quote at the end
                raise ParseError(
                    _(
                        "Line %(line)d of the file cannot be read as CSV: a cell longer than %(limit)s "
                        "characters or an unclosed quote."
                    )
                    % {"line": reader.line_num, "limit": _thousands(CSV_FIELD_LIMIT)}
                ) from e
            yield row


def _not_utf8(at: int) -> str:
    return _("The file is not UTF-8 text (byte %(at)d); save it as 'CSV UTF-8' and import again.") % {
        "at": at
    }


def _issue(problems: dict[int, RowIssue], row: int, column: str, message: str) -> None:
    problems.setdefault(row, RowIssue(row)).issues.append(FieldIssue(column, message))


def _max_lengths() -> dict[str, int]:
    lengths = {}
    for col in COLUMNS:
        if col.field in ("organisation_code", "ethnicity"):
            continue
        max_length = getattr(Member._meta.get_field(col.field), "max_length", None)
        if max_length:
            lengths[col.field] = int(max_length)
    return lengths


@dataclass
class _Row:
    number: int
    values: dict[str, Any]
    org: Organisation | None = None
    ethnicity: Ethnicity | None = None


class _Checker:
    """The checks of one pass over a file: per row, across the rows read so far, and against the registry.

    ``organisations`` is what the actor may import into: an organisation code outside it reads as "no
    such organisation" for that row (the same words as a missing one: its existence does not leak).

    The party-database sync (issue 17) reuses it as :class:`RowChecker` with ``unique=False``: its rows
    update the members who hold their numbers (an upsert), so a number already in the registry is not a
    problem, and it finds numbers repeated within its file in its staging table, not in memory.
    """

    def __init__(self, mapping: dict[int, Column], organisations: Any, *, unique: bool = True) -> None:
        self.unique = unique
        self.mapping = mapping
        self.organisations = organisations
        self.orgs: dict[str, Organisation | None] = {}
        groups = list(Ethnicity.objects.all())
        self.ethnicities = {fold(e.name): e for e in groups} | {str(e.code): e for e in groups}
        self.today = clock.today()
        self.seen: dict[str, dict[str, int]] = {f: {} for f in UNIQUE_FIELDS}
        self.max_lengths = _max_lengths()
        self.absent = [c for c in COLUMNS if c not in mapping.values()]

    def parse(self, number: int, raw: list[Any], problems: dict[int, RowIssue]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for index, col in self.mapping.items():
            cell = raw[index] if index < len(raw) else None
            try:
                values[col.field] = col.parse(cell)
            except ParseError as e:
                _issue(problems, number, col.header, str(e))
                values[col.field] = None
                continue
            if col.required and values[col.field] in (None, ""):
                _issue(problems, number, col.header, _("is required"))
            limit = self.max_lengths.get(col.field)
            value = values[col.field]
            if limit and isinstance(value, str) and len(value) > limit:
                _issue(
                    problems,
                    number,
                    col.header,
                    _("is %(length)d characters long; at most %(limit)d are allowed")
                    % {"length": len(value), "limit": limit},
                )
                values[col.field] = None
        for col in self.absent:  # an optional column left out: its default, as for an empty cell
            values[col.field] = col.parse(None)
        return values

    def check(self, batch: list[tuple[int, list[Any]]], problems: dict[int, RowIssue]) -> list[_Row]:
        """Check a batch of raw rows; return those without a problem, resolved."""
        rows = [_Row(number, self.parse(number, raw, problems)) for number, raw in batch]
        codes = {str(r.values.get("organisation_code") or "") for r in rows} - set(self.orgs) - {""}
        if codes:
            found = {o.code: o for o in self.organisations.filter(code__in=codes)}
            self.orgs.update({code: found.get(code) for code in codes})
        batch_seen: dict[str, dict[str, int]] = {f: {} for f in UNIQUE_FIELDS}
        for r in rows:
            self._check_row(r, problems, batch_seen)
        for f in UNIQUE_FIELDS if self.unique else ():  # against the registry, one query per batch and field
            if batch_seen[f]:
                for taken in Member.objects.filter(**{f"{f}__in": list(batch_seen[f])}).values_list(
                    f, flat=True
                ):
                    _issue(
                        problems,
                        batch_seen[f][taken],
                        HEADERS[f],
                        _("'%(value)s' already belongs to a member in the registry") % {"value": taken},
                    )
        return [r for r in rows if r.number not in problems and r.org is not None]

    def _check_row(
        self, r: _Row, problems: dict[int, RowIssue], batch_seen: dict[str, dict[str, int]]
    ) -> None:
        v, number = r.values, r.number
        code = v.get("organisation_code") or ""
        r.org = self.orgs.get(code) if code else None
        if code and r.org is None:
            _issue(
                problems,
                number,
                HEADERS["organisation_code"],
                _("no organisation has code '%(code)s'") % {"code": code},
            )
        elif r.org is not None and not r.org.holds_members:
            _issue(
                problems,
                number,
                HEADERS["organisation_code"],
                _("%(name)s is not a party cell; members belong to a cell") % {"name": r.org.name},
            )
        if v.get("ethnicity"):
            r.ethnicity = self.ethnicities.get(fold(v["ethnicity"])) or self.ethnicities.get(v["ethnicity"])
            if r.ethnicity is None:
                _issue(
                    problems,
                    number,
                    HEADERS["ethnicity"],
                    _("'%(value)s' is not one of the 54 recognised ethnic groups")
                    % {"value": v["ethnicity"]},
                )
        facts = MemberFacts(
            full_name=v.get("full_name") or "",
            gender=v.get("gender") or "",
            date_of_birth=v.get("date_of_birth"),
            citizen_id=v.get("citizen_id"),
            date_admitted=v.get("date_admitted"),
            date_official=v.get("date_official"),
            status=v.get("status") or "",
            file_number=v.get("file_number"),
            old_card_number=v.get("old_card_number"),
            phone=v.get("phone"),
            birth_name=v.get("birth_name") or "",
        )
        for issue in configured_member_issues(facts, today=self.today):
            if issue.field == "full_name" and not (v.get("full_name") or "").strip():
                continue  # already reported as a required column
            _issue(problems, number, HEADERS[issue.field], issue.message)
        for f in UNIQUE_FIELDS if self.unique else ():
            value = v.get(f)
            if not value:
                continue
            if value in self.seen[f]:
                _issue(
                    problems,
                    number,
                    HEADERS[f],
                    _("'%(value)s' is repeated: row %(other)d has it too")
                    % {"value": value, "other": self.seen[f][value]},
                )
            else:
                self.seen[f][value] = number
                batch_seen[f][value] = number


class _Rollback(Exception):
    """The registry changed between the check and the write: undo the write, report the problems."""


def _organisations(actor: Any, scope: Organisation | None) -> Any:
    """The organisations ``actor`` may import members into (the CLI's operator, ``None``: all of them)."""
    qs = (
        Organisation.objects.all()
        if actor is None
        else Organisation.objects.scoped(actor, Action.IMPORT_MEMBER)
    )
    return qs.filter(path__startswith=scope.path) if scope is not None else qs


def import_roster(
    path: Path, *, actor: Any, scope: Organisation | None = None, dry_run: bool = False
) -> ImportResult:
    """Validate every row of ``path``; if none has a problem, create all members in one transaction.

    Args:
        actor: who imports; the rows' organisations must be in their scope for ``IMPORT_MEMBER``
            (``None`` is the CLI's operator, who may import anywhere).
        scope: when given, every row's cell must also lie in this organisation's subtree.
        dry_run: validate only (the web import's preview); ``rows`` and ``problems`` say what a real run
            would do, nothing is written.

    Raises:
        ParseError: the file cannot be read or breaks a limit (nothing is written).
    """
    organisations = _organisations(actor, scope)
    result = _pass(path, organisations, actor=actor, write=False)
    if not result.ok or dry_run:
        return result
    written = ImportResult()
    try:
        with transaction.atomic():
            written = _pass(path, organisations, actor=actor, write=True)
            if not written.ok:
                raise _Rollback
    except _Rollback:
        return written
    except IntegrityError:  # a concurrent write took a number between our check and our insert
        written.problems = [
            RowIssue(
                1,
                [FieldIssue("", _("The registry changed while importing; nothing was imported. Try again."))],
            )
        ]
        written.created = 0
        written.bad_rows = 1
    return written


def _pass(path: Path, organisations: Any, *, actor: Any, write: bool) -> ImportResult:
    """One streamed pass: check every row; with ``write``, create each batch as it goes while no row so
    far had a problem (the caller holds the transaction and rolls it back if one does)."""
    with closing(read_rows(path)) as rows:  # closes the workbook even when a header problem ends the pass
        return _read(rows, organisations, actor=actor, write=write)


def _read(rows: Iterator[list[Any]], organisations: Any, *, actor: Any, write: bool) -> ImportResult:
    result = ImportResult()
    problems: dict[int, RowIssue] = {}
    header = next(rows, None)
    if header is None:
        result.problems.append(RowIssue(1, [FieldIssue("", _("The file is empty."))]))
        result.bad_rows = 1
        return result
    mapping, header_problems = header_map(header)
    if header_problems:
        result.problems.append(RowIssue(1, [FieldIssue("", p) for p in header_problems]))
        result.bad_rows = 1
        return result
    checker = _Checker(mapping, organisations)
    numbered = ((n, raw) for n, raw in enumerate(rows, start=2) if any(v not in (None, "") for v in raw))
    listed: list[RowIssue] = []
    counts: Counter[int] = Counter()
    while batch := list(islice(numbered, BATCH)):  # blank lines are not rows
        result.rows += len(batch)
        clean = checker.check(batch, problems)
        result.bad_rows += len(problems)
        listed.extend(problems[n] for n in sorted(problems)[: max(MAX_PROBLEM_ROWS - len(listed), 0)])
        problems.clear()
        if write and not result.bad_rows:
            result.created += _create(clean, actor=actor, counts=counts)
    result.problems = listed
    if write and result.ok:
        member_counts_adjust(dict(counts))
        member_counts_changed(deltas=dict(counts))  # the counters by organisation: registry/hooks.py
    return result


RowChecker = _Checker
CheckedRow = _Row


def _create(rows: list[_Row], *, actor: Any, counts: Counter[int], reason: str = "import") -> int:
    members = [_member(r.values, r.org, r.ethnicity) for r in rows if r.org is not None]
    created = bulk_create_with_history(
        members, Member, batch_size=BATCH, default_user=actor, default_change_reason=reason
    )
    counts.update(m.organisation_id for m in members if m.status in ACTIVE_STATUSES)
    search_index_refresh(member_ids=[m.pk for m in created])
    audit_record_many(
        actor=actor,
        action="import",
        items=((Member._meta.label_lower, str(m.pk), diff({}, snapshot(m))) for m in created),
    )
    members_changed(member_ids=[m.pk for m in created], actor=actor)  # what reacts: registry/hooks.py
    return len(created)


def create_members(rows: list[_Row], *, actor: Any, counts: Counter[int], reason: str) -> int:
    """Create the members of checked ``rows`` (their cells resolved) in bulk, in the caller's transaction:
    history (``reason``), search entries, audit rows (action ``import``) and the hooks, as the import does.
    ``counts`` gathers the active members added per cell: the caller adjusts the counters once, at the end
    (``member_counts_adjust`` and ``member_counts_changed``). The party-database sync's added members."""
    return _create(rows, actor=actor, counts=counts, reason=reason)


def _member(v: dict[str, Any], org: Organisation, ethnicity: Ethnicity | None) -> Member:
    data = {c.field: v.get(c.field) for c in COLUMNS if c.field not in ("organisation_code", "ethnicity")}
    for key in (
        "birth_name",
        "place_of_birth",
        "home_town",
        "general_education",
        "qualification",
        "occupation",
        "phone",
    ):
        data[key] = data.get(key) or ""
    member = Member(organisation=org, ethnicity_id=ethnicity.code if ethnicity else 1, **data)
    member.name_search = fold(member.full_name)
    return member
