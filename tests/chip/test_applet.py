"""The applet answers every command and error path with the documented ISO/IEC 7816-4 status word."""

from __future__ import annotations

import os

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from partycard.chip.aa import aa_verify
from partycard.chip.apdu import CommandApdu
from partycard.chip.applet import Applet
from partycard.chip.sw import StatusWord
from partycard.trust.keystore.file import FileKeyStore

H = bytes.fromhex
AID = H("A0000002471001")  # the eMRTD LDS1 application (ICAO 9303-10 §3.6.1)
BIG = bytes(i % 251 for i in range(3000))
HUGE = os.urandom(33000)  # larger than the 15-bit READ BINARY offset range
FILES = {
    0x011E: H("60165F0104303130375F36063034303030305C046175636E"),  # EF.COM-like bytes
    0x0101: b"\x61\x05DG1..",
    0x0102: BIG,
    0x010E: b"",
    0x010F: HUGE,
}
KEY_LABEL = "chip-0001"


def sw(response: bytes) -> StatusWord:
    return StatusWord(int.from_bytes(response[-2:], "big"))


def send(
    applet: Applet, cla: int, ins: int, p1: int, p2: int, data: bytes = b"", le: int | None = None, **kw
):
    return applet.process(CommandApdu(cla, ins, p1, p2, data, le, **kw).encode())


def select_app(applet: Applet) -> bytes:
    return send(applet, 0, 0xA4, 4, 0x0C, AID)


def select_ef(applet: Applet, fid: int, p1: int = 2, p2: int = 0x0C) -> bytes:
    return send(applet, 0, 0xA4, p1, p2, fid.to_bytes(2, "big"))


def read(applet: Applet, offset: int, le: int, **kw) -> bytes:
    return send(applet, 0, 0xB0, offset >> 8, offset & 0xFF, le=le, **kw)


@pytest.fixture(scope="module")
def chip_key(tmp_path_factory):
    store = FileKeyStore(tmp_path_factory.mktemp("chip-keys"), b"chip key store passphrase")
    public = store.generate(KEY_LABEL)
    return store, public


@pytest.fixture
def applet(chip_key):
    store, _ = chip_key
    return Applet(AID, FILES, lambda d: store.sign(KEY_LABEL, d), random=lambda n: bytes(range(1, n + 1)))


@pytest.fixture
def selected(applet):
    assert select_app(applet) == H("9000")
    return applet


# --- constructor --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("aid", "files"), [(b"1234", {}), (b"x" * 17, {}), (AID, {0x3F00: b""}), (AID, {0x10000: b""})]
)
def test_constructor_refuses_bad_aid_or_file_ids(aid, files):
    with pytest.raises(ValueError):
        Applet(aid, files, lambda d: d)


# --- parsing, CLA, INS --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["", "00", "00A404", "00A4040C0501", "00A4040C00000001", "00B000000000"])
def test_malformed_apdu_is_wrong_length(applet, raw):
    assert applet.process(H(raw)) == H("6700")


@pytest.mark.parametrize("cla", [0x0C, 0x08, 0x10, 0x01, 0x80, 0x84, 0xFF])
def test_other_classes_are_not_supported(applet, cla):
    assert send(applet, cla, 0xA4, 4, 0x0C, AID) == H("6E00")


@pytest.mark.parametrize("ins", [0x00, 0xB1, 0xD6, 0x82, 0x86, 0xCA, 0x22, 0x2A, 0xC0])
def test_unknown_instructions(selected, ins):
    assert send(selected, 0, ins, 0, 0, le=8) == H("6D00")


# --- SELECT -------------------------------------------------------------------------------------


@pytest.mark.parametrize("p2", [0x0C, 0x00])
def test_select_application(applet, p2):
    # P2 00 asks for the FCI, which is optional (ISO/IEC 7816-4 §11.1.1): the applet returns none.
    assert send(applet, 0, 0xA4, 4, p2, AID) == H("9000")
    assert send(applet, 0, 0xA4, 4, p2, AID, le=256) == H("9000")


def test_select_application_extended(applet):
    assert send(applet, 0, 0xA4, 4, 0x0C, AID, extended=True) == H("9000")


