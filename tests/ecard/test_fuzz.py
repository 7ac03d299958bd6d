"""atheris (coverage-guided, libFuzzer) over the e-card parsers and the QR verifier, seeded with genuine
QRs: a short fixed run in CI (fuzz/fuzz_ecard.py runs longer by hand)."""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from partycard.ecard.base45 import b45encode
from partycard.ecard.device import device_qr
from partycard.ecard.qr import qr_encode
from tests.ecard.world import NOW, QrWorld, credential, status_list

HARNESS = Path(__file__).resolve().parents[2] / "fuzz" / "fuzz_ecard.py"
RUNS = 30_000


@pytest.fixture(scope="module")
def fuzz_world(
    tmp_path_factory: pytest.TempPathFactory, ecard_world: QrWorld
) -> tuple[Path, dict[str, Path]]:
    """The verifier's world for the ``qr`` target, and a seed corpus per target."""
    world = tmp_path_factory.mktemp("fuzz-world")
    (world / "root.pem").write_bytes(ecard_world.root.public_bytes(Encoding.PEM))
    (world / "trustlist.json").write_bytes(ecard_world.trust_document)
    (world / "now.txt").write_text(NOW.isoformat())
    status = status_list()
    (world / "status.json").write_text(
        json.dumps(
            {
                "uri": status.uri,
                "bits": status.bits,
                "statuses": base64.b64encode(status.statuses).decode(),
                "issued_at": status.issued_at.isoformat(),
                "expires_at": status.expires_at.isoformat() if status.expires_at else None,
            }
        )
    )
    cose = credential(ecard_world)
    texts = [qr_encode(cose), device_qr(cose, sign=ecard_world.device_sign, at=NOW)]
    (world / "genuine.txt").write_text("\n".join(texts) + "\n")
    corpora = {}
    for target, seeds in {
        "base45": [b45encode(cose).encode(), b"BB8", b"%69 VD92EX0"],
        "cose": [cose, credential(ecard_world, device_key=None)],
        "qr": [t.encode() for t in texts],
    }.items():
        corpora[target] = tmp_path_factory.mktemp(f"corpus-{target}")
        for i, seed in enumerate(seeds):
            (corpora[target] / f"seed-{i}").write_bytes(seed)
    return world, corpora


@pytest.mark.parametrize("target", ["base45", "cose", "qr"])
def test_atheris_finds_nothing(target: str, fuzz_world: tuple[Path, dict[str, Path]], tmp_path: Path) -> None:
    if importlib.util.find_spec("atheris") is None:
        if os.environ.get("CI"):
            pytest.fail("atheris is not installed (dev extra, x86_64)")
        pytest.skip("atheris is not installed (dev extra, x86_64 only)")
    world, corpora = fuzz_world
    work = tmp_path / "corpus"
    work.mkdir()
    for seed in corpora[target].iterdir():
        (work / seed.name).write_bytes(seed.read_bytes())
    result = subprocess.run(
        [sys.executable, str(HARNESS), target, f"-runs={RUNS}", "-seed=1", "-max_len=4096", str(work)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # crash files, if any, land here
        env={**os.environ, "PARTYCARD_FUZZ_WORLD": str(world)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    done = re.search(r"^Done (\d+) runs", result.stderr, re.MULTILINE)
    # libFuzzer counts the run that ends the session too: "Done 30001 runs" for -runs=30000.
    assert done is not None and int(done.group(1)) >= RUNS, result.stderr[-1000:]
