"""What every finance request needs, in one dependency each (`Reader`, `Writer`): the service,
the acting principal allowed the operation's permission (`partia_finance.api.permissions`, checked
by `partia_kit.http.access`), its scope, and for POSTs an Idempotency-Key."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from partia_finance.adapters.postgres.queries import FinanceQueries
from partia_finance.api.permissions import OPERATIONS
from partia_finance.application.commands import Command
from partia_finance.composition import Finance
from partia_kit.auth import Scope
from partia_kit.batches import Outcome
from partia_kit.http import access, commands
from partia_kit.http.access import scope_of
from partia_kit.http.dependencies import idempotency_key
from partia_kit.idempotency import IdempotencyKey


@dataclass(frozen=True, slots=True)
class ReadContext:
    finance: Finance
    scope: Scope

    def queries(self) -> FinanceQueries:
        return self.finance.queries


async def reader(request: Request) -> ReadContext:
    await access.authorised(request, OPERATIONS)
    return ReadContext(request.app.state.finance, scope_of(request))


@dataclass(frozen=True, slots=True)
class CommandContext:
    finance: Finance
    actor: str
    idempotency: IdempotencyKey
    scope: Scope

    async def outcome(self, command: Command) -> Outcome:
        """The command's outcome as it is (a refusal not raised), with the actor's scope."""
        command = dataclasses.replace(command, scope=self.scope)
        return await asyncio.wrap_future(self.finance.writer.submit(command))

    async def execute(self, command: Command, status_code: int = 200) -> Response:
        """The command with the actor's key and scope, decided by the writer."""
        command = dataclasses.replace(command, idempotency=self.idempotency, scope=self.scope)
        return await commands.execute(self.finance.writer, command, status_code)


async def writer(request: Request) -> CommandContext:
    principal = await access.authorised(request, OPERATIONS)
    finance: Finance = request.app.state.finance
    key = await idempotency_key(request, principal.user, finance.store.request_fingerprint)
    return CommandContext(finance, principal.user, key, scope_of(request))


Reader = Annotated[ReadContext, Depends(reader)]
Writer = Annotated[CommandContext, Depends(writer)]
