"""Every look at a donor's personal data on record, as the registry keeps it for members (issue
10, decisions 150-154; here decision 247): the dependency a read that may return a person's name
takes, and the auditor's query of finance's own access log (`partia_kit.access_log`).

A donor's personal data is sealed per donation, so a record names the donations whose seal was
opened; an organisation's name is not personal data and leaves no record.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request

from partia_contracts.finance.api import FinanceAccessLogPage
from partia_finance.api.dependencies import Reader
from partia_finance.api.permissions import READ_DONATIONS
from partia_finance.composition import ACCESS_LOG_TABLE, Finance
from partia_kit import access_log
from partia_kit.access_log import AccessQuery
from partia_kit.auth import Principal
from partia_kit.http.access import PRINCIPAL
from partia_kit.http.access_log import End, Reading, Start, entry_view
from partia_kit.http.problems import require_period_in_order

FULL_NAME = ("full_name",)


@dataclass(frozen=True, slots=True)
class PersonalRead:
    """The service and the reading (who, through which operation, with which roles): what a read
    of personal data needs to leave its record, and whether the reader may see personal data."""

    finance: Finance
    reading: Reading
    allowed: bool
    """The reader holds `read-donations` (donors' personal data), not only figures."""

    def looked_at(self, donation_ids: Iterable[UUID], fields: Sequence[str]) -> None:
        """Record that this read returned `fields` of these donations' donors; only once the
        record is stored is the answer sent (decision 247), else 503 and nothing personal."""
        self.reading.put_on_record(self.finance.access_log, donation_ids, fields, wait=True)


async def personal_read(request: Request, context: Reader) -> PersonalRead:
    principal: Principal = request.scope[PRINCIPAL]  # set by `Reader`, which ran first
    route = request.scope["route"]
    roles = sorted(role.value for role in principal.roles)
    return PersonalRead(
        context.finance,
        Reading(principal.user, route.name, f"{request.method} {route.path}", roles),
        allowed=bool(principal.roles & READ_DONATIONS.roles),
    )


PersonalReader = Annotated[PersonalRead, Depends(personal_read)]


# --- querying the log ---------------------------------------------------------------------------

router = APIRouter(tags=["access log"])


@router.get(
    "/access-log",
    response_model=FinanceAccessLogPage,
    summary="Who read which donor's personal data, when, which fields, through which operation",
    description="For auditors (Ch. 11, 12.3). Filter by `donation_id` (whose data: a donor's is"
    " sealed per donation), `user` (who read it) and a period; newest first. Permission:"
    " `read-finance-access-log` (auditor, whole party).",
)
def access_log_page(
    context: Reader,
    donation_id: UUID | None = None,
    user: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    start: Start = None,
    end: End = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> dict[str, Any]:
    require_period_in_order(start, end)
    finance = context.finance
    with finance.pool.connection() as conn:
        items, total = access_log.query(
            conn,
            finance.store.schema,
            ACCESS_LOG_TABLE,
            AccessQuery(donation_id, user, start, end, limit, offset),
        )
    return {
        "items": [entry_view(r, "donation_ids") for r in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }
