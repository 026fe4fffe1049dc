"""/health, /ready and /metrics on a service's FastAPI app, without a token (decision 112): the
same three paths every Partia API serves (`partia_kit.operations` has the checks and metrics)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CollectorRegistry

from partia_kit.operations import Check, metrics_text, readiness


def add_operations_routes(
    app: FastAPI,
    *,
    checks: Callable[[], Sequence[Check]],
    metrics: Callable[[], CollectorRegistry],
    ready_summary: str,
    metrics_summary: str,
) -> None:
    """`checks` and `metrics` are called per request (the app's state is made in its lifespan)."""
    open_to_all: dict[str, Any] = {"security": []}

    @app.get(
        "/health",
        tags=["operations"],
        summary="Liveness: the process answers (the database is /ready's business)",
        openapi_extra=open_to_all,
    )
    async def health() -> dict[str, str]:  # on the event loop: answers while every thread is busy
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], summary=ready_summary, openapi_extra=open_to_all)
    def ready() -> JSONResponse:
        status, body = readiness(checks())
        return JSONResponse(body, status)

    @app.get(
        "/metrics",
        tags=["operations"],
        summary=metrics_summary,
        openapi_extra=open_to_all,
        response_class=PlainTextResponse,
    )
    def prometheus_metrics() -> Response:
        body, kind = metrics_text(metrics())
        return Response(body, media_type=kind)
