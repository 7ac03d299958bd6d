"""The exchange pages: the cell's members, proposals and the cards it hands over and takes back, the queue
with its bulk job, a case's page, the job's progress page, and the case timeline on the member's page — in
Vietnamese, scoped, refusing bad input without writing anything."""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from partycard.accounts.models import Role, User
from partycard.audit.models import AuditEvent
from partycard.cards.card_number import format_number
from partycard.cards.lifecycle import CardKind, CardState
from partycard.cards.models import Card
from partycard.exchange.models import Case, CaseEvent
from partycard.exchange.services import case_propose, case_transition
from partycard.exchange.workflow import Level, State, Transition
from partycard.jobs.models import Job
from partycard.jobs.services import job_run
from tests.exchange import conftest as exchange_fixtures
from tests.exchange.conftest import card_holder
from tests.factories import card_walk

# The exchange's fixtures, shared with this module (its conftest is not an ancestor of tests/web).
campaign = exchange_fixtures.campaign
officers = exchange_fixtures.officers

pytestmark = pytest.mark.django_db

T = Transition
CELL_URL = "/doi-the/chi-bo/"
QUEUE_URL = "/doi-the/"


@pytest.fixture
def as_(login: Any) -> Any:
    """``as_(user)``: a signed-in client (TOTP passed)."""

    def make(user: User) -> Client:
        client = Client()
        login(client, user)
        return client

    return make


@pytest.fixture
def people(make_member: Any) -> SimpleNamespace:
    """Four members of cell_a: two eligible, one not (no card, under discipline), one postponed."""
    return SimpleNamespace(
        an=card_holder(
            make_member, full_name="Nguyễn Văn An", citizen_id="001080000001", old_card_number="10000001"
        ),
        binh=card_holder(
            make_member, full_name="Trần Văn Bình", citizen_id="001080000002", old_card_number="10000002"
        ),
        cuong=make_member(
            full_name="Lê Văn Cường", citizen_id="001080000003", old_card_number=None, under_discipline=True
        ),
        dung=card_holder(
            make_member,
            full_name="Phạm Văn Dũng",
            citizen_id="001080000004",
            old_card_number="10000004",
            under_inspection=True,
        ),
    )


