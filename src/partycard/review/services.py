"""Writes of the offline review (issue 17): hand out a workbook or a paper form, take a workbook back as a
proposal, apply a decided proposal.

``review_import`` decides nothing: it checks the workbook (bounded, signed base, every value) and records
what it would change as a three-way merge per field (``registry.merge.merge_fields``: base = the workbook's
signed base copy, ours = the record now, theirs = the returned values). Only ``review_apply``, by an officer
with ``APPLY_REVIEW``, writes members: the changes the merge takes and the conflicts decided "theirs", through
``registry.services.members_update_many`` in one transaction with history ("Rà soát ngoại tuyến bởi …") and
audit. Each service checks the actor's scope on the organisation and on every member it touches.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import OutOfScope, scope_require
from partycard.registry.choices import ACTIVE_STATUSES, MEMBER_HOLDING_LEVELS, OrgLevel
from partycard.registry.importing import check_file
from partycard.registry.merge import Outcome, merge_fields
from partycard.registry.models import Member, Organisation
from partycard.registry.roster import ParseError
from partycard.registry.rules import MemberFacts, configured_member_issues
from partycard.registry.services import members_update_many
from partycard.review import paper
from partycard.review.errors import WorkbookProblems
from partycard.review.fields import EDITABLE, FIELDS, display, record_values, to_model
from partycard.review.models import ReviewExport, ReviewImport
from partycard.review.workbook import (
    FORMAT,
    SheetData,
    SheetProblem,
    WorkbookMeta,
    WorkbookRefused,
    sheet_name,
    workbook_build,
    workbook_read,
)

__all__ = [
    "REVIEWABLE_LEVELS",
    "actor_name",
    "conflict_key",
    "max_members",
    "review_apply",
    "review_export",
    "review_import",
    "review_paper",
]

#: What a review is exported for: a grassroots organisation (and its cells) or one cell.
REVIEWABLE_LEVELS = frozenset(
    {OrgLevel.GRASSROOTS_COMMITTEE, OrgLevel.GRASSROOTS_CELL, OrgLevel.SUB_COMMITTEE, OrgLevel.CELL}
)
_UNIQUE = ("citizen_id", "old_card_number")  # editable and unique; the file number is a locked key
_REASON_MAX = 100  # simple_history's change_reason column


def max_members() -> int:
    """The most members one workbook or paper form holds (``PARTYCARD["REVIEW_MAX_MEMBERS"]``): a large
    grassroots organisation's 2,000 build in a request in about a second (bench/review_roundtrip_bench.py)."""
    return int(settings.PARTYCARD["REVIEW_MAX_MEMBERS"])


def actor_name(actor: Any) -> str:
    """How history and the workbook name the actor: the full name, else the login."""
    if actor is None:
        return "partycard"
    return str(actor.get_full_name() or actor.username)


def _reviewed(
    actor: Any, organisation: Organisation, action: Action
) -> tuple[list[Organisation], list[Member]]:
    """The organisation's open cells and their active members, as the actor may see them for ``action``."""
    scope_require(actor, action, organisation, field="organisation")
    if organisation.level not in REVIEWABLE_LEVELS:
        raise DomainError(
            _("A review is exported for a grassroots party organisation or one of its cells."),
            field="organisation",
        )
    cells_qs = Organisation.objects.all() if actor is None else Organisation.objects.scoped(actor, action)
    cells = list(
        cells_qs.filter(
            path__startswith=organisation.path,
            level__in=sorted(MEMBER_HOLDING_LEVELS),
            dissolved_on__isnull=True,
        ).order_by("path")
    )
    members_qs = Member.objects.all() if actor is None else Member.objects.scoped(actor, action)
    members = list(
        members_qs.filter(organisation__in=cells, status__in=sorted(ACTIVE_STATUSES)).order_by(
            "organisation__path", "name_search", "pk"
        )
    )
    if len(members) > max_members():
        raise DomainError(
            _(
                "%(count)d members are too many for one review; export each cell on its own "
                "(at most %(limit)d)."
            )
            % {"count": len(members), "limit": max_members()},
            field="organisation",
            code=ErrorCode.CONFLICT,
        )
    scope_require(actor, action, *members)
    return cells, members


