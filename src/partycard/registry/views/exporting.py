"""The roster export page (``/dang-vien/xuat/``): a small subtree's .xlsx in the request, a large one as a
background job.

A subtree of at most ``EXPORT_INLINE_MEMBERS`` members (a commune: docs/performance.md, "Roster export")
is written and sent at once. A larger one would keep the request open for minutes, which a proxy cuts
off: the page says how many members it holds and offers to prepare the file in the background; the
officer submits, lands on the job's page (``/tac-vu/<id>/``), which shows the progress and, once done, a
download link that only they can use, while the file lives (``jobs``). The organisation is looked up in
the actor's scope for exporting: outside it, the same 404 as a missing one, whichever the method.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.jobs import storage
from partycard.jobs.errors import TooManyJobs
from partycard.registry import selectors
from partycard.registry.exporting import CONTENT_TYPE, export_filename, export_members, export_roster
from partycard.registry.jobs import start_export
from partycard.registry.models import Organisation

__all__ = ["member_export"]


def _root(request: HttpRequest) -> Organisation:
    """The organisation asked for (default: the top of the actor's export scope), in scope or 404."""
    code = (request.POST.get("organisation") or request.GET.get("organisation") or "").strip().upper()
    if code:
        return get_scoped_or_404(Organisation, request.user, Action.EXPORT_MEMBER, code=code)
    top = selectors.scope_root(request.user, Action.EXPORT_MEMBER)
    if top is None:
        raise Http404(_("No such record."))
    return top


@login_required
@require_http_methods(["GET", "POST"])
def member_export(request: HttpRequest) -> HttpResponseBase:
    """GET: the file itself (small subtree) or the page offering the background job (large); POST: start
    that job and go to its page."""
    root = _root(request)
    if request.method == "POST":
        try:
            job = start_export(actor=request.user, root=root)
        except TooManyJobs as e:
            messages.error(request, e.message)
            return redirect(f"{request.path}?organisation={root.code}")
        return redirect("jobs:job_detail", pk=job.pk)
    members = export_members(request.user, root).count()
    limit = int(settings.PARTYCARD["EXPORT_INLINE_MEMBERS"])
    if members > limit:
        hours = round(float(settings.PARTYCARD["JOB_FILE_TTL_SECONDS"]) / 3600)
        context = {"root": root, "members": members, "limit": limit, "hours": hours}
        return render(request, "registry/member_export.html", context)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - FileResponse closes it
        dir=storage.scratch_root(), suffix=".xlsx", delete=False
    )
    path = Path(handle.name)
    handle.close()
    try:
        export_roster(root, path, actor=request.user)
        response = FileResponse(
            path.open("rb"), as_attachment=True, filename=export_filename(root), content_type=CONTENT_TYPE
        )
    finally:
        path.unlink(missing_ok=True)  # an open handle keeps the data until the response is sent (POSIX)
    response["Cache-Control"] = "private, no-store"
    return response
