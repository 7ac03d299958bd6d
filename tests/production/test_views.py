"""Production's pages and command line: in Vietnamese, the Centre's to act on, a province's to read its own
batches only (the same 404 as a missing batch for another province's)."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from partycard.production import services
from partycard.production.models import Batch, LayoutApproval

pytestmark = pytest.mark.django_db


def test_the_centre_plans_views_the_proof_approves_and_releases(
    world: Any, officers: Any, client: Client, login: Any
) -> None:
    login(client, officers.centre)
    page = client.get("/san-xuat/").content.decode()
    assert "Sản xuất thẻ đảng viên" in page and "Xem bản mẫu" in page
    proof = client.get("/san-xuat/mau-the/v1/")
    assert proof["Content-Type"] == "application/pdf" and proof.content.startswith(b"%PDF")
    viewed = client.get("/san-xuat/mau-the/v1/?xem=1").content.decode()
    digest = hashlib.sha256(proof.content).hexdigest()
    assert digest in viewed
    # A stale proof (not the one shown now) is not approved.
    client.post("/san-xuat/mau-the/v1/", {"proof_sha256": "0" * 64})
    assert not LayoutApproval.objects.exists()
    client.post("/san-xuat/mau-the/v1/", {"proof_sha256": digest})
    assert LayoutApproval.objects.filter(layout="v1").exists()
    response = client.post("/san-xuat/", {"layout": "v1", "size": "10"})
    assert response.status_code == 302
    batch = Batch.objects.get(province=world.cards[0].member.organisation.parent.parent.parent)
    detail = client.get(f"/san-xuat/lo/{batch.pk}/").content.decode()
    assert batch.code in detail and "Phát hành lô để sản xuất" in detail
    released = client.post(f"/san-xuat/lo/{batch.pk}/buoc/", {"step": "release"})
    assert released.status_code == 302 and "/tac-vu/" in released["Location"]
    batch.refresh_from_db()
    assert batch.state == Batch.State.BUILDING


def test_a_province_reads_its_own_batches_and_not_the_others(
    world: Any, officers: Any, client: Client, login: Any
) -> None:
    batches = services.batches_plan(actor=None, layout="v1")
    hanoi = next(b for b in batches if b.province.code == "HN")
    hue = next(b for b in batches if b.province.code != "HN")
    login(client, officers.province)
    page = client.get("/san-xuat/").content.decode()
    assert hanoi.code in page and hue.code not in page
    assert client.get(f"/san-xuat/lo/{hanoi.pk}/").status_code == 200
    assert client.get(f"/san-xuat/lo/{hue.pk}/").status_code == 404
    # Reading is not acting: the province may not release its own batch, nor plan.
    assert client.post(f"/san-xuat/lo/{hanoi.pk}/buoc/", {"step": "release"}).status_code == 404
    assert client.post("/san-xuat/", {"layout": "v1"}).status_code == 404
    hanoi.refresh_from_db()
    assert hanoi.state == Batch.State.PLANNED


def test_a_refused_report_upload_names_the_reason_in_vietnamese(
    world: Any, officers: Any, client: Client, login: Any
) -> None:
    (batch, *_rest) = services.batches_plan(actor=None, layout="v1")
    login(client, officers.centre)
    upload = io.BytesIO(b"not a report")
    upload.name = "bad.keys.p7s"
    response = client.post(f"/san-xuat/lo/{batch.pk}/buoc/", {"step": "keys", "file": upload}, follow=True)
    text = response.content.decode()
    assert response.status_code == 200
    assert "Tệp không được ký bởi đơn vị sản xuất thẻ đã đăng ký." in text or "Không đọc được tệp" in text


def test_the_command_line_plans_approves_and_shows(world: Any) -> None:
    out = io.StringIO()
    call_command("production", "approve-layout", "v1", stdout=out)
    assert "approved" in out.getvalue()
    out = io.StringIO()
    call_command("production", "plan", "--layout", "v1", stdout=out)
    assert "2 batches planned." in out.getvalue()
    out = io.StringIO()
    call_command("production", "show", stdout=out)
    assert out.getvalue().count("planned") == 2
