"""The FastAPI application. Nothing happens at import time: `create_app` builds it."""

from __future__ import annotations

import gc
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi_offline import FastAPIOffline

from partia_kit.operations import metrics_text, readiness
from partia_registry.api import discipline, feed, members, organisations, reports
from partia_registry.api.problems import install_problem_handlers
from partia_registry.composition import Registry, open_registry
from partia_registry.operations import ApiMetrics, RequestTimer, checks
from partia_registry.settings import RegistrySettings

DESCRIPTION = """
The member registry of the «Baytaq» Green Party of Qazaqstan: organisations and the membership
lifecycle, every decision kept as an immutable event.

* Every request carries `Authorization: Bearer <token>`; the user is recorded on each event.
* Every POST carries an `Idempotency-Key`: a retry returns the first outcome (header
  `Idempotent-Replayed: true`) and never records a decision twice.
* Refusals are `application/problem+json` with the `rule`, the `clause` of the Charter or law, and
  the `field` that broke it.
"""


def create_app(
    settings: RegistrySettings | None = None,
    open_: Callable[[RegistrySettings], Registry] = open_registry,
) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The writer thread and the event loop share the GIL; with the default 5 ms switch
        # interval the writer waits up to 5 ms after each database round trip.
        sys.setswitchinterval(0.0005)
        registry = open_(settings or RegistrySettings())
        # Long-lived objects (cached records, keys) need not be traced by every collection;
        # fewer, larger young-generation collections keep latency tails short.
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
        app.state.registry = registry
        app.state.metrics.watch_positions(
            lambda: registry.report_pool.connection(timeout=5), registry.settings.database_schema
        )
        try:
            yield
        finally:
            registry.close()

    # The docs pages load their scripts and styles from the service itself (a kept package bundles
    # them), not from a public CDN: a party's server behind a firewall has no internet.
    app = FastAPIOffline(
        title="Partia registry",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/docs-assets",
    )
    install_problem_handlers(app)
    _declare_bearer_security(app)
    app.include_router(organisations.router)
    app.include_router(members.router)
    app.include_router(discipline.router)
    app.include_router(reports.router)
    app.include_router(feed.router)

    _add_operations(app)
    return app


def _add_operations(app: FastAPI) -> None:
    """/health, /ready and /metrics, without a token (decision 112), and the request timer."""
    metrics = ApiMetrics()
    app.state.metrics = metrics
    app.add_middleware(RequestTimer, metrics=metrics)
    open_to_all: dict[str, Any] = {"security": []}

    @app.get(
        "/health",
        tags=["operations"],
        summary="Liveness: the process answers (the database is /ready's business)",
        openapi_extra=open_to_all,
    )
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/ready",
        tags=["operations"],
        summary="Readiness: the database answers and the read model and the relay are not too"
        " far behind (200, or 503 naming the check that failed)",
        openapi_extra=open_to_all,
    )
    def ready() -> JSONResponse:
        registry: Registry = app.state.registry
        status, body = readiness(
            checks(lambda: registry.report_pool.connection(timeout=5), registry.settings)
        )
        return JSONResponse(body, status)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics: request latency, commands by outcome, positions and lags",
        openapi_extra=open_to_all,
        response_class=PlainTextResponse,
    )
    def prometheus_metrics() -> Response:
        body, kind = metrics_text(metrics.registry)
        return Response(body, media_type=kind)


def _declare_bearer_security(app: FastAPI) -> None:
    """Every endpoint but /health, /ready and /metrics needs `Authorization: Bearer <token>`; say so in the OpenAPI
    document (so the docs page offers "Authorize") without a per-request dependency for it."""

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {})["securitySchemes"] = {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a token from PARTIA_API_TOKENS",
                }
            }
            schema["security"] = [{"bearerAuth": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
