"""atheris (coverage-guided, libFuzzer) over the chip parsers and the applet, seeded with a genuine
card's files: a short fixed run in CI (fuzz/fuzz_chip.py runs longer by hand)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from partycard.chip.apdu import CommandApdu
from partycard.chip.image import chip_image_build
from partycard.chip.lds import CardData
from partycard.trust.keystore.file import FileKeyStore
from tests.trust.conftest import Pki

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_chip.py"
RUNS = 30_000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory, chip_store: FileKeyStore, chip_pki: Pki) -> Path:
    from datetime import date

    card = CardData(
        "01.234.567",
        "Nguyễn Văn A",
        date(1980, 1, 2),
        "M",
        date(2000, 1, 1),
        date(2001, 1, 1),
        "Đảng ủy",
        date(2026, 3, 1),
    )
    image = chip_image_build(
        store=chip_store,
        signer_label=chip_pki.ds_label,
        signer_cert=chip_pki.ds,
        card=card,
        photo_jpeg=b"\xff\xd8\xff\xe0" + bytes(200) + b"\xff\xd9",
        chip_key_label="fuzz-seed-chip",
    )
    directory = tmp_path_factory.mktemp("corpus")
    for fid, content in image.files.items():
        (directory / f"{fid:04x}").write_bytes(content)
    commands = [
        CommandApdu(0, 0xA4, 4, 0x0C, bytes.fromhex("A0000002471001")).encode(),
        CommandApdu(0, 0xA4, 2, 0x0C, b"\x01\x01").encode(),
        CommandApdu(0, 0xB0, 0, 0, le=256).encode(),
        CommandApdu(0, 0x88, 0, 0, bytes(8), le=256).encode(),
    ]
    # FuzzedDataProvider reads its integers from the end of the input: let each command carry its size.
    (directory / "apdus").write_bytes(b"".join(commands) + bytes(len(c) for c in reversed(commands)))
    return directory


@pytest.mark.parametrize("target", ["tlv", "sod", "lds", "apdu", "sm"])
def test_atheris_finds_nothing(target: str, corpus: Path, tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI"):
            pytest.fail("atheris is not installed (dev extra, x86_64)")
        pytest.skip("atheris is not installed (dev extra, x86_64 only)")
    work = tmp_path / "corpus"
    work.mkdir()
    for seed in corpus.iterdir():
        (work / seed.name).write_bytes(seed.read_bytes())
    result = subprocess.run(
        [sys.executable, str(HARNESS), target, f"-runs={RUNS}", "-seed=1", "-max_len=4096", str(work)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # crash files, if any, land here
    )
    assert result.returncode == 0, result.stderr[-3000:]
    done = re.search(r"^Done (\d+) runs", result.stderr, re.MULTILINE)
    # libFuzzer counts the run that ends the session too: "Done 30001 runs" for -runs=30000.
    assert done is not None and int(done.group(1)) >= RUNS, result.stderr[-1000:]
