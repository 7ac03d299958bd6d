"""Writes of the party-database sync (issue 17): start a run, stage its preview, decide, apply, export.

The issue: ``partycard sync import FILE`` takes a full export of the Party's member database and upserts
by a stable key (file number first, citizen ID second); a preview of every change per field (added,
changed, unchanged, missing from the export); conflicts with changes made in partycard since the last sync
listed for a decision; applied in one transaction with history and audit; ``partycard sync export`` the
other way. docs/sync.md says how an officer uses it.

* The preview (``preview_chunk``, a job's chunk per ``SYNC_CHUNK_ROWS`` rows, then ``preview_finish``)
  reads the file as the roster import does (``registry.importing.RowChecker``, without its "number already
  in the registry" rule: here that number names the member to update), finds each row's member by its
  keys, merges three ways (``registry.merge.merge_fields``: base = the member's ``SyncBaseline``, ours =
  the record, theirs = the row) and stages one ``SyncRow`` per row. Nothing of the registry is written.
* ``sync_apply`` (one job chunk: one transaction) writes the changes (``members_update_many``), creates
  the new members (``registry.importing.create_members``) and moves the baselines, or writes nothing.
* ``sync_export`` writes the subtree's file and records what it wrote as each member's baseline.

Every write checks the actor's scope (``Action.SYNC_MEMBER``) of the run's organisation, of every member it
changes and of every cell a row names (``scope_require``; the row checker reads cell codes only within
the scope, so a cell elsewhere is "no such organisation", as in the roster import).
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterator, Mapping
from itertools import islice
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.audit.services import audit_record
from partycard.core import clock
from partycard.core.errors import DomainError, ErrorCode, RowIssue
from partycard.core.scope import OutOfScope, scope_require
from partycard.partysync import bulk
from partycard.partysync import fields as F
from partycard.partysync.choices import Decision, RowKind, RunKind, RunStatus
from partycard.partysync.fileformat import JsonLineError, file_format, open_rows, row_writer
from partycard.partysync.models import SyncRow, SyncRun
from partycard.registry.hooks import member_counts_changed
from partycard.registry.importing import CheckedRow, RowChecker, create_members
from partycard.registry.merge import Outcome, merge_fields
from partycard.registry.models import Ethnicity, Member, Organisation
from partycard.registry.roster import COLUMNS, ParseError
from partycard.registry.services import member_counts_adjust, members_update_many

__all__ = [
    "BATCH",
    "HISTORY_REASON",
    "chunk_rows",
    "history_reason",
    "preview_chunk",
    "preview_finish",
    "sync_apply",
    "sync_decide",
    "sync_export",
    "sync_run_create",
]

BATCH = 1000  # rows checked, looked up and staged together; members written together
HEADERS = {c.field: c.header for c in COLUMNS}
# The history of every member the sync writes says so, in the records' language (the history is read as
# the registry's record, not as the interface), with the run's number.
HISTORY_REASON = "Đồng bộ với cơ sở dữ liệu đảng viên (lần #{n})"


def history_reason(run: SyncRun) -> str:
    return HISTORY_REASON.format(n=run.pk)


def chunk_rows() -> int:
    """Rows per preview chunk (``PARTYCARD["SYNC_CHUNK_ROWS"]``): what a killed preview does again."""
    return int(settings.PARTYCARD.get("SYNC_CHUNK_ROWS", 100_000))


def _digest(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            sha.update(block)
    return sha.hexdigest()


def _lines(path: Path) -> int:
    count = 0
    with path.open("rb") as f:
        while block := f.read(1024 * 1024):
            count += block.count(b"\n")
    return count + 1


def _require_actor(actor: Any) -> None:
    if actor is not None and getattr(actor, "pk", None) is None:
        raise OutOfScope("organisation")


def sync_run_create(*, actor: Any, root: Organisation, path: Path, name: str) -> tuple[SyncRun, int]:
    """Record an import run of the file at ``path`` (kept until its preview is read) into ``root``'s
    subtree; return it and the number of row chunks its preview job has (the caller makes the job).

    Raises:
        OutOfScope: ``root`` is outside ``actor``'s scope for synchronising.
        ParseError: the file's name is not of a known format.
    """
    _require_actor(actor)
    scope_require(actor, Action.SYNC_MEMBER, root, field="organisation")
    fmt = file_format(name)
    lines = 1 if fmt == "xlsx" else _lines(path)  # an .xlsx is read in one chunk: skipping costs a parse
    chunks = max(1, math.ceil(lines / chunk_rows()))
    with transaction.atomic():
        run = SyncRun.objects.create(
            kind=RunKind.IMPORT,
            status=RunStatus.READING,
            actor=actor,
            root=root,
            path=root.path,
            file_name=Path(name).name[:200],
            file_format=fmt,
            sha256=_digest(path),
            stored=str(path),
            created_at=clock.now(),
        )
        audit_record(
            actor=actor,
            action="partysync.upload",
            obj=run,
            changes={"file": run.file_name, "sha256": run.sha256, "organisation": root.code},
        )
    return run, chunks


# ---- the preview --------------------------------------------------------------------------------------


def _organisations(run: SyncRun) -> Any:
    """The cells a row of ``run`` may name: the run's subtree, within its actor's scope."""
    qs = (
        Organisation.objects.all()
        if run.actor is None
        else Organisation.objects.scoped(run.actor, Action.SYNC_MEMBER)
    )
    return qs.filter(path__startswith=run.path)


def _refuse(run: SyncRun, message: str) -> None:
    SyncRun.objects.filter(pk=run.pk).update(status=RunStatus.REFUSED, error=message, finished_at=clock.now())
    run.status, run.error = RunStatus.REFUSED, message


def preview_chunk(run: SyncRun, index: int, chunks: int) -> int:
    """Stage the file's data rows (lines) ``index * SYNC_CHUNK_ROWS`` up to the next chunk's first (the
    last chunk: to the end), blank ones left out; return how many. In the caller's transaction (the job's
    chunk): a chunk killed half-way stages nothing, and runs again whole.

    The actor's scope is read again: an actor who lost it stages nothing more (the run is refused).
    """
    run = SyncRun.objects.get(pk=run.pk)
    if run.status != RunStatus.READING:
        return 0
    if run.actor is not None and not _organisations(run).filter(pk=run.root_id).exists():
        _refuse(run, str(OutOfScope().message))
        return 0
    size = chunk_rows()
    first, last = index * size, (index + 1) * size if index < chunks - 1 else None
    try:
        mapping, header_problems, rows = open_rows(Path(run.stored), first=first, last=last)
    except (ParseError, OSError) as e:
        _refuse(run, _file_problem(e))
        return 0
    if header_problems:
        if index == 0:
            SyncRow.objects.create(
                run=run, number=1, kind=RowKind.BAD, problems=[["", p] for p in header_problems]
            )
        _close(rows)
        return 0
    checker = RowChecker(mapping, _organisations(run), unique=False)
    staged = 0
    try:
        while batch := list(islice(rows, BATCH)):
            staged += _stage(run, checker, batch)
    except (ParseError, OSError) as e:
        _refuse(run, _file_problem(e))
        return 0
    finally:
        _close(rows)
    return staged


def _close(rows: Iterator[Any]) -> None:
    close = getattr(rows, "close", None)
    if close is not None:
        close()


def _file_problem(e: Exception) -> str:
    return str(e) if isinstance(e, ParseError) else _("The uploaded file is no longer available.")


def _stage(run: SyncRun, checker: Any, batch: list[tuple[int, Any]]) -> int:
    """Check, match, merge and stage one batch of raw rows."""
    staged: list[SyncRow] = []
    raw = []
    for number, cells in batch:
        if isinstance(cells, JsonLineError):
            staged.append(SyncRow(run=run, number=number, kind=RowKind.BAD, problems=[["", str(cells)]]))
        else:
            raw.append((number, cells))
    problems: dict[int, RowIssue] = {}
    clean: list[CheckedRow] = checker.check(raw, problems)
    for number, issue in problems.items():
        staged.append(
            SyncRow(
                run=run,
                number=number,
                kind=RowKind.BAD,
                problems=[[i.field, i.message] for i in issue.issues],
            )
        )
    theirs_by_number: dict[int, dict[str, Any]] = {}
    for r in clean:
        theirs = {
            name: F.normalise(name, r.values.get(name))
            for name in F.FIELDS
            if name not in ("organisation_code", "ethnicity")
        }
        theirs["organisation_code"] = r.org.code if r.org is not None else None
        theirs["ethnicity"] = r.ethnicity.code if r.ethnicity is not None else F.DEFAULT_ETHNICITY
        if not theirs["file_number"] and not theirs["citizen_id"]:
            staged.append(
                _bad(
                    run,
                    r.number,
                    HEADERS["file_number"],
                    _("has no file number and no citizen ID: the sync finds members by them"),
                )
            )
            continue
        theirs_by_number[r.number] = theirs
    staged.extend(_match(run, theirs_by_number))
    bulk.rows_insert(staged)
    return len(staged)


def _bad(run: SyncRun, number: int, column: str, message: str, **kw: Any) -> SyncRow:
    return SyncRow(run=run, number=number, kind=RowKind.BAD, problems=[[column, message]], **kw)


def _holders(field: str, values: set[str]) -> dict[str, int]:
    if not values:
        return {}
    return dict(Member.objects.filter(**{f"{field}__in": list(values)}).values_list(field, "id"))


def _match(run: SyncRun, rows: dict[int, dict[str, Any]]) -> list[SyncRow]:
    """Find each row's member by its keys and merge; the staged rows.

    One query for the batch (``bulk.lookup``): the members holding the rows' file numbers, citizen IDs or
    old card numbers, with their fields and baselines. A member of the run's subtree is in the actor's
    scope: the run's organisation is (``preview_chunk`` checks it again at every chunk).
    """
    fns = {t["file_number"] for t in rows.values() if t["file_number"]}
    cids = {t["citizen_id"] for t in rows.values() if t["citizen_id"]}
    cards = {t["old_card_number"] for t in rows.values() if t["old_card_number"]}
    by_fn: dict[str, int] = {}
    by_cid: dict[str, int] = {}
    by_card: dict[str, int] = {}
    inside: set[int] = set()
    ours: dict[int, dict[str, Any]] = {}
    bases: dict[int, dict[str, Any] | None] = {}
    for found in bulk.lookup(fns, cids, cards):
        pk, fn, cid, card, path = found[:5]
        if fn in fns:
            by_fn[fn] = pk
        if cid in cids:
            by_cid[cid] = pk
        if card in cards:
            by_card[card] = pk
        if str(path).startswith(run.path):
            inside.add(pk)
        ours[pk] = F.record_values(found[5:-1])
        bases[pk] = found[-1]
    out: list[SyncRow] = []
    for number, theirs in rows.items():
        fn, cid = theirs["file_number"], theirs["citizen_id"]
        common = {"run": run, "number": number, "file_number": fn or "", "citizen_id": cid or ""}
        common["full_name"] = (theirs["full_name"] or "")[:100]
        m_fn, m_cid = by_fn.get(fn) if fn else None, by_cid.get(cid) if cid else None
        if m_fn is not None and m_cid is not None and m_fn != m_cid:
            out.append(
                SyncRow(
                    kind=RowKind.KEY_CONFLICT,
                    problems=[
                        [
                            HEADERS["citizen_id"],
                            _(
                                "file number '%(file)s' belongs to one member and citizen ID '%(cid)s' to "
                                "another: correct one of the two databases; the row is not merged"
                            )
                            % {"file": fn, "cid": cid},
                        ]
                    ],
                    **common,
                )
            )
            continue
        member = m_fn if m_fn is not None else m_cid
        extra = {k: v for k, v in common.items() if k not in ("run", "number")}
        if member is not None and member not in inside:
            column, value = ("file_number", fn) if m_fn is not None else ("citizen_id", cid)
            out.append(
                _bad(
                    run,
                    number,
                    HEADERS[column],
                    _(
                        "'%(value)s' belongs to a member outside the organisation being synchronised; "
                        "transfer the member first"
                    )
                    % {"value": value},
                    **extra,
                )
            )
            continue
        card = theirs["old_card_number"]
        if card and by_card.get(card, member) != member:
            out.append(
                _bad(
                    run,
                    number,
                    HEADERS["old_card_number"],
                    _("'%(value)s' already belongs to a member in the registry") % {"value": card},
                    **extra,
                )
            )
            continue
        if member is None:
            out.append(SyncRow(kind=RowKind.ADDED, data=theirs, **common))
            continue
        row = SyncRow(kind=RowKind.UNCHANGED, member_id=member, **common)
        _merge(row, theirs, ours[member], bases[member])
        out.append(row)
    return out


def _merge(row: SyncRow, theirs: dict[str, Any], ours: dict[str, Any], base: dict[str, Any] | None) -> None:
    """Classify a matched row. Without a baseline (the first sync of the member) the record is the base:
    every differing field is the party database's change (it wins), listed in the preview (docs/sync.md)."""
    if theirs == ours:  # most rows: nothing to apply (every field UNCHANGED or SAME); no merge needed
        if base != theirs:
            row.data = theirs  # the baseline moves to what both now hold
        return
    merged = merge_fields(base if base is not None else ours, ours, theirs, F.FIELDS)
    row.changes = {
        m.field: {"old": m.ours, "new": m.theirs, "base": m.base, "outcome": str(m.outcome)}
        for m in merged
        if m.outcome not in (Outcome.UNCHANGED, Outcome.SAME)
    }
    outcomes = {m.outcome for m in merged}
    if Outcome.CONFLICT in outcomes:
        row.kind = RowKind.CONFLICT
    elif Outcome.THEIRS in outcomes:
        row.kind = RowKind.CHANGED
    if row.kind != RowKind.UNCHANGED or base != theirs:  # a write, or a baseline that moves
        row.data = theirs


