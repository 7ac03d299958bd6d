"""Trust list rollback in the browser (static/verifier/verify.js, app.js, store.js), headless Chromium.

- Every case of the shared vectors (tests/vectors/trustlist/cases.json) gives in verify.js what it gives
  in Python (trustlist_verify + trustlist_accept): accepted with the same number and chip policy (the AA
  fallback; none for a version 1 or 2 list), ``trust_list_rollback``, or the same error.
- ``verifyAll`` with the highest number seen gives "cannot tell" with ``trust_list_rollback`` for an
  older list.
- The PWA: it takes the server's list number 2, keeps the number; a later refresh served list number 1
  (a replay) is refused with ``trust_list_rollback`` and list 2 stays in use, also after a reload.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from partycard.trust.trustlist import trustlist_build, trustlist_verify
from tests.trust.test_trustlist_vectors import CASES, OUTCOME_KEYS, VECTORS, python_outcome
from tests.web.browser import require_chromium
from tests.web.test_verifier_browser import READY, World, build_world

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MODULE = "import('/static/verifier/verify.js')"
QR = Path(__file__).resolve().parents[1] / "vectors" / "qr"


@pytest.fixture
def verifier_page(live_server: Any, page: Any) -> Any:
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    return page


def test_every_trustlist_vector_gives_the_python_outcome(verifier_page: Any) -> None:
    root_pem = (VECTORS / CASES["root"]).read_text(encoding="ascii")
    for case in CASES["cases"]:
        text = (VECTORS / case["list"]).read_text(encoding="utf-8")
        browser = verifier_page.evaluate(
            f"""async ([text, pem, now, highest]) => {{
                const v = await {MODULE};
                let trust;
                try {{ trust = await v.trustListVerify(text, await v.rootLoad(pem), new Date(now)); }}
                catch (e) {{ return {{ outcome: e.code || String(e) }}; }}
                try {{
                    const next = v.trustListAccept(trust, highest);
                    return {{
                        outcome: "accepted", sequence: trust.sequence, new_highest: next,
                        aa_fallback: trust.chipPolicy.aaFallback,
                    }};
                }} catch (e) {{
                    return {{ outcome: e.code === "TrustListRollback" ? "trust_list_rollback" : String(e) }};
                }}
            }}""",
            [text, root_pem, CASES["verify_at"], case["highest"]],
        )
        expected = {k: v for k, v in case.items() if k in OUTCOME_KEYS}
        assert browser == python_outcome(case) == expected, case


def test_verify_all_names_a_rollback(verifier_page: Any) -> None:
    qr_cases = json.loads((QR / "cases.json").read_text(encoding="utf-8"))
    case = next(c for c in qr_cases["cases"] if c["name"] == "valid_static")
    options = {
        "now": case["now"],
        "trustList": (QR / qr_cases["trust_list"]).read_text(encoding="utf-8"),  # a version 1 list: 0
        "rootPem": (QR / qr_cases["root"]).read_text(encoding="ascii"),
        "statusLists": [json.loads((QR / "status.json").read_text(encoding="utf-8"))],
        "deviceRequired": False,
    }
    text = (QR / case["file"]).read_text(encoding="ascii").strip()
    evaluate = "([text, options]) => window.partycardVerify(text, options)"
    assert verifier_page.evaluate(evaluate, [text, options])["outcome"] == "valid"
    rolled = verifier_page.evaluate(evaluate, [text, dict(options, highestSequence=1)])
    assert rolled["outcome"] == "cannot_tell" and rolled["codes"] == ["trust_list_rollback"]
    assert rolled["reasons"][0]["message_vi"].startswith("Danh sách tin cậy cũ hơn")


def _numbered(world: World, sequence: int) -> bytes:
    """Our world's trust list again, numbered ``sequence`` (same signer, same content and dates: a replay
    is told by its number alone)."""
    trust = trustlist_verify(world.trust_document, world.root, world.now)
    return trustlist_build(
        store=world.store,
        signer_label="tl",
        signer_certificate=trust.signer_certificate,
        signers=list(trust.signers),
        crl=trust.crl,
        issued_at=trust.issued_at,
        next_update=trust.next_update,
        sequence=sequence,
    )


def test_the_pwa_refuses_an_older_list_and_keeps_its_own(
    live_server: Any, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = build_world(tmp_path, f"{live_server.url}/api/v1/status-lists/1")
    (tmp_path / "root.pem").write_text(world.root_pem, encoding="ascii")
    (tmp_path / "trustlist.json").write_bytes(_numbered(world, 2))
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    trust_state = page.locator("#trust-state")
    expect(trust_state).to_have_attribute("data-sequence", "2")

    older = _numbered(world, 1).decode()  # signed and fresh: only its number gives it away
    page.context.route(
        "**/api/v1/trust-list",
        lambda route: route.fulfill(status=200, content_type="application/json", body=older),
    )
    page.click("#refresh")
    expect(page.locator("#data-error")).to_contain_text("trust_list_rollback")
    expect(trust_state).to_have_attribute("data-sequence", "2")

    page.reload()  # the number is kept on the device, not only in the page
    page.wait_for_function(READY)
    expect(page.locator("#data-error")).to_contain_text("trust_list_rollback")
    expect(trust_state).to_have_attribute("data-sequence", "2")
    kept = page.evaluate("async () => (await import('/static/verifier/store.js')).trustSequenceGet()")
    assert kept == 2
