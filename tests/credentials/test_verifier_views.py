"""The offline verifier's views (/kiem-tra/): the page, the service worker and the manifest. The verifying
itself runs in the browser (tests/web/test_verifier_browser.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from django.urls import reverse
from PIL import Image

from partycard.credentials.verifier_views import SHELL_ASSETS
from partycard.trust import oids

pytestmark = pytest.mark.django_db

ROOT_PEM = (Path(__file__).resolve().parents[1] / "vectors" / "qr" / "root.pem").read_text(encoding="ascii")


@pytest.fixture
def pki_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    return tmp_path


def test_urls_are_under_kiem_tra() -> None:
    assert reverse("verifier:page") == "/kiem-tra/"
    assert reverse("verifier:service_worker") == "/kiem-tra/sw.js"
    assert reverse("verifier:manifest") == "/kiem-tra/manifest.webmanifest"


def test_page_is_public_and_embeds_the_root(client: Client, pki_dir: Path) -> None:
    (pki_dir / "root.pem").write_text(ROOT_PEM, encoding="ascii")
    response = client.get("/kiem-tra/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>Kiểm tra thẻ đảng viên</title>" in html
    assert '<link rel="manifest" href="/kiem-tra/manifest.webmanifest">' in html
    embedded = re.search(r'<script id="root-pem" type="application/json">(.*?)</script>', html, re.S)
    assert embedded is not None and json.loads(embedded.group(1)) == ROOT_PEM
    config = re.search(r'<script id="verifier-config" type="application/json">(.*?)</script>', html, re.S)
    assert config is not None
    assert json.loads(config.group(1))["trustListUrl"] == "/api/v1/trust-list"
    assert json.loads(config.group(1))["oidArc"] == oids.PARTYCARD_ARC  # the issuer's OIDs (der.js oidArcSet)
    # No inline script may run under the CSP: only JSON data blocks and the module from /static/.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'type="application/json"' in tag or ('type="module"' in tag and 'src="/static/' in tag), tag
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_page_without_a_root_still_renders(client: Client, pki_dir: Path) -> None:
    response = client.get("/kiem-tra/")
    assert response.status_code == 200
    assert '<script id="root-pem" type="application/json">""</script>' in response.content.decode()


def _config(body: bytes) -> tuple[dict[str, Any], str]:
    """The configuration line the view puts before static/verifier/sw.js, and the rest."""
    first_line, rest = body.decode().split("\n", 1)
    config: dict[str, Any] = json.loads(
        first_line.removeprefix("self.PARTYCARD_VERIFIER = ").removesuffix(";")
    )
    return config, rest


def test_service_worker_controls_kiem_tra(client: Client, pki_dir: Path) -> None:
    response = client.get("/kiem-tra/sw.js")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert response.headers["Service-Worker-Allowed"] == "/kiem-tra/"
    assert "no-cache" in response.headers["Cache-Control"]
    config, rest = _config(response.content)
    assert config["scope"] == "/kiem-tra/"
    assert config["shell"][:2] == ["/kiem-tra/", "/kiem-tra/manifest.webmanifest"]
    assert {f"/static/{a}" for a in SHELL_ASSETS} <= set(config["shell"])
    assert 'addEventListener("fetch"' in rest

    (pki_dir / "root.pem").write_text(ROOT_PEM, encoding="ascii")  # a new root: a new shell version
    again, _ = _config(client.get("/kiem-tra/sw.js").content)
    assert again["version"] != config["version"]


def test_every_shell_asset_exists() -> None:
    for asset in (*SHELL_ASSETS, "verifier/sw.js", "verifier/vendor/jsQR.LICENSE"):
        assert finders.find(asset), asset


def test_manifest_makes_it_installable(client: Client) -> None:
    response = client.get("/kiem-tra/manifest.webmanifest")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Kiểm tra thẻ đảng viên"
    assert manifest["start_url"] == manifest["scope"] == "/kiem-tra/"
    assert manifest["display"] == "standalone"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in manifest["icons"]:
        found = finders.find(icon["src"].removeprefix("/static/"))
        assert found, icon
        width, height = Image.open(str(found)).size
        assert f"{width}x{height}" == icon["sizes"]


def test_only_get(client: Client) -> None:
    assert client.post("/kiem-tra/").status_code == 405
    assert client.post("/kiem-tra/sw.js").status_code == 405
