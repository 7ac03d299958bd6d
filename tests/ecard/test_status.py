"""The status list (draft-ietf-oauth-status-list): bit order against the draft's own vectors, packing,
flipping one entry, compression bounds, the JWT and CWT forms signed and parsed, and fuzzed parsers.

Verifying a token against the trust list is tests/verify/test_status.py's."""

from __future__ import annotations

import contextlib
import json
import zlib
from datetime import UTC, datetime, timedelta

import cbor2
import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.ecard.errors import ECardError, StatusListError
from partycard.ecard.jws import b64url, b64url_decode, jws_sign
from partycard.ecard.keys import kid_of
from partycard.ecard.status import (
    CWT_TYP,
    JWT_TYP,
    STATUS_INVALID,
    STATUS_SUSPENDED,
    STATUS_VALID,
    StatusList,
    status_list_compress,
    status_list_cwt_parse,
    status_list_cwt_sign,
    status_list_decompress,
    status_list_encode,
    status_list_jwt_parse,
    status_list_jwt_sign,
    status_list_pack,
    status_list_set,
)
from partycard.trust import pki
from partycard.trust.keystore.file import FileKeyStore
from tests.ecard import draft_status_vectors as draft

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
URI = "https://the.partycard.example/status/ec/ds-1"


def _list(raw: bytes, bits: int) -> StatusList:
    return StatusList(uri=URI, bits=bits, statuses=raw, issued_at=T0)


# --- the byte array against the draft (§4.1, Appendix C) -----------------------------------------------


def test_bits_1_example_packs_and_compresses_as_the_draft() -> None:
    values = bytes([1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1])  # §4.1, status[0] … status[15]
    packed = status_list_pack(values, 1)
    assert packed == bytes([0xB9, 0xA3])
    assert status_list_compress(packed).hex() == "78dadbb918000217015d"
    assert b64url(status_list_encode(values, 1)) == "eNrbuRgAAhcBXQ"  # §4.2


def test_bits_2_example_packs_and_compresses_as_the_draft() -> None:
    values = bytes([1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3])  # §4.1, status[0] … status[11]
    packed = status_list_pack(values, 2)
    assert packed == bytes([0xC9, 0x44, 0xF9])
    assert status_list_compress(packed).hex() == "78da3be9f2130003df0207"
    assert b64url(status_list_encode(values, 2)) == "eNo76fITAAPfAgc"  # §4.2


@pytest.mark.parametrize(
    ("bits", "lst", "statuses"),
    [
        (1, draft.C1_LST, draft.C1_STATUSES),
        (2, draft.C2_LST, draft.C2_STATUSES),
        (4, draft.C3_LST, draft.C3_STATUSES),
    ],
)
def test_appendix_c_lists_read_as_the_draft_says(bits: int, lst: str, statuses: dict[int, int]) -> None:
    status_list = _list(status_list_decompress(b64url_decode(lst)), bits)
    assert len(status_list) == draft.SIZE
    for index, value in statuses.items():
        assert status_list.status(index) == value
    # "All values that are not mentioned … can be assumed to be 0": rebuild the list from the entries.
    values = bytearray(draft.SIZE)
    for index, value in statuses.items():
        values[index] = value
    assert status_list_pack(values, bits) == status_list.statuses


def test_appendix_c_8_bit_list_holds_each_value_once() -> None:
    raw = status_list_decompress(b64url_decode(draft.C4_LST))
    status_list = _list(raw, 8)
    assert len(status_list) == draft.SIZE
    for index, value in draft.C4_SOME_STATUSES.items():
        assert status_list.status(index) == value
    assert sorted(b for b in raw if b) == list(range(1, 256))


def test_appendix_c_cbor_encoding_is_our_status_list_map() -> None:
    lst = b64url_decode(draft.C1_LST)
    assert cbor2.dumps({"bits": 1, "lst": lst}).hex() == draft.C1_CBOR_HEX  # §4.3: text keys


def test_draft_example_tokens_parse() -> None:
    jwt = status_list_jwt_parse(draft.JWT_EXAMPLE)
    cwt = status_list_cwt_parse(bytes.fromhex(draft.CWT_EXAMPLE_HEX))
    for token in (jwt, cwt):
        sl = token.status_list
        assert sl.uri == "https://example.com/statuslists/1"
        assert sl.issued_at == datetime.fromtimestamp(1686920170, UTC)
        assert sl.expires_at == datetime.fromtimestamp(2291720170, UTC)
        assert sl.ttl == timedelta(seconds=43200)
        assert (sl.bits, sl.statuses) == (1, bytes([0xB9, 0xA3]))
    assert cwt.kid == b"12"
    assert jwt.kid is None  # "12" is not base64url of bytes: no signer of ours will match


