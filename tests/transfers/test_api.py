"""The transfers API: the same round trip and scope as the pages, with bearer tokens; the member's own
transfers with their session (``GET /api/v1/me/transfers``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from partycard.accounts.models import User
from partycard.accounts.roles import Role
from partycard.api.services import token_issue
from partycard.registry.models import Member
from partycard.transfers.letter import letter_verify, root_certificate
from tests.transfers.conftest import World, officer

pytestmark = pytest.mark.django_db


def _api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(actor=None, user=user, name='t')[1]}")


def _post(client: Client, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def test_the_round_trip_through_the_api(world: World) -> None:
    cell, province, hue = _api(world.hn_cell), _api(world.hn_province), _api(world.hue_cell)
    created = _post(cell, "/api/v1/transfers", {
        "member": world.member.pk, "kind": "official", "to_cell": "HUE-TH-01",
        "decided_on": str(timezone.localdate() - dt.timedelta(days=1)), "reason": "Chuyển công tác",
    })  # fmt: skip
    assert created.status_code == 201, created.content
    transfer = created.json()
    assert transfer["state"] == "drafted" and transfer["committee"]["code"] == "HN"
    url = f"/api/v1/transfers/{transfer['id']}"
    assert _post(cell, f"{url}/issue").status_code == 404  # the sending committee issues, not the cell
    issued = _post(province, f"{url}/issue")
    assert issued.status_code == 200 and issued.json()["number"] == "1-GGT/HN"
    pdf = province.get(issued.json()["letter_url"])
    signature = province.get(issued.json()["signature_url"])
    root = root_certificate()
    assert root is not None
    assert letter_verify(pdf.content, signature.content, root=root, at=timezone.now()).ok
    assert [t["id"] for t in hue.get("/api/v1/transfers?side=receiving").json()["items"]] == [transfer["id"]]
    assert hue.get("/api/v1/transfers?side=sending").json()["items"] == []
    bad = _post(hue, f"{url}/receive", {"qr": "PC1R:ABC"})
    assert bad.status_code == 409
    assert _post(hue, f"{url}/receive", {"qr": world.ecard.rotating_qr()}).json()["state"] == "received"
    assert _post(hue, f"{url}/complete").json()["state"] == "completed"
    assert Member.objects.get(pk=world.member.pk).organisation == world.tree.hue_cell
    steps = [e["step"] for e in hue.get(f"{url}/events").json()]
    assert steps == ["create", "issue", "receive", "complete"]


def test_outside_the_scope_is_404_and_a_reader_may_not_write(world: World, tree: Any) -> None:
    created = _post(_api(world.hn_cell), "/api/v1/transfers", {
        "member": world.member.pk, "kind": "official", "to_cell": "HUE-TH-01",
        "decided_on": str(timezone.localdate()), "reason": "Chuyển công tác",
    }).json()  # fmt: skip
    url = f"/api/v1/transfers/{created['id']}"
    stranger = _api(officer("hn-cell-b", Role.CELL_SECRETARY, tree.cell_b))
    assert stranger.get(url).status_code == 404
    assert _post(stranger, f"{url}/cancel", {"reason": "x"}).status_code == 404
    assert stranger.get("/api/v1/transfers").json()["items"] == []
    inspector = _api(officer("hn-inspector", Role.INSPECTOR, tree.hanoi))
    assert inspector.get(url).status_code == 200  # inspectors read
    assert _post(inspector, f"{url}/cancel", {"reason": "x"}).status_code == 403
    # Hà Nội's officers may not draft the transfer of a member of Huế.
    hue_member = Member.objects.create(
        organisation=tree.hue_cell, full_name="Trần Huế", gender="F", date_of_birth=dt.date(1990, 1, 1),
        date_admitted=dt.date(2015, 1, 1), status="probationary", name_search="tran hue",
    )  # fmt: skip
    refused = _post(_api(world.hn_province), "/api/v1/transfers", {
        "member": hue_member.pk, "kind": "official", "to_cell": "HN-BD-01-01",
        "decided_on": str(timezone.localdate()), "reason": "x",
    })  # fmt: skip
    assert refused.status_code == 404


def test_the_member_reads_their_own_transfers_with_their_session(world: World, tree: Any, login: Any) -> None:
    _post(_api(world.hn_cell), "/api/v1/transfers", {
        "member": world.member.pk, "kind": "temporary", "to_cell": "HUE-TH-01",
        "decided_on": str(timezone.localdate()), "reason": "Đi học",
    })  # fmt: skip
    member_user = User.objects.create_user(
        "dv-chuyen",
        password="mat-khau-dai-1",
        role=Role.MEMBER,
        member=world.member,
        organisation=tree.cell_a,
    )
    half = Client()
    half.force_login(member_user)  # the password only: the SMS code not given yet
    assert half.get("/api/v1/me/transfers").status_code == 401
    client = Client()
    login(client, member_user)  # and the SMS code
    mine = client.get("/api/v1/me/transfers")
    assert mine.status_code == 200
    assert [t["kind"] for t in mine.json()] == ["temporary"]
    officer_session = Client()
    officer_session.force_login(world.hn_cell)
    assert officer_session.get("/api/v1/me/transfers").status_code == 401
    assert Client().get("/api/v1/me/transfers").status_code == 401
