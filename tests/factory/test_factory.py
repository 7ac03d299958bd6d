"""The manufacturer's side end to end: a batch personalised, its key report signed, the SOD file written
into the chips, every chip checked, the production report signed; and each refusal with its own exit
code (factory/errors.py): truncated, tampered, for another manufacturer, signed by a non-DS, replayed,
an SOD file that answers another key report."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from partycard.batches import (
    SodCard,
    SodFile,
    batch_encode,
    key_report_decode,
    sod_file_decode,
    unseal,
    verify_report,
)
from partycard.chip.lds import dg15_parse
from partycard.chip.perso import LifeCycle, chip_state_load
from partycard.trust.cms import cms_encrypt, cms_sign
from partycard.trust.keystore.file import FileKeyStore
from tests.factory.conftest import (
    AT,
    NOW,
    PASSPHRASE,
    Factory,
    Party,
    factory_make,
    finish,
    personalise,
    report_of,
    run,
)


def ledger(factory: Factory) -> list[dict[str, object]]:
    path = factory.directory / "ledger.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def keys_of(factory: Factory, code: str) -> dict[str, tuple[str, str, str, bytes]]:
    data = factory.out(f"{code}.keys.p7s").read_bytes()
    report = key_report_decode(verify_report(data, trusted=[factory.signing], at=NOW))
    return {line.number: (line.outcome, line.reason, line.chip_serial, line.dg15) for line in report.lines}


def test_a_batch_goes_through_both_passes(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-01", 4)
    first = personalise(capsys, factory, party.batch_file(batch, factory.encryption))
    assert first.status == 0, first.err
    keys = keys_of(factory, batch.code)
    assert list(keys) == [card.number for card in batch.cards]
    assert {outcome for outcome, *_ in keys.values()} == {"personalised"}
    serials = [serial for _, _, serial, _ in keys.values()]
    assert len(set(serials)) == 4 and all(len(s) == 16 for s in serials)
    for number, (_, _, serial, dg15) in keys.items():
        chip = chip_state_load(factory.directory / "chips" / f"{number}.chip")
        # The DG15 reported is the chip's own key, generated on it; the chip is still being personalised.
        assert chip.serial == serial and chip.life_cycle is LifeCycle.PERSONALISATION
        assert chip.public_key is not None
        assert dg15_parse(dg15).public_key.public_numbers() == chip.public_key.public_numbers()
    assert (factory.directory / "print" / f"{batch.code}.pdf").read_bytes().startswith(b"%PDF")
    assert str(factory.out(f"{batch.code}.keys.p7s")) in first.out

    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    second = finish(capsys, factory, sod)
    assert second.status == 0, second.err
    report = report_of(factory, batch.code)
    assert list(report) == list(keys)
    for number, (outcome, reason, serial, fingerprint) in report.items():
        assert (outcome, reason, serial) == ("produced", "", keys[number][2])
        # The contract: aa_fingerprint is the SHA-256 of the DG15 file's bytes.
        assert fingerprint == hashlib.sha256(keys[number][3]).hexdigest()
        assert (
            chip_state_load(factory.directory / "chips" / f"{number}.chip").life_cycle
            is LifeCycle.OPERATIONAL
        )

    for name in (f"{batch.code}.keys.p7s", f"{batch.code}.report.p7s"):
        shown = run(capsys, "show", str(factory.out(name)), "--dir", str(factory.directory), "--at", AT)
        assert shown.status == 0 and batch.code in shown.out and "4 " in shown.out, shown
    for path in (party.directory / f"{batch.code}.batch.p7m", sod):
        shown = run(capsys, "show", str(path), "--dir", str(factory.directory), "--at", AT)
        assert shown.status == 0 and batch.code in shown.out, shown
        assert "Nguyễn" not in shown.out  # no personal data beyond card numbers
    chip = run(capsys, "show", str(factory.directory / "chips" / f"{batch.cards[0].number}.chip"))
    assert chip.status == 0 and "operational" in chip.out


def test_spoiled_cards_are_reported_with_their_reason(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-02", 3)
    spoiled = batch.cards[1].number
    result = personalise(
        capsys, factory, party.batch_file(batch, factory.encryption), "--spoil", f"{spoiled}=in nhòe mặt sau"
    )
    assert result.status == 0, result.err
    keys = keys_of(factory, batch.code)
    assert keys[spoiled][:2] == ("spoiled", "in nhòe mặt sau") and keys[spoiled][3] == b""
    assert not (factory.directory / "chips" / f"{spoiled}.chip").exists()
    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    assert finish(capsys, factory, sod).status == 0
    report = report_of(factory, batch.code)
    assert report[spoiled][:2] == ("spoiled", "in nhòe mặt sau")
    assert [report[c.number][0] for c in batch.cards] == ["produced", "spoiled", "produced"]


def test_spoil_of_a_card_not_in_the_batch_is_a_usage_error(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-03", 2)
    result = personalise(
        capsys, factory, party.batch_file(batch, factory.encryption), "--spoil", "99.999999=lost"
    )
    assert result.status == 2 and "99.999999" in result.err
    assert ledger(factory) == []


# --- refusals: each with its own exit code and message, and nothing done ----------------------------------


def _flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x40]) + data[at + 1 :]


@pytest.mark.parametrize(
    ("attack", "status", "words"),
    [
        ("truncated", 4, "truncated"),
        ("tampered", 6, "changed after it was sealed"),
        ("another_manufacturer", 5, "not addressed to this manufacturer"),
        ("signed_by_the_manufacturer", 8, "not a document signer"),
        ("bad_signature", 7, "signature does not verify"),
        ("not_a_batch", 9, "format"),
    ],
)
def test_a_bad_batch_is_refused(
    attack: str,
    status: int,
    words: str,
    party: Party,
    factory: Factory,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    batch = party.batch("2026-HN-04", 2)
    content = batch_encode(batch)
    good = party.seal(content, factory.encryption)
    if attack == "truncated":
        data = good[: len(good) // 2]
    elif attack == "tampered":
        data = _flip(good, len(good) // 2)  # inside the AES-GCM ciphertext
    elif attack == "another_manufacturer":
        other = factory_make(party, tmp_path / "other", capsys, name="Nhà máy khác")
        data = party.seal(content, other.encryption)
    elif attack == "signed_by_the_manufacturer":
        # Its certificate chains to the Party's root too, but it is no document signer.
        store = FileKeyStore(factory.directory / "keys", PASSPHRASE.encode())
        signed = cms_sign(
            store=store, signer_label="signing", signer_cert=factory.signing, content=content, signed_at=NOW
        )
        data = cms_encrypt(signed, recipient=factory.encryption, at=NOW)
    elif attack == "bad_signature":
        signed = cms_sign(
            store=party.store, signer_label="ds", signer_cert=party.world.ds, content=content, signed_at=NOW
        )
        data = cms_encrypt(
            _flip(signed, len(signed) - 1), recipient=factory.encryption, at=NOW
        )  # last byte: s
    else:
        data = party.seal(cbor2.dumps({"format": "partycard-keys/1"}), factory.encryption)
    path = tmp_path / "bad.batch.p7m"
    path.write_bytes(data)
    result = personalise(capsys, factory, path)
    assert result.status == status, result.err
    assert words in result.err
    assert ledger(factory) == [] and not (factory.directory / "out").exists()


def test_a_replayed_batch_is_refused(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-05", 2)
    path = party.batch_file(batch, factory.encryption)
    assert personalise(capsys, factory, path).status == 0
    chips = sorted(p.name for p in (factory.directory / "chips").iterdir())
    again = personalise(capsys, factory, path)
    assert again.status == 10 and "already personalised" in again.err
    # The same batch sealed again (a new file: a new content key, new bytes) is a replay as well.
    other = party.directory / "again.batch.p7m"
    other.write_bytes(party.seal(batch_encode(batch), factory.encryption))
    assert other.read_bytes() != path.read_bytes()
    third = personalise(capsys, factory, other)
    assert third.status == 10 and "another file" in third.err
    assert sorted(p.name for p in (factory.directory / "chips").iterdir()) == chips
    assert sum(1 for e in ledger(factory) if e["event"] == "card_personalised") == 2


def test_an_sod_file_for_another_key_report_is_refused(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-06", 2)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    keys = factory.out(f"{batch.code}.keys.p7s")
    wrong = party.sod_file(batch, keys, factory.signing, factory.encryption, "wrong", keys_sha256="ab" * 32)
    result = finish(capsys, factory, wrong)
    assert result.status == 11 and "answers key report" in result.err
    assert not factory.out(f"{batch.code}.report.p7s").exists()
    # Nor may it bring cards we never reported as personalised.
    stranger = SodCard(number="06.999999", chip_serial="00" * 8, com=b"\x60\x00", sod=b"\x77\x00")
    good = party.sod_file(batch, keys, factory.signing, factory.encryption)
    content = _opened(party, factory, good)
    extra = party.sod_file(
        batch, keys, factory.signing, factory.encryption, "extra", cards=(*content.cards, stranger)
    )
    result = finish(capsys, factory, extra)
    assert result.status == 11 and "06.999999" in result.err
    # The right one is accepted once; a second time it is a replay.
    assert finish(capsys, factory, good).status == 0
    again = finish(capsys, factory, good)
    assert again.status == 10 and "already finished" in again.err


def _opened(party: Party, factory: Factory, path: Path) -> SodFile:
    """What the SOD file says (the test reads it with the factory's key, to change it and seal again)."""
    key = serialization.load_pem_private_key(
        (factory.directory / "encryption-key.pem").read_bytes(), PASSPHRASE.encode()
    )
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    content = unseal(
        path.read_bytes(), private_key=key, certificate=factory.encryption, roots=[party.root], at=NOW
    )
    return sod_file_decode(content)


def test_a_chip_whose_sod_does_not_match_is_spoiled(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two cards' EF.SODs swapped by partycard (or in transit before sealing): each SOD binds the other
    card's DG1 and DG15, so both chips fail passive authentication and are spoiled; the third passes."""
    batch = party.batch("2026-HN-07", 3)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    keys = factory.out(f"{batch.code}.keys.p7s")
    content = _opened(party, factory, party.sod_file(batch, keys, factory.signing, factory.encryption))
    a, b, c = content.cards
    swapped = (replace(a, sod=b.sod), replace(b, sod=a.sod), c)
    bad = party.sod_file(batch, keys, factory.signing, factory.encryption, "swapped", cards=swapped)
    assert finish(capsys, factory, bad).status == 0
    report = report_of(factory, batch.code)
    assert [report[n.number][0] for n in (a, b, c)] == ["spoiled", "spoiled", "produced"]
    assert "DG1 on the chip is not the one EF.SOD signed" in report[a.number][1]
    assert "EF.SOD does not sign the DG15 this chip reported" in report[a.number][1]
    assert (factory.directory / "spoiled" / f"{a.chip_serial}.chip").exists()


# --- the factory directory ---------------------------------------------------------------------------------


def test_directory_errors(
    party: Party, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "f"
    assert run(capsys, "init", str(directory), "--organization", "X", "--at", AT).status == 0
    again = run(capsys, "init", str(directory), "--organization", "X", "--at", AT)
    assert again.status == 3 and "never replaced" in again.err
    batch = party.directory / "none.batch.p7m"
    batch.write_bytes(b"x")
    untrusted = run(capsys, "personalise", str(batch), "--dir", str(directory), "--at", AT)
    assert untrusted.status == 3 and "partycard-factory trust" in untrusted.err
    monkeypatch.setenv("PARTYCARD_FACTORY_PASSPHRASE", "a wrong passphrase")
    wrong = run(capsys, "personalise", str(batch), "--dir", str(directory), "--at", AT)
    assert wrong.status == 3 and "does not open" in wrong.err
    monkeypatch.delenv("PARTYCARD_FACTORY_PASSPHRASE")
    missing = run(capsys, "personalise", str(batch), "--dir", str(directory), "--at", AT)
    assert missing.status == 3 and "PARTYCARD_FACTORY_PASSPHRASE" in missing.err
    naive = run(capsys, "init", str(tmp_path / "g"), "--organization", "X", "--at", "2026-03-04T08:00:00")
    assert naive.status == 2


def test_trust_refuses_certificates_of_other_keys(
    party: Party, factory: Factory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    certs = factory.directory / "certs"
    swapped = run(
        capsys,
        "trust",
        str(factory.directory),
        "--root",
        str(certs / "root.pem"),
        "--signing-cert",
        str(certs / "encryption.pem"),
        "--encryption-cert",
        str(certs / "signing.pem"),
        "--at",
        AT,
    )
    assert swapped.status == 3 and "does not carry this factory's signing key" in swapped.err
    other_root = tmp_path / "ds.pem"
    other_root.write_bytes(party.world.ds.public_bytes(serialization.Encoding.PEM))
    not_root = run(
        capsys,
        "trust",
        str(factory.directory),
        "--root",
        str(other_root),
        "--signing-cert",
        str(certs / "signing.pem"),
        "--encryption-cert",
        str(certs / "encryption.pem"),
        "--at",
        AT,
    )
    assert not_root.status == 3 and "not self-signed" in not_root.err