# --- packing and flipping --------------------------------------------------------------------------------


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@given(data=st.data())
@settings(max_examples=40, deadline=None)
def test_pack_puts_index_i_at_bits_i_times_bits_lsb_first(bits: int, data: st.DataObject) -> None:
    values = bytes(data.draw(st.lists(st.integers(0, (1 << bits) - 1), max_size=70)))
    status_list = _list(bytes(status_list_pack(values, bits)), bits)
    for index, value in enumerate(values):
        assert status_list.status(index) == value
    assert len(status_list) >= len(values)
    assert all(status_list.status(i) == 0 for i in range(len(values), len(status_list)))  # padding


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
def test_pack_refuses_a_value_that_does_not_fit(bits: int) -> None:
    if bits < 8:
        with pytest.raises(StatusListError):
            status_list_pack(bytes([0, 1 << bits]), bits)
    with pytest.raises(StatusListError):
        status_list_pack(b"\x00", 3)


@pytest.mark.parametrize("bits", [1, 2, 4, 8])
@given(data=st.data())
@settings(max_examples=60, deadline=None)
def test_flipping_one_index_changes_only_that_entry(bits: int, data: st.DataObject) -> None:
    top = (1 << bits) - 1
    values = bytes(data.draw(st.lists(st.integers(0, top), min_size=1, max_size=64)))
    index = data.draw(st.integers(0, len(values) - 1))
    value = data.draw(st.integers(0, top))
    packed = status_list_pack(values, bits)
    before = _list(bytes(packed), bits)
    status_list_set(packed, index, value, bits)
    after = _list(bytes(packed), bits)
    assert after.status(index) == value
    assert all(after.status(i) == before.status(i) for i in range(len(before)) if i != index)


def test_set_refuses_bad_index_value_and_bits() -> None:
    packed = status_list_pack(bytes(8), 2)  # 2 bytes, 8 entries
    for index, value, bits in [(8, 1, 2), (-1, 1, 2), (0, 4, 2), (0, -1, 2), (0, 1, 3)]:
        with pytest.raises(StatusListError):
            status_list_set(packed, index, value, bits)
    assert packed == bytes(2)


# --- decompression ---------------------------------------------------------------------------------------


def test_decompress_refuses_bombs_truncation_and_trailing_bytes() -> None:
    bomb = zlib.compress(bytes(64 * 1024 * 1024), 9)  # 64 MiB of zeros in ~64 KB
    with pytest.raises(StatusListError, match="inflates beyond"):
        status_list_decompress(bomb)
    good = zlib.compress(b"\x01" * 100, 9)
    with pytest.raises(StatusListError, match="truncated"):
        status_list_decompress(good[:-3])
    with pytest.raises(StatusListError, match="follow"):
        status_list_decompress(good + b"\x00")
    with pytest.raises(StatusListError):
        status_list_decompress(b"not zlib")
    assert status_list_decompress(good) == b"\x01" * 100


# --- signing and parsing (unverified) ------------------------------------------------------------------


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[FileKeyStore, str, x509.Certificate]:
    store = FileKeyStore(tmp_path_factory.mktemp("keys"), b"test passphrase")
    root = pki.root_create(store=store, label="root", subject_cn="Root", valid_years=15, not_before=T0)
    ds = pki.signer_issue(
        store=store,
        root_cert=root,
        root_label="root",
        signer_label="ds",
        subject_cn="DS 1",
        valid_days=3650,
        private_key_usage_days=90,
        not_before=T0,
        document_types=("PC", "EC"),
    )
    return store, "ds", ds


def _packed() -> bytearray:
    values = bytearray(100)
    values[3], values[42], values[99] = STATUS_INVALID, STATUS_SUSPENDED, STATUS_INVALID
    return status_list_pack(values, 2)


def _sign_both(signer: tuple[FileKeyStore, str, x509.Certificate], **kw: object) -> tuple[str, bytes]:
    store, label, cert = signer
    args: dict[str, object] = dict(
        uri=URI,
        packed=_packed(),
        bits=2,
        issued_at=T0,
        expires_at=T0 + timedelta(days=1),
        ttl=timedelta(hours=12),
    )
    args.update(kw)
    jwt = status_list_jwt_sign(store, label, cert, **args)  # type: ignore[arg-type]
    cwt = status_list_cwt_sign(store, label, cert, **args)  # type: ignore[arg-type]
    return jwt, cwt


