"""The population stand-in as a real process on a free loopback port (``python -m
partycard.nationalid.standin``), for the tests of the client and of the check: started on demand, its
stats read over HTTP, and killed (and reaped) when the test ends, whatever happened."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["Standin", "standin_factory"]


class Standin:
    def __init__(self, data: Path, **options: Any) -> None:
        argv = [sys.executable, "-m", "partycard.nationalid.standin", "--data", str(data), "--port", "0"]
        for name, value in options.items():
            if value is not None:
                argv += [f"--{name.replace('_', '-')}", str(value)]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("population stand-in listening on "):
            self.stop()
            pytest.fail(f"the stand-in did not start: {line!r} {self.process.communicate()}")
        self.url = line.split()[-1]

    def stats(self, *, ids: bool = False) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/v1/_stats" + ("?ids=1" if ids else ""), timeout=10) as r:  # noqa: S310 - loopback
            return dict(json.loads(r.read()))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=10)


@pytest.fixture
def standin_factory() -> Iterator[Any]:
    """``standin_factory(data_path, rate=…, error_share=…)``: a started stand-in; every one is killed
    after the test."""
    started: list[Standin] = []

    def start(data: Path, **options: Any) -> Standin:
        s = Standin(data, **options)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