def test_select_other_application_is_not_found_and_keeps_the_selection(selected):
    assert select_ef(selected, 0x0101) == H("9000")
    assert send(selected, 0, 0xA4, 4, 0x0C, H("A0000002471002")) == H("6A82")
    assert send(selected, 0, 0xA4, 4, 0x0C, AID[:-1]) == H("6A82")  # no partial DF names
    assert selected.current_ef == 0x0101
    assert read(selected, 0, 2) == b"\x61\x05" + H("9000")


def test_select_by_name_without_name_is_wrong_length(applet):
    assert send(applet, 0, 0xA4, 4, 0x0C) == H("6700")


@pytest.mark.parametrize("p1", [0x00, 0x02])
@pytest.mark.parametrize("p2", [0x0C, 0x00])
def test_select_ef(selected, p1, p2):
    for fid in FILES:
        assert select_ef(selected, fid, p1, p2) == H("9000")
        assert selected.current_ef == fid


def test_select_unknown_ef(selected):
    assert select_ef(selected, 0x0101) == H("9000")
    assert select_ef(selected, 0x011D) == H("6A82")
    assert selected.current_ef == 0x0101


@pytest.mark.parametrize("p1", [0x00, 0x02])
def test_select_ef_before_application_is_not_found(applet, p1):
    # The EFs live in the application DF; from the MF they are not visible.
    assert select_ef(applet, 0x011E, p1) == H("6A82")
    assert applet.current_ef is None


@pytest.mark.parametrize("data", ["01", "010101"])
def test_select_ef_needs_a_two_byte_file_id(selected, data):
    assert send(selected, 0, 0xA4, 2, 0x0C, H(data)) == H("6700")
    assert send(selected, 0, 0xA4, 2, 0x0C) == H("6700")


@pytest.mark.parametrize(("p1", "p2"), [(0x01, 0x0C), (0x03, 0x0C), (0x08, 0x0C), (0x09, 0x0C), (0x02, 0x04)])
def test_select_unsupported_p1_p2(selected, p1, p2):
    assert send(selected, 0, 0xA4, p1, p2, H("0101")) == H("6A86")


@pytest.mark.parametrize("p2", [0x02, 0x04, 0x08, 0x0D])
def test_select_by_name_unsupported_p2(applet, p2):
    assert send(applet, 0, 0xA4, 4, p2, AID) == H("6A86")


@pytest.mark.parametrize("data", [b"", H("3F00")])
def test_select_mf_leaves_the_application(selected, data):
    assert select_ef(selected, 0x0101) == H("9000")
    assert send(selected, 0, 0xA4, 0, 0x0C, data) == H("9000")
    assert selected.current_ef is None
    assert select_ef(selected, 0x0101) == H("6A82")
    assert send(selected, 0, 0x88, 0, 0, b"12345678", 256) == H("6985")


def test_select_mf_as_ef_is_not_found(selected):
    assert select_ef(selected, 0x3F00, p1=2) == H("6A82")


# --- READ BINARY --------------------------------------------------------------------------------


def test_read_without_current_ef(applet, selected):
    assert read(applet, 0, 8) == H("6986")
    assert read(selected, 0, 8) == H("6986")  # selecting the application leaves no current EF


def read_all(applet: Applet, fid: int, chunk: int) -> tuple[bytes, list[StatusWord]]:
    assert select_ef(applet, fid) == H("9000")
    out, words = b"", []
    while True:
        response = read(applet, len(out), chunk)
        words.append(sw(response))
        out += response[:-2]
        if words[-1] != StatusWord.OK:
            return out, words


def test_read_3000_bytes_in_chunks_of_223(selected):
    content, words = read_all(selected, 0x0102, 223)
    assert content == BIG
    # 13 full chunks (2899 bytes), then 101 bytes with "end of file before Ne bytes".
    assert words == [StatusWord.OK] * 13 + [StatusWord.END_OF_FILE]


def test_read_chunks_that_end_exactly_at_eof(selected):
    content, words = read_all(selected, 0x0102, 200)
    assert content == BIG
    assert words == [StatusWord.OK] * 15 + [StatusWord.WRONG_P1_P2]


def test_read_3000_bytes_in_one_extended_read(selected):
    assert select_ef(selected, 0x0102) == H("9000")
    assert read(selected, 0, 3000) == BIG + H("9000")
    assert read(selected, 0, 65536) == BIG + H("6282")  # extended Le 0000


