"""The transfer pages, as each side's officers use them: the list per side, the draft from the member page,
the letter issued and downloaded, the receiving cell's confirmation by the pasted e-card, the completion,
the signature check; and the 404 of a transfer outside one's scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from partycard.registry.models import Member
from partycard.transfers import services
from partycard.transfers.models import Transfer
from partycard.transfers.workflow import State
from tests.transfers.conftest import World, officer

pytestmark = pytest.mark.django_db


def _client(login: Any, user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def test_the_round_trip_through_the_pages(world: World, login: Any) -> None:
    cell = _client(login, world.hn_cell)
    page = cell.get(f"/dang-vien/{world.member.pk}/")
    assert f"/chuyen-sinh-hoat/tao/?dang_vien={world.member.pk}" in page.content.decode()
    response = cell.post(
        "/chuyen-sinh-hoat/tao/",
        {
            "member_id": world.member.pk, "kind": "official", "to_cell_code": "hue-th-01",
            "decided_on": _day(timezone.localdate() - dt.timedelta(days=2)), "reason": "Chuyển công tác",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    transfer = Transfer.objects.get()
    detail = cell.get(f"/chuyen-sinh-hoat/{transfer.pk}/").content.decode()
    issue_form = f'action="/chuyen-sinh-hoat/{transfer.pk}/phat-hanh/"'
    assert issue_form not in detail  # the cell drafts; the province issues
    province = _client(login, world.hn_province)
    assert issue_form in province.get(f"/chuyen-sinh-hoat/{transfer.pk}/").content.decode()
    assert province.post(f"/chuyen-sinh-hoat/{transfer.pk}/phat-hanh/").status_code == 302
    transfer.refresh_from_db()
    assert transfer.state == State.ISSUED
    letter = province.get(f"/chuyen-sinh-hoat/{transfer.pk}/giay-gioi-thieu.pdf")
    assert letter["Content-Type"] == "application/pdf" and letter.content == bytes(transfer.letter_pdf)
    signature = province.get(f"/chuyen-sinh-hoat/{transfer.pk}/giay-gioi-thieu.p7s").content

    hue = _client(login, world.hue_cell)
    listing = hue.get("/chuyen-sinh-hoat/?ben=receiving").content.decode()
    assert "Hoàng Văn Chuyển" in listing
    receive_page = hue.get(f"/chuyen-sinh-hoat/{transfer.pk}/tiep-nhan/")
    assert receive_page.status_code == 200 and "transfers/receive.js" in receive_page.content.decode()
    refused = hue.post(f"/chuyen-sinh-hoat/{transfer.pk}/tiep-nhan/", {"presentation": "PC1R:RÁC"})
    assert refused.status_code == 400
    accepted = hue.post(
        f"/chuyen-sinh-hoat/{transfer.pk}/tiep-nhan/", {"presentation": world.ecard.rotating_qr()}
    )
    assert accepted.status_code == 302
    assert hue.post(f"/chuyen-sinh-hoat/{transfer.pk}/hoan-tat/").status_code == 302
    assert Member.objects.get(pk=world.member.pk).organisation == world.tree.hue_cell

    # The letter checks out on the verification page; a changed byte does not.
    pdf = bytes(transfer.letter_pdf)
    from django.core.files.uploadedfile import SimpleUploadedFile

    def check(body: bytes) -> str:
        return hue.post(
            "/chuyen-sinh-hoat/kiem-tra-giay/",
            {
                "letter": SimpleUploadedFile("g.pdf", body, "application/pdf"),
                "signature": SimpleUploadedFile("g.p7s", signature, "application/pkcs7-signature"),
            },
        ).content.decode()

    assert 'class="ok" role="status" id="letter-result"' in check(pdf)
    assert 'class="error" role="alert" id="letter-result"' in check(pdf[:200] + b" " + pdf[201:])


def test_outside_both_sides_everything_is_404(world: World, login: Any, tree: Any) -> None:
    transfer = services.transfer_create(
        actor=world.hn_cell, member=world.member, kind="official", to_cell=tree.hue_cell,
        decided_on=timezone.localdate(), reason="Chuyển công tác",
    )  # fmt: skip
    stranger = _client(login, officer("hn-cell-b", "cell_secretary", tree.cell_b))
    for url in ("", "tiep-nhan/", "giay-gioi-thieu.pdf"):
        assert stranger.get(f"/chuyen-sinh-hoat/{transfer.pk}/{url}").status_code == 404
    for url in ("phat-hanh/", "hoan-tat/", "huy/", "tu-choi/"):
        assert stranger.post(f"/chuyen-sinh-hoat/{transfer.pk}/{url}", {"huy-reason": "x"}).status_code == 404
    assert "Hoàng Văn Chuyển" not in stranger.get("/chuyen-sinh-hoat/").content.decode()
    # The receiving side cannot take the sending side's step, even by posting it.
    hue = _client(login, world.hue_province)
    assert hue.post(f"/chuyen-sinh-hoat/{transfer.pk}/phat-hanh/").status_code == 404
    assert Transfer.objects.get(pk=transfer.pk).state == State.DRAFTED


def test_the_draft_form_says_why_a_member_under_inspection_is_not_transferred(
    world: World, login: Any
) -> None:
    from partycard.registry import services as registry

    registry.member_update(actor=None, member=world.member, changes={"under_inspection": True})
    response = _client(login, world.hn_cell).post(
        "/chuyen-sinh-hoat/tao/",
        {
            "member_id": world.member.pk, "kind": "official", "to_cell_code": "HUE-TH-01",
            "decided_on": _day(timezone.localdate()), "reason": "Chuyển công tác",
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "đang trong thời gian kiểm tra" in response.content.decode() or "under inspection" in (
        response.content.decode()
    )
    assert not Transfer.objects.exists()
