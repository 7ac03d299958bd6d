"""End to end over the real PC/SC stack: ``pki init`` → a signed card (the production hook) → the card in
vpcd's reader → ``read-card`` prints the verdict, then the data. A card with a status reference and a
published status list reads VALID, then INVALID (``card_revoked``) once its entry is revoked and the lists
are published again; a card signed without one (a case accepted before the cards app, which has no card
record to take an entry for) cannot be told; after ``pki revoke`` the card is INVALID (``signer_revoked``)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command

from partycard.audit.models import AuditEvent
from partycard.cards.models import Card
from partycard.core import clock
from partycard.core.signing import pki_keystore_open
from partycard.credentials import publishing
from partycard.credentials.models import StatusListRecord
from partycard.credentials.services import status_list_uri
from partycard.ecard.status import STATUS_INVALID, status_list_set
from partycard.exchange.models import ChipImageRecord
from partycard.exchange.services import chip_image_sign
from partycard.exchange.services.chip_images import record_applet
from partycard.exchange.workflow import State
from partycard.trust.trustlist import trustlist_verify
from tests.exchange.conftest import Officers, card_holder
from tests.exchange.test_chip_signing import _case
from tests.pcsc import pcsc_reader, vpcd_inserted

pytestmark = pytest.mark.django_db
__all__ = ["pcsc_reader"]


def _read(reader: str, tmp_path: Path, *extra: str, err: io.StringIO | None = None) -> tuple[int, str]:
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command(
            "read_card",
            "--reader",
            reader,
            "--aa-log",
            str(tmp_path / "aa.txt"),
            *extra,
            stdout=out,
            stderr=err or io.StringIO(),
        )
    return int(exit_.value.code or 0), out.getvalue()


def _authority(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    monkeypatch.setenv("PARTYCARD_PKI_PASSPHRASE", "a long test passphrase")
    publishing.caches_clear()
    call_command("pki", "init", stdout=io.StringIO())


def _chip(record: ChipImageRecord) -> Any:
    store = pki_keystore_open()
    return lambda: record_applet(record, store)


def test_a_card_whose_status_entry_is_revoked_reads_card_revoked(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, pcsc_reader: str
) -> None:
    """Issue 13: an expelled member's chip card, never recovered, must not read valid. The card's entry in
    a status list (draft-ietf-oauth-status-list §7.1: 0x00 VALID, 0x01 INVALID) is flipped as
    ``credential_status_set`` flips an e-card's, ``status-lists publish`` writes the signed list into the
    PKI directory, and ``read-card`` reads it from there."""
    _authority(tmp_path, monkeypatch)
    lists = StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=64, packed=bytes(16))
    case = _case(officers, campaign, card_holder(make_member, full_name="Đỗ Văn Hòa", gender="M"))
    record = chip_image_sign(actor=None, case=case, status=(status_list_uri(lists.pk), 5))
    chip = _chip(record)

    out = io.StringIO()
    call_command("status_lists", "publish", stdout=out)
    assert (tmp_path / "status" / f"{lists.pk}.jwt").is_file() and "1 status list(s)" in out.getvalue()
    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path, "--can", record.can, "--json", "--lang", "en")
    document = json.loads(text)
    assert (status, document["outcome"], document["reasons"]) == (0, "valid", [])
    assert [s["uri"] for s in document["status_lists"]] == [status_list_uri(lists.pk)]
    assert document["status_lists"][0]["stale"] is False

    packed = bytearray(lists.packed)  # the member is expelled: the card's entry becomes 0x01 INVALID
    status_list_set(packed, 5, STATUS_INVALID, 2)
    StatusListRecord.objects.filter(pk=lists.pk).update(packed=bytes(packed), version=lists.version + 1)
    call_command("status_lists", "publish", stdout=io.StringIO())
    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path, "--can", record.can)
    assert status == 1, text
    assert "THẺ KHÔNG HỢP LỆ" in text and "card_revoked" in text and "Thẻ đã bị thu hồi" in text
    assert text.index("card_revoked") < text.index("KHÔNG đáng tin") < text.index("Đỗ Văn Hòa")
    assert "Danh sách trạng thái: 1" in text

    # The same revocation from an explicit file; a file that is not a signed list is refused, not used.
    token = tmp_path / "status" / f"{lists.pk}.jwt"
    forged = tmp_path / "forged.jwt"
    forged.write_text(token.read_text()[:-4] + "AAAA")
    err = io.StringIO()
    with vpcd_inserted(chip, pcsc_reader):
        revoked = _read(pcsc_reader, tmp_path, "--can", record.can, "--status-list", str(token), "--json")
        unknown = _read(
            pcsc_reader, tmp_path, "--can", record.can, "--status-list", str(forged), "--json", err=err
        )
    assert (revoked[0], [r["code"] for r in json.loads(revoked[1])["reasons"]]) == (1, ["card_revoked"])
    assert (unknown[0], [r["code"] for r in json.loads(unknown[1])["reasons"]]) == (2, ["status_unknown"])
    assert "status list refused" in err.getvalue() and "forged.jwt" in err.getvalue()
    with pytest.raises(CommandError, match="no such status list file") as missing:
        call_command("read_card", "--status-list", str(tmp_path / "nowhere.jwt"))
    assert missing.value.returncode == 3  # no trust data, as for a missing trust list


def test_a_card_signed_without_a_status_reference_cannot_be_told_then_invalid_once_its_signer_is_revoked(
    tmp_path: Path, monkeypatch: Any, officers: Officers, campaign: Any, make_member: Any, pcsc_reader: str
) -> None:
    """A case accepted before the cards app has no card record, so ``card sign`` writes no status reference
    (a case's card takes its own entry: test_chip_signing.py): such a card is genuine, but whether it was
    revoked cannot be known offline, so it never reads valid."""
    _authority(tmp_path, monkeypatch)
    case = _case(officers, campaign, card_holder(make_member, full_name="Lê Văn Thành", gender="M"))
    Card.objects.filter(case=case).delete()  # as such a case: accepted, numbered, and no Card row

    out = io.StringIO()
    call_command("card", "sign", str(case.pk), stdout=out)
    record = ChipImageRecord.objects.get(case=case)
    assert f"card {record.card_number} signed" in out.getvalue()
    assert AuditEvent.objects.filter(action="exchange.chip_image_sign").count() == 1
    chip = _chip(record)

    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path, "--can", record.can)
        assert status == 2, text
        assert text.index("CHƯA KẾT LUẬN ĐƯỢC") < text.index("card_status_unknown")
        assert text.index("card_status_unknown") < text.index("Họ và tên: Lê Văn Thành")
        status, text = _read(pcsc_reader, tmp_path, "--can", record.can, "--json", "--lang", "en")
        document = json.loads(text)
        assert (status, document["outcome"]) == (2, "cannot_tell")
        assert [r["code"] for r in document["reasons"]] == ["card_status_unknown"]
        assert document["holder"]["card_number"] == record.card_number

    signer = x509.load_pem_x509_certificate((tmp_path / f"{record.signer_label}.pem").read_bytes())
    call_command("pki", "revoke", f"{signer.serial_number:x}", stdout=io.StringIO())
    with vpcd_inserted(chip, pcsc_reader):
        status, text = _read(pcsc_reader, tmp_path, "--can", record.can)
    assert status == 1, text
    assert "THẺ KHÔNG HỢP LỆ" in text and "signer_revoked" in text
    assert text.index("signer_revoked") < text.index("KHÔNG đáng tin") < text.index("Lê Văn Thành")


def test_read_card_without_trust_data_says_what_to_do(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("PARTYCARD_PKI_DIR", str(tmp_path))
    with pytest.raises(CommandError, match="partycard pki init") as e:
        call_command("read_card")
    assert e.value.returncode == 3  # "no card or no trust data", never 1 ("invalid")


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


def test_read_card_holds_jwt_and_cwt_lists_and_reports_a_bad_one(tmp_path: Path, monkeypatch: Any) -> None:
    """The status folder may hold both token forms (draft-ietf-oauth-status-list §5.1/§5.2); a file that is
    not a trusted list is reported and the others are still held (§9)."""
    from partycard.credentials.management.commands.read_card import _load_status_lists, _status_files

    _authority(tmp_path, monkeypatch)
    first, second = (
        StatusListRecord.objects.create(signer_label="ds-1", bits=2, size=8, packed=bytes(2)) for _ in "ab"
    )
    folder = tmp_path / "status"
    folder.mkdir()
    (folder / f"{first.pk}.cwt").write_bytes(publishing.status_list_token(first.pk, cwt=True).body)
    (folder / f"{second.pk}.jwt").write_bytes(publishing.status_list_token(second.pk).body)
    (folder / "junk.jwt").write_text("eyJub3QiOiJhIHRva2VuIn0.e30.AAAA")
    (folder / "notes.txt").write_text("not a token: not read")

    root = x509.load_pem_x509_certificate((tmp_path / "root.pem").read_bytes())
    trust = trustlist_verify((tmp_path / "trustlist.json").read_bytes(), root, clock.now())
    held, refused = _load_status_lists(_status_files(None, folder), trust=trust, root=root, now=clock.now())
    assert set(held) == {status_list_uri(first.pk), status_list_uri(second.pk)}
    assert len(refused) == 1 and refused[0].startswith(str(folder / "junk.jwt"))
    assert _status_files(None, tmp_path / "nowhere") == []
