"""Every error as RFC 9457 `application/problem+json`, naming the field and the rule.

`install_problem_handlers` answers what every service's HTTP layer refuses alike (invalid requests,
authentication, headers, a reused Idempotency-Key, unknown paths, unexpected errors); a service adds the handlers for its own
refusals (the registry's: its rules, conflicts, unknown records) after it."""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from partia_kit.idempotency import IdempotencyKeyReused

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
_TYPE = "https://partia.kz/problems/"


class ApiProblem(Exception):
    """A refusal made by the HTTP layer itself (authentication, headers)."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        rule: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.rule, self.field, self.headers = rule, field, headers
        self.extra = extra or {}
        """More members of the problem (e.g. the `permission` a refusal names)."""


def problem(
    status: int, title: str, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    slug = extra.get("rule") or title.lower().replace(" ", "-")
    body: dict[str, Any] = {
        "type": _TYPE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    body.update({k: v for k, v in extra.items() if v is not None})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def install_problem_handlers(app: FastAPI, *, service: str) -> None:
    """`service` names the service in the answer to an unexpected error ("the registry failed
    unexpectedly")."""
    app.add_middleware(AnswerUnexpectedErrors, service=service)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [invalid_field(e) | _charter_basis(request, e) for e in exc.errors()]
        first = errors[0] if errors else {"field": None, "rule": None, "message": "invalid request"}
        return problem(
            422,
            "Invalid request",
            f"{first['field']}: {first['message']}",
            rule=first["rule"] if first.get("clause") else "request-validation",
            clause=first.get("clause"),
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(IdempotencyKeyReused)
    async def key_reused(_: Request, exc: IdempotencyKeyReused) -> JSONResponse:
        return problem(
            422,
            "Idempotency-Key reused",
            str(exc),
            rule="idempotency-key-reused",
            field="Idempotency-Key",
        )

    @app.exception_handler(ApiProblem)
    async def api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(
            exc.status,
            exc.title,
            exc.detail,
            headers=exc.headers,
            rule=exc.rule,
            field=exc.field,
            **exc.extra,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        title = _TITLES.get(exc.status_code, "Error")
        detail, field = str(exc.detail), None
        if detail == _UNREADABLE_BODY:  # FastAPI's words for a body that is not UTF-8 text
            detail, field = "body: not valid JSON text (UTF-8 expected)", "body"
        if exc.status_code == 413:  # partia_kit.http.guards: the body passed the size limit
            field = "body"
        return problem(
            exc.status_code,
            title,
            detail,
            headers=getattr(exc, "headers", None),
            rule=title.lower().replace(" ", "-"),
            field=field,
        )


_UNREADABLE_BODY = "There was an error parsing the body"
_TITLES = {
    400: "Bad request",
    401: "Unauthorised",
    404: "Not found",
    405: "Method not allowed",
    413: "Content too large",
    429: "Too many requests",
}


def require_period_in_order(start: Any, end: Any) -> None:
    """Refuse a period given as query parameters `from`/`to` whose end comes before its start
    (either may be missing: then there is nothing to compare)."""
    if start is not None and end is not None and end < start:
        raise ApiProblem(
            422,
            "Invalid request",
            "'to' must not be before 'from'",
            rule="period-reversed",
            field="to",
        )


def invalid_field(error: Any) -> dict[str, str]:
    """One of pydantic's validation errors as the field, the rule and a message for people: the
    body's JSON syntax is the field `body` (not the character offset pydantic puts in its
    location), a body that is no JSON object asks for one, and enum members are named by their
    values, not their Python reprs."""
    location = [str(part) for part in error["loc"]]
    if error["type"] == "json_invalid":
        reason = error.get("ctx", {}).get("error", "malformed")
        offset = f" at character {location[1]}" if len(location) > 1 else ""
        return {
            "field": "body",
            "rule": "json_invalid",
            "message": f"not valid JSON: {reason}{offset}",
        }
    if location == ["body"] and error["type"] == "model_attributes_type":
        return {
            "field": "body",
            "rule": "json_object_required",
            "message": "send a JSON object, with 'Content-Type: application/json'",
        }
    return {
        "field": ".".join(location[1:]) or location[0],
        "rule": error["type"],
        "message": _ENUM_REPR.sub(r"'\1'", error["msg"]),
    }


def _charter_basis(request: Request, error: Any) -> dict[str, str]:
    """A body field the Charter requires declares its rule and clause in the contract
    (`x-charter-rule`, `x-charter-clause`), so leaving it out is refused with them, as the domain
    would refuse it: e.g. a withdrawal without the body that formalised it (Ch. 3.7)."""
    location = error["loc"]
    if error["type"] != "missing" or len(location) != 2 or location[0] != "body":
        return {}
    body_field = getattr(request.scope.get("route"), "body_field", None)
    model = getattr(getattr(body_field, "field_info", None), "annotation", None)
    field = getattr(model, "model_fields", {}).get(location[1])
    extra = getattr(field, "json_schema_extra", None)
    if not isinstance(extra, dict) or "x-charter-rule" not in extra:
        return {}
    clause = str(extra["x-charter-clause"])
    return {
        "rule": str(extra["x-charter-rule"]),
        "clause": clause,
        "message": f"required by the Charter ({clause})",
    }


_ENUM_REPR = re.compile(r"<\w+\.\w+: '([^']*)'>")
"""`<OrganisationKind.PARTY: 'party'>`, as pydantic writes an enum member in a Literal."""


def _internal_error(service: str) -> JSONResponse:
    return problem(
        500,
        "Internal error",
        f"the {service} failed unexpectedly; nothing was recorded unless the response said so",
        rule="internal-error",
    )


class AnswerUnexpectedErrors:
    """Answers an exception no handler took with a 500 problem and keeps the connection.

    Starlette's own last resort (ServerErrorMiddleware) sends its 500 and then re-raises, and the
    server then drops the keep-alive connection without a `Connection: close`: the client's next
    request on it fails with a reset. Here the exception ends with the answer. Only when the
    response had already begun is it re-raised, since then dropping the connection is the only way
    to tell the client the body is incomplete."""

    def __init__(self, app: ASGIApp, service: str = "service") -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("unexpected error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _internal_error(self.service)(scope, receive, send)
