"""The dashboard: the user's organisation, and organisations and members by level in its subtree."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partycard.accounts.roles import Action, allowed
from partycard.core.scope import role_of
from partycard.registry import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    root = selectors.scope_root(request.user, Action.VIEW_ORGANISATION)
    counts = selectors.level_counts(root) if root else []
    role = role_of(request.user) or ""
    context = {
        "root": root,
        "counts": counts,
        "total_members": sum(c.members for c in counts),
        "can_add": allowed(role, Action.ADD_MEMBER),
        "can_import": allowed(role, Action.IMPORT_MEMBER),
        "own_member_id": getattr(request.user, "member_id", None),
    }
    return render(request, "registry/home.html", context)
