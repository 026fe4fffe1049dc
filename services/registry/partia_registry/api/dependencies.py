"""What every request needs: the registry, the acting user, and for POSTs an Idempotency-Key
(`partia_kit.http.dependencies`).

Each endpoint takes one dependency (`Reader` or `Writer`) that does all of it: FastAPI resolves
every dependency node on every request, and at a thousand requests a second that cost shows.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from partia_kit.http.dependencies import bearer_user, idempotency_key
from partia_kit.idempotency import IdempotencyKey
from partia_registry.application.commands import Command
from partia_registry.composition import Registry
from partia_registry.operations import ApiMetrics


async def reader(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    bearer_user(request, registry.tokens)
    return registry


@dataclass(frozen=True, slots=True)
class CommandContext:
    registry: Registry
    actor: str
    idempotency: IdempotencyKey
    metrics: ApiMetrics

    async def execute(self, command: Command, status_code: int = 200) -> Response:
        """Hand the command to the writer and wait for its outcome; refusals become problems.
        The receipt is plain JSON already, so it is sent as it is (the endpoint's response_model
        documents it)."""
        try:
            outcome = await asyncio.wrap_future(self.registry.writer.submit(command))
        except BaseException:
            self.metrics.count_command(command, None)
            raise
        self.metrics.count_command(command, outcome)
        if outcome.error is not None:
            raise outcome.error
        assert outcome.receipt is not None
        headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
        body = dict(outcome.receipt)
        if outcome.positions is not None:
            body["positions"] = list(outcome.positions)
        return Response(json.dumps(body), status_code, headers, media_type="application/json")


async def writer(request: Request) -> CommandContext:
    registry: Registry = request.app.state.registry
    actor = bearer_user(request, registry.tokens)
    key = await idempotency_key(request, actor, registry.store.request_fingerprint)
    return CommandContext(registry, actor, key, metrics=request.app.state.metrics)


Reader = Annotated[Registry, Depends(reader)]
Writer = Annotated[CommandContext, Depends(writer)]