def _export_record(actor: Any, organisation: Organisation, members: list[Member], kind: str) -> ReviewExport:
    return ReviewExport.objects.create(
        kind=kind,
        organisation=organisation,
        exported_by=actor,
        exported_by_name=actor_name(actor),
        exported_at=clock.now(),
        member_count=len(members),
        members=sorted(m.pk for m in members),
    )


@transaction.atomic
def review_export(*, actor: Any, organisation: Organisation) -> tuple[ReviewExport, bytes]:
    """Hand out a review workbook for ``organisation`` (a grassroots organisation or a cell): its record
    (with the digest of the signed base) and the .xlsx bytes.

    Raises:
        OutOfScope: the organisation (or a member) is outside the actor's ``EXPORT_REVIEW`` scope.
        DomainError: not a grassroots organisation or cell; more members than ``max_members()``.
    """
    cells, members = _reviewed(actor, organisation, Action.EXPORT_REVIEW)
    export = _export_record(actor, organisation, members, ReviewExport.Kind.WORKBOOK)
    by_cell: dict[int, list[tuple[int, dict[str, str | None]]]] = {c.pk: [] for c in cells}
    for m in members:
        by_cell[m.organisation_id].append((m.pk, record_values(m)))
    sheets = [SheetData(c.code, c.name, by_cell[c.pk]) for c in cells]
    meta = WorkbookMeta(
        export_id=export.pk,
        organisation=organisation.code,
        organisation_name=organisation.name,
        exported_at=export.exported_at,
        exporter=export.exported_by_name,
    )
    content, digest = workbook_build(meta, sheets)
    export.digest = digest
    export.save(update_fields=["digest"])
    audit_record(
        actor=actor, action="review.export", obj=export,
        changes={"organisation": organisation.code, "members": len(members), "digest": digest},
    )  # fmt: skip
    return export, content


@transaction.atomic
def review_paper(*, actor: Any, organisation: Organisation) -> tuple[ReviewExport, bytes]:
    """Hand out the paper review form (PDF) for places with no computer: per cell, one block per member
    with the current values and room to write corrections, and the signature lines."""
    cells, members = _reviewed(actor, organisation, Action.EXPORT_REVIEW)
    export = _export_record(actor, organisation, members, ReviewExport.Kind.PAPER)
    by_cell: dict[int, list[Member]] = {c.pk: [] for c in cells}
    for m in members:
        by_cell[m.organisation_id].append(m)
    sections = []
    for c in cells:
        blocks = []
        for m in by_cell[c.pk]:
            values = record_values(m)
            blocks.append(
                paper.PaperMember(
                    member_id=m.pk,
                    full_name=m.full_name,
                    fields=[(f.header, display(f, values[f.name])) for f in FIELDS],
                )
            )
        sections.append(paper.PaperSection(cell_code=c.code, cell_name=c.name, members=blocks))
    parent = organisation.parent.name if organisation.parent_id and organisation.parent else ""
    content = paper.paper_pdf(
        paper.PaperData(
            organisation=organisation.name, parent=parent, issued_on=clock.today(),
            export_id=export.pk, sections=sections,
        )
    )  # fmt: skip
    audit_record(
        actor=actor, action="review.paper", obj=export,
        changes={"organisation": organisation.code, "members": len(members)},
    )  # fmt: skip
    return export, content


# ---- import -----------------------------------------------------------------------------------------


def _stored(file: Path | bytes | IO[bytes]) -> tuple[Path, bytes, tempfile.TemporaryDirectory[str] | None]:
    """The upload as a path with the .xlsx suffix ``check_file`` looks at, and its bytes (for the digest)."""
    if isinstance(file, Path):
        return file, file.read_bytes(), None
    data = file if isinstance(file, bytes) else file.read()
    folder = tempfile.TemporaryDirectory(prefix="review-")
    path = Path(folder.name) / "workbook.xlsx"
    path.write_bytes(data)
    return path, data, folder


