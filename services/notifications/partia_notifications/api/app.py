"""The notifications service's FastAPI application. Nothing happens at import time: `create_app`
builds it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from partia_kit.auth import Authenticator
from partia_kit.auth.scope import party_root
from partia_kit.http import problems
from partia_kit.http.access import declare_bearer_security
from partia_kit.http.application import DOCS_PATHS, service_application
from partia_kit.http.guards import install_guards
from partia_kit.http.operations import add_operations_routes
from partia_notifications.api import bodies, deliveries, preferences
from partia_notifications.api.permissions import OPERATIONS
from partia_notifications.composition import Notifications, open_notifications
from partia_notifications.operations import metrics_registry, readiness_checks
from partia_notifications.settings import NotificationsSettings

DESCRIPTION = """
The notifications service of the «Baytaq» Green Party of Qazaqstan: the registry's events turned
into notices to the members they concern (a sanction with the last day to appeal and the body to
appeal to, an admission, a rejection, an end of membership, a transfer, an appeal decided, a
membership restored), each delivered once by email and logged by the event that caused it.

* Every request carries `Authorization: Bearer <token>`; each operation says which roles may use
  it (`x-permission`).
* The log holds no personal data: a recipient is a member id; the address is asked of the
  registry at send time and not kept.
* A member may opt out of reminders and information (`/members/{id}/preferences`); decisions,
  sanctions and appeal deadlines are legally significant and always sent.
* Party bodies (a PPO's or branch's bureau, the party Bureau, a treasurer) get their notices at
  the office address configured for them (`/bodies/{organisation_id}/addresses/{role}`); routine
  items go in one daily digest per body.
* Every POST carries an `Idempotency-Key`; refusals are `application/problem+json` with a `rule`.
"""


def create_app(
    settings: NotificationsSettings | None = None,
    open_: Callable[[NotificationsSettings], Notifications] = open_notifications,
) -> FastAPI:
    config = settings or NotificationsSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.authenticator = Authenticator.from_settings(config)
        app.state.party_id = party_root(config.party)
        notifications = open_(config)
        app.state.notifications = notifications
        connect = lambda: notifications.pool.connection(timeout=5)  # noqa: E731
        app.state.metrics = metrics_registry(connect, config.database_schema)
        app.state.checks = lambda: readiness_checks(connect)
        try:
            yield
        finally:
            notifications.close()

    app = service_application(
        "Partia notifications", DESCRIPTION, lifespan, api_docs=config.api_docs
    )
    problems.install_problem_handlers(app, service="notifications")
    declare_bearer_security(app, OPERATIONS, "partia_notifications.api.permissions")
    app.include_router(deliveries.router)
    app.include_router(preferences.router)
    app.include_router(bodies.router)
    add_operations_routes(
        app,
        checks=lambda: app.state.checks(),
        metrics=lambda: app.state.metrics,
        ready_summary="Readiness: the database answers (200, or 503 naming the check)",
        metrics_summary="Prometheus metrics: notices by status, the consumer's position",
    )
    install_guards(app, config, docs_prefixes=DOCS_PATHS if config.api_docs else ())
    app.openapi()  # refuses to build an app with an operation whose permission is not declared
    return app
