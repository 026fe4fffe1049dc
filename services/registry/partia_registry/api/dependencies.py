"""What every request needs: the registry, the acting principal (authenticated, and allowed the
operation's permission: `partia_registry.api.permissions`), and for POSTs an Idempotency-Key
(`partia_kit.http.dependencies`).

Each endpoint takes one dependency (`Reader` or `Writer`) that does all of it: FastAPI resolves
every dependency node on every request, and at a thousand requests a second that cost shows.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Request, Response
from fastapi.concurrency import run_in_threadpool

from partia_kit.auth import Principal, Scope
from partia_kit.http import access, commands
from partia_kit.http.access import scope_of
from partia_kit.http.dependencies import idempotency_key
from partia_kit.idempotency import IdempotencyKey
from partia_registry.api.permissions import OPERATIONS
from partia_registry.application.commands import Command
from partia_registry.composition import Registry
from partia_registry.domain.rules import NotFound
from partia_registry.operations import ApiMetrics


async def authorised(request: Request) -> Principal:
    """The request's principal, once it is known to hold the permission the operation declares
    (`partia_kit.http.access.authorised` over the registry's table)."""
    return await access.authorised(request, OPERATIONS)


async def in_scope(request: Request) -> Principal:
    """`authorised`, and the member or organisation the path names lies in the principal's scope:
    otherwise 404, as for an unknown one (decision 165). Commands check their records when they
    are decided (`application.scope`)."""
    principal = await authorised(request)
    scope = scope_of(request)
    if scope.whole_party:
        return principal
    registry: Registry = request.app.state.registry
    path = request.path_params
    for what in ("member_id", "organisation_id"):
        if what in path:
            try:
                named = UUID(str(path[what]))
            except ValueError:
                continue  # the path's own validation refuses it (422)
            covered = await run_in_threadpool(registry.queries.in_scope, scope, what, named)
            if not covered:
                raise NotFound(what.removesuffix("_id"), named)
    return principal


async def reader(request: Request) -> Registry:
    await in_scope(request)
    registry: Registry = request.app.state.registry
    return registry


@dataclass(frozen=True, slots=True)
class CommandContext:
    registry: Registry
    actor: str
    idempotency: IdempotencyKey
    metrics: ApiMetrics
    principal: Principal
    scope: Scope

    async def execute(self, command: Command, status_code: int = 200) -> Response:
        """Hand the command, with the actor's scope, to the writer and wait for its outcome;
        refusals become problems. The receipt is plain JSON already, so it is sent as it is (the
        endpoint's response_model documents it)."""
        if not self.scope.whole_party:
            command = dataclasses.replace(command, scope=self.scope)
        return await commands.execute(
            self.registry.writer, command, status_code, self.metrics.count_command
        )


async def writer(request: Request) -> CommandContext:
    principal = await authorised(request)
    registry: Registry = request.app.state.registry
    key = await idempotency_key(request, principal.user, registry.store.request_fingerprint)
    return CommandContext(
        registry,
        principal.user,
        key,
        metrics=request.app.state.metrics,
        principal=principal,
        scope=scope_of(request),
    )


Reader = Annotated[Registry, Depends(reader)]
Writer = Annotated[CommandContext, Depends(writer)]
