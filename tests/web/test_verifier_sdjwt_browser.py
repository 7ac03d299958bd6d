"""The offline web verifier's SD-JWT VC check (static/verifier/sdjwt.js, WebCrypto) in a real browser
(Debian's Chromium, headless, Playwright), against the Python verifier (partycard.verify.sdjwt).

- Every case of the shared SD-JWT vectors (tests/vectors/sdjwt/cases.json) goes through both: the same
  outcome, the same codes in the same order, the same Vietnamese and English messages, the same holder
  data (and the vector's own expectations). No case is skipped.
- Damaged presentations (characters changed, dropped or added, parts swapped) get the same verdict from
  both, messages included: the browser's parser (strict base64url, strict JSON without duplicate member
  names, the JWS profile) refuses what the Python one refuses, with the same words.

Known differences, which these inputs do not reach: str.isprintable in a repr() quoted in an English
message follows Python's Unicode version (14 for 3.11), the browser's its own; Python's JSON gives up at
its recursion limit (about 1000 levels, depending on the stack), the browser's parser at 900; a date
claim written with non-ASCII digits is read as a date by Python's strptime, left as written by the
browser; times are compared to the millisecond in the browser, the microsecond in Python.
"""

from __future__ import annotations

import base64
import json
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from partycard.ecard.status import StatusList
from partycard.trust.trustlist import trustlist_verify
from partycard.verify.sdjwt import sdjwt_verdict
from partycard.verify.verdict import Verdict
from tests.pki import build_small_pki
from tests.web.browser import require_chromium

require_chromium()

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "sdjwt"
CASES: list[dict[str, Any]] = json.loads((VECTORS / "cases.json").read_text(encoding="utf-8"))
READY = "() => document.documentElement.dataset.ready === '1'"

# Runs presentations through the browser's verifier: the trust list verified against the pinned root,
# the status lists as the vectors write them (already verified), then verifySdJwt on each.
JUDGE = """async ([rootPem, trustList, items]) => {
    const v = await import('/static/verifier/verify.js');
    const s = await import('/static/verifier/sdjwt.js');
    const root = await v.rootLoad(rootPem);
    const out = [];
    for (const item of items) {
        const now = new Date(item.now);
        const trust = await v.trustListVerify(trustList, root, now);
        const statusLists = item.status ? [v.statusListFromJson(item.status)] : [];
        out.push(await s.verifySdJwt(item.text, {
            now, trust, root, statusLists, audience: item.audience, nonce: item.nonce }));
    }
    return out;
}"""


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


def _python(text: str, item: dict[str, Any], root: x509.Certificate, document: bytes) -> Verdict:
    now = datetime.fromisoformat(item["now"])
    return sdjwt_verdict(
        text,
        trust=trustlist_verify(document, root, now),
        root=root,
        now=now,
        status=_status_list(item["status"]),
        audience=item["audience"],
        nonce=item["nonce"],
    )


def _same(browser: dict[str, Any], python: Verdict, name: str) -> None:
    assert browser["outcome"] == python.outcome.value, name
    assert tuple(browser["codes"]) == python.codes, name
    assert [r["kind"] for r in browser["reasons"]] == [r.kind.value for r in python.reasons], name
    assert [r["message_vi"] for r in browser["reasons"]] == [r.message_vi for r in python.reasons], name
    assert [r["message_en"] for r in browser["reasons"]] == [r.message_en for r in python.reasons], name
    assert browser["holder"] == dict(python.holder), name


@pytest.fixture
def verifier_page(live_server: Any, page: Any) -> Any:
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    return page


@pytest.fixture(scope="module")
def pki() -> tuple[str, str, x509.Certificate]:
    root_pem = (VECTORS / "root.pem").read_text(encoding="ascii")
    document = (VECTORS / "trustlist.json").read_text(encoding="utf-8")
    return root_pem, document, x509.load_pem_x509_certificate(root_pem.encode())


