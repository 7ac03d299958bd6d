"""``partycard read-card`` on a machine without the pcsc extra (pyscard): it still checks what the operator
typed and the trust data first, then says how to install PC/SC (issue 19, the fresh machine: the first
``make test`` there must pass)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.pcsc import no_pyscard  # noqa: F401 - a fixture


@pytest.mark.usefixtures("no_pyscard")
def test_a_bad_can_is_named_without_pyscard() -> None:
    with pytest.raises(CommandError, match="--can") as e:
        call_command("read_card", "--can", "12345")
    assert e.value.returncode == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("no_pyscard")
def test_with_trust_data_it_says_how_to_install_pc_sc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    with pytest.raises(CommandError, match="partycard pki init"):
        call_command("read_card")  # no trust data yet: that comes first
    call_command("pki", "init", stdout=io.StringIO())
    with pytest.raises(CommandError, match=r"PC/SC support is not installed.*partycard\[pcsc\]") as e:
        call_command("read_card")
    assert e.value.returncode == 3  # "no card or no trust data", never 1 ("invalid")
