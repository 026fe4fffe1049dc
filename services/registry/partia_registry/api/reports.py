"""Rolls on any date, the structure report (Ch. 4.3), the read model's state, and the event feed."""

from __future__ import annotations

import csv
import io
import logging
import threading
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

import anyio
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from partia_contracts.registry import api
from partia_kit.http.dependencies import COMMAND_OPENAPI
from partia_kit.http.problems import ApiProblem, require_period_in_order
from partia_kit.http.waiting import PositionWatch
from partia_registry.api import parameters
from partia_registry.api.access_log import FULL_NAME, PersonalRead, PersonalReader
from partia_registry.api.dependencies import Reader, Writer
from partia_registry.api.parameters import MAX_POSITION, Offset
from partia_registry.api.responses import (
    COMMAND_ERRORS,
    CSV,
    READ_ERRORS,
    READ_MODEL_ERRORS,
    json_response,
)
from partia_registry.composition import Registry
from partia_registry.projections.reports import (
    EXPORT_CHUNK,
    RollExport,
    RollTooLargeToSortByName,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["rolls and reports"])

Format = Annotated[Literal["json", "csv"], Query(description="csv for a spreadsheet")]
MinPosition = Annotated[
    int | None,
    Query(
        ge=0,
        le=MAX_POSITION,
        description="wait (up to 5 s) until the read model includes this log position, e.g. one from a "
        "command's `positions`, to read your own writes; a position the log has not reached is "
        "refused (422)",
    ),
]


async def caught_up(
    request: Request, registry: Reader, min_position: MinPosition = None
) -> Registry:
    """The registry, once the read model includes `min_position` (if asked)."""
    await _wait_for(request, registry, min_position)
    return registry


async def caught_up_personal(
    request: Request, look: PersonalReader, min_position: MinPosition = None
) -> PersonalRead:
    """A read of personal data (put on record) that may wait for its own writes."""
    await _wait_for(request, look.registry, min_position)
    return look


async def _wait_for(request: Request, registry: Registry, min_position: int | None) -> None:
    """Return once the read model includes `min_position` (if asked): the wait is on the event
    loop, holding no request thread (`partia_kit.http.waiting`, decision 157)."""
    if min_position is None:
        return
    watch: PositionWatch = request.app.state.positions
    if await watch.reached(min_position, timeout=0.0):
        return
    head = await run_in_threadpool(lambda: registry.read_model.status().head)
    if min_position > head:  # no command ever answered with it
        raise ApiProblem(
            422,
            "Invalid request",
            f"min_position: the event log has not reached position {min_position}",
            rule="position-not-in-log",
            field="min_position",
        )
    if not await watch.reached(min_position, timeout=5.0):
        raise ApiProblem(
            503,
            "Read model behind",
            f"the read model has not reached position {min_position} yet; retry shortly",
            rule="read-model-behind",
            headers={"Retry-After": "1"},
        )


CaughtUp = Annotated[Registry, Depends(caught_up)]
"""A reader that may wait for its own writes (`min_position`)."""
CaughtUpPersonalReader = Annotated[PersonalRead, Depends(caught_up_personal)]


