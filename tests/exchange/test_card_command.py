"""End to end over the real PC/SC stack: ``pki init`` → ``card sign`` (the production hook) → the card in
vpcd's reader → ``read-card`` prints VALID then the data; after ``pki revoke`` the same card is INVALID."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from partycard.audit.models import AuditEvent
from partycard.chip.applet import Applet
from partycard.chip.lds import AID_LDS1
from partycard.core.signing import pki_keystore_open
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.workflow import State
from tests.exchange.conftest import Officers, card_holder
from tests.exchange.test_chip_signing import _case
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader"]


def _read(reader: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "read_card", "--reader", reader, "--aa-log", str(tmp_path / "aa.txt"), *extra, stdout=out
        )
    return int(exit_.value.code or 0), out.getvalue()


def test_signed_card_reads_valid_then_invalid_once_its_signer_is_revoked(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, pcsc_reader: str
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    case = _case(officers, campaign, card_holder(make_member, full_name="Lê Văn Thành", gender="M"))

    out = io.StringIO()
    call_command("card", "sign", str(case.pk), stdout=out)
    record = ChipImageRecord.objects.get(case=case)
    assert f"card {record.card_number} signed" in out.getvalue()
    assert AuditEvent.objects.filter(action="exchange.chip_image_sign").count() == 1

    store, files = pki_keystore_open(), record.file_set()
    chip = lambda: Applet(AID_LDS1, files, lambda m: store.sign(record.chip_key_label, m))  # noqa: E731

    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path)
        assert status == 0, text
        assert text.index("THẺ HỢP LỆ") < text.index("Họ và tên: Lê Văn Thành")
        status, text = _read(pcsc_reader, tmp_path, "--json", "--lang", "en")
        document = json.loads(text)
        assert (status, document["outcome"], document["reasons"]) == (0, "valid", [])
        assert document["holder"]["card_number"] == record.card_number

    signer = x509.load_pem_x509_certificate((tmp_path / f"{record.signer_label}.pem").read_bytes())
    call_command("pki", "revoke", f"{signer.serial_number:x}", stdout=io.StringIO())
    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path)
    assert status == 1, text
    assert "THẺ KHÔNG HỢP LỆ" in text and "signer_revoked" in text
    assert text.index("signer_revoked") < text.index("KHÔNG đáng tin") < text.index("Lê Văn Thành")


def test_read_card_without_trust_data_says_what_to_do(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    with pytest.raises(CommandError, match="partycard pki init"):
        call_command("read_card")


def test_card_insert_needs_a_signed_card(tmp_path: Path, monkeypatch: Any) -> None:
    with pytest.raises(CommandError, match="card sign"):
        call_command("card", "insert", "99.999.999")


def test_card_sign_reports_refusals(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any
) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    call_command("pki", "init", stdout=io.StringIO())
    case = _case(officers, campaign, card_holder(make_member), until=State.DECIDED)
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 1 cases refused"):
        call_command("card", "sign", str(case.pk), stderr=err)
    assert f"case {case.pk}: refused" in err.getvalue()
    assert not ChipImageRecord.objects.exists()
