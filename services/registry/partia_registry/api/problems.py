"""The registry's refusals as RFC 9457 `application/problem+json` (`partia_kit.http.problems`):
its rules, conflicts with its state, unknown records and concurrent changes (the kit's,
`partia_kit.http.refusals`), and commands outside the actor's organisations."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from partia_kit.http import problems
from partia_kit.http.problems import problem
from partia_kit.http.refusals import install_refusal_handlers
from partia_registry.application.scope import OutOfScope


def install_problem_handlers(app: FastAPI) -> None:
    problems.install_problem_handlers(app, service="registry")
    install_refusal_handlers(
        app,
        service="registry",
        fields={"organisation": "organisation_id", "member": "member_id"},
    )

    @app.exception_handler(OutOfScope)
    async def out_of_scope(_: Request, exc: OutOfScope) -> JSONResponse:
        return problem(403, "Outside your organisations", str(exc), rule=exc.rule, field=exc.field)
