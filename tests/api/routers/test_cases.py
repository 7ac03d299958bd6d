"""The exchange routes: a case up the tree with each level's token, every refusal with its codes,
the sibling province as a 404, bulk transitions as jobs, eligibility with every reason.

``tests/exchange/conftest.py`` places one officer at each level of the Hà Nội branch (``officers``) and a
Huế committee officer who may not see any of it.
"""

from __future__ import annotations

from typing import Any

import pytest

from partycard.accounts.models import Role
from partycard.cards import card_number
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.exchange.models import Campaign, Case, CaseEvent
from partycard.exchange.workflow import State
from tests.conftest import recent_months
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import card_holder

from ..conftest import Api

pytestmark = pytest.mark.django_db

# The exchange's fixtures, shared with this module (its conftest is not an ancestor of tests/api).
campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["type"]
    return body


def _codes(response: Any, status: int = 409) -> list[str]:
    body = _problem(response, status)
    assert all(p["message_vi"] and p["message_en"] for p in body["problems"])
    return [p["code"] for p in body["problems"]]


@pytest.fixture
def as_(api_as: Any, officers: Any) -> Any:
    """``as_.cell`` … ``as_.hue_upper``: the API with a token of each officer."""

    class Clients:
        def __getattr__(self, name: str) -> Api:
            client = api_as(getattr(officers, name))
            setattr(self, name, client)  # one token per officer
            return client

    return Clients()


def _propose(as_: Any, campaign: Any, member: Any) -> dict[str, Any]:
    created = as_.cell.post("/cases", {"campaign": campaign.pk, "member": member.pk})
    assert created.status_code == 201, created.content
    return dict(created.json())


# ---- the path through the levels -----------------------------------------------------------------


def test_a_case_goes_up_the_tree_with_each_levels_token(as_, campaign, make_member) -> None:
    """The case ends at the Centre's acceptance, which creates the member's new card (its way down the
    tree is the card's: tests/exchange/test_cases.py, tests/cards)."""
    member = card_holder(make_member)
    case = _propose(as_, campaign, member)
    assert (case["state"], case["member"], case["organisation"]) == ("proposed", member.pk, "HN-BD-01-01")
    assert case["your_levels"] == ["cell"] and case["card_number"] is None
    steps = [
        (as_.grassroots, "confirm", "confirmed"),
        (as_.upper, "decide", "decided"),
        (as_.province, "forward", "forwarded"),
        (as_.centre, "accept", "accepted"),
    ]
    for api, transition, state in steps:
        moved = api.post(f"/cases/{case['id']}/transitions", {"transition": transition})
        assert moved.status_code == 200, (transition, moved.content)
        assert moved.json()["state"] == state
    assert as_.province.get(f"/cases/{case['id']}").json()["your_levels"] == ["province"]
    body = as_.grassroots.get(f"/cases/{case['id']}").json()
    assert card_number.problem(body["card_number"]) is None and body["your_levels"] == ["grassroots"]
    assert [e["transition"] for e in body["events"]] == ["propose"] + [t for _, t, _ in steps]
    assert body["events"][0] | {"from_state": None, "actor": "bt_a"} == body["events"][0]
    assert body["events"][1] | {"from_state": "proposed", "to_state": "confirmed"} == body["events"][1]
    assert (
        body["events"][3] | {"from_state": "decided", "to_state": "forwarded", "actor": "hn"}
        == (body["events"][3])
    )
    assert CaseEvent.objects.filter(case_id=case["id"]).count() == 5
    card = Card.objects.get(case_id=case["id"])
    assert (card.number, card.kind, card.state, card.member_id) == (
        body["card_number"],
        CardKind.NEW,
        CardState.ALLOCATED,
        member.pk,
    )
    # Nothing moves an accepted case any more, whoever asks.
    for api in (as_.cell, as_.upper, as_.province, as_.centre):
        assert "wrong_state" in _codes(
            api.post(f"/cases/{case['id']}/transitions", {"transition": "cancel", "reason": "r"})
        )