def _csv(rows: list[dict[str, Any]], columns: list[str], filename: str) -> Response:
    return Response(
        _csv_text(rows, columns, header=True),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _csv_text(rows: list[dict[str, Any]], columns: list[str], *, header: bool) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    if header:
        writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


ROLL_COLUMNS = [
    "card_number",
    "full_name",
    "member_id",
    "organisation_id",
    "admitted_on",
    "on_roll_since",
    "sex",
    "birth_year",
]


ROLL_CSV: dict[int | str, dict[str, Any]] = {
    200: {
        **CSV[200],
        "headers": {
            "X-Roll-Total": {
                "description": "with `format=csv`: the rows of the complete file (the roll is "
                "streamed; a file with fewer rows was cut off)",
                "schema": {"type": "integer", "minimum": 0},
            }
        },
    },
    503: {
        **READ_MODEL_ERRORS[503],
        "description": READ_MODEL_ERRORS[503]["description"]
        + "; or the read could not be put on the access log (`access-log-unavailable`); or, "
        "with `format=csv`, this server is already sending as many exports as it may "
        "(`exports-busy`)",
    },
}


@router.get(
    "/organisations/{organisation_id}/roll",
    response_model=api.RollOnDate,
    responses={**READ_MODEL_ERRORS, **ROLL_CSV},
    summary="The organisation's roll (or its whole subtree's), today or on any past date",
    description="Names and cards: no IIN, address or contacts. As JSON, a page (`limit`, "
    "`offset`). As `format=csv`, the whole roll (with `subtree`, the whole subtree's: on the "
    "party, every member), not paged (`limit` and `offset` are ignored): streamed as it is "
    "read, from one snapshot of the read model, with the header `X-Roll-Total` giving the "
    "number of rows it holds. Each part is put on the access log before it is sent; should "
    "that fail part-way, the download is cut off (the connection closes without the chunked "
    "encoding's last chunk, which HTTP clients report as an error; a file with fewer rows "
    "than `X-Roll-Total` is incomplete) and must be asked for again.\n\n"
    "`sort=name` orders by name in Kazakh alphabetical order; names are sealed, so "
    "each is opened in the registry to sort them, and a roll (or subtree) of more members than "
    "the configured limit (`PARTIA_NAME_SORT_LIMIT`, 20,000 unless set) is refused with 422 "
    "(field `sort`, rule `name-sort-limit`): sort by `card_number` or `admitted_on` instead, or "
    "ask for an organisation lower down.",
)
async def roll(
    organisation_id: UUID,
    look: CaughtUpPersonalReader,
    on: Annotated[date | None, Query(description="business date; omit for today")] = None,
    subtree: Annotated[bool, Query(description="include every organisation below it")] = False,
    sort: Literal["card_number", "name", "admitted_on"] = "card_number",
    limit: Annotated[int, parameters.limit(10_000)] = 100,
    offset: Offset = 0,
    format: Format = "json",
) -> Any:
    arguments = (look, organisation_id, on, subtree, sort, limit, offset, format)
    if (
        on is None
        and not subtree
        and sort == "card_number"
        and format == "json"
        and limit <= INLINE_ROLL_LIMIT
    ):
        # The common read, a page of today's roll off its index: answered on the event loop
        # itself (decision 125). Under full-speed admissions the hops to a pool thread and back
        # waited for the busy loop and the GIL (p99 ~30 ms each); the page costs one round
        # trip and opening at most INLINE_ROLL_LIMIT names, during which the loop waits. (A
        # `min_position` wait is over by now: the dependency awaited it on the loop.)
        return _roll(*arguments)
    return await run_in_threadpool(_roll, *arguments)


INLINE_ROLL_LIMIT = 100
"""The largest page of today's roll answered on the event loop; larger ones, CSV, past dates,
subtrees and other sorts go to a thread."""


def _roll(
    look: PersonalRead,
    organisation_id: UUID,
    on: date | None,
    subtree: bool,
    sort: str,
    limit: int,
    offset: int,
    format: str,
) -> Response:
    registry = look.registry
    if format == "csv":
        return _export(look, organisation_id, on, subtree, sort)
    try:
        rows, total = registry.read_model.reading(
            lambda: registry.reports.roll(
                organisation_id, on=on, subtree=subtree, sort=sort, limit=limit, offset=offset
            )
        )
    except RollTooLargeToSortByName as refusal:
        raise _too_large_to_sort(refusal) from None
    if not total:
        # 404 for an unknown one; asked only when the roll is empty, since a round trip costs a
        # request thread a wait for the GIL too, which under full-speed admissions is long
        registry.queries.require_organisation(organisation_id)
    # a page is recorded with the next batch (decision 151)
    look.looked_at((r["member_id"] for r in rows), FULL_NAME, wait=False)
    return json_response(
        {
            "organisation_id": organisation_id,
            "on": on or date.today(),
            "subtree": subtree,
            "total": total,
            "limit": limit,
            "offset": offset,
            "items": rows,
        }
    )


def _too_large_to_sort(refusal: RollTooLargeToSortByName) -> ApiProblem:
    return ApiProblem(
        422, "Roll too large to sort by name", str(refusal), rule="name-sort-limit", field="sort"
    )


MAX_EXPORTS = 4
"""Roll exports one process sends at once: each holds a database connection (not one of the
report pool's) and a transaction while its download lasts (decision 171)."""
_exports = threading.BoundedSemaphore(MAX_EXPORTS)


def _export(
    look: PersonalRead, organisation_id: UUID, on: date | None, subtree: bool, sort: str
) -> StreamingResponse:
    """The whole roll as CSV, sent a chunk at a time as it is read (decision 170). Everything
    that can refuse it (too many exports at once, an unknown organisation, a roll too large to
    sort by name, the access log unavailable for the first chunk) does so here, before the
    response starts."""
    if not _exports.acquire(blocking=False):
        raise ApiProblem(
            503,
            "Exports busy",
            f"this server is already sending {MAX_EXPORTS} roll exports; retry shortly",
            rule="exports-busy",
            headers={"Retry-After": "5"},
        )
    end: Callable[[], None] = _exports.release
    try:
        export = _open_export(look, organisation_id, on, subtree, sort)
        end = _ending(export)
        if not export.total:
            look.registry.queries.require_organisation(organisation_id)
        first = next(export.chunks, [])
        look.looked_at((r["member_id"] for r in first), FULL_NAME, wait=True)
    except BaseException:
        end()
        raise
    filename = f"roll-{organisation_id}-{on or date.today()}.csv"
    return RollFile(
        _stream(look, export, _csv_text(first, ROLL_COLUMNS, header=True)),
        end,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Roll-Total": str(export.total),
        },
    )


