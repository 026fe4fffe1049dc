"""Membership dues over HTTP (issue 12): a treasurer of the member's PPO or above declares the
member's category, records a payment (cash with the bureau's receipt, or bank) and reverses one;
the treasurer and the auditor read a member's statement of account and arrears on any date.
A member finance has never seen as a member, or one outside the reader's subtree, is 404."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from partia_contracts.finance.dues import (
    ArrearsOut,
    CategoryDeclared,
    DeclareCategoryRequest,
    PaymentReceipt,
    RecordPaymentRequest,
    ReversePaymentRequest,
    StatementOfAccountOut,
)
from partia_finance.adapters.postgres.dues_queries import DuesQueries
from partia_finance.api.dependencies import ReadContext, Reader, Writer
from partia_finance.application import commands as c
from partia_finance.domain.policies.dues import DuesCategory
from partia_kit.http.dependencies import COMMAND_OPENAPI

router = APIRouter(tags=["dues"])

AS_OF = Query(None, description="the day (default: today)")


@router.post(
    "/members/{member_id}/dues/categories",
    status_code=201,
    response_model=CategoryDeclared,
    summary="Declare a member's dues category from a date, with its evidence (Ch. 12.2); the"
    " category stays sealed, only its rate class is readable",
    openapi_extra=COMMAND_OPENAPI,
)
async def declare_category(
    member_id: UUID, body: DeclareCategoryRequest, context: Writer
) -> Response:
    command = c.DeclareDuesCategory(
        actor=context.actor,
        member_id=member_id,
        category=DuesCategory(body.category),
        effective_from=body.effective_from,
        evidence_reference=body.evidence_reference,
        monthly_tiyn=body.monthly_tiyn,
        declared_on=body.declared_on,
    )
    return await context.execute(command, 201)


@router.post(
    "/members/{member_id}/dues/payments",
    status_code=201,
    response_model=PaymentReceipt,
    summary="Record a dues payment: cash collected by the PPO bureau with its receipt number"
    " (Ch. 10.4), or a bank credit; applied to the oldest unpaid month, the rest kept as credit",
    openapi_extra=COMMAND_OPENAPI,
)
async def record_payment(member_id: UUID, body: RecordPaymentRequest, context: Writer) -> Response:
    command = c.RecordDuesPayment(
        actor=context.actor,
        member_id=member_id,
        payment_id=body.payment_id or uuid4(),
        paid_on=body.paid_on,
        amount_tiyn=body.amount_tiyn,
        channel=body.channel,
        reference=body.reference,
    )
    return await context.execute(command, 201)


@router.post(
    "/members/{member_id}/dues/payments/{payment_id}/reversal",
    response_model=PaymentReceipt,
    summary="Reverse a dues payment (entered in error, recalled by the bank): its own event; it"
    " no longer counts from the reversal's date",
    openapi_extra=COMMAND_OPENAPI,
)
async def reverse_payment(
    member_id: UUID, payment_id: UUID, body: ReversePaymentRequest, context: Writer
) -> Response:
    command = c.ReverseDuesPayment(
        actor=context.actor,
        member_id=member_id,
        payment_id=payment_id,
        reason=body.reason,
        reversed_on=body.reversed_on,
    )
    return await context.execute(command)


@router.get(
    "/members/{member_id}/dues/statement",
    response_model=StatementOfAccountOut,
    summary="A member's statement of account as of a date: charges (months and entrance fees, at"
    " the category and MCI of each month), payments, FIFO allocation, credit, balance, arrears",
)
async def statement(member_id: UUID, context: Reader, as_of: date | None = AS_OF) -> Any:
    return await run_in_threadpool(
        _queries(context).statement, context.scope, member_id, as_of or date.today()
    )


@router.get(
    "/members/{member_id}/dues/arrears",
    response_model=ArrearsOut,
    summary="A member's arrears as of a date: months due and not fully paid, and the amount",
)
async def arrears(member_id: UUID, context: Reader, as_of: date | None = AS_OF) -> Any:
    return await run_in_threadpool(
        _queries(context).arrears, context.scope, member_id, as_of or date.today()
    )


def _queries(context: ReadContext) -> DuesQueries:
    return DuesQueries(context.finance.store, context.finance.configuration.mci)