def test_a_returned_case_comes_back_to_the_cell_which_resubmits(as_, campaign, make_member) -> None:
    case = _propose(as_, campaign, card_holder(make_member))
    url = f"/cases/{case['id']}/transitions"
    returned = as_.grassroots.post(url, {"transition": "return", "reason": "Ảnh mờ", "return_to": "cell"})
    assert returned.status_code == 200, returned.content
    assert returned.json() | {"state": "returned", "returned_to": "cell", "note": "Ảnh mờ"} == returned.json()
    waiting = as_.cell.get("/cases", {"waiting": "true"}).json()["items"]
    assert [c["id"] for c in waiting] == [case["id"]]
    assert as_.cell.post(url, {"transition": "resubmit"}).json()["state"] == "proposed"


# ---- refusals ------------------------------------------------------------------------------------


def test_the_wrong_level_is_refused_with_the_workflows_codes(as_, campaign, make_member) -> None:
    case = _propose(as_, campaign, card_holder(make_member))
    url = f"/cases/{case['id']}/transitions"
    for api in (as_.cell, as_.upper, as_.centre, as_.province):
        assert _codes(api.post(url, {"transition": "confirm"})) == ["wrong_level"]
    _problem(as_.other_cell.post(url, {"transition": "confirm"}), 404)  # a sibling cell does not see it
    assert _codes(as_.upper.post(url, {"transition": "decide"})) == ["wrong_state"]
    assert _codes(as_.province.post(url, {"transition": "forward"})) == ["wrong_state"]
    assert _codes(as_.centre.post(url, {"transition": "accept"})) == ["wrong_state"]
    assert _codes(as_.upper.post(url, {"transition": "forward"})) == ["wrong_state", "wrong_level"]
    assert _codes(as_.upper.post(url, {"transition": "accept"})) == ["wrong_state", "wrong_level"]
    body = _problem(as_.centre.post(url, {"transition": "accept"}), 409)
    assert body["type"] == "urn:partycard:problem:workflow"
    assert Case.objects.get(pk=case["id"]).state == State.PROPOSED


def test_input_only_refusals_are_422_naming_the_fields(as_, campaign, make_member) -> None:
    case = _propose(as_, campaign, card_holder(make_member))
    url = f"/cases/{case['id']}/transitions"
    body = _problem(as_.grassroots.post(url, {"transition": "return", "return_to": "upper"}), 422)
    assert [p["code"] for p in body["problems"]] == ["reason_required", "return_level"]
    assert [e["field"] for e in body["errors"]] == ["reason", "return_to"]
    # Input and level together: the level wins, 409, and every problem is listed.
    assert _codes(as_.cell.post(url, {"transition": "reject"})) == ["wrong_level", "reason_required"]
    for bad in ({"transition": "propose"}, {"transition": "hold"}, {"transition": "confirm", "x": 1}):
        assert _problem(as_.grassroots.post(url, bad), 422)["errors"]
    assert Case.objects.get(pk=case["id"]).state == State.PROPOSED


def test_an_ineligible_member_is_not_proposed_and_every_reason_is_listed(as_, campaign, make_member) -> None:
    member = make_member(old_card_number=None, under_discipline=True)
    codes = _codes(as_.cell.post("/cases", {"campaign": campaign.pk, "member": member.pk}))
    assert codes == ["not_eligible", "no_current_card", "under_discipline"]
    holder = card_holder(
        make_member, full_name="Trần Văn Bình", citizen_id="001080011111", old_card_number="90000001"
    )
    _propose(as_, campaign, holder)
    assert _codes(as_.cell.post("/cases", {"campaign": campaign.pk, "member": holder.pk})) == ["wrong_state"]
    other = card_holder(
        make_member, full_name="Lê Văn Cường", citizen_id="001080022222", old_card_number="90000002"
    )
    assert _codes(as_.grassroots.post("/cases", {"campaign": campaign.pk, "member": other.pk})) == [
        "wrong_level"
    ]
    assert Case.objects.count() == 1


