"""The exchange's actions as issue 15 asks for them, without a browser: what cannot be undone is confirmed
first (the box on the case page is checked by the server too; the bulk form asks on a second page), the bulk
form offers only the actions that fit its queue and is not shown on an empty queue, and the organisation
filter's example is a real code."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from partycard.exchange.models import Case
from partycard.exchange.services import case_transition
from partycard.exchange.workflow import IRREVERSIBLE, Level, State, Transition
from partycard.jobs.models import Job
from partycard.registry.models import Organisation
from tests.web.office import Office, campaign, office, officers

pytestmark = pytest.mark.django_db

__all__ = ["campaign", "office", "officers"]

QUEUE = "/doi-the/"


def _html(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _transitions(page: str) -> set[str]:
    select = re.search(r'<select name="transition"[^>]*>(.*?)</select>', page, re.S)
    return set(re.findall(r'<option value="([^"]+)"', select.group(1))) if select else set()


@pytest.fixture
def grassroots(client: Client, login: Any, office: Office) -> Client:
    login(client, office.officers.grassroots)
    return client


def test_what_cannot_be_undone_is_what_ends_a_case() -> None:
    # Issue 15: "reject, cancel…"; accepting allocates a national card number, never reused.
    assert {Transition.REJECT, Transition.CANCEL, Transition.ACCEPT} == IRREVERSIBLE


def test_a_reject_without_the_confirmation_changes_nothing(grassroots: Client, office: Office) -> None:
    url = f"/doi-the/ho-so/{office.case.pk}/chuyen/"
    data = {"transition": "reject", "reason": "Ảnh không đúng quy cách"}
    refused = grassroots.post(url, data, follow=True)
    assert "Hãy đánh dấu ô xác nhận để «Không chấp thuận»" in _html(refused)
    assert Case.objects.get(pk=office.case.pk).state == State.PROPOSED
    grassroots.post(url, {**data, "confirmed": "1"})
    assert Case.objects.get(pk=office.case.pk).state == State.REJECTED


def test_the_case_page_asks_for_the_confirmation_of_reject_only(grassroots: Client, office: Office) -> None:
    page = _html(grassroots.get(f"/doi-the/ho-so/{office.case.pk}/"))
    forms = re.findall(r'<form method="post"[^>]*class="move tone-(\w+)">(.*?)</form>', page, re.S)
    by_action = {
        re.search(r'name="transition" value="(\w+)"', body).group(1): (tone, body) for tone, body in forms
    }
    assert {a: tone for a, (tone, _) in by_action.items()} == {
        "confirm": "approve",
        "return": "return",
        "reject": "reject",
    }
    assert 'name="confirmed"' in by_action["reject"][1] and "required" in by_action["reject"][1]
    assert 'name="confirmed"' not in by_action["confirm"][1] + by_action["return"][1]
    assert "Hồ sơ sẽ chuyển sang: Không chấp thuận." in by_action["reject"][1]


def test_a_bulk_reject_is_confirmed_on_a_second_page(grassroots: Client, office: Office) -> None:
    query = f"{QUEUE}?to_chuc=HN-BD-01-01"
    data = {"all_in_queue": "on", "transition": "reject", "reason": "Thiếu ảnh"}
    page = _html(grassroots.post(query, data))
    assert "Không chấp thuận 2 hồ sơ?" in page and "Thao tác này không thể hoàn tác." in page
    assert f'action="{query}"' in page  # the same queue, filter included
    assert 'name="confirmed" value="1"' in page and 'name="reason" value="Thiếu ảnh"' in page
    assert not Job.objects.filter(params__transition="reject").exists()
    done = grassroots.post(query, {**data, "confirmed": "1"})
    job = Job.objects.get(params__transition="reject")
    assert done.status_code == 302 and done["Location"] == f"/tac-vu/{job.pk}/"
    assert sorted(job.params["targets"]) == sorted([office.case.pk, office.other_case.pk])


def test_a_bulk_confirm_needs_no_second_page(grassroots: Client, office: Office) -> None:
    response = grassroots.post(QUEUE, {"cases": [office.case.pk], "transition": "confirm"})
    assert response.status_code == 302 and Job.objects.filter(params__transition="confirm").count() == 2


def test_the_bulk_form_offers_what_fits_the_queue(client: Client, login: Any, office: Office) -> None:
    login(client, office.officers.grassroots)
    assert _transitions(_html(client.get(QUEUE))) == {"confirm", "return", "reject"}  # no returned case
    # A case returned to the cell: the cell's queue offers "resubmit", and nothing else.
    case_transition(
        actor=office.officers.grassroots,
        case=office.case,
        transition=Transition.RETURN,
        reason="Sai ngày sinh",
        return_to=Level.CELL,
    )
    cell = Client()
    login(cell, office.officers.cell)
    assert _transitions(_html(cell.get(QUEUE))) == {"resubmit"}
    # Cases in a state the officer cannot act on: no form, no boxes to tick.
    accepted = _html(client.get(QUEUE, {"trang_thai": "accepted"}))
    assert 'name="transition"' not in accepted and 'name="cases"' not in accepted


def test_no_bulk_form_on_an_empty_queue(client: Client, login: Any, office: Office) -> None:
    login(client, office.officers.upper)  # nothing was confirmed yet: nothing waits for Ba Đình
    page = _html(client.get(QUEUE))
    assert "Không có hồ sơ nào đang chờ." in page
    assert 'name="transition"' not in page and 'name="cases"' not in page and "<fieldset" not in page


def test_the_organisation_filter_shows_a_real_code_of_the_scope(
    client: Client, login: Any, office: Office, tree: Any
) -> None:
    login(client, office.officers.upper)
    example = re.search(r'id="to_chuc" name="to_chuc"[^>]* placeholder="([^"]+)"', _html(client.get(QUEUE)))
    assert example is not None
    org = Organisation.objects.get(code=example.group(1))
    assert org.parent == tree.ba_dinh  # one level below the officer's committee
    login(client, office.officers.province)  # above the cells: the cell page asks which cell
    example = re.search(r'name="to_chuc" placeholder="([^"]+)"', _html(client.get("/doi-the/chi-bo/")))
    assert example is not None
    cell = Organisation.objects.get(code=example.group(1))
    assert cell.path.startswith(tree.hanoi.path) and cell.level in {tree.cell_a.level, tree.hue_cell.level}
