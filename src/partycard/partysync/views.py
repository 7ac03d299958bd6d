"""The sync pages at ``/dong-bo/``: the runs, an upload, a run's preview (per-field changes, conflicts with
their decisions, the rows with problems, the members missing from the file, paginated), and its apply.

Thin: each view parses, calls one selector or service, renders. The preview and the apply are background
jobs (``partysync.jobs``): the job page shows their progress and leads back here.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from partycard.accounts.roles import Action
from partycard.core.errors import DomainError
from partycard.jobs.errors import TooManyJobs
from partycard.partysync import jobs, selectors, services
from partycard.partysync.choices import Decision, RowKind, RunStatus
from partycard.partysync.forms import SyncUploadForm
from partycard.registry import selectors as registry_selectors
from partycard.registry.models import Organisation
from partycard.registry.roster import COLUMNS, ParseError

__all__ = ["run_apply", "run_decide", "run_detail", "run_list"]

PAGE = 50
HEADERS = {c.field: c.header for c in COLUMNS}
TABS = ["changed", "conflict", "added", "key_conflict", "bad", "missing", "unchanged"]


def _scope(request: HttpRequest) -> Organisation:
    root = registry_selectors.scope_root(request.user, Action.SYNC_MEMBER)
    if root is None:
        raise Http404(_("No such record."))
    return root


def _upload_dir() -> Path:
    path = Path(settings.VAR_DIR) / "partysync"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    """The runs in scope and the upload of a new export."""
    scope = _scope(request)
    form = SyncUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["organisation"]
        root = (
            Organisation.objects.scoped(request.user, Action.SYNC_MEMBER).filter(code=code).first()
            if code
            else scope
        )
        if root is None:
            form.add_error("organisation", _("No such record."))
        else:
            upload = form.cleaned_data["file"]
            stored = _upload_dir() / f"{uuid.uuid4().hex}{Path(upload.name).suffix.lower()}"
            with stored.open("wb") as out:
                for chunk in upload.chunks():
                    out.write(chunk)
            try:
                run, _job = jobs.start_preview(
                    actor=request.user, root=root, path=stored, name=upload.name, remove_file=True
                )
            except (ParseError, DomainError, TooManyJobs) as e:
                stored.unlink(missing_ok=True)
                form.add_error("file", getattr(e, "message", str(e)))
            else:
                return redirect("partysync:run_detail", run_id=run.pk)
    page = Paginator(selectors.run_list(request.user), PAGE).get_page(request.GET.get("page"))
    return render(request, "partysync/run_list.html", {"form": form, "scope": scope, "page": page})


@login_required
def run_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    """A run: its counts and, by tab, its rows (per-field changes) or the members missing from the file."""
    _scope(request)
    run = selectors.run_get(request.user, run_id)
    tab = request.GET.get("tab", "")
    if tab not in TABS:
        tab = "conflict" if run.conflicts else "changed"
    if tab == "missing":
        items: Any = selectors.run_missing(run)
    else:
        items = selectors.run_rows(run, kinds=[tab])
    page = Paginator(items, PAGE).get_page(request.GET.get("page"))
    rows = []
    if tab != "missing":
        for row in page.object_list:
            fields = [
                {
                    "name": name,
                    "header": HEADERS.get(name, name),
                    "old": change["old"],
                    "new": change["new"],
                    "outcome": change["outcome"],
                    "decision": row.decisions.get(name, ""),
                }
                for name, change in row.changes.items()
            ]
            rows.append({"row": row, "fields": fields})
    counts = {
        "changed": run.changed,
        "conflict": run.conflicts,
        "added": run.added,
        "key_conflict": run.key_conflicts,
        "bad": run.bad,
        "missing": run.missing,
        "unchanged": run.unchanged,
    }
    context = {
        "run": run,
        "tab": tab,
        "tabs": [
            (t, RowKind(t).label if t != "missing" else _("Missing from the file"), counts[t]) for t in TABS
        ],
        "page": page,
        "rows": rows,
        "ready": run.status == RunStatus.PREVIEW and run.apply_job_id is None,
        "decisions": Decision.choices,
    }
    return render(request, "partysync/run_detail.html", context)


@login_required
@require_POST
def run_decide(request: HttpRequest, run_id: int) -> HttpResponse:
    """Record the decisions of the conflicts shown: radio buttons ``d:<row>:<field>`` = ours | theirs."""
    _scope(request)
    run = selectors.run_get(request.user, run_id)
    decisions: dict[str, dict[str, str]] = {}
    for key, value in request.POST.items():
        parts = key.split(":")
        if len(parts) == 3 and parts[0] == "d" and parts[1].isdigit():
            decisions.setdefault(f"row:{parts[1]}", {})[parts[2]] = str(value)
    try:
        n = services.sync_decide(actor=request.user, run=run, decisions=decisions)
    except DomainError as e:
        messages.error(request, e.message)
    else:
        messages.success(request, _("%(n)d decisions recorded.") % {"n": n})
    number = str(request.POST.get("page", "1"))
    number = number if number.isdigit() else "1"
    return redirect(reverse("partysync:run_detail", args=[run.pk]) + f"?tab=conflict&page={number}")


@login_required
@require_POST
def run_apply(request: HttpRequest, run_id: int) -> HttpResponse:
    """Start the job applying the run (one transaction: all or nothing)."""
    _scope(request)
    run = selectors.run_get(request.user, run_id)
    try:
        job = jobs.start_apply(actor=request.user, run=run)
    except (DomainError, TooManyJobs) as e:
        messages.error(request, getattr(e, "message", str(e)))
        return redirect("partysync:run_detail", run_id=run.pk)
    return redirect("jobs:job_detail", pk=job.pk)
