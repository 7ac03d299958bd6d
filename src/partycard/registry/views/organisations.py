"""The organisation tree browser: the scope's top organisation, children loaded when a node is opened."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from partycard.accounts.roles import Action
from partycard.core.scope import get_scoped_or_404
from partycard.registry import selectors
from partycard.registry.models import Organisation


@login_required
def organisation_tree(request: HttpRequest) -> HttpResponse:
    """``?root=CODE`` opens the tree at an organisation inside the scope (the no-JavaScript path)."""
    top = selectors.scope_root(request.user, Action.VIEW_ORGANISATION)
    if top is None:
        raise Http404(_("No such record."))
    code = request.GET.get("root", "").strip().upper()
    root = get_scoped_or_404(Organisation, request.user, Action.VIEW_ORGANISATION, code=code) if code else top
    breadcrumbs = list(
        Organisation.objects.filter(path__in=_ancestor_paths(root.path, top.path)).order_by("path")
    )
    nodes = selectors.organisation_children(root)
    context = {
        "root": root,
        # the children's totals already cover the subtree: no second pass over it (~0.1 s at the Centre)
        "total": root.member_count + sum(n.members for n in nodes),
        "nodes": nodes,
        "breadcrumbs": breadcrumbs,
    }
    return render(request, "registry/organisation_tree.html", context)


@login_required
def organisation_children(request: HttpRequest, code: str) -> HttpResponse:
    """The children of one node as list items (htmx fragment)."""
    parent = get_scoped_or_404(Organisation, request.user, Action.VIEW_ORGANISATION, code=code)
    return render(request, "registry/_tree_nodes.html", {"nodes": selectors.organisation_children(parent)})


def _ancestor_paths(path: str, top_path: str) -> list[str]:
    """The paths from the scope's top down to ``path`` (the breadcrumbs never go above the scope)."""
    codes = path.rstrip(".").split(".")
    paths = [".".join(codes[: i + 1]) + "." for i in range(len(codes))]
    return [p for p in paths if p.startswith(top_path)]