def test_every_sdjwt_vector_gives_the_python_verdict(
    verifier_page: Any, pki: tuple[str, str, x509.Certificate]
) -> None:
    root_pem, document, root = pki
    assert len(CASES) >= 24
    items = [
        {
            "text": (VECTORS / case["file"]).read_text(encoding="ascii"),
            "now": case["now"],
            "audience": case["audience"],
            "nonce": case["nonce"],
            "status": _status_json(case["status"]),
        }
        for case in CASES
    ]
    browser = verifier_page.evaluate(JUDGE, [root_pem, document, items])
    agreeing = 0
    for case, item, got in zip(CASES, items, browser, strict=True):
        name = case["name"]
        python = _python(item["text"], item, root, document.encode())
        _same(got, python, name)
        assert got["outcome"] == case["outcome"], name
        assert sorted(got["codes"]) == sorted(case["codes"]), name
        if case["holder"] is not None:
            assert got["holder"] == case["holder"], name
        agreeing += 1
    assert agreeing == len(CASES)
    assert {v["outcome"] for v in browser} == {"valid", "invalid", "cannot_tell"}


def _damaged(seed: int, count: int) -> list[str]:
    """Vector presentations with one to three characters changed, dropped or added (from the base64url
    alphabet, the separators and a few others), or two ``~`` parts swapped or repeated."""
    rng = random.Random(seed)
    names = ("valid-all", "valid-good-standing", "valid-name-card", "kb-missing", "forged-disclosure")
    sources = [(VECTORS / f"{name}.txt").read_text(encoding="ascii") for name in names]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" + "~.=+/ !é"
    texts = []
    for i in range(count):
        text = sources[i % len(sources)]
        if i % 7 == 6:
            parts = text.split("~")
            a, b = rng.randrange(len(parts)), rng.randrange(len(parts))
            if rng.random() < 0.5:
                parts[a], parts[b] = parts[b], parts[a]
            else:
                parts.insert(a, parts[b])
            texts.append("~".join(parts))
            continue
        for _ in range(rng.randint(1, 3)):
            position = rng.randrange(len(text))
            op = rng.random()
            if op < 0.6:
                text = text[:position] + rng.choice(alphabet) + text[position + 1 :]
            elif op < 0.8:
                text = text[:position] + text[position + 1 :]
            else:
                text = text[:position] + rng.choice(alphabet) + text[position:]
        texts.append(text)
    return texts


def test_damaged_presentations_get_the_python_verdict(
    verifier_page: Any, pki: tuple[str, str, x509.Certificate]
) -> None:
    root_pem, document, root = pki
    case = CASES[0]
    base = {
        "now": case["now"],
        "audience": case["audience"],
        "nonce": case["nonce"],
        "status": _status_json("status.json"),
    }
    texts = _damaged(seed=9, count=300)
    browser = verifier_page.evaluate(JUDGE, [root_pem, document, [{**base, "text": t} for t in texts]])
    seen = set()
    for text, got in zip(texts, browser, strict=True):
        python = _python(text, base, root, document.encode())
        _same(got, python, text)
        seen.add(python.codes)
    assert len(seen) > 5  # the damage reached several checks, not only the parser


