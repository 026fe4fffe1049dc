"""What every request needs: the registry, the acting user, and for POSTs an Idempotency-Key.

Each endpoint takes one dependency (`Reader` or `Writer`) that does all of it: FastAPI resolves
every dependency node on every request, and at a thousand requests a second that cost shows.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from partia_contracts.text import MESSAGE, RULE, unstorable
from partia_registry.api.problems import ApiProblem
from partia_registry.application.commands import Command
from partia_registry.application.ports import IdempotencyKey
from partia_registry.composition import Registry
from partia_registry.operations import ApiMetrics

MAX_KEY_LENGTH = 200
IDEMPOTENCY_KEY_DESCRIPTION = (
    "A unique key per intended decision (e.g. a UUID). Retrying with the same key returns the "
    "first outcome (with `Idempotent-Replayed: true`) instead of recording the decision twice; "
    "the same key with a different body is refused."
)


def _acting_user(request: Request, registry: Registry) -> str:
    """The user recorded on every event this request causes (bearer token, see the OpenAPI
    security scheme)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiProblem(
            401,
            "Unauthorised",
            "send 'Authorization: Bearer <token>'",
            rule="authentication-required",
            headers={"WWW-Authenticate": "Bearer"},
        )
    for known, user in registry.tokens.items():
        if hmac.compare_digest(known.encode(), token.encode()):
            return user
    raise ApiProblem(
        401,
        "Unauthorised",
        "the bearer token is not recognised",
        rule="authentication-failed",
        headers={"WWW-Authenticate": "Bearer"},
    )


async def reader(request: Request) -> Registry:
    registry: Registry = request.app.state.registry
    _acting_user(request, registry)
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
    actor = _acting_user(request, registry)
    key = request.headers.get("idempotency-key", "")
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ApiProblem(
            400,
            "Idempotency-Key required",
            "every POST needs an Idempotency-Key "
            "header so that a retry never records a decision twice",
            rule="idempotency-key-required",
            field="Idempotency-Key",
        )
    body = await request.body()
    request_line = request.method.encode() + b" " + _url_path(request).encode() + b"\n"
    return CommandContext(
        registry,
        actor,
        metrics=request.app.state.metrics,
        idempotency=IdempotencyKey(
            actor=actor,
            key=key,
            fingerprint=registry.store.request_fingerprint(request_line + _canonical(body)),
            # rows stored before fingerprints were keyed and canonical: unkeyed, raw body
            legacy_fingerprint=hashlib.sha256(request_line + body).hexdigest(),
        ),
    )


def _url_path(request: Request) -> str:
    """`request.url.path`, without building the whole URL (host header, query, netloc) that
    costs ~4 % of the event loop's time per admission: the same escaping Starlette applies."""
    path: str = request.scope["path"]
    return path.replace("?", "%3F").replace("#", "%23").replace("\\", "%5C")


def _canonical(body: bytes) -> bytes:
    """The body as the same JSON always serialises (sorted keys, no spaces, ASCII), so that a
    retry that re-serialised the same request counts as the same request; refuses text the
    database cannot store, wherever it is in the body (this also covers the shapes requests share
    with the integration events, whose schemas cannot gain the rule). Not JSON: the bytes as sent
    (FastAPI refuses the body itself)."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return body
    field = unstorable(parsed)
    if field is not None:
        raise ApiProblem(422, "Invalid request", f"{field}: {MESSAGE}", rule=RULE, field=field)
    return json.dumps(parsed, sort_keys=True, separators=(",", ":")).encode()


COMMAND_OPENAPI = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": IDEMPOTENCY_KEY_DESCRIPTION,
            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
        }
    ]
}
"""Declared on every POST: the header is read by `writer` itself rather than as a FastAPI
parameter, which costs a dependency resolution per request."""

Reader = Annotated[Registry, Depends(reader)]
Writer = Annotated[CommandContext, Depends(writer)]
