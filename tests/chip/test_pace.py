"""PACE ECDH generic mapping reproduced byte for byte from ICAO 9303-11 Appendix G.1 (the worked example
BSI TR-03110 shares), both the terminal's side and the chip's, plus the SecurityInfos of EF.CardAccess.

Vector source: ICAO Doc 9303 Part 11, Appendix G.1 ("ECDH based example", brainpoolP256r1, MRZ password
T22000129 / 640812 / 101031); the bytes below were taken from gmrtd/gmrtd ``pace_test.go``
(TestDoPace_GM_ECDH, TestDoGenericMappingEC, TestBuild7F49), which copies them from the appendix, and
cross-checked against the same values in other readers' appendix tests (JMRTD-style Java, Dart dmrtd).
"""

from __future__ import annotations

import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.chip.apdu import CommandApdu
from partycard.chip.ecarith import BRAINPOOL_P256R1
from partycard.chip.errors import ChipFormatError, PaceError, PaceRefused
from partycard.chip.pace import (
    PASSWORD_MRZ,
    PaceChip,
    PaceTerminal,
    auth_token,
    can_key,
    kdf,
    nonce_decrypt,
    nonce_encrypt,
    pace_terminal_run,
    public_key_data,
    session_keys,
)
from partycard.chip.securityinfos import (
    ca_info_parse,
    ca_security_infos,
    card_access_build,
    card_access_parse,
)
from partycard.chip.tlv import tlv_encode

H = bytes.fromhex

# --- ICAO 9303-11 Appendix G.1 -------------------------------------------------------------------------
MRZ_INFORMATION = b"T22000129364081251010318"  # document number + check digit, birth + cd, expiry + cd
K = H("7E2D2A41C74EA0B38CD36F863939BFA8E9032AAD")  # SHA-1(MRZ information), 9303-11 §9.7.3
K_PI = H("89DED1B26624EC1E634C1989302849DD")
NONCE_Z = H("95A3A016522EE98D01E76CB6B98B42C3")
NONCE_S = H("3F00C4D39D153F2B2A214A078D899B22")
SK_MAP_IFD = 0x7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99
PK_MAP_IFD = H(
    "047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
    "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
)
SK_MAP_IC = 0x498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560
PK_MAP_IC = H(
    "04824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
    "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
)
H_POINT = H(
    "0460332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
    "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
)
G_MAPPED = H(
    "048CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
    "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
)
SK_DH_IFD = 0xA73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595
PK_DH_IFD = H(
    "042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
    "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
)
SK_DH_IC = 0x107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A
PK_DH_IC = H(
    "049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
    "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
)
SHARED_SECRET = H("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925")
KS_ENC = H("F5F0E35C0D7161EE6724EE513A0D9A7F")
KS_MAC = H("FE251C7858B356B24514B3BD5F4297D1")
T_IFD = H("C2B0BD78D94BA866")
T_IC = H("3ABB9674BCE93C08")
T_IFD_INPUT = H(
    "7F494F060A04007F000702020402028641049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65D"
    "F6DB7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
)
CARD_ACCESS = H("31143012060A04007F0007020204020202010202010D")  # Appendix G's EF.CardAccess
TRANSCRIPT = [  # (command, response) of Appendix G.1, MSE:Set AT with the optional 84 (parameter ID 13)
    ("0022C1A412800A04007F0007020204020283010184010D", "9000"),
    ("10860000027C0000", "7C12801095A3A016522EE98D01E76CB6B98B42C39000"),
    ("10860000457C438141" + PK_MAP_IFD.hex() + "00", "7C438241" + PK_MAP_IC.hex() + "9000"),
    ("10860000457C438341" + PK_DH_IFD.hex() + "00", "7C438441" + PK_DH_IC.hex() + "9000"),
    ("008600000C7C0A8508" + T_IFD.hex() + "00", "7C0A8608" + T_IC.hex() + "9000"),
]


def test_password_key_kdf():
    # 9303-11 §9.7.3 (MRZ: K = SHA-1 of the MRZ information) and §9.7.1 (KDF with counter 3, AES-128)
    assert hashlib.sha1(MRZ_INFORMATION).digest() == K  # noqa: S324 - the spec's f(π)
    assert kdf(K, 3) == K_PI


def test_nonce_is_aes_cbc_with_zero_iv():
    assert nonce_decrypt(K_PI, NONCE_Z) == NONCE_S
    assert nonce_encrypt(K_PI, NONCE_S) == NONCE_Z
    with pytest.raises(PaceError):
        nonce_decrypt(K_PI, NONCE_Z[:15])