def _facts(values: Mapping[str, Any], status: str) -> MemberFacts:
    v = to_model(values)
    return MemberFacts(
        full_name=v.get("full_name") or "",
        gender=v.get("gender") or "",
        date_of_birth=v.get("date_of_birth"),
        citizen_id=v.get("citizen_id"),
        date_admitted=v.get("date_admitted"),
        date_official=v.get("date_official"),
        status=status,
        file_number=v.get("file_number"),
        old_card_number=v.get("old_card_number"),
        phone=v.get("phone") or None,
        birth_name=v.get("birth_name") or "",
    )


_HEADERS = {f.name: f.header for f in FIELDS}
# The text fields' column lengths (the importer's check, registry/importing.py): refused at the row, not at
# the apply.
_MAX_LENGTHS: dict[str, int] = {
    f.name: int(getattr(Member._meta.get_field(f.name), "max_length", 0) or 0) for f in EDITABLE
}


@transaction.atomic
def review_import(*, actor: Any, file: Path | bytes | IO[bytes]) -> ReviewImport:
    """Take a returned workbook back as a proposal (nothing is applied to the members).

    Checks, in order: the file's size and shape (``registry.importing.check_file``: size, zip bomb), the
    signature of the hidden base copy and its identity (the export it names, in the actor's
    ``IMPORT_REVIEW`` scope, with the same digest), then every row (its member id in the base, every
    value parsed as the roster parses it, the member rules on the returned values, no citizen ID or old
    card number taken twice). A member of the base who has since left the cell, ended or been deleted is
    listed as "deleted upstream", not changed.

    Raises:
        WorkbookProblems: with every problem (sheet, row, column, reason); nothing is recorded.
        OutOfScope: the export the workbook names, or a member it changes, is outside the actor's scope.
    """
    path, data, folder = _stored(file)
    try:
        try:
            check_file(path)
            read = workbook_read(path, max_rows=max_members())
        except (ParseError, WorkbookRefused) as e:
            raise WorkbookProblems([SheetProblem("", 0, "", str(e))], str(e)) from e
    finally:
        if folder is not None:
            folder.cleanup()
    export = _export_of(actor, read.meta, read.digest)
    problems = list(read.problems)
    organisation = export.organisation
    ids = sorted(read.base)
    members_qs = Member.objects.all() if actor is None else Member.objects.scoped(actor, Action.IMPORT_REVIEW)
    current = {
        m.pk: m
        for m in members_qs.select_related("organisation").filter(
            pk__in=ids, organisation__path__startswith=organisation.path, status__in=sorted(ACTIVE_STATUSES)
        )
    }
    changes: list[dict[str, Any]] = []
    deleted: list[dict[str, Any]] = []
    touched: list[Member] = []
    editable = [f.name for f in EDITABLE]
    unique_seen: dict[str, dict[str, tuple[str, int, int]]] = {f: {} for f in _UNIQUE}
    for row in read.rows:
        sheet, base = read.base[row.member_id]
        theirs = {**base, **row.values}
        changed = [f for f in editable if f in row.values and row.values[f] != base.get(f)]
        for f in EDITABLE:
            if f.name not in row.values:
                continue
            value = row.values[f.name]
            if value is None and (f.column.required or f.name == "ethnicity"):
                problems.append(SheetProblem(sheet, row.row, f.header, _("is required")))
            limit = _MAX_LENGTHS.get(f.name)
            if limit and value is not None and len(value) > limit:
                problems.append(
                    SheetProblem(sheet, row.row, f.header,
                        _("is %(length)d characters long; at most %(limit)d are allowed")
                        % {"length": len(value), "limit": limit})
                )  # fmt: skip
        member = current.get(row.member_id)
        if member is None or sheet_name(member.organisation.code) != sheet:  # left the cell, ended, deleted
            if changed:
                deleted.append(
                    {"member": row.member_id, "name": base.get("full_name") or "", "sheet": sheet,
                     "row": row.row, "fields": changed}
                )  # fmt: skip
            continue
        ours = record_values(member)
        merged = merge_fields(base, ours, theirs, editable)
        would_be = dict(ours)
        for m in merged:
            if m.outcome in (Outcome.THEIRS, Outcome.CONFLICT):
                would_be[m.field] = m.theirs
        for issue in configured_member_issues(_facts(would_be, member.status)):
            if issue.field in changed:
                problems.append(
                    SheetProblem(sheet, row.row, _HEADERS.get(issue.field, issue.field), issue.message)
                )
        for key in _UNIQUE:
            value = row.values.get(key)
            if key in changed and value:
                if value in unique_seen[key]:
                    other = unique_seen[key][value]
                    problems.append(
                        SheetProblem(sheet, row.row, _HEADERS[key],
                            _("'%(value)s' is repeated: sheet %(sheet)s row %(row)d has it too")
                            % {"value": value, "sheet": other[0], "row": other[1]})
                    )  # fmt: skip
                else:
                    unique_seen[key][value] = (sheet, row.row, row.member_id)
        entries = [
            {
                "member": row.member_id, "name": ours.get("full_name") or "", "sheet": sheet, "row": row.row,
                "field": m.field, "base": m.base, "ours": m.ours, "theirs": m.theirs,
                "outcome": m.outcome.value,
            }
            for m in merged
            if m.outcome in (Outcome.THEIRS, Outcome.CONFLICT, Outcome.SAME)
        ]  # fmt: skip
        if entries:
            touched.append(member)
            changes.extend(entries)
    problems.extend(_taken_elsewhere(unique_seen))
    if problems:
        raise WorkbookProblems(problems)
    scope_require(actor, Action.IMPORT_REVIEW, organisation, field="organisation")
    scope_require(actor, Action.IMPORT_REVIEW, *touched)
    missing = [
        {"member": pk, "name": read.base[pk][1].get("full_name") or "", "sheet": read.base[pk][0]}
        for pk in read.missing
    ]
    review = ReviewImport.objects.create(
        export=export,
        organisation=organisation,
        imported_by=actor,
        imported_by_name=actor_name(actor),
        imported_at=clock.now(),
        file_digest=hashlib.sha256(data).hexdigest(),
        proposal={"changes": changes, "deleted": deleted, "missing": missing},
        change_count=sum(1 for c in changes if c["outcome"] == Outcome.THEIRS),
        conflict_count=sum(1 for c in changes if c["outcome"] == Outcome.CONFLICT),
    )
    audit_record(
        actor=actor, action="review.import", obj=review,
        changes={"export": export.pk, "changes": review.change_count, "conflicts": review.conflict_count,
                 "deleted_upstream": len(deleted)},
    )  # fmt: skip
    return review