def preview_finish(run: SyncRun) -> SyncRun:
    """The preview's last step: rows repeating a key or a member of an earlier row become bad rows; the
    counts and the members missing from the export are counted; the stored upload is let go."""
    run = SyncRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.READING:
        return run
    staged = SyncRow.objects.filter(run=run).exclude(kind=RowKind.BAD)
    for field in ("file_number", "citizen_id"):
        groups = (
            staged.exclude(**{field: ""})
            .values(field)
            .annotate(n=Count("id"), first=Min("number"))
            .filter(n__gt=1)
            .order_by()
        )
        for group in groups.iterator():
            for row in staged.filter(**{field: group[field]}, number__gt=group["first"]):
                _mark_bad(
                    row,
                    HEADERS[field],
                    _("'%(value)s' is repeated: row %(other)d has it too")
                    % {"value": group[field], "other": group["first"]},
                )
    twice = (
        staged.filter(member__isnull=False)
        .values("member_id")
        .annotate(n=Count("id"), first=Min("number"))
        .filter(n__gt=1)
        .order_by()
    )
    for group in twice.iterator():
        for row in staged.filter(member_id=group["member_id"], number__gt=group["first"]):
            _mark_bad(
                row,
                HEADERS["file_number"],
                _("names the same member as row %(other)d") % {"other": group["first"]},
            )
    counts = dict(SyncRow.objects.filter(run=run).values_list("kind").annotate(n=Count("id")).order_by())
    run.rows = sum(counts.values())
    run.added = counts.get(RowKind.ADDED, 0)
    run.changed = counts.get(RowKind.CHANGED, 0)
    run.unchanged = counts.get(RowKind.UNCHANGED, 0)
    run.conflicts = counts.get(RowKind.CONFLICT, 0)
    run.key_conflicts = counts.get(RowKind.KEY_CONFLICT, 0)
    run.bad = counts.get(RowKind.BAD, 0)
    run.missing = missing_members(run).count()
    run.status = RunStatus.PREVIEW
    run.finished_at = clock.now()
    run.save()
    audit_record(
        actor=run.actor,
        action="partysync.preview",
        obj=run,
        changes={k: getattr(run, k) for k in ("rows", "added", "changed", "unchanged", "conflicts", "bad")},
    )
    return run