def test_jwt_and_cwt_round_trip(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    jwt, cwt = _sign_both(signer)
    cert = signer[2]
    for token in (status_list_jwt_parse(jwt), status_list_cwt_parse(cwt)):
        assert token.kid == kid_of(cert)
        assert token.verified_by(cert.public_key())
        sl = token.status_list
        assert (sl.uri, sl.bits, sl.statuses) == (URI, 2, bytes(_packed()))
        assert (sl.issued_at, sl.expires_at, sl.ttl) == (T0, T0 + timedelta(days=1), timedelta(hours=12))
        assert [sl.status(i) for i in (0, 3, 42, 99)] == [
            STATUS_VALID,
            STATUS_INVALID,
            STATUS_SUSPENDED,
            STATUS_INVALID,
        ]


def test_token_shapes_follow_the_draft(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    jwt, cwt = _sign_both(signer)
    header, payload = (b64url_decode(p) for p in jwt.split(".")[:2])
    assert json.loads(header) == {"typ": JWT_TYP, "kid": b64url(kid_of(signer[2])), "alg": "ES256"}
    assert set(json.loads(payload)) == {"sub", "iat", "exp", "ttl", "status_list"}
    item = cbor2.loads(cwt)
    assert item.tag == 18  # COSE_Sign1_Tagged, not the CWT tag 61 (§5.2)
    protected, _, claims, _ = item.value
    assert cbor2.loads(protected) == {1: -7, 4: kid_of(signer[2]), 16: CWT_TYP}
    assert set(cbor2.loads(claims)) == {2, 6, 4, 65534, 65533}
    assert set(cbor2.loads(claims)[65533]) == {"bits", "lst"}


def test_optional_exp_and_ttl_may_be_left_out(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    jwt, cwt = _sign_both(signer, expires_at=None, ttl=None)
    for sl in (status_list_jwt_parse(jwt).status_list, status_list_cwt_parse(cwt).status_list):
        assert sl.expires_at is None and sl.ttl is None
        assert not sl.stale(T0 + timedelta(days=3650))


def test_signing_refuses_bad_parameters(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    bad: list[dict[str, object]] = [
        {"bits": 3},
        {"uri": ""},
        {"issued_at": T0.replace(tzinfo=None)},
        {"expires_at": T0},
        {"ttl": timedelta(0)},
    ]
    for kw in bad:
        with pytest.raises(StatusListError):
            _sign_both(signer, **kw)
    store, _, cert = signer
    with pytest.raises(StatusListError, match="not the key"):
        status_list_jwt_sign(
            store, "root", cert, uri=URI, packed=b"", bits=1, issued_at=T0, expires_at=None, ttl=None
        )


def test_wrong_typ_is_refused(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    store, label, cert = signer
    claims = {"sub": URI, "iat": int(T0.timestamp()), "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"}}
    for typ in ("JWT", "dc+sd-jwt", None):
        header = {"kid": b64url(kid_of(cert))} | ({} if typ is None else {"typ": typ})
        token = jws_sign(header, claims, sign=lambda d: store.sign(label, d))
        with pytest.raises(StatusListError, match="typ"):
            status_list_jwt_parse(token)
    _, cwt = _sign_both(signer)
    item = cbor2.loads(cwt)
    protected = cbor2.loads(item.value[0])
    for typ in ("application/cwt", 61, None):
        changed = {k: v for k, v in protected.items() if k != 16} | ({} if typ is None else {16: typ})
        forged = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(changed), *item.value[1:]]))
        with pytest.raises(StatusListError, match="typ"):
            status_list_cwt_parse(forged)
    with pytest.raises(StatusListError, match="tagged 18"):
        status_list_cwt_parse(cbor2.dumps(list(item.value)))  # untagged
    with pytest.raises(StatusListError, match="tagged 18"):
        status_list_cwt_parse(cbor2.dumps(cbor2.CBORTag(61, item)))  # CWT-tagged


def test_parsers_refuse_other_algorithms_and_crit(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    jwt, cwt = _sign_both(signer)
    _, payload, signature = jwt.split(".")
    for header in ({"alg": "none", "typ": JWT_TYP}, {"alg": "HS256", "typ": JWT_TYP}):
        with pytest.raises(StatusListError, match="algorithm"):
            status_list_jwt_parse(f"{b64url(json.dumps(header).encode())}.{payload}.")
    crit = b64url(b'{"alg":"ES256","typ":"statuslist+jwt","crit":["x"],"x":1}')
    with pytest.raises(StatusListError, match="critical"):
        status_list_jwt_parse(f"{crit}.{payload}.{signature}")
    item = cbor2.loads(cwt)
    protected = cbor2.loads(item.value[0])
    for change in ({1: -35}, {2: [99]}):
        forged = cbor2.dumps(cbor2.CBORTag(18, [cbor2.dumps(protected | change), *item.value[1:]]))
        with pytest.raises(StatusListError):
            status_list_cwt_parse(forged)
    with pytest.raises(StatusListError, match="follow"):
        status_list_cwt_parse(cwt + b"\x00")


def test_tampering_breaks_the_signature(signer: tuple[FileKeyStore, str, x509.Certificate]) -> None:
    jwt, cwt = _sign_both(signer)
    cert = signer[2]
    # Another list under the same header and signature.
    other = b64url(
        b'{"sub":"%s","iat":%d,"status_list":{"bits":2,"lst":"%s"}}'
        % (URI.encode(), int(T0.timestamp()), b64url(status_list_encode(bytes(100), 2)).encode())
    )
    head, _, signature = jwt.split(".")
    assert not status_list_jwt_parse(f"{head}.{other}.{signature}").verified_by(cert.public_key())
    item = cbor2.loads(cwt)
    claims = cbor2.loads(item.value[2])
    claims[65533]["lst"] = status_list_encode(bytes(100), 2)
    protected, unprotected, _, signature = item.value
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, cbor2.dumps(claims), signature]))
    assert not status_list_cwt_parse(forged).verified_by(cert.public_key())