def test_short_le_00_reads_256(selected):
    assert select_ef(selected, 0x0102) == H("9000")
    assert selected.process(H("00B0000000")) == BIG[:256] + H("9000")


def test_read_near_and_past_end(selected):
    assert select_ef(selected, 0x0102) == H("9000")
    assert read(selected, 2990, 10) == BIG[2990:] + H("9000")
    assert read(selected, 2990, 11) == BIG[2990:] + H("6282")
    assert read(selected, 2999, 256) == BIG[2999:] + H("6282")
    assert read(selected, 3000, 1) == H("6B00")
    assert read(selected, 0x7FFF, 1) == H("6B00")


def test_read_empty_file(selected):
    assert select_ef(selected, 0x010E) == H("9000")
    assert read(selected, 0, 1) == H("6B00")


def test_read_uses_a_15_bit_offset(selected):
    assert select_ef(selected, 0x010F) == H("9000")
    assert read(selected, 0x7FFF, 1) == HUGE[0x7FFF:0x8000] + H("9000")
    assert read(selected, 0x7F00, 0x1000) == HUGE[0x7F00:] + H("6282")  # a read may run past 7FFF


def test_read_by_short_ef_identifier(selected):
    # P1 = 1000 0000 | SFI, P2 = offset (ISO/IEC 7816-4 §11.2.2); EF.COM is SFI 1E.
    assert send(selected, 0, 0xB0, 0x9E, 0, le=4) == FILES[0x011E][:4] + H("9000")
    assert selected.current_ef == 0x011E
    assert read(selected, 4, 4) == FILES[0x011E][4:8] + H("9000")  # it became the current EF
    assert send(selected, 0, 0xB0, 0x82, 10, le=256) == BIG[10:266] + H("9000")
    assert send(selected, 0, 0xB0, 0x81, 7, le=1) == H("6B00")  # DG1 is 7 bytes long


@pytest.mark.parametrize("p1", [0x9D, 0x80, 0x9F, 0x83])  # SOD absent, SFI 0, reserved SFI 1F, DG3 absent
def test_read_by_unknown_short_ef_identifier(selected, p1):
    assert send(selected, 0, 0xB0, p1, 0, le=1) == H("6A82")


def test_read_by_short_ef_identifier_before_application(applet):
    assert send(applet, 0, 0xB0, 0x9E, 0, le=1) == H("6A82")


@pytest.mark.parametrize("p1", [0xA1, 0xC1, 0xE1])
def test_read_by_short_ef_identifier_reserved_bits(selected, p1):
    assert send(selected, 0, 0xB0, p1, 0, le=1) == H("6A86")


def test_read_binary_length_errors(selected):
    assert select_ef(selected, 0x0101) == H("9000")
    assert send(selected, 0, 0xB0, 0, 0) == H("6700")  # no Le: no data expected
    assert send(selected, 0, 0xB0, 0, 0, b"\x00") == H("6700")  # data field on READ BINARY (even INS)
    assert send(selected, 0, 0xB0, 0, 0, b"\x00", 4) == H("6700")


# --- GET CHALLENGE ------------------------------------------------------------------------------


def test_get_challenge(applet):
    assert applet.last_challenge is None
    assert send(applet, 0, 0x84, 0, 0, le=8) == bytes(range(1, 9)) + H("9000")
    assert applet.last_challenge == bytes(range(1, 9))


def test_get_challenge_is_random_by_default():
    applet = Applet(AID, {}, lambda d: d)
    first, second = (applet.process(H("0084000008")) for _ in range(2))
    assert len(first) == len(second) == 10 and first[-2:] == second[-2:] == H("9000")
    assert first != second
    assert applet.last_challenge == second[:8]


@pytest.mark.parametrize("le", [None, 1, 7, 9, 16, 256, 65536])
def test_get_challenge_other_lengths(applet, le):
    assert send(applet, 0, 0x84, 0, 0, le=le) == H("6700")
    assert applet.last_challenge is None


def test_get_challenge_with_data(applet):
    assert send(applet, 0, 0x84, 0, 0, b"\x00", 8) == H("6700")


@pytest.mark.parametrize(("p1", "p2"), [(1, 0), (0, 1)])
def test_get_challenge_p1_p2(applet, p1, p2):
    assert send(applet, 0, 0x84, p1, p2, le=8) == H("6A86")