def _mark_bad(row: SyncRow, column: str, message: str) -> None:
    row.kind, row.problems, row.changes, row.data = RowKind.BAD, [[column, message]], {}, None
    row.member_id = None
    row.save(update_fields=["kind", "problems", "changes", "data", "member"])


def missing_members(run: SyncRun) -> Any:
    """The members of the run's subtree that its file does not hold (listed, never deleted: a member who
    ended is a status the party database sends, not a row it leaves out)."""
    staged = SyncRow.objects.filter(run=run, member__isnull=False).values("member_id")
    return Member.objects.filter(organisation__path__startswith=run.path).exclude(pk__in=staged)


# ---- decisions ----------------------------------------------------------------------------------------


@transaction.atomic
def sync_decide(*, actor: Any, run: SyncRun, decisions: Mapping[str, Mapping[str, str]]) -> int:
    """Record decisions on the run's conflicts: ``{member key: {field: "ours" | "theirs"}}``, the key a
    file number, a citizen ID, or ``"row:<n>"`` (the file's row); return how many fields were decided.

    Raises:
        OutOfScope: the run is outside the actor's scope.
        DomainError: the run is not a preview, a key names no conflict, a field is not in conflict there,
            or a decision is neither "ours" nor "theirs" (nothing is recorded).
    """
    scope_require(actor, Action.SYNC_MEMBER, run)
    run = SyncRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PREVIEW:
        raise DomainError(_("This synchronisation is not waiting for decisions."), code=ErrorCode.CONFLICT)
    decided = 0
    for key, by_field in decisions.items():
        rows = SyncRow.objects.filter(run=run, kind=RowKind.CONFLICT)
        key = str(key)
        if key.startswith("row:") and key[4:].isdigit():
            rows = rows.filter(number=int(key[4:]))
        else:
            rows = rows.filter(Q(file_number=key) | Q(citizen_id=key))
        row = rows.first()
        if row is None or not isinstance(by_field, Mapping):
            raise DomainError(
                _("'%(key)s' names no conflict of this file.") % {"key": key[:50]}, field="decisions"
            )
        for name, choice in by_field.items():
            change = row.changes.get(name)
            if change is None or change["outcome"] != Outcome.CONFLICT:
                raise DomainError(
                    _("'%(field)s' is not in conflict for '%(key)s'.")
                    % {"field": str(name)[:50], "key": key[:50]},
                    field="decisions",
                )
            if choice not in Decision.values:
                raise DomainError(
                    _("A decision is 'ours' or 'theirs', not '%(value)s'.") % {"value": str(choice)[:20]},
                    field="decisions",
                )
            row.decisions[name] = choice
            decided += 1
        row.save(update_fields=["decisions"])
    audit_record(actor=actor, action="partysync.decide", obj=run, changes={"fields": decided})
    return decided


