"""``partycard transfers``: the expiry job and the letter check from the shell (and OpenSSL agrees)."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from partycard.transfers import services
from partycard.transfers.models import Transfer
from partycard.transfers.workflow import State
from tests.transfers.conftest import World

pytestmark = pytest.mark.django_db


def _issued(world: World) -> Transfer:
    transfer = services.transfer_create(
        actor=world.hn_cell, member=world.member, kind="official", to_cell=world.tree.hue_cell,
        decided_on=timezone.localdate(), reason="Chuyển công tác",
    )  # fmt: skip
    return services.transfer_issue(actor=world.hn_province, transfer=transfer)


def test_verify_letter(world: World, tmp_path: Path, authority: Path) -> None:
    transfer = _issued(world)
    letter, signature = tmp_path / "g.pdf", tmp_path / "g.p7s"
    letter.write_bytes(bytes(transfer.letter_pdf))
    signature.write_bytes(bytes(transfer.letter_signature))
    out = io.StringIO()
    call_command("transfers", "verify-letter", str(letter), str(signature), stdout=out)
    assert "valid: letter 1-GGT/HN" in out.getvalue()
    if shutil.which("openssl"):  # the same check with OpenSSL: the manifest names the PDF's SHA-256
        manifest = subprocess.run(
            ["openssl", "cms", "-verify", "-inform", "DER", "-in", str(signature), "-CAfile",
             str(authority / "root.pem"), "-purpose", "any"],
            capture_output=True, check=True,
        ).stdout  # fmt: skip
        assert json.loads(manifest)["sha256"] == transfer.letter_sha256
    letter.write_bytes(bytes(transfer.letter_pdf).replace(b"/Producer", b"/Producez", 1))
    with pytest.raises(CommandError, match="digest_mismatch"):
        call_command("transfers", "verify-letter", str(letter), str(signature))


def test_expire(world: World) -> None:
    transfer = _issued(world)
    late = timezone.localtime() + dt.timedelta(days=90)
    out = io.StringIO()
    call_command("transfers", "expire", "--at", late.isoformat(), stdout=out)
    assert "1 transfer(s) expired" in out.getvalue()
    assert Transfer.objects.get(pk=transfer.pk).state == State.EXPIRED
