"""ICAO 9303-11 Appendix D.3-D.4, the worked example of secure messaging, byte for byte through
partycard's own framing code (:class:`~partycard.chip.sm.SecureMessaging` with the 3DES suite).

Appendix D.4 is 9303-11's only worked example of secure messaging, and it is 3DES (after BAC). The
framing it exercises (9303-11 §9.8: the masked CLA, ISO/IEC 9797-1 padding method 2, DO'87'/DO'97'/
DO'99'/DO'8E', what is MACed, the SSC incremented before every command and every response) is the code
that protects every party card's AES session; only the cipher suite differs.

The bytes are the appendix's as copied, value by value with its own names (M, N, CC, K, CC'), by
ZeroPass/dmrtd ``test/sm_test.dart`` ("Test vectors taken from Appendix D.4 to the Part 11") and by
gmrtd/gmrtd ``iso7816/secure_messaging_test.go`` (SELECT EF.COM, both ways); the D.3 inputs (K.IFD,
K.IC, RND.IC, RND.IFD) and K_seed as several BAC implementations' tests copy them from D.3. One
known misprint: the appendix prints the last response's K without its padding byte 80 (dmrtd notes it);
the CC' it gives is the MAC of the padded K, which is what is asserted here.
"""

from __future__ import annotations

import pytest

from partycard.chip.apdu import CommandApdu
from partycard.chip.errors import SmMacError, SmReplayError
from partycard.chip.pace import kdf
from partycard.chip.sm import TDES, SecureMessaging, SessionKeys, mac_input, pad, retail_mac, unpad
from partycard.chip.tlv import tlv_encode

H = bytes.fromhex

# --- Appendix D.3: session keys and the starting SSC --------------------------------------------------
K_IFD = H("0B795240CB7049B01C19B33E32804F0B")
K_IC = H("0B4F80323EB3191CB04970CB4052790B")
K_SEED = H("0036D272F5C350ACAC50C3F572D23600")  # K.IFD xor K.IC
RND_IC = H("4608F91988702212")
RND_IFD = H("781723860C06C226")
KS_ENC = H("979EC13B1CBFE9DCD01AB0FED307EAE5")
KS_MAC = H("F1CB1F1FB5ADF208806B89DC579DC1F8")
SSC0 = 0x887022120C06C226  # last 4 bytes of RND.IC || last 4 bytes of RND.IFD
KEYS = SessionKeys(KS_ENC, KS_MAC)


def _des_parity(key: bytes) -> bytes:
    """Each byte's low bit set so the byte has odd parity (9303-11 §9.7.1.2 for DES keys)."""
    return bytes((b & 0xFE) | (bin(b >> 1).count("1") + 1) % 2 for b in key)


def test_d3_session_keys_and_ssc_from_the_appendix_inputs() -> None:
    """9303-11 §9.7.1: KS = KDF(K_seed, c), c = 1 (enc) or 2 (mac), SHA-1, 16 bytes, parity adjusted."""
    seed = bytes(a ^ b for a, b in zip(K_IFD, K_IC, strict=True))
    assert seed == K_SEED
    assert _des_parity(kdf(seed, 1)) == KS_ENC
    assert _des_parity(kdf(seed, 2)) == KS_MAC
    assert int.from_bytes(RND_IC[4:] + RND_IFD[4:], "big") == SSC0


# --- Appendix D.4: three commands and their responses -----------------------------------------------
#: per step: plain command, SSC of the command, masked padded header, DO'87', DO'97', M, N, CC,
#: protected command; then the protected response, its DO'87', DO'99', K (padded), CC', plain data.
STEPS = [
    pytest.param(
        CommandApdu(0x00, 0xA4, 0x02, 0x0C, H("011E")),
        0x887022120C06C227,
        "0CA4020C80000000",
        "8709016375432908C044F6",
        "",
        "0CA4020C800000008709016375432908C044F6",
        "887022120C06C2270CA4020C800000008709016375432908C044F68000000000",
        "BF8B92D635FF24F8",
        "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
        "990290008E08FA855A5D4C50A8ED9000",
        "",
        "99029000",
        "887022120C06C2289902900080000000",
        "FA855A5D4C50A8ED",
        "",
        id="select-ef-com",
    ),
    pytest.param(
        CommandApdu(0x00, 0xB0, 0x00, 0x00, le=4),
        0x887022120C06C229,
        "0CB0000080000000",
        "",
        "970104",
        "0CB0000080000000970104",
        "887022120C06C2290CB00000800000009701048000000000",
        "ED6705417E96BA55",
        "0CB000000D9701048E08ED6705417E96BA5500",
        "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000",
        "8709019FF0EC34F9922651",
        "99029000",
        "887022120C06C22A8709019FF0EC34F99226519902900080",
        "AD55CC17140B2DED",
        "60145F01",
        id="read-binary-4",
    ),
    pytest.param(
        CommandApdu(0x00, 0xB0, 0x00, 0x04, le=0x12),
        0x887022120C06C22B,
        "0CB0000480000000",
        "",
        "970112",
        "0CB0000480000000970112",
        "887022120C06C22B0CB00004800000009701128000000000",
        "2EA28A70F3C7B535",
        "0CB000040D9701128E082EA28A70F3C7B53500",
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
        "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A",
        "99029000",
        "887022120C06C22C871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A9902900080",
        "C8B2787EAEA07D74",
        "04303130365F36063034303030305C026175",
        id="read-binary-rest",
    ),
]
STEP_ARGS = "plain,ssc,header,do87,do97,m,n,cc,protected,response,r_do87,r_do99,k,r_cc,data"


