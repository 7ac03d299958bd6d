"""Issue 13's bar, end to end over the real PC/SC stack: an accepted case's card is signed with its own
status-list entry (DG13), and ``read-card`` answers from the signed lists ``status-lists publish`` writes:

* before the hand-over the card is not yet the member's: SUSPENDED (``card_suspended``, exit 1);
* handed over at the cell's meeting: VALID (exit 0);
* the member expelled (khai trừ) through the registry, the card never recovered: ``card_revoked`` (exit 1).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partycard.cards.models import Card
from partycard.chip.applet import Applet
from partycard.core.signing import pki_keystore_open
from partycard.credentials import publishing
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services.chip_images import record_applet
from partycard.registry import services as registry
from partycard.registry.choices import MemberStatus
from tests.exchange.conftest import Officers, card_holder
from tests.exchange.test_chip_signing import _case
from tests.factories import card_walk
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader"]


def _read(reader: str, tmp_path: Path, can: str | None = None) -> tuple[int, dict[str, Any]]:
    """read-card --json; ``can`` for a card signed since PACE (None: a card of before, read in plain)."""
    call_command("status_lists", "publish", stdout=io.StringIO())
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "read_card",
            "--reader",
            reader,
            *(("--can", can) if can else ()),
            "--aa-log",
            str(tmp_path / "aa.txt"),
            "--json",
            stdout=out,
        )
    return int(exit_.value.code or 0), json.loads(out.getvalue())


def test_an_expelled_members_chip_card_reads_card_revoked(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, pcsc_reader: str
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())
    member = card_holder(make_member, full_name="Phạm Văn Khai", gender="M")
    case = _case(officers, campaign, member)
    call_command("card", "sign", str(case.pk), stdout=io.StringIO())
    record = ChipImageRecord.objects.get(case=case)
    card = Card.objects.get(case=case)
    assert card.status_list_id is not None and card.sod_sha256 == record.sod_sha256
    store = pki_keystore_open()

    def chip() -> Applet:
        return record_applet(record, store)

    with vpcd_inserted(chip, pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, record.can)
    assert (status, [r["code"] for r in verdict["reasons"]]) == (1, ["card_suspended"]), verdict

    card = card_walk(card, officers)  # down the tree and handed over at the cell's meeting
    with vpcd_inserted(chip, pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, record.can)
    assert (status, verdict["outcome"], verdict["reasons"]) == (0, "valid", []), verdict
    assert verdict["holder"]["full_name"] == "Phạm Văn Khai"

    registry.member_update(
        actor=officers.upper, member=member, changes={"status": MemberStatus.EXPELLED}, reason="khai trừ"
    )
    card.refresh_from_db()
    assert card.state == "revoked"  # not recovered: the member still holds it
    with vpcd_inserted(chip, pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, record.can)
    assert (status, verdict["outcome"], [r["code"] for r in verdict["reasons"]]) == (
        1,
        "invalid",
        ["card_revoked"],
    ), verdict
