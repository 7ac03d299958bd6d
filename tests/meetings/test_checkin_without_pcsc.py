"""``partycard meeting checkin`` on a reader station without the pcsc extra (pyscard): what the operator
typed (the meeting, the CAN) and the trust data are checked first and named as such; only then does it say
how to install PC/SC (issue 19's fresh machine, as ``read-card`` does)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from partycard.core import clock
from partycard.credentials import publishing
from partycard.meetings.services import meeting_open
from tests.exchange.conftest import Officers, officers
from tests.pcsc import no_pyscard  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db
__all__ = ["officers"]


@pytest.mark.usefixtures("no_pyscard")
def test_the_operators_input_is_checked_before_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, officers: Officers, tree: Any
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())

    with pytest.raises(CommandError, match="no meeting 999999"):
        call_command("meeting", "checkin", "--meeting", "999999")
    with pytest.raises(CommandError, match="partycard pki init") as e:
        call_command("meeting", "checkin", "--meeting", str(meeting.pk))  # no trust data yet
    assert e.value.returncode == 3
    call_command("pki", "init", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--can") as e:
        call_command("meeting", "checkin", "--meeting", str(meeting.pk), "--can", "12345")
    assert e.value.returncode == 3
    with pytest.raises(CommandError, match=r"PC/SC support is not installed.*partycard\[pcsc\]") as e:
        call_command("meeting", "checkin", "--meeting", str(meeting.pk))
    assert e.value.returncode == 3  # "no card or no trust data", never 1 ("refused")