# ---- apply --------------------------------------------------------------------------------------------


def _pages(rows: Any) -> Iterator[list[SyncRow]]:
    """``rows`` a batch at a time, by key (no cursor held across the writes in between)."""
    last = 0
    while batch := list(rows.filter(pk__gt=last).order_by("pk")[:BATCH]):
        yield batch
        last = batch[-1].pk


class _Cells:
    """The cells rows name, by code, within the run's subtree and the applying actor's scope (one query a
    batch; ``scope_require`` on them, as every write checks the organisations it points to)."""

    def __init__(self, run: SyncRun, actor: Any) -> None:
        self.run, self.actor = run, actor
        self.known: dict[str, Organisation] = {}

    def load(self, codes: set[str]) -> None:
        wanted = codes - set(self.known)
        if not wanted:
            return
        cells = (
            Organisation.objects.all()
            if self.actor is None
            else Organisation.objects.scoped(self.actor, Action.SYNC_MEMBER)
        )
        found = {o.code: o for o in cells.filter(path__startswith=self.run.path, code__in=wanted)}
        if len(found) != len(wanted):
            raise OutOfScope("organisation")  # a cell moved out of the scope since the preview
        scope_require(self.actor, Action.SYNC_MEMBER, *found.values(), field="organisation")
        self.known.update(found)

    def ids(self) -> dict[str, int]:
        return {code: org.pk for code, org in self.known.items()}


