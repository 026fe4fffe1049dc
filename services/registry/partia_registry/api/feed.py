"""GET /events: the whole history in order, as integration events, paged by log position."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Response

from partia_registry.adapters.integration_events import to_integration_events
from partia_registry.api import parameters
from partia_registry.api.dependencies import Reader
from partia_registry.api.parameters import Position
from partia_registry.api.responses import READ_ERRORS

router = APIRouter(tags=["event feed"])


@router.get(
    "/events",
    responses=READ_ERRORS,
    summary="Every recorded fact in log order, as the integration events of partia_contracts",
    description="Page with `after` (the last `position` you have; 0 to start) and follow "
    "`next_after`. Positions increase but may skip numbers. The events carry no personal data; "
    "fetch a member's details from /members/{id} while they exist (erased persons have none).",
)
def events(
    registry: Reader,
    after: Position = 0,
    limit: Annotated[int, parameters.limit(5000)] = 500,
) -> Response:
    page = registry.queries.log_page(after, limit)
    items = [json.loads(e.model_dump_json()) for e in to_integration_events(page)]
    body = {"after": after, "next_after": page[-1][1] if page else after, "items": items}
    return Response(json.dumps(body, ensure_ascii=False), media_type="application/json")
