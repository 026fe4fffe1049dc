"""The finance service's FastAPI application. Nothing happens at import time: `create_app` builds
it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from partia_finance.api import access_log, donations, dues, dues_reports, reports, statements
from partia_finance.api.permissions import OPERATIONS
from partia_finance.api.problems import install_problem_handlers
from partia_finance.composition import Finance, open_finance
from partia_finance.operations import checks, metrics
from partia_finance.settings import FinanceSettings
from partia_kit.auth import Authenticator
from partia_kit.auth.scope import party_root
from partia_kit.http.access import declare_bearer_security
from partia_kit.http.application import DOCS_PATHS, service_application
from partia_kit.http.guards import install_guards
from partia_kit.http.operations import add_operations_routes
from partia_kit.tuning import tune_after_start

DESCRIPTION = """
The finance service of the «Baytaq» Green Party of Qazaqstan: donations received from the bank
statement, checked against the prohibited-source rules (Constitution Art. 6(4), Law "On Political
Parties" Art. 18(2)) with evidence, accepted or rejected as immutable events, and every return
obligation tracked until the money has gone back.

* Every request carries `Authorization: Bearer <token>`: a JWT from the party's identity provider
  (or, in development, a static token); the user is recorded on each event. Each operation says
  which roles may use it (`x-permission`); a role without it is refused with 403.
* Every POST carries an `Idempotency-Key`: a retry returns the first outcome (header
  `Idempotent-Replayed: true`) and never records a donation twice.
* Refusals are `application/problem+json` with the `rule`, the `clause` of the law, and the
  `field` that broke it.
"""


def create_app(
    settings: FinanceSettings | None = None,
    open_: Callable[[FinanceSettings], Finance] = open_finance,
) -> FastAPI:
    config = settings or FinanceSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # first: a configuration nobody could use, or static tokens in production, never starts
        app.state.authenticator = Authenticator.from_settings(config)
        app.state.party_id = party_root(config.party)
        finance = open_(config)
        app.state.finance = finance
        app.state.metrics = metrics(finance)
        tune_after_start()
        try:
            yield
        finally:
            finance.close()

    app = service_application("Partia finance", DESCRIPTION, lifespan, api_docs=config.api_docs)
    install_problem_handlers(app)
    declare_bearer_security(app, OPERATIONS, "partia_finance.api.permissions")
    app.include_router(donations.router)
    app.include_router(statements.router)
    app.include_router(reports.router)
    app.include_router(access_log.router)
    app.include_router(dues.router)
    app.include_router(dues_reports.router)
    _add_operations(app)
    install_guards(app, config, docs_prefixes=DOCS_PATHS if config.api_docs else ())
    app.openapi()  # refuses to build an app with an operation whose permission is not declared
    return app


def _add_operations(app: FastAPI) -> None:
    """/health, /ready and /metrics, without a token (decision 112)."""
    add_operations_routes(
        app,
        checks=lambda: checks(app.state.finance),
        metrics=lambda: app.state.metrics,
        ready_summary="Readiness: the database answers and the relay is not too far behind"
        " (200, or 503 naming the check that failed)",
        metrics_summary="Prometheus metrics: the log's head, the relay's position and lag",
    )