def sync_apply(*, actor: Any, run: SyncRun) -> SyncRun:
    """Apply a previewed run, all or nothing: the changes (a conflict only as decided "theirs"), the new
    members, the baselines; history with the run's reason; audit. A refusal (a scope, a rule, a record
    changed since the preview, a number taken meanwhile) writes nothing and marks the run refused.

    Raises:
        OutOfScope: the run is outside the actor's scope (nothing is marked).
    """
    scope_require(actor, Action.SYNC_MEMBER, run)
    try:
        with transaction.atomic():
            return _apply(actor, run)
    except (DomainError, ValidationError, IntegrityError) as e:
        message = _refusal(e)
        with transaction.atomic():
            _refuse(run, message)
            audit_record(actor=actor, action="partysync.refuse", obj=run, changes={"error": message[:500]})
        run.refresh_from_db()
        return run


def _refusal(e: Exception) -> str:
    if isinstance(e, DomainError):
        return e.message
    if isinstance(e, ValidationError):
        parts = []
        for name, messages in getattr(e, "message_dict", {"": e.messages}).items():
            label = HEADERS.get(name, name)
            parts.append(f"{label}: {'; '.join(messages)}" if label else "; ".join(messages))
        return _("A member breaks a rule; nothing was written: %(reasons)s") % {"reasons": " | ".join(parts)}
    return _("The registry changed while applying; nothing was written. Read the file again.")


