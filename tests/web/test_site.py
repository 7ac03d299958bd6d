"""The site's frame (issue 15): one URL language with the old paths redirected, one font served from the
site itself, a favicon that is not the Party's emblem, the brand in Vietnamese, a menu that says where the
officer is, and no file fetched from elsewhere."""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

import partycard
from tests.web.office import Office, campaign, office, officers

pytestmark = pytest.mark.django_db

__all__ = ["campaign", "office", "officers"]

PACKAGE = Path(partycard.__file__).resolve().parent

# The registry's English paths of issue 2 and where they live now.
MOVED = {
    "/registry/organisations/": "/to-chuc/",
    "/registry/organisations/HN-BD/children/": "/to-chuc/HN-BD/cap-duoi/",
    "/registry/members/": "/dang-vien/",
    "/registry/members/new/": "/dang-vien/them/",
    "/registry/members/export/": "/dang-vien/xuat/",
    "/registry/members/42/": "/dang-vien/42/",
    "/registry/members/42/edit/": "/dang-vien/42/sua/",
    "/registry/import/": "/nhap-du-lieu/",
}
# Path words that stay as they are: Django's admin, the API, the static files, file and format names.
KEPT = {"admin", "api", "v1", "static", "favicon.ico", "sw.js", "manifest.webmanifest", "sd-jwt", "pdf"}


def test_the_old_paths_redirect_for_good_with_their_query(client: Client) -> None:
    for old, new in MOVED.items():
        response = client.get(old, {"q": "nguyen van an", "status": "official"})
        assert response.status_code == 301, old
        assert response["Location"] == f"{new}?q=nguyen+van+an&status=official", old


def _paths(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for entry in resolver.url_patterns:
        pattern = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if pattern in {"admin/", "api/v1/"}:
                continue
            found += _paths(entry, pattern)
        elif isinstance(entry, URLPattern):
            found.append(pattern)
    return found


def test_every_page_path_is_vietnamese() -> None:
    """Each word of every path (the old registry paths aside, which only redirect) is a Vietnamese slug."""
    english = {
        *("organisations", "members", "member", "new", "edit", "export", "exports", "import", "children"),
        *("job", "jobs", "case", "cases", "queue", "cell", "card", "cards", "tokens", "login", "logout"),
        *("verify", "shipment", "meeting", "register", "production", "batch", "layout", "proof", "reports"),
        *(
            "report",
            "inspection",
            "inspections",
            "officer",
            "officers",
            "search",
            "tree",
            "dashboard",
            "home",
        ),
    }
    bad = []
    for pattern in _paths(get_resolver()):
        if pattern.startswith("^registry/"):
            continue
        words = {w for w in re.split(r"[/^$]+", re.sub(r"<[^>]+>|\(\?P<[^>]+>[^)]*\)", "", pattern)) if w}
        for word in words - KEPT:
            if set(word.split("-")) & english or word.split(".")[0] in english:
                bad.append(pattern)
    assert bad == []


def test_the_favicon_is_a_card_of_the_site_and_is_served(client: Client) -> None:
    svg = Path(finders.find("partycard/favicon.svg")).read_text()
    assert "<svg" in svg and "star" not in svg.lower() and "<image" not in svg  # drawn, not the emblem
    ico = Path(finders.find("partycard/favicon.ico")).read_bytes()
    assert ico[:4] == b"\x00\x00\x01\x00"  # an ICO file
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/partycard/favicon.ico"


def test_one_font_served_by_the_site_everywhere() -> None:
    for css in ("partycard/site.css", "partycard/admin.css", "verifier/verifier.css"):
        text = Path(finders.find(css)).read_text()
        faces = re.findall(r"@font-face\s*{[^}]*}", text)
        assert faces and all('font-family: "Noto Sans"' in f and "font-display: swap" in f for f in faces)
        for url in re.findall(r'url\("([^"]+)"\)', text):
            assert not url.startswith(("http:", "https:", "//")), url
            assert (
                Path(finders.find(posixpath.normpath(f"{posixpath.dirname(css)}/{url}"))).read_bytes()[:4]
                == b"wOF2"
            )
        families = set(re.findall(r"font-family:\s*([^;}]+)", text)) | set(
            re.findall(r"--font-family-primary:\s*([^;}]+)", text)
        )
        assert families <= {'"Noto Sans"', '"Noto Sans", sans-serif', "monospace"}, (
            families
        )  # code: monospace


def test_no_page_fetches_anything_from_elsewhere(client: Client, login: Any, office: Office) -> None:
    login(client, office.admin)
    for url in ("/", "/dang-vien/", "/admin/", "/doi-the/"):
        page = client.get(url).content.decode()
        assert not re.search(r'(src|href)="(https?:)?//', page), url
    for template in PACKAGE.joinpath("templates").rglob("*.html"):
        text = template.read_text()
        assert "fonts.googleapis" not in text and "cdn." not in text, template


def test_the_brand_and_the_menu(client: Client, login: Any, office: Office) -> None:
    login(client, office.officers.grassroots)
    page = client.get("/doi-the/").content.decode()
    assert "<title>Đổi thẻ đảng viên · Hệ thống thẻ đảng viên</title>" in page
    assert re.search(r'class="brand"[^>]*>.*Hệ thống thẻ đảng viên</a>', page)
    assert "partycard" not in page.lower().replace("/static/partycard/", "")
    current = re.findall(r'<a href="([^"]+)" aria-current="page">', page)
    assert current == ["/doi-the/"]  # the exchange, and not the overview
    home = client.get("/").content.decode()
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', home) == ["/"]
    admin = Client()
    login(admin, office.admin)
    index = admin.get("/admin/").content.decode()
    assert "Hệ thống thẻ đảng viên · Quản trị" in index and "partycard/admin.css" in index
