"""Where a form sends the user back to, and where an old address now lives.

``next_url``: the ``next`` a form names, only if it stays on this site. ``moved``: a permanent redirect
from a path the site used to have (the registry's English paths before every page took a Vietnamese one),
keeping the query string, so that bookmarks and links in old documents still work.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.urls import URLPattern, re_path
from django.utils.http import url_has_allowed_host_and_scheme

__all__ = ["moved", "next_url"]


def next_url(request: HttpRequest, default: str) -> str:
    """``next`` (POST, then GET) when it is a page of this site, else ``default`` (no open redirect)."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if target and safe else default


def moved(old: str, new: str) -> URLPattern:
    """A 301 from the regex ``old`` (without ``^``/``$``) to ``new``, a template of its named groups."""

    def view(request: HttpRequest, **groups: str) -> HttpResponse:
        target = new.format(**groups)
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(f"{target}?{query}" if query else target)

    return re_path(f"^{old}$", view)