def _open_export(
    look: PersonalRead, organisation_id: UUID, on: date | None, subtree: bool, sort: str
) -> RollExport:
    registry = look.registry
    try:
        return registry.read_model.reading(
            lambda: registry.reports.roll_export(
                organisation_id, on=on, subtree=subtree, sort=sort, chunk=EXPORT_CHUNK
            )
        )
    except RollTooLargeToSortByName as refusal:
        raise _too_large_to_sort(refusal) from None


def _ending(export: RollExport) -> Callable[[], None]:
    """Close the export and give its place back, once however often it is called."""
    ended = threading.Event()

    def end() -> None:
        if not ended.is_set():
            ended.set()
            try:
                export.close()
            finally:
                _exports.release()

    return end


class RollFile(StreamingResponse):
    """A streamed export that is ended (its transaction and connection closed, its place given
    back) however the response ends: sent whole, cut off, or the client gone part-way or before
    the first byte (a body iterator that never started would never run its own `finally`)."""

    def __init__(self, content: AsyncIterator[str], end: Callable[[], None], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._end = end

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):  # a pool thread reading a chunk has finished
                await run_in_threadpool(self._end)


class ExportCutOff(Exception):
    """The access log could not take the record of the next chunk, so the chunk is not sent and
    the download ends incomplete (the response has started: it cannot become a 503)."""


async def _stream(look: PersonalRead, export: RollExport, first: str) -> AsyncIterator[str]:
    """The first chunk (read and recorded before the response started), then each further one,
    read and recorded in a pool thread, leaving the event loop free meanwhile."""
    yield first
    while (text := await run_in_threadpool(_next_chunk, look, export)) is not None:
        yield text


def _next_chunk(look: PersonalRead, export: RollExport) -> str | None:
    """The next chunk as CSV lines, once its record is stored (decisions 151, 170); None at the
    end."""
    rows = next(export.chunks, None)
    if rows is None:
        return None
    try:
        look.looked_at((r["member_id"] for r in rows), FULL_NAME, wait=True)
    except ApiProblem:
        log.error(
            "roll export cut off after a chunk could not be put on the access log (%s, %s)",
            look.reading.user,
            look.reading.route,
        )
        raise ExportCutOff("the access log could not take the export's next record") from None
    return _csv_text(rows, ROLL_COLUMNS, header=False)


