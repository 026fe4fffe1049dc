"""What every request needs: the registry, the acting user, and for POSTs an Idempotency-Key."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from partia_registry.api.problems import ApiProblem
from partia_registry.application.commands import Command
from partia_registry.application.ports import IdempotencyKey
from partia_registry.composition import Registry

_bearer = HTTPBearer(auto_error=False, description="A token from PARTIA_API_TOKENS")


async def get_registry(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    return registry


RegistryDep = Annotated[Registry, Depends(get_registry)]


async def acting_user(
    registry: RegistryDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    """The user recorded on every event this request causes."""
    if credentials is None:
        raise ApiProblem(
            401,
            "Unauthorised",
            "send 'Authorization: Bearer <token>'",
            rule="authentication-required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    for token, user in registry.tokens.items():
        if hmac.compare_digest(token.encode(), credentials.credentials.encode()):
            return user
    raise ApiProblem(
        401,
        "Unauthorised",
        "the bearer token is not recognised",
        rule="authentication-failed",
        headers={"WWW-Authenticate": "Bearer"},
    )


ActorDep = Annotated[str, Depends(acting_user)]


async def idempotency_key(
    request: Request,
    actor: ActorDep,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description="A unique key per intended decision (e.g. a UUID). Retrying with the same "
            "key returns the first outcome instead of recording the decision twice; the same key "
            "with a different body is refused.",
            min_length=1,
            max_length=200,
        ),
    ] = None,
) -> IdempotencyKey:
    if key is None:
        raise ApiProblem(
            400,
            "Idempotency-Key required",
            "every POST needs an Idempotency-Key "
            "header so that a retry never records a decision twice",
            rule="idempotency-key-required",
            field="Idempotency-Key",
        )
    body = await request.body()
    fingerprint = hashlib.sha256(
        request.method.encode() + b" " + request.url.path.encode() + b"\n" + body
    ).hexdigest()
    return IdempotencyKey(actor=actor, key=key, fingerprint=fingerprint)


IdempotencyDep = Annotated[IdempotencyKey, Depends(idempotency_key)]


async def execute(registry: Registry, command: Command, status_code: int = 200) -> Response:
    """Hand the command to the writer and wait for its outcome; refusals become problems.

    The receipt is already plain JSON, so it is sent as it is (the endpoint's response_model
    documents it)."""
    outcome = await asyncio.wrap_future(registry.writer.submit(command))
    if outcome.error is not None:
        raise outcome.error
    assert outcome.receipt is not None
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    body = {**outcome.receipt, "positions": list(outcome.positions)}
    return Response(json.dumps(body), status_code, headers, media_type="application/json")
