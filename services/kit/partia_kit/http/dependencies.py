"""What every service's POSTs need: an Idempotency-Key with a fingerprint of the request it
promises to stand for. (Who is asking, and whether they may: `partia_kit.auth`.)

Plain functions, not FastAPI dependencies: a service's endpoint takes one dependency of its own
that calls them (FastAPI resolves every dependency node on every request, and at a thousand
requests a second that cost shows).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from fastapi import Request

from partia_contracts.text import MESSAGE, RULE, unstorable
from partia_kit.http.problems import ApiProblem
from partia_kit.idempotency import IdempotencyKey

MAX_KEY_LENGTH = 200
IDEMPOTENCY_KEY_DESCRIPTION = (
    "A unique key per intended decision (e.g. a UUID). Retrying with the same key returns the "
    "first outcome (with `Idempotent-Replayed: true`) instead of recording the decision twice; "
    "the same key with a different body is refused."
)


async def idempotency_key(
    request: Request, actor: str, fingerprint: Callable[[bytes], str]
) -> IdempotencyKey:
    """The request's Idempotency-Key (refused when missing or too long), with `fingerprint` (a
    keyed hash) of its method, path and canonical body."""
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
    return IdempotencyKey(
        actor=actor,
        key=key,
        fingerprint=fingerprint(request_line + _canonical(body)),
        # rows stored before fingerprints were keyed and canonical: unkeyed, raw body
        legacy_fingerprint=hashlib.sha256(request_line + body).hexdigest(),
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
"""Declared on every POST: the header is read by the service's own dependency rather than as a
FastAPI parameter, which costs a dependency resolution per request."""
