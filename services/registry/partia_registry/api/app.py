"""The FastAPI application. Nothing happens at import time: `create_app` builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from partia_kit.auth import Authenticator
from partia_kit.http.access import declare_bearer_security
from partia_kit.http.application import DOCS_PATHS, service_application
from partia_kit.http.guards import install_guards
from partia_kit.http.operations import add_operations_routes
from partia_kit.http.waiting import PositionWatch
from partia_kit.operations import Check
from partia_kit.tuning import tune_after_start
from partia_registry.api import access_log, discipline, feed, members, organisations, reports
from partia_registry.api.permissions import OPERATIONS
from partia_registry.api.problems import install_problem_handlers
from partia_registry.application.bootstrap import PartyDefinition
from partia_registry.composition import Registry, open_registry
from partia_registry.operations import ApiMetrics, RequestTimer, checks
from partia_registry.settings import RegistrySettings

DESCRIPTION = """
The member registry of the «Baytaq» Green Party of Qazaqstan: organisations and the membership
lifecycle, every decision kept as an immutable event.

* Every request carries `Authorization: Bearer <token>`: a JWT from the party's identity provider
  (or, in development, a static token); the user is recorded on each event. Each operation says
  which roles may use it (`x-permission`); a role without it is refused with 403.
* Every POST carries an `Idempotency-Key`: a retry returns the first outcome (header
  `Idempotent-Replayed: true`) and never records a decision twice.
* Refusals are `application/problem+json` with the `rule`, the `clause` of the Charter or law, and
  the `field` that broke it.
"""


def create_app(
    settings: RegistrySettings | None = None,
    open_: Callable[[RegistrySettings], Registry] = open_registry,
) -> FastAPI:
    config = settings or RegistrySettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # first: a configuration nobody could use, or static tokens in production, never starts
        app.state.authenticator = Authenticator.from_settings(config)
        app.state.party_id = PartyDefinition.load(config.party).party_id  # the central office
        registry = open_(config)
        tune_after_start()
        app.state.registry = registry
        app.state.positions = PositionWatch(registry.read_model.position)
        app.state.metrics.watch_positions(
            lambda: registry.report_pool.connection(timeout=5), registry.settings.database_schema
        )
        try:
            yield
        finally:
            registry.close()

    app = service_application("Partia registry", DESCRIPTION, lifespan, api_docs=config.api_docs)
    install_problem_handlers(app)
    declare_bearer_security(app, OPERATIONS, "partia_registry.api.permissions")
    app.include_router(organisations.router)
    app.include_router(members.router)
    app.include_router(discipline.router)
    app.include_router(reports.router)
    app.include_router(feed.router)
    app.include_router(access_log.router)

    _add_operations(app)
    install_guards(app, config, docs_prefixes=DOCS_PATHS if config.api_docs else ())
    app.openapi()  # refuses to build an app with an operation whose permission is not declared
    return app


def _add_operations(app: FastAPI) -> None:
    """/health, /ready and /metrics, without a token (decision 112), and the request timer."""
    metrics = ApiMetrics()
    app.state.metrics = metrics
    app.add_middleware(RequestTimer, metrics=metrics)

    def ready() -> list[Check]:
        registry: Registry = app.state.registry
        return checks(lambda: registry.report_pool.connection(timeout=5), registry.settings)

    add_operations_routes(
        app,
        checks=ready,
        metrics=lambda: metrics.registry,
        ready_summary="Readiness: the database answers and the read model and the relay are not"
        " too far behind (200, or 503 naming the check that failed)",
        metrics_summary="Prometheus metrics: request latency, commands by outcome, positions and"
        " lags",
    )