def _apply(actor: Any, run: SyncRun) -> SyncRun:
    run = SyncRun.objects.select_for_update().get(pk=run.pk)
    if run.status != RunStatus.PREVIEW:
        raise DomainError(_("This synchronisation is not waiting to be applied."), code=ErrorCode.CONFLICT)
    if run.bad:
        raise DomainError(
            _("%(n)d rows have problems: correct the file and read it again; nothing was written.")
            % {"n": run.bad},
            code=ErrorCode.CONFLICT,
        )
    scope_require(actor, Action.SYNC_MEMBER, run.root, field="organisation")
    reason = history_reason(run)
    cells = _Cells(run, actor)
    now = clock.now()
    written = 0
    members = (  # the applying actor's scope (who may differ from the run's reader), within the subtree
        Member.objects.all() if actor is None else Member.objects.scoped(actor, Action.SYNC_MEMBER)
    ).filter(organisation__path__startswith=run.path)
    rows = SyncRow.objects.filter(run=run, kind__in=[RowKind.CHANGED, RowKind.CONFLICT, RowKind.UNCHANGED])
    for batch in _pages(rows.filter(data__isnull=False)):
        ids = [r.member_id for r in batch if r.member_id is not None]
        if members.filter(pk__in=ids).count() != len(set(ids)):
            raise OutOfScope()  # a member moved out of the run's subtree, or was removed, since the preview
        current = F.records(ids)
        changes: dict[int, dict[str, Any]] = {}
        for row in batch:
            assert row.member_id is not None and row.data is not None
            now_values = current[row.member_id]
            for name, change in row.changes.items():
                if now_values.get(name) != change["old"]:
                    raise DomainError(
                        _(
                            "The record of %(name)s (row %(row)d) changed after the preview; nothing was "
                            "written. Read the file again."
                        )
                        % {"name": now_values.get("full_name") or "", "row": row.number},
                        code=ErrorCode.CONFLICT,
                    )
            take = [
                name
                for name, change in row.changes.items()
                if change["outcome"] == Outcome.THEIRS
                or (change["outcome"] == Outcome.CONFLICT and row.decisions.get(name) == Decision.THEIRS)
            ]
            if take:
                if "organisation_code" in take:
                    cells.load({row.data["organisation_code"]})
                changes[row.member_id] = F.model_changes(row.data, take, cells=cells.ids())
        written += members_update_many(actor=actor, changes=changes, reason=reason)
        _baselines([(r.member_id, r.data) for r in batch if r.member_id is not None], run=run, at=now)
    written += _create_added(actor, run, cells, reason=reason, at=now)
    run.status, run.written, run.finished_at = RunStatus.APPLIED, written, now
    run.save(update_fields=["status", "written", "finished_at"])
    audit_record(
        actor=actor,
        action="partysync.apply",
        obj=run,
        changes={"written": written, "added": run.added, "changed": run.changed, "conflicts": run.conflicts},
    )
    return run


