"""Thin views: parse, call one selector, render (STYLE.md rule 8)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from partycard.accounts.roles import Action
from partycard.registry import selectors


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The user's organisation with organisation and member counts by level in its subtree."""
    root = selectors.scope_root(request.user, Action.VIEW_ORGANISATION)
    counts = selectors.level_counts(root) if root else []
    total = sum(c.members for c in counts)
    return render(request, "registry/home.html", {"root": root, "counts": counts, "total_members": total})


@login_required
def member_search_page(request: HttpRequest) -> HttpResponse:
    """Accent-insensitive name search inside the user's subtree (the full member list comes later)."""
    root = selectors.scope_root(request.user, Action.SEARCH_MEMBER)
    query = request.GET.get("q", "").strip()
    members = selectors.member_search(root, query, limit=50) if root and query else []
    return render(request, "registry/member_search.html", {"root": root, "query": query, "members": members})
