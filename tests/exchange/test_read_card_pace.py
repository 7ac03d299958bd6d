"""``partycard read-card --can`` over the real PC/SC stack (pcscd + vpcd) on a card signed since issue 18.

ICAO 9303-11 §4.4: the card opens its data only after PACE with the CAN printed on it; without the CAN a
reader gets nothing but EF.CardAccess, and a wrong CAN is refused. §6.2: on the PACE channel the chip
proves possession of the DG14 key (chip authentication), so a chip with every file copied but keys of its
own — a clone — is refused as one (``ca_failed``).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from partycard.chip.image import chip_applet
from partycard.chip.securityinfos import card_access_parse
from partycard.core.signing import pki_keystore_open
from partycard.credentials import publishing
from partycard.credentials.models import StatusListRecord
from partycard.credentials.services import status_list_uri
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services import chip_image_sign
from partycard.exchange.services.chip_images import record_applet
from tests.exchange.conftest import Officers, card_holder
from tests.exchange.test_chip_signing import _case
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader"]


def _read(reader: str, tmp_path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "read_card",
            "--reader",
            reader,
            "--aa-log",
            str(tmp_path / "aa.txt"),
            "--json",
            *extra,
            stdout=out,
        )
    return int(exit_.value.code or 0), json.loads(out.getvalue())


@pytest.fixture
def signed(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any
) -> ChipImageRecord:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())
    lists = StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=64, packed=bytes(16))
    case = _case(officers, campaign, card_holder(make_member, full_name="Trịnh Văn Pace", gender="M"))
    record = chip_image_sign(actor=None, case=case, status=(status_list_uri(lists.pk), 7))
    call_command("status_lists", "publish", stdout=io.StringIO())
    return record


def test_the_signed_record_keeps_the_can_ef_card_access_and_the_ca_key(signed: ChipImageRecord) -> None:
    assert len(signed.can) == 6 and signed.can.isdigit()
    assert card_access_parse(bytes(signed.card_access)).parameter_id == 12  # settings: PACE_PARAMETER_ID
    assert signed.ca_key_label == f"{signed.chip_key_label}.ca"
    assert signed.ca_key_label in pki_keystore_open().labels()
    assert signed.can not in repr(signed)


def test_read_card_with_the_can_reads_valid_over_pace_and_ca(
    signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str
) -> None:
    with vpcd_inserted(lambda: record_applet(signed, pki_keystore_open()), pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, "--can", signed.can)
    assert (status, verdict["outcome"], verdict["reasons"]) == (0, "valid", []), verdict
    assert verdict["holder"]["full_name"] == "Trịnh Văn Pace"


def test_read_card_without_the_can_reads_only_ef_card_access(
    signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str
) -> None:
    with vpcd_inserted(lambda: record_applet(signed, pki_keystore_open()), pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path)
    assert (status, [r["code"] for r in verdict["reasons"]], verdict["holder"]) == (2, ["pace_required"], {})


def test_read_card_with_a_wrong_can_is_refused(
    signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str
) -> None:
    wrong = f"{(int(signed.can) + 500_000) % 1_000_000:06d}"
    with vpcd_inserted(lambda: record_applet(signed, pki_keystore_open()), pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, "--can", wrong)
    assert (status, [r["code"] for r in verdict["reasons"]], verdict["holder"]) == (2, ["pace_refused"], {})
    assert wrong not in json.dumps(verdict)  # the CAN is never echoed


def test_read_card_names_a_clone_ca_failed(signed: ChipImageRecord, tmp_path: Path, pcsc_reader: str) -> None:
    """Every file and the CAN copied onto a chip whose keys are its own (the private keys cannot be read
    out): PACE works (the CAN is printed), chip authentication cannot."""
    store = pki_keystore_open()
    store.generate("clone-aa")
    store.generate("clone-ca", agree=True)

    def clone() -> Any:
        return chip_applet(
            store=store,
            files=signed.file_set(),
            chip_key_label="clone-aa",
            can=signed.can,
            card_access=bytes(signed.card_access),
            ca_key_label="clone-ca",
        )

    with vpcd_inserted(clone, pcsc_reader):
        status, verdict = _read(pcsc_reader, tmp_path, "--can", signed.can)
    assert (status, verdict["outcome"], [r["code"] for r in verdict["reasons"]]) == (
        1,
        "invalid",
        ["ca_failed"],
    )


@pytest.mark.parametrize("can", ["12345", "1234567", "12a456", "١٢٣٤٥٦"])
def test_read_card_refuses_a_can_that_is_not_six_digits(can: str) -> None:
    with pytest.raises(CommandError, match="--can") as e:
        call_command("read_card", "--can", can)
    assert e.value.returncode == 3 and can not in str(e.value)


def test_a_bad_pace_parameter_setting_refuses_the_signing_cleanly(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, settings: Any
) -> None:
    """PARTYCARD_PACE_PARAMETER_ID must name a curve of 9303-11 Table 6 we support (12 or 13): another
    value refuses the case with a reason, and nothing is stored."""
    from partycard.exchange.services.chip_images import ChipImageError

    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())
    settings.PARTYCARD = {**settings.PARTYCARD, "PACE_PARAMETER_ID": 11}
    case = _case(officers, campaign, card_holder(make_member, full_name="Lý Văn Sai", gender="M"))
    with pytest.raises(ChipImageError) as refused:
        chip_image_sign(actor=None, case=case, status=("https://thedangvien.example/s/1", 1))
    assert [p.code for p in refused.value.problems] == ["signing_failed"]
    assert not ChipImageRecord.objects.filter(case=case).exists()
