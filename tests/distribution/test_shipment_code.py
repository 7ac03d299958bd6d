"""The shipment code's check symbol: Luhn mod N (N = 32) detects every single-symbol error and every swap
of two neighbouring different symbols except the pair of values 0 and N-1 ("0" and "Z"), as Luhn's
mod 10 misses 09 ↔ 90 (the algorithm's stated properties), and reading accepts Crockford's
look-alikes (O as 0, I and L as 1) and loose typing."""

from __future__ import annotations

from partycard.distribution.shipment_code import ALPHABET, code_is_valid, code_new, code_normalise


def test_every_single_symbol_error_and_neighbour_swap_is_caught() -> None:
    for _ in range(50):
        code = code_new()
        assert code_is_valid(code)
        raw = code.replace("-", "")
        for i in range(len(raw)):
            for symbol in ALPHABET:
                if symbol != raw[i]:
                    assert not code_is_valid(raw[:i] + symbol + raw[i + 1 :])
        for i in range(len(raw) - 1):
            if raw[i] != raw[i + 1] and {raw[i], raw[i + 1]} != {"0", "Z"}:
                assert not code_is_valid(raw[:i] + raw[i + 1] + raw[i] + raw[i + 2 :])


def test_typed_codes_are_read_as_printed() -> None:
    code = "0A1B2-C3D4E-" + "X"
    assert code_normalise(" oa1b2 c3d4e-x ") == code
    assert code_normalise("OAIB2C3D4EX") == "0A1B2-C3D4E-X"
    assert code_normalise("short") == "" and code_normalise("0A1B2-C3D4E-U") == ""  # U is not in the alphabet