def test_stale_after_exp_or_iat_plus_ttl() -> None:
    sl = StatusList(uri=URI, bits=1, statuses=b"\x00", issued_at=T0, expires_at=T0 + timedelta(days=2))
    assert not sl.stale(T0 + timedelta(days=2))
    assert sl.stale(T0 + timedelta(days=2, seconds=1))
    sl = StatusList(uri=URI, bits=1, statuses=b"\x00", issued_at=T0, ttl=timedelta(hours=12))
    assert not sl.stale(T0 + timedelta(hours=12))
    assert sl.stale(T0 + timedelta(hours=12, seconds=1))


# --- fuzz ------------------------------------------------------------------------------------------------


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_jwt_parser_raises_only_ecard_errors_on_text(token: str) -> None:
    with contextlib.suppress(ECardError):
        status_list_jwt_parse(token)


@given(st.binary(max_size=300))
@settings(max_examples=300, deadline=None)
def test_cwt_parser_raises_only_ecard_errors_on_bytes(data: bytes) -> None:
    with contextlib.suppress(ECardError):
        status_list_cwt_parse(data)


@given(st.data())
@settings(max_examples=200, deadline=None)
def test_parsers_raise_only_ecard_errors_on_mutated_tokens(
    signer: tuple[FileKeyStore, str, x509.Certificate], data: st.DataObject
) -> None:
    jwt, cwt = _SIGNED.setdefault("pair", _sign_both(signer))
    raw = bytearray(cwt)
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    text = list(jwt)
    for _ in range(data.draw(st.integers(1, 4))):
        text[data.draw(st.integers(0, len(text) - 1))] = data.draw(st.sampled_from("A_-.e0{\"'é"))
    with contextlib.suppress(ECardError):
        status_list_cwt_parse(bytes(raw))
    with contextlib.suppress(ECardError):
        status_list_jwt_parse("".join(text))


@given(
    st.dictionaries(
        st.sampled_from([2, 4, 6, 65533, 65534, "sub", 1]),
        st.one_of(
            st.integers(-(2**70), 2**70),
            st.text(max_size=5),
            st.binary(max_size=20),
            st.booleans(),
            st.none(),
            st.dictionaries(st.sampled_from(["bits", "lst", 1]), st.one_of(st.integers(), st.binary())),
        ),
    )
)
@settings(max_examples=300, deadline=None)
def test_cwt_claims_fuzz_raises_only_ecard_errors(claims: dict[object, object]) -> None:
    protected = cbor2.dumps({1: -7, 16: CWT_TYP})
    token = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(claims), bytes(64)]))
    with contextlib.suppress(ECardError):
        status_list_cwt_parse(token)


_SIGNED: dict[str, tuple[str, bytes]] = {}
