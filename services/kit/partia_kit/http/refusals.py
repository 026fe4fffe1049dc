"""The domain's refusals (`partia_kit.rules`) and a lost race (`partia_kit.batches`) as RFC 9457
problems, the same in every service (moved from the registry, decision 197): a rule broken is
422, a conflict with the records' state 409, both naming the rule, the clause and the field; an
unknown record named in the path is 404, one named in the body 422 naming the field."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from partia_kit.batches import ConcurrentChange
from partia_kit.http.problems import problem
from partia_kit.rules import NotFound, RuleViolation, StateConflict


def install_refusal_handlers(
    app: FastAPI, *, service: str, fields: Mapping[str, str] | None = None
) -> None:
    """`fields`: the request field that names each kind of record (organisation ->
    organisation_id), for a refusal that does not say."""
    named = dict(fields or {})

    @app.exception_handler(StateConflict)
    async def conflict(_: Request, exc: StateConflict) -> JSONResponse:
        return problem(
            409,
            f"Conflict with the {service}'s state",
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
            field=exc.field or named.get(exc.what, exc.what),
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
