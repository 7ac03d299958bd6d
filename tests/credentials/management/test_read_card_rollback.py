"""``partycard read-card`` remembers the highest trust list number it accepted (``trustlist-seen.json``
beside its AA log) and refuses an older list in a later run: exit 3, ``trust_list_rollback``; and
``pki publish --sequence-from`` moves the authority's count past what verifiers saw (after a restore)."""

from __future__ import annotations

import base64
import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from partycard.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def _read(station: Path, trust_list: Path) -> None:
    """One run of read-card with no card in the reader (it stops after the trust data: exit 3)."""
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "read_card",
            "--reader",
            "no such reader",
            "--trust-list",
            str(trust_list),
            "--aa-log",
            str(station / "aa-seen.txt"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert exit_.value.code == 3


def test_an_older_trust_list_is_refused_in_a_later_run(authority: Path, tmp_path: Path) -> None:
    station = tmp_path / "station"
    first = tmp_path / "first.json"
    shutil.copy(authority / "trustlist.json", first)  # number 1, from `pki init`
    _read(station, first)
    assert json.loads((station / "trustlist-seen.json").read_text()) == {"highest_sequence": 1}

    call_command("pki", "publish", stdout=io.StringIO())  # number 2
    _read(station, authority / "trustlist.json")
    assert json.loads((station / "trustlist-seen.json").read_text()) == {"highest_sequence": 2}

    with pytest.raises(CommandError, match="trust_list_rollback") as refused:
        call_command(
            "read_card",
            "--reader",
            "no such reader",
            "--trust-list",
            str(first),
            "--aa-log",
            str(station / "aa-seen.txt"),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
        )
    assert refused.value.returncode == 3
    assert json.loads((station / "trustlist-seen.json").read_text()) == {"highest_sequence": 2}


def test_publish_sequence_from_moves_the_count_after_a_restore(authority: Path) -> None:
    call_command("pki", "publish", "--sequence-from", "40", stdout=io.StringIO())
    payload = json.loads((authority / "trustlist.json").read_text())["payload"]
    assert json.loads(base64.b64decode(payload))["sequence"] == 40
    event = AuditEvent.objects.filter(action="pki.publish").latest("pk")
    assert event.changes["trustlist_sequence"] == [1, 40]