def test_proposal_targets_outside_scope_or_closed_are_field_errors(
    as_, api_as, make_user, tree, campaign, make_member
) -> None:
    hue = card_holder(
        make_member,
        org=tree.hue_cell,
        full_name="Lê Văn Huế",
        citizen_id="001080099999",
        old_card_number="90000003",
    )
    refused = _problem(as_.cell.post("/cases", {"campaign": campaign.pk, "member": hue.pk}), 422)
    missing = _problem(as_.cell.post("/cases", {"campaign": campaign.pk, "member": 10**9}), 422)
    assert refused["errors"] == missing["errors"] == [{"field": "member", "reason": "No member has this id."}]
    closed = Campaign.objects.create(code="dot-cu", name="Đợt cũ", cut_off=campaign.cut_off, is_open=False)
    member = card_holder(
        make_member, full_name="Trần Văn Bình", citizen_id="001080011111", old_card_number="90000004"
    )
    body = _problem(as_.cell.post("/cases", {"campaign": closed.pk, "member": member.pk}), 422)
    assert [e["field"] for e in body["errors"]] == ["campaign"]
    inspector = api_as(make_user("tt", Role.INSPECTOR))
    _problem(inspector.post("/cases", {"campaign": campaign.pk, "member": member.pk}), 403)
    assert not Case.objects.exists()


def test_readers_see_cases_but_cannot_move_them(as_, api_as, make_user, tree, campaign, make_member) -> None:
    member = card_holder(make_member)
    case = _propose(as_, campaign, member)
    inspector = api_as(make_user("tt", Role.INSPECTOR))
    assert inspector.get(f"/cases/{case['id']}").json()["your_levels"] == []
    _problem(inspector.post(f"/cases/{case['id']}/transitions", {"transition": "confirm"}), 404)
    # A member has no API token (the member's app uses /api/v1/me/… with the session): refused.
    own = api_as(make_user("dv", Role.MEMBER, org=tree.cell_a, member=member))
    _problem(own.get("/cases"), 401)
    _problem(own.post(f"/cases/{case['id']}/transitions", {"transition": "confirm"}), 401)
    _problem(own.post("/cases/bulk-transitions", {"transition": "confirm", "case_ids": [case["id"]]}), 401)
    assert Case.objects.get(pk=case["id"]).state == State.PROPOSED


# ---- scope ---------------------------------------------------------------------------------------


def test_the_sibling_province_gets_404s_like_missing_cases(as_, tree, campaign, make_member) -> None:
    member = card_holder(make_member)
    case = _propose(as_, campaign, member)
    hue = as_.hue_upper
    missing = _problem(hue.get("/cases/999999"), 404)
    for response in (
        hue.get(f"/cases/{case['id']}"),
        hue.post(f"/cases/{case['id']}/transitions", {"transition": "confirm"}),
        hue.get(f"/members/{member.pk}/eligibility"),
        hue.get("/cases", {"organisation": "HN-BD-01-01"}),
    ):
        assert _problem(response, 404)["detail"] == missing["detail"]
    assert hue.get("/cases").json() == {"items": [], "next_cursor": None}
    assert hue.get("/cases/counts").json()["counts"]["proposed"] == 0
    assert as_.province.get("/cases/counts").json()["counts"]["proposed"] == 1
    assert Case.objects.get(pk=case["id"]).state == State.PROPOSED


# ---- lists and counts ----------------------------------------------------------------------------


