"""A run stopped part-way resumes without personalising any card twice: stopped by an exception at the
worst points of each pass (in process), and by SIGKILL (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

import partycard
from partycard.batches import key_report_decode, verify_report
from partycard.chip.perso import LifeCycle, chip_state_load
from partycard.factory.cli import PASSPHRASE_ENV
from partycard.factory.finishing import batch_finish
from partycard.factory.personalisation import batch_personalise
from partycard.factory.workshop import factory_open
from tests.factory.conftest import AT, NOW, PASSPHRASE, Factory, Party, finish, personalise, report_of


class Crash(Exception):
    """The power cut, in process."""


def events(factory: Factory, kind: str) -> list[dict[str, str]]:
    lines = (factory.directory / "ledger.jsonl").read_text().splitlines()
    return [e for e in map(json.loads, lines) if e["event"] == kind]


def crash_at(stage: str, number: str):  # type: ignore[no-untyped-def]
    def hook(at: str, card: str) -> None:
        if (at, card) == (stage, number):
            raise Crash(f"{stage} {card}")

    return hook


@pytest.mark.parametrize("version", [1, 2])
def test_a_run_stopped_mid_card_resumes_on_a_new_chip(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str], version: int
) -> None:
    # Version 2 (issue 18): the redone chip generates its own CA key too; the key report carries it.
    batch = party.batch(f"2026-HN-1{version - 1}", 5, version=version)
    path = party.batch_file(batch, factory.encryption)
    third = batch.cards[2].number
    opened = factory_open(factory.directory, passphrase=PASSPHRASE.encode())
    with pytest.raises(Crash):
        batch_personalise(
            opened, path.read_bytes(), name=path.name, spoil={}, at=NOW, hook=crash_at("chip_written", third)
        )
    done = {e["number"]: e["serial"] for e in events(factory, "card_personalised")}
    assert list(done) == [c.number for c in batch.cards[:2]]
    half = events(factory, "card_started")[-1]
    assert half["number"] == third and not (factory.directory / "chips" / f"{third}.chip").exists()

    # Power lost while the ledger line recording the third card was being written: a torn last line.
    with open(factory.directory / "ledger.jsonl", "ab") as handle:
        handle.write(b'{"batch": "2026-HN-10", "event": "card_personal')

    resumed = personalise(capsys, factory, path)
    assert resumed.status == 0, resumed.err
    assert "2 done by an earlier run, 1 chips discarded" in resumed.err
    assert all(json.loads(line) for line in (factory.directory / "ledger.jsonl").read_text().splitlines())
    personalised = Counter(e["number"] for e in events(factory, "card_personalised"))
    assert personalised == {c.number: 1 for c in batch.cards}  # no card twice
    assert [(e["number"], e["serial"]) for e in events(factory, "chip_discarded")] == [
        (third, half["serial"])
    ]
    data = factory.out(f"{batch.code}.keys.p7s").read_bytes()
    lines = key_report_decode(verify_report(data, trusted=[factory.signing], at=NOW)).lines
    assert [line.number for line in lines] == [c.number for c in batch.cards]
    serials = {line.number: line.chip_serial for line in lines}
    assert serials[third] != half["serial"]  # redone on a new chip
    assert all(serials[number] == serial for number, serial in done.items())  # the others untouched
    if version == 2:
        for line in lines:
            chip = chip_state_load(factory.directory / "chips" / f"{line.number}.chip")
            assert chip.ca_public_key is not None
            assert line.ca_key == chip.ca_public_key.public_bytes(
                Encoding.X962, PublicFormat.UncompressedPoint
            )
        sod = party.sod_file(
            batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption
        )
        assert finish(capsys, factory, sod).status == 0
        assert {outcome for outcome, *_ in report_of(factory, batch.code).values()} == {"produced"}


@pytest.mark.parametrize("stage", ["chip_activated", "chip_saved"])
def test_a_finish_stopped_mid_card_resumes(
    stage: str, party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    batch = party.batch("2026-HN-11", 3)
    assert personalise(capsys, factory, party.batch_file(batch, factory.encryption)).status == 0
    sod = party.sod_file(batch, factory.out(f"{batch.code}.keys.p7s"), factory.signing, factory.encryption)
    second = batch.cards[1].number
    opened = factory_open(factory.directory, passphrase=PASSPHRASE.encode())
    with pytest.raises(Crash):
        batch_finish(opened, sod.read_bytes(), name=sod.name, at=NOW, hook=crash_at(stage, second))
    expected = LifeCycle.OPERATIONAL if stage == "chip_saved" else LifeCycle.PERSONALISATION
    assert chip_state_load(factory.directory / "chips" / f"{second}.chip").life_cycle is expected
    assert [e["number"] for e in events(factory, "card_produced")] == [batch.cards[0].number]

    resumed = finish(capsys, factory, sod)
    assert resumed.status == 0, resumed.err
    assert Counter(e["number"] for e in events(factory, "card_produced")) == {
        c.number: 1 for c in batch.cards
    }
    assert {outcome for outcome, *_ in report_of(factory, batch.code).values()} == {"produced"}


def test_a_killed_process_resumes_without_duplicates(
    party: Party, factory: Factory, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 120
    batch = party.batch("2026-HN-12", count)
    path = party.batch_file(batch, factory.encryption)
    source = Path(partycard.__file__).resolve().parents[1]
    env = {**os.environ, PASSPHRASE_ENV: PASSPHRASE, "PYTHONPATH": f"{source}{os.pathsep}{source.parent}"}
    command = [sys.executable, "-m", "partycard.factory.cli", "personalise", str(path)]
    process = subprocess.Popen(
        [*command, "--dir", str(factory.directory), "--at", AT],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    ledger = factory.directory / "ledger.jsonl"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            if ledger.exists() and ledger.read_bytes().count(b'"card_personalised"') >= 10:
                break
            time.sleep(0.005)
    finally:
        process.kill()  # SIGKILL: no cleanup, no flush; a ledger line may be torn
        process.wait()
    assert process.returncode == -9, "the run ended before it could be killed: raise the card count"
    before = len(events(factory, "card_personalised"))
    assert 10 <= before < count

    resumed = personalise(capsys, factory, path)
    assert resumed.status == 0, resumed.err
    personalised = Counter(e["number"] for e in events(factory, "card_personalised"))
    assert personalised == {c.number: 1 for c in batch.cards}
    chips = sorted(p.stem for p in (factory.directory / "chips").glob("*.chip"))
    assert chips == sorted(c.number for c in batch.cards)
    data = factory.out(f"{batch.code}.keys.p7s").read_bytes()
    lines = key_report_decode(verify_report(data, trusted=[factory.signing], at=NOW)).lines
    assert len({line.chip_serial for line in lines}) == count
    assert {line.outcome for line in lines} == {"personalised"}