# --- crafted credentials, signed by a world of our own ------------------------------------------------------
def _crafted(directory: Path) -> tuple[str, bytes, datetime, dict[str, Any], list[tuple[str, str]]]:
    """A PKI of our own and presentations signed by its document signer and holder key, each breaking
    (or stretching) one rule of the SD-JWT processing, the claims or the key binding: (root PEM, trust
    list, now, status list JSON, [(name, presentation)])."""
    from cryptography.hazmat.primitives.serialization import Encoding

    from partycard.ecard.jws import b64url, json_dumps, jwk_of, jws_sign
    from partycard.ecard.keys import kid_of
    from partycard.ecard.sdjwt import (
        VCT_PARTY_MEMBER,
        disclosure_make,
        numeric_date,
        sd,
        sdjwt_bind,
        sdjwt_issue,
    )
    from partycard.trust.keystore.file import FileKeyStore

    now = datetime(2026, 3, 4, 10, 7, 10, tzinfo=datetime.fromisoformat(CASES[0]["now"]).tzinfo)
    store = FileKeyStore(directory / "keys", b"sdjwt browser test passphrase")
    small = build_small_pki(store, now=now, name="sd", document_types=("EC",))
    root, ds, document = small.root, small.ds, small.trust_document
    holder = store.generate("holder")
    uri = "https://the.partycard.example/status/ec/9"
    status = {
        "uri": uri,
        "bits": 2,
        "statuses": base64.b64encode(bytes([0x40, 0x02, 0, 0xC0])).decode(),  # 3 revoked, 4 suspended, 15: 3
        "issued_at": (now - timedelta(days=1)).isoformat(),
        "expires_at": (now + timedelta(days=1)).isoformat(),
    }
    kid = kid_of(ds)

    def ds_sign(data: bytes) -> bytes:
        return store.sign("ds", data)

    def holder_sign(data: bytes) -> bytes:
        return store.sign("holder", data)

    def base(**changes: Any) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "iss": "urn:partycard:issuer:test",
            "iat": numeric_date(now - timedelta(days=1)),
            "exp": numeric_date(now + timedelta(days=365)),
            "vct": VCT_PARTY_MEMBER,
            "cnf": {"jwk": jwk_of(holder)},
            "status": {"status_list": {"idx": 0, "uri": uri}},
            "full_name": sd("Nguyễn Văn A"),
            "date_of_birth": sd("1985-07-14"),
        }
        for name, value in changes.items():
            if value is ...:
                claims.pop(name, None)
            else:
                claims[name] = value
        return claims

    def bind(presented: str, **kb: Any) -> str:
        claims = {
            "iat": kb.pop("iat", numeric_date(now)),
            "aud": CASES[0]["audience"],
            "nonce": CASES[0]["nonce"],
        }
        from partycard.ecard.sdjwt import sd_hash_of

        claims["sd_hash"] = sd_hash_of(presented)
        claims.update(kb)
        payload = kb.pop("payload", None)
        return presented + jws_sign({"typ": "kb+jwt"}, payload or claims, sign=holder_sign)

    def issued(claims: dict[str, Any], **kb: Any) -> str:
        text = sdjwt_issue(claims=claims, sign=ds_sign, kid=kid)
        return (
            sdjwt_bind(
                text, audience=CASES[0]["audience"], nonce=CASES[0]["nonce"], issued_at=now, sign=holder_sign
            )
            if not kb
            else bind(text, **kb)
        )

    def raw(
        payload: bytes | dict[str, Any], disclosures: list[str], header: dict[str, Any] | None = None
    ) -> str:
        jwt = jws_sign(header or {"typ": "dc+sd-jwt", "kid": b64url(kid)}, payload, sign=ds_sign)
        return sdjwt_bind(
            "~".join([jwt, *disclosures, ""]),
            audience=CASES[0]["audience"],
            nonce=CASES[0]["nonce"],
            issued_at=now,
            sign=holder_sign,
        )

    def plain(**changes: Any) -> dict[str, Any]:
        claims = base(**changes)
        return {k: v for k, v in claims.items() if k not in ("full_name", "date_of_birth")} | {
            "_sd_alg": "sha-256"
        }

    nick = disclosure_make(None, "Tư")
    name = disclosure_make("full_name", "Nguyễn Văn B")
    iss = disclosure_make("iss", "urn:evil")
    date = disclosure_make("date_admitted", "2010-5-9")
    cases = [
        (
            "nested and arrays",
            issued(
                base(
                    organisation=sd(
                        {"code": sd("P01"), "name": "Chi bộ 3", "tags": [sd("a"), "b", sd(1.5), None]}
                    ),
                    nicknames=[sd("Tư"), "Tí", sd(True)],
                    membership=sd(
                        {"status": "official", "good_standing": False, "since": 2010, "ratio": 1e16}
                    ),
                    date_official=sd("2011-02-30"),
                    date_admitted=sd(["2010-05-19", "0000-01-01", " 2010-5-9"]),
                    numbers=sd({"1": "one", "0": "zero", "b": -0.0, "big": 2**70}),
                )
            ),
        ),
        (
            "vct wrong, no iss, float iat, exp text, nbf null",
            issued(base(vct="urn:x'y", iss=..., iat=1.7e9, exp="soon", nbf=None)),
        ),
        (
            "vct missing, nbf in a day, sd_alg",
            issued(base(vct=..., nbf=numeric_date(now + timedelta(days=1)), _sd_alg="sha-512")),
        ),
        ("expired", issued(base(exp=numeric_date(now - timedelta(seconds=1))))),
        ("iat in 61 s", issued(base(iat=numeric_date(now + timedelta(seconds=61))))),
        ("iat in 60 s", issued(base(iat=numeric_date(now + timedelta(seconds=60))))),
        ("revoked", issued(base(status={"status_list": {"idx": 3, "uri": uri}}))),
        ("suspended", issued(base(status={"status_list": {"idx": 4, "uri": uri}}))),
        ("status value 3", issued(base(status={"status_list": {"idx": 15, "uri": uri}}))),
        ("index beyond the list", issued(base(status={"status_list": {"idx": 16, "uri": uri}}))),
        ("huge index", issued(base(status={"status_list": {"idx": 2**70, "uri": uri}}))),
        ("float index", issued(base(status={"status_list": {"idx": 1.0, "uri": uri}}))),
        ("bool index", issued(base(status={"status_list": {"idx": True, "uri": uri}}))),
        ("no status", issued(base(status=...))),
        ("another list", issued(base(status={"status_list": {"idx": 0, "uri": uri + "0"}}))),
        ("no cnf", issued(base(cnf=...))),
        ("private jwk", issued(base(cnf={"jwk": {**jwk_of(holder), "d": "AAAA"}}))),
        ("short jwk", issued(base(cnf={"jwk": {**jwk_of(holder), "x": "AAAA"}}))),
        ("off-curve jwk", issued(base(cnf={"jwk": {**jwk_of(holder), "x": b64url(bytes(32))}}))),
        ("kb aud list, float iat", issued(base(), aud=[CASES[0]["audience"]], iat=float(numeric_date(now)))),
        ("kb iat missing", issued(base(), iat=None)),
        ("kb iat in 2 minutes", issued(base(), iat=numeric_date(now + timedelta(minutes=2)))),
        ("kb not an object", issued(base(), payload=b"[1]")),
        ("kb not json", issued(base(), payload=b"{'a': 1}")),
        ("kb duplicate", issued(base(), payload=b'{"aud":1,"aud":2}')),
        (
            "reserved disclosed",
            raw({k: v for k, v in plain().items() if k != "iss"} | {"_sd": [iss.digest]}, [iss.text]),
        ),
        ("plain and disclosed", raw(plain() | {"full_name": "A", "_sd": [name.digest]}, [name.text])),
        ("element from _sd", raw(plain() | {"_sd": [nick.digest, 7]}, [nick.text])),
        (
            "object as element",
            raw(plain() | {"list": [{"...": name.digest}, {"...": "x", "y": 1}]}, [name.text]),
        ),
        ("_sd not a list", raw(plain() | {"_sd": "x", "o": {"...": 1, "_sd_alg": "x"}}, [])),
        ("too deep", raw(plain() | {"a": json.loads("[" * 20 + "]" * 20)}, [])),
        ("digest twice", raw(plain() | {"_sd": [date.digest], "o": {"_sd": [date.digest]}}, [date.text])),
        ("unreferenced", raw(plain(), [name.text, nick.text, date.text])),
        ("payload duplicate", raw(b'{"iss":"a","iss":"b"}', [])),
        ("payload an array", raw(b"[]", [])),
        ("payload NaN", raw(b'{"iat":NaN}', [])),
        ("no kid", raw(plain(), [], {"typ": "dc+sd-jwt"})),
        ("kid padded", raw(plain(), [], {"typ": "dc+sd-jwt", "kid": b64url(kid) + "=="})),
        ("kid short", raw(plain(), [], {"typ": "dc+sd-jwt", "kid": "AAAA"})),
        ("crit", raw(plain(), [], {"typ": "dc+sd-jwt", "kid": b64url(kid), "crit": ["x"]})),
        ("typ", raw(plain(), [], {"typ": "vc+sd-jwt", "kid": b64url(kid)})),
        ("typ missing", raw(plain(), [], {"kid": b64url(kid)})),
        (
            "bad disclosure",
            raw(plain(), [b64url(json_dumps(["s", 1, 2])), b64url(json_dumps(["s", "_sd", 2]))]),
        ),
        ("disclosure of four", raw(plain(), [b64url(json_dumps(["s", "a", 1, 2]))])),
        ("no tilde", raw(plain(), []).replace("~", "")),
    ]
    root_pem = root.public_bytes(Encoding.PEM).decode("ascii")
    return root_pem, document, now, status, cases