# --- INTERNAL AUTHENTICATE (active authentication) ----------------------------------------------


def test_active_authentication_verifies_and_resists_replay(selected, chip_key):
    _, public = chip_key
    nonce = os.urandom(8)
    response = send(selected, 0, 0x88, 0, 0, nonce, 256)
    assert sw(response) == StatusWord.OK
    signature = response[:-2]
    assert len(signature) == 64  # plain r || s for P-256 (ICAO 9303-11 §6.1.2, TR-03111)
    assert aa_verify(public, nonce, signature)
    # The same signature offered for another session's nonce does not verify.
    assert not aa_verify(public, bytes(b ^ 1 for b in nonce), signature)
    assert not aa_verify(ec.generate_private_key(ec.SECP256R1()).public_key(), nonce, signature)


def test_active_authentication_extended_and_exact_le(selected, chip_key):
    _, public = chip_key
    for le, extended in [(64, False), (65536, True)]:
        response = send(selected, 0, 0x88, 0, 0, b"ABCDEFGH", le, extended=extended)
        assert sw(response) == StatusWord.OK
        assert aa_verify(public, b"ABCDEFGH", response[:-2])


@pytest.mark.parametrize(
    ("data", "le"), [(b"", 256), (b"1234567", 256), (b"123456789", 256), (b"12345678", None)]
)
def test_active_authentication_wrong_length(selected, data, le):
    assert send(selected, 0, 0x88, 0, 0, data, le) == H("6700")


def test_active_authentication_le_too_short_for_the_signature(selected):
    assert send(selected, 0, 0x88, 0, 0, b"12345678", 63) == H("6700")


@pytest.mark.parametrize(("p1", "p2"), [(1, 0), (0, 1), (0x80, 0x80)])
def test_active_authentication_p1_p2(selected, p1, p2):
    assert send(selected, 0, 0x88, p1, p2, b"12345678", 256) == H("6A86")


def test_active_authentication_before_application(applet):
    assert send(applet, 0, 0x88, 0, 0, b"12345678", 256) == H("6985")


def test_active_authentication_key_failure_is_no_precise_diagnosis():
    def broken(_: bytes) -> bytes:
        raise RuntimeError("token removed")

    for sign in (broken, lambda d: b"not DER"):
        applet = Applet(AID, {}, sign)
        select_app(applet)
        assert send(applet, 0, 0x88, 0, 0, b"12345678", 256) == H("6F00")


# --- fuzzing ------------------------------------------------------------------------------------

_FUZZ_KEY = ec.generate_private_key(ec.SECP256R1())


def _fuzz_applet() -> Applet:
    applet = Applet(AID, FILES, lambda d: _FUZZ_KEY.sign(d, ec.ECDSA(hashes.SHA256())))
    return applet


def _assert_valid_response(response: bytes) -> None:
    assert len(response) >= 2
    word = int.from_bytes(response[-2:], "big")
    assert word in set(StatusWord)
    if word not in (StatusWord.OK, StatusWord.END_OF_FILE):
        assert len(response) == 2  # errors carry no data


byte = st.integers(0, 255)
commands = st.builds(
    CommandApdu,
    cla=st.sampled_from([0x00, 0x00, 0x00, 0x0C, 0x80]),
    ins=st.sampled_from([0xA4, 0xB0, 0x84, 0x88, 0x00]),
    p1=st.one_of(st.sampled_from([0x00, 0x02, 0x04, 0x9E, 0x81, 0x7F]), byte),
    p2=st.one_of(st.sampled_from([0x00, 0x0C]), byte),
    data=st.one_of(
        st.just(b""), st.just(AID), st.sampled_from([H("011E"), H("0102"), H("3F00")]), st.binary()
    ),
    le=st.one_of(st.none(), st.integers(1, 65536), st.sampled_from([8, 64, 256])),
    extended=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=8))
def test_fuzz_random_bytes_never_raise(apdus):
    applet = _fuzz_applet()
    select_app(applet)
    for apdu in apdus:
        _assert_valid_response(applet.process(apdu))


@settings(max_examples=300, deadline=None)
@given(st.lists(commands, max_size=12))
def test_fuzz_well_formed_commands_never_raise(sequence):
    applet = _fuzz_applet()
    for command in sequence:
        _assert_valid_response(applet.process(command.encode()))
