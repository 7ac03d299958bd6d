"""The static QR credential: CWT claims, the PC1 framing, rendering, and hostile input (hypothesis)."""

from __future__ import annotations

import contextlib
import zlib
from dataclasses import replace
from datetime import UTC, date, datetime

import cbor2
import pytest
import segno
from hypothesis import given
from hypothesis import strategies as st

from partycard.ecard.base45 import ALPHABET, b45decode
from partycard.ecard.cose import sign1_parse, sign1_verify
from partycard.ecard.errors import CwtError, ECardError
from partycard.ecard.keys import kid_of
from partycard.ecard.qr import (
    CLAIM_PARTY_CARD,
    CLAIM_STATUS,
    PREFIX,
    ROTATING_PREFIX,
    QrFormatError,
    cwt_claims_decode,
    cwt_claims_encode,
    qr_encode,
    qr_parse,
    qr_png,
    qr_svg,
    qr_unwrap,
    qr_wrap,
)
from tests.ecard.world import STATUS_URI, QrWorld, claims_for, credential


def test_claims_round_trip(ecard_world: QrWorld) -> None:
    claims = claims_for(ecard_world)
    assert cwt_claims_decode(cwt_claims_encode(claims)) == claims
    without_device = replace(claims, device_key=None, not_before=datetime(2026, 3, 2, tzinfo=UTC))
    assert cwt_claims_decode(cwt_claims_encode(without_device)) == without_device


def test_claim_keys(ecard_world: QrWorld) -> None:
    """The registered keys and the private-use map, as docs/ecard.md lists them."""
    cwt = cbor2.loads(cwt_claims_encode(claims_for(ecard_world)))
    assert set(cwt) == {1, 2, 4, 6, 8, CLAIM_STATUS, CLAIM_PARTY_CARD}
    assert cwt[1] == "VN" and cwt[2] == "01.234.567"
    assert cwt[CLAIM_STATUS] == {"status_list": {"idx": 7, "uri": STATUS_URI}}
    assert cwt[CLAIM_PARTY_CARD] == {
        1: "Nguyễn Thị Minh Khai",
        2: "1985-07-14",
        3: "P01.02.003",
        4: "official",
    }
    assert set(cwt[8][1]) == {1, -1, -2, -3}
    assert type(cwt[4]) is int and type(cwt[6]) is int


@pytest.mark.parametrize(
    "changes",
    [
        {"member_status": "honorary"},
        {"full_name": ""},
        {"status_index": -1},
        {"issued_at": datetime(2026, 3, 2)},
    ],
)
def test_encode_refuses(ecard_world: QrWorld, changes: dict[str, object]) -> None:
    with pytest.raises(CwtError):
        cwt_claims_encode(replace(claims_for(ecard_world), **changes))  # type: ignore[arg-type]


def _claims_map(world: QrWorld) -> dict[int, object]:
    return dict(cbor2.loads(cwt_claims_encode(claims_for(world))))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        (2, None),
        (2, 1234),
        (6, 1.5),
        (6, "2026-03-01"),
        (4, 10**30),
        (CLAIM_STATUS, {"status_list": {"idx": -1, "uri": "u"}}),
        (CLAIM_STATUS, {"status_list": {"idx": True, "uri": "u"}}),
        (CLAIM_STATUS, None),
        (CLAIM_PARTY_CARD, None),
        (CLAIM_PARTY_CARD, {1: "A", 2: "14/07/1985", 3: "P01", 4: "official"}),
        (CLAIM_PARTY_CARD, {1: "A", 2: "1985-07-14", 3: "P01", 4: "guest"}),
        (8, {1: {1: 2}}),
        (8, {}),
        (5, "soon"),
    ],
)
def test_decode_refuses(ecard_world: QrWorld, key: int, value: object) -> None:
    cwt = _claims_map(ecard_world)
    if value is None:
        del cwt[key]
    else:
        cwt[key] = value
    with pytest.raises(ECardError):
        cwt_claims_decode(cbor2.dumps(cwt))


def test_signed_credential(ecard_world: QrWorld) -> None:
    cose = credential(ecard_world)
    message = sign1_parse(cose)
    label, certificate = ecard_world.signers["good"]
    assert message.kid == kid_of(certificate)
    assert sign1_verify(message, ecard_world.store.public_key(label))
    assert cwt_claims_decode(message.payload) == claims_for(ecard_world)


def test_framing(ecard_world: QrWorld) -> None:
    cose = credential(ecard_world)
    text = qr_encode(cose)
    assert text.startswith("PC1:")
    assert set(text[4:]) <= set(ALPHABET)
    assert zlib.decompress(b45decode(text[4:])) == cose
    assert qr_parse(text).credential == cose and not qr_parse(text).rotating
    assert len(text) < 600  # fits a version 14 code at level Q


@pytest.mark.parametrize(
    "text",
    ["", "pc1:0", "PC2:0", "PC1R:", "PC1:" + "%" * 3, "PC1: ", qr_wrap(PREFIX, b"x")[:-3] + "000"],
)
def test_unwrap_refuses(text: str) -> None:
    with pytest.raises(ECardError):
        qr_unwrap(text, PREFIX)


def test_unwrap_refuses_trailing_zlib_bytes() -> None:
    from partycard.ecard.base45 import b45encode

    with pytest.raises(QrFormatError):
        qr_unwrap(PREFIX + b45encode(zlib.compress(b"abc") + b"\x00"), PREFIX)
    with pytest.raises(QrFormatError):
        qr_unwrap(PREFIX + b45encode(zlib.compress(b"abc")[:-2]), PREFIX)


def test_rendering(ecard_world: QrWorld) -> None:
    text = qr_encode(credential(ecard_world))
    svg = qr_svg(text)
    assert svg.startswith("<?xml") and "<svg" in svg
    png = qr_png(text, scale=2)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    code = segno.make_qr(text, error="q")
    assert code.mode == "alphanumeric" and code.error in ("Q", "H")


@given(st.text(max_size=300) | st.text(alphabet=ALPHABET, max_size=300).map(lambda t: PREFIX + t))
def test_parse_raises_only_ecard_errors(text: str) -> None:
    with contextlib.suppress(ECardError):
        qr_parse(text)


@given(st.binary(max_size=400), st.sampled_from([PREFIX, ROTATING_PREFIX]))
def test_parse_of_any_content_raises_only_ecard_errors(content: bytes, prefix: str) -> None:
    with contextlib.suppress(ECardError):
        presentation = qr_parse(qr_wrap(prefix, content))
        cwt_claims_decode(sign1_parse(presentation.credential).payload)


@given(st.binary(max_size=300))
def test_claims_decode_raises_only_ecard_errors(data: bytes) -> None:
    with contextlib.suppress(ECardError):
        cwt_claims_decode(data)


@given(
    st.dictionaries(
        st.sampled_from([1, 2, 4, 5, 6, 8, CLAIM_STATUS, CLAIM_PARTY_CARD]),
        st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=12)
            | st.binary(max_size=40),
            lambda c: (
                st.lists(c, max_size=4)
                | st.dictionaries(st.integers(-4, 4) | st.text(max_size=12), c, max_size=4)
            ),
            max_leaves=10,
        ),
    )
)
def test_claims_of_any_shape_raise_only_ecard_errors(cwt: dict[int, object]) -> None:
    with contextlib.suppress(ECardError):
        cwt_claims_decode(cbor2.dumps(cwt))


def test_date_of_birth_kept_as_a_date(ecard_world: QrWorld) -> None:
    assert cwt_claims_decode(cwt_claims_encode(claims_for(ecard_world))).date_of_birth == date(1985, 7, 14)
