"""Every error as RFC 9457 `application/problem+json`, naming the field and the rule."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from partia_registry.application.batches import IdempotencyKeyReused
from partia_registry.application.ports import ConcurrentChange
from partia_registry.domain.rules import NotFound, RuleViolation, StateConflict

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
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.rule, self.field, self.headers = rule, field, headers


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


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]),
                "rule": e["type"],
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": None, "message": "invalid request"}
        return problem(
            422,
            "Invalid request",
            f"{first['field']}: {first['message']}",
            rule="request-validation",
            field=first["field"],
            errors=errors,
        )

    @app.exception_handler(StateConflict)
    async def conflict(_: Request, exc: StateConflict) -> JSONResponse:
        return problem(
            409,
            "Conflict with the registry's state",
            exc.message,
            rule=exc.rule,
            clause=exc.clause,
            field=exc.field,
        )

    @app.exception_handler(RuleViolation)
    async def refused(_: Request, exc: RuleViolation) -> JSONResponse:
        return problem(
            422, "Refused by rule", exc.message, rule=exc.rule, clause=exc.clause, field=exc.field
        )

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> JSONResponse:
        if str(exc.identifier) in {str(v) for v in request.path_params.values()}:
            return problem(404, "Not found", str(exc), rule="not-found")
        return problem(
            422,
            "Unknown reference",
            f"{exc.field or exc.what}: no {exc.what} {exc.identifier} exists",
            rule="unknown-reference",
            field=exc.field or _field_for(exc.what),
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

    @app.exception_handler(ConcurrentChange)
    async def concurrent(_: Request, exc: ConcurrentChange) -> JSONResponse:
        return problem(
            409,
            "Concurrent change",
            f"another request changed the same record first; "
            f"retry with the same Idempotency-Key ({exc})",
            rule="concurrent-change",
        )

    @app.exception_handler(ApiProblem)
    async def api_problem(_: Request, exc: ApiProblem) -> JSONResponse:
        return problem(
            exc.status, exc.title, exc.detail, headers=exc.headers, rule=exc.rule, field=exc.field
        )

    @app.exception_handler(HTTPException)
    async def http_error(_: Request, exc: HTTPException) -> JSONResponse:
        return problem(
            exc.status_code,
            _TITLES.get(exc.status_code, "Error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error", exc_info=exc)
        return problem(
            500,
            "Internal error",
            "the registry failed unexpectedly; nothing was recorded unless the response said so",
            rule="internal-error",
        )


_TITLES = {400: "Bad request", 401: "Unauthorised", 404: "Not found", 405: "Method not allowed"}


def _field_for(what: str) -> str:
    return {"organisation": "organisation_id", "member": "member_id"}.get(what, what)