def _text(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


def _advance(case: Case, *steps: tuple[User, Transition]) -> Case:
    for actor, transition in steps:
        case = case_transition(actor=actor, case=case, transition=transition)
    return case


def _received_at_the_cell(o: Any, case: Case) -> Card:
    """The case accepted, and its new card sent down the tree and received by the cell."""
    case = _advance(
        case, (o.grassroots, T.CONFIRM), (o.upper, T.DECIDE), (o.province, T.FORWARD), (o.centre, T.ACCEPT)
    )
    return card_walk(Card.objects.get(case=case), o, hand_over=False)


# The cell page -------------------------------------------------------------------------------------------


def test_the_cell_page_shows_every_member_with_the_verdict_and_every_reason(
    as_: Any, officers: Any, campaign: Any, people: Any
) -> None:
    page = _text(as_(officers.cell).get(CELL_URL))
    assert 'lang="vi"' in page and "Chi bộ Giáo viên 1" in page and "Đợt đổi thẻ 2026" in page
    assert "Họ và tên" in page  # the UI's own words, in Vietnamese
    for name in ("Nguyễn Văn An", "Trần Văn Bình", "Lê Văn Cường", "Phạm Văn Dũng"):
        assert name in page
    # Every reason of every member, in the rules' Vietnamese.
    assert "Chưa có thẻ đảng viên để đổi." in page
    assert "Đang trong thời gian xem xét kỷ luật: hoãn đổi thẻ đến khi có kết luận." in page
    assert "Đang bị kiểm tra hoặc giải quyết khiếu nại: hoãn đổi thẻ đến khi có kết luận." in page
    assert page.count("verdict-eligible") == 2
    assert page.count("verdict-ineligible") == 1 and page.count("verdict-postponed") == 1
    # Only the eligible members without a case can be ticked; the button is the workflow's wording.
    ticks = set(re.findall(r'name="members" value="(\d+)"', page))
    assert ticks == {str(people.an.pk), str(people.binh.pk)}
    assert "Đề nghị đổi thẻ" in page


def test_the_secretary_proposes_and_an_ineligible_member_is_refused_with_its_reasons(
    as_: Any, officers: Any, campaign: Any, people: Any
) -> None:
    client = as_(officers.cell)
    response = client.post(CELL_URL, {"members": [people.an.pk, people.binh.pk, people.cuong.pk]})
    assert response.status_code == 302 and response["Location"] == f"{CELL_URL}?to_chuc=HN-BD-01-01"
    cases = Case.objects.filter(campaign=campaign)
    assert {c.member_id for c in cases} == {people.an.pk, people.binh.pk}
    assert {c.state for c in cases} == {State.PROPOSED}
    assert set(CaseEvent.objects.values_list("actor__username", flat=True)) == {"bt_a"}
    page = _text(client.get(response["Location"]))
    refusal = re.search(r"Lê Văn Cường: Đảng viên hiện không đủ điều kiện đổi thẻ\.[^<]*", page)
    assert refusal is not None
    assert "Chưa có thẻ đảng viên để đổi." in refusal.group(0)
    assert "xem xét kỷ luật" in refusal.group(0)
    # The proposed members now show their case, and can no longer be ticked.
    assert set(re.findall(r'name="members" value="(\d+)"', page)) == set()
    for case in cases:
        assert f'href="/doi-the/ho-so/{case.pk}/"' in page


def test_an_officer_above_opens_a_cell_by_code_and_no_one_outside_may(
    as_: Any, officers: Any, campaign: Any, people: Any, tree: Any
) -> None:
    province = as_(officers.province)
    prompt = _text(province.get(CELL_URL))
    assert 'name="to_chuc"' in prompt and "Nguyễn Văn An" not in prompt
    page = _text(province.get(CELL_URL, {"to_chuc": "hn-bd-01-01"}))
    assert "Nguyễn Văn An" in page and "Chưa có thẻ đảng viên để đổi." in page
    assert 'name="members"' not in page  # proposing is the cell's
    assert province.get(CELL_URL, {"to_chuc": "HN-BD-01"}).status_code == 404  # not a cell
    assert as_(officers.hue_upper).get(CELL_URL, {"to_chuc": "HN-BD-01-01"}).status_code == 404
    assert as_(officers.other_cell).get(CELL_URL, {"to_chuc": "HN-BD-01-01"}).status_code == 404
    assert as_(officers.hue_upper).get(CELL_URL, {"to_chuc": "NOPE"}).status_code == 404
    # Posting from above or from outside proposes no one.
    outside = as_(officers.hue_upper).post(f"{CELL_URL}?to_chuc=HN-BD-01-01", {"members": [people.an.pk]})
    assert outside.status_code == 404
    province.post(f"{CELL_URL}?to_chuc=HN-BD-01-01", {"members": [people.an.pk]})
    assert not Case.objects.exists()


def test_the_cell_secretary_hands_over_and_recovers_from_the_cell_page(
    as_: Any, officers: Any, campaign: Any, people: Any
) -> None:
    """The new card is the case's no longer: the cell hands it over and takes the old one back as cards."""
    received = _received_at_the_cell(
        officers, case_propose(actor=officers.cell, campaign=campaign, member=people.an)
    )
    old = Card.objects.get(member=people.an, kind=CardKind.OLD)
    returned = _advance(case_propose(actor=officers.cell, campaign=campaign, member=people.binh))
    returned = case_transition(
        actor=officers.grassroots, case=returned, transition=T.RETURN, reason="Ảnh mờ", return_to=Level.CELL
    )
    client = as_(officers.cell)
    page = _text(client.get(CELL_URL))
    assert "Trao thẻ cho đảng viên" in page and "Gửi lại" in page and "Ảnh mờ" in page
    assert 'value="hand_over"' in page and 'value="recover"' not in page  # the old card is still in use
    here = f"{CELL_URL}?to_chuc=HN-BD-01-01"
    response = client.post(
        f"/the-dang-vien/{received.number}/buoc/", {"transition": "hand_over", "next": here}
    )
    assert response.status_code == 302 and response["Location"] == here
    assert Card.objects.get(pk=received.pk).state == CardState.ACTIVE
    assert Card.objects.get(pk=old.pk).state == CardState.SUPERSEDED
    page = _text(client.get(here))
    assert "Ghi nhận đã thu hồi thẻ" in page and 'value="hand_over"' not in page
    # An outside address in "next" is not followed, on the case's form or on the card's.
    response = client.post(
        f"/doi-the/ho-so/{returned.pk}/chuyen/", {"transition": "resubmit", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/doi-the/ho-so/{returned.pk}/"
    assert Case.objects.get(pk=returned.pk).state == State.PROPOSED
    response = client.post(
        f"/the-dang-vien/{old.number}/buoc/", {"transition": "recover", "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/the-dang-vien/{old.number}/"
    assert Card.objects.get(pk=old.pk).state == CardState.RECOVERED
    assert Case.objects.get(pk=received.case_id).state == State.ACCEPTED


# The queue and the bulk job -----------------------------------------------------------------------------


@pytest.fixture
def proposed(officers: Any, campaign: Any, people: Any, make_member: Any, tree: Any) -> SimpleNamespace:
    """An and Bình proposed in cell_a; a Huế member proposed in Huế's cell."""
    hue = card_holder(
        make_member,
        org=tree.hue_cell,
        full_name="Võ Thị Huế",
        gender="F",
        citizen_id="001180000009",
        old_card_number="10000009",
    )
    return SimpleNamespace(
        an=case_propose(actor=officers.cell, campaign=campaign, member=people.an),
        binh=case_propose(actor=officers.cell, campaign=campaign, member=people.binh),
        hue=case_propose(actor=officers.hue_cell, campaign=campaign, member=hue),
    )


def _options(page: str, name: str) -> dict[str, str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select is not None, name
    return dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_the_grassroots_queue_lists_the_proposed_cases_with_counts(
    as_: Any, officers: Any, proposed: Any
) -> None:
    client = as_(officers.grassroots)
    page = _text(client.get(QUEUE_URL))
    assert "Nguyễn Văn An" in page and "Trần Văn Bình" in page and "Võ Thị Huế" not in page
    assert 'id="count-proposed">2<' in page and 'id="count-confirmed">0<' in page
    assert 'id="count-total">2<' in page
    ticks = set(re.findall(r'name="cases" value="(\d+)"', page))
    assert ticks == {str(proposed.an.pk), str(proposed.binh.pk)}
    # The bulk actions are the grassroots level's that fit the queue, in the workflow's Vietnamese: no
    # "resubmit" while no case was returned to it (issue 15).
    actions = _options(page, "transition")
    assert actions == {
        "confirm": "Xác nhận",
        "return": "Trả lại để sửa",
        "reject": "Không chấp thuận",
    }
    assert _options(page, "return_to") == {"": "—", "cell": "Chi bộ"}
    # Filters: by state, by organisation (in scope only).
    confirmed = _text(client.get(QUEUE_URL, {"trang_thai": "confirmed"}))
    assert "Nguyễn Văn An" not in confirmed
    other_cell = _text(client.get(QUEUE_URL, {"to_chuc": "HN-BD-01-02"}))
    assert "Nguyễn Văn An" not in other_cell
    outside = _text(client.get(QUEUE_URL, {"to_chuc": "HUE-TH-01"}))
    assert "Không có tổ chức nào mã &#x27;HUE-TH-01&#x27; trong phạm vi quản lý của đồng chí." in outside
    assert "Võ Thị Huế" not in outside
    # The committee above counts them, but they are not its turn yet: no bulk form on its empty queue.
    upper = _text(as_(officers.upper).get(QUEUE_URL))
    assert 'id="count-proposed">2<' in upper and "Nguyễn Văn An" not in upper
    assert 'name="transition"' not in upper and 'name="cases"' not in upper
    case_transition(actor=officers.grassroots, case=proposed.an, transition=T.CONFIRM)
    upper = _text(as_(officers.upper).get(QUEUE_URL))
    assert "Xác nhận" not in _options(upper, "transition").values()
    assert "Quyết định" in _options(upper, "transition").values()


def test_the_queue_pages_by_fifty(as_: Any, officers: Any, campaign: Any, make_member: Any) -> None:
    for i in range(52):
        member = card_holder(
            make_member,
            full_name=f"Đảng Viên {i:02d}",
            citizen_id=f"0010801{i:05d}",
            old_card_number=f"2000{i:04d}",
        )
        case_propose(actor=officers.cell, campaign=campaign, member=member)
    client = as_(officers.grassroots)
    first = _text(client.get(QUEUE_URL))
    assert len(re.findall(r'name="cases" value=', first)) == 50
    assert "Đảng Viên 00" in first and "Đảng Viên 51" not in first
    next_link = re.search(r'class="next" href="\?([^"]+)"', first)
    assert next_link is not None
    second = _text(client.get(f"{QUEUE_URL}?{next_link.group(1).replace('&amp;', '&')}"))
    assert len(re.findall(r'name="cases" value=', second)) == 2 and "Đảng Viên 51" in second


def test_a_bulk_confirm_makes_a_job_whose_page_shows_counts_and_failures(
    as_: Any, officers: Any, proposed: Any
) -> None:
    case_transition(actor=officers.grassroots, case=proposed.an, transition=T.CONFIRM)  # already moved
    client = as_(officers.grassroots)
    response = client.post(
        QUEUE_URL, {"cases": [proposed.an.pk, proposed.binh.pk], "transition": "confirm", "reason": ""}
    )
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/tac-vu/{job.pk}/"
    assert job.params["targets"] == sorted([proposed.an.pk, proposed.binh.pk])
    waiting = _text(client.get(f"/tac-vu/{job.pk}/"))
    assert f'hx-get="/tac-vu/{job.pk}/tien-do/"' in waiting and 'hx-trigger="every 2s"' in waiting
    assert '<progress value="0" max="100">' in waiting and "Xác nhận" in waiting
    job_run(job.pk)
    page = _text(client.get(f"/tac-vu/{job.pk}/"))
    assert 'id="job-succeeded">1<' in page and 'id="job-failed">1<' in page
    assert '<progress value="100" max="100">' in page
    assert "hx-trigger" not in page  # done: the polling stops
    assert "Không thể «Xác nhận» hồ sơ ở trạng thái confirmed." in page
    assert f'href="/doi-the/ho-so/{proposed.an.pk}/">Nguyễn Văn An</a>' in page
    fragment = _text(client.get(f"/tac-vu/{job.pk}/tien-do/"))
    assert "<html" not in fragment and 'id="job-succeeded">1<' in fragment
    assert Case.objects.get(pk=proposed.binh.pk).state == State.CONFIRMED
    assert CaseEvent.objects.get(case=proposed.binh, transition="confirm").job_id == job.pk
    # The committees above may watch the job; the sibling province may not.
    assert as_(officers.province).get(f"/tac-vu/{job.pk}/").status_code == 200


def test_selecting_the_whole_queue_takes_every_case_waiting(as_: Any, officers: Any, proposed: Any) -> None:
    response = as_(officers.grassroots).post(QUEUE_URL, {"all_in_queue": "1", "transition": "confirm"})
    job = Job.objects.get()
    assert response["Location"] == f"/tac-vu/{job.pk}/"
    assert job.params["targets"] == sorted([proposed.an.pk, proposed.binh.pk])  # not Huế's


def test_a_return_without_a_reason_is_refused_and_nothing_changes(
    as_: Any, officers: Any, proposed: Any
) -> None:
    client = as_(officers.grassroots)
    events, audit = CaseEvent.objects.count(), AuditEvent.objects.count()
    cases = [proposed.an.pk]
    page = _text(client.post(QUEUE_URL, {"cases": cases, "transition": "return", "return_to": "cell"}))
    assert 'id="error-reason"' in page  # its words: test_the_bulk_form_words_its_refusals_in_vietnamese
    page = _text(client.post(QUEUE_URL, {"cases": cases, "transition": "return", "reason": "Ảnh mờ"}))
    assert 'id="error-return_to"' in page
    page = _text(
        client.post(QUEUE_URL, {"cases": cases, "transition": "return", "reason": "x", "return_to": "upper"})
    )
    assert 'id="error-return_to"' in page  # not a level below the grassroots
    page = _text(client.post(QUEUE_URL, {"transition": "confirm"}))
    assert 'id="error-cases"' in page  # nothing ticked
    page = _text(client.post(QUEUE_URL, {"cases": cases, "transition": "decide"}))
    assert 'id="error-transition"' in page  # not the grassroots' action
    # The single-case form: the service refuses in the workflow's words.
    response = client.post(
        f"/doi-the/ho-so/{proposed.an.pk}/chuyen/", {"transition": "return", "return_to": "cell"}
    )
    assert "Cần ghi rõ lý do." in _text(client.get(response["Location"]))
    assert not Job.objects.exists()
    assert Case.objects.get(pk=proposed.an.pk).state == State.PROPOSED
    assert (CaseEvent.objects.count(), AuditEvent.objects.count()) == (events, audit)


def test_the_bulk_form_words_its_refusals_in_vietnamese(as_: Any, officers: Any, proposed: Any) -> None:
    client = as_(officers.grassroots)
    cases = [proposed.an.pk]
    page = _text(client.post(QUEUE_URL, {"cases": cases, "transition": "return", "return_to": "cell"}))
    assert 'id="error-reason">Cần ghi rõ lý do.<' in page, re.findall(r'id="error-[^"]*"[^<]*<', page)
    page = _text(client.post(QUEUE_URL, {"cases": cases, "transition": "return", "reason": "Ảnh mờ"}))
    assert "Chỉ trả lại cho một cấp dưới cấp mình" in page


def test_a_return_with_its_reason_goes_to_the_cell(as_: Any, officers: Any, proposed: Any) -> None:
    client = as_(officers.grassroots)
    body = {"cases": [proposed.an.pk], "transition": "return", "return_to": "cell", "reason": "Thiếu ảnh"}
    job = Job.objects.get(pk=client.post(QUEUE_URL, body)["Location"].split("/")[-2])
    job_run(job.pk)
    case = Case.objects.get(pk=proposed.an.pk)
    assert (case.state, case.returned_to, case.note) == (State.RETURNED, Level.CELL, "Thiếu ảnh")
    assert "Thiếu ảnh" in _text(client.get(f"/tac-vu/{job.pk}/"))


# The case page ------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_timeline_the_card_number_and_only_the_actors_buttons(
    as_: Any, officers: Any, proposed: Any
) -> None:
    act = f'action="/doi-the/ho-so/{proposed.an.pk}/chuyen/"'
    grassroots = _text(as_(officers.grassroots).get(f"/doi-the/ho-so/{proposed.an.pk}/"))
    assert "Nguyễn Văn An" in grassroots and grassroots.count(act) == 3  # confirm, return, reject
    assert "Xác nhận" in grassroots and "Trả lại để sửa" in grassroots and "Không chấp thuận" in grassroots
    assert '<option value="cell">Chi bộ</option>' in grassroots
    assert act not in _text(
        as_(officers.cell).get(f"/doi-the/ho-so/{proposed.an.pk}/")
    )  # not the cell's turn
    response = as_(officers.grassroots).post(
        f"/doi-the/ho-so/{proposed.an.pk}/chuyen/", {"transition": "confirm"}
    )
    assert response["Location"] == f"/doi-the/ho-so/{proposed.an.pk}/"
    case = _advance(Case.objects.get(pk=proposed.an.pk), (officers.upper, T.DECIDE))
    province = _text(as_(officers.province).get(f"/doi-the/ho-so/{case.pk}/"))
    assert province.count(act) == 3 and "Chuyển lên Trung ương" in province  # forward, return, reject
    case = _advance(case, (officers.province, T.FORWARD))
    centre = _text(as_(officers.centre).get(f"/doi-the/ho-so/{case.pk}/"))
    assert centre.count(act) == 3 and "Trung ương duyệt, cấp số thẻ" in centre  # accept, return, reject
    case = _advance(case, (officers.centre, T.ACCEPT))
    page = _text(as_(officers.grassroots).get(f"/doi-the/ho-so/{case.pk}/"))
    assert case.card_number and format_number(case.card_number) in page
    labels = (
        "Đề nghị đổi thẻ",
        "Xác nhận",
        "Quyết định",
        "Chuyển lên Trung ương",
        "Trung ương duyệt, cấp số thẻ",
    )
    for label in labels:
        assert label in page
    for username in ("bt_a", "cs_school", "bd", "hn", "tw"):
        assert username in page
    for event in CaseEvent.objects.filter(case=case):
        assert timezone.localtime(event.at).strftime("%d/%m/%Y %H:%M") in page
    assert act not in page  # past the grassroots: it looks on
    # The case ends at acceptance: no one has a button on it any more (production is the card's).
    for officer in (officers.centre, officers.province, officers.upper, officers.cell):
        assert act not in _text(as_(officer).get(f"/doi-the/ho-so/{case.pk}/"))


def test_the_sibling_province_gets_404_on_case_and_job_pages(as_: Any, officers: Any, proposed: Any) -> None:
    job = Job.objects.get(
        pk=as_(officers.grassroots)
        .post(QUEUE_URL, {"cases": [proposed.an.pk], "transition": "confirm"})["Location"]
        .split("/")[-2]
    )
    for outsider in (officers.hue_upper, officers.hue_cell):
        client = as_(outsider)
        assert client.get(f"/doi-the/ho-so/{proposed.an.pk}/").status_code == 404
        assert (
            client.post(f"/doi-the/ho-so/{proposed.an.pk}/chuyen/", {"transition": "confirm"}).status_code
            == 404
        )
        assert client.get(f"/tac-vu/{job.pk}/").status_code == 404
        assert client.get(f"/tac-vu/{job.pk}/tien-do/").status_code == 404
    assert as_(officers.other_cell).get(f"/doi-the/ho-so/{proposed.an.pk}/").status_code == 404
    assert as_(officers.other_cell).get(f"/tac-vu/{job.pk}/").status_code == 404
    assert as_(officers.hue_cell).get(f"/doi-the/ho-so/{proposed.hue.pk}/").status_code == 200
    assert Case.objects.get(pk=proposed.an.pk).state == State.PROPOSED
    assert Client().get(f"/doi-the/ho-so/{proposed.an.pk}/").status_code == 302  # to the login page


def test_readers_and_members_change_nothing(
    as_: Any, officers: Any, proposed: Any, tree: Any, people: Any
) -> None:
    inspector = as_(
        User.objects.create_user("kt", password="x", role=Role.INSPECTOR, organisation=tree.hanoi)
    )
    page = _text(inspector.get(QUEUE_URL))
    assert 'id="count-proposed">2<' in page and 'name="transition"' not in page
    assert inspector.post(QUEUE_URL, {"cases": [proposed.an.pk], "transition": "confirm"}).status_code == 404
    assert (
        inspector.post(f"/doi-the/ho-so/{proposed.an.pk}/chuyen/", {"transition": "confirm"}).status_code
        == 404
    )
    assert inspector.post(f"{CELL_URL}?to_chuc=HN-BD-01-01", {"members": [people.dung.pk]}).status_code == 404
    member = as_(
        User.objects.create_user(
            "an", password="x", role=Role.MEMBER, organisation=tree.cell_a, member=people.an
        )
    )
    assert member.get(QUEUE_URL).status_code == 404 and member.get(CELL_URL).status_code == 404
    own = _text(member.get(f"/doi-the/ho-so/{proposed.an.pk}/"))  # their own case, read only
    assert "Nguyễn Văn An" in own and "/chuyen/" not in own
    assert member.get(f"/doi-the/ho-so/{proposed.binh.pk}/").status_code == 404
    assert not Job.objects.exists() and set(Case.objects.values_list("state", flat=True)) == {State.PROPOSED}


def test_posts_need_the_csrf_token(login: Any, officers: Any, campaign: Any, people: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    login(client, officers.cell)
    assert client.post(CELL_URL, {"members": [people.an.pk]}).status_code == 403
    assert not Case.objects.exists()


# The member's page --------------------------------------------------------------------------------------


def test_the_member_page_shows_the_case_timeline(as_: Any, officers: Any, proposed: Any) -> None:
    case_transition(actor=officers.grassroots, case=proposed.an, transition=T.CONFIRM)
    page = _text(as_(officers.province).get(f"/dang-vien/{proposed.an.member_id}/"))
    assert "Đợt đổi thẻ 2026" in page and f'href="/doi-the/ho-so/{proposed.an.pk}/">Mở hồ sơ</a>' in page
    assert "Đề nghị đổi thẻ" in page and "Xác nhận" in page and "bt_a" in page and "cs_school" in page
    for event in CaseEvent.objects.filter(case=proposed.an):
        assert timezone.localtime(event.at).strftime("%d/%m/%Y %H:%M") in page
    outside = _text(as_(officers.province).get(f"/dang-vien/{proposed.binh.member_id}/"))
    assert f"/doi-the/ho-so/{proposed.an.pk}/" not in outside  # each member's own cases only


def test_a_bulk_action_over_more_cases_than_a_job_takes_is_refused(
    client: Client, login: Any, officers: Any, campaign: Any, make_member: Any, monkeypatch: Any
) -> None:
    from partycard.exchange.views import queue

    monkeypatch.setattr(queue, "MAX_BULK", 1)
    for i in range(2):
        case_propose(
            actor=officers.cell,
            campaign=campaign,
            member=card_holder(make_member, citizen_id=f"0010800{i:05d}", old_card_number=f"2000000{i}"),
        )
    login(client, officers.grassroots)
    response = client.post("/doi-the/", {"all_in_queue": "on", "transition": "confirm"})
    assert response.status_code == 200
    assert "Mỗi lần chỉ xử lý tối đa 1 hồ sơ" in response.content.decode()
    assert not Job.objects.exists()
