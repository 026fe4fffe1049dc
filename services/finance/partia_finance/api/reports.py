"""The finance registers over HTTP (issue 11 item 7), each as JSON or CSV and as of any date:
monthly receipts per regional branch (Ch. 12.4), the per-donor register against caps, the
rejected donations with their rules (Law Art. 18(2)), and the obligations with status and
deadlines. Figures only (decision 201), but for the per-donor register, which names each donor
to readers allowed personal data and puts each such read on the access log (decision 247)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from partia_contracts.finance.api import (
    DonorRegister,
    DonorTotal,
    MonthlyReceipts,
    MonthlyReceiptsReport,
    ObligationList,
    ObligationRow,
    RefusedDonation,
    RefusedDonationList,
)
from partia_finance.api.access_log import FULL_NAME, PersonalReader
from partia_finance.api.dependencies import Reader
from partia_finance.application.reports import against_caps
from partia_kit.http.problems import ApiProblem, require_period_in_order

router = APIRouter(tags=["reports"])

Format = Annotated[Literal["json", "csv"], Query(description="csv for a spreadsheet")]
AsOf = Annotated[
    date | None, Query(description="as decided by the end of this day (default: today)")
]
Year = Annotated[int | None, Query(ge=2000, le=2100, description="a calendar year")]
First = Annotated[date | None, Query(alias="from", description="credited on or after")]
Last = Annotated[date | None, Query(alias="to", description="credited on or before")]
Limit = Annotated[int, Query(ge=1, le=10_000)]
Offset = Annotated[int, Query(ge=0)]
CSV: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}}
}


@router.get(
    "/reports/monthly-receipts",
    response_model=MonthlyReceiptsReport,
    responses=CSV,
    summary="Accepted receipts per regional branch, month and fund, of a year (or a period from"
    " `from` to `to`), as decided by a date (Ch. 12.4)",
)
async def monthly_receipts(
    context: Reader,
    year: Year = None,
    first: First = None,
    last: Last = None,
    as_of: AsOf = None,
    format: Format = "json",
) -> Any:
    start, end = _period(year, first, last)
    day = as_of or date.today()
    items = await run_in_threadpool(
        context.queries().monthly_receipts, context.scope, start, end, day
    )
    if format == "csv":
        return _csv(items, MonthlyReceipts, f"monthly-receipts-{start}-{end}-as-of-{day}.csv")
    return {"first": start, "last": end, "as_of": day, "items": items}


@router.get(
    "/reports/donors",
    response_model=DonorRegister,
    responses=CSV,
    summary="Per identified donor (a digest of the IIN or BIN, never the number) and fund: what"
    " was accepted in the cap's period as of a date, the cap in force and what is left or"
    " exceeded; the donor's name for readers allowed personal data, each read logged",
)
async def donor_register(
    context: Reader,
    look: PersonalReader,
    year: Annotated[int, Query(ge=2000, le=2100)],
    fund: str | None = None,
    as_of: AsOf = None,
    format: Format = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
    names: Annotated[
        bool, Query(description="false: figures only, no name read (and nothing logged)")
    ] = True,
) -> Any:
    day = as_of or date.today()
    finance = context.finance
    rows = await run_in_threadpool(
        context.queries().donor_totals,
        context.scope,
        year,
        day,
        fund=fund,
        limit=limit,
        offset=offset,
    )
    items = against_caps(rows, year, day, finance.configuration)
    if names and look.allowed:
        found = await run_in_threadpool(
            context.queries().donor_names, context.scope, [r["donor_digest"] for r in rows]
        )
        for row, item in zip(rows, items, strict=True):
            named = found.get(bytes(row["donor_digest"]))
            item["donor_name"] = None if named is None else named.name
        opened = {n.personal_from for n in found.values() if n.personal_from is not None}
        await run_in_threadpool(look.looked_at, sorted(opened), FULL_NAME)
    if format == "csv":
        return _csv(items, DonorTotal, f"donors-{year}-as-of-{day}.csv")
    return {"year": year, "as_of": day, "items": items}


@router.get(
    "/reports/refused-donations",
    response_model=RefusedDonationList,
    responses=CSV,
    summary="Donations rejected, or accepted and later found impermissible, by a date, with the"
    " rule and clause (Constitution Art. 6(4), Law Art. 18(2))",
)
async def refused_donations(
    context: Reader,
    year: Year = None,
    first: First = None,
    last: Last = None,
    as_of: AsOf = None,
    format: Format = "json",
    limit: Limit = 1000,
    offset: Offset = 0,
) -> Any:
    start, end = _period(year, first, last)
    day = as_of or date.today()
    items = await run_in_threadpool(
        context.queries().refused_donations, context.scope, start, end, day, limit, offset
    )
    if format == "csv":
        return _csv(items, RefusedDonation, f"refused-donations-{start}-{end}-as-of-{day}.csv")
    return {"first": start, "last": end, "as_of": day, "items": items}


@router.get(
    "/obligations",
    response_model=ObligationList,
    responses=CSV,
    tags=["obligations"],
    summary="Return obligations opened by a date with their status then (open, overdue from the"
    " day after the deadline, settled) and deadlines",
)
async def list_obligations(
    context: Reader,
    as_of: date | None = None,
    status: Literal["open", "overdue", "settled"] | None = None,
    format: Format = "json",
) -> Any:
    day = as_of or date.today()
    items = await run_in_threadpool(
        context.queries().obligations, context.scope, as_of=day, status=status
    )
    if format == "csv":
        return _csv(items, ObligationRow, f"obligations-as-of-{day}.csv")
    return {"as_of": day, "items": items}


def _period(year: int | None, first: date | None, last: date | None) -> tuple[date, date]:
    """A calendar year, or both ends of a period; never neither."""
    if year is not None:
        return date(year, 1, 1), date(year, 12, 31)
    if first is None or last is None:
        raise ApiProblem(
            422,
            "Invalid request",
            "give a 'year', or both 'from' and 'to'",
            rule="period-required",
            field="year",
        )
    require_period_in_order(first, last)
    return first, last


def _csv(rows: list[dict[str, Any]], row: type[BaseModel], filename: str) -> Response:
    """The rows as CSV, with the JSON row's fields as columns (a header even when empty)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(row.model_fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in r.items()} for r in rows)
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _cell(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value
