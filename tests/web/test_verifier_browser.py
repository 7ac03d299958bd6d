"""The offline web verifier (/kiem-tra/) in a real browser (Debian's Chromium, headless, Playwright).

- Every case of the shared QR vectors (tests/vectors/qr/cases.json) goes through the browser's verifier
  (static/verifier/verify.js, WebCrypto) and the Python verifier (partycard.verify.qr): same outcome,
  same codes in the same order, same holder data.
- Trust lists and status list tokens, genuine and spoiled, are refused by both with the same error.
- The PWA end to end: the page from the live server, the service worker in control, the trust list from
  the real /api/v1/trust-list, a status list fetched when a card is first checked; then the network off,
  a reload, and a fresh rotating QR judged from the cached data, with the data's date shown; and, with
  the clock eight days on, "cannot tell" because the data is stale.
- The camera: a fake capture device showing a QR code; jsQR reads it (headless Chromium on Linux has no
  BarcodeDetector) and the verdict follows.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from playwright.sync_api import expect

from partycard.ecard.device import device_qr
from partycard.ecard.qr import CardClaims, qr_credential_sign, qr_encode, qr_png
from partycard.ecard.status import StatusList, status_list_jwt_sign, status_list_pack
from partycard.trust.errors import TrustError
from partycard.trust.keystore.file import FileKeyStore
from partycard.trust.trustlist import trustlist_verify
from partycard.verify.qr import qr_verdict
from partycard.verify.status import status_list_verify_jwt
from tests.pki import build_small_pki
from tests.web.browser import ARGS, CHROMIUM, require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "qr"
CASES: dict[str, Any] = json.loads((VECTORS / "cases.json").read_text(encoding="utf-8"))
# A function, not an expression: Playwright evaluates a bare expression with eval, which the CSP refuses.
READY = "() => document.documentElement.dataset.ready === '1'"


# --- the shared vectors ------------------------------------------------------------------------------------
def _status_json(name: str | None) -> dict[str, Any] | None:
    return None if name is None else json.loads((VECTORS / name).read_text(encoding="utf-8"))


def _status_list(raw: dict[str, Any] | None) -> StatusList | None:
    if raw is None:
        return None
    return StatusList(
        uri=raw["uri"],
        bits=raw["bits"],
        statuses=base64.b64decode(raw["statuses"], validate=True),
        issued_at=datetime.fromisoformat(raw["issued_at"]),
        expires_at=datetime.fromisoformat(raw["expires_at"]) if raw.get("expires_at") else None,
        ttl=timedelta(seconds=raw["ttl"]) if raw.get("ttl") else None,
    )


def _js_verify(page: Any, text: str, **options: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(
        "([text, options]) => window.partycardVerify(text, options)", [text, options]
    )
    return result


@pytest.fixture
def verifier_page(live_server: Any, page: Any) -> Any:
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    return page


def test_every_shared_vector_gives_the_python_verdict(verifier_page: Any) -> None:
    root_pem = (VECTORS / CASES["root"]).read_text(encoding="ascii")
    document = (VECTORS / CASES["trust_list"]).read_text(encoding="utf-8")
    root = x509.load_pem_x509_certificate(root_pem.encode())
    assert len(CASES["cases"]) >= 19
    for case in CASES["cases"]:
        text = (VECTORS / case["file"]).read_text(encoding="ascii").strip()
        status = _status_json(case["status_list"])
        now = datetime.fromisoformat(case["now"])
        python = qr_verdict(
            text,
            trust=trustlist_verify(document.encode(), root, now),
            root=root,
            now=now,
            status=_status_list(status),
            device_required=case["device_required"],
        )
        browser = _js_verify(
            verifier_page,
            text,
            now=case["now"],
            trustList=document,
            rootPem=root_pem,
            statusLists=[status] if status else [],
            deviceRequired=case["device_required"],
        )
        name = case["name"]
        assert browser["outcome"] == python.outcome.value == case["outcome"], name
        assert tuple(browser["codes"]) == python.codes == tuple(case["codes"]), name
        assert [r["message_vi"] for r in browser["reasons"]] == [r.message_vi for r in python.reasons], name
        assert browser["holder"] == dict(python.holder), name
        if "holder" in case:
            assert browser["holder"] == case["holder"], name


# --- a world of our own, at the real time (the PWA judges with the browser's clock) -------------------------
@dataclass
class World:
    store: FileKeyStore
    root: x509.Certificate
    ds: x509.Certificate
    trust_document: bytes
    credential: bytes
    status_uri: str
    now: datetime

    @property
    def root_pem(self) -> str:
        return self.root.public_bytes(Encoding.PEM).decode("ascii")

    def rotating_qr(self, at: datetime | None = None) -> str:
        return device_qr(
            self.credential, sign=lambda d: self.store.sign("device", d), at=at or datetime.now(UTC)
        )

    def status_jwt(
        self, *, uri: str | None = None, issued_at: datetime | None = None, label: str = "ds"
    ) -> str:
        issued = issued_at or self.now - timedelta(minutes=1)
        values = bytes([0, 0, 0, 1, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # index 3 revoked, 4 suspended
        return status_list_jwt_sign(
            self.store,
            label,
            self.ds if label == "ds" else self.root,
            uri=uri or self.status_uri,
            packed=bytes(status_list_pack(values, 2)),
            bits=2,
            issued_at=issued,
            expires_at=issued + timedelta(days=1),
            ttl=timedelta(minutes=15),
        )


def build_world(directory: Path, status_uri: str, *, index: int = 7) -> World:
    now = datetime.now(UTC).replace(microsecond=0)
    store = FileKeyStore(directory / "keys", b"verifier browser test passphrase")
    small = build_small_pki(store, now=now, name="test", document_types=("PC", "EC"))
    root, ds, document = small.root, small.ds, small.trust_document
    store.generate("device")
    issued = now - timedelta(days=1)
    claims = CardClaims(
        card_number="01.234.567",
        full_name="Nguyễn Thị Minh Khai",
        date_of_birth=date(1985, 7, 14),
        organisation_code="P01.02.003",
        member_status="official",
        issued_at=issued,
        expires_at=issued + timedelta(days=5 * 365),
        status_index=index,
        status_uri=status_uri,
        device_key=store.public_key("device"),
    )
    credential = qr_credential_sign(claims, store=store, signer_label="ds", signer_certificate=ds)
    return World(store, root, ds, document, credential, status_uri, now)


@pytest.fixture
def world(tmp_path: Path, live_server: Any, monkeypatch: pytest.MonkeyPatch) -> World:
    """Our world, published where the server looks (PARTYCARD_PKI_DIR: root.pem, trustlist.json), so
    the page embeds its root and /api/v1/trust-list serves its list."""
    built = build_world(tmp_path, f"{live_server.url}/api/v1/status-lists/1")
    (tmp_path / "root.pem").write_text(built.root_pem, encoding="ascii")
    (tmp_path / "trustlist.json").write_bytes(built.trust_document)
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    return built


def test_trust_lists_and_status_lists_are_refused_as_in_python(
    verifier_page: Any, world: World, tmp_path: Path
) -> None:
    document = json.loads(world.trust_document)
    payload = json.loads(base64.b64decode(document["payload"]))
    other = build_world(tmp_path / "other", world.status_uri)  # another root
    spoiled_payload = dict(payload, next_update="2099-01-01T00:00:00Z")
    trust_lists = {
        "genuine": world.trust_document.decode(),
        "another root's": other.trust_document.decode(),
        "payload changed": json.dumps(
            dict(document, payload=base64.b64encode(json.dumps(spoiled_payload).encode()).decode())
        ),
        "signature of another list": json.dumps(
            dict(document, signature=json.loads(other.trust_document)["signature"])
        ),
        "not json": "{",
        "a missing key": json.dumps({"payload": document["payload"]}),
    }
    module = "import('/static/verifier/verify.js')"
    for name, text in trust_lists.items():
        try:
            trustlist_verify(text.encode(), world.root, world.now)
            expected = "ok"
        except TrustError as e:
            expected = type(e).__name__
        got = verifier_page.evaluate(
            f"""async ([text, pem, now]) => {{
                const v = await {module};
                try {{ await v.trustListVerify(text, await v.rootLoad(pem), new Date(now)); return "ok"; }}
                catch (e) {{ return e.code || String(e); }}
            }}""",
            [text, world.root_pem, world.now.isoformat()],
        )
        assert got == expected, name
    assert trust_lists and expected != "ok"

    trust = trustlist_verify(world.trust_document, world.root, world.now)
    genuine = world.status_jwt()
    header, claims, _ = genuine.split(".")
    tokens = {
        "genuine": (genuine, world.status_uri),
        "for another URI": (genuine, world.status_uri + "0"),
        "signed by a key not on the list": (world.status_jwt(label="root"), world.status_uri),
        "signature of another token": (
            f"{header}.{claims}.{world.status_jwt(issued_at=world.now).split('.')[2]}",
            world.status_uri,
        ),
        "issued in an hour": (world.status_jwt(issued_at=world.now + timedelta(hours=1)), world.status_uri),
        "not a JWS": ("a.b", world.status_uri),
    }
    for name, (token, uri) in tokens.items():
        try:
            status_list_verify_jwt(token, trust=trust, root=world.root, now=world.now, uri=uri)
            expected = "ok"
        except ValueError as e:  # StatusListError and its subclasses
            expected = type(e).__name__
        got = verifier_page.evaluate(
            f"""async ([token, pem, doc, now, uri]) => {{
                const v = await {module};
                const root = await v.rootLoad(pem);
                const trust = await v.trustListVerify(doc, root, new Date(now));
                try {{
                    await v.statusListVerify(token, {{ trust, root, now: new Date(now), uri }});
                    return "ok";
                }} catch (e) {{ return e.code || String(e); }}
            }}""",
            [token, world.root_pem, world.trust_document.decode(), world.now.isoformat(), uri],
        )
        assert got == expected, name


# --- the PWA, online then offline --------------------------------------------------------------------------
def _serve_status_list(page: Any, world: World) -> list[str]:
    """Answer the status list URI with a token of our world (the credentials app's endpoint signs with the
    server's own authority, which this test does not set up); returns the URLs served."""
    served: list[str] = []

    def handle(route: Any) -> None:
        served.append(route.request.url)
        route.fulfill(status=200, content_type="application/statuslist+jwt", body=world.status_jwt())

    page.context.route("**/api/v1/status-lists/*", handle)
    return served


def _check(page: Any, text: str) -> str:
    page.fill("#qr-text", text)
    banner = page.locator("#verdict")
    banner.evaluate("element => element.removeAttribute('data-outcome')")  # wait for this check's verdict
    page.click("#verify-button")
    expect(banner).to_have_attribute("data-outcome", re.compile(r".+"))
    outcome: str = banner.get_attribute("data-outcome") or ""
    return outcome


def test_verifies_offline_from_cached_data(live_server: Any, page: Any, world: World) -> None:
    served = _serve_status_list(page, world)
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == (
        f"{live_server.url}/kiem-tra/sw.js"
    )
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    trust_state = page.locator("#trust-state")
    expect(trust_state).to_have_attribute("data-stale", "false")  # fetched from /api/v1/trust-list
    fetched = trust_state.get_attribute("data-fetched-at")

    assert _check(page, world.rotating_qr()) == "valid"  # online: the card's status list is fetched
    assert served == [world.status_uri]
    assert page.locator("#holder-data [data-field=full_name]").inner_text() == "Nguyễn Thị Minh Khai"
    assert page.locator("#holder-data [data-field=date_of_birth]").inner_text() == "14/07/1985"
    assert page.locator("#holder-title").inner_text() == "Thông tin trên thẻ"

    page.context.set_offline(True)
    page.reload()  # the service worker serves the shell
    page.wait_for_function(READY)
    expect(page.locator("#network")).to_have_text("Ngoại tuyến")
    expect(trust_state).to_have_attribute("data-fetched-at", fetched or "")
    local = datetime.fromisoformat((fetched or "").replace("Z", "+00:00")).astimezone()
    expect(trust_state).to_contain_text(f"Tải về lúc {local:%d/%m/%Y %H:%M}")
    expect(page.locator("#status-state")).to_contain_text("Danh sách số 1: tải về lúc")
    assert "QUÁ HẠN" not in trust_state.inner_text()

    assert _check(page, world.rotating_qr()) == "valid"
    assert page.locator("#reasons li").count() == 0
    assert "Dữ liệu tải về lúc" in page.locator("#verdict-time").inner_text()
    assert _check(page, qr_encode(world.credential)) == "invalid"  # a static QR: the proof is required
    assert page.locator("#reasons li").first.get_attribute("data-code") == "device_proof_missing"
    assert page.locator("#holder-title").inner_text() == "Thông tin đọc được (CHƯA được xác thực)"
    page.check("#allow-static")
    assert _check(page, qr_encode(world.credential)) == "valid"
    assert served == [world.status_uri]  # nothing fetched while offline


def test_stale_cached_data_gives_cannot_tell(live_server: Any, page: Any, world: World) -> None:
    _serve_status_list(page, world)
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    assert _check(page, world.rotating_qr()) == "valid"

    later = datetime.now(UTC) + timedelta(days=8)  # past the trust list's next update and the list's exp
    page.context.set_offline(True)
    page.clock.install(time=later)
    page.reload()
    page.wait_for_function(READY)
    expect(page.locator("#trust-state")).to_contain_text("QUÁ HẠN")
    expect(page.locator("#trust-state")).to_have_attribute("data-stale", "true")
    assert _check(page, world.rotating_qr(at=later)) == "cannot_tell"
    codes = [li.get_attribute("data-code") for li in page.locator("#reasons li").all()]
    assert codes == ["trust_list_stale", "status_list_stale"]
    assert page.locator("#verdict").inner_text() == "? CHƯA XÁC ĐỊNH ĐƯỢC"


def test_revoked_card_is_refused(live_server: Any, page: Any, world: World, tmp_path: Path) -> None:
    revoked = build_world(tmp_path / "revoked", world.status_uri, index=3)
    world.credential = revoked.credential  # same status list URI; index 3 is revoked in it
    world.store, world.ds = revoked.store, revoked.ds
    (tmp_path / "root.pem").write_text(revoked.root_pem, encoding="ascii")
    (tmp_path / "trustlist.json").write_bytes(revoked.trust_document)
    _serve_status_list(page, world)
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    assert _check(page, world.rotating_qr()) == "invalid"
    assert [li.get_attribute("data-code") for li in page.locator("#reasons li").all()] == ["revoked"]
    assert page.locator("#reasons li").first.inner_text().startswith("Thẻ đã bị thu hồi")


def test_page_without_trust_data_says_cannot_tell(
    live_server: Any, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))  # no root.pem: nothing to verify with
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    expect(page.locator("#data-error")).to_contain_text("chưa có chứng thư gốc")
    assert _check(page, "PC1:ABC") == "cannot_tell"
    assert page.locator("#reasons li").first.get_attribute("data-code") == "trust_list_missing"