def test_generic_mapping_and_key_agreement_step_by_step():
    curve = BRAINPOOL_P256R1
    assert curve.encode(curve.multiply(SK_MAP_IFD, curve.g)) == PK_MAP_IFD
    assert curve.encode(curve.multiply(SK_MAP_IC, curve.g)) == PK_MAP_IC
    h = curve.multiply(SK_MAP_IFD, curve.decode(PK_MAP_IC))
    assert curve.encode(h) == H_POINT
    assert curve.multiply(SK_MAP_IC, curve.decode(PK_MAP_IFD)) == h  # both sides agree on H
    mapped = curve.add(curve.multiply(int.from_bytes(NONCE_S, "big"), curve.g), h)  # G' = s·G + H
    assert curve.encode(mapped) == G_MAPPED
    assert curve.encode(curve.multiply(SK_DH_IFD, mapped)) == PK_DH_IFD
    assert curve.encode(curve.multiply(SK_DH_IC, mapped)) == PK_DH_IC
    shared = curve.multiply(SK_DH_IFD, curve.decode(PK_DH_IC))
    assert shared is not None and shared[0].to_bytes(32, "big") == SHARED_SECRET
    keys = session_keys(SHARED_SECRET)
    assert (keys.enc, keys.mac) == (KS_ENC, KS_MAC)


def test_authentication_tokens():
    assert public_key_data(PK_DH_IC) == T_IFD_INPUT  # 7F49 { 06 OID, 86 point }
    assert auth_token(KS_MAC, PK_DH_IC) == T_IFD
    assert auth_token(KS_MAC, PK_DH_IFD) == T_IC


def _scripted(transcript):
    steps = iter(transcript)

    def send(command: CommandApdu) -> tuple[bytes, int]:
        expected, response = next(steps)
        assert command.encode().hex().upper() == expected.upper()
        raw = H(response)
        return raw[:-2], int.from_bytes(raw[-2:], "big")

    return send, steps


def test_terminal_side_reproduces_the_transcript():
    send, steps = _scripted(TRANSCRIPT)
    keys = pace_terminal_run(
        send,
        parameter_id=13,
        password_key=K_PI,
        password_ref=PASSWORD_MRZ,
        private_keys=iter([SK_MAP_IFD, SK_DH_IFD]),
    )
    assert next(steps, None) is None
    assert (keys.enc, keys.mac) == (KS_ENC, KS_MAC)


def test_terminal_rejects_a_wrong_chip_token():
    transcript = [*TRANSCRIPT[:-1], (TRANSCRIPT[-1][0], "7C0A8608" + "00" * 8 + "9000")]
    send, _ = _scripted(transcript)
    with pytest.raises(PaceRefused) as info:
        pace_terminal_run(
            send,
            parameter_id=13,
            password_key=K_PI,
            password_ref=PASSWORD_MRZ,
            private_keys=iter([SK_MAP_IFD, SK_DH_IFD]),
        )
    assert info.value.status is None  # the card said 9000; its token is what failed


def test_terminal_reports_the_cards_refusal():
    send, _ = _scripted([*TRANSCRIPT[:-1], (TRANSCRIPT[-1][0], "6300")])
    with pytest.raises(PaceRefused) as info:
        pace_terminal_run(
            send,
            parameter_id=13,
            password_key=K_PI,
            password_ref=PASSWORD_MRZ,
            private_keys=iter([SK_MAP_IFD, SK_DH_IFD]),
        )
    assert info.value.status == 0x6300


def test_chip_side_reproduces_the_transcript():
    chip = PaceChip(13, K_PI, random=lambda n: NONCE_S, private_keys=iter([SK_MAP_IC, SK_DH_IC]))
    assert chip.encrypted_nonce() == NONCE_Z
    assert chip.map_nonce(PK_MAP_IFD) == PK_MAP_IC
    assert chip.agree(PK_DH_IFD) == PK_DH_IC
    token, keys = chip.finish(T_IFD)
    assert token == T_IC and (keys.enc, keys.mac) == (KS_ENC, KS_MAC)