def test_crafted_credentials_get_the_python_verdict(verifier_page: Any, tmp_path: Path) -> None:
    root_pem, document, now, status, cases = _crafted(tmp_path)
    root = x509.load_pem_x509_certificate(root_pem.encode())
    base = {
        "now": now.isoformat(),
        "audience": CASES[0]["audience"],
        "nonce": CASES[0]["nonce"],
        "status": status,
    }
    browser = verifier_page.evaluate(
        JUDGE, [root_pem, document.decode(), [{**base, "text": text} for _, text in cases]]
    )
    codes = set()
    for (name, text), got in zip(cases, browser, strict=True):
        python = _python(text, base, root, document)
        _same(got, python, name)
        codes.update(python.codes)
    assert len(codes) > 12


# --- the page ----------------------------------------------------------------------------------------------
def test_page_checks_a_pasted_presentation(
    live_server: Any, page: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A presentation pasted into the QR field, with this check's audience and nonce, is judged by
    sdjwt.js with the page's trust list (the vectors', published by the server) at the vectors' time;
    the vectors' status list host is not reachable from the page, so the status cannot be told."""
    from playwright.sync_api import expect

    (tmp_path / "root.pem").write_bytes((VECTORS / "root.pem").read_bytes())
    (tmp_path / "trustlist.json").write_bytes((VECTORS / "trustlist.json").read_bytes())
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    case = next(c for c in CASES if c["name"] == "valid-good-standing")
    page.clock.install(time=datetime.fromisoformat(case["now"]))
    page.goto(f"{live_server.url}/kiem-tra/")
    page.wait_for_function(READY)
    assert page.locator("#sdjwt-nonce").input_value()  # a fresh nonce is offered
    page.locator("#sdjwt-challenge summary").click()
    page.fill("#sdjwt-audience", case["audience"])
    page.fill("#sdjwt-nonce", case["nonce"])
    page.fill("#qr-text", (VECTORS / case["file"]).read_text(encoding="ascii"))
    page.click("#verify-button")
    banner = page.locator("#verdict")
    expect(banner).to_have_attribute("data-outcome", "cannot_tell")
    assert [li.get_attribute("data-code") for li in page.locator("#reasons li").all()] == ["status_unknown"]
    assert page.locator("#holder-data [data-field='organisation.code']").inner_text() == "P01.02.003"
    assert page.locator("#holder-data [data-field='membership.good_standing']").inner_text() == "Có"

    page.fill("#sdjwt-nonce", "n-another")  # a replay of the same presentation
    banner.evaluate("element => element.removeAttribute('data-outcome')")
    page.click("#verify-button")
    expect(banner).to_have_attribute("data-outcome", "invalid")
    assert [li.get_attribute("data-code") for li in page.locator("#reasons li").all()] == [
        "kb_wrong_nonce",
        "status_unknown",
    ]
