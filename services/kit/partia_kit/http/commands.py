"""A command handed from an HTTP request to a service's writer (`partia_kit.writer`), and its
outcome as the response (moved from the registry, decision 197): the receipt as JSON with the
positions of its events, `Idempotent-Replayed: true` for a retry, a refusal raised for the
problem handlers."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from fastapi import Response

from partia_kit.batches import Outcome
from partia_kit.writer import CommandWriter


async def execute(
    writer: CommandWriter[Any, Outcome],
    command: Any,
    status_code: int = 200,
    counted: Callable[[Any, Outcome | None], None] | None = None,
) -> Response:
    """`counted(command, outcome)` is told of every outcome (None: the writer failed). The
    receipt is plain JSON already, so it is sent as it is (the endpoint's response_model
    documents it)."""
    try:
        outcome = await asyncio.wrap_future(writer.submit(command))
    except BaseException:
        if counted is not None:
            counted(command, None)
        raise
    if counted is not None:
        counted(command, outcome)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.receipt is not None
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    body = dict(outcome.receipt)
    if outcome.positions is not None:
        body["positions"] = list(outcome.positions)
    return Response(json.dumps(body), status_code, headers, media_type="application/json")