@router.get(
    "/reports/structure",
    response_model=api.StructureReport,
    responses={**READ_MODEL_ERRORS, **CSV},
    summary="Structure and composition of the party (Ch. 4.3) with the legal thresholds",
    description="As CSV: one row per organisation; `minimum` and `meets_minimum` give the legal "
    "threshold of the party (5,000 members) and of each regional branch (200), `finding` what a "
    "chair must act on (`below_three`, `above_thousand` for PPOs; `thresholds_not_met` on the "
    "party's row while any legal threshold is not met).",
)
def structure(
    registry: CaughtUp,
    on: Annotated[date | None, Query(description="business date; omit for today")] = None,
    format: Format = "json",
) -> Any:
    report = registry.read_model.reading(lambda: registry.reports.structure(on=on))
    if format == "csv":
        return _csv(
            structure_rows(report), STRUCTURE_COLUMNS, f"structure-{on or date.today()}.csv"
        )
    return json_response(report)


STRUCTURE_COLUMNS = [
    "kind",
    "code",
    "name",
    "organisation_id",
    "parent_id",
    "members",
    "direct_members",
    "minimum",
    "meets_minimum",
    "finding",
]


def structure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's units, each with the legal threshold it is measured against and the findings
    about it, so that a spreadsheet shows what the JSON's `thresholds` and `findings` say."""
    thresholds, findings = report["thresholds"], report["findings"]
    short = {b["organisation_id"] for b in thresholds["regional_branches_short"]}
    flagged = {
        u["organisation_id"]: finding
        for finding, key in (
            ("below_three", "ppos_below_three"),
            ("above_thousand", "ppos_above_thousand"),
        )
        for u in findings[key]
    }
    rows = []
    for unit in report["units"]:
        row = {**unit, "finding": flagged.get(unit["organisation_id"], "")}
        if unit["kind"] == "party":
            row["minimum"] = thresholds["party_minimum"]
            row["meets_minimum"] = _yes_no(thresholds["party_meets_minimum"])
            row["finding"] = "" if thresholds["meets_all"] else "thresholds_not_met"
        elif unit["kind"] == "regional_branch":
            row["minimum"] = thresholds["regional_branch_minimum"]
            row["meets_minimum"] = _yes_no(unit["organisation_id"] not in short)
        rows.append(row)
    return rows


def _yes_no(value: bool) -> str:
    return "true" if value else "false"


@router.get(
    "/reports/movements",
    responses=READ_MODEL_ERRORS,
    summary="Admissions, exits by reason, transfers in and out over a period",
)
def movements(
    registry: CaughtUp,
    start: Annotated[date, Query(alias="from")],
    end: Annotated[date, Query(alias="to")],
) -> Any:
    require_period_in_order(start, end)
    return json_response(
        registry.read_model.reading(lambda: registry.reports.movements(start=start, end=end))
    )


@router.get(
    "/read-model",
    responses=READ_ERRORS,
    tags=["operations"],
    summary="The read model's generation, position, lag behind the log, and any rebuild",
    description="The same answer from every process: `runner_active` says whether a runner is "
    "keeping the read model up to date (`partia-registry project`, which `serve` starts), "
    "`rebuilding` a rebuild's progress, `rebuild_requested` one not yet started, "
    "`last_rebuild` the outcome of the latest and `last_failure` the latest failed one, with "
    "its `reason`.",
)
def read_model_status(registry: Reader) -> dict[str, Any]:
    status = registry.read_model.status()
    return {
        "generation": status.generation,
        "position": status.position,
        "head": status.head,
        "lag_events": status.lag,
        "runner_active": status.runner_active,
        "rebuilding": status.rebuilding,
        "rebuild_requested": status.rebuild_requested,
        "last_rebuild": status.last_rebuild,
        "last_failure": status.last_failure,
    }


@router.post(
    "/read-model/rebuild",
    status_code=202,
    responses=COMMAND_ERRORS,
    tags=["operations"],
    openapi_extra=COMMAND_OPENAPI,
    summary="Rebuild the read model from the events; reads go on meanwhile",
    description="The active read-model runner carries the rebuild out (whichever process it "
    "runs in); follow it, and see whether it failed and why, at `GET /read-model`.",
)
async def rebuild(w: Writer) -> dict[str, Any]:
    if not await run_in_threadpool(w.registry.read_model.request_rebuild):
        raise ApiProblem(
            409,
            "Rebuild running",
            "a rebuild is already requested or running",
            rule="rebuild-running",
        )
    return {"rebuilding": True}
