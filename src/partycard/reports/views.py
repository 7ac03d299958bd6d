"""The report pages: the overview of the actor's organisation, the drill-down to any organisation under
it (down to a cell), the slowest organisations, the export, and the home page officers land on.

Thin (STYLE.md rule 8): parse, the scoped selectors, render. An organisation outside the actor's subtree
is ``OutOfScope``, which the request guard turns into the same 404 as a missing one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode

from partycard.accounts.roles import Action, allowed
from partycard.core import clock
from partycard.core.db_router import replica_reads
from partycard.core.scope import OutOfScope, role_of, scope_path
from partycard.inspections.choices import FindingKind
from partycard.inspections.selectors import inspection_summary
from partycard.meetings.selectors import attendance_summary, year_before
from partycard.registry import selectors as registry_selectors
from partycard.registry import views as registry_views
from partycard.reports import documents, presenters, selectors, services
from partycard.reports.figures import CHILD_COLUMNS, SECTIONS, figures, metric_label
from partycard.reports.formats import vi_date
from partycard.reports.forms import AsOfForm, ExportForm, LaggingForm
from partycard.reports.progress import Stage

__all__ = ["detail", "export", "home", "lagging", "overview"]

TREND_DAYS = 30  # the trend line's window, ending on the "as of" day
# The home page's few figures (``figures.Figure.key``): the way from the members to the card in hand.
_HEADLINE = {"members", "eligible", "accepted", "delivered", "handed_over", "old_recovered"}


def _as_of(request: HttpRequest) -> tuple[AsOfForm, dt.date | None]:
    form = AsOfForm(request.GET or None)
    on = form.cleaned_data.get("ngay") if form.is_bound and form.is_valid() else None
    return form, on


def _link(name: str, code: str, on: dt.date | None, **kwargs: Any) -> str:
    url = reverse(name, kwargs={"code": code, **kwargs})
    return f"{url}?{urlencode({'ngay': on.isoformat()})}" if on else url


def _report(request: HttpRequest, code: str | None) -> HttpResponse:
    actor = request.user
    form, on = _as_of(request)
    campaign = selectors.campaign_current()  # once, not once per selector
    org = selectors.progress_get(actor, code=code, on=on, campaign=campaign)
    children = (
        selectors.progress_children(actor, code=org.code, on=on, campaign=campaign)
        if org.has_children
        else []
    )
    end = on or clock.today()
    start = end - dt.timedelta(days=TREND_DAYS - 1)
    trend = selectors.progress_trend(actor, code=org.code, start=start, end=end, campaign=campaign)
    rows = figures(org)
    context = {
        "org": org,
        "on": on,
        "day": end,
        "form": form,
        "crumbs": [
            (c, name, _link("reports:detail", c, on))
            for c, name in selectors.progress_breadcrumbs(actor, code=org.code)
        ],
        "sections": [(label, [r for r in rows if r.section == key]) for key, label in SECTIONS.items()],
        "columns": CHILD_COLUMNS,
        "children": presenters.child_rows(children, href=lambda c: _link("reports:detail", c, on)),
        "total": presenters.child_rows([org], href=lambda c: "")[0],
        "funnel": presenters.funnel_svg(org),
        "bars": presenters.bars_svg(children, href=lambda c: _link("reports:detail", c, on))
        if children
        else "",
        "trend": presenters.trend_svg(trend),
        "lagging_url": _link("reports:lagging", org.code, None) if org.has_children else "",
        "export_urls": {fmt: _link("reports:export", org.code, on, fmt=fmt) for fmt in services.FORMATS},
        # The Inspection Commission's inspections of this subtree and their findings (none without the right).
        "inspections": _inspections(actor, org.path),
        # Attendance at the cell meetings of this subtree over the twelve months up to the day (meetings app).
        "attendance": _attendance(actor, org.code, end),
    }
    return render(request, "reports/report.html", context)


def _inspections(actor: Any, path: str) -> dict[str, Any] | None:
    """The inspections summary of the subtree with its findings labelled, or None when there is none."""
    summary = inspection_summary(actor, path=path)
    if not summary.total:
        return None
    return {
        "summary": summary,
        "findings": [(FindingKind(kind).label, n) for kind, n in summary.findings.items()],
    }


def _attendance(actor: Any, code: str, end: dt.date) -> dict[str, Any] | None:
    """The meetings held under ``code`` and their attendance, or None when none was held or visible."""
    summary = attendance_summary(actor, code=code, end=end)
    if summary is None:
        return None
    url = reverse("meetings:stats") + "?" + urlencode({"org": code})
    return {"stats": summary, "start": year_before(end), "end": end, "url": url}


@login_required
@replica_reads()
def overview(request: HttpRequest) -> HttpResponse:
    """The report of the actor's own organisation (their scope's root)."""
    return _report(request, None)


@login_required
@replica_reads()
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """The report of one organisation in the actor's subtree: its figures, and its children to go down."""
    return _report(request, code.strip().upper())


