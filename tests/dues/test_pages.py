"""The dues pages: the cell's month (list, bulk record, confirm or refuse), its .xlsx, the statistics up
the tree; each in scope, the same 404 outside it."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
import pytest
from django.test import Client

from partycard.accounts.models import Role, User
from partycard.dues import services
from partycard.dues.choices import PaymentStatus
from partycard.dues.models import Payment
from partycard.dues.months import month_key
from partycard.registry import services as registry
from tests.dues.conftest import months_ago

pytestmark = pytest.mark.django_db


def _client(login: Any, user: Any) -> Client:
    client = Client()
    login(client, user)
    return client


def _url(code: str, month: Any, suffix: str = "") -> str:
    return f"/dang-phi/{code}/{month_key(month)}/{suffix}"


def test_the_secretary_records_the_month_in_one_form(
    login: Any, officers: Any, members: list[Any], tree: Any
) -> None:
    a, b, c = members
    client = _client(login, officers.cell)
    page = client.get("/dang-phi/", follow=True)  # a cell secretary lands on their cell's month
    assert page.status_code == 200 and page.redirect_chain[-1][0] == _url(tree.cell_a.code, months_ago(0))
    text = page.content.decode()
    assert "Nguyễn Văn An" in text and "Trần Thị Bình" in text and "Lê Văn Cường" not in text
    answer = client.post(_url(tree.cell_a.code, months_ago(1)), {
        f"paid_{a.pk}": "1", f"amount_{a.pk}": "50.000", f"paid_{b.pk}": "", f"amount_{b.pk}": "30.000",
    })  # fmt: skip
    assert answer.status_code == 302
    assert [(p.member_id, p.amount) for p in Payment.objects.all()] == [(a.pk, 50_000)]
    # The next month proposes last month's amount.
    assert 'value="50000"' in client.get(_url(tree.cell_a.code, months_ago(0))).content.decode()
    # An amount that is not one is refused on the page, nothing written.
    bad = client.post(
        _url(tree.cell_a.code, months_ago(0)), {f"paid_{b.pk}": "1", f"amount_{b.pk}": "ba mươi"}
    )
    assert bad.status_code == 400 and Payment.objects.count() == 1
    # A member of another cell cannot be slipped into the form.
    client.post(_url(tree.cell_a.code, months_ago(0)), {f"paid_{c.pk}": "1", f"amount_{c.pk}": "1000"})
    assert not Payment.objects.filter(member=c).exists()


def test_the_secretary_confirms_and_refuses_declarations(
    login: Any, officers: Any, members: list[Any], member_user: Any, tree: Any
) -> None:
    a, b, _ = members
    one = services.payment_declare(actor=member_user, member=a, month=months_ago(1), amount=40_000)
    user_b = User.objects.create_user(
        "binh", password="x", role=Role.MEMBER, organisation=tree.cell_a, member=b
    )
    two = services.payment_declare(actor=user_b, member=b, month=months_ago(1), amount=1_000)
    client = _client(login, officers.cell)
    page = client.get(_url(tree.cell_a.code, months_ago(1))).content.decode()
    assert f"/dang-phi/khoan/{one.pk}/xac-nhan/" in page
    assert client.post(f"/dang-phi/khoan/{one.pk}/xac-nhan/").status_code == 302
    assert client.post(f"/dang-phi/khoan/{two.pk}/tu-choi/", {"reason": "Sai số tiền"}).status_code == 302
    assert Payment.objects.get(pk=one.pk).status == PaymentStatus.CONFIRMED
    assert Payment.objects.get(pk=two.pk).refusal_reason == "Sai số tiền"
    # The sibling cell's secretary gets the 404 of a missing record, and changes nothing.
    three = services.payment_declare(actor=member_user, member=a, month=months_ago(2), amount=1)
    other = _client(login, officers.other_cell)
    assert other.post(f"/dang-phi/khoan/{three.pk}/xac-nhan/").status_code == 404
    assert other.get(_url(tree.cell_a.code, months_ago(1))).status_code == 404
    assert Payment.objects.get(pk=three.pk).status == PaymentStatus.DECLARED


def test_the_month_as_xlsx_holds_values_and_no_formula(
    login: Any, officers: Any, members: list[Any], tree: Any
) -> None:
    a, b, _ = members
    registry.member_update(actor=None, member=b, changes={"full_name": '=HYPERLINK("http://x","y")'})
    services.payments_record(actor=officers.cell, cell=tree.cell_a, month=months_ago(1),
                             amounts={a.pk: 50_000, b.pk: 30_000}, note="+1 tháng")  # fmt: skip
    answer = _client(login, officers.cell).get(_url(tree.cell_a.code, months_ago(1), "xlsx/"))
    assert answer.status_code == 200 and answer["Content-Type"].startswith("application/vnd.openxmlformats")
    with zipfile.ZipFile(io.BytesIO(answer.content)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in s or "<f " in s for s in sheets)  # no formula element anywhere
    book = openpyxl.load_workbook(io.BytesIO(answer.content))
    cells = [c for row in book.active.iter_rows() for c in row if c.value is not None]
    assert not any(c.data_type == "f" for c in cells)
    names = {c.value: c for c in cells if isinstance(c.value, str)}
    hostile = names['=HYPERLINK("http://x","y")']
    assert hostile.data_type == "s" and hostile.quotePrefix
    values = [c.value for c in cells]
    assert 80_000 in values and "Nguyễn Văn An" in values  # the total, as a number


def test_statistics_up_the_tree(login: Any, officers: Any, members: list[Any], tree: Any) -> None:
    a, _, c = members
    services.payments_record(
        actor=officers.cell, cell=tree.cell_a, month=months_ago(1), amounts={a.pk: 50_000}
    )
    services.payments_record(
        actor=officers.other_cell, cell=tree.cell_b, month=months_ago(1), amounts={c.pk: 20_000}
    )
    from partycard.dues.selectors import dues_summary

    total, children = dues_summary(officers.province, tree.hanoi, months_ago(1))
    assert (total.owing, total.paid, total.in_arrears, total.collected) == (3, 2, 1, 70_000)
    (ba_dinh,) = children
    assert (ba_dinh.organisation, ba_dinh.paid, ba_dinh.collected) == (tree.ba_dinh, 2, 70_000)
    _, cells = dues_summary(officers.grassroots, tree.school, months_ago(1))
    assert [(x.organisation.code, x.owing, x.paid, x.in_arrears, x.collected) for x in cells] == [
        (tree.cell_a.code, 2, 1, 1, 50_000), (tree.cell_b.code, 1, 1, 0, 20_000),
    ]  # fmt: skip
    # The Huế officer sees nothing of Hà Nội: the page is a 404, the numbers stay out.
    assert _client(login, officers.hue_upper).get(f"/dang-phi/?to_chuc={tree.hanoi.code}").status_code == 404
    page = _client(login, officers.province).get(
        f"/dang-phi/?to_chuc={tree.school.code}&thang={months_ago(1):%m/%Y}"
    )
    assert page.status_code == 200 and "Chi bộ Giáo viên 1" in page.content.decode()
    assert "70.000" in page.content.decode()


def test_a_member_has_no_officer_page(login: Any, member_user: Any) -> None:
    assert _client(login, member_user).get("/dang-phi/").status_code == 404


def test_up_one_level_only_within_the_scope(login: Any, officers: Any, members: list[Any], tree: Any) -> None:
    """The secretary's month has no link up (the grassroots page would be a 404 for them); the grassroots
    officer's has one, to their own page."""
    month = _url(tree.cell_a.code, months_ago(0))
    assert f"to_chuc={tree.school.code}" not in _client(login, officers.cell).get(month).content.decode()
    assert f"to_chuc={tree.school.code}" in _client(login, officers.grassroots).get(month).content.decode()