def test_chip_refuses_a_token_from_another_password():
    chip = PaceChip(13, K_PI, random=lambda n: NONCE_S, private_keys=iter([SK_MAP_IC, SK_DH_IC]))
    chip.encrypted_nonce()
    chip.map_nonce(PK_MAP_IFD)
    chip.agree(PK_DH_IFD)
    with pytest.raises(PaceRefused):
        chip.finish(bytes(a ^ b for a, b in zip(T_IFD, b"\x01" + bytes(7), strict=True)))


def test_chip_refuses_points_off_the_curve_and_reflection():
    off_curve = PK_MAP_IFD[:-1] + bytes([PK_MAP_IFD[-1] ^ 1])
    chip = PaceChip(13, K_PI, random=lambda n: NONCE_S, private_keys=iter([SK_MAP_IC, SK_DH_IC]))
    chip.encrypted_nonce()
    with pytest.raises(PaceError):
        chip.map_nonce(off_curve)
    chip = PaceChip(13, K_PI, random=lambda n: NONCE_S, private_keys=iter([SK_MAP_IC, SK_DH_IC]))
    chip.encrypted_nonce()
    chip.map_nonce(PK_MAP_IFD)
    with pytest.raises(PaceError):
        chip.agree(PK_DH_IC)  # its own key sent back (9303-11 §4.4.3.3: PK_DH,IFD ≠ PK_DH,IC)


@pytest.mark.parametrize("parameter_id", [12, 13])
def test_terminal_and_chip_agree_on_both_curves(parameter_id):
    key = can_key("123456")
    terminal, chip = PaceTerminal(parameter_id, key), PaceChip(parameter_id, key)
    z = chip.encrypted_nonce()
    terminal_map = terminal.map_nonce(z)
    chip_map = chip.map_nonce(terminal_map)
    terminal_dh = terminal.agree(chip_map)
    chip_dh = chip.agree(terminal_dh)
    chip_token, chip_keys = chip.finish(terminal.token(chip_dh))
    assert terminal.finish(chip_token) == chip_keys


def test_a_wrong_can_fails_only_at_the_tokens():
    terminal, chip = PaceTerminal(12, can_key("123456")), PaceChip(12, can_key("654321"))
    chip_map = chip.map_nonce(terminal.map_nonce(chip.encrypted_nonce()))
    chip_dh = chip.agree(terminal.agree(chip_map))
    with pytest.raises(PaceRefused):
        chip.finish(terminal.token(chip_dh))


@pytest.mark.parametrize("can", ["12345", "1234567", "12345a", "١٢٣٤٥٦"])
def test_can_is_six_ascii_digits(can):
    with pytest.raises(ValueError):
        can_key(can)


def test_can_key_is_the_kdf_of_its_characters():
    # 9303-11 §9.7.3: for the CAN, f(π) is the CAN itself (ISO/IEC 8859-1 characters)
    assert can_key("123456") == hashlib.sha1(b"123456" + b"\x00\x00\x00\x03").digest()[:16]  # noqa: S324


# --- SecurityInfos (9303-11 §9.2) ---------------------------------------------------------------------


def test_card_access_matches_appendix_g():
    assert card_access_build(parameter_id=13) == CARD_ACCESS
    info = card_access_parse(CARD_ACCESS)
    assert (info.protocol, info.version, info.parameter_id) == ("0.4.0.127.0.7.2.2.4.2.2", 2, 13)
    assert card_access_parse(card_access_build(parameter_id=12)).parameter_id == 12


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x31\x00",
        H("31143012060A04007F0007020204020202010202010E"),  # parameter ID 14: unsupported
        H("31143012060A04007F0007020204020202010102010D"),  # version 1
        H("31143012060A04007F0007020204060202010202010D"),  # PACE-CAM, not ours
    ],
)
def test_card_access_without_usable_pace(data):
    with pytest.raises(ChipFormatError):
        card_access_parse(data)


def test_card_access_parameter_ids():
    with pytest.raises(ValueError):
        card_access_build(parameter_id=14)


def test_ca_security_infos_round_trip():
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    dg14 = tlv_encode(0x6E, tlv_encode(0x31, ca_security_infos(key)))
    info = ca_info_parse(dg14)
    assert info is not None and info.public_key == key and info.key_id is None and info.version == 1
    assert ca_security_infos(key)[0] == H("300F060A04007F00070202030202020101")
    assert ca_info_parse(tlv_encode(0x6E, tlv_encode(0x31, b""))) is None
    with pytest.raises(ChipFormatError):  # CA announced without its public key
        ca_info_parse(tlv_encode(0x6E, tlv_encode(0x31, ca_security_infos(key)[:1])))
