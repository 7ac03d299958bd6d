"""Serving a service worker from the site's static files: the verifier, the member's app and the check-in
page each ship one. It is served from a URL inside the scope it controls (with ``Service-Worker-Allowed``)
and prefixed with its configuration, so the script itself stays a static file and the site's CSP holds."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.http import Http404, HttpResponse
from django.templatetags.static import static

__all__ = ["assets_version", "service_worker_response"]


def assets_version(assets: Iterable[str], *extra: str) -> str:
    """A short digest of the static ``assets`` (their bytes and URLs) and of ``extra`` texts: the cache
    name of an offline shell, new whenever one of them changes."""
    digest = hashlib.sha256()
    for asset in assets:
        found = finders.find(asset)
        if found:
            digest.update(Path(str(found)).read_bytes())
        digest.update(static(asset).encode())
    for text in extra:
        digest.update(text.encode())
    return digest.hexdigest()[:16]


def service_worker_response(
    asset: str, *, global_name: str, config: dict[str, Any], scope: str
) -> HttpResponse:
    """The static script ``asset`` preceded by ``self.<global_name> = <config as JSON>;``, allowed to
    control ``scope``.

    Raises:
        Http404: the script is not among the static files.
    """
    found = finders.find(asset)
    if not found:
        raise Http404("no service worker")
    body = f"self.{global_name} = {json.dumps(config)};\n" + Path(str(found)).read_text("utf-8")
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = scope
    return response
