"""The offline web verifier (an installable PWA at ``/kiem-tra/``): the page, its service worker and its
web app manifest. Thin: the verifying is done in the browser (static/verifier/verify.js, WebCrypto)
against the trust list and status lists the API publishes; these views only serve the shell.

The service worker is served from ``/kiem-tra/sw.js`` (a worker's scope cannot be wider than its own
directory, and static files live under ``/static/``); its content is ``static/verifier/sw.js`` after one
line naming the app shell's URLs and a version that changes with any of their bytes, so a new release
replaces the cached shell.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from partycard.core.service_worker import assets_version, service_worker_response
from partycard.core.signing import pki_directory
from partycard.trust import oids

__all__ = ["SHELL_ASSETS", "manifest", "service_worker", "verifier_page"]

SCOPE = "/kiem-tra/"
TRUST_LIST_URL = "/api/v1/trust-list"
#: The static files of the app shell, cached by the service worker for use offline.
SHELL_ASSETS = (
    "verifier/app.js",
    "verifier/verify.js",
    "verifier/sdjwt.js",
    "verifier/codec.js",
    "verifier/der.js",
    "verifier/store.js",
    "verifier/scan.js",
    "verifier/verifier.css",
    "verifier/vendor/jsQR.js",
    "verifier/icons/icon-192.png",
    "verifier/icons/icon-512.png",
    "partycard/fonts/noto-sans-regular.woff2",  # the site's font (verifier.css)
    "partycard/fonts/noto-sans-bold.woff2",
)
_ROOT_PEM_MAX = 64 * 1024


def _root_pem() -> str:
    """The pinned root certificate (PEM) of this server's authority, '' if ``pki init`` never ran."""
    path = pki_directory() / "root.pem"
    try:
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError):
        return ""
    return text if "-----BEGIN CERTIFICATE-----" in text and len(text) < _ROOT_PEM_MAX else ""


def _status_list_uris() -> list[str]:
    """The URIs of this server's status lists, so the page can fetch every one while online (a card
    scanned offline then finds its list). Empty when the credentials tables are not there yet."""
    try:
        from partycard.credentials.models import StatusListRecord
        from partycard.credentials.services import status_list_uri

        return [
            status_list_uri(pk) for pk in StatusListRecord.objects.order_by("pk").values_list("pk", flat=True)
        ]
    except Exception:  # an offline-first page must render even when the database cannot answer
        return []


@require_GET
def verifier_page(request: HttpRequest) -> HttpResponse:
    """The verifier page: public (it holds nothing secret), the root certificate embedded."""
    return render(
        request,
        "verifier/index.html",
        {
            "root_pem": _root_pem(),
            "config": {
                "trustListUrl": TRUST_LIST_URL,
                "statusListUris": _status_list_uris(),
                "serviceWorkerUrl": reverse("verifier:service_worker"),
                "scope": SCOPE,
                "jsqrUrl": static("verifier/vendor/jsQR.js"),
                "oidArc": oids.PARTYCARD_ARC,  # PARTYCARD_OID_ARC: the verifier's OIDs are the issuer's
            },
        },
    )


def _shell_urls() -> list[str]:
    return [SCOPE, reverse("verifier:manifest"), *(static(asset) for asset in SHELL_ASSETS)]


def _shell_version() -> str:
    return assets_version((*SHELL_ASSETS, "verifier/sw.js"), _root_pem())


@require_GET
@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """``static/verifier/sw.js`` with its configuration, allowed to control ``/kiem-tra/``."""
    config = {"version": _shell_version(), "shell": _shell_urls(), "scope": SCOPE}
    return service_worker_response(
        "verifier/sw.js", global_name="PARTYCARD_VERIFIER", config=config, scope=SCOPE
    )


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest: installable, standalone, starting at the verifier."""
    data = {
        "name": "Kiểm tra thẻ đảng viên",
        "short_name": "Kiểm tra thẻ",
        "description": "Kiểm tra thẻ đảng viên điện tử (mã QR), cả khi không có mạng",
        "lang": "vi",
        "start_url": SCOPE,
        "scope": SCOPE,
        "id": SCOPE,
        "display": "standalone",
        "orientation": "portrait",
        "background_color": "#f6f3ef",
        "theme_color": "#b71c1c",
        "icons": [
            {"src": static("verifier/icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("verifier/icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static("verifier/icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    return JsonResponse(
        data, content_type="application/manifest+json", json_dumps_params={"ensure_ascii": False}
    )
