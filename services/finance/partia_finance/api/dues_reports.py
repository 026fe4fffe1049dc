"""The dues reports over HTTP (issue 12 item 6), JSON or CSV, on any date: arrears per PPO,
territorial and regional branch or the whole party; arrears per member of one organisation; dues
collected per regional branch and month or year (Ch. 12.4); members without a declared category.
A treasurer sees the organisations of their subtree; another organisation is 404 as unknown."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from partia_contracts.finance.dues_reports import (
    ArrearsReport,
    ArrearsRow,
    DuesCollectedReport,
    DuesCollectedRow,
    MemberArrearsReport,
    MemberArrearsRow,
    UndeclaredReport,
    UndeclaredRow,
)
from partia_finance.adapters.postgres.dues_reports import DuesReports, Level
from partia_finance.api.dependencies import ReadContext, Reader
from partia_finance.api.reports import CSV, AsOf, First, Format, Last, Limit, Offset, Year
from partia_finance.api.reports import _csv as csv_response
from partia_finance.api.reports import _period as period_of
from partia_kit.rules import NotFound

router = APIRouter(tags=["dues reports"])

Organisation = Annotated[
    UUID | None, Query(description="only this organisation's subtree (default: your scope)")
]


def _reports(context: ReadContext) -> DuesReports:
    finance = context.finance
    return DuesReports(finance.pool, finance.settings.database_schema)


def _in_scope(context: ReadContext, organisation_id: UUID | None) -> None:
    """An organisation outside the reader's scope, or unknown, is 404 alike."""
    if organisation_id is not None and not context.queries().in_scope(
        context.scope, organisation_id
    ):
        raise NotFound("organisation", organisation_id)


@router.get(
    "/reports/dues-arrears",
    response_model=ArrearsReport,
    responses=CSV,
    summary="Dues arrears on a date per organisation of one level (PPO, territorial or regional"
    " branch, party): members in arrears, months owed and amount, where the months arose"
    " (decision 216)",
)
async def arrears(
    context: Reader,
    level: Annotated[Level, Query(description="the level of the tree to sum to")] = "party",
    organisation_id: Organisation = None,
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    day = as_of or date.today()
    await run_in_threadpool(_in_scope, context, organisation_id)
    items = await run_in_threadpool(
        _reports(context).arrears_by_organisation, context.scope, day, level, organisation_id
    )
    if format == "csv":
        return csv_response(items, ArrearsRow, f"dues-arrears-{level}-as-of-{day}.csv")
    return {"as_of": day, "level": level, "items": items}


@router.get(
    "/reports/dues-arrears/members",
    response_model=MemberArrearsReport,
    responses=CSV,
    summary="The members with dues arrears on a date who had a month in this organisation: what"
    " arose here and what they owe in all",
)
async def member_arrears(
    context: Reader,
    organisation_id: Annotated[UUID, Query(description="a primary organisation")],
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    day = as_of or date.today()
    await run_in_threadpool(_in_scope, context, organisation_id)
    items = await run_in_threadpool(_reports(context).arrears_of_members, organisation_id, day)
    if format == "csv":
        name = f"dues-arrears-{organisation_id}-as-of-{day}.csv"
        return csv_response(items, MemberArrearsRow, name)
    return {"as_of": day, "organisation_id": organisation_id, "items": items}


@router.get(
    "/reports/dues-collected",
    response_model=DuesCollectedReport,
    responses=CSV,
    summary="Dues paid per regional branch and month (or year) of a year or period (Ch. 12.4),"
    " with what was reversed since",
)
async def collected(
    context: Reader,
    year: Year = None,
    first: First = None,
    last: Last = None,
    per: Annotated[Literal["month", "year"], Query(description="sum per month or year")] = "month",
    format: Format = "json",
) -> Any:
    start, end = period_of(year, first, last)
    items = await run_in_threadpool(_reports(context).collected, context.scope, start, end, per)
    if format == "csv":
        return csv_response(items, DuesCollectedRow, f"dues-collected-{start}-{end}-{per}.csv")
    return {"first": start, "last": end, "per": per, "items": items}


@router.get(
    "/reports/dues-undeclared",
    response_model=UndeclaredReport,
    responses=CSV,
    summary="Members on a date without a declared dues category (they owe the working rate,"
    " Ch. 12.2)",
)
async def undeclared(
    context: Reader,
    organisation_id: Organisation = None,
    as_of: AsOf = None,
    format: Format = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    day = as_of or date.today()
    await run_in_threadpool(_in_scope, context, organisation_id)
    items = await run_in_threadpool(
        _reports(context).undeclared, context.scope, day, organisation_id, limit, offset
    )
    if format == "csv":
        return csv_response(items, UndeclaredRow, f"dues-undeclared-as-of-{day}.csv")
    return {"as_of": day, "items": items}
