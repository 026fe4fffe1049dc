"""The registry's refusals as RFC 9457 `application/problem+json` (`partia_kit.http.problems`):
its rules, conflicts with its state, unknown records and concurrent changes."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from partia_kit.http import problems
from partia_kit.http.problems import problem
from partia_registry.application.ports import ConcurrentChange
from partia_registry.application.scope import OutOfScope
from partia_registry.domain.rules import NotFound, RuleViolation, StateConflict


def install_problem_handlers(app: FastAPI) -> None:
    problems.install_problem_handlers(app, service="registry")

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

    @app.exception_handler(OutOfScope)
    async def out_of_scope(_: Request, exc: OutOfScope) -> JSONResponse:
        return problem(403, "Outside your organisations", str(exc), rule=exc.rule, field=exc.field)

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

    @app.exception_handler(ConcurrentChange)
    async def concurrent(_: Request, exc: ConcurrentChange) -> JSONResponse:
        return problem(
            409,
            "Concurrent change",
            f"another request changed the same record first; "
            f"retry with the same Idempotency-Key ({exc})",
            rule="concurrent-change",
        )


def _field_for(what: str) -> str:
    return {"organisation": "organisation_id", "member": "member_id"}.get(what, what)
