"""A throwaway SoftHSM2 token for the PKCS#11 key store tests.

SoftHSM2 reads ``SOFTHSM2_CONF`` once, when the module is first loaded in the process, so the token
directory is made once per test session (before anything loads the module) and shared by its tests.
Without SoftHSM2 the tests skip, unless ``PARTYCARD_REQUIRE_HSM=1`` (CI), where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

TOKEN_LABEL = "partycard-test"
OTHER_TOKEN_LABEL = "partycard-other"  # only ever opened with a wrong PIN
SO_PIN = "1234"
USER_PIN = "5678"
_MODULE_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/local/lib/softhsm/libsofthsm2.so",
)


@dataclass(frozen=True)
class SoftHsm:
    module_path: str
    token_label: str
    other_token_label: str
    user_pin: str


def _missing(reason: str) -> None:
    if os.environ.get("PARTYCARD_REQUIRE_HSM") == "1":
        pytest.fail(f"PARTYCARD_REQUIRE_HSM=1 but {reason}")
    pytest.skip(f"{reason} (apt-get install softhsm2)")


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> SoftHsm:
    override = os.environ.get("PARTYCARD_PKCS11_MODULE")
    candidates = (override,) if override else _MODULE_CANDIDATES
    module = next((p for p in candidates if Path(p).exists()), None)
    util = shutil.which("softhsm2-util")
    if module is None or util is None:
        _missing("SoftHSM2 is not installed (no libsofthsm2.so or softhsm2-util)")
    try:
        import pkcs11  # noqa: F401
    except ImportError:
        _missing("python-pkcs11 is not installed")
    assert module is not None and util is not None
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    conf = root / "softhsm2.conf"
    conf.write_text(
        f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    # Set for the rest of the process: the module, once loaded, keeps the configuration it read.
    os.environ["SOFTHSM2_CONF"] = str(conf)
    for label in (TOKEN_LABEL, OTHER_TOKEN_LABEL):
        subprocess.run(
            [util, "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", USER_PIN],
            check=True,
            capture_output=True,
            env={**os.environ, "SOFTHSM2_CONF": str(conf)},
        )
    return SoftHsm(module, TOKEN_LABEL, OTHER_TOKEN_LABEL, USER_PIN)