def _export_of(actor: Any, meta: Mapping[str, str], digest: str) -> ReviewExport:
    """The export the workbook names, if it is in the actor's scope and its base is the one sent out.

    Raises:
        OutOfScope: no such export, or not in the actor's ``IMPORT_REVIEW`` scope (the same answer).
        WorkbookProblems: the export exists but the workbook's signed base is not the one it sent out.
    """
    if meta.get("format") != FORMAT or not str(meta.get("export", "")).isdigit():
        raise OutOfScope("file")
    exports = (
        ReviewExport.objects.all()
        if actor is None
        else ReviewExport.objects.scoped(actor, Action.IMPORT_REVIEW)
    )
    export = (
        exports.select_related("organisation")
        .filter(pk=int(meta["export"]), kind=ReviewExport.Kind.WORKBOOK)
        .first()
    )
    if export is None:
        raise OutOfScope("file")
    if export.digest != digest or export.organisation.code != meta.get("organisation"):
        message = _("The workbook does not match the export it names (its base copy differs).")
        raise WorkbookProblems([SheetProblem("", 0, "", message)], message)
    return export


def _taken_elsewhere(seen: Mapping[str, Mapping[str, tuple[str, int, int]]]) -> list[SheetProblem]:
    """A citizen ID or old card number the workbook gives a member that another member already holds."""
    problems = []
    for f, values in seen.items():
        if not values:
            continue
        for pk, value in Member.objects.filter(**{f"{f}__in": list(values)}).values_list("pk", f):
            sheet, row, member_id = values[value]
            if pk != member_id:
                problems.append(
                    SheetProblem(sheet, row, _HEADERS[f],
                        _("'%(value)s' already belongs to a member in the registry") % {"value": value})
                )  # fmt: skip
    return problems