@login_required
@replica_reads()
def lagging(request: HttpRequest, code: str) -> HttpResponse:
    """The slowest organisations under ``code`` first, and the step where their members wait."""
    actor = request.user
    form = LaggingForm(request.GET or None)
    level = form.cleaned_data.get("cap") if form.is_bound and form.is_valid() else None
    code = code.strip().upper()
    crumbs = selectors.progress_breadcrumbs(actor, code=code)
    rows = selectors.progress_lagging(actor, code=code, level=level, limit=50)
    context = {
        "name": crumbs[-1][1],
        "code": code,
        "form": form,
        "crumbs": [(c, n, _link("reports:detail", c, None)) for c, n in crumbs],
        "rows": [
            {
                "lag": r,
                "url": _link("reports:detail", r.progress.code, None),
                "stuck": metric_label(r.stuck_state) if r.stuck_state else "",
                "handed_over": r.progress.share(Stage.HANDED_OVER),
                "accepted": r.progress.share(Stage.ACCEPTED),
            }
            for r in rows
        ],
    }
    return render(request, "reports/lagging.html", context)


@login_required
def export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """GET: the letterhead form, proposed from the organisation. POST: the report as a file (audited)."""
    actor = request.user
    code = code.strip().upper()
    if fmt not in services.FORMATS:
        raise OutOfScope("fmt")  # the same 404 as a missing report
    facts = selectors.report_letterhead(actor, code=code)
    if request.method == "POST":
        form = ExportForm(request.POST)
        if form.is_valid():
            done = services.progress_export(
                actor=actor, code=code, fmt=fmt, head=form.letterhead(), on=form.cleaned_data["ngay"]
            )
            response = HttpResponse(done.content, content_type=done.content_type)
            response["Content-Disposition"] = f'attachment; filename="{done.filename}"'
            return response
    else:
        _form, on = _as_of(request)
        day = on or clock.today()
        initial = documents.letterhead_defaults(**facts)
        initial |= {
            "ngay": on,
            "issued_on": vi_date(clock.today()),
            "subject": f"tiến độ đổi thẻ đảng viên đến ngày {vi_date(day)}",
        }
        form = ExportForm(
            initial={k: vi_date(v) if isinstance(v, dt.date) else v for k, v in initial.items()}
        )
    context = {
        "form": form,
        "fmt": fmt,
        "facts": facts,
        "code": code,
        "crumbs": [
            (c, n, _link("reports:detail", c, None))
            for c, n in selectors.progress_breadcrumbs(actor, code=code)
        ],
    }
    return render(request, "reports/export.html", context)


@login_required
@replica_reads()
def home(request: HttpRequest) -> HttpResponse:
    """The landing page. An officer who may read reports sees the headline progress of their organisation
    (a few figures and the funnel, with the way to the full report) and its organisations and members by
    level; anyone else gets the registry's landing page (a member: their own record), unchanged."""
    user = request.user
    if not allowed(role_of(user) or "", Action.VIEW_REPORT) or scope_path(user) is None:
        return registry_views.home(request)
    root = registry_selectors.scope_root(user, Action.VIEW_ORGANISATION)
    if root is None:
        return registry_views.home(request)
    org = selectors.progress_get(user, code=root.code)
    counts = selectors.organisation_levels(root, members=org.members)
    role = role_of(user) or ""
    context = {
        "org": org,
        "root": root,
        "counts": counts,
        "total_members": sum(c.members for c in counts),
        "funnel": presenters.funnel_svg(org, stages=presenters.HEADLINE_FUNNEL, chart_id="home-funnel"),
        "headline": [r for r in figures(org) if r.key in _HEADLINE],
        "can_add": allowed(role, Action.ADD_MEMBER),
        "can_import": allowed(role, Action.IMPORT_MEMBER),
    }
    return render(request, "reports/home.html", context)
