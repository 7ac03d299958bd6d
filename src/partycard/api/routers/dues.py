"""Routes of party dues (issue 16); the same scope rules as the pages.

Officers (bearer tokens): a cell's month, the bulk record, confirming or refusing a declaration, one
payment, and the statistics of an organisation's children. An object outside the actor's scope is the 404
of a missing one. The member's app (``MemberSessionAuth``: the member's session, CSRF checked): ``GET
me/dues`` (their own payments and months unpaid) and ``POST me/dues`` (a payment declared for the cell to
confirm).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from partycard.accounts.roles import Action
from partycard.api.auth import MemberSessionAuth
from partycard.api.errors import ApiProblem
from partycard.api.schemas.dues import (
    MONTH_PATTERN,
    CellMonthOut,
    DeclareIn,
    DuesSummaryOut,
    MyDuesOut,
    PaymentOut,
    RecordIn,
    RefuseIn,
)
from partycard.api.schemas.problems import problems
from partycard.core.errors import DomainError, ErrorCode
from partycard.core.scope import get_scoped_or_404
from partycard.dues import selectors, services
from partycard.dues.choices import PAID_STATUSES
from partycard.dues.models import Payment
from partycard.dues.months import month_key, month_parse
from partycard.registry.models import Member, Organisation
from partycard.registry.selectors import scope_root

__all__ = ["router"]

router = Router(tags=["dues"])
MAX_ID = 2**63 - 1


def _actor(request: HttpRequest) -> Any:
    return request.auth.user  # type: ignore[attr-defined]


def _payment(p: Payment) -> dict[str, Any]:
    return {
        "id": p.pk, "member": p.member_id, "cell": p.cell.code, "month": month_key(p.month),
        "amount": p.amount, "status": p.status, "paid": p.status in PAID_STATUSES, "note": p.note,
        "refusal_reason": p.refusal_reason, "recorded_at": p.recorded_at, "declared_at": p.declared_at,
        "confirmed_at": p.confirmed_at, "refused_at": p.refused_at,
    }  # fmt: skip


def _require(actor: Any, action: Action) -> None:
    if not Organisation.objects.scoped(actor, action).exists():
        raise ApiProblem(403, "Your role may not do this.", code=ErrorCode.FORBIDDEN)


def _the_month(month: str) -> Any:
    found = month_parse(month)
    if found is None:  # the pattern's shape, but before the Party's founding (0000-01)
        raise DomainError("Not a month of the Party's dues (from 1930 on).", field="month")
    return found


MonthPath = Path(..., pattern=MONTH_PATTERN, description="YYYY-MM")
CodePath = Path(..., max_length=20)


@router.get(
    "/dues/cells/{code}/months/{month}",
    response={200: CellMonthOut, **problems(404, 422)},
    operation_id="dues_cell_month",
    summary="A cell's month of dues: its members, each with their payment",
)
def cell_month(request: HttpRequest, code: str = CodePath, month: str = MonthPath) -> Any:
    actor = _actor(request)
    cell = selectors.cell_get(actor, code)
    sheet = selectors.cell_month(actor, cell, _the_month(month))
    return {
        "cell": cell.code, "month": month, "paid": sheet.paid, "in_arrears": sheet.in_arrears,
        "awaiting": sheet.awaiting, "collected": sheet.collected,
        "rows": [
            {"member": r.member.pk, "full_name": r.member.full_name, "owes": r.owes, "proposed": r.proposed,
             "payment": _payment(r.payment) if r.payment else None}
            for r in sheet.rows
        ],
    }  # fmt: skip


@router.post(
    "/dues/cells/{code}/months/{month}",
    response={200: list[PaymentOut], **problems(400, 403, 404, 409, 422)},
    operation_id="dues_record",
    summary="Record the payments the cell collected for a month (the payments written)",
)
def record(request: HttpRequest, payload: RecordIn, code: str = CodePath, month: str = MonthPath) -> Any:
    actor = _actor(request)
    _require(actor, Action.CHANGE_PAYMENT)
    cell = selectors.cell_get(actor, code, Action.CHANGE_PAYMENT)
    amounts = {line.member: line.amount for line in payload.payments}
    if len(amounts) != len(payload.payments):
        raise ApiProblem(422, "A member appears twice.", code=ErrorCode.INVALID)
    written = services.payments_record(
        actor=actor, cell=cell, month=_the_month(month), amounts=amounts, note=payload.note
    )
    return [_payment(p) for p in written]


@router.get(
    "/dues/payments/{payment_id}",
    response={200: PaymentOut, **problems(404, 422)},
    operation_id="dues_payment_get",
    summary="One payment",
)
def payment_get(request: HttpRequest, payment_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    return _payment(selectors.payment_get(_actor(request), payment_id))


@router.post(
    "/dues/payments/{payment_id}/confirm",
    response={200: PaymentOut, **problems(404, 409, 422)},
    operation_id="dues_payment_confirm",
    summary="Confirm a member's declared payment",
)
def payment_confirm(request: HttpRequest, payment_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    actor = _actor(request)
    payment = get_scoped_or_404(Payment, actor, Action.CHANGE_PAYMENT, pk=payment_id)
    return _payment(services.payment_confirm(actor=actor, payment=payment))


@router.post(
    "/dues/payments/{payment_id}/refuse",
    response={200: PaymentOut, **problems(404, 409, 422)},
    operation_id="dues_payment_refuse",
    summary="Refuse a member's declared payment, saying why",
)
def payment_refuse(
    request: HttpRequest, payload: RefuseIn, payment_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    actor = _actor(request)
    payment = get_scoped_or_404(Payment, actor, Action.CHANGE_PAYMENT, pk=payment_id)
    return _payment(services.payment_refuse(actor=actor, payment=payment, reason=payload.reason))


class SummaryQuery(Schema):
    organisation: str | None = Field(None, max_length=20, description="Default: the top of your scope.")
    month: str = Field(..., pattern=MONTH_PATTERN, description="YYYY-MM")


@router.get(
    "/dues/summary",
    response={200: DuesSummaryOut, **problems(404, 422)},
    operation_id="dues_summary",
    summary="An organisation's dues for a month, and each of its children's",
)
def summary(request: HttpRequest, query: Query[SummaryQuery]) -> Any:
    actor = _actor(request)
    if query.organisation is None:
        root = scope_root(actor, Action.VIEW_PAYMENT)
        if root is None:
            raise ApiProblem(404, "No such record.", code=ErrorCode.NOT_FOUND)
    else:
        root = get_scoped_or_404(Organisation, actor, Action.VIEW_PAYMENT, code=query.organisation)
    total, children = selectors.dues_summary(actor, root, _the_month(query.month))

    def out(row: selectors.OrgDues) -> dict[str, Any]:
        return {
            "organisation": row.organisation.code, "name": row.organisation.name, "owing": row.owing,
            "paid": row.paid, "in_arrears": row.in_arrears, "awaiting": row.awaiting,
            "collected": row.collected,
        }  # fmt: skip

    return {"month": query.month, "total": out(total), "children": [out(c) for c in children]}


# ---- the member's own ------------------------------------------------------------------------------


@router.get(
    "/me/dues",
    auth=MemberSessionAuth(),
    response={200: MyDuesOut, **problems()},
    operation_id="me_dues",
    summary="Your own dues: your payments and the months recorded unpaid",
)
def my_dues(request: HttpRequest) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    member = get_scoped_or_404(Member, user, Action.VIEW_MEMBER, pk=user.member_id)
    return {
        "unpaid_months": sorted(member.dues_unpaid_months or []),
        "payments": [_payment(p) for p in selectors.own_payments(user)],
    }


@router.post(
    "/me/dues",
    auth=MemberSessionAuth(),
    response={201: PaymentOut, **problems(400, 403, 404, 409, 422)},  # 403: the CSRF check failed
    operation_id="me_dues_declare",
    summary="Declare a payment of your dues, for your cell to confirm",
)
def my_dues_declare(request: HttpRequest, payload: DeclareIn) -> Any:
    user: Any = request.auth  # type: ignore[attr-defined]
    member = get_scoped_or_404(Member, user, Action.CLAIM_PAYMENT, pk=user.member_id)
    payment = services.payment_declare(
        actor=user, member=member, month=_the_month(payload.month), amount=payload.amount, note=payload.note
    )
    payment = Payment.objects.select_related("cell").get(pk=payment.pk)
    return Status(201, _payment(payment))
