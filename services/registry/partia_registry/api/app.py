"""The FastAPI application. Nothing happens at import time: `create_app` builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from partia_registry.api import members, organisations
from partia_registry.api.problems import install_problem_handlers
from partia_registry.composition import Registry, open_registry
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
        registry = open_(settings or RegistrySettings())
        app.state.registry = registry
        try:
            yield
        finally:
            registry.close()

    app = FastAPI(
        title="Partia registry", version="0.1.0", description=DESCRIPTION, lifespan=lifespan
    )
    install_problem_handlers(app)
    app.include_router(organisations.router)
    app.include_router(members.router)

    @app.get(
        "/health", tags=["operations"], summary="Liveness: the service and its database answer"
    )
    def health() -> dict[str, str]:
        app.state.registry.store.query("SELECT 1")
        return {"status": "ok"}

    return app
