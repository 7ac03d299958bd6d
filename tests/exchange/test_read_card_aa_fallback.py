"""``partycard read-card`` and ``partycard meeting checkin`` follow the trust list's chip policy, over the
real PC/SC stack (pcscd + vpcd).

The rule (docs/trust.md, "Chip policy"; ICAO 9303-11 §6.2 vs §6.1): a card whose SOD-vouched DG14 offers
chip authentication, read without it, passes on active authentication alone only when the trust list
the reader holds allows it (``partycard pki publish --aa-fallback``); otherwise ``ca_not_performed``.
The card here is a genuine card of issue 18 (DG14 with its CA key) whose applet serves its files without
PACE, so the reader has no secure channel to run chip authentication on.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from partycard.audit.models import AuditEvent
from partycard.chip.applet import Applet
from partycard.chip.image import chip_applet
from partycard.core.signing import pki_keystore_open
from partycard.credentials import publishing
from partycard.exchange.models import ChipImageRecord
from tests.exchange.test_read_card_pace import _read, signed
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader", "signed"]


def _without_pace(record: ChipImageRecord) -> Applet:
    """The record's files and AA key, no CAN: read in plain, no channel for chip authentication."""
    return chip_applet(
        store=pki_keystore_open(), files=record.file_set(), chip_key_label=record.chip_key_label
    )


def _publish(*flag: str) -> str:
    out = io.StringIO()
    call_command("pki", "publish", *flag, stdout=out)
    publishing.caches_clear()
    return out.getvalue()


def test_read_card_passes_a_card_read_without_ca_only_when_the_list_allows(
    signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str
) -> None:
    with vpcd_inserted(lambda: _without_pace(signed), pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path)  # the list of `pki init`: no fallback
        assert (status, [r["code"] for r in verdict["reasons"]]) == (2, ["ca_not_performed"]), verdict
        assert verdict["trust_list"]["aa_fallback"] is False
        assert "allowed" in _publish("--aa-fallback")  # `pki show` after the publication says so
        status, verdict = _read(pcsc_reader, tmp_path)
        assert (status, verdict["outcome"], verdict["reasons"]) == (0, "valid", []), verdict
        assert verdict["holder"]["full_name"] == "Trịnh Văn Pace"
        assert verdict["trust_list"]["aa_fallback"] is True
        _publish()  # a later list without the flag keeps the authority's setting
        assert _read(pcsc_reader, tmp_path)[0] == 0
        assert "refused" in _publish("--no-aa-fallback")
        status, verdict = _read(pcsc_reader, tmp_path)
        assert (status, [r["code"] for r in verdict["reasons"]]) == (2, ["ca_not_performed"]), verdict
    changes = [
        e.changes.get("aa_fallback") for e in AuditEvent.objects.filter(action="pki.publish").order_by("seq")
    ]
    assert [c for c in changes if c is not None] == [[False, True], [True, False]]


def test_the_fallback_does_not_rescue_a_clone_over_pace(
    signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str
) -> None:
    """With the fallback allowed, a clone (files and CAN copied, keys its own) still fails CA on PACE."""
    _publish("--aa-fallback")
    store = pki_keystore_open()
    store.generate("clone-ca", agree=True)

    def clone() -> Applet:
        return chip_applet(
            store=store,
            files=signed.file_set(),
            chip_key_label=signed.chip_key_label,  # even a relayed genuine AA answer
            can=signed.can,
            card_access=bytes(signed.card_access),
            ca_key_label="clone-ca",
        )

    with vpcd_inserted(clone, pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, "--can", signed.can)
    assert (status, [r["code"] for r in verdict["reasons"]]) == (1, ["ca_failed"]), verdict


def _checkin(meeting_id: int, reader: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("meeting", "checkin", "--meeting", str(meeting_id), "--reader", reader, stdout=out)
    except SystemExit as e:
        return int(e.code or 0), out.getvalue()
    return 0, out.getvalue()


def test_meeting_checkin_follows_the_list_too(
    signed: ChipImageRecord, pcsc_reader: str, officers: Any, tree: Any
) -> None:
    from partycard.cards.models import Card
    from partycard.core import clock
    from partycard.meetings.services import meeting_open
    from tests.factories import card_walk

    card_walk(Card.objects.get(case=signed.case), officers)  # handed over: in use
    meeting = meeting_open(actor=officers.cell, cell=tree.cell_a, title="Sinh hoạt", starts_at=clock.now())
    with vpcd_inserted(lambda: _without_pace(signed), pcsc_reader):
        refused = _checkin(meeting.pk, pcsc_reader)
        _publish("--aa-fallback")
        admitted = _checkin(meeting.pk, pcsc_reader)
    assert refused[0] == 1 and "ca_not_performed" in refused[1], refused
    assert admitted[0] == 0 and "Trịnh Văn Pace: đã điểm danh" in admitted[1], admitted
