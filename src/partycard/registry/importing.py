"""``partycard import``: validate every row of a roster first, then write all of it or nothing.

Every problem is reported (row number as the spreadsheet shows it, column header, reason), not just the
first: an office fixing a 3,000-row roster wants the whole list at once.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from partycard.audit.services import audit_record_many, diff, snapshot
from partycard.core import clock
from partycard.core.errors import FieldIssue, RowIssue
from partycard.core.text import fold
from partycard.registry.choices import ACTIVE_STATUSES
from partycard.registry.models import Ethnicity, Member, Organisation
from partycard.registry.roster import COLUMNS, ParseError, header_map
from partycard.registry.rules import MemberFacts, configured_member_issues
from partycard.registry.signals import members_changed

__all__ = ["ImportResult", "import_roster", "read_rows"]

UNIQUE_FIELDS = ("citizen_id", "file_number", "old_card_number")
HEADERS = {c.field: c.header for c in COLUMNS}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    problems: list[RowIssue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def read_rows(path: Path) -> Iterator[list[Any]]:
    """The rows of an .xlsx (first sheet) or .csv (UTF-8, comma or semicolon) file, header first."""
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            book.close()
    elif suffix == ".csv":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as e:
            raise ParseError(
                _("The file is not UTF-8 text (byte %(at)d); save it as 'CSV UTF-8' and import again.")
                % {"at": e.start}
            ) from e
        try:
            dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:  # one column, or nothing to tell from: the default comma layout
            dialect = csv.excel
        yield from csv.reader(io.StringIO(text), dialect)
    else:
        raise ParseError(
            _("Only .xlsx and .csv files can be imported (got '%(suffix)s').") % {"suffix": suffix}
        )


def _issue(problems: dict[int, RowIssue], row: int, column: str, message: str) -> None:
    problems.setdefault(row, RowIssue(row)).issues.append(FieldIssue(column, message))


def import_roster(
    path: Path, *, actor: Any, scope: Organisation | None = None, dry_run: bool = False
) -> ImportResult:
    """Validate every row of ``path``; if none has a problem, create all members in one transaction.

    Args:
        scope: when given, every row's cell must lie in this organisation's subtree.
        dry_run: validate only (the web import's preview); ``rows`` and ``problems`` say what a real run
            would do, nothing is written.
    """
    result = ImportResult()
    problems: dict[int, RowIssue] = {}
    rows = read_rows(path)
    header = next(rows, None)
    if header is None:
        result.problems.append(RowIssue(1, [FieldIssue("", _("The file is empty."))]))
        return result
    mapping, header_problems = header_map(header)
    if header_problems:
        result.problems.append(RowIssue(1, [FieldIssue("", p) for p in header_problems]))
        return result

    parsed: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(rows, start=2):
        if not any(v not in (None, "") for v in raw):
            continue  # blank lines are not rows
        values: dict[str, Any] = {}
        for index, col in mapping.items():
            cell = raw[index] if index < len(raw) else None
            try:
                values[col.field] = col.parse(cell)
            except ParseError as e:
                _issue(problems, number, col.header, str(e))
                values[col.field] = None
            already = any(i.field == col.header for i in problems.get(number, RowIssue(0)).issues)
            if col.required and values[col.field] in (None, "") and not already:
                _issue(problems, number, col.header, _("is required"))
        parsed.append((number, values))
    result.rows = len(parsed)

    codes = {v.get("organisation_code") for _, v in parsed if v.get("organisation_code")}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    groups = list(Ethnicity.objects.all())
    ethnicities = {fold(e.name): e for e in groups} | {str(e.code): e for e in groups}
    today = clock.today()
    seen: dict[str, dict[str, int]] = {f: {} for f in UNIQUE_FIELDS}
    members: list[Member] = []
    for number, v in parsed:
        org = orgs.get(v.get("organisation_code") or "")
        if v.get("organisation_code") and org is None:
            _issue(
                problems,
                number,
                HEADERS["organisation_code"],
                _("no organisation has code '%(code)s'") % {"code": v["organisation_code"]},
            )
        elif org is not None and not org.holds_members:
            _issue(
                problems,
                number,
                HEADERS["organisation_code"],
                _("%(name)s is not a party cell; members belong to a cell") % {"name": org.name},
            )
        elif org is not None and scope is not None and not org.path.startswith(scope.path):
            _issue(
                problems,
                number,
                HEADERS["organisation_code"],
                _("no organisation has code '%(code)s'") % {"code": v["organisation_code"]},
            )
        ethnicity = None
        if v.get("ethnicity"):
            ethnicity = ethnicities.get(fold(v["ethnicity"])) or ethnicities.get(v["ethnicity"])
            if ethnicity is None:
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
        )
        for issue in configured_member_issues(facts, today=today):
            if issue.field != "full_name":  # already reported as a required column
                _issue(problems, number, HEADERS[issue.field], issue.message)
        for f in UNIQUE_FIELDS:
            value = v.get(f)
            if value:
                if value in seen[f]:
                    _issue(
                        problems,
                        number,
                        HEADERS[f],
                        _("'%(value)s' is repeated: row %(other)d has it too")
                        % {"value": value, "other": seen[f][value]},
                    )
                else:
                    seen[f][value] = number
        if number not in problems and org is not None:
            members.append(_member(v, org, ethnicity))

    for f in UNIQUE_FIELDS:  # against the database, a thousand values per query
        candidates = list(seen[f])
        for start in range(0, len(candidates), 1000):
            batch = candidates[start : start + 1000]
            for taken in Member.objects.filter(**{f"{f}__in": batch}).values_list(f, flat=True):
                _issue(
                    problems,
                    seen[f][taken],
                    HEADERS[f],
                    _("'%(value)s' already belongs to a member in the registry") % {"value": taken},
                )

    result.problems = [problems[n] for n in sorted(problems)]
    if result.problems or dry_run:
        return result
    with transaction.atomic():
        created = bulk_create_with_history(
            members, Member, batch_size=1000, default_user=actor, default_change_reason="import"
        )
        counts = Counter(m.organisation_id for m in members if m.status in ACTIVE_STATUSES)
        by_delta: dict[int, list[int]] = defaultdict(list)
        for org_id, n in counts.items():
            by_delta[n].append(org_id)
        for delta, ids in by_delta.items():
            Organisation.objects.filter(pk__in=ids).update(member_count=F("member_count") + delta)
        audit_record_many(
            actor=actor,
            action="import",
            items=((Member._meta.label_lower, str(m.pk), diff({}, snapshot(m))) for m in created),
        )
        members_changed.send(sender=Member, member_ids=[m.pk for m in created], actor=actor)
    result.created = len(created)
    return result


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