def _baselines(items: list[tuple[int | None, dict[str, Any] | None]], *, run: SyncRun, at: Any) -> None:
    bulk.baselines_upsert(items, run=run, at=at)


def _create_added(actor: Any, run: SyncRun, cells: _Cells, *, reason: str, at: Any) -> int:
    """Create the run's new members in bulk (``registry.importing.create_members``); their baselines."""
    counts: Counter[int] = Counter()
    created = 0
    ethnicities = {e.code: e for e in Ethnicity.objects.all()}
    for batch in _pages(SyncRow.objects.filter(run=run, kind=RowKind.ADDED)):
        cells.load({r.data["organisation_code"] for r in batch if r.data})
        checked = []
        for row in batch:
            assert row.data is not None
            values = {
                name: (
                    F.model_changes(row.data, [name], cells={})[name] if name.startswith("date_") else value
                )
                for name, value in row.data.items()
            }
            checked.append(
                CheckedRow(
                    row.number,
                    values,
                    org=cells.known[row.data["organisation_code"]],
                    ethnicity=ethnicities.get(row.data["ethnicity"]),
                )
            )
        created += create_members(checked, actor=actor, counts=counts, reason=reason)
        by_fn = _holders("file_number", {r.file_number for r in batch if r.file_number})
        by_cid = _holders("citizen_id", {r.citizen_id for r in batch if r.citizen_id})
        _baselines(
            [(by_fn.get(r.file_number) or by_cid.get(r.citizen_id), r.data) for r in batch], run=run, at=at
        )
    if counts:
        member_counts_adjust(dict(counts))
        member_counts_changed(deltas=dict(counts))
    return created


# ---- export -------------------------------------------------------------------------------------------


def sync_export(*, actor: Any, root: Organisation, path: Path, fmt: str) -> SyncRun:
    """Write the members of ``root``'s subtree (in ``actor``'s scope) to ``path`` as ``fmt``, and record
    what was written as each member's baseline: what the party database holds once it loads the file.

    In one transaction (the baselines, the run, the audit) and one streamed pass (a server-side cursor on
    PostgreSQL): memory stays flat whatever the subtree's size.

    Raises:
        OutOfScope: ``root`` is outside ``actor``'s scope for synchronising.
    """
    _require_actor(actor)
    scope_require(actor, Action.SYNC_MEMBER, root, field="organisation")
    members = Member.objects.all() if actor is None else Member.objects.scoped(actor, Action.SYNC_MEMBER)
    members = members.filter(organisation__path__startswith=root.path).order_by("pk")
    writer = row_writer(path, fmt)
    now = clock.now()
    with transaction.atomic():
        run = SyncRun.objects.create(
            kind=RunKind.EXPORT,
            status=RunStatus.EXPORTED,
            actor=actor,
            root=root,
            path=root.path,
            file_name=path.name[:200],
            file_format=fmt,
            sha256="",
            created_at=now,
        )
        pending: list[tuple[int | None, dict[str, Any] | None]] = []
        try:
            for row in members.values_list(*F.QUERY_FIELDS).iterator(chunk_size=5000):
                values = F.record_values(row[1:])
                writer.write(values)
                pending.append((row[0], values))
                if len(pending) >= 5000:
                    _baselines(pending, run=run, at=now)
                    pending = []
            _baselines(pending, run=run, at=now)
        finally:
            writer.close()
        run.rows = run.unchanged = writer.rows
        run.sha256 = _digest(path)
        run.finished_at = clock.now()
        run.save()
        audit_record(
            actor=actor,
            action="partysync.export",
            obj=run,
            changes={"organisation": root.code, "members": writer.rows, "sha256": run.sha256},
        )
    return run