# ---- apply ------------------------------------------------------------------------------------------


def conflict_key(member_id: int, field: str) -> str:
    """The key of a conflict's decision (a form's radio group, the API's ``decisions`` map)."""
    return f"{member_id}:{field}"


@transaction.atomic
def review_apply(*, actor: Any, review_import: ReviewImport, decisions: Mapping[str, str]) -> int:
    """Apply a proposal: the fields only the workbook changed, and each conflict as decided ("ours": keep
    the record's value; "theirs": take the workbook's). One transaction through
    ``registry.services.members_update_many``: a refusal (scope, a member rule, a record changed since
    the import) writes nothing. Returns the number of members changed.

    Raises:
        OutOfScope: the import or a member is outside the actor's ``APPLY_REVIEW`` / ``CHANGE_MEMBER`` scope.
        DomainError: already applied; a conflict undecided; a record changed since the import; a rule broken.
    """
    scope_require(actor, Action.APPLY_REVIEW, review_import)
    review = (
        ReviewImport.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .get(pk=review_import.pk)
    )
    scope_require(actor, Action.APPLY_REVIEW, review.organisation, field="organisation")
    if review.status != ReviewImport.Status.PROPOSED:
        raise DomainError(_("This review was applied already."), code=ErrorCode.CONFLICT)
    entries = review.proposal.get("changes", [])
    undecided = [
        e
        for e in entries
        if e["outcome"] == Outcome.CONFLICT
        and decisions.get(conflict_key(e["member"], e["field"])) not in ("ours", "theirs")
    ]
    if undecided:
        raise DomainError(
            _("%(count)d conflict(s) are not decided yet: choose, for each, the value to keep.")
            % {"count": len(undecided)},
            field="decisions",
        )
    ids = sorted({e["member"] for e in entries})
    current = {
        m.pk: m
        for m in Member.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(
            pk__in=ids,
            organisation__path__startswith=review.organisation.path,
            status__in=sorted(ACTIVE_STATUSES),
        )
    }
    changes: dict[int, dict[str, str | None]] = {}
    for e in entries:
        member = current.get(e["member"])
        if (
            member is None
            or sheet_name(member.organisation.code) != e["sheet"]
            or record_values(member).get(e["field"]) != e["ours"]
        ):
            raise DomainError(
                _("%(name)s's record changed since the workbook was imported: import the workbook again.")
                % {"name": e["name"]},
                code=ErrorCode.CONFLICT,
            )
        take = e["outcome"] == Outcome.THEIRS or (
            e["outcome"] == Outcome.CONFLICT
            and decisions.get(conflict_key(e["member"], e["field"])) == "theirs"
        )
        if take:
            changes.setdefault(e["member"], {})[e["field"]] = e["theirs"]
    members = [current[pk] for pk in sorted(changes)]
    if actor is not None and members:
        scope_require(actor, Action.APPLY_REVIEW, *members)
        scope_require(actor, Action.CHANGE_MEMBER, *members)
    reason = f"Rà soát ngoại tuyến bởi {review.imported_by_name}; áp dụng bởi {actor_name(actor)}"
    try:
        count = members_update_many(
            actor=actor, changes={pk: to_model(v) for pk, v in changes.items()}, reason=reason[:_REASON_MAX]
        )
    except ValidationError as e:
        raise DomainError(_rule_message(e), code=ErrorCode.CONFLICT) from e
    review.status = ReviewImport.Status.APPLIED
    review.applied_by = actor
    review.applied_by_name = actor_name(actor)
    review.applied_at = clock.now()
    review.applied_count = count
    review.save(update_fields=["status", "applied_by", "applied_by_name", "applied_at", "applied_count"])
    audit_record(
        actor=actor, action="review.apply", obj=review,
        changes={"members": count, "decisions": dict(sorted(decisions.items()))},
    )  # fmt: skip
    return count


def _rule_message(error: ValidationError) -> str:
    parts: list[str] = []
    for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
        label = _HEADERS.get(field, field)
        parts.extend(f"{label}: {m}" if label else m for m in messages)
    return _("A change breaks a member rule, nothing was applied: %(reasons)s") % {
        "reasons": "; ".join(parts)
    }
