"""The Makefile's install stamp re-evaluates the extras each run (issue 19, the fresh machine): a machine
without the pcsc-lite headers or swig installs ``.[dev]``; installing them later makes the next ``make``
install ``.[dev,pcsc]`` by itself, with no stamp to delete; and nothing is installed again otherwise.

Run on a fake virtual environment whose ``python`` only records how it was called, with the header's
path and a PATH of this test's choosing (``swig`` present or not): cheap, and no real install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _make(venv: Path, header: Path, path: Path) -> list[str]:
    """``make install`` against the fake venv; the pip commands the fake python was given meanwhile."""
    calls = venv / "calls.log"
    before = calls.read_text().splitlines() if calls.exists() else []
    make = shutil.which("make")
    if make is None:
        pytest.skip("no make on this machine")
    done = subprocess.run(
        [make, "--no-print-directory", "-C", str(ROOT), "install", f"VENV={venv}", f"PCSC_HEADER={header}"],
        env={"PATH": str(path), "HOME": os.environ.get("HOME", "/root")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return (calls.read_text().splitlines() if calls.exists() else [])[len(before) :]


def test_the_pcsc_extra_is_installed_once_its_packages_are(tmp_path: Path) -> None:
    venv, header, tools = tmp_path / "venv", tmp_path / "include" / "winscard.h", tmp_path / "bin"
    (venv / "bin").mkdir(parents=True)
    tools.mkdir()
    python = venv / "bin" / "python"
    python.write_text(f'#!/bin/sh\necho "$*" >>{venv / "calls.log"}\n')
    python.chmod(0o755)
    for tool in ("sh", "cat", "touch"):  # what the recipes run, and no swig
        found = shutil.which(tool)
        assert found is not None
        (tools / tool).symlink_to(found)

    assert _make(venv, header, tools) == ["-m pip install --quiet -e .[dev]"]
    assert _make(venv, header, tools) == []  # nothing changed: nothing installed

    header.parent.mkdir()
    header.write_text("/* pcsc-lite */\n")
    assert _make(venv, header, tools) == []  # the headers alone are not enough: pyscard needs swig
    (tools / "swig").write_text("#!/bin/sh\n")
    (tools / "swig").chmod(0o755)
    assert _make(venv, header, tools) == ["-m pip install --quiet -e .[dev,pcsc]"]
    assert _make(venv, header, tools) == []
    assert (venv / ".extras").read_text() == "dev,pcsc\n"
