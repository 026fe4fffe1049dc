"""Every look at personal data on record (issue 10, decisions 150-154): the dependency the reads
that return personal data take instead of `Reader`, and the two queries of the access log.

Personal data here is what `PersonalData` holds: names, IIN, address and contacts. A read that
returns any of it for a member leaves one record naming the member by id, the fields and the
operation. Sex and year of birth are not (they identify no one, `Demographics`), nor are member
ids, cards, cases or sanctions alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from psycopg.sql import SQL, Identifier

from partia_contracts.registry import api
from partia_kit import access_log
from partia_kit.access_log import AccessQuery
from partia_kit.http.access_log import End, Reading, Start, entry_view
from partia_kit.http.problems import require_period_in_order
from partia_registry.adapters.postgres.indexes import MEMBER_INDEX
from partia_registry.api import parameters
from partia_registry.api.dependencies import Reader, in_scope
from partia_registry.api.parameters import Offset
from partia_registry.api.responses import READ_ERRORS
from partia_registry.composition import ACCESS_LOG_TABLE, Registry
from partia_registry.domain.rules import NotFound

FULL_NAME = ("full_name",)
"""What a roll or list shows of each person."""
CONTACT_FIELDS = ("full_name", "email", "phone", "preferred_language")
"""What the notifications service is given to reach a person."""


@dataclass(frozen=True, slots=True)
class PersonalRead:
    """The registry and the reading (who, through which operation, with which roles): what a
    read of personal data needs to leave its record."""

    registry: Registry
    reading: Reading

    def looked_at(self, member_ids: Iterable[UUID], fields: Sequence[str], *, wait: bool) -> None:
        """Record that this read returned `fields` of these members. `wait`: only answer once the
        record is stored (decision 151); otherwise it is written with the next batch."""
        self.reading.put_on_record(self.registry.access_log, member_ids, fields, wait=wait)


async def personal_read(request: Request) -> PersonalRead:
    principal = await in_scope(request)
    registry: Registry = request.app.state.registry
    route = request.scope["route"]
    roles = sorted(role.value for role in principal.roles)
    return PersonalRead(
        registry, Reading(principal.user, route.name, f"{request.method} {route.path}", roles)
    )


PersonalReader = Annotated[PersonalRead, Depends(personal_read)]


def person_fields(person: Mapping[str, Any] | None) -> list[str]:
    """The personal data a member's view or an event shows: the fields that have a value."""
    if not isinstance(person, Mapping):
        return []
    return [name for name, value in person.items() if value is not None]


def history_fields(events: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every personal field any event of a member's history shows."""
    seen: dict[str, None] = {}
    for event in events:
        for name in person_fields(event["details"].get("personal")):
            seen.setdefault(name)
    return list(seen)


# --- querying the log ---------------------------------------------------------------------------

router = APIRouter(tags=["access log"])

Limit = Annotated[int, parameters.limit(500)]


@router.get(
    "/access-log",
    response_model=api.AccessLogPage,
    responses=READ_ERRORS,
    summary="Who read whose personal data, when, which fields, through which operation",
    description="For auditors (Ch. 11). Filter by `member_id` (whose data), `user` (who read "
    "it) and a period; newest first. Permission: `read-access-log` (auditor).",
)
def access_log_page(
    registry: Reader,
    member_id: UUID | None = None,
    user: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_period_in_order(start, end)
    items, total = _query(registry, AccessQuery(member_id, user, start, end, limit, offset))
    return {
        "items": [entry_view(r) for r in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


@router.get(
    "/members/{member_id}/access-log",
    response_model=api.MemberAccessLogPage,
    responses=READ_ERRORS,
    summary="Who looked at this member's personal data (the member may ask)",
    description="Each read of their names, IIN, address or contacts: who, when, which fields, "
    "through which operation; not whose data it showed besides theirs. Permission: "
    "`read-member-access-log` (the auditor, or the member themselves).",
)
def member_access_log(
    member_id: UUID,
    registry: Reader,
    start: Start = None,
    end: End = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> dict[str, Any]:
    require_period_in_order(start, end)
    _require_member(registry, member_id)
    items, total = _query(registry, AccessQuery(member_id, None, start, end, limit, offset))
    return {
        "member_id": member_id,
        "items": [{k: v for k, v in entry_view(r).items() if k != "member_ids"} for r in items],
        "total": total,
        "limit": limit,
        "offset": offset,
    }


def _query(registry: Registry, q: AccessQuery) -> tuple[list[dict[str, Any]], int]:
    with registry.report_pool.connection() as conn:
        return access_log.query(conn, registry.store.schema, ACCESS_LOG_TABLE, q)


def _require_member(registry: Registry, member_id: UUID) -> None:
    """404 for an id that was never a member's or applicant's (an erased person's id stays)."""
    found = registry.store.query(
        SQL("SELECT 1 AS found FROM {} WHERE member_id = %s").format(
            Identifier(registry.store.schema, MEMBER_INDEX)
        ),
        (member_id,),
    )
    if not found:
        raise NotFound("member", member_id)