# --- the camera ---------------------------------------------------------------------------------------------
def _y4m(png: bytes, path: Path, size: int = 480) -> None:
    """A Y4M video (what Chromium's fake capture device plays) of the QR code on white."""
    from io import BytesIO

    from PIL import Image

    code = Image.open(BytesIO(png)).convert("L")
    side = size - 40
    code = code.resize((side, side), Image.Resampling.NEAREST)
    frame = Image.new("L", (size, size), 255)
    frame.paste(code, (20, 20))
    y = frame.tobytes()
    chroma = bytes([128]) * (size // 2) * (size // 2)
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{size} H{size} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(10):
            out.write(b"FRAME\n" + y + chroma + chroma)


@pytest.fixture
def camera_page(tmp_path: Path) -> Iterator[tuple[Any, Path]]:
    """A page whose camera shows ``video.y4m`` (written by the test before it starts the camera)."""
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    video = tmp_path / "video.y4m"
    args = [*ARGS, "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=args)
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
        yield context.new_page(), video
        browser.close()


def test_scans_a_qr_with_the_camera(live_server: Any, camera_page: tuple[Any, Path], world: World) -> None:
    page, video = camera_page
    page.context.grant_permissions(["camera"], origin=live_server.url)
    _serve_status_list(page, world)
    _y4m(qr_png(qr_encode(world.credential), scale=4), video)
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    page.check("#allow-static")
    page.click("#camera-start")
    expect(page.locator("#verdict")).to_have_attribute("data-outcome", "valid", timeout=20_000)
    assert page.locator("#qr-text").input_value() == qr_encode(world.credential)
    assert page.locator("#camera").is_hidden()  # the camera stops once a code is read


# --- parity under damage ---------------------------------------------------------------------------------
def _damaged(seed: int, count: int) -> list[str]:
    """QR texts with one byte of their CBOR changed (recompressed, so the damage reaches the parsers and the
    signature check instead of stopping at zlib), and some with one Base45 character changed."""
    import random
    import zlib

    from partycard.ecard.base45 import b45decode, b45encode

    rng = random.Random(seed)
    sources = [
        (VECTORS / f"{name}.txt").read_text(encoding="ascii").strip()
        for name in ("valid_static", "valid_rotating")
    ]
    texts = []
    for i in range(count):
        text = sources[i % 2]
        prefix = text[: text.index(":") + 1]
        if i % 5 == 4:
            position = rng.randrange(len(prefix), len(text))
            texts.append(
                text[:position]
                + rng.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
                + text[position + 1 :]
            )
            continue
        raw = bytearray(zlib.decompress(b45decode(text[len(prefix) :])))
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        texts.append(prefix + b45encode(zlib.compress(bytes(raw))))
    return texts


def test_damaged_qr_codes_get_the_python_verdict(verifier_page: Any) -> None:
    root_pem = (VECTORS / CASES["root"]).read_text(encoding="ascii")
    document = (VECTORS / CASES["trust_list"]).read_text(encoding="utf-8")
    root = x509.load_pem_x509_certificate(root_pem.encode())
    now = datetime.fromisoformat(CASES["cases"][0]["now"])
    status = _status_json("status.json")
    trust = trustlist_verify(document.encode(), root, now)
    texts = _damaged(seed=6, count=300)
    browser = verifier_page.evaluate(
        """async ([texts, options]) => {
            const out = [];
            for (const text of texts) out.push(await window.partycardVerify(text, options));
            return out;
        }""",
        [
            texts,
            {"now": now.isoformat(), "trustList": document, "rootPem": root_pem, "statusLists": [status]},
        ],
    )
    outcomes = set()
    for text, got in zip(texts, browser, strict=True):
        python = qr_verdict(text, trust=trust, root=root, now=now, status=_status_list(status))
        assert (got["outcome"], tuple(got["codes"])) == (python.outcome.value, python.codes), text
        outcomes.add(python.codes)
    assert len(outcomes) > 3  # the damage reached several checks, not only the parser