def test_case_list_filters_queue_and_keyset_pages(
    as_, api_as, make_user, tree, campaign, make_member
) -> None:
    inspector = api_as(make_user("tt", Role.INSPECTOR))
    ids = []
    for i in range(5):
        org = tree.cell_a if i < 3 else tree.cell_b
        member = card_holder(
            make_member,
            org=org,
            full_name=f"Nguyễn Văn {'ABCDE'[i]}",
            citizen_id=f"00108001{i:04d}",
            old_card_number=f"8000000{i}",
        )
        api = as_.cell if i < 3 else as_.other_cell
        created = api.post("/cases", {"campaign": campaign.pk, "member": member.pk})
        ids.append(created.json()["id"])
    as_.grassroots.post(f"/cases/{ids[0]}/transitions", {"transition": "confirm"})
    seen, cursor = [], None
    while True:
        page = as_.province.get("/cases", {"limit": 2} | ({"cursor": cursor} if cursor else {})).json()
        seen += [c["id"] for c in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == ids
    by = lambda api, **p: [c["id"] for c in api.get("/cases", p).json()["items"]]  # noqa: E731
    assert by(as_.province, state="confirmed") == [ids[0]]
    assert by(as_.province, organisation="HN-BD-01-02") == ids[3:]
    assert by(as_.grassroots, waiting="true") == ids[1:]
    assert by(as_.upper, waiting="true") == [ids[0]]
    assert by(inspector, waiting="true") == [] and len(by(inspector)) == 5  # an inspector acts at no level
    assert by(as_.cell, campaign=campaign.pk) == ids[:3]  # the secretary sees their own cell only
    counts = as_.province.get("/cases/counts", {"campaign": campaign.pk}).json()
    assert counts["campaign"] == campaign.pk and set(counts["counts"]) == {s.value for s in State}
    assert (counts["counts"]["proposed"], counts["counts"]["confirmed"], counts["counts"]["decided"]) == (
        4,
        1,
        0,
    )
    _problem(as_.province.get("/cases", {"cursor": "abc"}), 400)
    _problem(as_.province.get("/cases", {"campaign": 999999}), 404)


def test_card_number_filter_is_checked_and_finds_the_case(as_, campaign, make_member) -> None:
    case = _propose(as_, campaign, card_holder(make_member))
    for api, transition in (
        (as_.grassroots, "confirm"),
        (as_.upper, "decide"),
        (as_.province, "forward"),
        (as_.centre, "accept"),
    ):
        moved = api.post(f"/cases/{case['id']}/transitions", {"transition": transition})
        assert moved.status_code == 200, (transition, moved.content)
    number = Case.objects.get(pk=case["id"]).card_number
    typed = card_number.format_number(number)  # "SSS SSS SSS C", as people type it
    assert [c["id"] for c in as_.province.get("/cases", {"card_number": typed}).json()["items"]] == [
        case["id"]
    ]
    mistyped = number[:9] + str((int(number[9]) + 1) % 10)
    for bad in ("12345", mistyped, "0000000000", "12345678x0"):
        body = _problem(as_.province.get("/cases", {"card_number": bad}), 422)
        assert body["errors"][0]["field"] == "card_number"
        assert card_number.problem(bad) in body["errors"][0]["reason"]


def test_campaigns_lists_the_open_ones(api, campaign) -> None:
    Campaign.objects.create(code="dot-cu", name="Đợt cũ", cut_off=campaign.cut_off, is_open=False)
    body = api.get("/campaigns").json()
    assert [c["code"] for c in body] == ["dot-2026"] and body[0]["cut_off"] == "2026-06-30"


# ---- eligibility ---------------------------------------------------------------------------------


def test_eligibility_lists_every_reason_computed_now(as_, campaign, make_member) -> None:
    member = make_member(
        old_card_number=None, dues_unpaid_months=recent_months(5), abroad=True, under_inspection=True
    )
    body = as_.cell.get(f"/members/{member.pk}/eligibility", {"campaign": campaign.pk}).json()
    assert (
        body | {"member": member.pk, "campaign": campaign.pk, "eligible": False, "postponed": False} == body
    )
    assert [r["code"] for r in body["reasons"]] == ["no_current_card", "under_inspection", "dues_unpaid"]
    dues = body["reasons"][2]
    assert dues["message_en"] == (
        "Dues unpaid for 5 months within the last 12 without good reason "
        "(Charter Art. 8(2): 3 months lead to removal)."
    )
    assert "5 tháng" in dues["message_vi"] and "Điều 8" in dues["message_vi"]
    assert [r["postpones"] for r in body["reasons"]] == [False, True, False]
    holder = card_holder(
        make_member, full_name="Trần Văn Bình", citizen_id="001080011111", old_card_number="90000005"
    )
    fine = as_.cell.get(f"/members/{holder.pk}/eligibility").json()  # the current campaign by default
    assert (fine["eligible"], fine["postponed"], fine["reasons"]) == (True, False, [])
    postponed = card_holder(
        make_member,
        full_name="Lê Văn Cường",
        citizen_id="001080022222",
        under_discipline=True,
        old_card_number="90000009",
    )
    assert as_.cell.get(f"/members/{postponed.pk}/eligibility").json()["postponed"] is True