def _session(steps_before: int) -> SecureMessaging:
    """A 3DES session at the SSC the appendix has before the given step (two APDUs per step)."""
    return SecureMessaging(KEYS, SSC0 + 2 * steps_before, suite=TDES)


@pytest.mark.parametrize(STEP_ARGS, STEPS)
def test_d4_command_intermediates(
    plain: CommandApdu,
    ssc: int,
    header: str,
    do87: str,
    do97: str,
    m: str,
    n: str,
    cc: str,
    protected: str,
    response: str,
    r_do87: str,
    r_do99: str,
    k: str,
    r_cc: str,
    data: str,
) -> None:
    """Each intermediate value of the command through the suite's primitives, then the whole APDU."""
    masked = bytes((plain.cla | 0x0C, plain.ins, plain.p1, plain.p2))
    assert pad(masked, TDES.block) == H(header)
    if plain.data:
        encrypted = TDES.encrypt(KS_ENC, ssc, pad(plain.data, TDES.block))
        assert tlv_encode(0x87, b"\x01" + encrypted) == H(do87)
    assert H(header) + H(do87) + H(do97) == H(m)
    assert mac_input(TDES, ssc, H(m)) == H(n)
    assert TDES.mac(KS_MAC, H(n)) == H(cc) == retail_mac(KS_MAC, H(n))
    sm = SecureMessaging(KEYS, ssc - 1, suite=TDES)
    assert sm.wrap_command(plain).encode() == H(protected)
    assert sm.ssc == ssc


@pytest.mark.parametrize(STEP_ARGS, STEPS)
def test_d4_response_intermediates(
    plain: CommandApdu,
    ssc: int,
    header: str,
    do87: str,
    do97: str,
    m: str,
    n: str,
    cc: str,
    protected: str,
    response: str,
    r_do87: str,
    r_do99: str,
    k: str,
    r_cc: str,
    data: str,
) -> None:
    """The response's DOs, K, CC' (= its DO'8E') and the decrypted data, then unwrap and wrap."""
    r = H(response)
    assert r == H(r_do87) + H(r_do99) + tlv_encode(0x8E, H(r_cc)) + H("9000")
    assert mac_input(TDES, ssc + 1, H(r_do87) + H(r_do99)) == H(k)
    assert TDES.mac(KS_MAC, H(k)) == H(r_cc)
    if r_do87:
        assert unpad(TDES.decrypt(KS_ENC, ssc + 1, H(r_do87)[3:]), TDES.block) == H(data)
    # terminal side: unwrap under SSC + 1
    terminal = SecureMessaging(KEYS, ssc, suite=TDES)
    assert terminal.unwrap_response(r) == (H(data), 0x9000)
    assert terminal.ssc == ssc + 1
    # chip side: the chip answers the same bytes (3DES's IV is zero, so the encryption is deterministic)
    chip = SecureMessaging(KEYS, ssc, suite=TDES)
    assert chip.wrap_response(H(data), 0x9000) == r
    assert chip.ssc == ssc + 1


def test_d4_terminal_side_whole_session() -> None:
    """The terminal's run of D.4 on one session from SSC 887022120C06C226: wrap, unwrap, ×3."""
    sm = _session(0)
    read = b""
    for step in STEPS:
        plain, ssc, *_, protected, response, _, _, _, _, data = step.values
        assert sm.wrap_command(plain).encode() == H(protected)
        got, sw = sm.unwrap_response(H(response))
        assert (got, sw, sm.ssc) == (H(data), 0x9000, ssc + 1)
        read += got
    # EF.COM as the appendix reads it: tag 60, length 14, LDS version 0106, Unicode 040000, tag list 61 75
    assert read == H("60145F0104303130365F36063034303030305C026175")
    assert sm.ssc == 0x887022120C06C22C


def test_d4_chip_side_whole_session() -> None:
    """The chip's run of D.4 on one session: unwrap each protected command to the plain one, wrap the
    appendix's response byte for byte."""
    sm = _session(0)
    for step in STEPS:
        plain, ssc, *_, protected, response, _, _, _, _, data = step.values
        got = sm.unwrap_command(CommandApdu.parse(H(protected)))
        assert (got.cla, got.ins, got.p1, got.p2, got.data, got.le) == (
            plain.cla,
            plain.ins,
            plain.p1,
            plain.p2,
            plain.data,
            plain.le,
        )
        assert sm.ssc == ssc
        assert sm.wrap_response(H(data), 0x9000) == H(response)
    assert sm.ssc == 0x887022120C06C22C


def test_d4_an_earlier_response_replayed_is_named_a_replay() -> None:
    """The appendix's first response (MACed under SSC ...C228) offered again where ...C22A is expected:
    the counter is what makes it fail, and it fails as a replay (the MAC is valid 2 APDUs back)."""
    sm = SecureMessaging(KEYS, SSC0 + 3, suite=TDES)
    with pytest.raises(SmReplayError, match="2 APDUs back"):
        sm.unwrap_response(H("990290008E08FA855A5D4C50A8ED9000"))


def test_d4_one_flipped_bit_in_the_encrypted_data_is_refused() -> None:
    """DO'87' is under the MAC: altering the ciphertext of READ BINARY's answer fails DO'8E'."""
    r = bytearray(H("8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000"))
    r[4] ^= 0x01
    with pytest.raises(SmMacError):
        SecureMessaging(KEYS, 0x887022120C06C229, suite=TDES).unwrap_response(bytes(r))


def test_retail_mac_refuses_unpadded_data() -> None:
    """The retail MAC is defined on whole 8-byte blocks; 9303-11 pads N before it."""
    with pytest.raises(ValueError, match="8-byte blocks"):
        retail_mac(KS_MAC, H("887022120C06C227"[:-2]))
